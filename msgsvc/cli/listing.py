"""The bodies of list commands, which run with or without typer.

A list is what scripts run most (`msgsvc services list --all --json` in a loop), and most of
its start-up was typer's import. msgsvc.cli.direct runs these bodies straight from the
command line when it can parse it, and the typer app runs the same bodies otherwise: their
options are declared where their commands are (services.py declares services list with
options.declared), and their docstrings are the commands' help. Nothing here imports typer.
"""

from __future__ import annotations

from msgsvc.cli.invocation import fewer_pages, list_limit, use

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
