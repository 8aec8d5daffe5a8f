"""msgsvc services: create, get, list, update and delete Messaging Services."""

from contextlib import contextmanager
from typing import Annotated, Any, Iterator, Optional

import typer

from msgsvc import cache
from msgsvc.complete import complete_services
from msgsvc.errors import ExitCode, UsageError
from msgsvc.fields import SERVICE_COLUMNS, SERVICE_FIELDS, service_form
from msgsvc.options import DryRunOpt, JsonOpt, ProfileOpt, YesOpt, list_limit, use, with_field_options
from msgsvc.resolve import resolve_service

app = typer.Typer(
    help="Create, inspect, list, change and delete Messaging Services.\n\nExample:\n\n\b\n"
    "    msgsvc services list\n    msgsvc services get Alerts --json",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _check_service_ref(value: str) -> str:
    """Refuse, before any request, what is clearly a mistyped SID rather than a name."""
    import re

    from msgsvc import validate

    if value is not None and not validate.is_sid(value, "MG") and re.fullmatch(
        r"MG[0-9A-Za-z]{32}|MG[0-9a-fA-F]{20,}", value
    ):
        raise typer.BadParameter(
            f"{value!r} is not a Messaging Service SID (MG followed by 32 hexadecimal digits)"
        )
    return value


ServiceArg = Annotated[
    str,
    typer.Argument(metavar="SERVICE", help="An MG... service SID, or the exact friendly name of one service.",
                   callback=_check_service_ref, autocompletion=complete_services, show_default=False),
]


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
    form = service_form(values)
    with _outcome_unknown_hint(
        f"the service may or may not have been created; check before creating it again: "
        f"msgsvc services list --all, and look for the friendly name {form.get('FriendlyName', '')!r}"
    ):
        service = client.create_service(form)
    if state.dry_run:
        return emit_plan(state.term, client.planned, as_json=state.json)
    cache.remember(state, service)
    emit_record(state.term, service, as_json=state.json)
    if not state.json:
        note(state.term, f"Created {service.get('sid')} ({service.get('friendly_name')})")


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
    emit_record(state.term, cache.remember(state, client.get_service(resolve_service(client, service))), as_json=state.json)


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
    limit = list_limit(ctx, limit, all_)
    from msgsvc.output import emit_records

    shown = emit_records(state.term, state.client().list_services(limit=limit, page_size=page_size), SERVICE_COLUMNS, as_json=state.json)
    cache.remember_listing(state, shown, limit=limit)


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
    sid = resolve_service(client, service)
    with _outcome_unknown_hint(f"the change may or may not have been made; check with: msgsvc services get {sid}"):
        updated = client.update_service(sid, form)
    if state.dry_run:
        return emit_plan(state.term, client.planned, as_json=state.json)
    cache.remember(state, updated)
    emit_record(state.term, updated, as_json=state.json)
    if not state.json:
        note(state.term, f"Updated {updated.get('sid')} ({', '.join(form)})")


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
    from msgsvc.output import confirm, emit_plan, note

    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run)
    if not yes and not state.dry_run and not state.term.stdin_tty:
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
        return emit_plan(state.term, client.planned, as_json=state.json)
    if not yes:
        if not confirm(state.term, f"Delete {sid} ({name})?"):
            note(state.term, "Nothing deleted.")
            raise typer.Exit(ExitCode.USAGE)
    client.delete_service(sid)
    cache.forget(state, sid)
    note(state.term, f"Deleted {sid} ({name})")


@contextmanager
def _outcome_unknown_hint(hint: str) -> Iterator[None]:
    """A POST is never sent twice (the API has no idempotency key): when its answer was lost,
    or a gateway failed (500/502/504), say how to find out what happened."""
    from msgsvc.errors import ApiError, OutcomeUnknownError

    try:
        yield
    except OutcomeUnknownError as error:
        error.hint = hint
        raise
    except ApiError as error:
        if error.status in (500, 502, 504) and error.hint is None:
            error.hint = hint
        raise

