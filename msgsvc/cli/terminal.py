"""The terminal of one run: its streams, whether each is a terminal, its width and colour, the
secrets to keep out of everything written, and how untrusted text is made safe to show.

Created once per run (`Terminal.system()` in `cli.run`, `Terminal.fake(...)` in tests) and
carried on the State as `state.term`; every function of `msgsvc.cli.output` takes it first. This
is the only module of msgsvc that looks at `sys.stdin`, `sys.stdout`, `sys.stderr` or asks
whether a stream is a terminal (tests/test_terminal_object.py checks that), as HTTPie's
`Environment` and gh's `IOStreams` are for those tools.

Nothing heavy is imported here: Rich only inside `console()`, when a table or a progress bar
is drawn.
"""

from __future__ import annotations

import io
import re
import sys
from contextlib import contextmanager
TYPE_CHECKING = False  # the fast path (fast.py) writes through a Terminal: no typing at run time
if TYPE_CHECKING:
    from typing import IO, Any, Iterator

MIN_SECRET = 6  # shorter "secrets" are not real tokens: redacting "a" would mangle every message

# What a terminal would act on or a reader be fooled by: C0 controls (ESC, NUL, \t, \n, \r,
# \v, \f, \x1c...), DEL, C1 controls (U+0080-U+009F: U+009B is a one-byte CSI), the Unicode
# line and paragraph separators, the bidirectional overrides and isolates, and lone
# surrogates (which no stream can encode).
_UNSAFE = "\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
# Compiled on first use: `msgsvc --version` writes through a Terminal and escapes nothing,
# and compiling the two costs a millisecond. TSV: the backslash too, so that it reads back.
_SHOWN = {False: f"[{_UNSAFE}]", True: f"[\\\\{_UNSAFE}]"}
_COMPILED: dict[bool, re.Pattern] = {}
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"}


def _visible(match: re.Match) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


# How much of one text a person's view shows: a server may send a name or an error message of
# 100 KB, which would scroll everything else off the screen. A longer text shows its first
# SHOWN_MAX characters and how many more it has; TSV (tsv=True) and --json, which programs
# read, keep every character. SHOWN_MAX keeps whole the longest text Twilio takes from a person
# (a campaign's description, 4,096 characters). A text is cut only when more than CUT_SLACK
# characters would be left out: so a line that quotes a text cut already (a note, an error,
# a detail) is not cut again, and no marker stands for fewer characters than its own.
SHOWN_MAX = 4096
CUT_SLACK = 512


def _cut(text: str) -> tuple[str, str]:
    """(what is shown of `text`, the marker after it): the whole text and no marker unless it
    is longer than SHOWN_MAX + CUT_SLACK characters."""
    if len(text) <= SHOWN_MAX + CUT_SLACK:
        return text, ""
    return text[:SHOWN_MAX], f"… ({len(text) - SHOWN_MAX:,} more characters)"


def escape(text: str, *, tsv: bool = False) -> str:
    """Untrusted text (API data, messages quoting it) made safe for a person's terminal: the
    one place where that is decided. Every character of _UNSAFE is shown as a visible escape
    (`\\t`, `\\n`, `\\r`, `\\x1b`, `\\u009b`, `\\u2028`), so nothing a server sends can move the
    cursor, write the clipboard, hide a link or break a line. With `tsv`, a backslash is
    doubled as well: a TSV field then reads back exactly (README, "Output")."""
    pattern = _COMPILED.get(tsv)
    if pattern is None:
        pattern = _COMPILED[tsv] = re.compile(_SHOWN[tsv])
    return pattern.sub(_visible, text) if pattern.search(text) else text


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
        self.color = color  # None: Rich decides (FORCE_COLOR, a terminal); False: no styling
        self.secrets: set[str] = set()
        self.quiet = False  # --quiet: notes are not written (errors and warnings still are)
        self.live: Any = None  # the progress bar being drawn on stderr, if any (notes go above it)
        self._basic: set[str] = set()  # base64 of "username:password", as in an Authorization header
        self._redaction: tuple[frozenset, Any] = (frozenset(), ((), (), None))
        # A real run lets Rich look at the streams itself, exactly as it always has.
        self._detect = detect

    @classmethod
    def system(cls) -> Terminal:
        """This process's own streams."""
        _closed_streams_as_closed()
        _streams_that_never_fail()
        import os

        return cls(
            sys.stdin, sys.stdout, sys.stderr,
            stdin_tty=_isatty(sys.stdin), stdout_tty=_isatty(sys.stdout), stderr_tty=_isatty(sys.stderr),
            # NO_COLOR (any value but empty, no-color.org): no styling at all. Rich would
            # only drop the colours and keep bold and underline.
            color=False if os.environ.get("NO_COLOR") else None, detect=True,
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

    def add_credentials(self, username: str, password: str) -> None:
        """The run's credentials: the password (token, secret) and the Basic value made of both
        are never shown."""
        import base64

        self.secrets.add(password)
        if password:
            self._basic.add(base64.b64encode(f"{username}:{password}".encode()).decode().rstrip("="))

    def _forms(self) -> tuple[tuple[str, ...], tuple[bytes, ...] | None, Any]:
        """Every known secret as a server may echo it or msgsvc's JSON may write it: verbatim,
        URL-encoded (%XX or +), inside a Basic value, inside a JSON string (a quote or a
        backslash escaped); lower-cased (letter case does not count), and one pattern for
        them all. The forms as bytes, to search UTF-8 without decoding it: None when a form is
        not ASCII, whose capitals bytes.lower() would leave as they are."""
        secrets = frozenset(s for s in self.secrets if s and len(s) >= MIN_SECRET) | frozenset(self._basic)
        if self._redaction[0] != secrets:
            import json
            from urllib.parse import quote, quote_plus

            written = {form for secret in secrets for form in (secret, quote(secret, safe=""), quote_plus(secret))}
            forms = {form.lower() for form in written | {json.dumps(form, ensure_ascii=False)[1:-1] for form in written}}
            ordered = tuple(sorted(forms, key=len, reverse=True))
            binaries = tuple(form.encode() for form in ordered) if all(form.isascii() for form in ordered) else None
            pattern = re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None
            self._redaction = (secrets, (ordered, binaries, pattern))
        return self._redaction[1]

    def holds_secret(self, data: str | bytes | memoryview) -> bool:
        """Whether `data` (text, or UTF-8 bytes) holds a known secret in any form (_forms).
        Lower-casing and plain searches: a case-insensitive regex is 50x slower on a 10 MB list."""
        from msgsvc.api.validate import has_url_password

        texts, binaries, _ = self._forms()
        if isinstance(data, memoryview):  # a view of a whole answer: search that, no copy
            data = data.obj
        if has_url_password(data):
            return True
        if not texts:
            return False
        if not isinstance(data, str) and binaries is None:
            data = bytes(data).decode("utf-8", "replace")
        if isinstance(data, str):
            lowered = data.lower()
            return any(form in lowered for form in texts)
        lowered_bytes = data.lower()
        return any(form in lowered_bytes for form in binaries)

    def redact(self, text: str) -> str:
        """Every known secret of this run in `text`, in any form _forms knows, and every
        password in a URL's user info (api.validate.mask_url_passwords), becomes ***."""
        if not self.holds_secret(text):
            return text
        from msgsvc.api.validate import mask_url_passwords

        text = mask_url_passwords(text)
        pattern = self._forms()[2]
        return text if pattern is None else pattern.sub("***", text)

    def escape(self, text: str, *, tsv: bool = False) -> str:
        """Untrusted text made safe to show (see the module's `escape`), secrets masked; in a
        person's view (not TSV) a very long text is cut, saying how much was left out (_cut).
        Every view a person reads escapes through here: the one home of both rules."""
        if tsv:
            return escape(self.redact(text), tsv=True)
        shown, more = _cut(self.redact(text))
        return escape(shown) + more

    # --- writing -------------------------------------------------------------------------------

    def write_out(self, *parts: bytes | memoryview) -> None:
        """Data on stdout, all of it or an error: a pipe whose reader went away part-way
        (`| head -1`) can take a short write without an error, and the rest would be lost
        silently; here every byte is written or BrokenPipeError (exit 141) is raised.
        Several parts are written one after the other, never joined into one copy first."""
        import os

        stream = self.stdout
        stream.flush()
        try:
            fd = stream.fileno()
        except (AttributeError, ValueError, io.UnsupportedOperation):
            fd = None
        try:
            if fd is None:  # a stream of a test, or one without a descriptor (a closed stdout)
                buffer = getattr(stream, "buffer", None)
                for part in parts:
                    if buffer is None:
                        stream.write(bytes(part).decode("utf-8"))
                    else:
                        buffer.write(part)
                stream.flush()
                return
            for part in parts:
                view = memoryview(part)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
        except BrokenPipeError:
            raise
        except OSError as exc:  # /dev/full, a full disk, a file system gone read-only
            from msgsvc.errors import OutputError

            raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None

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


def flush_process_streams() -> bool:
    """Whatever is buffered on the process's stdout and stderr, written now (before msgsvc
    dies by a signal or leaves without the interpreter's teardown, both of which skip its last
    flush); a stream that cannot take it any more (a reader gone) is left as it is. Whether
    every stream took it."""
    flushed = True
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            flushed = False
    return flushed


class _Closed(io.TextIOBase):
    """A standard stream that was closed when msgsvc started (`msgsvc ... >&-`), for which
    Python leaves sys.stdout None: reading or writing it fails as the closed descriptor
    would (EBADF), so that the data is said to be lost (exit 1), never silently dropped."""

    encoding = "utf-8"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def _fail(self, *_: Any) -> Any:
        import errno
        import os

        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    write = read = readline = _fail

    def flush(self) -> None:  # the interpreter's last flush at exit: nothing to flush
        pass


def _closed_streams_as_closed() -> None:
    """sys.stdin and sys.stdout closed at start become streams that fail as closed ones
    (_Closed); a closed stderr takes what msgsvc says nowhere (there is nowhere to say it)."""
    if sys.stdin is None:
        sys.stdin = _Closed("<stdin>")
    if sys.stdout is None:
        sys.stdout = _Closed("<stdout>")
    if sys.stderr is None:
        import os

        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the whole run


def _streams_that_never_fail() -> None:
    """A character the output's encoding cannot show becomes '?', as Windows programs do, instead
    of an error: Python writes a pipe or a file in the ANSI code page there (cp1252, say),
    and a service's name may hold any character. PYTHONUTF8=1 gives UTF-8 instead."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding != "utf8" and getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
