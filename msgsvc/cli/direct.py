"""A command run without importing typer, when its command line is one it can read.

Importing typer and its Click costs more than a third of a list's start-up, and the list
commands are what scripts run most (`msgsvc services list --all --json` in a loop). Those
whose bodies live where typer is not imported (msgsvc/cli/listing.py: the lists of services,
brands, numbers and the other senders) are listed in
msgsvc/cli/tree_run.py with every option they take, as scripts/gen_tree.py writes it from
the typer app (which stays the source of truth: tests/test_direct.py checks that the file is
what the app gives, and that a line runs the same either way).

This module only reads a line that Click would take, and takes it the way Click would: its
options, each once, spelled out (`--limit 5`, `--limit=5`, `-n 5`), their values converted
and checked as Click checks them (an option's own check too, the typer-free function its
callback calls: invocation.service_ref, a Field's clean), and the arguments. Anything else (an unknown or repeated
option, `-n5`, `--`, a missing or out-of-range value, --help) returns None, and the typer app
runs the line and says what is wrong, as it always did: there is one parser that reports
errors, Click's. The body then runs inside the same boundary as under the typer app
(msgsvc.cli.boundary), with the same State.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping

    from msgsvc.cli.terminal import Terminal

NAME, OPTS, SECONDARY, KIND, VALUE, DEFAULT, ROLE = range(7)  # a parameter of tree_run.py
_REQUIRED = "required"  # the DEFAULT of an argument that must be given (tree_run.py)


class _Source:
    """Where an option's value came from, as Click's ParameterSource names it."""

    def __init__(self, name: str) -> None:
        self.name = name


class Invocation:
    """What a command's body reads of its context (msgsvc.cli.invocation): the run's State
    (`find_root().obj`) and which options the line gave (`get_parameter_source`)."""

    def __init__(self, state: Any, given: set[str], names: set[str]) -> None:
        self.obj = state
        self._given = given
        self._names = names

    def find_root(self) -> Invocation:
        return self

    def get_parameter_source(self, name: str) -> _Source | None:
        if name not in self._names:
            return None  # as Click answers for a parameter the command does not have
        return _Source("COMMANDLINE" if name in self._given else "DEFAULT")


def _value(param: tuple, text: str) -> tuple[bool, Any]:
    """(True, the value) as Click converts and checks `text` for `param`; (False, None) when
    Click would refuse it (and say why: the typer app runs the line)."""
    spec = param[VALUE]
    if spec[0] == "str":
        if len(spec) == 1:
            return True, text
        try:
            return True, _function(spec[1])(text)  # the option's check (its typer callback calls the same)
        except ValueError:
            return False, None
    number = int if spec[0] == "int" else float
    try:
        value = number(text)
    except ValueError:
        return False, None
    if value != value or value in (float("inf"), float("-inf")):
        return False, None  # NaN passes Click's range check and then msgsvc's own: left to them
    low, high, low_open, high_open = spec[1:]
    if low is not None and (value <= low if low_open else value < low):
        return False, None
    if high is not None and (value >= high if high_open else value > high):
        return False, None
    return True, value


def _function(name: str) -> Any:
    """What "module:name" or "module:name.attribute" names (tree_run.py)."""
    import importlib

    module, _, path = name.partition(":")
    found = importlib.import_module(module)
    for part in path.split("."):
        found = getattr(found, part)
    return found


def _options(argv: list[str], start: int, params: tuple, *, interspersed: bool) -> tuple[int, dict, list] | None:
    """Read argv from `start`: the options of `params` (and with `interspersed`, the arguments
    among them), as Click would; (where it stopped, {name: value}, [arguments]), or None for
    a line only Click should read."""
    by_opt = {opt: param for param in params for opt in (*param[OPTS], *param[SECONDARY])}
    values: dict[str, Any] = {}
    arguments: list[str] = []
    i = start
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return None
        if word[:1] != "-" or word == "-":
            if not interspersed:
                break
            arguments.append(word)
            i += 1
            continue
        name, equals, text = word.partition("=") if word.startswith("--") else (word, "", "")
        param = by_opt.get(name)
        if param is None or param[ROLE] == "refused" or param[NAME] in values:
            return None
        if param[VALUE] is None:  # a flag
            if equals:
                return None
            values[param[NAME]] = name not in param[SECONDARY]
            i += 1
            continue
        if not equals:
            if i + 1 >= len(argv) or argv[i + 1][:1] == "-":
                return None  # Click takes the next word whatever it is; such a line is left to it
            text = argv[i + 1]
            i += 1
        ok, value = _value(param, text)
        if not ok:
            return None
        values[param[NAME]] = value
        i += 1
    return i, values, arguments


def parse(argv: list[str]) -> tuple[tuple, tuple, dict, dict, set] | None:
    """(the body to run and the arguments it is given first, its command's parameters, the State's settings, the body's
    arguments, the options given), or
    None when argv is not a line of a command listed in tree_run.py that this can read."""
    from msgsvc.cli.tree_run import ROOT, RUN_PARAMS, RUNS

    read = _options(argv, 0, ROOT, interspersed=False)
    if read is None:
        return None
    i, settings, _ = read
    words: list[str] = []
    while i < len(argv) and " ".join(words) not in RUNS:
        if argv[i][:1] == "-" or " " in argv[i]:
            # an option of a group, a command that is not listed, or one word that RUNS's
            # joined words would match ("services list", which Click finds no command for): Click's
            return None
        words.append(argv[i])
        i += 1
    path = " ".join(words)
    if path not in RUNS:
        return None
    body, bound, indices = RUNS[path]
    params = tuple(RUN_PARAMS[index] for index in indices)
    read = _options(argv, i, params, interspersed=True)
    if read is None:
        return None
    _, values, arguments = read
    positional = [param for param in params if param[KIND] == "argument"]
    if len(arguments) > len(positional):
        return None
    for param, word in zip(positional, arguments):
        ok, values[param[NAME]] = _value(param, word)
        if not ok:
            return None
    if any(param[DEFAULT] is _REQUIRED for param in positional[len(arguments):]):
        return None
    given = set(values)
    for param in params:
        value = values.get(param[NAME])
        # `is`, as msgsvc.cli.app._set_global: --max-retries 0 is a value (and 0 == False)
        if param[ROLE] == "global" and value is not None and value is not False:
            if param[NAME] == "base_url" and not _base_url(settings.get("base_url"))[0]:
                return None  # the root's, which this one overrides, is still refused by the root callback
            settings[param[NAME]] = value  # after the command, as the root's
    arguments_of_body = {param[NAME]: values.get(param[NAME], param[DEFAULT]) for param in params if param[ROLE] == "body"}
    return (body, bound), params, settings, arguments_of_body, given


def _base_url(text: str | None) -> tuple[bool, str | None]:
    """(True, a --base-url as the run uses it), or (False, None) when msgsvc refuses it
    (options.check_global: the typer app says why)."""
    if text is None:
        return True, None
    from msgsvc.api import validate

    try:
        return True, validate.base_url(text)
    except ValueError:
        return False, None


def _state(term: Terminal, settings: dict, environ: Mapping[str, str]) -> Any:
    """The run's State as the root callback makes it (msgsvc.cli.app.root)."""
    from msgsvc.cli.state import State

    from msgsvc.cli.boundary import debug_in

    debug = bool(settings.get("debug")) or debug_in(environ)
    return State(term=term, profile=settings.get("profile"), json=bool(settings.get("json")), base_url=settings.get("base_url"),
                 timeout=settings.get("timeout"), max_retries=settings.get("max_retries"), debug=debug)


def _checked(settings: dict) -> bool:
    """Whether the global options' values are ones msgsvc takes (else the typer app says why);
    --base-url as msgsvc uses it (validate.base_url, which msgsvc.cli.options.check_global
    applies in the typer app). NaN timeouts never get here (_value)."""
    ok, settings["base_url"] = _base_url(settings.get("base_url"))
    return ok


def run(argv: list[str], term: Terminal | None = None, *, exiting: bool = False,
        environ: Mapping[str, str] | None = None) -> int | None:
    """Run the command `argv` names without typer and return its exit status; None when the
    typer app should run it (see the module's docstring)."""
    environ = os.environ if environ is None else environ
    if environ.get("_MSGSVC_COMPLETE"):
        return None
    parsed = parse(argv)
    if parsed is None:
        return None
    body, params, settings, arguments, given = parsed
    if not _checked(settings):
        return None
    from msgsvc.cli.terminal import Terminal

    term = term or Terminal.system()
    state = _state(term, settings, environ)
    from msgsvc.cli.boundary import debug_asked, enable_debug, run_guarded

    function = _function(body[0])
    names = {param[NAME] for param in params}

    def command() -> object:
        if state.debug:
            enable_debug(term)
        return function(*body[1], Invocation(state, given, names), **arguments)

    return run_guarded(term, command, debug=debug_asked(argv), exiting=exiting)
