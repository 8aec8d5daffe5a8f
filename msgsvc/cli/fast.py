"""The fast path: a Tab press, `--version` and `--help` answered without importing typer.

Every Tab press runs msgsvc, and importing typer and building the command tree cost several
times the interpreter's own start. msgsvc/__main__.py asks `answer()` first; it answers from
msgsvc/cli/tree.py, the command tree as data that scripts/gen_tree.py writes from the typer
app (which stays the source of truth: tests/test_fast_path.py checks that the file is what the
app gives, and that both give the same answers), or returns None and the typer app runs.

A Tab press is answered as Click would (msgsvc.cli.shell builds its answers with the same
functions below): the words before the cursor are parsed command by command, leniently (a
mistake stops the parsing, it is no error); then the word being completed is an option's
name, an option's value, an argument, or a subcommand's name. The answers come from the tree,
from msgsvc/cli/complete.py (profiles, and the completion cache) or from the shell (file
names). Nothing here imports typer, click, rich, urllib3 or requests (tests/test_imports.py).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # importing typing costs milliseconds at every Tab press
if TYPE_CHECKING:
    from typing import Any, Iterable, Mapping

COMPLETE_VAR = "_MSGSVC_COMPLETE"
SHELLS = ("bash", "zsh", "fish", "powershell")
HELP_OPTIONS = ("--help", "-h")


# --- the words of one Tab press, and the answer's lines, for each shell ---------------------


def split_arg_string(text: str) -> list[str]:
    """Words as a POSIX shell splits them; an unclosed quote ends the last word (as Click)."""
    import shlex

    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    words: list[str] = []
    try:
        for word in lexer:
            words.append(word)
    except ValueError:
        words.append(lexer.token)
    return words


def completion_args(shell: str, environ: Mapping[str, str]) -> tuple[list[str], str]:
    """(the words after `msgsvc` before the one being completed, that word), as each shell's
    script hands them over (see msgsvc/cli/shell.py)."""
    if shell == "bash":
        words = split_arg_string(environ["COMP_WORDS"])
        cword = int(environ["COMP_CWORD"])
        words = words[1:cword] + [words[cword] if cword < len(words) else ""]
        # bash splits --option=value at '=' (COMP_WORDBREAKS): join them again.
        joined: list[str] = []
        for word in words:
            if joined and (word == "=" or joined[-1].endswith("=")) and joined[-1].startswith("-"):
                joined[-1] += word
            else:
                joined.append(word)
        return joined[:-1], joined[-1]
    line = environ.get("_TYPER_COMPLETE_ARGS", "")
    words = split_arg_string(line)
    if shell == "powershell":
        incomplete = environ.get("_TYPER_COMPLETE_WORD_TO_COMPLETE", "")
        return (words[1:-1] if incomplete else words[1:]), incomplete
    args = words[1:]
    if args and not line.endswith(" "):
        return args[:-1], args[-1]
    return args, ""


def one_line(text: str | None) -> str:
    """A description (a service's friendly name, from a server) as one line with every control
    character shown escaped, as in every other view (msgsvc.cli.terminal.escape)."""
    text = " ".join((text or "").split())
    if text.isascii() and text.isprintable():  # nothing to escape: no need to load the rule
        return text
    from msgsvc.cli.terminal import escape

    return escape(text)


def bash_quote(value: str) -> str:
    """`Staging alerts` as `Staging\\ alerts`: every character a shell treats specially escaped."""
    import re

    return re.sub(r"([^\w@%+=:,./-])", r"\\\1", value)


def powershell_word(text: str) -> str:
    """`text` as one PowerShell argument: as it is when safe, else in single quotes (in which
    PowerShell takes a doubled quote, curly ones included, as one)."""
    if text and all(c.isalnum() or c in "-_.:/=+%~\\" for c in text):
        return text
    return "'" + "".join(c * 2 if c in "'\u2018\u2019\u201a\u201b" else c for c in text) + "'"


def format_answer(shell: str, items: Iterable[tuple[str, str, str | None]], incomplete: str) -> str:
    """The answer's lines for `shell`, from (type, value, description) items (see the
    scripts in msgsvc/cli/shell.py for how each reads them)."""
    lines = []
    if shell == "bash":
        # bash inserts COMPREPLY as typed: a friendly name with spaces or quotes is escaped as
        # `printf %q` would, so that it stays one word. For --option=val, bash replaces only
        # the part after '=', which is what the value completions are.
        lines = [f"{kind},{bash_quote(one_line(value)) if kind == 'plain' else one_line(value)}" for kind, value, _ in items]
    elif shell == "zsh":
        lines = [f"{kind}\n{one_line(value)}\n{one_line(text) or '_'}" for kind, value, text in items]
    elif shell == "fish":
        lines = [f"{kind}\t{one_line(value)}\t{one_line(text)}" for kind, value, text in items]
    elif shell == "powershell":
        # PowerShell replaces the whole word: for --option=val that includes '--option='.
        prefix = incomplete.partition("=")[0] + "=" if incomplete.startswith("-") and "=" in incomplete else ""
        lines = [f"{kind}\t{powershell_word(prefix + value)}\t{value}\t{one_line(text) or value}" for kind, value, text in items]
    return "\n".join(lines)


# --- parsing the words as Click does, leniently, on the tree --------------------------------


class _Stop(Exception):
    """What Click's parser raises as a usage error: in a Tab press it only stops the parsing."""


class Context:
    """One command of the line being completed: what msgsvc.cli.complete reads of Click's
    context (`params`, `parent`), and which parameters the line gave."""

    def __init__(self, path: str, parent: Context | None) -> None:
        from msgsvc.cli.tree import PARAMS, TREE

        self.path, self.parent = path, parent
        self.group, self.commands, indices = TREE[path]
        self.params_list = [PARAMS[i] for i in indices]
        self.params: dict[str, Any] = {}
        self.given: set[str] = set()

    def parse(self, args: list[str]) -> list[str]:
        """Take this command's options and arguments from `args`; what is left (for a group:
        the subcommand and its words)."""
        long, short = {}, {}
        for param in self.params_list:
            for index, opt in enumerate(param[2] + param[3]):
                (long if opt[:2] == "--" else short)[opt] = (param, index >= len(param[2]))
        opts: dict[str, Any] = {}
        rargs, largs = list(args), []

        def value_for(param: tuple) -> str:
            if not rargs:
                raise _Stop()
            return rargs.pop(0)

        def take(param: tuple, secondary: bool, value: Any) -> None:
            if param[4]:  # takes a value
                opts.setdefault(param[1], []).append(value) if param[6] else opts.__setitem__(param[1], value)
            else:
                opts[param[1]] = not secondary

        def short_options(arg: str) -> None:
            for i, char in enumerate(arg[1:], start=2):
                found = short.get(arg[0] + char)
                if found is None:
                    raise _Stop()
                param, secondary = found
                if param[4]:
                    if i < len(arg):
                        rargs.insert(0, arg[i:])
                    take(param, secondary, value_for(param))
                    return
                take(param, secondary, None)

        stopped = False
        try:
            while rargs:
                arg = rargs.pop(0)
                if arg == "--":
                    break
                if arg[:1] == "-" and len(arg) > 1:
                    name, equals, explicit = arg.partition("=")
                    if name in long:
                        param, secondary = long[name]
                        if param[4]:
                            if equals:
                                rargs.insert(0, explicit)
                            take(param, secondary, value_for(param))
                        elif equals:
                            raise _Stop()
                        else:
                            take(param, secondary, None)
                    elif arg[:2] == "--":
                        raise _Stop()
                    else:
                        short_options(arg)
                elif not self.group:
                    largs.append(arg)
                else:
                    rargs.insert(0, arg)
                    break
        except _Stop:
            stopped = True
        if not stopped:
            arguments = [p for p in self.params_list if p[0] == "argument"]
            values, largs = _unpack(largs + rargs, [p[5] for p in arguments])
            for param, value in zip(arguments, values):
                opts[param[1]] = value
        for name, value in opts.items():
            if value is not None:
                self.given.add(name)
                self.params[name] = value
        return largs


def _unpack(args: list[str], nargs: list[int]) -> tuple[list[Any], list[str]]:
    """Click's share of positional words among arguments taking one (1) or all the rest (-1)."""
    values: list[Any] = []
    rest = list(args)
    greedy = nargs.index(-1) if -1 in nargs else None
    before = nargs if greedy is None else nargs[:greedy]
    for _ in before:
        values.append(rest.pop(0) if rest else None)
    if greedy is not None:
        after = [rest.pop() if rest else None for _ in nargs[greedy + 1:]]
        values.append(tuple(rest))
        values += reversed(after)
        rest = []
    return values, rest


def resolve(args: list[str]) -> Context:
    """The context of the command the words lead to (click.shell_completion._resolve_context)."""
    ctx = Context("", None)
    rest = ctx.parse(args)
    while rest and ctx.group:
        names = [name for name, _ in ctx.commands]
        if rest[0] not in names:
            return ctx
        ctx = Context(f"{ctx.path} {rest[0]}".strip(), ctx)
        rest = ctx.parse(rest[1:])
    return ctx


def completions(args: list[str], incomplete: str) -> list[tuple[str, str, str | None]]:
    """(type, value, description) of what completes `incomplete` after `args`."""
    ctx = resolve(args)
    args = list(args)
    if incomplete == "=":
        incomplete = ""
    elif "=" in incomplete and incomplete[:1] == "-":
        name, _, incomplete = incomplete.partition("=")
        args.append(name)
    if "--" not in args and incomplete[:1] == "-":
        return _command_items(ctx, incomplete)
    last = args[-1] if args and args[-1][:1] == "-" else None
    for param in ctx.params_list:
        if param[0] == "option" and param[4] and last is not None and last in param[2]:
            return _value_items(ctx, param, incomplete)
    for param in ctx.params_list:
        if param[0] == "argument" and (param[5] == -1 or param[1] not in ctx.given):
            return _value_items(ctx, param, incomplete)
    return _command_items(ctx, incomplete)


def _command_items(ctx: Context, incomplete: str) -> list[tuple[str, str, str | None]]:
    """A group's subcommands, then (for `-...`) the options not given yet, the global options a
    command takes after itself included although its help does not list them."""
    items = [("plain", name, text) for name, text in ctx.commands if name.startswith(incomplete)]
    if incomplete and not incomplete[0].isalnum():
        options = [p for p in ctx.params_list if p[0] == "option" and (p[6] or p[1] not in ctx.given)]
        for param in options:
            if not param[7]:
                items += [("plain", name, param[9]) for name in param[2] + param[3] if name.startswith(incomplete)]
        for param in options:
            if param[7] and param[8]:
                items += [("plain", name, param[9]) for name in param[2] if name.startswith(incomplete)]
    return items


def _value_items(ctx: Context, param: tuple, incomplete: str) -> list[tuple[str, str, str | None]]:
    how = param[10]
    if how is None:
        return []
    if how[0] == "file":
        return [("file", incomplete, None)]
    if how[0] == "choices":
        case = how[2]
        return [("plain", c, None) for c in how[1]
                if (c.startswith(incomplete) if case else c.lower().startswith(incomplete.lower()))]
    from msgsvc.cli import complete

    if how[0] == "fields":
        function = complete.FieldNames(how[1]).complete
    elif how[0] == "senders":
        function = complete.AttachedSenders(how[1]).complete
    else:
        function = getattr(complete, how[1])
    code = function.__code__
    names = code.co_varnames[:code.co_argcount]
    found = function(**{name: ctx if name == "ctx" else incomplete for name in names if name in ("ctx", "incomplete")})
    items = [("plain", *(c if isinstance(c, tuple) else (c, None))) for c in found]
    return [item for item in items if item[1].startswith(incomplete)]


def complete_line(shell: str, environ: Mapping[str, str]) -> tuple[str, int]:
    """The answer to one Tab press, and the exit status (fish asks whether there is any)."""
    args, incomplete = completion_args(shell, environ)
    items = completions(args, incomplete)
    if shell == "fish" and environ.get("_TYPER_COMPLETE_FISH_ACTION") == "is-args":
        return "", 0 if items else 1
    return format_answer(shell, items, incomplete), 0


# --- --version and --help -----------------------------------------------------------------


def _columns() -> int:
    """The terminal's width as Click measures it (shutil.get_terminal_size, whose import would
    cost more than the rest of a --help): $COLUMNS, else standard output's terminal, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(1).columns
        except (ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def help_text(argv: list[str]) -> str | None:
    """The --help of the command `argv` names (`services create --help`), when it was
    generated for this terminal's width; else None."""
    if not argv or argv[-1] not in HELP_OPTIONS or any(word[:1] == "-" for word in argv[:-1]):
        return None
    from msgsvc.cli.tree import TREE

    path = " ".join(argv[:-1])
    if path not in TREE:
        return None
    columns = min(_columns(), 102)
    from msgsvc.cli.tree_help import HELP

    return HELP[path].get(102 if columns >= 102 else columns)


# --- the entry point ----------------------------------------------------------------------


def _write(term: Any, text: str) -> bool:
    """Write the answer through the run's Terminal; False when it cannot be written (a full
    disk, a closed pipe): then the typer app runs and meets the same error where every
    failure becomes its message and exit status (msgsvc.cli.app)."""
    from msgsvc.errors import OutputError

    try:
        term.write_out(text.encode(term.stdout.encoding or "utf-8", "replace"))
    except (OutputError, OSError):
        return False
    return True


def answer(argv: list[str], environ: Mapping[str, str] | None = None) -> int | None:
    """Answer a Tab press, `--version` or `--help` from the tree and return the exit status;
    None when this is for the typer app (anything else, or a help for another width)."""
    environ = os.environ if environ is None else environ
    instruction = environ.get(COMPLETE_VAR)
    text, code = None, 0
    if instruction:
        action, _, shell = instruction.partition("_")
        if action != "complete" or shell not in SHELLS:
            return None  # a script (source_SHELL): msgsvc.cli.shell has them
        from msgsvc.cli.terminal import Terminal

        term = Terminal.system()
        with term.muted():  # a Tab press shows its answer only
            try:
                text, code = complete_line(shell, environ)
            except BaseException:  # noqa: BLE001 - a Tab must never show an error
                text, code = "", 0
        if text:
            _write(term, text + "\n")
        return code
    if argv == ["--version"]:
        from msgsvc import __version__

        text = f"msgsvc {__version__}\n"
    else:
        text = help_text(argv)
    if text is None:
        return None
    from msgsvc.cli.terminal import Terminal

    return 0 if _write(Terminal.system(), text) else None
