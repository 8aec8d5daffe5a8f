"""msgsvc numbers | short-codes | alpha-senders | channel-senders | destination-alpha-senders:
attach, detach, list and get the senders of a Messaging Service.

One factory, `make_app(kind)`, builds the same four commands for every kind described in
`msgsvc/api/senders.py`; nothing here is specific to one kind.

No `from __future__ import annotations` here: the option types are built per kind inside
the factory, and Typer must see them as objects, not as names to look up.
"""

import functools
import inspect
from typing import Annotated, Callable, List, Optional

import typer

from msgsvc.errors import ExitCode, NotFoundError, UsageError
from msgsvc.cli.options import (
    DEFAULT_CONCURRENCY, ConcurrencyOpt, DryRunOpt, JqOpt, JsonOpt, OptionalServiceArg, ProfileOpt, QuietOpt,
    ServiceArg, ToServiceOpt, YesOpt, as_typed, check, columns_help, fewer_pages, fields_option, given, list_limit, list_options, use,
)
from msgsvc.cli.complete import AttachedSenders
from msgsvc.cli.jobs import consent, finish, library_note, run
from msgsvc.api.senders import (
    ALPHA_SENDERS, CHANNEL_SENDERS, DESTINATION_ALPHA_SENDERS, NUMBERS, SHORT_CODES, Ref,
    COUNTRY, SenderKind,
)

FromFileOpt = Annotated[
    Optional[str],
    typer.Option("--from-file", "-f", metavar="FILE",
                 help="Also read values from FILE, one per line ('-' is standard input; blank "
                      "lines and # comments are ignored).", show_default=False),
]
LimitOpt, AllOpt, PageSizeOpt = list_options("senders")
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
RESULT_FIELDS = ("input", "sid", "status", "code", "message", "request")  # plan.RESULT_COLUMNS and a dry run's request
ResultFieldsOpt = fields_option(RESULT_FIELDS)
RESULTS_HELP = (
    "Results (the TSV's order, no header): input, sid, status, code, message; a failure's "
    "message leads with its reason ('no SMS capability (21715)'). On a narrow terminal sid, "
    "then code are hidden, and the message wraps. --dry-run reports the same, one result per "
    "value ('would attach' with the request as its message, 'already attached', 'would fail' "
    "for what Twilio would refuse, ...), adds each value's request (or null) to --json, and "
    "exits 1 when a value would fail. --fields takes input, sid, status, code, message and "
    "request (a dry run's)."
)


def sender_commands(kind: SenderKind) -> dict:
    """The `attach`, `detach`, `list` and `get` commands for one kind of sender, each with its
    help: {verb: (function, help)}, for make_app to register."""
    values_help = kind.accepts
    ValuesArg = Annotated[
        Optional[List[str]],
        typer.Argument(metavar=f"{kind.metavar}...", help=values_help, show_default=False),
    ]
    AttachedArg = Annotated[  # detach: Tab offers the senders the cache says are attached
        Optional[List[str]],
        typer.Argument(metavar=f"{kind.metavar}...", help=values_help, show_default=False,
                       autocompletion=AttachedSenders(kind.noun).complete),
    ]
    ValueArg = Annotated[str, typer.Argument(metavar=kind.metavar, help=values_help, show_default=False)]
    KindFieldsOpt = fields_option(kind.keys)
    CountryOpt = Annotated[
        Optional[str],
        typer.Option("--country", metavar="CC", callback=check(COUNTRY), show_default=False,
                     help="ISO country code of the destination (GB, FR, ...). Attach without it "
                          "makes the default sender for every country; list, detach and get "
                          "without it take every country."),
    ]
    ident = kind.noun.replace("-", "_")
    first = kind.examples[0]
    service = "Alerts"

    def attach(
        ctx: typer.Context,
        service: ServiceArg,
        values: ValuesArg = None,
        from_file: FromFileOpt = None,
        country: CountryOpt = None,
        concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
        dry_run: DryRunOpt = False,
        fields: ResultFieldsOpt = None,
        jq: JqOpt = None,
        json_: JsonOpt = False,
        profile: ProfileOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, fields=fields, valid=RESULT_FIELDS, jq=jq,
                    quiet=quiet)
        refs = read_refs(state.term, kind, values, from_file, attach=True)
        _bulk(state, kind, service, refs, attach=True, country=country, concurrency=concurrency)

    def detach(
        ctx: typer.Context,
        service: ServiceArg,
        values: AttachedArg = None,
        from_file: FromFileOpt = None,
        country: CountryOpt = None,
        yes: YesOpt = False,
        concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
        dry_run: DryRunOpt = False,
        fields: ResultFieldsOpt = None,
        jq: JqOpt = None,
        json_: JsonOpt = False,
        profile: ProfileOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        state = use(ctx, json_=json_, profile=profile, dry_run=dry_run, fields=fields, valid=RESULT_FIELDS, jq=jq,
                    quiet=quiet)
        refs = read_refs(state.term, kind, values, from_file, attach=False)
        ask = consent(state, yes, "detach")
        _bulk(state, kind, service, refs, attach=False, country=country, concurrency=concurrency, ask=ask)

    def list_(
        ctx: typer.Context,
        service: ServiceArg,
        country: CountryOpt = None,
        limit: LimitOpt = 50,
        all_: AllOpt = False,
        page_size: PageSizeOpt = None,
        fields: KindFieldsOpt = None,
        jq: JqOpt = None,
        json_: JsonOpt = False,
        profile: ProfileOpt = None,
    ) -> None:
        from msgsvc.jobs.resolve import resolve_service

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

    def get(
        ctx: typer.Context,
        service: ServiceArg,
        value: ValueArg,
        country: CountryOpt = None,
        fields: KindFieldsOpt = None,
        jq: JqOpt = None,
        json_: JsonOpt = False,
        profile: ProfileOpt = None,
    ) -> None:
        state = use(ctx, json_=json_, profile=profile, fields=fields, valid=kind.keys, jq=jq)
        ref = _parse_one(kind, value, attach=False)
        from msgsvc.cli.output import emit_record

        emit_record(state.term, _get(state.client(), kind, service, ref, country), as_json=state.json,
                    fields=state.fields, jq=state.jq)

    example = f"msgsvc {kind.noun}"
    docs = {
        "attach": (attach, f"""Attach {kind.plural} to a service.

One, many, or a file of them. 
{kind.accepts} Values already in the service are reported as 'already attached' and
not sent again. Up to --concurrency requests run at once; a 429 from Twilio pauses them
all and is retried. Prints one result per distinct value and a summary on stderr; exits 1 if any value failed.

{{results}}

Example:

\b
    {example} attach {service} {first}
    {example} attach {service} \\
        --from-file {ident}.txt --json
"""),
        "detach": (detach, f"""Detach {kind.plural} from a service.

They stay on the account. 
{kind.accepts} Values not in the service are reported as 'not attached', which is not a
failure. Asks for confirmation in a terminal; needs --yes otherwise.

{{results}}

Example:

\b
    {example} detach {service} {first}
    grep -v '^#' old.txt |
        {example} detach {service} --from-file - --yes
"""),
        "list": (list_, f"""List a service's {kind.plural}.

The first 50, or --limit N, or --all.

{columns_help(kind.columns, kind.keys)}

Example:

\b
    {example} list {service}
    {example} list {service} --all --json
"""),
        "get": (get, f"""Show a service's {kind.what}.

One {kind.what} of the service, every field.

{kind.accepts} In a pipe: one 'field<TAB>value' line per field. --fields takes any of:
{', '.join(kind.keys)}.

Example:

\b
    {example} get {service} {first}
"""),
    }
    return docs


def make_app(kind: SenderKind, commands: Optional[dict] = None) -> typer.Typer:
    """The noun of one kind of sender, with `commands` ({verb: (function, help)}; those of
    sender_commands(kind) unless given)."""
    app = typer.Typer(
        help=f"A service's {kind.plural}.\n\nAttach, detach, list and show the {kind.plural} of a Messaging Service.\n\n"
        f"Example:\n\n\b\n    msgsvc {kind.noun} list Alerts\n"
        f"    msgsvc {kind.noun} attach Alerts {kind.examples[0]}",
        short_help=f"A service's {kind.plural}.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    ident = kind.noun.replace("-", "_")
    for verb, (func, help_text) in (sender_commands(kind) if commands is None else commands).items():
        help_text = help_text.replace("{results}", RESULTS_HELP)
        if not kind.country:
            func = _without(func, "country")
        func.__name__ = func.__qualname__ = f"{ident}_{verb}"
        # The first sentence whole, in help and on Tab alike (Tab's descriptions stop at 45).
        app.command(verb, help=help_text, short_help=help_text.split("\n", 1)[0])(func)
    return app


def _without(func: Callable, *names: str) -> Callable:
    """The command without some of its options (e.g. --country for kinds that have none)."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    params = [p for p in signature.parameters.values() if p.name not in names]
    wrapper.__signature__ = signature.replace(parameters=params)
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__
    return wrapper



# --- input -------------------------------------------------------------------------------


def _parse_one(kind: SenderKind, value: str, *, attach: bool) -> Ref:
    try:
        return kind.parse(value, attach=attach)
    except ValueError as exc:
        raise UsageError(sentence_for(value, exc)) from None


def sentence_for(value: str, exc: ValueError) -> str:
    text = str(exc)
    return text if value.strip() and repr(value.strip()) in text else f"{value!r} {text}"


def read_refs(term, kind: SenderKind, values: Optional[List[str]], from_file: Optional[str], *, attach: bool,
              parse: Optional[Callable[[str], Ref]] = None) -> List[Ref]:
    """Every distinct value (arguments, then the file's lines), checked before anything is
    sent (by `parse`, else the kind's rule)."""
    given = [(value, "argument") for value in values or []]
    if from_file is not None:
        given += _read_lines(term, from_file)
    if not given:
        raise UsageError(f"no {kind.plural} given",
                         hint=f"name them as arguments or with --from-file FILE (see 'msgsvc {kind.noun} --help')")
    refs: dict[str, Ref] = {}
    problems = []
    for value, where in given:
        try:
            ref = parse(value) if parse is not None else kind.parse(value, attach=attach)
        except ValueError as exc:
            problems.append(f"{sentence_for(value, exc)} ({where})")
            continue
        refs.setdefault(ref.raw, ref)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise UsageError(
            shown if len(problems) == 1 else f"{len(problems)} values are not valid: {shown}",
            hint="nothing was sent; fix the input and run again",
        )
    return list(refs.values())


def _read_lines(term, path: str) -> List[tuple]:
    from msgsvc.atomic import read_text

    text, name = read_text(path, stdin=term.stdin)
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip()  # no sender value contains '#'
        if value:
            lines.append((value, f"line {number} of {name}"))
    return lines


# --- the work ----------------------------------------------------------------------------


def _bulk(state, kind: SenderKind, service: str, refs: List[Ref], *, attach: bool,
          country: Optional[str], concurrency: int, ask: Optional[Callable[[str], None]] = None) -> None:
    from msgsvc.cli import output
    from msgsvc.jobs import changes as plan
    from msgsvc.jobs.executor import Executor
    from msgsvc.jobs.resolve import resolve_service
    from msgsvc.jobs.senders_plan import plan_senders

    term = state.term
    client = state.client()
    service_sid = resolve_service(client, service)
    planned = plan_senders(client, kind, service_sid, refs, attach=attach, country=country,
                           concurrency=concurrency, progress=functools.partial(output.progress, term))
    pending = len(planned.changes)
    if state.dry_run:
        # As the real run would report it: one result per value, and exit 1 if any would fail.
        from msgsvc.jobs.foresee import refusals

        refused = refusals(client, kind, service_sid, planned.changes, planned.current, account=planned.account,
                           concurrency=concurrency,
                           progress=functools.partial(output.progress, term)) if attach else {}
        requests = plan.dry_run(planned.changes, client.base())
        outcomes = planned.results([refused.get(c) or plan.would(c, r) for c, r in zip(planned.changes, requests)])
        outcomes = [plan.as_would(o) for o in outcomes]
        sent_for = {change.inputs[0]: request for change, request in zip(planned.changes, requests)}
        finish(state, [dict(o.record(), request=sent_for.get(o.input)) for o in outcomes], plan.RESULT_COLUMNS,
               summary=f"Dry run: {plan.requests(pending)} not sent; " + plan.summary(outcomes),
               failed=any(o.status == plan.WOULD_FAIL for o in outcomes))
        return
    if ask is not None and pending:
        count = f"1 {kind.what}" if pending == 1 else f"{pending} {kind.plural}"
        ask(f"Detach {count} from {named_service(service, service_sid)}?")
    executor = Executor(client, concurrency=concurrency, progress=functools.partial(output.progress, term),
                        note=library_note(term))
    from msgsvc.jobs.foresee import explained

    outcomes, terminated = run(lambda: planned.results(
        explained(kind, planned.changes, executor.run(planned.changes), planned.current)))
    pool_full = None
    if executor.full_pools:  # 21714: the attaches after it were not sent
        held = sum(1 for o in outcomes if o.status == plan.NOT_SENT)
        left = f": {held} {kind.what if held == 1 else kind.plural} not sent" if held else ""
        pool_full = (f"the service's pool is full (21714){left}",
                     f"detach {kind.plural} {service_sid} no longer needs, or attach the rest to another service; "
                     "then run the same command again")
    remember_attached(state, kind, service_sid, [{"sid": o.sid, kind.value_key: o.input} for o in outcomes
                                                  if o.sid and o.status in (plan.ATTACHED, plan.ALREADY_ATTACHED)], replace=False)
    forget_attached(state, kind, service_sid, [o.sid for o in outcomes if o.sid and o.status in (plan.DETACHED, plan.NOT_ATTACHED)])
    finish(state, [o.record() for o in outcomes], plan.RESULT_COLUMNS, summary=plan.summary(outcomes),
           failed=any(o.status == plan.FAILED for o in outcomes), stopped_by=executor.stopped_by,
           interrupted=executor.interrupted, terminated=terminated, left=kind.plural,
           again="run the same command again to finish: what is done already is reported, not sent twice",
           pool_full=pool_full)


def remember_attached(state, kind: SenderKind, service_sid: str, records: list, *, replace: bool) -> None:
    """Keep the completion cache of the service's senders (detach's Tab): a whole listing
    replaces it, attached senders are added."""
    from msgsvc.local import cache

    entries = {str(r.get("sid")): str(r.get(kind.value_key) or "") for r in records if isinstance(r, dict) and r.get("sid")}
    if entries or replace:
            cache.remember_table(state.cache_scope(), cache.senders_table(kind.noun, service_sid), entries, replace=replace)


def forget_attached(state, kind: SenderKind, service_sid: str, sids: list) -> None:
    from msgsvc.local import cache

    if sids:
        cache.forget_table(state.cache_scope(), cache.senders_table(kind.noun, service_sid), sids)


def _get(client, kind: SenderKind, service: str, ref: Ref, country: Optional[str]) -> dict:
    from msgsvc.errors import ApiError
    from msgsvc.jobs.resolve import resolve_service

    service_sid = resolve_service(client, service)
    named = named_service(service, service_sid)
    listed = f"list them with: msgsvc {kind.noun} list {service if service != service_sid else service_sid}"
    if ref.text is not None:
        found = [r for r in client.list_senders(kind, service_sid) if kind.matches(r, ref, country)]
        if not found:
            raise NotFoundError(f"no {kind.what} {ref.text!r} is attached to {named}", hint=listed)
        if len(found) > 1:
            raise UsageError(kind.ambiguity(ref.text, found), hint="give --country or the SID")
        return found[0]
    sid = ref.sid
    if ref.e164 is not None:
        number = client.find_account_sender(kind, ref.e164)
        if number is None:
            raise NotFoundError(kind.not_on_account(ref.e164))
        sid = number["sid"]
    try:
        return client.get_sender(kind, service_sid, sid)
    except ApiError as error:
        if error.status == 404:
            raise NotFoundError(f"{ref.raw} is not attached to {named}", hint=listed) from None
        raise


# --- the account's inventory (numbers list --account) -------------------------------------------


class _Rows(list):
    """Records, and whether the limit cut the list short (what emit_records says)."""

    more = False


def _inventory(ctx: typer.Context, service: Optional[str], *, free: bool, concurrency: int, limit: Optional[int],
               page_size: Optional[int], fields: Optional[str], jq: Optional[str], json_: bool,
               profile: Optional[str]) -> None:
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


# --- numbers list: a service's numbers, or the account's ------------------------------------------

_NUMBERS_COMMANDS = sender_commands(NUMBERS)
_service_list, _service_list_help = _NUMBERS_COMMANDS["list"]


def numbers_list(
    ctx: typer.Context,
    service: OptionalServiceArg = None,
    account: AccountOpt = False,
    free: FreeOpt = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    limit: LimitOpt = 50,
    all_: AllOpt = False,
    page_size: PageSizeOpt = None,
    fields: InventoryFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    if account or free:
        _inventory(ctx, service, free=free, concurrency=concurrency, limit=list_limit(ctx, limit, all_),
                   page_size=page_size, fields=fields, jq=jq, json_=json_, profile=profile)
        return
    if service is None:
        raise UsageError("give a SERVICE, or --account for the account's numbers and short codes",
                         hint="see 'msgsvc numbers list --help'")
    if given(ctx, "concurrency"):
        raise UsageError("--concurrency is for --account and --free, which read every service")
    _service_list(ctx, service, None, limit, all_, page_size, fields, jq, json_, profile)


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
    outcomes, terminated = run(lambda: moving.send(executor, planned))
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
           failed=any(o.status in plan.UNDONE for o in outcomes), stopped_by=executor.stopped_by,
           interrupted=executor.interrupted, terminated=terminated, left="numbers",
           again="run the same command again to finish: what is done already is reported, not sent twice")


def named_service(service: str, service_sid: str) -> str:
    """How messages name a service: `Marketing (MG...)` when the user named it so, else its SID."""
    return service_sid if service == service_sid else f"{service} ({service_sid})"


# Numbers are also the account's inventory: its numbers and short codes, and where each is.
numbers = make_app(NUMBERS, {**_NUMBERS_COMMANDS, "list": (numbers_list, _service_list_help.replace(
    "\n\nExample:", "\n\n" + INVENTORY_HELP + "\n\nExample:").replace(
    "--all --json\n", "--all --json\n    msgsvc numbers list --free\n"))})
numbers.command("find")(numbers_find)
numbers.command("move")(numbers_move)
short_codes = make_app(SHORT_CODES)
alpha_senders = make_app(ALPHA_SENDERS)
channel_senders = make_app(CHANNEL_SENDERS)
destination_alpha_senders = make_app(DESTINATION_ALPHA_SENDERS)
