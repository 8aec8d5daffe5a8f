"""The root command and its global options, as the typer app; the errors only Click raises
turned into messages (every other one: msgsvc/cli/boundary.py).

Start-up is completion latency (every Tab press runs this program), so nothing here or in
the command modules imports urllib3, requests or rich at module level.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperArgument, TyperGroup

from msgsvc import __version__
from msgsvc.cli.options import check_global, hidden_global_options, with_global_options
from msgsvc.cli.boundary import broken_pipe, debug_asked, debug_in, enable_debug, failure, know_secrets, note, report, run_guarded
from msgsvc.errors import EXIT_CODE_HELP, ExitCode

# Typer bundles its own Click and has no public ClickException; our boundary needs it.
from typer._click.exceptions import ClickException, NoArgsIsHelpError

if TYPE_CHECKING:
    from msgsvc.cli.terminal import Terminal

HELP = f"""Administer Twilio Messaging Services from the command line.

Services and their senders (phone numbers, short codes, alpha and channel senders); US A2P
10DLC campaigns and brands; toll-free verification; setup files (export, plan, apply);
checks that services will deliver (doctor); messages (send, messages); credential profiles;
and a local emulator of Twilio's API (emulator) to try everything without an account.

Output is a table on a terminal, tab-separated text in a pipe, and the API's JSON with
--json. The options below may also be given after the command. Credentials come from --profile, $MSGSVC_PROFILE, Twilio's environment variables
(TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET), then
the active profile.

Limits: each attempt of a request, connecting and the whole answer, must end within the
connect and read timeouts together (40 s by default; 2 x SECONDS with --timeout); one answer
is read up to 32 MB; a list follows at most 2,000 pages and stops at 3 empty pages in a
row. Credentials go only over https://, or plain http:// to this machine without a proxy.
SIGTERM and SIGHUP stop msgsvc as Ctrl-C does (what was sent finishes and is reported); then
it dies by the signal, so that a shell loop stops (the shell shows 128 + N: 130, 143, 129).

Example:

\b
    msgsvc profiles add prod --account-sid AC0123...
    msgsvc services list

\b
{EXIT_CODE_HELP}"""

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
GLOBAL_EPILOG = "Global options, also taken here: {}; see 'msgsvc --help'."


class _UnixArgument(TyperArgument):
    """Usage lines name a required argument SERVICE, as Unix tools do; Typer 0.28 writes
    {SERVICE}, which reads as a literal brace or a set to choose from."""

    def make_metavar(self, ctx, *, usage: bool = False) -> str:
        text = super().make_metavar(ctx, usage=usage)
        return text[1:-1] if usage and text.startswith("{") and text.endswith("}") else text


def _set_global(ctx, param, value):
    """A global option given after the command: it sets the run's State as the root would."""
    if value is None or value is False or ctx.resilient_parsing:
        return value
    from msgsvc.cli.state import State

    state = ctx.find_root().obj
    if not isinstance(state, State):  # a sub-app invoked on its own in a test
        return value
    value = check_global(param.name, value)
    if param.name == "debug" and not state.debug:
        enable_debug(state.term)
    setattr(state, param.name, value)
    return value


def _global_options(command) -> None:
    """The global options work after the command too (see GLOBAL_OPTIONS in options.py):
    each leaf command takes those it does not declare itself."""
    subcommands = getattr(command, "commands", None)
    if subcommands is not None:
        if type(command) is TyperGroup:
            command.__class__ = _Suggesting
        for sub in subcommands.values():
            _global_options(sub)
        return
    taken = {opt for param in command.params for opt in getattr(param, "opts", ())}
    made = [option for option in hidden_global_options(_set_global) if not set(option.opts) & taken]
    command.params.extend(made)
    if made and not command.epilog:  # not listed above, yet taken: the help says so in a line
        command.epilog = GLOBAL_EPILOG.format(" ".join(f"[{o.opts[0]}{' ' + o.metavar if o.metavar else ''}]" for o in made))
    command.get_help_option_names = functools.partial(_help_option_names, command)


def _help_option_names(command, ctx) -> list[str]:
    """-h and --help in this order: Click takes them from a set, so that a Tab offered them in
    an order that changed from run to run (and the static tree could not say which)."""
    taken = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    return [name for name in ctx.help_option_names if name not in taken]


def _unix_arguments(command) -> None:
    """Every argument of `command` and of its subcommands names itself the Unix way (our
    commands only: Typer itself is left as it is)."""
    for param in command.params:
        if type(param) is TyperArgument:
            param.__class__ = _UnixArgument
    for sub in getattr(command, "commands", {}).values():
        _unix_arguments(sub)


# Nouns whose module is imported only when the noun is used: noun -> "module" (its Typer
# `app`) or "module:attribute" (a Typer app or a single command function). Every Tab press
# runs msgsvc, and `msgsvc services get <Tab>` needs only the services module.
LAZY: dict[str, str] = {
    "services": "msgsvc.cli.commands.services",
    "numbers": "msgsvc.cli.commands.numbers",
    "short-codes": "msgsvc.cli.commands.senders:short_codes",
    "alpha-senders": "msgsvc.cli.commands.senders:alpha_senders",
    "channel-senders": "msgsvc.cli.commands.senders:channel_senders",
    "destination-alpha-senders": "msgsvc.cli.commands.senders:destination_alpha_senders",
    "campaigns": "msgsvc.cli.commands.campaigns",
    "brands": "msgsvc.cli.commands.brands",
    "tollfree": "msgsvc.cli.commands.tollfree",
    "export": "msgsvc.cli.commands.setup:export",
    "plan": "msgsvc.cli.commands.setup:plan",
    "apply": "msgsvc.cli.commands.setup:apply",
    "profiles": "msgsvc.cli.commands.profiles",
    "emulator": "msgsvc.cli.commands.emulator:emulator",
    "completion": "msgsvc.cli.shell:completion",
    "doctor": "msgsvc.cli.commands.doctor:doctor",
    "send": "msgsvc.cli.commands.send:send",
    "messages": "msgsvc.cli.commands.messages",
    "whoami": "msgsvc.cli.commands.whoami:whoami",
}


class _Suggesting(TyperGroup):
    """A group whose unknown command suggests what was meant, from every command it lists
    (the root's lazily loaded nouns included: LAZY is the list), ignoring case, singular and
    plural, and common synonyms (ls, rm): see msgsvc/suggest.py."""

    def get_help_option_names(self, ctx) -> list[str]:
        return _help_option_names(self, ctx)

    def resolve_command(self, ctx, args):
        from typer._click.exceptions import UsageError as ClickUsageError

        try:
            return self._click_resolve_command(ctx, args)
        except ClickUsageError as error:
            if args and not args[0].startswith("-"):
                from msgsvc.suggest import did_you_mean

                hint = did_you_mean(args[0], self.list_commands(ctx))
                if hint:
                    error.message = f"{error.message.rstrip('.')}. {hint[0].upper()}{hint[1:]}"
            raise


class _Commands(_Suggesting):
    """A noun's group whose commands are built from their functions on first use: `msgsvc
    services list` builds `list` only, not the dozens of field options of create and update
    (typer builds every command of a group at once). They are listed in their declared order."""

    # Set by _group_of, which makes these groups:
    _pending: dict  # name -> typer CommandInfo, not built yet
    _order: list  # every command's name, in the declared order
    _settings: dict  # how typer builds them: pretty_exceptions_short, rich_markup_mode

    def list_commands(self, ctx) -> list[str]:
        return list(self._order)

    def get_command(self, ctx, name: str):
        info = self._pending.pop(name, None)
        if info is not None:
            from typer.main import get_command_from_info

            built = get_command_from_info(info, **self._settings)
            _unix_arguments(built)
            _global_options(built)
            self.commands[name] = built
        return self.commands.get(name)


def _group_of(name: str, target: typer.Typer, holder: typer.Typer):
    """`target` as `holder.add_typer(target, name=name)` builds it, its commands left to be
    built on first use (_Commands); its subgroups, if any, built at once."""
    import copy

    from typer.main import get_command, get_command_name

    shell = copy.copy(target)
    shell.registered_commands = []
    holder.add_typer(shell, name=name)
    group = get_command(holder).commands[name]
    _unix_arguments(group)
    _global_options(group)
    if type(group) is not _Suggesting:  # a group class of its own: built as typer builds it
        holder.registered_groups = []
        holder.add_typer(target, name=name)
        group = get_command(holder).commands[name]
        _unix_arguments(group)
        _global_options(group)
        return group
    group.__class__ = _Commands
    group._pending = {info.name or get_command_name(info.callback.__name__): info for info in target.registered_commands}
    group._order = list(group._pending) + [sub for sub in group.commands if sub not in group._pending]
    group._settings = {"pretty_exceptions_short": holder.pretty_exceptions_short, "rich_markup_mode": holder.rich_markup_mode}
    return group


class _Root(_Suggesting):
    """The root group: the LAZY nouns are listed by name and built on first use."""

    def list_commands(self, ctx) -> list[str]:
        return list(LAZY) + [name for name in self.commands if name not in LAZY]

    def get_command(self, ctx, name: str):
        if name not in self.commands and name in LAZY:
            import importlib

            from typer.main import get_command

            # Built exactly as app.add_typer(...) or app.command(...) would build it.
            module, _, attribute = LAZY[name].partition(":")
            target = getattr(importlib.import_module(module), attribute or "app")
            holder = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False, context_settings=CONTEXT)
            if isinstance(target, typer.Typer):
                built = _group_of(name, target, holder)
            else:  # a single command; the callback keeps the holder a group
                holder.command(name)(target)
                holder.callback()(lambda: None)
                built = get_command(holder).commands[name]
                _unix_arguments(built)
                _global_options(built)
            self.commands[name] = built
        return self.commands.get(name)


app = typer.Typer(
    cls=_Root,
    name="msgsvc",
    help=HELP,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
    context_settings=CONTEXT,
)


def _term(ctx: typer.Context) -> Terminal:
    """This run's Terminal: the root context's obj, until the root callback puts it on the State."""
    obj = ctx.find_root().obj
    if obj is None:  # invoked without cli.run (a test of the bare Click command)
        from msgsvc.cli.terminal import Terminal

        obj = ctx.find_root().obj = Terminal.system()
    return getattr(obj, "term", obj)


def _version(ctx: typer.Context, value: bool) -> None:
    if value:
        term = _term(ctx)  # not through msgsvc.cli.output: it would import json
        term.write_out(f"msgsvc {__version__}\n".encode())
        raise typer.Exit()


@app.callback()
@with_global_options
def root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
    **given,
) -> None:
    for name in ("timeout", "base_url"):
        try:
            given[name] = check_global(name, given[name])
        except typer.BadParameter as error:
            error.param_hint = f"'--{name.replace('_', '-')}'"
            raise
    debug = given["debug"] or debug_in(os.environ)
    from msgsvc.cli.state import State

    state = State(term=_term(ctx), **dict(given, debug=debug))
    ctx.obj = state
    if debug:
        enable_debug(state.term)


def run(argv: list[str] | None = None, term: Terminal | None = None, *, exiting: bool = False) -> int:
    """Run msgsvc and return its exit code; every expected failure is one message on stderr.
    `term` is where it reads and writes (this process's terminal unless given). `exiting`:
    the process ends once this returns (__main__), so what is alive is frozen (see there)."""
    import gc

    # Start-up is a Tab press: building the command tree allocates many objects and no
    # garbage worth collecting, and the collector's passes over them cost milliseconds.
    gc.disable()
    from typer.main import get_command

    from msgsvc.cli.terminal import Terminal

    term = term or Terminal.system()
    command = get_command(app)
    instruction = os.environ.get("_MSGSVC_COMPLETE")
    if instruction:  # one Tab press (or the script): the answer only, never an error
        from msgsvc.cli.shell import respond

        try:
            return respond(term, command, instruction)
        finally:
            gc.enable()
    if argv is None:
        argv = sys.argv[1:]
    command.invoke = _invoke_interruptibly(command.invoke)

    def main() -> object:
        return command.main(args=argv, prog_name="msgsvc", standalone_mode=False, obj=term)

    return run_guarded(term, main, debug=debug_asked(argv), exiting=exiting,
                       more=lambda error, stop: _click_failure(term, error, stop))


class _Interrupted(Exception):
    """Ctrl-C inside a command. Typer's main() turns a KeyboardInterrupt into a silent
    exit 130; this carries it past main() so that the user is told why msgsvc stopped."""


def _invoke_interruptibly(invoke):
    def run_command(ctx):
        try:
            return invoke(ctx)
        except KeyboardInterrupt as error:
            raise _Interrupted() from error

    return run_command


def _click_failure(term: Terminal, error: BaseException, stop) -> int | None:
    """What only the typer app raises, as its exit status; None for every other error
    (msgsvc.cli.boundary.failure says those)."""
    if isinstance(error, NoArgsIsHelpError):
        # `msgsvc`, `msgsvc services`: help asked by omission, the help on stdout and exit 0
        # (as gh and kubectl do); a wrong command is still a usage error (exit 2).
        term.write_out((error.format_message() + "\n").encode())
        return ExitCode.OK
    if isinstance(error, ClickException):
        _report_usage(term, error)
        return ExitCode.USAGE if error.exit_code == 2 else error.exit_code
    if isinstance(error, (typer.Abort, _Interrupted)):
        return failure(term, KeyboardInterrupt(), stop, False)
    if isinstance(error, SystemExit):
        # Typer itself catches EPIPE on stdout, wraps the streams and exits 1; we say
        # nothing and exit 141 as documented.
        if term.unwrap_click_streams():
            return broken_pipe(term)
        raise error
    return None


def _report_usage(term: Terminal, error: ClickException) -> None:
    know_secrets(term)
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        for line in ctx.get_usage().splitlines():
            note(term, line)
    report(term, error.format_message(), f"see '{ctx.command_path} --help'" if ctx is not None else None)


def main() -> None:
    """The console script of installs made before `msgsvc.__main__:main` took over."""
    from msgsvc.cli import signals

    signals.exit(run())
