"""msgsvc services: create, get, list, update and delete Messaging Services."""

from typing import Annotated, Any

import typer

from msgsvc.local import cache
from msgsvc.cli import listing
from msgsvc.cli.jobs import A2P_WARNING, consent
from msgsvc.errors import UsageError
from msgsvc.cli.options import (
    DryRunOpt, JqOpt, JsonOpt, ProfileOpt, QuietOpt, ServiceArg, ServicesArg, YesOpt, as_typed, columns_help, declared,
    fields_option, list_options, outcome_unknown_hint, use, with_field_options,
)
from msgsvc.api.resources import KEEP, SERVICE, WRAP, Column
from msgsvc.jobs.resolve import resolve_service

app = typer.Typer(
    help="Create, show, list, change, delete services.\n\nCreate, inspect, list, change and delete Messaging Services.\n\nExample:\n\n\b\n"
    "    msgsvc services list\n    msgsvc services get Alerts --json",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LimitOpt, AllOpt, PageSizeOpt = list_options("services")
ServiceFieldsOpt = fields_option(SERVICE.keys)
USECASE_COLUMNS = (Column("USECASE", "usecase", fit=KEEP), Column("PURPOSE", "purpose"),
                   Column("DESCRIPTION", "description", fit=WRAP))  # what each is for: wrapped, never cut
USECASE_KEYS = ("usecase", "purpose", "description")
UsecaseFieldsOpt = fields_option(USECASE_KEYS)
RESULT_KEYS = ("input", "sid", "status", "code", "message")  # jobs.changes.RESULT_KEYS, without importing it on a Tab
ResultFieldsOpt = fields_option(RESULT_KEYS)


AllowDuplicateNameOpt = Annotated[bool, typer.Option(
    "--allow-duplicate-name", help="Create the service even when another already has its friendly name.")]


@app.command("create")
@with_field_options(SERVICE, required=("FriendlyName",))
def services_create(ctx: typer.Context, allow_duplicate_name: AllowDuplicateNameOpt = False, json_: JsonOpt = False,
                    profile: ProfileOpt = None, dry_run: DryRunOpt = False, quiet: QuietOpt = False, *,
                    values: dict) -> None:
    """Create a Messaging Service; print it.

    Only the options given are sent; Twilio applies its defaults to the rest. A friendly
    name another service already has is refused (exit 2; the services are listed first),
    unless --allow-duplicate-name: a name of two services can no longer name either.

    Example:

    \b
        msgsvc services create --friendly-name "Alerts" --usecase notifications \\
            --inbound-request-url https://example.com/sms --sticky-sender
    """
    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, quiet=quiet)
    from msgsvc.cli.output import emit_record, note
    from msgsvc.jobs.changes import CREATE, Change
    from msgsvc.jobs.resolve import Services, refuse_taken_name

    client = state.client()
    name = values["friendly_name"]
    form = SERVICE.form(values)
    change = Change(CREATE, SERVICE.name, inputs=(name,), form=form)
    services = Services(client.list_services())
    if not allow_duplicate_name:
        refuse_taken_name(services, name)
    if state.dry_run:
        return _dry_run(state, change)
    with outcome_unknown_hint(
        f"the service may or may not have been created; check before creating it again: "
        f"msgsvc services list --all, and look for the friendly name {name!r}"
    ):
        from msgsvc.jobs.executor import send_checked

        service = send_checked(client, change, existing=[str(s.get("sid")) for s in services.named(name)])
    cache.remember(state.cache_scope(), service)
    emit_record(state.term, service, as_json=state.json)
    if not state.json:
        note(state.term, f"Created {service.get('sid')} ({service.get('friendly_name')})")


@app.command("get")
def services_get(ctx: typer.Context, service: ServiceArg, fields: ServiceFieldsOpt = None, jq: JqOpt = None,
                 json_: JsonOpt = False, profile: ProfileOpt = None) -> None:
    """Show one Messaging Service, every field.

    In a pipe: one 'field<TAB>value' line per field, in the API's order (links only in
    --json). --fields takes
    any of the API's snake_case names: {fields}.

    Example:

    \b
        msgsvc services get MG0123456789abcdef0123456789abcdef
        msgsvc services get "Alerts" --json
        msgsvc services get Alerts --jq .inbound_request_url
    """
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=SERVICE.keys, jq=jq)
    from msgsvc.cli.output import emit_record

    client = state.client()
    record = cache.remember(state.cache_scope(), client.get_service(resolve_service(client, service)))
    emit_record(state.term, record, as_json=state.json, fields=state.fields, jq=state.jq)
    if record.get("us_app_to_person_registered") and not state.json and not state.fields and state.term.stdout_tty:
        _campaign_line(state.term, client, record, service)
    if not state.json and not state.fields and state.term.stdout_tty:
        _tollfree_line(state.term, client, record, service)


def _tollfree_line(term, client, record: dict, typed: str) -> None:
    """On a terminal, one line about the service's toll-free numbers, when it has any: how
    many, how many verified (one or two more requests; a failure to read them is said, not raised)."""
    from msgsvc.cli.output import note
    from msgsvc.errors import MsgsvcError
    from msgsvc.jobs.tollfree import service_summary

    sid = record.get("sid")
    try:
        total, verified = service_summary(client, str(sid))
    except MsgsvcError as error:
        note(term, f"Toll-free: not read ({term.escape(error.message)})")
        return
    if total:
        numbers = "1 toll-free number" if total == 1 else f"{total} toll-free numbers"
        blocked = f"; {total - verified} cannot send until verified" if verified < total else ""
        note(term, f"Toll-free: {numbers}, {verified} verified{blocked}; see msgsvc tollfree status {as_typed(typed)}")


def _campaign_line(term, client, record: dict, typed: str) -> None:
    """On a terminal, one line about the service's US A2P 10DLC campaign (one more request)."""
    from msgsvc.cli.output import note

    sid = record.get("sid")
    campaign = client.find_campaign(sid)
    if campaign is None:
        note(term, f"US A2P 10DLC: registered, but no campaign is listed; see msgsvc campaigns get {as_typed(typed)}")
        return
    note(term, f"US A2P 10DLC: campaign {campaign.get('sid')} {campaign.get('campaign_status')} "
               f"({campaign.get('us_app_to_person_usecase')}); see msgsvc campaigns get {as_typed(typed)}")


services_list = app.command("list")(declared(
    listing.services_list, limit=LimitOpt, all_=AllOpt, page_size=PageSizeOpt, fields=ServiceFieldsOpt, jq=JqOpt,
    json_=JsonOpt, profile=ProfileOpt))


@app.command("usecases")
def services_usecases(ctx: typer.Context, fields: UsecaseFieldsOpt = None, jq: JqOpt = None, json_: JsonOpt = False,
                      profile: ProfileOpt = None) -> None:
    """List the values --usecase takes.

    With what each is for: a service's usecase field says what it is used for.

    {columns}

    Example:

    \b
        msgsvc services usecases
    """
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=USECASE_KEYS, jq=jq)
    from msgsvc.cli.output import emit_records

    usecases = state.client().service_usecases()
    emit_records(state.term, usecases, USECASE_COLUMNS, as_json=state.json, fields=state.fields, jq=state.jq)
    cache.remember_table(state.cache_scope(), "service-usecases", {str(u.get("usecase")): str(u.get("purpose") or "") for u in usecases})


@app.command("update")
@with_field_options(SERVICE)
def services_update(ctx: typer.Context, service: ServiceArg, json_: JsonOpt = False, profile: ProfileOpt = None, dry_run: DryRunOpt = False,
                    quiet: QuietOpt = False, *, values: dict) -> None:
    """Change a Messaging Service; print the result.

    Only the options given are sent.

    Example:

    \b
        msgsvc services update "Alerts" --validity-period 600 --no-sticky-sender
        msgsvc services update Alerts --fallback-url ""
    """
    form = SERVICE.form(values)
    if not form:
        raise UsageError(
            "nothing to change: give at least one field option",
            hint="see 'msgsvc services update --help' for the options",
        )
    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, quiet=quiet)
    from msgsvc.cli.output import emit_record, note
    from msgsvc.jobs.changes import UPDATE, Change

    client = state.client()
    sid = resolve_service(client, service)
    change = Change(UPDATE, SERVICE.name, service=sid, target=sid, inputs=(service,), form=form)
    if state.dry_run:
        return _dry_run(state, change)
    with outcome_unknown_hint(f"the change may or may not have been made; check with: msgsvc services get {as_typed(service)}"):
        updated = _send(client, change)
    cache.remember(state.cache_scope(), updated)
    emit_record(state.term, updated, as_json=state.json)
    if not state.json:  # named as the options were given: fallback-url, not FallbackUrl
        options = {f.wire: f.option[2:] for f in SERVICE.fields}
        note(state.term, f"Updated {updated.get('sid')} ({', '.join(dict.fromkeys(options.get(wire, wire) for wire, _ in form))})")


services_list.__doc__ = services_list.__doc__.replace("{columns}", columns_help(SERVICE.columns, SERVICE.keys))
services_usecases.__doc__ = services_usecases.__doc__.replace("{columns}", columns_help(USECASE_COLUMNS, USECASE_KEYS))
services_get.__doc__ = services_get.__doc__.replace("{fields}", ", ".join(SERVICE.keys))


@app.command("delete")
def services_delete(
    ctx: typer.Context,
    services: ServicesArg,
    yes: YesOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Delete even a service registered for US A2P 10DLC.")] = False,
    dry_run: DryRunOpt = False,
    fields: ResultFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Delete Messaging Services.

    Their phone numbers and short codes return to the account. Every SERVICE is found
    first: one that names no service deletes none. Asks for confirmation in a terminal;
    needs --yes otherwise. A service registered for US A2P 10DLC is refused unless --force
    is given, since deleting it deletes the campaign. One SERVICE is said on a line
    (`Deleted MG... (Alerts)`); several get one result each, as detach gives, and exit 1
    when one failed.

    Example:

    \b
        msgsvc services delete MG0123456789abcdef0123456789abcdef --yes
        msgsvc services delete "Staging alerts" "Old promos"
    """
    from msgsvc.cli.output import note
    from msgsvc.jobs.changes import DELETE, Change

    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, fields=fields, valid=RESULT_KEYS, jq=jq, quiet=quiet)
    ask = consent(state, yes, "delete")
    client = state.client()
    targets: dict[str, tuple[str, Any]] = {}  # sid -> (as typed, its friendly name), in input order
    guarded = []
    for typed in services:
        sid = resolve_service(client, typed)
        if sid in targets:
            continue
        current = client.get_service(sid)
        targets[sid] = (typed, current.get("friendly_name"))
        if current.get("us_app_to_person_registered"):
            guarded.append(sid)
    if guarded and not force:
        more = f" (and {len(guarded) - 1} more)" if len(guarded) > 1 else ""
        raise UsageError(A2P_WARNING.format(sid=guarded[0], name=targets[guarded[0]][1]) + more,
                         hint="if that is really what you want, add --force")
    changes = [Change(DELETE, SERVICE.name, service=sid, target=sid, inputs=(typed,)) for sid, (typed, _) in targets.items()]
    if state.dry_run:
        return _dry_run(state, *changes)
    named = ", ".join(f"{sid} ({name})" for sid, (_, name) in targets.items())
    if len(changes) == 1:
        ask(f"Delete {named}?")
        sid, (_, name) = next(iter(targets.items()))
        _, said = _delete(state, changes[0])
        note(state.term, f"Deleted {sid} ({name})" + (f"; {said}" if said else ""))
        return
    ask(f"Delete these {len(changes)} services: {named}?")
    _delete_each(state, changes)


def _delete(state: Any, change: Any) -> tuple[bool, str]:
    """Delete one service; (whether the DELETE found it gone already, what to say of it).
    A 404: it was there a moment ago, so an attempt whose answer was lost (then retried: the
    client says so, and it is `deleted`), or someone else, deleted it; either way it is gone,
    as asked. Another refusal is checked, since the attempt before its retry may have been done."""
    from msgsvc.errors import ApiError

    try:
        _send(state.client(), change)
        gone, said = False, ""
    except ApiError as error:
        if error.status != 404:
            from msgsvc.jobs.changes import DELETED
            from msgsvc.jobs.executor import refused_delete

            checked = refused_delete(state.client(), change, error)
            if checked.status != DELETED:
                raise
            gone, said = False, checked.message or ""
        elif error.retried_after is not None:  # the attempt before its retry was done
            gone, said = False, f"retried after {error.retried_after}: it is gone (an earlier attempt was done)"
        else:
            gone, said = True, "the DELETE found it already gone"
    cache.forget(state.cache_scope(), change.target)
    return gone, said


def _delete_each(state: Any, changes: list) -> None:
    """Several deletes, one after the other, each with its result: deleted, not found (gone
    already), failed; a 401/403 stops the rest (not sent); after Ctrl-C or SIGTERM the one in
    flight is unknown and the rest not sent."""
    from msgsvc.cli.jobs import finish, run
    from msgsvc.errors import MsgsvcError
    from msgsvc.jobs import changes as job
    from msgsvc.jobs.changes import DELETED, NOT_FOUND, NOT_SENT, UNDONE, UNKNOWN, Outcome

    outcomes: list[Outcome] = []
    stopped: list[MsgsvcError] = []
    interrupted = [False]

    def work() -> None:
        for change in changes:
            typed, sid = change.shown, change.target
            if stopped or interrupted[0]:
                outcomes.append(Outcome(typed, sid, NOT_SENT))
                continue
            try:
                gone, said = _delete(state, change)
                outcomes.append(Outcome(typed, sid, NOT_FOUND if gone else DELETED, None, said or None))
            except KeyboardInterrupt:
                interrupted[0] = True
                outcomes.append(Outcome(typed, sid, UNKNOWN, None, "interrupted: it may or may not have been deleted"))
            except MsgsvcError as error:
                outcomes.append(job.failure(typed, sid, error))
                if job.fatal(error):
                    stopped.append(error)

    _, terminated = run(work)
    finish(state, [o.record() for o in outcomes], job.RESULT_COLUMNS, summary=job.summary(outcomes),
           failed=any(o.status in UNDONE for o in outcomes), stopped_by=stopped[0] if stopped else None,
           interrupted=interrupted[0], terminated=terminated, left="services",
           again="run the same delete again to finish: a service already gone is said so")


def _dry_run(state: Any, *changes: Any) -> None:
    """Print the requests the changes stand for; send nothing."""
    from msgsvc.cli.output import emit_plan
    from msgsvc.jobs.changes import dry_run

    emit_plan(state.term, dry_run(list(changes), state.client().base()), as_json=state.json)


def _send(client: Any, change: Any) -> Any:
    from msgsvc.jobs.executor import send

    return send(client, change)
