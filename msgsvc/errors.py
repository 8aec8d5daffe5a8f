"""Exit codes and the one exception hierarchy; every class carries its exit code.

The CLI's error boundary (`msgsvc.cli.boundary`, through cli/output.py) turns these into
`msgsvc: <message>` plus an optional `hint:` line; nothing else writes that prefix. Nothing here imports requests, rich or typer.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit status msgsvc has; each member's `help` is its line of the help's table."""

    help: str

    def __new__(cls, value: int, help: str) -> ExitCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.help = help
        return member

    OK = 0, "success (an empty list too)"
    ERROR = 1, "API or network error, or some items of a bulk job failed (or would, in a dry run)"
    USAGE = 2, "usage error, invalid input, or declined at a prompt (nothing was changed)"
    NOT_FOUND = 3, "not found (HTTP 404, or no service with that name)"
    AUTH = 4, "authentication: no credentials, an unknown profile, or HTTP 401/403"
    WAIT_TIMEOUT = 5, "a wait ran out of time: campaigns wait, tollfree wait (still in review), send or messages get --wait (not settled)"
    CHANGES_PENDING = 6, "plan --detailed-exitcode: changes pending"
    STALE_PLAN = 7, "apply PLAN: the account changed since the saved plan was made (nothing was sent)"
    LOCKED = 8, "apply: another apply of the same account runs on this machine (nothing was sent; see --lock-timeout)"
    FINDINGS = 9, "doctor: a finding at --fail-on's severity or worse (error by default)"
    HANGUP = 129, "hung up (SIGHUP: the terminal went away), stopped as Ctrl-C stops it"
    INTERRUPTED = 130, "interrupted (Ctrl-C): what was in flight finished and was reported"
    BROKEN_PIPE = 141, "the reader of stdout went away (msgsvc ... | head)"
    TERMINATED = 143, "terminated (SIGTERM), stopped as Ctrl-C stops it"


def _exit_code_lines(code: ExitCode) -> str:
    """A code's line of the help's table, wrapped between words so that it fits 80 columns
    once Click indents it (no textwrap: --help and a Tab press import only their budget)."""
    lines = [f"  {code.value:<4}"]
    for word in code.help.split():
        if len(lines[-1]) + 1 + len(word) > 78:
            lines.append(" " * 6)
        lines[-1] += " " + word
    return "\n".join(lines)


EXIT_CODE_HELP = "Exit status:\n" + "\n".join(_exit_code_lines(code) for code in ExitCode)


class MsgsvcError(Exception):
    """An expected failure, reported as one sentence with an optional hint, and `details`:
    lines under the sentence (each problem of a file), each shown as one line."""

    exit_code: int = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = tuple(details)


class MsgsvcWarning(UserWarning):
    """Something the person should know that does not stop the command. The library hands
    it to a callback it is given; the CLI shows it as `msgsvc: warning: <message>` and a
    `hint:` (output.warning)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class OutputError(MsgsvcError):
    """Standard output cannot be written (a full disk, /dev/full); the data is incomplete."""


class UsageError(MsgsvcError):
    exit_code = ExitCode.USAGE


class ConfigError(MsgsvcError):
    """The configuration file cannot be read or is invalid (it is never rewritten then)."""

    exit_code = ExitCode.USAGE


class NotFoundError(MsgsvcError):
    exit_code = ExitCode.NOT_FOUND


class CredentialsError(MsgsvcError):
    exit_code = ExitCode.AUTH


class KeyringError(CredentialsError):
    """The system keyring cannot give or take a profile's secret: `reason` is "missing",
    "locked", "timeout", "unavailable" (no usable keyring) or "failed" (it raised)."""

    def __init__(self, message: str, *, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class Interrupted(MsgsvcError):
    """Ctrl-C after something may have changed: the message says what, the hint how to go on."""

    exit_code = ExitCode.INTERRUPTED


class Terminated(Interrupted):
    """SIGTERM while changes were being sent: as Ctrl-C, with the exit status of SIGTERM."""

    exit_code = ExitCode.TERMINATED


class StalePlanError(MsgsvcError):
    """A saved plan whose account changed since it was made (apply PLAN): nothing was sent."""

    exit_code = ExitCode.STALE_PLAN


class ApplyLocked(MsgsvcError):
    """Another msgsvc apply of the same account (and API) holds its lock on this machine:
    nothing was read or sent (msgsvc/local/locks.py)."""

    exit_code = ExitCode.LOCKED


class NetworkError(MsgsvcError):
    """DNS failure, refused connection, timeout, TLS failure: nothing usable came back."""


class OutcomeUnknownError(NetworkError):
    """A POST was sent but its answer was lost: it may or may not have taken effect."""


class ResponseError(MsgsvcError):
    """The server answered, but not with what the API promises (not JSON, no list, too
    large, too many pages, ...)."""


class TooManyPages(ResponseError):
    """A list that goes on past the pages msgsvc follows of one list (api.pages.MAX_PAGES).
    It names no option: a command whose options list fewer says which (cli.options.fewer_pages)."""


class ApiError(MsgsvcError):
    """An error answer from the API, with Twilio's code, message and more_info when given."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: int | None = None,
        more_info: str | None = None,
        method: str = "",
        url: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.more_info = more_info
        self.method = method
        self.url = url
        # How an earlier attempt of this request, retried (a GET or DELETE), was answered when
        # it may have been done ("HTTP 500", "a lost answer"): a DELETE's 404 then says that
        # attempt deleted it, not that it was gone already. None: no such attempt.
        self.retried_after: str | None = None

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        if self.status == 404:
            return ExitCode.NOT_FOUND
        if self.status in (401, 403):
            return ExitCode.AUTH
        return ExitCode.ERROR

    def __str__(self) -> str:
        code = f" (Twilio error {self.code})" if self.code else ""
        return f"HTTP {self.status}{code}: {self.message}"
