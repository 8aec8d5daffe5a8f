"""msgsvc numbers: a service's phone numbers, with the commands every kind of sender has
(attach, detach, list, get: msgsvc/cli/sender_commands.py), and the account's numbers and
short codes: where each is (list --account, --free), which service holds one (find), and
moving them to another service (move).

No `from __future__ import annotations` here: Typer must see the option types as objects.
"""

import functools
from typing import Annotated, List, Optional

import typer

from msgsvc.errors import ExitCode, UsageError
from msgsvc.cli.options import (
    DEFAULT_CONCURRENCY, ConcurrencyOpt, DryRunOpt, JqOpt, JsonOpt, OptionalServiceArg, ProfileOpt, QuietOpt,
    ToServiceOpt, YesOpt, as_typed, declared, fields_option, given, use,
)
from msgsvc.cli import listing
from msgsvc.cli.jobs import consent, finish, library_note, run
from msgsvc.cli.sender_commands import (
    RESULT_FIELDS, AllOpt, FromFileOpt, LimitOpt, PageSizeOpt, ResultFieldsOpt, forget_attached, make_app,
    named_service, read_refs, remember_attached, sender_commands, sentence_for,
)
from msgsvc.api.senders import NUMBERS, SHORT_CODES, Ref, SenderKind

AccountOpt = Annotated[bool, typer.Option("--account", help="List the account's phone numbers and short codes "
                                          "(not one service's), with the service that holds each.")]
FreeOpt = Annotated[bool, typer.Option("--free", help="Only the account's numbers and short codes that are in no "
                                       "service: what attach can take (implies --account).")]
# The inventory's keys (msgsvc.setup.read.INVENTORY_COLUMNS), for --fields' Tab.
INVENTORY_FIELDS = ("number", "kind", "sid", "capabilities", "service_sid", "service_name")
InventoryFieldsOpt = fields_option(tuple(dict.fromkeys((*NUMBERS.keys, *INVENTORY_FIELDS))))
INVENTORY_HELP = (
    "With --account (no SERVICE): the account's phone numbers, then its short codes, each with "
    "the service that holds it, from the account's lists and one listing per service (up to "
    "--concurrency at once); --free shows only those in no service. Columns (the TSV's order): "
    "number, kind ('phone number' or 'short code'), sid, capabilities, service_sid, service_name "
    "(empty for one in no service); a short code's capabilities are known only in a service. On "
    "a narrow terminal service_sid, then sid, then kind are hidden first. --fields takes any of "
    "these."
)


# --- numbers list: a service's numbers, or the account's ------------------------------------------

_NUMBERS_COMMANDS = sender_commands(NUMBERS)
_service_list_help = _NUMBERS_COMMANDS["list"][1]


numbers_list = declared(
    listing.numbers_list, service=OptionalServiceArg, account=AccountOpt, free=FreeOpt, concurrency=ConcurrencyOpt,
    limit=LimitOpt, all_=AllOpt, page_size=PageSizeOpt, fields=InventoryFieldsOpt, jq=JqOpt, json_=JsonOpt,
    profile=ProfileOpt)


NUMBERS_HELP = "E.164 numbers (+15017122661), short codes (55501), or their PN... or SC... SIDs."  # find, move


# --- numbers find --------------------------------------------------------------------------


FindFieldsOpt = fields_option(of="msgsvc.setup.read:FIND_COLUMNS")  # setup.read is imported on use only


def numbers_find(
    ctx: typer.Context,
    values: Annotated[List[str], typer.Argument(metavar="NUMBER...", show_default=False, help=NUMBERS_HELP)],
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    fields: FindFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Find which service holds each number.

    The API has no reverse look-up: this lists the services and their phone numbers (and
    short codes, when one is asked for), concurrently. Prints input, SID, number (or short
    code), service SID and service name (empty for one in no service). A number the account
    does not own is reported on stderr and the exit status is 3. 'msgsvc numbers list
    --account' shows every one of them.

    Example:

    \b
        msgsvc numbers find +15017122661 55501 PN0123456789abcdef0123456789abcdef
    """
    from msgsvc.setup import read as setup_read

    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=[c.key for c in setup_read.FIND_COLUMNS], jq=jq)
    refs = [_number_or_short_code(value) for value in values]
    kinds = {ref: _kind_of(ref) for ref in refs}
    from msgsvc.cli import output

    term = state.term
    rows, missing = setup_read.find_numbers(state.client(), refs, concurrency=concurrency,
                                            kinds=kinds,
                                            progress=functools.partial(output.progress, term))
    columns = setup_read.FIND_COLUMNS
    output.emit_records(term, rows, columns, as_json=state.json, fields=state.fields, jq=state.jq)
    for ref in missing:
        output.remark(term, f"{term.escape(ref.raw)} is not a {'number' if kinds[ref] is NUMBERS else 'short code'} "
                            "on this account")
    if missing:
        raise typer.Exit(ExitCode.NOT_FOUND)


def _number_or_short_code(value: str, *, hint: Optional[str] = "nothing was sent") -> Ref:
    """A phone number's or a short code's Ref (_kind_of tells which): an SC... SID or 3 to 8
    digits is a short code (SenderKind.parse's rule), anything else a phone number; a usage
    error, before anything is sent, for what is neither."""
    try:
        return _parse_either(value)
    except ValueError as exc:
        raise UsageError(sentence_for(value, exc), hint=hint) from None


def _parse_either(value: str) -> Ref:
    try:
        return NUMBERS.parse(value, attach=False)
    except ValueError as exc:
        try:
            return SHORT_CODES.parse(value, attach=False)
        except ValueError:
            raise exc from None


def _kind_of(ref: Ref) -> SenderKind:
    """A short code's Ref names it by SC SID or by digits without '+'."""
    return SHORT_CODES if (ref.sid or "").startswith("SC") or (ref.e164 and not ref.e164.startswith("+")) else NUMBERS


# --- numbers move ------------------------------------------------------------------------------


def numbers_move(
    ctx: typer.Context,
    to: ToServiceOpt,
    values: Annotated[Optional[List[str]], typer.Argument(metavar="NUMBER...", show_default=False,
                                                          help=NUMBERS_HELP)] = None,
    from_file: FromFileOpt = None,
    yes: YesOpt = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    dry_run: DryRunOpt = False,
    fields: ResultFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Move numbers and short codes to a service.

    Each is detached from the service that holds it and attached to --to SERVICE, as apply
    moves: when that attach fails (the pool is full, 21714), the number is put back where it
    was and its result is 'failed' with why; when putting it back fails too, the result is
    'half done' and says where the number is. One in no service is attached; one in SERVICE
    already is 'already attached'; one the account does not own fails. Moving a number out
    of or into a service registered for US A2P 10DLC starts a carrier re-registration and
    loses its sticky-sender mappings: said before anything is sent. Asks for confirmation in
    a terminal; needs --yes otherwise. Exits 1 if any move failed, was half done or unknown.
    Each move is recorded on disk before its detach: a run killed between the detach and
    the attach is reported by the next move, plan, apply or doctor; a move that cannot be
    recorded is not sent.

    Results (the TSV's order, no header): input, sid, status, code, message. --dry-run
    reports the same, one result per value ('would move' from the service named in its
    message, 'would attach' with its request, 'would fail' for a number without SMS), adds
    each value's requests to --json (the detach and the attach of a move), and exits 1 when
    one would fail.

    Example:

    \b
        msgsvc numbers move +15017122661 55501 --to OTP
        msgsvc numbers move --from-file numbers.txt --to OTP --dry-run --json
    """
    state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, fields=fields, valid=RESULT_FIELDS, jq=jq,
                quiet=quiet)
    refs = read_refs(state.term, NUMBERS, values, from_file, attach=False, parse=_parse_either)
    ask = consent(state, yes, "move")
    from msgsvc.cli import output
    from msgsvc.jobs import changes as plan
    from msgsvc.setup import move as moving

    term = state.term
    client = state.client()
    from msgsvc.cli import journal

    journal.check(state, concurrency=concurrency)
    progress = functools.partial(output.progress, term)
    planned = moving.plan_move(client, refs, {ref: _kind_of(ref) for ref in refs}, to, concurrency=concurrency,
                               progress=progress)
    for text in planned.notes:  # on stderr, before anything is sent: said once, never data
        output.report(term, f"warning: {text}")
    if state.dry_run:
        foreseen = moving.dry_run(client, planned, concurrency=concurrency, progress=progress)
        outcomes = [outcome for outcome, _ in foreseen]
        sent = sum(len(requests) for _, requests in foreseen)
        finish(state, [dict(o.record(), requests=requests) for o, requests in foreseen], plan.RESULT_COLUMNS,
               summary=f"Dry run: {plan.requests(sent)} not sent; " + plan.summary(outcomes),
               failed=any(o.status == plan.WOULD_FAIL for o in outcomes))
        return
    if planned.pending:
        count = "1 number" if planned.pending == 1 else f"{planned.pending} numbers"
        ask(f"Move {count} to {named_service(to, planned.target.sid)}?")
    from msgsvc.jobs.executor import Executor

    executor = Executor(client, concurrency=concurrency, progress=progress, note=library_note(term))
    book = journal.journal(state)
    outcomes, terminated = run(lambda: moving.send(executor, planned, book))
    added: dict = {}  # detach's Tab: the cache of each service's senders follows the moves
    gone: dict = {}
    for step, outcome in zip(planned.steps, outcomes):
        kind = _kind_of(step.ref)
        if step.same_as is None and outcome.sid and outcome.status in (plan.MOVED, plan.ATTACHED, plan.ALREADY_ATTACHED):
            added.setdefault(kind, []).append({"sid": outcome.sid, kind.value_key: outcome.input})
        if step.move is not None and outcome.status in (plan.MOVED, plan.HALF_DONE):
            gone.setdefault((kind, step.move.source), []).append(step.move.sid)
    for kind, records in added.items():
        remember_attached(state, kind, planned.target.sid, records, replace=False)
    for (kind, source), sids in gone.items():
        forget_attached(state, kind, source, sids)
    finish(state, [o.record() for o in outcomes], plan.RESULT_COLUMNS, summary=plan.summary(outcomes),
           failed=any(o.status in plan.UNDONE or (o.status == plan.NOT_SENT and o.message) for o in outcomes),
           stopped_by=executor.stopped_by, interrupted=executor.interrupted, terminated=terminated, left="numbers",
           again="run the same command again to finish: what is done already is reported, not sent twice",
           reported=book.clear)


# Numbers are also the account's inventory: its numbers and short codes, and where each is.
app = make_app(NUMBERS, {**_NUMBERS_COMMANDS, "list": (numbers_list, _service_list_help.replace(
    "\n\nExample:", "\n\n" + INVENTORY_HELP + "\n\nExample:").replace(
    "--all --json\n", "--all --json\n    msgsvc numbers list --free\n"))})
app.command("find")(numbers_find)
app.command("move")(numbers_move)
