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

    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=SERVICE.keys, jq=jq)
    limit = list_limit(ctx, limit, all_)
    from msgsvc.cli.output import emit_records
    from msgsvc.local import cache

    with fewer_pages(page_size):
        shown = emit_records(state.term, state.client().list_services(limit=limit, page_size=page_size), SERVICE.columns,
                             as_json=state.json, fields=state.fields, jq=state.jq,
                             empty="No services yet: msgsvc services create --friendly-name NAME", plural="services")
    cache.remember_listing(state.cache_scope(), shown, limit=limit)
    from msgsvc.cli.state import keep_until_exit

    keep_until_exit(shown)  # freed at once by the process's end, not record by record
