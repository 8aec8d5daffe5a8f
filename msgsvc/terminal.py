"""The terminal of one run: its streams, whether each is a terminal, its width and colour, the
secrets to keep out of everything written, and how untrusted text is made safe to show.

Created once per run (`Terminal.system()` in `cli.run`, `Terminal.fake(...)` in tests) and
carried on the State as `state.term`; every function of `msgsvc.output` takes it first. This
is the only module of msgsvc that looks at `sys.stdin`, `sys.stdout`, `sys.stderr` or asks
whether a stream is a terminal (tests/test_terminal_object.py checks that), as HTTPie's
`Environment` and gh's `IOStreams` are for those tools.

Nothing heavy is imported here: Rich only inside `console()`, when a table or a progress bar
is drawn.
"""

from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from typing import IO, Any, Iterator

MIN_SECRET = 6  # shorter "secrets" are not real tokens: redacting "a" would mangle every message


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # None, closed, or not a file
        return False


class Terminal:
    """Where output goes and how it must look."""

    def __init__(
        self,
        stdin: IO[str],
        stdout: IO[str],
        stderr: IO[str],
        *,
        stdin_tty: bool,
        stdout_tty: bool,
        stderr_tty: bool,
        width: int | None = None,
        color: bool | None = None,
        detect: bool = False,
    ) -> None:
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.stdin_tty, self.stdout_tty, self.stderr_tty = stdin_tty, stdout_tty, stderr_tty
        self.width = width  # None: the OS (or $COLUMNS) decides
        self.color = color  # None: Rich decides (it honours NO_COLOR and FORCE_COLOR)
        self.secrets: set[str] = set()
        # A real run lets Rich look at the streams itself, exactly as it always has.
        self._detect = detect

    @classmethod
    def system(cls) -> Terminal:
        """This process's own streams."""
        _streams_that_never_fail()
        return cls(
            sys.stdin, sys.stdout, sys.stderr,
            stdin_tty=_isatty(sys.stdin), stdout_tty=_isatty(sys.stdout), stderr_tty=_isatty(sys.stderr),
            detect=True,
        )

    @classmethod
    def fake(cls, *, tty: bool = False, stdin_tty: bool = False, stderr_tty: bool = False,
             width: int | None = 80, stdin: str = "", color: bool = False) -> Terminal:
        """For tests: stdin from a string; stdout and stderr captured as bytes (`out`, `err`,
        `out_bytes`, `err_bytes`); `tty` says whether stdout is a terminal."""

        def captured() -> io.TextIOWrapper:
            return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="", write_through=True)

        return cls(io.StringIO(stdin), captured(), captured(), stdin_tty=stdin_tty, stdout_tty=tty,
                   stderr_tty=stderr_tty, width=width, color=color)

    # --- what a fake captured ----------------------------------------------------------------

    @property
    def out_bytes(self) -> bytes:
        self.stdout.flush()
        return self.stdout.buffer.getvalue()  # type: ignore[attr-defined]

    @property
    def err_bytes(self) -> bytes:
        self.stderr.flush()
        return self.stderr.buffer.getvalue()  # type: ignore[attr-defined]

    @property
    def out(self) -> str:
        return self.out_bytes.decode("utf-8")

    @property
    def err(self) -> str:
        return self.err_bytes.decode("utf-8")

    # --- text ----------------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """Every known secret of this run in `text` becomes ***."""
        for secret in self.secrets:
            if secret and len(secret) >= MIN_SECRET:
                text = text.replace(secret, "***")
        return text

    def escape(self, text: str) -> str:
        """Untrusted text (API data) made safe to show: the one place where that is decided.
        Today: tabs and line breaks become spaces, so one record stays one line."""
        return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")

    # --- drawing -------------------------------------------------------------------------------

    def console(self, *, stderr: bool = False) -> Any:
        """A Rich Console writing to stdout (or stderr) with this terminal's width and colour."""
        from rich.console import Console

        options: dict[str, Any] = {"file": self.stderr if stderr else self.stdout, "highlight": False}
        if self.width is not None:
            options["width"] = self.width
        if self.color is False:
            options["color_system"] = None
        if not self._detect:
            options["force_terminal"] = self.stderr_tty if stderr else self.stdout_tty
        return Console(**options)

    # --- the process's streams -----------------------------------------------------------------

    @contextmanager
    def attached(self) -> Iterator[Terminal]:
        """sys.stdin/stdout/stderr are this terminal's streams for the duration, so that what
        Click writes itself (help, prompts) goes where msgsvc's own output goes."""
        saved = sys.stdin, sys.stdout, sys.stderr
        sys.stdin, sys.stdout, sys.stderr = self.stdin, self.stdout, self.stderr
        try:
            yield self
        finally:
            sys.stdin, sys.stdout, sys.stderr = saved

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Whatever anything prints meanwhile is swallowed (a Tab press must show nothing but
        its answer); this terminal's own streams still work."""
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved

    def unwrap_click_streams(self) -> bool:
        """Click meets a broken pipe on stdout by wrapping sys.stdout and sys.stderr in its
        PacifyFlushWrapper and exiting 1. Undo that; True if it had happened."""
        from typer._click.utils import PacifyFlushWrapper

        if not isinstance(sys.stdout, PacifyFlushWrapper):
            return False
        sys.stdout = sys.stdout.wrapped
        sys.stderr = getattr(sys.stderr, "wrapped", sys.stderr)
        return True

    def silence_stdout(self) -> None:
        """The reader went away (msgsvc ... | head): stdout becomes /dev/null, so that the
        interpreter's last flush at exit reports nothing."""
        import os

        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass


def _streams_that_never_fail() -> None:
    """A character the output's encoding cannot show becomes '?', as Windows programs do, instead
    of an error: Python writes a pipe or a file in the ANSI code page there (cp1252, say),
    and a service's name may hold any character. PYTHONUTF8=1 gives UTF-8 instead."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding != "utf8" and getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
