"""Tab completion answers. They never fail, never prompt and never touch the network."""

from __future__ import annotations


def complete_profiles(incomplete: str) -> list[str]:
    """Profile names from the config file."""
    try:
        from msgsvc import config

        names = config.read_config().get("profiles", {})
        return [name for name in sorted(names) if name.startswith(incomplete)]
    except Exception:
        return []
