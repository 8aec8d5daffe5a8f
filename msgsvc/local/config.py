"""Where msgsvc keeps its settings and the profiles in them: the config file (which settings a
command uses, and where each came from, is msgsvc/local/resolution.py's).

The config file is TOML, `config.toml` in `platformdirs.user_config_dir("msgsvc")` (or
`$MSGSVC_CONFIG_DIR`), written mode 0600 in a 0700 directory, atomically (temporary file,
then rename) and under a lock, so concurrent writers never lose a profile and a crash never
leaves half a file. A file that cannot be parsed is reported and never rewritten.
A profile's secret is either in the file or, with `secret_storage = "keyring"`, in the system
keyring (msgsvc/local/keystore.py), read only when a command needs it.
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path

TYPE_CHECKING = False  # a Tab press reads the config: neither typing nor dataclasses at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, Mapping

    Warn = Callable[[MsgsvcWarning], None]  # where a warning for the person goes (output.warning on the run's terminal)

from msgsvc.errors import ConfigError, MsgsvcError, MsgsvcWarning
from msgsvc.local.paths import CONFIG_NAME, cache_dir, config_dir, config_path  # noqa: F401 - part of this module's interface


# Every key a profile may hold, in display order, and which of them are secrets.
PROFILE_KEYS = (
    "account_sid",
    "auth_token",
    "api_key",
    "api_secret",
    "region",
    "edge",
    "base_url",
    "timeout",
    "max_retries",
    "ca_bundle",
)
SECRET_KEYS = frozenset({"auth_token", "api_secret"})
# `secret_storage = "keyring"` in a profile: its secret is in the system keyring (keystore.py),
# not in this file. Absent: the secret, if any, is in the file.
STORAGE_KEY = "secret_storage"
KEYRING = "keyring"


def secret_key(profile: Mapping[str, Any]) -> str:
    """Which secret a stored profile has: the API key's secret, or the auth token."""
    return "api_secret" if profile.get("api_key") else "auth_token"


def storage(profile: Mapping[str, Any]) -> str | None:
    """Where a stored profile's secret lives: "keyring", "file", or None (it has none)."""
    if profile.get(STORAGE_KEY) == KEYRING:
        return KEYRING
    return "file" if profile.get(secret_key(profile)) not in (None, "") else None


def known_secrets(environ: Mapping[str, str]) -> set[str]:
    """The secrets a run can know without asking the keyring: Twilio's variables in `environ`
    and every secret config.toml holds itself. For the messages said before a command has
    its credentials (a usage error): one that quotes a secret typed where a value goes
    masks it too. Never raises: a config that cannot be read gives what the variables give."""
    found = {environ.get(name, "") for name in ("TWILIO_AUTH_TOKEN", "TWILIO_API_SECRET")}
    try:
        profiles = read_config().get("profiles")
    except Exception:  # noqa: BLE001 - an error message must still be said
        profiles = None
    for profile in (profiles or {}).values() if isinstance(profiles, dict) else ():
        if isinstance(profile, dict):
            found |= {value for key, value in profile.items() if key in SECRET_KEYS and isinstance(value, str)}
    return {secret for secret in found if secret}


def mask(value: str) -> str:
    """Hide a secret; keep the last four characters of a long one so it can be told apart."""
    if len(value) >= 16:
        return "*" * 12 + value[-4:]
    return "*" * 8


_warned: set[tuple[str, int]] = set()


def warn_if_exposed(path: Path, warn: Warn) -> None:
    """Warn (once per run) when a file holding secrets is readable by group or others.

    Only where mode bits are what protects it (POSIX): on Windows they mean nothing, and the
    file is private because it is in the user's profile directory (see msgsvc/atomic.py)."""
    from msgsvc.atomic import mode_bits_protect

    if not mode_bits_protect():
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        if (str(path), mode) in _warned:
            return
        _warned.add((str(path), mode))
        warn(MsgsvcWarning(f"{path} is readable by other users; it holds secrets.",
                           hint=f"chmod 600 {_shell_quote(str(path))}"))


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def read_config(path: Path | None = None, *, warn: Warn | None = None) -> dict[str, Any]:
    """The parsed config file, or an empty config when there is none.

    `warn` is told when the file is readable by others; without it nothing is said (tab
    completion must print nothing)."""
    from msgsvc.atomic import BOM, MAX_NESTING, depth, read_bounded

    path = path or config_path()
    try:
        with open(path, "rb") as stream:
            raw = read_bounded(stream, str(path))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(str(exc), hint=_fix_hint(path)) from None
    if warn is not None:
        warn_if_exposed(path, warn)
    import tomllib  # not imported when there is no file (environment credentials)

    too_deep = ConfigError(f"{path} nests more than {MAX_NESTING} levels deep, the most msgsvc reads", hint=_fix_hint(path))
    try:
        data = tomllib.loads(raw.decode("utf-8").removeprefix(BOM))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text", hint=_fix_hint(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint=_fix_hint(path)) from None
    except RecursionError:
        raise too_deep from None
    if depth(data) > MAX_NESTING:
        raise too_deep
    _check_shape(data, path)
    return data


def _fix_hint(path: Path) -> str:
    return f"fix the file by hand, or move it away to start afresh (mv {_shell_quote(str(path))} {_shell_quote(str(path))}.bad)"


def _check_shape(data: dict[str, Any], path: Path) -> None:
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(p, dict) for p in profiles.values()):
        raise ConfigError(f"{path}: [profiles] must hold one table per profile", hint=_fix_hint(path))
    active = data.get("active")
    if active is not None and not isinstance(active, str):
        raise ConfigError(f"{path}: 'active' must be a profile name", hint=_fix_hint(path))


def write_config(data: dict[str, Any], path: Path | None = None) -> None:
    """Write atomically: a 0600 temporary file in the same directory, fsync, rename. Called
    with the config lock held; the temporary files a crash (kill -9, a power cut) left behind
    are deleted first: each holds the secrets of the config as it was then, which `profiles
    remove` and `migrate` would otherwise leave on disk."""
    import tomli_w

    from msgsvc.atomic import remove_temporaries, write_private

    path = path or config_path()
    ensure_private_dir(path.parent)
    remove_temporaries(Path(os.path.realpath(path)))  # where write_private puts them: beside a link's target
    try:
        write_private(path, tomli_w.dumps(data))
    except OSError as exc:  # a full disk, a read-only directory: the old file is intact
        raise _unwritable(path, exc) from None


def ensure_private_dir(directory: Path) -> None:
    """The directory, made 0700 if missing (where mode bits count: Windows ignores the mode);
    one clear error when it cannot be: a file in the way is the configuration's problem (exit
    2), a machine that refuses (read-only, no permission, a full disk) is not (exit 1)."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ConfigError(
            f"cannot create the config directory {directory}: a file is in the way",
            hint="set MSGSVC_CONFIG_DIR to a directory you can write, or move that file",
        ) from None
    except OSError as exc:
        raise _unwritable(directory, exc, what="cannot create the directory") from None


def _unwritable(path: Path, exc: OSError, *, what: str = "cannot write") -> MsgsvcError:
    """The machine refused (a full disk, a read-only directory): exit 1, not a usage error."""
    return MsgsvcError(f"{what} {path}: {exc.strerror or exc}; nothing was changed",
                       hint="free some disk space, or point MSGSVC_CONFIG_DIR to a writable directory")


@contextmanager
def config_lock() -> Iterator[Path]:
    """Hold the exclusive lock of the config file (yielding its path): filelock's for the
    platform (flock on POSIX, msvcrt.locking on Windows), on `.config.lock` beside the file,
    released by the OS if msgsvc dies; a writer waits for the one before it."""
    from filelock import FileLock  # only commands that change the config pay for it

    from msgsvc.atomic import mode_bits_protect

    path = config_path()
    ensure_private_dir(path.parent)
    private = {"mode": 0o600} if mode_bits_protect() else {}  # a mode means nothing on Windows
    lock = FileLock(path.parent / ".config.lock", **private)
    try:
        lock.acquire()
    except OSError as exc:
        raise _unwritable(path.parent / ".config.lock", exc) from None
    try:
        yield path
    finally:
        lock.release()


@contextmanager
def locked_config(warn: Warn | None = None) -> Iterator[dict[str, Any]]:
    """Read-modify-write under the config lock; the dict yielded is written back on success.
    A file that cannot be read raises before anything is written. (A change that also
    touches the keyring goes through msgsvc/local/profiles.py, which undoes the keyring's
    part when the file cannot be written.)"""
    with config_lock() as path:
        data = read_config(path, warn=warn)
        yield data
        write_config(data, path)
