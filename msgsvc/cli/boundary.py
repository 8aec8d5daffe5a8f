"""The one boundary where errors become messages and exit codes, however a command runs.

A command runs through the typer app (msgsvc.cli.app) or, for the commands that can, without
importing typer (msgsvc.cli.direct). Both run it inside `run_guarded`: the signals that stop
it, the collector's settings for a long command, and every expected failure turned into one
message on stderr and its documented exit status. The typer app adds what only Click raises
(usage errors, help by omission) as `more`. Nothing here imports typer.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Mapping

    from msgsvc.cli.terminal import Terminal
    from msgsvc.errors import MsgsvcError

# Allocations between two passes of the cycle collector during a command (run_guarded).
GC_EVERY = 100_000


def debug_in(environ: Mapping[str, str]) -> bool:
    """Whether $MSGSVC_DEBUG asks for --debug (any value but empty, 0, false, no)."""
    return environ.get("MSGSVC_DEBUG", "") not in ("", "0", "false", "no")


def debug_asked(argv: list[str]) -> bool:
    """Whether this run logs its requests: --debug on the line, or $MSGSVC_DEBUG set."""
    return debug_in(os.environ) or "--debug" in argv


def run_guarded(term: Terminal, command: Callable[[], object], *, debug: bool, exiting: bool,
                more: Callable[[BaseException, object], int | None] | None = None) -> int:
    """Run `command()` and return the run's exit status; every expected failure is one
    message on stderr. `more(error, stop)` may take an error first (an exit status) or leave
    it (None). `exiting`: the process ends once this returns (__main__), so what is alive
    is frozen rather than collected (see there)."""
    import gc

    # A command allocates objects by the hundred thousand (a page of 1,000 services is some
    # 20,000 of them, a bulk job's requests as many) and few cycles: at Python's default of a
    # pass every 700, the collector's passes over what survives cost a tenth of a 10,000-service
    # list, holding up every thread of a bulk job while they run. A pass every GC_EVERY instead.
    if exiting:
        from msgsvc.cli.state import exiting as last_run

        last_run()
    threshold = gc.get_threshold()
    gc.set_threshold(GC_EVERY, *threshold[1:])
    gc.enable()
    try:
        with term.attached():
            from msgsvc.cli.signals import signals_as_ctrl_c

            with signals_as_ctrl_c() as stop:
                try:
                    result = command()
                    from msgsvc.errors import ExitCode

                    code = result if isinstance(result, int) else ExitCode.OK
                except BaseException as error:  # noqa: BLE001 - sorted out by failure()
                    code = more(error, stop) if more is not None else None
                    if code is None:
                        code = failure(term, error, stop, debug)
            return stop.exit_code(code)
    finally:
        if exiting:
            # Before the threshold is lowered again: else the next allocation would set off a
            # pass over everything the command allocated, just before the process ends.
            gc.freeze()
        gc.set_threshold(*threshold)
        disable_debug()


def failure(term: Terminal, error: BaseException, stop, debug: bool) -> int:
    """Say `error` on stderr as its message, and return its exit status; an error that is no
    failure of a command (SystemExit) goes on."""
    from msgsvc.errors import ExitCode, Interrupted, MsgsvcError, OutputError

    if isinstance(error, Interrupted):
        note(term, "")  # past the ^C the terminal echoed
        report_error(term, error)
        return int(error.exit_code)
    if isinstance(error, MsgsvcError):
        report_error(term, error)
        if isinstance(error, OutputError):
            term.silence_stdout()  # nothing more to flush at exit, and nothing said twice
        return int(error.exit_code)
    if isinstance(error, KeyboardInterrupt):
        note(term, "")
        report(term, "terminated" if stop.terminated else "interrupted")
        return ExitCode.INTERRUPTED
    if isinstance(error, BrokenPipeError):
        return broken_pipe(term)
    if isinstance(error, OSError):  # the machine, not msgsvc: a full disk, a read-only directory
        where = f": {error.filename}" if error.filename else ""
        report(term, f"{error.strerror or error}{where}")
        term.silence_stdout()
        return ExitCode.ERROR
    if not isinstance(error, Exception):
        raise error
    # An unexpected bug: one line, and the way to see more.
    know_secrets(term)
    if debug:  # masked and escaped line by line, as every line msgsvc writes: an exception may quote a secret
        import traceback

        from msgsvc.cli.terminal import escape

        lines = traceback.format_exception(error)
        term.stderr.write("".join(escape(term.redact(line)) + "\n" for line in "".join(lines).splitlines()))
    report(
        term,
        f"unexpected error: {type(error).__name__}: {error}",
        None if debug else "run again with --debug (or MSGSVC_DEBUG=1) to see the details",
    )
    return ExitCode.ERROR


def broken_pipe(term: Terminal) -> int:
    """The reader went away (msgsvc ... | head): say nothing, like other Unix tools."""
    from msgsvc.errors import ExitCode

    term.silence_stdout()
    return ExitCode.BROKEN_PIPE


def note(term: Terminal, text: str) -> None:
    from msgsvc.cli.output import note  # only when there is something to say: it imports json

    note(term, text)


def report(term: Terminal, message: str, hint: str | None = None) -> None:
    from msgsvc.cli.output import report  # only when there is something to say: it imports json

    report(term, message, hint)


def know_secrets(term: Terminal) -> None:
    """An error may come before the command has read its credentials (a usage error, a
    --fields or --profile refused) and quote a secret typed where a value goes: the run's
    Terminal is told every secret it can know without the keyring (local.config.known_secrets)."""
    from msgsvc.local.config import known_secrets

    term.secrets |= known_secrets(os.environ)


def report_error(term: Terminal, error: MsgsvcError) -> None:
    from msgsvc.errors import ApiError

    know_secrets(term)

    message = str(error)
    hint = error.hint
    if isinstance(error, ApiError):
        if error.more_info:
            message += f" (see {error.more_info})"
        if hint is None:
            hint = _api_hint(error)
    from msgsvc.cli.output import report

    report(term, message, hint, details=error.details)


def _api_hint(error) -> str | None:
    if error.status == 401:
        return "the credentials were refused: check them with 'msgsvc profiles test'"
    if error.status == 403:
        return "the credentials are valid but not allowed to do this (account suspended, or a restricted API key)"
    if error.status == 429:
        return "Twilio is rate-limiting this account; try again later or raise --max-retries"
    return None


# --- --debug ------------------------------------------------------------------------------


def disable_debug() -> None:
    """Undo enable_debug, so that one in-process run does not leak into the next."""
    if "logging" not in sys.modules:
        return
    import logging

    logger = logging.getLogger("msgsvc")
    logger.handlers[:] = []
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


def enable_debug(term: Terminal) -> None:
    import logging  # only here: importing logging costs about 10 ms at every start

    class _Redact(logging.Filter):
        """Last line of defence: any known secret in a debug line becomes ***."""

        def filter(self, record: logging.LogRecord) -> bool:
            record.msg, record.args = term.escape(record.getMessage()), None
            return True

    handler = logging.StreamHandler(term.stderr)
    handler.setFormatter(logging.Formatter("debug: %(message)s"))
    handler.addFilter(_Redact())
    logger = logging.getLogger("msgsvc")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
