"""msgsvc campaigns: a service's US A2P 10DLC campaign: see, register, change, wait for, remove."""

from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from msgsvc.cli.complete import complete_brands
from msgsvc.errors import ApiError, ExitCode, MsgsvcError, NotFoundError, UsageError
from msgsvc.cli.options import (
    DryRunOpt, FieldsOpt, JqOpt, JsonOpt, ProfileOpt, QuietOpt, ServiceArg, YesOpt, columns_help, duration, fields_option,
    as_typed, invalid, outcome_unknown_hint, use, wait_limits, with_field_options,
)
from msgsvc.api.resources import CAMPAIGN, KEEP, WRAP, Column

CampaignFieldsOpt = fields_option(CAMPAIGN.keys)
# `campaigns usecases`: within 60 columns, NAME (CODE says it) goes first, DESCRIPTION wraps.
USECASE_COLUMNS = (Column("CODE", "code", fit=KEEP), Column("NAME", "name", drop=1, spare=True),
                   Column("POST APPROVAL", "post_approval_required", fit=KEEP),
                   Column("DESCRIPTION", "description", fit=WRAP))
USECASE_KEYS = ("code", "name", "post_approval_required", "description")
UsecaseFieldsOpt = fields_option(USECASE_KEYS)

app = typer.Typer(
    help="A service's US A2P 10DLC campaign.\n\nRegister it, follow its review, change or remove it.\n\n"
    "Example:\n\n\b\n"
    "    msgsvc campaigns create Alerts --from-file campaign.toml\n"
    "    msgsvc campaigns wait Alerts --timeout 1h",
    no_args_is_help=True,
    rich_markup_mode=None,
)

# update takes the fields the API lets an update send
CAMPAIGN_UPDATE = replace(CAMPAIGN, fields=CAMPAIGN.update_fields)

FromFileOpt = Annotated[
    Optional[Path],
    typer.Option("--from-file", metavar="FILE", dir_okay=False, show_default=False,
                 help="Read the campaign's fields from a TOML file ('-' is standard input) whose keys are "
                      "these options' names (brand, usecase, description, message-flow, sample = [...], ...); "
                      "options given on the command line win."),
]


class CampaignFailed(MsgsvcError):
    """The campaign's review ended in FAILED: exit 1."""


class WaitTimedOut(MsgsvcError):
    """The campaign was still in review when --timeout ran out: exit 5."""

    exit_code = ExitCode.WAIT_TIMEOUT


def _service(client: Any, ref: str) -> tuple[str, str]:
    """(SID, friendly name) of the service named by SERVICE."""
    from msgsvc.api import validate
    from msgsvc.jobs.resolve import resolve_service

    sid = resolve_service(client, ref)
    if validate.canonical_sid(ref, "MG") is not None:
        return sid, str(client.get_service(sid).get("friendly_name") or "")
    return sid, ref


def _campaign_of(client: Any, sid: str, name: str, typed: str) -> dict:
    """The service's campaign; `typed` is how the user named the service (hints name it so)."""
    campaign = client.find_campaign(sid)
    if campaign is None:
        raise NotFoundError(
            f"{sid} ({name}) has no US A2P 10DLC campaign: it is not registered",
            hint=f"register one: msgsvc campaigns create {as_typed(typed)} --from-file campaign.toml",
        )
    return campaign


def _explain(term: Any, campaign: dict, typed: str) -> None:
    """On a terminal, a line saying where the campaign stands, and its errors; the commands it
    gives name the service as the user did (`typed`)."""
    from msgsvc.api.a2p import describe_errors, is_pending
    from msgsvc.cli.output import note

    status = campaign.get("campaign_status")
    sid, service = campaign.get("sid"), as_typed(typed)
    if is_pending(campaign):
        note(term, f"Campaign {sid} is {status}: in review. Follow it with: msgsvc campaigns wait {service}")
    elif status == "FAILED":
        note(term, f"Campaign {sid} FAILED review:")
        for line in describe_errors(campaign):
            note(term, f"  {term.escape(line)}")
        note(term, f"Fix the fields named, then resubmit: msgsvc campaigns update {service} ...")


def _values(resource: Any, from_file: Path | None, values: dict, term: Any) -> dict:
    """{param: value}: the file's ('-': standard input, `term`'s), then the options given on
    top. The file may hold every field of a campaign (the one `create` read): for `update`,
    those an update cannot change are left out, with a note on stderr."""
    merged: dict = {}
    if from_file is not None:
        import tomllib

        name = str(from_file)
        try:
            if name == "-":  # as the senders' --from-file - and send --body-file - are
                from msgsvc.atomic import read_text

                text, name = read_text(name, stdin=term.stdin)
            else:
                text = from_file.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except OSError as exc:
            raise UsageError(f"cannot read {from_file}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{from_file} is not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{name} is not valid TOML: {exc}") from None
        from msgsvc.api.a2p import values_from_file

        fields = CAMPAIGN.fields
        try:
            merged = values_from_file(
                data, {f.option[2:]: f.param for f in fields},
                lists=[f.param for f in fields if f.many], booleans=[f.param for f in fields if f.kind == "bool"],
            )
        except ValueError as exc:
            raise UsageError(f"{name}: {exc}") from None
        kept = {f.param for f in resource.fields}
        left_out = [CAMPAIGN.field(param).option[2:] for param in merged if param not in kept]
        if left_out:
            from msgsvc.cli.output import note

            note(term, f"{name}: not sent, since an update cannot change them: {', '.join(left_out)}")
        merged = {param: value for param, value in merged.items() if param in kept}
        problems = []
        for param, value in merged.items():  # the options' own checks, on the file's values: all of them
            field = resource.field(param)
            try:
                merged[param] = field.clean(value)
            except ValueError as exc:
                problems.append(f"{field.option[2:]}: {exc}")
        if len(problems) == 1:
            raise UsageError(f"{name}: {problems[0]}", hint="nothing was sent")
        if problems:
            raise UsageError(f"{len(problems)} problems in {name}:", hint="nothing was sent",
                             details=tuple("  " + problem for problem in problems))
    merged.update({param: value for param, value in values.items() if value is not None})
    return merged


def _check(verb: str, wire_values: dict, required: tuple[str, ...]) -> None:
    """Every rule of the definition, before anything is sent: exit 2 naming each."""
    from msgsvc.api.a2p import campaign_problems

    problems = campaign_problems(wire_values, required=required)
    if problems:
        options = {f.wire: f.option for f in CAMPAIGN.fields}
        raise UsageError(
            "invalid campaign: " + "; ".join(f"{options.get(p.field, p.field)} {p.message}" for p in problems),
            hint=f"see 'msgsvc campaigns {verb} --help'",
        )


def _change(state: Any, action: str, sid: str, target: str | None = None, form: list[tuple[str, str]] = ()) -> dict | None:
    """Send one change of the service's campaign, or print it for --dry-run (None then)."""
    from msgsvc.jobs.executor import send, send_checked
    from msgsvc.jobs.changes import Change, dry_run

    change = Change(action, CAMPAIGN.name, service=sid, target=target, inputs=(sid,), form=form)
    if state.dry_run:
        from msgsvc.cli.output import emit_plan

        emit_plan(state.term, dry_run([change], state.client().base()), as_json=state.json)
        return None
    return (send_checked if action == "create" else send)(state.client(), change)


def _wire(values: dict) -> dict:
    return {CAMPAIGN.field(param).wire: value for param, value in values.items()}


@app.command("get")
def campaigns_get(ctx: typer.Context, service: ServiceArg, fields: CampaignFieldsOpt = None, jq: JqOpt = None,
                  json_: JsonOpt = False, profile: ProfileOpt = None) -> None:
    """Show a service's campaign, every field.

    On a terminal, where its review stands and why it failed.

    No campaign is exit status 3 ("not registered").

    Example:

    \b
        msgsvc campaigns get Alerts
        msgsvc campaigns get MG0123456789abcdef0123456789abcdef --json |
            jq -r .campaign_status
    """
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=CAMPAIGN.keys, jq=jq)
    from msgsvc.cli.output import emit_record

    client = state.client()
    campaign = _campaign_of(client, *_service(client, service), service)
    emit_record(state.term, campaign, as_json=state.json, fields=state.fields, jq=state.jq)
    if state.term.stdout_tty and not state.json and not state.fields:
        _explain(state.term, campaign, service)


@app.command("create")
@with_field_options(CAMPAIGN)
def campaigns_create(ctx: typer.Context, service: ServiceArg, from_file: FromFileOpt = None, json_: JsonOpt = False,
                     profile: ProfileOpt = None, dry_run: DryRunOpt = False, quiet: QuietOpt = False, *,
                     values: dict) -> None:
    """Register a US A2P 10DLC campaign.

    On a service; prints it (PENDING: in review).

    Required: --brand, --usecase, --description (40 to 4096 characters), --message-flow
    (40 to 2048), --sample 2 to 5 times (20 to 1024 characters each), and
    --has-embedded-links/--no-has-embedded-links, --has-embedded-phone/--no-has-embedded-phone,
    from the options or from --from-file. Every rule is checked before anything is sent.
    'msgsvc brands list' shows the brands; 'msgsvc campaigns usecases SERVICE --brand BN...'
    the use cases a brand may register. 'msgsvc campaigns wait SERVICE' follows the review.

    Example:

    \b
        msgsvc campaigns create Alerts --from-file campaign.toml
        msgsvc campaigns create Alerts \\
            --brand BN0123456789abcdef0123456789abcdef \\
            --usecase ACCOUNT_NOTIFICATION \\
            --no-has-embedded-links --no-has-embedded-phone \\
            --description "Account alerts for customers of Example Corp." \\
            --message-flow "Customers opt in on example.com/alerts by a box." \\
            --sample "Example Corp: your password was changed." \\
            --sample "Example Corp: a new device signed in to your account."
    """
    from msgsvc.api.a2p import CREATE_REQUIRED

    wire_values = _wire(_values(CAMPAIGN, from_file, values, use(ctx).term))
    _check("create", wire_values, CREATE_REQUIRED)
    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, quiet=quiet)
    from msgsvc.cli.output import emit_record, note

    client = state.client()
    sid, name = _service(client, service)
    form = CAMPAIGN.form({CAMPAIGN_BY_WIRE[w].param: v for w, v in wire_values.items()})
    with outcome_unknown_hint(f"the campaign may or may not have been created; check with: msgsvc campaigns get {as_typed(service)}"):
        try:
            campaign = _change(state, "create", sid, form=form)
        except ApiError as error:
            if error.status == 400:
                _refused_create(client, sid, service, wire_values)
            raise
    if campaign is None:  # a dry run
        return
    emit_record(state.term, campaign, as_json=state.json)
    if not state.json:
        note(state.term, f"Registered campaign {campaign.get('sid')} on {sid} ({name}): {campaign.get('campaign_status')}. "
                         f"Follow its review with: msgsvc campaigns wait {as_typed(service)}")


def _refused_create(client: Any, sid: str, typed: str, wire_values: dict) -> None:
    """After Twilio refused a create (400), what msgsvc can say better, when it can: a brand
    not on the account is not found (exit 3, as in brands get); a use case the brand may not
    register is an invalid --usecase, with what was probably meant. Else nothing: the
    refusal is said as Twilio said it."""
    brand = wire_values["BrandRegistrationSid"]
    client.get_brand(brand)
    usecase = str(wire_values.get("UsAppToPersonUsecase"))
    try:
        codes = [str(u.get("code")) for u in client.campaign_usecases(sid, brand)]
    except MsgsvcError:
        return
    if codes and usecase not in codes:
        from msgsvc.suggest import did_you_mean

        meant = did_you_mean(usecase, codes) or f"see: msgsvc campaigns usecases {as_typed(typed)} --brand {brand}"
        raise invalid("--usecase", f"{usecase!r} is not a use case brand {brand} may register; {meant}")


CAMPAIGN_BY_WIRE = {f.wire: f for f in CAMPAIGN.fields}


@app.command("update")
@with_field_options(CAMPAIGN_UPDATE)
def campaigns_update(ctx: typer.Context, service: ServiceArg, from_file: FromFileOpt = None, json_: JsonOpt = False,
                     profile: ProfileOpt = None, dry_run: DryRunOpt = False, quiet: QuietOpt = False, *,
                     values: dict) -> None:
    """Change a campaign and submit it for review.

    The service's campaign goes to review again; prints it.

    Only the fields an update may change are options. Twilio requires the description, the
    message flow, the samples and the four flags on every update: those not given are sent
    as the campaign has them. Twilio accepts an update once the review is over (VERIFIED or
    FAILED); the campaign is then reviewed again, and --dry-run exits 1 while it is in review.
    --from-file takes the file create read: the fields an update cannot change are left
    out, with a note.

    Example:

    \b
        msgsvc campaigns update Alerts \\
            --description "Account alerts for the customers of Example Corp."
        msgsvc campaigns update Alerts --from-file campaign.toml
    """
    from msgsvc.api.a2p import UPDATE_REQUIRED, update_values

    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, quiet=quiet)
    changes = _wire(_values(CAMPAIGN_UPDATE, from_file, values, state.term))
    if not changes:
        raise UsageError("nothing to change: give at least one field option, or --from-file",
                         hint="see 'msgsvc campaigns update --help' for the options")
    _check("update", changes, ())
    from msgsvc.cli.output import emit_record, note

    client = state.client()
    sid, name = _service(client, service)
    current = _campaign_of(client, sid, name, service)
    wire_values = update_values(current, changes)
    _check("update", wire_values, UPDATE_REQUIRED)
    form = CAMPAIGN.form({CAMPAIGN_BY_WIRE[w].param: v for w, v in wire_values.items()})
    with outcome_unknown_hint(f"the change may or may not have been made; check with: msgsvc campaigns get {as_typed(service)}"):
        updated = _change(state, "update", sid, current["sid"], form)
    if updated is None:  # a dry run: it read the campaign, so it knows an update in review fails
        from msgsvc.api.a2p import is_pending

        if is_pending(current):
            from msgsvc.errors import MsgsvcError

            raise MsgsvcError(
                f"the update would fail: campaign {current.get('sid')} is {current.get('campaign_status')}, and "
                "Twilio accepts an update once its review is over (VERIFIED or FAILED)",
                hint=f"wait for the review: msgsvc campaigns wait {as_typed(service)}")
        return
    emit_record(state.term, updated, as_json=state.json)
    if not state.json:
        options = {f.wire: f.option[2:] for f in CAMPAIGN.fields}  # named as the options were given
        note(state.term, f"Updated campaign {updated.get('sid')} ({', '.join(options.get(w, w) for w in changes)}): "
                         f"{updated.get('campaign_status')}")


DELETE_WARNING = (
    "deleting campaign {campaign} stops US A2P 10DLC messaging from {sid} ({name}) at once; "
    "a new campaign needs a new review, which can take days"
)


@app.command("delete")
def campaigns_delete(ctx: typer.Context, service: ServiceArg, yes: YesOpt = False, dry_run: DryRunOpt = False,
                     quiet: QuietOpt = False, json_: JsonOpt = False, profile: ProfileOpt = None) -> None:
    """Delete a service's campaign.

    US messaging from its 10DLC numbers stops.

    Warns, then asks for confirmation in a terminal; needs --yes otherwise.

    Example:

    \b
        msgsvc campaigns delete Alerts
        msgsvc campaigns delete MG0123456789abcdef0123456789abcdef --yes
    """
    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, quiet=quiet)
    from msgsvc.cli.jobs import consent
    from msgsvc.cli.output import note, remark

    ask = consent(state, yes, "delete", what="a campaign")
    client = state.client()
    sid, name = _service(client, service)
    campaign = _campaign_of(client, sid, name, service)["sid"]
    if state.dry_run:
        _change(state, "delete", sid, campaign)
        return
    remark(state.term, "warning: " + DELETE_WARNING.format(campaign=campaign, sid=sid, name=name))
    ask(f"Delete campaign {campaign} of {sid} ({name})?")
    _change(state, "delete", sid, campaign)
    note(state.term, f"Deleted campaign {campaign} of {sid} ({name}); the service is no longer registered for US A2P 10DLC")


@app.command("wait")
def campaigns_wait(
    ctx: typer.Context,
    service: ServiceArg,
    timeout: Annotated[float, typer.Option("--timeout", metavar="DURATION", parser=duration, help="Give up after this long: 90s, 30m, 1h, 1h30m.")] = "30m",  # type: ignore[assignment]
    interval: Annotated[float, typer.Option("--interval", metavar="DURATION", parser=duration, help="Time between two looks at the campaign (at least 0.1s).")] = "30s",  # type: ignore[assignment]
    fields: CampaignFieldsOpt = None,
    jq: JqOpt = None,
    quiet: QuietOpt = False,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Wait until a campaign is VERIFIED or FAILED.

    A status msgsvc does not know is waited on. Prints the campaign.

    Exit status 0 when VERIFIED; 1 when FAILED (its errors on stderr); 5 when --timeout
    ran out first (the campaign still in review; waiting again is safe); 3 when the service
    has no campaign. Progress on stderr in a terminal.

    Example:

    \b
        msgsvc campaigns create Alerts --from-file campaign.toml &&
            msgsvc campaigns wait Alerts --timeout 2h
    """
    wait_limits(timeout, interval)
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=CAMPAIGN.keys, jq=jq, quiet=quiet)
    from msgsvc.api.a2p import StillPending, describe_errors, format_duration, is_known, wait_for_review
    from msgsvc.cli.output import emit_record, note, remark

    client = state.client()
    sid, name = _service(client, service)
    campaign_sid = _campaign_of(client, sid, name, service)["sid"]
    seen: list[str] = []
    told: list[str] = []  # the first status msgsvc did not know, once said

    def progress(campaign: dict, elapsed: float) -> None:
        status = str(campaign.get("campaign_status"))
        if not is_known(campaign) and not told:  # said once, then waited on
            told.append(status)
            remark(state.term, f"campaign {campaign_sid} has a status msgsvc does not know ({status}): "
                               "waiting on until VERIFIED or FAILED, or --timeout")
        if state.term.stderr_tty and (not seen or seen[-1] != status):
            note(state.term, f"{format_duration(int(elapsed)):>6}  campaign {campaign_sid}: {status}")
        seen.append(status)

    try:
        campaign = wait_for_review(lambda: client.get_campaign(sid, campaign_sid), timeout=timeout,
                                   interval=interval, on_poll=progress)
    except StillPending as pending:
        raise WaitTimedOut(
            f"campaign {campaign_sid} of {sid} ({name}) is still {pending.campaign.get('campaign_status')} "
            f"after {format_duration(timeout)}",
            hint=f"wait longer: msgsvc campaigns wait {as_typed(service)} --timeout 1h",
        ) from None
    emit_record(state.term, campaign, as_json=state.json, fields=state.fields, jq=state.jq)
    if campaign.get("campaign_status") != "VERIFIED":
        errors = "; ".join(state.term.escape(line) for line in describe_errors(campaign)) or "no errors given"
        raise CampaignFailed(
            f"campaign {campaign_sid} of {sid} ({name}) is {campaign.get('campaign_status')}: {errors}",
            hint=f"fix the fields named, then resubmit: msgsvc campaigns update {as_typed(service)} ...",
        )
    if not state.json:
        note(state.term, f"Campaign {campaign_sid} of {sid} ({name}) is VERIFIED")


@app.command("usecases")
def campaigns_usecases(
    ctx: typer.Context,
    service: ServiceArg,
    brand: Annotated[Optional[str], typer.Option("--brand", metavar="BN...", autocompletion=complete_brands, show_default=False, help="The brand registration whose use cases to show [default: every use case].")] = None,
    fields: UsecaseFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List the use cases a brand may register.

    The campaign use cases of a brand, on a service.

    The CODE is what --usecase of 'campaigns create' takes.

    {columns}

    Example:

    \b
        msgsvc campaigns usecases Alerts \\
            --brand BN0123456789abcdef0123456789abcdef
    """
    from msgsvc.api import validate

    if brand is not None:
        try:
            brand = validate.sid(brand, "BN")
        except ValueError as exc:
            raise invalid("--brand", str(exc)) from None
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=USECASE_KEYS, jq=jq)
    from msgsvc.local import cache
    from msgsvc.cli.output import emit_records

    client = state.client()
    sid, _ = _service(client, service)
    usecases = client.campaign_usecases(sid, brand)
    emit_records(state.term, usecases, USECASE_COLUMNS, as_json=state.json, fields=state.fields, jq=state.jq)
    cache.remember_table(state.cache_scope(), "campaign-usecases", {str(u.get("code")): str(u.get("name") or "") for u in usecases})



campaigns_usecases.__doc__ = campaigns_usecases.__doc__.replace("{columns}", columns_help(USECASE_COLUMNS, USECASE_KEYS))
