"""The user's files: reading one with a sentence for each way it can fail, and writing one so
that a crash never leaves half of it (a temporary file in the same directory, flushed to
disk, then renamed over the old one).

Writes respect what the path names (`write_file`, the one home of these rules):
- a path that is not a regular file (a device such as /dev/null, a FIFO, /dev/stdout) is
  written in place: opened and written, never replaced by a regular file;
- a symbolic link is followed: the file it points to is replaced atomically, the link stays
  (dotfiles kept in git, a config.toml linked from elsewhere);
- a replaced file keeps its mode; a new one gets the umask's mode (0666 less the umask), as
  any program's output would. Files holding secrets (`private=True`: config.toml, the
  emulator's state) are 0600 whatever the old mode or the umask.
`-o -` meaning standard output is the command's rule (msgsvc/cli), since only it touches the
streams.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
TYPE_CHECKING = False  # a Tab press reads the config through this module: typing costs 2 ms
if TYPE_CHECKING:
    from typing import IO, Any

# On Windows a file that another process has open cannot be replaced for a moment (a reader,
# an indexer, a virus scanner): os.replace fails with PermissionError, so it is tried again.
# Delays in seconds; about two seconds in all.
REPLACE_RETRY_DELAYS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)


def mode_bits_protect() -> bool:
    """Whether POSIX mode bits are what keeps a file private here: on Linux, macOS and the
    BSDs, files 0600 and directories 0700. On Windows mode bits mean nothing (Python maps them
    to the read-only flag); a file is private because it lives in the user's own profile
    directory (platformdirs' %LOCALAPPDATA%), whose access list admits only that user, the
    administrators and SYSTEM, and new files inherit it."""
    return sys.platform != "win32"


def _replace(source: str, target: Path) -> None:
    if sys.platform != "win32":
        os.replace(source, target)
        return
    import time

    for delay in REPLACE_RETRY_DELAYS:
        try:
            os.replace(source, target)
            return
        except PermissionError:
            time.sleep(delay)
    os.replace(source, target)


def write_private(path: Path, text: str, *, fsync: bool = True) -> None:
    """Replace `path` with `text`, private (0600) from the start: the file holds secrets."""
    write_file(path, text, private=True, fsync=fsync)


def _umask_mode() -> int:
    mask = os.umask(0o077)  # reading the umask means setting it; put back at once
    os.umask(mask)
    return 0o666 & ~mask


TEMP_SUFFIX = ".tmp"


def temp_prefix(path: Path) -> str:
    """The name every temporary file for `path` starts with: `.config.toml-`."""
    return f".{path.name}-"


def create_temporary(path: Path) -> tuple[int, str]:
    """A new private (0600) file next to `path`, for replacing it: `.NAME-RANDOM.tmp`, created
    exclusively (never an existing file, nor through a link), its descriptor and name. What
    tempfile.mkstemp does, without importing tempfile: 4 ms (random, hashlib, shutil) of
    every command that writes its completion cache."""
    flags = (os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
             | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOINHERIT", 0))
    for _ in range(100):
        name = os.path.join(os.path.dirname(path) or ".", f"{temp_prefix(path)}{os.urandom(6).hex()}{TEMP_SUFFIX}")
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {path}")


def remove_temporaries(path: Path) -> list[Path]:
    """Delete the temporary files of `path` that a crash left (`.config.toml-*.tmp`); the ones
    removed. Only for a caller that knows no one else is writing `path` now (its lock held):
    it would delete another writer's temporary file under it."""
    removed: list[Path] = []
    prefix = temp_prefix(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return removed
    for name in names:
        if name.startswith(prefix) and name.endswith(TEMP_SUFFIX):
            try:
                os.unlink(path.parent / name)
                removed.append(path.parent / name)
            except OSError:
                pass
    return removed


def write_file(path: Path, text: str, *, private: bool = False, fsync: bool = True) -> None:
    """Write `text` to `path` by the rules in this module's docstring."""
    try:
        found = os.stat(path)  # follows links
    except FileNotFoundError:
        found = None
    if found is not None and not stat.S_ISREG(found.st_mode):
        with open(path, "w", encoding="utf-8") as handle:  # a device, a FIFO, /dev/stdout: in place
            handle.write(text)
        return
    target = Path(os.path.realpath(path))  # a symlink's target is what is replaced
    if private:
        mode = 0o600
    elif found is not None:
        mode = stat.S_IMODE(found.st_mode)
    else:
        mode = _umask_mode()
    fd, tmp = create_temporary(target)
    try:
        # mkstemp creates the file 0600; fchmod gives it its mode (for a private file it also
        # undoes a umask that took the owner's write bit). Windows has no fchmod before
        # Python 3.13, and no use for it.
        if mode_bits_protect() and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        _replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# The most msgsvc reads of one file or of standard input (setup files, sender lists, the
# config file): `plan /dev/zero` or `yes | msgsvc ... --from-file -` is refused, not read
# until memory runs out. And how deeply a setup or config document may nest its arrays and
# tables (a parser would otherwise exhaust the stack).
MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_NESTING = 64
BOM = "\ufeff"


def too_large(name: str) -> str:
    return f"{name} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB, the most msgsvc reads of one input"


def read_bounded(stream: IO, name: str) -> Any:
    """At most MAX_INPUT_BYTES of `stream` (text or bytes); a ValueError saying so when there
    is more."""
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise ValueError(too_large(name))
    return data


def read_text(path: str, *, stdin: IO[str]) -> tuple[str, str]:
    """The UTF-8 text of `path` ('-' is `stdin`, the run's standard input) and the name to
    show for it, a leading byte-order mark dropped; at most MAX_INPUT_BYTES. A file that
    cannot be read is a UsageError naming it (exit 2)."""
    from msgsvc.errors import UsageError

    try:
        if path == "-":
            text, name = read_bounded(stdin, "standard input"), "standard input"
        else:
            with open(path, encoding="utf-8") as stream:
                text, name = read_bounded(stream, path), path
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {path}: it is not UTF-8 text") from None
    except ValueError as exc:
        raise UsageError(str(exc), hint="give a smaller file") from None
    return text.removeprefix(BOM), name


def depth(value: Any) -> int:
    """How deeply `value` (parsed JSON or TOML) nests lists and tables, without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        if level > deepest:
            deepest = level
            if deepest > MAX_NESTING:
                return deepest
        stack.extend((child, level) for child in children)
    return deepest
