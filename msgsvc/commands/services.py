"""msgsvc services: create, get, list, update and delete Messaging Services."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from msgsvc import cache
from msgsvc.complete import complete_services
from msgsvc.errors import ExitCode, NotFoundError, UsageError
from msgsvc.fields import SERVICE_COLUMNS, SERVICE_FIELDS, service_form
from msgsvc.options import DryRunOpt, JsonOpt, ProfileOpt, YesOpt, use, with_field_options

app = typer.Typer(
    help="Create, inspect, list, change and delete Messaging Services.\n\nExample:\n\n\b\n"
    "    msgsvc services list\n    msgsvc services get Alerts --json",
    no_args_is_help=True,
    rich_markup_mode=None,
)

ServiceArg = Annotated[
    str,
    typer.Argument(metavar="SERVICE", help="An MG... service SID, or the exact friendly name of one service.",
                   autocompletion=complete_services, show_default=False),
]


def resolve_service(client: Any, ref: str) -> str:
    """The SID of SERVICE: an MG SID as is, or the one service whose friendly name is `ref`."""
    from msgsvc import validate

    if validate.is_sid(ref, "MG"):
        return ref
    if not ref.strip():
        raise UsageError("SERVICE is empty: give an MG... SID or a service's friendly name")
    services = list(client.list_services())
    matches = [s for s in services if s.get("friendly_name") == ref]
    if len(matches) == 1:
        return matches[0]["sid"]
    if not matches:
        import difflib

        names = [s.get("friendly_name") or "" for s in services]
        close = difflib.get_close_matches(ref, names, n=5, cutoff=0.6)
        folded = [n for n in names if n.lower() == ref.lower() and n not in close]
        candidates = folded + close
        hint = (
            "did you mean: " + ", ".join(repr(n) for n in candidates)
            if candidates
            else "list the services with: msgsvc services list"
        )
        raise NotFoundError(f"no service is named {ref!r}", hint=hint)
    listing = "; ".join(f"{s['sid']} (created {s.get('date_created')})" for s in matches)
    raise UsageError(
        f"{len(matches)} services are named {ref!r}: {listing}",
        hint="name the service by its SID",
    )


@app.command("create")
@with_field_options(SERVICE_FIELDS, required=("FriendlyName",))
def services_create(ctx: typer.Context, json_: JsonOpt = False, profile: ProfileOpt = None, dry_run: DryRunOpt = False, *, values: dict) -> None:
    """Create a Messaging Service; print it.

    Only the options given are sent; Twilio applies its defaults to the rest.

    Example:

    \b
        msgsvc services create --friendly-name "Alerts" --usecase notifications \\
            --inbound-request-url https://example.com/sms --sticky-sender
    """
    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run)
    from msgsvc.output import emit_plan, emit_record, note

    client = state.client()
    service = client.create_service(service_form(values))
    if state.dry_run:
        return emit_plan(client.planned, as_json=state.json)
    cache.remember(state, service)
    emit_record(service, as_json=state.json)
    if not state.json:
        note(f"Created {service.get('sid')} ({service.get('friendly_name')})")


@app.command("get")
def services_get(ctx: typer.Context, service: ServiceArg, json_: JsonOpt = False, profile: ProfileOpt = None) -> None:
    """Show one Messaging Service, every field.

    Example:

    \b
        msgsvc services get MG0123456789abcdef0123456789abcdef
        msgsvc services get "Alerts" --json
    """
    state = use(ctx, json_=json_, profile=profile)
    from msgsvc.output import emit_record

    client = state.client()
    emit_record(cache.remember(state, client.get_service(resolve_service(client, service))), as_json=state.json)


@app.command("list")
def services_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N", help="Show at most N services.")] = 50,
    all_: Annotated[bool, typer.Option("--all", "-a", help="Show every service, following every page.")] = False,
    page_size: Annotated[Optional[int], typer.Option("--page-size", min=1, max=1000, metavar="N", help="Services per request, 1 to 1000 [default: as many as needed, at most 1000].", show_default=False)] = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List Messaging Services: the first 50, or --limit N, or --all.

    Example:

    \b
        msgsvc services list --all --json | jq -r '.[].sid'
    """
    state = use(ctx, json_=json_, profile=profile)
    if all_ and _given(ctx, "limit"):
        raise UsageError("--limit and --all cannot be used together")
    from msgsvc.output import emit_records

    services = cache.recording(state, state.client().list_services(limit=None if all_ else limit, page_size=page_size), limit=None if all_ else limit)
    emit_records(services, SERVICE_COLUMNS, as_json=state.json)


@app.command("update")
@with_field_options(SERVICE_FIELDS)
def services_update(ctx: typer.Context, service: ServiceArg, json_: JsonOpt = False, profile: ProfileOpt = None, dry_run: DryRunOpt = False, *, values: dict) -> None:
    """Change a Messaging Service: only the options given are sent; print the result.

    Example:

    \b
        msgsvc services update "Alerts" --validity-period 600 --no-sticky-sender
        msgsvc services update MG0123456789abcdef0123456789abcdef --fallback-url ""
    """
    form = service_form(values)
    if not form:
        raise UsageError(
            "nothing to change: give at least one field option",
            hint="see 'msgsvc services update --help' for the options",
        )
    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run)
    from msgsvc.output import emit_plan, emit_record, note

    client = state.client()
    updated = client.update_service(resolve_service(client, service), form)
    if state.dry_run:
        return emit_plan(client.planned, as_json=state.json)
    cache.remember(state, updated)
    emit_record(updated, as_json=state.json)
    if not state.json:
        note(f"Updated {updated.get('sid')} ({', '.join(form)})")


A2P_WARNING = (
    "{sid} ({name}) is registered for US A2P 10DLC: deleting it deletes its A2P campaign and "
    "immediately halts all US A2P 10DLC messaging through it; a new campaign must be created "
    "and registered again, which can take several days"
)


@app.command("delete")
def services_delete(
    ctx: typer.Context,
    service: ServiceArg,
    yes: YesOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Delete even a service registered for US A2P 10DLC.")] = False,
    dry_run: DryRunOpt = False,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Delete a Messaging Service. Its phone numbers and short codes return to the account.

    Asks for confirmation in a terminal; needs --yes otherwise. A service registered for
    US A2P 10DLC is refused unless --force is given, since deleting it deletes the campaign.

    Example:

    \b
        msgsvc services delete MG0123456789abcdef0123456789abcdef --yes
    """
    from msgsvc.output import emit_plan, note, stdin_is_terminal

    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run)
    if not yes and not state.dry_run and not stdin_is_terminal():
        raise UsageError("refusing to delete without confirmation", hint="add --yes to delete from a script")
    client = state.client()
    sid = resolve_service(client, service)
    current = client.get_service(sid)
    name = current.get("friendly_name")
    if current.get("us_app_to_person_registered") and not force:
        raise UsageError(
            A2P_WARNING.format(sid=sid, name=name),
            hint="if that is really what you want, add --force",
        )
    if state.dry_run:
        client.delete_service(sid)
        return emit_plan(client.planned, as_json=state.json)
    if not yes:
        if not typer.confirm(f"Delete {sid} ({name})?", default=False, err=True):
            note("Nothing deleted.")
            raise typer.Exit(ExitCode.USAGE)
    client.delete_service(sid)
    cache.forget(state, sid)
    note(f"Deleted {sid} ({name})")


def _given(ctx: typer.Context, name: str) -> bool:
    from typer._click.core import ParameterSource

    return ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)
