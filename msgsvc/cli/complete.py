"""Tab completion answers. They never fail, never prompt, never print and never touch the network."""

from __future__ import annotations

TYPE_CHECKING = False  # a Tab press imports this module, and importing typing costs milliseconds
if TYPE_CHECKING:
    from typing import Sequence


class Choices:
    """Tab completion of a fixed list, ignoring case (an option's choices). A class rather than
    a closure, so that scripts/gen_tree.py can write the list into the static command tree;
    `Choices(values).complete` is the autocompletion."""

    def __init__(self, values: Sequence[str]) -> None:
        self.values = tuple(values)

    def complete(self, incomplete: str) -> list[str]:
        return [c for c in self.values if c.lower().startswith(incomplete.lower())]


class FieldNames:
    """--fields a,b,<Tab>: the field names not chosen yet, after those typed (`FieldNames(names).complete`).
    `of="module:ATTRIBUTE"` names where the names are (field names, or Columns whose keys they
    are) when that module is too heavy to import for building the command: it is imported on
    first use only, when scripts/gen_tree.py writes the names into the static tree, or when
    the typer app answers a Tab itself."""

    def __init__(self, names: Sequence[str] = (), *, of: str | None = None) -> None:
        self._names = tuple(names)
        self._of = of

    @property
    def values(self) -> tuple[str, ...]:
        if self._of is not None:
            import importlib

            module, _, attribute = self._of.partition(":")
            self._names = tuple(getattr(item, "key", item) for item in getattr(importlib.import_module(module), attribute))
            self._of = None
        return self._names

    def complete(self, incomplete: str) -> list[str]:
        head, comma, last = incomplete.rpartition(",")
        chosen = set(head.split(","))
        return [head + comma + name for name in self.values if name.startswith(last) and name not in chosen]


class AttachedSenders:
    """The senders of one kind attached to the service named on the line, from the cache that
    `list`, `attach` and `detach` keep (`AttachedSenders(noun).complete`): their SIDs with the
    number or text as description; once something is typed, the numbers or texts that begin
    with it too, as for services."""

    def __init__(self, noun: str) -> None:
        self.noun = noun

    def complete(self, ctx: object, incomplete: str) -> list[tuple[str, str]]:
        try:
            from msgsvc.local import cache

            scope = cache.scope(profile_on_command_line(ctx))
            service = getattr(ctx, "params", {}).get("service") or ""
            if not (len(service) == 34 and service.startswith("MG")):  # a friendly name: its SID from the cache
                service = next((sid for sid, name in cache.load(scope).items() if name == service), "")
            table = cache.load_table(scope, cache.senders_table(self.noun, service)) if service else {}
            found = [(sid, text) for sid, text in table.items() if sid.startswith(incomplete)]
            if incomplete:
                found += sorted((text, sid) for sid, text in table.items()
                                if text.startswith(incomplete) and not sid.startswith(incomplete))
            return found
        except Exception:
            return []


def complete_profiles(incomplete: str) -> list[str]:
    """Profile names from the config file."""
    try:
        from msgsvc.local import config

        names = config.read_config().get("profiles", {})
        return [name for name in sorted(names) if name.startswith(incomplete)]
    except Exception:
        return []


def profile_on_command_line(ctx: object) -> str | None:
    """The --profile given so far on the line being completed (the innermost one wins)."""
    while ctx is not None:
        value = getattr(ctx, "params", {}).get("profile")
        if isinstance(value, str) and value:
            return value
        ctx = ctx.parent
    return None


def complete_services(ctx: object, incomplete: str) -> list[tuple[str, str]]:
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


def _table(ctx: object, kind: str, incomplete: str) -> list[tuple[str, str]]:
    try:
        from msgsvc.local import cache

        table = cache.load_table(cache.scope(profile_on_command_line(ctx)), kind)
        return [(key, text) for key, text in table.items() if key.startswith(incomplete)]
    except Exception:
        return []


def complete_brands(ctx: object, incomplete: str) -> list[tuple[str, str]]:
    """Brand SIDs that `brands list/get` saw, with their status and type."""
    return _table(ctx, "brands", incomplete)


def complete_campaign_usecases(ctx: object, incomplete: str) -> list[tuple[str, str]]:
    """Campaign use case codes that `campaigns usecases` saw, with their names."""
    return _table(ctx, "campaign-usecases", incomplete.upper())


def complete_service_usecases(ctx: object, incomplete: str) -> list[tuple[str, str]]:
    """A service's `usecase` values, with the purpose `services usecases` saw for each."""
    from msgsvc.api.resources import USECASES

    seen = dict(_table(ctx, "service-usecases", ""))
    return [(value, seen.get(value, "")) for value in USECASES if value.startswith(incomplete.lower())]


def complete_tollfree(ctx: object, incomplete: str) -> list[tuple[str, str]]:
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
