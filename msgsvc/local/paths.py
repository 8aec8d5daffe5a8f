"""Where msgsvc keeps its files on this machine: the config directory and the cache directory
(`$MSGSVC_CONFIG_DIR`, `$MSGSVC_CACHE_DIR`, else the platform's, as platformdirs says)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def config_dir() -> Path:
    explicit = os.environ.get("MSGSVC_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    xdg = _xdg_dir("XDG_CONFIG_HOME", "~/.config")
    if xdg is not None:
        return xdg
    from platformdirs import user_config_dir

    return Path(user_config_dir("msgsvc"))


def cache_dir() -> Path:
    explicit = os.environ.get("MSGSVC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = _xdg_dir("XDG_CACHE_HOME", "~/.cache")
    if xdg is not None:
        return xdg
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("msgsvc"))


def _xdg_dir(variable: str, default: str) -> Path | None:
    """platformdirs' answer on Linux and the BSDs (the XDG rule), without importing it: that
    import costs about 5 ms, and every Tab press reads the config and the cache. None elsewhere
    (macOS, Windows, Android), where platformdirs decides."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) or hasattr(sys, "getandroidapilevel"):
        return None
    base = os.environ.get(variable, "")
    if not base.strip():
        base = os.path.expanduser(default)
    return Path(base) / "msgsvc"
