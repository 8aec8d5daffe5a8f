"""msgsvc tollfree: toll-free verification: which numbers may send, submit, fix, wait, remove."""

from pathlib import Path
from typing import Annotated, Any, List, Optional

import typer

from msgsvc.cli.complete import Choices, complete_services, complete_tollfree
from msgsvc.cli.options import (
    DEFAULT_CONCURRENCY, ConcurrencyOpt, DryRunOpt, JqOpt, JsonOpt, ProfileOpt, QuietOpt, YesOpt,
    as_typed, columns_help, duration, fewer_pages, fields_option, invalid, list_limit, list_options, outcome_unknown_hint, use,
    wait_limits,
)
from msgsvc.errors import MsgsvcError
from msgsvc.api.resources import KEEP, TRUNCATE, Column
from msgsvc.api.tollfree import STATUSES, VERIFICATION
from msgsvc.words import counted

app = typer.Typer(
    help="Toll-free verification of numbers.\n\nWhich toll-free numbers may send; submit them, fix a rejection, wait.\n\n"
    "Since 31 January 2024 Twilio blocks US and Canadian traffic from a toll-free number without an "
    "approved verification (error 30032).\n\n"
    "Example:\n\n\b\n"
    "    msgsvc tollfree status\n"
    "    msgsvc tollfree create +18005550100 +18885550101 \\\n        --from-file verification.toml\n"
    "    msgsvc tollfree wait +18005550100 --timeout 72h",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LimitOpt, AllOpt, PageSizeOpt = list_options("verifications")
VerificationFieldsOpt = fields_option(VERIFICATION.keys)
StatusFieldsOpt = fields_option(of="msgsvc.jobs.tollfree:STATUS_KEYS")  # jobs.tollfree is imported on use only

RefArg = Annotated[
    str,
    typer.Argument(metavar="VERIFICATION-OR-NUMBER", autocompletion=complete_tollfree, show_default=False,
                   help="An HH... verification SID, or a toll-free number (E.164, or its PN... SID): its newest record."),
]
FromFileOpt = Annotated[
    Path,
    typer.Option("--from-file", metavar="FILE", dir_okay=False, show_default=False,
                 help="The business and use-case details: a TOML file ('-' is standard input) whose keys "
                      "are the field names (business-name, business-website, use-case-category = [...], ...)."),
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", metavar="DURATION", parser=duration,
                                           help="Give up after this long: 90s, 30m, 1h, 1h30m.")]
IntervalOpt = Annotated[float, typer.Option("--interval", metavar="DURATION", parser=duration,
                                            help="Time between two looks at each verification (at least 0.1s).")]

# `tollfree status`: one row per number; the SENDS column says which ones Twilio blocks.
STATUS_COLUMNS = (
    Column("NUMBER", "phone_number", fit=KEEP),
    Column("SERVICE", "service", fit=TRUNCATE, drop=1),
    Column("STATUS", "status", fit=KEEP),
    Column("SENDS", "can_send", fit=KEEP),
    Column("NEXT", "next_step", fit=KEEP),
)


def _remember(state: Any, records: list[dict], *, complete: bool) -> None:
    """Verification SIDs and their numbers, for Tab completion."""
    from msgsvc.local import cache

    cache.remember_table(state.cache_scope(), "tollfree", {
        str(r.get("sid")): f"{r.get('tollfree_phone_number')} {r.get('status')}" for r in records}, replace=complete)


def _services(client: Any, refs: list[str]) -> list[tuple[str, str]]:
    from msgsvc.api import validate
    from msgsvc.jobs.resolve import resolve_service

    named = []
    for ref in refs:
        sid = resolve_service(client, ref)
        by_sid = validate.canonical_sid(ref, "MG") is not None
        named.append((sid, str(client.get_service(sid).get("friendly_name") or "") if by_sid else ref))
    return named


@app.command("status")
def tollfree_status(
    ctx: typer.Context,
    services: Annotated[Optional[List[str]], typer.Argument(metavar="[SERVICE]...", autocompletion=complete_services, show_default=False, help="Only the toll-free numbers of these services (MG... SIDs or exact names) [default: every toll-free number of the account].")] = None,
    fields: StatusFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Show each toll-free number, what to do next.

    Its service, its verification and the next step.

    One row per toll-free number of the account (or of the services named): the number, its
    service, the status of its newest verification (none without one), whether Twilio lets it
    send (SENDS: only TWILIO_APPROVED does), and what to do next: submit, wait, edit by
    <date> (a rejection within its edit window), delete and submit again, or none.

    {columns}

    Example:

    \b
        msgsvc tollfree status
        msgsvc tollfree status Alerts --json |
            jq -r '.[] | select(.can_send | not) | .phone_number'
    """
    from msgsvc.jobs.tollfree import STATUS_KEYS

    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=STATUS_KEYS, jq=jq)
    from msgsvc.api.senders import NUMBERS
    from msgsvc.cli.output import emit_records, note
    from msgsvc.cli.tollfree_review import utc_now
    from msgsvc.jobs.tollfree import status_rows

    client = state.client()
    named = _services(client, services) if services else None
    rows = status_rows(client, named, utc_now(), service_numbers=lambda mg: client.list_senders(NUMBERS, mg))
    emit_records(state.term, rows, STATUS_COLUMNS, as_json=state.json, fields=state.fields, jq=state.jq,
                 empty="No toll-free numbers" + (" in these services" if services else " on this account"))
    blocked = [r for r in rows if not r["can_send"]]
    if state.term.stdout_tty and not state.json and blocked:
        note(state.term, f"{len(blocked)} of {len(rows)} toll-free number{'s' if len(rows) != 1 else ''} cannot send to "
                         "the US and Canada until verified (30032): " + ", ".join(str(r["phone_number"]) for r in blocked))


@app.command("list")
def tollfree_list(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option("--status", metavar="STATUS", show_default=False, autocompletion=Choices(STATUSES).complete, help="Only the verifications in this status: PENDING_REVIEW, IN_REVIEW, TWILIO_APPROVED or TWILIO_REJECTED.")] = None,
    number: Annotated[Optional[str], typer.Option("--number", metavar="NUMBER", show_default=False, help="Only the verifications of this toll-free number (E.164 or PN...).")] = None,
    limit: LimitOpt = 50,
    all_: AllOpt = False,
    page_size: PageSizeOpt = None,
    fields: VerificationFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List the account's toll-free verifications.

    The first 50, or --limit N, or --all.

    {columns}

    Example:

    \b
        msgsvc tollfree list --status TWILIO_REJECTED
        msgsvc tollfree list --all --json |
            jq -r '.[] | [.tollfree_phone_number, .status] | @tsv'
    """
    from msgsvc.api.tollfree import STATUSES

    if status is not None and status.upper() not in STATUSES:
        raise invalid("--status", f"{status!r} is not one of {', '.join(STATUSES)}")
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=VERIFICATION.keys, jq=jq)
    limit = list_limit(ctx, limit, all_)
    from msgsvc.cli.output import emit_records
    from msgsvc.jobs.tollfree import number_sid, verifications

    client = state.client()
    params = {"Status": status.upper()} if status else {}
    if number is not None:
        params["TollfreePhoneNumberSid"] = number_sid(client, number)[0]
    with fewer_pages(page_size):
        shown = emit_records(state.term, verifications(client, params, limit=limit, page_size=page_size), VERIFICATION.columns,
                             as_json=state.json, fields=state.fields, jq=state.jq, plural="verifications",
                             empty="No toll-free verifications" + (" match" if params else " on this account"))
    _remember(state, shown, complete=not params and (limit is None or len(shown) < limit))


@app.command("get")
def tollfree_get(ctx: typer.Context, ref: RefArg, fields: VerificationFieldsOpt = None, jq: JqOpt = None,
                 json_: JsonOpt = False, profile: ProfileOpt = None) -> None:
    """Show one toll-free verification, every field.

    On a terminal, its reasons when rejected.

    A number with no verification is exit status 3.

    Example:

    \b
        msgsvc tollfree get +18005550100
        msgsvc tollfree get HH0123456789abcdef0123456789abcdef --json |
            jq -r .status
    """
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=VERIFICATION.keys, jq=jq)
    from msgsvc.cli.output import emit_record
    from msgsvc.cli.tollfree_review import explain
    from msgsvc.jobs.tollfree import find_record

    record = find_record(state.client(), ref)
    emit_record(state.term, record, as_json=state.json, fields=state.fields, jq=state.jq)
    _remember(state, [record], complete=False)
    if state.term.stdout_tty and not state.json and not state.fields:
        explain(state.term, record, ref)


@app.command("create")
def tollfree_create(
    ctx: typer.Context,
    numbers: Annotated[List[str], typer.Argument(metavar="NUMBER...", show_default=False, help="The toll-free numbers to verify (E.164, or PN... SIDs), all with the file's details.")],
    from_file: FromFileOpt,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    dry_run: DryRunOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Submit toll-free numbers for verification.

    One record each, with the same details.

    The file holds the business and use-case details; required: business-name,
    business-website, notification-email, use-case-category (a list), use-case-summary,
    production-message-sample, opt-in-image-url (a list), opt-in-type and message-volume.
    Every rule is checked before anything is sent, and every broken one reported with its
    line: the definition's required fields and choices, https URLs, e-mail addresses, E.164
    phone numbers, ISO country codes, and no public URL shortener (bit.ly, ...) in the
    samples. A number that has a verification already is reported as 'exists', never filed
    twice, with what fits its status: wait for the review, nothing (approved), update a
    rejection while it may be edited, or delete and create it again. A create whose answer
    was lost is looked up by its number before it is reported. One result per number; exit 1
    when some failed. 'msgsvc tollfree wait' follows the review.

    Example:

    \b
        msgsvc tollfree create +18005550100 +18885550101 \\
            --from-file verification.toml
    """
    from msgsvc.cli.tollfree_file import as_form, read_details

    values = read_details(from_file, create=True, stdin=use(ctx).term.stdin)
    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, quiet=quiet)
    import functools

    from msgsvc.cli import output
    from msgsvc.cli.jobs import finish, library_note, run
    from msgsvc.jobs import changes as plan
    from msgsvc.jobs.executor import Executor
    from msgsvc.jobs.tollfree import plan_creates, settle_creates

    client = state.client()
    planned = plan_creates(client, numbers, as_form(values, VERIFICATION.fields))
    failed = (plan.FAILED,)
    if state.dry_run:
        requests = plan.dry_run(planned.changes, client.base())
        outcomes = [plan.as_would(o) for o in planned.results([plan.would(c, r) for c, r in zip(planned.changes, requests)])]
        finish(state, [o.record() for o in outcomes], plan.RESULT_COLUMNS,
               summary=f"Dry run: {counted(len(planned.changes), 'request')} not sent; " + plan.summary(outcomes),
               failed=any(o.status == plan.WOULD_FAIL for o in outcomes))
        return
    executor = Executor(client, concurrency=concurrency, progress=functools.partial(output.progress, state.term),
                        note=library_note(state.term))
    outcomes, terminated = run(lambda: settle_creates(client, planned, executor.run(planned.changes)))
    if not state.json:  # what fits each: follow a review, nothing, fix a rejection, or file again
        from msgsvc.cli.tollfree_review import after_create

        for line in after_create(outcomes, planned.existing):
            output.note(state.term, line)
    finish(state, [o.record() for o in outcomes], plan.RESULT_COLUMNS, summary=plan.summary(outcomes),
           failed=any(o.status in failed for o in outcomes), stopped_by=executor.stopped_by,
           interrupted=executor.interrupted, terminated=terminated, left="numbers",
           again="run the same command again to finish: the numbers filed already are reported 'exists', not sent twice")


@app.command("update")
def tollfree_update(
    ctx: typer.Context,
    ref: RefArg,
    from_file: FromFileOpt,
    edit_reason: Annotated[str, typer.Option("--edit-reason", metavar="TEXT", show_default=False, help="What was fixed, for the reviewer (Twilio requires it to resubmit a rejection).")],
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    dry_run: DryRunOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Fix a rejected verification and resubmit it.

    Within its edit window; prints the record.

    Twilio takes an edit only of a TWILIO_REJECTED record whose edit_allowed is true, until
    its edit_expiration (seven days after the rejection); otherwise nothing is sent and the
    error says why, and what to do: delete it and create a new one. The file is create's:
    the fields an update cannot change (customer-profile-sid, external-reference-id) are left
    out, with a note.

    Example:

    \b
        msgsvc tollfree update +18005550100 --from-file verification.toml \\
            --edit-reason "Opt-in page fixed"
    """
    if not edit_reason.strip():
        raise invalid("--edit-reason", "it must not be empty")
    from msgsvc.cli.tollfree_file import as_form, read_details

    values = read_details(from_file, create=False, stdin=use(ctx).term.stdin)
    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, quiet=quiet)
    from msgsvc.api import tollfree as rules
    from msgsvc.cli.output import emit_plan, emit_record, note
    from msgsvc.cli.tollfree_review import instead_of_editing, utc_now, why_not_editable
    from msgsvc.jobs import changes as plan
    from msgsvc.jobs.executor import send
    from msgsvc.jobs.tollfree import find_record

    left_out = [f.option[2:] for f in VERIFICATION.fields if f.wire in values and f.wire not in VERIFICATION.updatable]
    if left_out:
        shown = "standard input" if str(from_file) == "-" else from_file
        note(state.term, f"{shown}: not sent, since an update cannot change them: {', '.join(left_out)}")
    client = state.client()
    record = find_record(client, ref)
    sid, number = str(record.get("sid")), record.get("tollfree_phone_number")
    now = utc_now()
    if not rules.can_edit(record, now):
        raise MsgsvcError(f"verification {sid} of {number} cannot be edited: {why_not_editable(record, now)}",
                          hint=instead_of_editing(record, sid, number, ref))
    form = as_form({**values, rules.EDIT_REASON.wire: edit_reason}, VERIFICATION.update_fields)
    change = plan.Change(plan.UPDATE, VERIFICATION.name, target=sid, inputs=(str(number or sid),), form=form)
    if state.dry_run:
        emit_plan(state.term, plan.dry_run([change], client.base()), as_json=state.json)
        return
    with outcome_unknown_hint(f"the edit may or may not have been sent; check with: msgsvc tollfree get {as_typed(ref)}"):
        updated = send(client, change)
    emit_record(state.term, updated, as_json=state.json)
    if not state.json:
        note(state.term, f"Resubmitted verification {sid} of {number}: {updated.get('status')}. "
                         f"Follow it with: msgsvc tollfree wait {as_typed(ref)}")


@app.command("delete")
def tollfree_delete(ctx: typer.Context, ref: RefArg, yes: YesOpt = False, dry_run: DryRunOpt = False,
                    quiet: QuietOpt = False, json_: JsonOpt = False, profile: ProfileOpt = None) -> None:
    """Delete a toll-free verification.

    To file the number again after a final rejection.

    An approved number stops sending to the US and Canada at once. Asks for confirmation in a
    terminal; needs --yes otherwise.

    Example:

    \b
        msgsvc tollfree delete +18005550100
        msgsvc tollfree delete HH0123456789abcdef0123456789abcdef --yes
    """
    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, quiet=quiet)
    from msgsvc.api import tollfree as rules
    from msgsvc.cli.jobs import consent
    from msgsvc.cli.output import emit_plan, note, remark
    from msgsvc.jobs import changes as plan
    from msgsvc.jobs.executor import send
    from msgsvc.jobs.tollfree import find_record

    ask = consent(state, yes, "delete", what="a toll-free verification")
    client = state.client()
    record = find_record(client, ref)
    sid, number, status = str(record.get("sid")), record.get("tollfree_phone_number"), record.get("status")
    change = plan.Change(plan.DELETE, VERIFICATION.name, target=sid, inputs=(str(number or sid),))
    if state.dry_run:
        emit_plan(state.term, plan.dry_run([change], client.base()), as_json=state.json)
        return
    if status == rules.APPROVED:
        remark(state.term, f"warning: {number} is approved: deleting its verification blocks its US and Canadian "
                           "traffic at once (30032), and a new one needs a new review")
    ask(f"Delete verification {sid} of {number} ({status})?")
    send(client, change)
    from msgsvc.local import cache

    seen = cache.load_table(state.cache_scope(), "tollfree")  # completion forgets the record
    if seen.pop(sid, None) is not None:
        cache.remember_table(state.cache_scope(), "tollfree", seen)
    from msgsvc.api.validate import number_to_paste

    note(state.term, f"Deleted verification {sid} of {number}; "
                     f"submit it again with: msgsvc tollfree create {number_to_paste(number)} --from-file FILE")


@app.command("wait")
def tollfree_wait(
    ctx: typer.Context,
    refs: Annotated[List[str], typer.Argument(metavar="VERIFICATION-OR-NUMBER...", autocompletion=complete_tollfree, show_default=False, help="HH... verification SIDs or toll-free numbers (E.164 or PN...).")],
    timeout: TimeoutOpt = "30m",  # type: ignore[assignment]
    interval: IntervalOpt = "30s",  # type: ignore[assignment]
    fields: VerificationFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Wait until each verification leaves review.

    Review is PENDING_REVIEW, IN_REVIEW; prints the records.

    Exit status 0 when every one is TWILIO_APPROVED; 1 when one is TWILIO_REJECTED (its
    reasons and the time left to edit it on stderr, with a warning when fewer than 48 hours
    are left); 5 when --timeout ran out first (waiting again is safe); 3 when a number has
    no verification. Progress on stderr in a terminal.

    Example:

    \b
        msgsvc tollfree create +18005550100 --from-file verification.toml &&
            msgsvc tollfree wait +18005550100 --timeout 72h
    """
    wait_limits(timeout, interval)
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=VERIFICATION.keys, jq=jq)
    from msgsvc.cli.output import emit_records, note
    from msgsvc.cli.tollfree_review import ending, wait_for_reviews

    settled = wait_for_reviews(state, state.client(), refs, timeout=timeout, interval=interval)
    emit_records(state.term, settled, VERIFICATION.columns, as_json=state.json, fields=state.fields, jq=state.jq)
    _remember(state, settled, complete=False)
    ending(state.term, settled)
    if not state.json:
        note(state.term, "Approved: " + ", ".join(str(r.get("tollfree_phone_number")) for r in settled))


tollfree_status.__doc__ = tollfree_status.__doc__.replace("{columns}", columns_help(STATUS_COLUMNS))
tollfree_list.__doc__ = tollfree_list.__doc__.replace("{columns}", columns_help(VERIFICATION.columns, VERIFICATION.keys))
