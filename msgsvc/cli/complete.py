"""Tab completion answers. They never fail, never prompt, never print and never touch the network."""

from __future__ import annotations

from typing import Any


def complete_profiles(incomplete: str) -> list[str]:
    """Profile names from the config file."""
    try:
        from msgsvc.local import config

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
    """Service SIDs from the profile's cache (see msgsvc/local/cache.py), the friendly name as
    description; once something is typed, the friendly names that begin with it too (the SID
    as description), so that `Al<Tab>` gives `Alerts` in every shell, bash included, which
    shows no descriptions. The shell script quotes what it inserts."""
    try:
        from msgsvc.local import cache

        services = cache.load(cache.scope(profile_on_command_line(ctx)))
        found = [(sid, name) for sid, name in services.items() if sid.startswith(incomplete)]
        if incomplete:
            found += sorted((name, sid) for sid, name in services.items()
                            if isinstance(name, str) and name.startswith(incomplete) and not sid.startswith(incomplete))
        return found
    except Exception:
        return []


def _table(ctx: Any, kind: str, incomplete: str) -> list[tuple[str, str]]:
    try:
        from msgsvc.local import cache

        table = cache.load_table(cache.scope(profile_on_command_line(ctx)), kind)
        return [(key, text) for key, text in table.items() if key.startswith(incomplete)]
    except Exception:
        return []


def complete_brands(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Brand SIDs that `brands list/get` saw, with their status and type."""
    return _table(ctx, "brands", incomplete)


def complete_campaign_usecases(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Campaign use case codes that `campaigns usecases` saw, with their names."""
    return _table(ctx, "campaign-usecases", incomplete.upper())


def complete_service_usecases(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """A service's `usecase` values, with the purpose `services usecases` saw for each."""
    from msgsvc.api.resources import USECASES

    seen = dict(_table(ctx, "service-usecases", ""))
    return [(value, seen.get(value, "")) for value in USECASES if value.startswith(incomplete.lower())]


def complete_tollfree(ctx: Any, incomplete: str) -> list[tuple[str, str]]:
    """Toll-free verification SIDs and their numbers, as `tollfree list/get/wait` saw them: a
    SID shows its number and status, a number its SID and status."""
    found = []
    for sid, text in _table(ctx, "tollfree", ""):
        number, _, status = text.partition(" ")
        if sid.startswith(incomplete):
            found.append((sid, text))
        if number.startswith(incomplete) and number.startswith("+"):
            found.append((number, f"{sid} {status}"))
    return found
