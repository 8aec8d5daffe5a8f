"""Tab completion answers. They never fail, never prompt, never print and never touch the network."""

from __future__ import annotations

from typing import Any


def complete_profiles(incomplete: str) -> list[str]:
    """Profile names from the config file."""
    try:
        from msgsvc import config

        names = config.read_config().get("profiles", {})
        return [name for name in sorted(names) if name.startswith(incomplete)]
    except Exception:
        return []


def profile_on_command_line(ctx: Any) -> str | None:
    """The --profile given so far on the line being completed (the innermost one wins)."""
    while ctx is not None:
        value = getattr(ctx, "params", {}).get("profile")
        if isinstance(value, str) and value:
            return value
        ctx = ctx.parent
    return None


def complete_services(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Service SIDs from the profile's cache (see msgsvc/cache.py), the friendly name as
    description; once something is typed, the friendly names that begin with it too (the SID
    as description), so that `Al<Tab>` gives `Alerts` in every shell, bash included, which
    shows no descriptions. The shell script quotes what it inserts."""
    try:
        from msgsvc import cache

        services = cache.load(cache.scope(profile_on_command_line(ctx)))
        found = [(sid, name) for sid, name in services.items() if sid.startswith(incomplete)]
        if incomplete:
            found += sorted((name, sid) for sid, name in services.items()
                            if isinstance(name, str) and name.startswith(incomplete) and not sid.startswith(incomplete))
        return found
    except Exception:
        return []
