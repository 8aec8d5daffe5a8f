"""The user's files: reading one with a sentence for each way it can fail, and writing one so
that a crash never leaves half of it (a private temporary file in the same directory,
flushed to disk, then renamed over the old one)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

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
    """Replace `path` with `text`, private from the start (the files hold secrets)."""
    import tempfile  # here: config.py asks mode_bits_protect() on every run that reads the file

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600 already; fchmod also undoes a umask that took the
        # owner's write bit. Windows has no fchmod before Python 3.13, and no use for it.
        if mode_bits_protect() and hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        _replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_text(path: str, *, stdin: IO[str]) -> tuple[str, str]:
    """The UTF-8 text of `path` ('-' is `stdin`, the run's standard input) and the name to
    show for it; a file that cannot be read is a UsageError naming it."""
    from msgsvc.errors import UsageError

    if path == "-":
        return stdin.read(), "standard input"
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read(), path
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {path}: it is not UTF-8 text") from None
