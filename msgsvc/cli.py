"""The root command, its global options, and the one boundary where errors become messages.

Start-up is completion latency (every Tab press runs this program), so nothing here or in
the command modules imports requests or rich at module level.
"""

from __future__ import annotations

import gc

# Start-up is a Tab press: importing typer and building the command tree allocate many objects
# and no garbage worth collecting, and the collector's passes over them cost about 4 ms.
# Collection resumes once the tree is built (see run()).
gc.disable()

import os  # noqa: E402
import sys  # noqa: E402
from typing import TYPE_CHECKING, Annotated, Optional

import typer  # noqa: E402
from typer.core import TyperArgument, TyperGroup  # noqa: E402

from msgsvc import __version__  # noqa: E402
from msgsvc.complete import complete_profiles  # noqa: E402
from msgsvc.errors import EXIT_CODE_HELP, ExitCode, Interrupted, MsgsvcError  # noqa: E402

if TYPE_CHECKING:
    from msgsvc.state import State

# Typer bundles its own Click and has no public ClickException; our boundary needs it.
from typer._click.exceptions import ClickException, NoArgsIsHelpError  # noqa: E402

HELP = f"""Administer Twilio Messaging Services: services, their senders, credential profiles.

Output is a table on a terminal, tab-separated text in a pipe, and the API's JSON with
--json. Credentials come from --profile, $MSGSVC_PROFILE, Twilio's environment variables
(TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET), then
the active profile.

Example:

\b
    msgsvc profiles add prod --account-sid AC0123...
    msgsvc services list

\b
{EXIT_CODE_HELP}"""

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

_typer_metavar = TyperArgument.make_metavar


def _unix_metavar(self, ctx, *, usage: bool = False) -> str:
    """Usage lines name a required argument SERVICE, as Unix tools do; Typer 0.28 writes
    {SERVICE}, which reads as a literal brace or a set to choose from."""
    text = _typer_metavar(self, ctx, usage=usage)
    return text[1:-1] if usage and text.startswith("{") and text.endswith("}") else text


TyperArgument.make_metavar = _unix_metavar

# Nouns whose module is imported only when the noun is used: noun -> "module" (its Typer
# `app`) or "module:attribute" (a Typer app or a single command function). Every Tab press
# runs msgsvc, and `msgsvc services get <Tab>` needs only the services module.
LAZY: dict[str, str] = {}


class _Root(TyperGroup):
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
                holder.add_typer(target, name=name)
            else:  # a single command; the callback keeps the holder a group
                holder.command(name)(target)
                holder.callback()(lambda: None)
            self.commands[name] = get_command(holder).commands[name]
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


def _version(value: bool) -> None:
    if value:
        print(f"msgsvc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", metavar="NAME", help="Use this profile's credentials and settings.", autocompletion=complete_profiles, show_default=False)] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the API's JSON (for scripts).")] = False,
    base_url: Annotated[Optional[str], typer.Option("--base-url", metavar="URL", help="Send every request to this base URL instead of Twilio's hosts (a local server, the emulator). Also $MSGSVC_BASE_URL.", show_default=False)] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", metavar="SECONDS", min=0.001, max=86400, help="Connect and read timeout in seconds [default: 10 to connect, 30 to read]. Also $MSGSVC_TIMEOUT.", show_default=False)] = None,
    max_retries: Annotated[Optional[int], typer.Option("--max-retries", metavar="N", min=0, max=100, help="Retries after 429/503, and after 5xx or a lost connection for GET and DELETE [default: 4]. Also $MSGSVC_MAX_RETRIES.", show_default=False)] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Log every request, response and retry to stderr (secrets masked). Also MSGSVC_DEBUG=1.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    global _state
    if timeout is not None and timeout != timeout:  # NaN passes Click's range check
        raise typer.BadParameter("nan is not a number of seconds", param_hint="'--timeout'")
    if base_url is not None:
        from msgsvc import validate

        try:
            base_url = validate.base_url(base_url)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--base-url'") from None
    debug = debug or os.environ.get("MSGSVC_DEBUG", "") not in ("", "0", "false", "no")
    from msgsvc.state import State

    state = State(
        profile=profile, json=json_, base_url=base_url, debug=debug, timeout=timeout,
        max_retries=max_retries,
    )
    ctx.obj = state
    _state = state
    if debug:
        _enable_debug(state)


_state: State | None = None  # this invocation's, for redacting secrets from error messages
_show_other_warning = None  # warnings.showwarning as it was before msgsvc's (for others' warnings)


def _redact(text: str, state: State | None = None) -> str:
    """Every known secret of this invocation in `text` becomes ***."""
    state = state or _state
    for secret in state.secrets if state is not None else ():
        if secret and len(secret) >= 6:  # a real token; "a" would mangle every message
            text = text.replace(secret, "***")
    return text


def _disable_debug() -> None:
    """Undo _enable_debug, so that one in-process run does not leak into the next."""
    if "logging" not in sys.modules:
        return
    import logging

    logger = logging.getLogger("msgsvc")
    logger.handlers[:] = []
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


def _enable_debug(state: State) -> None:
    import logging  # only here: importing logging costs about 10 ms at every start

    class _Redact(logging.Filter):
        """Last line of defence: any known secret in a debug line becomes ***."""

        def __init__(self, state: State) -> None:
            super().__init__()
            self.state = state

        def filter(self, record: logging.LogRecord) -> bool:
            record.msg, record.args = _redact(record.getMessage(), self.state), None
            return True

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(message)s"))
    handler.addFilter(_Redact(state))
    logger = logging.getLogger("msgsvc")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False


def _register() -> None:
    from msgsvc import shell

    # Each noun is imported and built only when a command line names it (start-up speed).
    LAZY["services"] = "msgsvc.commands.services"
    LAZY["numbers"] = "msgsvc.commands.senders:numbers"
    LAZY["short-codes"] = "msgsvc.commands.senders:short_codes"
    LAZY["alpha-senders"] = "msgsvc.commands.senders:alpha_senders"
    LAZY["channel-senders"] = "msgsvc.commands.senders:channel_senders"
    LAZY["destination-alpha-senders"] = "msgsvc.commands.senders:destination_alpha_senders"
    LAZY["campaigns"] = "msgsvc.commands.campaigns"
    LAZY["brands"] = "msgsvc.commands.brands"
    LAZY["profiles"] = "msgsvc.commands.profiles"
    LAZY["emulator"] = "msgsvc.commands.emulator:emulator"
    app.command("completion")(shell.completion)


_register()
gc.enable()  # importing msgsvc.cli from Python (tests, scripts) leaves the collector on


# --- the error boundary ---------------------------------------------------------------------


def report(message: str, hint: str | None = None) -> None:
    # A server may echo what it was sent; a secret never reaches the terminal.
    print(f"msgsvc: {_redact(message)}", file=sys.stderr)
    if hint:
        print(f"hint: {_redact(hint)}", file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """warnings.showwarning for a run: msgsvc's own warnings as `msgsvc: warning: ...`."""
    from msgsvc.errors import MsgsvcWarning

    if isinstance(message, MsgsvcWarning):
        report(f"warning: {message.message}", message.hint)
    else:
        _show_other_warning(message, category, filename, lineno, file, line)


def report_error(error: MsgsvcError) -> None:
    from msgsvc.errors import ApiError

    message = str(error)
    hint = error.hint
    if isinstance(error, ApiError):
        if error.more_info:
            message += f" (see {error.more_info})"
        if hint is None:
            hint = _api_hint(error)
    report(message, hint)


def _api_hint(error) -> str | None:
    if error.status == 401:
        return "the credentials were refused: check them with 'msgsvc profiles show'"
    if error.status == 403:
        return "the credentials are valid but not allowed to do this (account suspended, or a restricted API key)"
    if error.status == 429:
        return "Twilio is rate-limiting this account; try again later or raise --max-retries"
    return None


def run(argv: list[str] | None = None) -> int:
    """Run msgsvc and return its exit code; every expected failure is one message on stderr."""
    from typer.main import get_command

    global _state
    gc.disable()
    command = get_command(app)
    _state = None
    instruction = os.environ.get("_MSGSVC_COMPLETE")
    if instruction:  # one Tab press (or the script): the answer only, never an error
        from msgsvc.shell import respond

        try:
            return respond(command, instruction)
        finally:
            gc.enable()
    gc.enable()
    global _show_other_warning
    import warnings

    if warnings.showwarning is not _show_warning:
        _show_other_warning, warnings.showwarning = warnings.showwarning, _show_warning
    debug = os.environ.get("MSGSVC_DEBUG", "") not in ("", "0", "false", "no") or "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return _run(command, argv, debug)
    finally:
        _disable_debug()
        _state = None


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


def _run(command, argv: list[str] | None, debug: bool) -> int:
    command.invoke = _invoke_interruptibly(command.invoke)
    try:
        result = command.main(args=argv, prog_name="msgsvc", standalone_mode=False)
        return result if isinstance(result, int) else ExitCode.OK
    except Interrupted as error:
        print(file=sys.stderr)  # past the ^C the terminal echoed
        report_error(error)
        return int(error.exit_code)
    except MsgsvcError as error:
        report_error(error)
        return int(error.exit_code)
    except NoArgsIsHelpError as error:
        error.show()  # the help, on stderr: no command was given
        return ExitCode.USAGE
    except ClickException as error:
        _report_usage(error)
        return ExitCode.USAGE if error.exit_code == 2 else error.exit_code
    except (typer.Abort, KeyboardInterrupt, _Interrupted):
        print(file=sys.stderr)
        report("interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return _broken_pipe()
    except SystemExit:
        from typer._click.utils import PacifyFlushWrapper

        if isinstance(sys.stdout, PacifyFlushWrapper):
            # Typer itself catches EPIPE on stdout, wraps the streams and exits 1; we say
            # nothing and exit 141 as documented.
            sys.stdout = sys.stdout.wrapped
            sys.stderr = getattr(sys.stderr, "wrapped", sys.stderr)
            return _broken_pipe()
        raise
    except Exception as error:  # an unexpected bug: one line, and the way to see more
        if debug:
            import traceback

            traceback.print_exc()
        report(
            f"unexpected error: {type(error).__name__}: {error}",
            None if debug else "run again with --debug (or MSGSVC_DEBUG=1) to see the details",
        )
        return ExitCode.ERROR


def _broken_pipe() -> int:
    """The reader went away (msgsvc ... | head): say nothing, like other Unix tools."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    return ExitCode.BROKEN_PIPE


def _report_usage(error: ClickException) -> None:
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        print(ctx.get_usage(), file=sys.stderr)
    report(error.format_message(), f"see '{ctx.command_path} --help'" if ctx is not None else None)


def main() -> None:
    sys.exit(run())
