"""What a command's body reads of its invocation, without importing typer.

A command's body gets a context: Click's when the typer app runs it, msgsvc.cli.direct's
when it runs without typer. Of it, the body reads only the run's State (`ctx.find_root().obj`)
and where an option's value came from (`ctx.get_parameter_source(name)`), through the
functions here: the State with the command's own options applied (use), whether an option
was given (given), a list's limit (list_limit), --fields (select_fields) and what a list
that goes on too long is told (fewer_pages).
"""

from __future__ import annotations

from contextlib import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterator, Sequence

    from msgsvc.cli.state import State


def use(ctx: Any, *, json_: bool = False, profile: str | None = None, dry_run: bool = False,
        fields: str | None = None, valid: Sequence[str] = (), jq: str | None = None, quiet: bool = False) -> State:
    """The invocation's State, with a command-level --json/--profile/--dry-run taking precedence.
    `fields` (--fields) is checked against the `valid` keys and `jq` compiled, before anything
    is sent; --jq implies --json; --quiet keeps notes off stderr."""
    state = ctx.find_root().obj
    from msgsvc.cli.state import State

    if not isinstance(state, State):  # invoked without the root callback (tests of a sub-app)
        state = ctx.find_root().obj = State()
    if json_:
        state.json = True
    if profile:
        state.profile = profile
    if dry_run:
        state.dry_run = True
    if fields is not None:
        state.fields = select_fields(fields, valid)
    if jq is not None:
        from msgsvc.cli.output import compile_jq  # imports jq: only when --jq is given

        compile_jq(jq)
        state.jq = jq
        state.json = True
    if quiet:
        state.term.quiet = True
    return state


def given(ctx: Any, name: str) -> bool:
    """Whether the option `name` was given on the command line (not left at its default)."""
    source = ctx.get_parameter_source(name)  # Click's ParameterSource, by name: no import of Click
    return source is not None and source.name != "DEFAULT"


def list_limit(ctx: Any, limit: int, all_: bool) -> int | None:
    """How many records a list command shows: `--limit N`, or None for `--all`."""
    if all_ and given(ctx, "limit"):
        from msgsvc.errors import UsageError

        raise UsageError("--limit and --all cannot be used together")
    return None if all_ else limit


def as_typed(value: str) -> str:
    """A value as the user typed it (a service's name rather than the SID it stands for),
    quoted for a shell when it must be: what a hint names, to be pasted as it is."""
    import shlex

    return shlex.quote(value)


def service_ref(value: str) -> str:
    """A SERVICE as typed: an MG SID in Twilio's spelling, whatever the case it was typed in
    (validate.canonical_sid); anything else as it is (a friendly name). What is clearly a
    mistyped SID rather than a name is refused before any request (ValueError)."""
    import re

    from msgsvc.api import validate

    sid = validate.canonical_sid(value, "MG")
    if sid is not None:
        return sid
    if validate.TYPED_SID.fullmatch(value):  # a SID of another kind
        from msgsvc.api.resources import sid_what

        raise ValueError(f"{value!r} is {sid_what(value[:2].upper())}, not a Messaging Service SID (MG...)")
    if re.fullmatch(r"MG[0-9A-Za-z]{32}|MG[0-9a-fA-F]{20,}", value):
        raise ValueError(f"{value!r} is not a Messaging Service SID (MG followed by 32 hexadecimal digits)")
    return value


def with_suggestion(message: str, value: Any, choices: Sequence[str] | None) -> str:
    """`message`, and what a mistyped choice probably meant (msgsvc/suggest.py)."""
    words = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []
    if not choices:
        return message
    from msgsvc.suggest import did_you_mean

    for word in words:
        if word not in choices:
            hint = did_you_mean(word, choices)
            return f"{message}; {hint}" if hint else message
    return message


def select_fields(text: str, valid: Sequence[str]) -> tuple[str, ...]:
    """--fields a,b,c as keys, each one of `valid`; else a usage error that lists them."""
    from msgsvc.errors import UsageError

    chosen = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [key for key in chosen if key not in valid]
    if not chosen or unknown:
        what = f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)}" if unknown else "no field given"
        raise UsageError(with_suggestion(f"--fields: {what}", unknown, valid), hint="valid fields: " + ",".join(valid))
    return chosen


@contextmanager
def fewer_pages(page_size: int | None) -> Iterator[None]:
    """Around a list command's listing: a list that goes on past the pages msgsvc follows
    (errors.TooManyPages) is told how this command lists fewer, with its --limit, and larger
    pages with --page-size when smaller ones were asked for. Commands without these options
    (numbers find, numbers list --account) say nothing of them: the library names none."""
    from msgsvc.errors import TooManyPages

    try:
        yield
    except TooManyPages as error:
        from msgsvc.api.pages import MAX_PAGE_SIZE

        if error.hint is None:
            larger = page_size is not None and page_size < MAX_PAGE_SIZE
            error.hint = "list fewer with --limit N" + (f", or larger pages with --page-size {MAX_PAGE_SIZE}" if larger else "")
        raise
