"""The commands every kind of sender has: attach, detach, list and get, built for one kind by
`make_app(kind)`, and what numbers' own commands share with them (reading values, the
service's name in messages, the cache of attached senders that detach's Tab reads).

The nouns are command modules: msgsvc/cli/commands/senders.py (short codes, alpha, channel
and destination alpha senders, which have these four and nothing more) and
msgsvc/cli/commands/numbers.py (these four, and the account's numbers: list --account,
find, move). Nothing here is specific to one kind of the ones in `msgsvc/api/senders.py`.

No `from __future__ import annotations` here: the option types are built per kind inside
the factory, and Typer must see them as objects, not as names to look up.
"""

import functools
import inspect
from typing import Annotated, Callable, List, Optional

import typer

from msgsvc.errors import NotFoundError, UsageError
from msgsvc.cli import listing
from msgsvc.cli.listing import forget_attached, remember_attached  # noqa: F401  (numbers' commands use them too)
from msgsvc.cli.options import (
    DEFAULT_CONCURRENCY, ConcurrencyOpt, DryRunOpt, JqOpt, JsonOpt, ProfileOpt, QuietOpt,
    ServiceArg, YesOpt, check, columns_help, declared, fields_option, list_options, use,
)
from msgsvc.cli.complete import AttachedSenders
from msgsvc.cli.jobs import consent, finish, library_note, run
from msgsvc.api.senders import Ref, COUNTRY, SenderKind

FromFileOpt = Annotated[
    Optional[str],
    typer.Option("--from-file", "-f", metavar="FILE",
                 help="Also read values from FILE, one per line ('-' is standard input; blank "
                      "lines and # comments are ignored).", show_default=False),
]
LimitOpt, AllOpt, PageSizeOpt = list_options("senders")
RESULT_FIELDS = ("input", "sid", "status", "code", "message", "request")  # plan.RESULT_COLUMNS and a dry run's request
ResultFieldsOpt = fields_option(RESULT_FIELDS)
def results_help(verb: str) -> str:
    """The help's paragraph on the results of `verb` (attach, detach), dry run included: the
    statuses that command gives, not the other's."""
    if verb == "detach":
        failure, dry = "'not on this account'", ("'would detach' with the request as its message, 'not attached', "
                                                 "'would fail' for a value the account does not hold")
    else:
        failure, dry = "'no SMS capability (21715)'", ("'would attach' with the request as its message, "
                                                       "'already attached', 'would fail' for what Twilio would refuse")
    return (
        "Results (the TSV's order, no header): input, sid, status, code, message; a failure's "
        f"message leads with its reason ({failure}). On a narrow terminal sid, then code are "
        f"hidden, and the message wraps. --dry-run reports the same, one result per value ({dry}, "
        "...), adds each value's request (or null) to --json, and exits 1 when a value would fail. "
        "--fields takes input, sid, status, code, message and request (a dry run's)."
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

    list_ = declared(functools.partial(listing.senders_list, kind.noun), service=ServiceArg, country=CountryOpt,
                     limit=LimitOpt, all_=AllOpt, page_size=PageSizeOpt, fields=KindFieldsOpt, jq=JqOpt, json_=JsonOpt,
                     profile=ProfileOpt)

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
        help_text = help_text.replace("{results}", results_help(verb))
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


def named_service(service: str, service_sid: str) -> str:
    """How messages name a service: `Marketing (MG...)` when the user named it so, else its SID."""
    return service_sid if service == service_sid else f"{service} ({service_sid})"
