"""The bodies of list commands, which run with or without typer.

A list is what scripts run most (`msgsvc services list --all --json` in a loop), and most of
its start-up was typer's import. msgsvc.cli.direct runs these bodies straight from the
command line when it can parse it, and the typer app runs the same bodies otherwise: their
options are declared where their commands are (services.py declares services list with
options.declared, sender_commands.py a list for each kind of sender), and their docstrings
are the commands' help. A body raises msgsvc's errors only (msgsvc.errors): Click's are for
the typer app. Nothing here imports typer.
"""

from __future__ import annotations

from msgsvc.cli.invocation import as_typed, fewer_pages, list_limit, use

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _listed(ctx: Any, resource: Any, records_of: Any, *, limit: int, all_: bool, page_size: int | None, fields: str | None,
            jq: str | None, json_: bool, profile: str | None, empty: str, plural: str) -> tuple[Any, list, int | None]:
    """A list command's run: its options applied to the run's State, the records
    `records_of(client, limit, page_size)` lists shown as `resource`'s columns (or JSON);
    (the State, what was shown, the limit)."""
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=resource.keys, jq=jq)
    limit = list_limit(ctx, limit, all_)
    from msgsvc.cli.output import emit_records

    with fewer_pages(page_size):
        shown = emit_records(state.term, records_of(state.client(), limit, page_size), resource.columns, as_json=state.json,
                             fields=state.fields, jq=state.jq, empty=empty, plural=plural)
    return state, shown, limit


def services_list(ctx: Any, limit: int = 50, all_: bool = False, page_size: int | None = None, fields: str | None = None,
                  jq: str | None = None, json_: bool = False, profile: str | None = None) -> None:
    """List Messaging Services.

    The first 50, or --limit N, or --all.

    {columns}

    Example:

    \b
        msgsvc services list --all --jq '.[].sid'
        msgsvc services list --fields sid,friendly_name,status_callback
    """
    from msgsvc.api.resources import SERVICE

    state, shown, limit = _listed(
        ctx, SERVICE, lambda client, limit, page_size: client.list_services(limit=limit, page_size=page_size),
        limit=limit, all_=all_, page_size=page_size, fields=fields, jq=jq, json_=json_, profile=profile,
        empty="No services yet: msgsvc services create --friendly-name NAME", plural="services")
    from msgsvc.local import cache

    cache.remember_listing(state.cache_scope(), shown, limit=limit)
    from msgsvc.cli.state import keep_until_exit

    keep_until_exit(shown)  # freed at once by the process's end, not record by record


def brands_list(ctx: Any, limit: int = 50, all_: bool = False, page_size: int | None = None, fields: str | None = None,
                jq: str | None = None, json_: bool = False, profile: str | None = None) -> None:
    """List the account's brand registrations.

    The first 50, or --limit N, or --all.

    {columns}

    Example:

    \b
        msgsvc brands list
        msgsvc brands list --all --json |
            jq -r '.[] | select(.status == "APPROVED") | .sid'
    """
    from msgsvc.api.resources import BRAND

    state, shown, limit = _listed(
        ctx, BRAND, lambda client, limit, page_size: client.list_brands(limit=limit, page_size=page_size),
        limit=limit, all_=all_, page_size=page_size, fields=fields, jq=jq, json_=json_, profile=profile,
        empty="No brand registrations on this account: register one in Twilio's Console", plural="brands")
    remember_brands(state, shown, complete=limit is None or len(shown) < limit)


def remember_brands(state: Any, brands: list[dict], *, complete: bool) -> None:
    """Brand SIDs and what they are, for Tab completion (`complete`: the whole account's)."""
    from msgsvc.local import cache

    cache.remember_table(state.cache_scope(), "brands", {str(b.get("sid")): brand_label(b) for b in brands}, replace=complete)


def brand_label(brand: dict) -> str:
    """What completion shows beside a brand's SID (brands have no name): `APPROVED STANDARD`."""
    return f"{brand.get('status')} {brand.get('brand_type')}"


# --- a service's senders, and the account's numbers (numbers list --account) ---------------


def senders_list(noun: str, ctx: Any, service: str, country: str | None = None, limit: int = 50, all_: bool = False,
                 page_size: int | None = None, fields: str | None = None, jq: str | None = None, json_: bool = False,
                 profile: str | None = None) -> None:
    """A service's senders of the kind `noun` names (msgsvc.api.senders.KINDS); the help is
    msgsvc/cli/sender_commands.py's, which declares it for each kind."""
    from msgsvc.api.senders import COUNTRY, KINDS
    from msgsvc.jobs.resolve import resolve_service

    kind = next(k for k in KINDS if k.noun == noun)
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=kind.keys, jq=jq)
    limit = list_limit(ctx, limit, all_)
    from msgsvc.cli.output import emit_records

    client = state.client()
    params = {COUNTRY.wire: country} if country else None
    service_sid = resolve_service(client, service)
    with fewer_pages(page_size):
        records = client.list_senders(kind, service_sid, limit=limit, page_size=page_size, params=params)
        shown = emit_records(state.term, records, kind.columns, as_json=state.json, fields=state.fields, jq=state.jq,
                             empty=f"No {kind.plural} in {service!r}" + (f" for {country}" if country else "") + ".",
                             plural=kind.plural)
    remember_attached(state, kind, service_sid, shown, replace=not country and (limit is None or len(shown) < limit))


def numbers_list(ctx: Any, service: str | None = None, account: bool = False, free: bool = False, concurrency: int = 8,
                 limit: int = 50, all_: bool = False, page_size: int | None = None, fields: str | None = None,
                 jq: str | None = None, json_: bool = False, profile: str | None = None) -> None:
    """A service's phone numbers, or with --account or --free the account's numbers and short
    codes (the help is msgsvc/cli/commands/numbers.py's)."""
    from msgsvc.cli.invocation import given
    from msgsvc.errors import UsageError

    if account or free:
        _inventory(ctx, service, free=free, concurrency=concurrency, limit=list_limit(ctx, limit, all_),
                   page_size=page_size, fields=fields, jq=jq, json_=json_, profile=profile)
        return
    if service is None:
        raise UsageError("give a SERVICE, or --account for the account's numbers and short codes",
                         hint="see 'msgsvc numbers list --help'")
    if given(ctx, "concurrency"):
        raise UsageError("--concurrency is for --account and --free, which read every service")
    senders_list("numbers", ctx, service, None, limit, all_, page_size, fields, jq, json_, profile)


class _Rows(list):
    """Records, and whether the limit cut the list short (what emit_records says)."""

    more = False


def _inventory(ctx: Any, service: str | None, *, free: bool, concurrency: int, limit: int | None,
               page_size: int | None, fields: str | None, jq: str | None, json_: bool, profile: str | None) -> None:
    import functools

    from msgsvc.errors import UsageError
    from msgsvc.setup import read as setup_read

    flag = "--free" if free else "--account"
    if service is not None:
        raise UsageError(f"{flag} lists the whole account: give it without SERVICE",
                         hint=f"or list one service's numbers with: msgsvc numbers list {as_typed(service)}")
    if page_size is not None:
        raise UsageError(f"--page-size is for a service's list, not {flag}")
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=[c.key for c in setup_read.INVENTORY_COLUMNS],
                jq=jq)
    from msgsvc.cli import output

    term = state.term
    found = setup_read.inventory(state.client(), free=free, concurrency=concurrency,
                                 progress=functools.partial(output.progress, term))
    rows = _Rows(found[:limit] if limit is not None else found)
    rows.more = limit is not None and len(found) > limit
    output.emit_records(term, rows, setup_read.INVENTORY_COLUMNS, as_json=state.json, fields=state.fields,
                        jq=state.jq, plural="numbers",
                        empty="Every number and short code of the account is in a service." if free
                        else "The account has no phone numbers or short codes.")


def remember_attached(state: Any, kind: Any, service_sid: str, records: list, *, replace: bool) -> None:
    """Keep the completion cache of the service's senders (detach's Tab): a whole listing
    replaces it, attached senders are added."""
    from msgsvc.local import cache

    entries = {str(r.get("sid")): str(r.get(kind.value_key) or "") for r in records if isinstance(r, dict) and r.get("sid")}
    if entries or replace:
        cache.remember_table(state.cache_scope(), cache.senders_table(kind.noun, service_sid), entries, replace=replace)


def forget_attached(state: Any, kind: Any, service_sid: str, sids: list) -> None:
    """Take detached senders out of the completion cache of the service's senders."""
    from msgsvc.local import cache

    if sids:
        cache.forget_table(state.cache_scope(), cache.senders_table(kind.noun, service_sid), sids)
