"""Where msgsvc keeps its files on this machine: the config directory, the cache directory and
the state directory (`$MSGSVC_CONFIG_DIR`, `$MSGSVC_CACHE_DIR`, `$MSGSVC_STATE_DIR`, else the
platform's, as platformdirs says). The state directory holds what msgsvc must not lose but a
person never edits: the journal of moves in flight (msgsvc/local/journal.py), and the locks
that keep two applies of one account apart (msgsvc/local/locks.py).

Each is a Path, and as text (`*_text`, the same path as the OS reads it) for a Tab press, which
reads its two small files with os alone: importing pathlib costs 3 ms of every Tab."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

CONFIG_NAME = "config.toml"
JOURNAL_NAME = "moves"


def config_path() -> Path:
    """The config file: profiles and settings."""
    from pathlib import Path

    return Path(config_path_text())


def config_dir() -> Path:
    """`$MSGSVC_CONFIG_DIR`, else the platform's config directory for msgsvc."""
    from pathlib import Path

    return Path(config_dir_text())


def cache_dir() -> Path:
    """`$MSGSVC_CACHE_DIR`, else the platform's cache directory for msgsvc."""
    from pathlib import Path

    return Path(cache_dir_text())


def state_dir() -> Path:
    """`$MSGSVC_STATE_DIR`, else the platform's state directory for msgsvc."""
    from pathlib import Path

    return Path(state_dir_text())


def journal_dir_text() -> str:
    """The journal of moves in flight: one file per move a running msgsvc has begun."""
    return os.path.join(state_dir_text(), JOURNAL_NAME)


def config_path_text() -> str:
    return os.path.join(config_dir_text(), CONFIG_NAME)


def config_dir_text() -> str:
    return _directory("MSGSVC_CONFIG_DIR", "XDG_CONFIG_HOME", "~/.config", "user_config_dir")


def cache_dir_text() -> str:
    return _directory("MSGSVC_CACHE_DIR", "XDG_CACHE_HOME", "~/.cache", "user_cache_dir")


def state_dir_text() -> str:
    return _directory("MSGSVC_STATE_DIR", "XDG_STATE_HOME", "~/.local/state", "user_state_dir")


def _directory(explicit_variable: str, xdg_variable: str, xdg_default: str, platformdirs_name: str) -> str:
    explicit = os.environ.get(explicit_variable)
    if explicit:
        return explicit
    xdg = _xdg_dir(xdg_variable, xdg_default)
    if xdg is not None:
        return xdg
    import platformdirs

    return getattr(platformdirs, platformdirs_name)("msgsvc")


def _xdg_dir(variable: str, default: str) -> str | None:
    """platformdirs' answer on Linux and the BSDs (the XDG rule), without importing it: that
    import costs about 5 ms, and every Tab press reads the config and the cache. None elsewhere
    (macOS, Windows, Android), where platformdirs decides."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) or hasattr(sys, "getandroidapilevel"):
        return None
    base = os.environ.get(variable, "")
    if not base.strip():
        base = os.path.expanduser(default)
    return os.path.join(base, "msgsvc")
