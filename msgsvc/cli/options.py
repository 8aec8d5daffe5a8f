"""Options and arguments shared by commands, and the options generated from a resource's
field description."""

from __future__ import annotations

import functools
import inspect
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterator, List, Optional, Sequence

import typer

from msgsvc.cli.complete import complete_profiles, complete_services
from msgsvc.api.settings import MAX_RETRIES_RANGE, TIMEOUT_RANGE
# What a command's body reads of its invocation lives where no typer is imported (direct.py runs bodies without it).
from msgsvc.cli.invocation import (  # noqa: F401
    as_typed, fewer_pages, given, list_limit, select_fields, service_ref, use, with_suggestion,
)

if TYPE_CHECKING:  # imported where used: --version and a Tab press need neither
    from msgsvc.api.resources import Field, Resource
    from msgsvc.cli.state import State



def _range_words(self: Any) -> str:
    """A number option's range as msgsvc says every range, in help and errors: `1 to 36000`,
    `1 or more`, `at most 5` (Click says `1<=x<=36000`, `x>=1`)."""
    low = None if self.min is None else f"more than {self.min}" if self.min_open else f"{self.min}"
    high = None if self.max is None else f"less than {self.max}" if self.max_open else f"{self.max}"
    if low is not None and high is not None:
        return f"{low} to {high}" if not (self.min_open or self.max_open) else f"{low} and {high}"
    if low is not None:
        return low if self.min_open else f"{low} or more"
    return high if self.max_open else f"at most {high}"


def _range_fail(self: Any, message: str, param: Any = None, ctx: Any = None) -> Any:
    """`0 is not in the range 1 to 36000`, without Click's full stop, as a field's check says it."""
    raise typer.BadParameter(message.rstrip("."), ctx=ctx, param=param)


from typer._click.types import _NumberRangeBase  # noqa: E402  (typer's bundled Click; no public name)

_NumberRangeBase._describe_range = _range_words
_NumberRangeBase.fail = _range_fail



def invalid(option: str, message: str) -> typer.BadParameter:
    """A value a command's body finds invalid, to raise: said as Click says a bad option
    (`Invalid value for '--brand': ...`), with the usage line and the --help hint."""
    from typer._click.globals import get_current_context

    return typer.BadParameter(message, ctx=get_current_context(silent=True), param_hint=f"'{option}'")


JsonOpt = Annotated[bool, typer.Option("--json", help="Print the API's JSON (for scripts).")]
ProfileOpt = Annotated[
    Optional[str],
    typer.Option("--profile", "-p", metavar="NAME", help="Use this profile's credentials and settings.",
                 autocompletion=complete_profiles, show_default=False),
]

# The global options, declared once: the root takes each before the command (`msgsvc --help`
# documents them), and every command takes them after it too: --json and --profile where the
# command declares them (JsonOpt, ProfileOpt: they are in its help), the others hidden
# (AFTER_EVERY_COMMAND). {parameter and State attribute: its Annotated type}.
GLOBAL_OPTIONS: dict[str, Any] = {
    "profile": ProfileOpt,
    "json": JsonOpt,
    "base_url": Annotated[Optional[str], typer.Option(
        "--base-url", metavar="URL", show_default=False,
        help="Send every request to this base URL instead of Twilio's hosts (a local server, the emulator). Also $MSGSVC_BASE_URL.")],
    "timeout": Annotated[Optional[float], typer.Option(
        "--timeout", metavar="SECONDS", min=TIMEOUT_RANGE[0], max=TIMEOUT_RANGE[1], show_default=False,
        help="Connect and read timeout in seconds [default: 10 to connect, 30 to read]; a whole answer gets both together. Also $MSGSVC_TIMEOUT.")],
    "max_retries": Annotated[Optional[int], typer.Option(
        "--max-retries", metavar="N", min=MAX_RETRIES_RANGE[0], max=MAX_RETRIES_RANGE[1], show_default=False,
        help="Retries after 429, and after 5xx or a lost connection for GET and DELETE [default: 4]. Also $MSGSVC_MAX_RETRIES.")],
    "debug": Annotated[bool, typer.Option(
        "--debug", help="Log every request, response and retry to stderr (secrets masked). Also MSGSVC_DEBUG=1.")],
}
FLAGS = ("json", "debug")  # default False; the others default None
AFTER_EVERY_COMMAND = ("debug", "base_url", "timeout", "max_retries")


def with_global_options(func: Callable) -> Callable:
    """The root callback with every global option as a keyword parameter (from GLOBAL_OPTIONS)."""
    signature = inspect.signature(func, eval_str=True)
    own = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    made = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=name in FLAGS and False or None, annotation=kind)
            for name, kind in GLOBAL_OPTIONS.items()]
    params = own[:1] + made + own[1:]  # ctx, the globals, then the root's own (--version)
    func.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    func.__annotations__ = {p.name: p.annotation for p in params}
    return func


def declared(body: Callable, **annotations: Any) -> Callable:
    """A command whose `body` lives where typer is not imported (msgsvc/cli/listing.py,
    which msgsvc.cli.direct runs without typer), as typer declares it: the body's parameters,
    each with its Annotated option from `annotations` (every one but ctx must have one). The
    body's docstring is the command's help. `body` may be a functools.partial of a module's
    function (one body for every kind of sender)."""
    function, bound = (body.func, body.args) if isinstance(body, functools.partial) else (body, ())
    signature = inspect.signature(body)
    names = [p.name for p in signature.parameters.values() if p.name != "ctx"]
    if sorted(names) != sorted(annotations):
        raise TypeError(f"{function.__qualname__}: declare exactly its options {names}, not {sorted(annotations)}")

    @functools.wraps(function)
    def command(*args: Any, **kwargs: Any) -> Any:
        return body(*args, **kwargs)

    params = [p.replace(annotation=typer.Context if p.name == "ctx" else annotations[p.name]) for p in signature.parameters.values()]
    command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    del command.__wrapped__  # typer reads the signature given here, not the body's
    command.body = (f"{function.__module__}:{function.__qualname__}", bound)  # how direct.py calls it (scripts/gen_tree.py)
    return command


def hidden_global_options(callback: Callable) -> list[Any]:
    """The AFTER_EVERY_COMMAND options as a leaf command takes them: hidden (msgsvc --help
    documents them once), each handed to `callback(ctx, param, value)`."""
    import copy
    import typing

    from typer.main import get_click_param
    from typer.models import ParamMeta

    made = []
    for name in AFTER_EVERY_COMMAND:
        kind, info = typing.get_args(GLOBAL_OPTIONS[name])  # built as Typer builds an Annotated parameter
        info = copy.copy(info)
        info.default = name in FLAGS and False or None
        option, _ = get_click_param(ParamMeta(name=name, default=info, annotation=kind))
        option.hidden, option.expose_value, option.callback = True, False, callback
        option.after_every_command = True  # hidden from the help, offered by Tab (is_after_every_command)
        made.append(option)
    return made


def is_after_every_command(param: Any) -> bool:
    """Whether `param` is a global option a command takes after itself (hidden_global_options):
    Tab offers it although the command's help does not list it."""
    return getattr(param, "after_every_command", False) is True


def check_global(name: str, value: Any) -> Any:
    """A global option's value as the run uses it; typer.BadParameter when it cannot be."""
    from msgsvc.api.validate import finite

    if name == "timeout" and value is not None and not finite(value):  # NaN passes Click's range check
        raise typer.BadParameter("nan is not a number of seconds")
    if name == "base_url" and value is not None:
        from msgsvc.api import validate

        try:
            return validate.base_url(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the requests that would change something, send none (look-ups still run).")]
FIELDS_HELP = "Show only these fields, in this order: the columns of the table and TSV, the keys of each JSON object."
FieldsOpt = Annotated[Optional[str], typer.Option("--fields", metavar="A,B,...", help=FIELDS_HELP, show_default=False)]


def fields_option(names: Sequence[str] = (), *, of: str | None = None) -> Any:
    """--fields of a command whose records have these keys (the `valid` it gives `use`): Tab
    offers the names not chosen yet. `of="module:ATTRIBUTE"` where they are, for a module
    too heavy to import when the command is built (complete.FieldNames)."""
    from msgsvc.cli.complete import FieldNames

    return Annotated[Optional[str], typer.Option("--fields", metavar="A,B,...", help=FIELDS_HELP, show_default=False,
                                                 autocompletion=FieldNames(names, of=of).complete)]
JqOpt = Annotated[
    Optional[str],
    typer.Option("--jq", metavar="EXPR", help="Filter the JSON output through a jq expression; print the results as 'jq -r' does (implies --json).",
                 show_default=False),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No notes on stderr, only the data and errors.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (required when not in a terminal).")]
DEFAULT_CONCURRENCY = 8  # as msgsvc.jobs.pool, which is not imported before a command runs
MAX_CONCURRENCY = 32
ConcurrencyOpt = Annotated[
    int,
    typer.Option("--concurrency", "-c", min=1, max=MAX_CONCURRENCY, metavar="N",
                 help="Requests in flight at once."),
]


def check_service_ref(value: str) -> str:
    """The SERVICE argument's check (invocation.service_ref), said as Click says a bad value."""
    if value is None:
        return value
    try:
        return service_ref(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


check_service_ref.check = service_ref  # what direct.py applies itself (scripts/gen_tree.py)


ServiceArg = Annotated[
    str,
    typer.Argument(metavar="SERVICE", help="An MG... service SID, or the exact friendly name of one service.",
                   callback=check_service_ref, autocompletion=complete_services, show_default=False),
]
ToServiceOpt = Annotated[  # numbers move --to SERVICE (required)
    str,
    typer.Option("--to", metavar="SERVICE", help="The service to move them to: an MG... SID, or the exact friendly "
                 "name of one service.", callback=check_service_ref, autocompletion=complete_services,
                 show_default=False),
]
OptionalServiceArg = Annotated[  # a command that also works on the whole account (numbers list --account)
    Optional[str],
    typer.Argument(metavar="SERVICE", help="An MG... service SID, or the exact friendly name of one service.",
                   callback=check_service_ref, autocompletion=complete_services, show_default=False),
]

ServicesArg = Annotated[  # a command that takes many services (services delete)
    list[str],
    typer.Argument(metavar="SERVICE...", help="MG... service SIDs, or exact friendly names, one service each.",
                   callback=lambda values: [check_service_ref(v) for v in values or []],
                   autocompletion=complete_services, show_default=False),
]


def list_options(plural: str) -> tuple[Any, Any, Any]:
    """`--limit N`, `--all` and `--page-size N` of a list command, worded for `plural`."""
    return (
        Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N", help=f"Show at most N {plural}.")],
        Annotated[bool, typer.Option("--all", "-a", help=f"Show every {plural[:-1] if plural.endswith('s') else plural}, following every page.")],
        Annotated[
            Optional[int],
            typer.Option("--page-size", min=1, max=1000, metavar="N",
                         help=f"{plural.capitalize()} per request [default: as many as needed, at most 1000].",
                         show_default=False),
        ],
    )


MAX_WAIT = 30 * 86400  # seconds a `wait` may take: longer than any review, within what a sleep can take


def duration(value: Any) -> float:
    """The parser of a --timeout or --interval option: 90s, 30m, 1h, 1h30m (api.a2p.parse_duration)."""
    if isinstance(value, float):
        return value
    from msgsvc.api.a2p import parse_duration

    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def wait_limits(timeout: float, interval: float) -> None:
    """The duration rules of every `wait` (campaigns, tollfree): checked before any request."""
    from msgsvc.errors import UsageError

    if interval < 0.1:
        raise UsageError("--interval must be at least 0.1s")
    if max(timeout, interval) > MAX_WAIT:
        raise UsageError("--timeout and --interval must be at most 30 days (720h)")


@contextmanager
def outcome_unknown_hint(hint: str) -> Iterator[None]:
    """A POST is never sent twice (the API has no idempotency key): when its answer was lost,
    a gateway failed (500/502/504), the answer was not the object (a truncated or HTML body),
    or Ctrl-C came while it was on its way, say how to find out what happened."""
    from msgsvc.errors import ApiError, Interrupted, OutcomeUnknownError, ResponseError

    try:
        yield
    except OutcomeUnknownError as error:
        error.hint = hint
        raise
    except ResponseError as error:
        error.message += "; it may or may not have taken effect"
        error.args = (error.message,)
        error.hint = hint
        raise
    except ApiError as error:
        if error.status in (500, 502, 503, 504) and error.hint is None:
            error.hint = hint
        raise
    except KeyboardInterrupt:
        raise Interrupted("interrupted while the request was on its way: it may or may not have taken effect",
                          hint=hint) from None


def columns_help(columns: Sequence[Any], fields: Sequence[str] = ()) -> str:
    """The help paragraph that documents a list's TSV columns, what --fields takes and which
    columns a narrow terminal hides first."""
    order = ", ".join(c.key for c in columns)
    dropped = [c.key for c in sorted((c for c in columns if c.drop), key=lambda c: -c.drop)]
    text = f"Columns (the TSV's order, no header): {order}."
    if dropped:
        text += f" On a narrow terminal {', then '.join(dropped)} {'is' if len(dropped) == 1 else 'are'} hidden first."
    if fields:
        text += f" --fields takes any of: {', '.join(fields)}."
    return text


def check(field: Field) -> Callable[[Any], Any]:
    """The option callback that checks a value as `field` says (Field.clean): a usage error
    naming the option when it is not valid."""

    def callback(value: Any) -> Any:
        if value is None or (field.many and not value):
            return None
        if field.kind == "url":
            _refuse_the_mask(value)
        try:
            return field.clean(value)
        except ValueError as exc:
            raise typer.BadParameter(with_suggestion(str(exc), value, field.choices)) from None

    if field.kind != "url":  # a URL's check is more than clean: direct.py cannot apply it (gen_tree refuses)
        callback.check = field.clean  # what direct.py applies itself (scripts/gen_tree.py)
    return callback


def _refuse_the_mask(value: Any) -> None:
    """A URL typed with *** for its password is one copied from msgsvc's output, where every
    password is shown so: sent, it would replace the real password with three stars. Only a
    setup file gives *** a meaning (the password the account has: setup/diff.py)."""
    from msgsvc.api.validate import has_masked_password

    if has_masked_password(value):
        raise typer.BadParameter(f"{value!r} has *** for its password, which is how msgsvc shows every password, "
                                 "not the password itself: give the real one")


def _completion(field: Field) -> Callable | None:
    """What Tab offers for a field's option: its own completion (from a cache), or its choices."""
    if field.complete:
        from msgsvc.cli import complete

        return getattr(complete, field.complete)
    from msgsvc.cli.complete import Choices

    return Choices(field.choices).complete if field.choices else None


def field_option(field: Field) -> Any:
    """The Annotated type of the option for one field (a `many` field: a repeated option)."""
    if field.many:
        metavar = "TEXT" if not field.choices else "[" + "|".join(field.choices) + "]"
        return Annotated[
            Optional[List[str]],
            typer.Option(field.option, help=field.help + " Give it once per item.", metavar=metavar,
                         callback=check(field), show_default=False,
                         autocompletion=_completion(field)),
        ]
    if field.kind == "bool":
        name = field.option[2:]
        return Annotated[Optional[bool], typer.Option(f"--{name}/--no-{name}", help=field.help, show_default=False)]
    if field.kind == "int":
        return Annotated[Optional[int], typer.Option(field.option, help=field.help, metavar="INTEGER", callback=check(field), show_default=False)]
    metavar = {"url": "URL", "text": "TEXT"}.get(field.kind) or "[" + "|".join(field.choices) + "]"
    return Annotated[
        Optional[str],
        typer.Option(field.option, help=field.help, metavar=metavar, callback=check(field),
                     autocompletion=_completion(field), show_default=False),
    ]


def with_field_options(resource: Resource, *, required: Sequence[str] = ()) -> Callable:
    """Add one option per field of `resource` to a command. The command receives them as
    one dict, `values={param: value}`, None for every option not given."""
    fields = resource.fields

    def decorate(func: Callable) -> Callable:
        signature = inspect.signature(func, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "values"]
        generated = [
            inspect.Parameter(
                f.param,
                inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if f.wire in required else None,
                annotation=field_option(f),
            )
            for f in fields
        ]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {f.param: kwargs.pop(f.param, None) for f in fields}
            return func(*args, values=values, **kwargs)

        params = own + generated
        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper

    return decorate
