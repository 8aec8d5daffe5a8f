"""Everything msgsvc writes: data on stdout, notes on stderr, through the run's Terminal
(msgsvc/terminal.py), which every function here takes as its first argument.

The format follows whether stdout is a terminal (`term.stdout_tty`): a Rich table there;
tab-separated values in a pipe (no header, nothing truncated, one record per line); the
API's own JSON with `--json`. Rich decides only the colour (it honours NO_COLOR).
Rich is imported only when a table is drawn.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from msgsvc.resources import Column

if TYPE_CHECKING:
    from msgsvc.errors import MsgsvcWarning
    from msgsvc.terminal import Terminal


def note(term: Terminal, message: str) -> None:
    """A message for the person, never data: one line on stderr, escaped (it may quote what a
    server sent) and without secrets."""
    term.stderr.write(term.escape(message) + "\n")
    term.stderr.flush()


def report(term: Terminal, message: str, hint: str | None = None) -> None:
    """`msgsvc: <message>` and a `hint:` line on stderr, as every error and warning is said.
    A server may echo what it was sent: a secret or a control character never reaches the
    terminal (note)."""
    note(term, f"msgsvc: {message}")
    if hint:
        note(term, f"hint: {hint}")


def warning(term: Terminal, warning: MsgsvcWarning) -> None:
    """A warning from the library (e.g. config.warn_if_exposed), said as an error is."""
    report(term, f"warning: {warning.message}", warning.hint)


# What JSON leaves raw and a terminal (or a JavaScript reader) would act on: DEL, the C1
# controls, U+2028/U+2029, and lone surrogates (no stream can encode them). json escapes the
# C0 controls itself. In the text of a page as sent: the UTF-8 of the same characters.
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_JSON_RAW_BYTES = re.compile(b"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]")


def _json_escaped(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text that is safe anywhere: UTF-8 kept, but every control character escaped
    (C0 by json, DEL, C1, U+2028/U+2029 and lone surrogates here), and never NaN or
    Infinity (the client refuses them in what servers send; a bug here raises)."""
    if indent is None:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False)
    else:
        text = json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
    return _JSON_RAW.sub(_json_escaped, text) if _JSON_RAW.search(text) else text


def emit_json(term: Terminal, value: Any, *, pages: Sequence[Any] = ()) -> None:
    """Indented for a person on a terminal; compact in a pipe, as gh does: `indent` makes
    json use its pure-Python encoder, 15x slower than the C one on a 10,000-service list.
    `pages` (client.PageText) let a list print whole pages as the API sent them, when their
    text needs no escaping and holds no secret (else they are encoded again)."""
    # One dumps and one write: json.dump to a stream is several times slower.
    if term.stdout_tty:
        text = dumps(value, indent=2)
    elif pages and isinstance(value, list):
        # Page by page as sent: nothing encoded again, no 10 MB copy made first.
        parts = _page_texts(term, value, pages)
        term.write_out(b"[", *(piece for index, part in enumerate(parts) for piece in ((b",", part) if index else (part,))), b"]\n")
        return
    else:
        text = dumps(value)
    term.write_out((term.redact(text) + "\n").encode("utf-8"))


def _page_texts(term: Terminal, records: list, pages: Sequence[Any]) -> list[bytes]:
    """Each whole page as the API sent it; a record of a page cut short by --limit (or not
    from a page), or of a page whose text is not safe to pass on as it is, encoded again.
    A page's text is passed on when it is ASCII (json's escapes then cover every control)
    or UTF-8 without a raw DEL, C1 or line separator, and holds no secret."""
    pages = [page for page in pages if _passable(term, page.data)]
    by_first = {id(page.first): page for page in pages}
    parts = []
    index, total = 0, len(records)
    while index < total:
        record = records[index]
        page = by_first.get(id(record))
        end = index + page.count if page is not None else 0
        if page is not None and page.first is record and end <= total and records[end - 1] is page.last:
            parts.append(page.data)
            index = end
        else:
            parts.append(term.redact(dumps(record)).encode("utf-8"))
            index += 1
    return parts


def _passable(term: Terminal, data: Any) -> bool:
    if not (data.obj if isinstance(data, memoryview) else data).isascii() and _JSON_RAW_BYTES.search(data):
        return False
    return not term.holds_secret(data)


def cell(term: Terminal, value: Any, *, tsv: bool = False) -> str:
    """One value as text: null empty, booleans as true/false, lists comma-joined; made safe
    to show by `term.escape` (one record stays one line; in TSV, one field stays one field)."""
    return term.escape(_text(value), tsv=tsv)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    if isinstance(value, dict):
        return dumps(value)
    return str(value)


def emit_records(term: Terminal, records: Iterable[dict], columns: Sequence[Column], *, as_json: bool) -> list[dict]:
    """A list: JSON array, TSV rows or a table. Returns the records written."""
    rows = list(records)
    if as_json:
        emit_json(term, rows, pages=getattr(records, "pages", ()))
    elif term.stdout_tty:
        _table(term, [c.header for c in columns], [[cell(term, r.get(c.key)) for c in columns] for r in rows],
               no_wrap=[not c.wrap for c in columns])
    else:
        write_tsv(term, [[cell(term, r.get(c.key), tsv=True) for c in columns] for r in rows])
    return rows


def emit_record(term: Terminal, record: dict, *, as_json: bool, skip: Sequence[str] = ("links",)) -> None:
    """One object: JSON as returned, or field/value lines (table on a terminal, TSV in a pipe)."""
    if as_json:
        emit_json(term, record)
        return
    pairs = [[key, value] for key, value in record.items() if key not in skip]
    if term.stdout_tty:
        _table(term, ["FIELD", "VALUE"], [[cell(term, key), cell(term, value)] for key, value in pairs])
    else:
        write_tsv(term, [[cell(term, key, tsv=True), cell(term, value, tsv=True)] for key, value in pairs])


def write(term: Terminal, text: str) -> None:
    """Data as it is, on stdout: all of it, or BrokenPipeError (Terminal.write_out)."""
    term.write_out(text.encode("utf-8"))


def write_tsv(term: Terminal, rows: Iterable[Sequence[str]]) -> None:
    write(term, "".join("\t".join(row) + "\n" for row in rows))


def _table(term: Terminal, headers: Sequence[str], rows: Sequence[Sequence[str]], no_wrap: Sequence[bool] = ()) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    for index, header in enumerate(headers):
        keep = index < len(no_wrap) and no_wrap[index]
        table.add_column(header, overflow="fold", no_wrap=keep, min_width=max((len(r[index]) for r in rows), default=0) if keep else None)
    for row in rows:
        table.add_row(*(Text(value) for value in row))  # Text: no markup in API data
    term.console().print(table)


def emit_plan(term: Terminal, planned: list[dict], *, as_json: bool) -> None:
    """What a --dry-run would have sent: JSON with --json, else one request per paragraph."""
    if as_json:
        emit_json(term, planned)
        return
    lines = []
    for request in planned:
        lines.append(term.escape(f"{request['method']} {request['url']}"))
        lines.extend(term.escape(f"  {key}={value}") for key, value in request["form"].items())
    write(term, "".join(line + "\n" for line in lines))
    note(term, f"Dry run: {len(planned)} request(s) not sent.")


HANDFUL = 10  # up to this many items, a progress bar would only flicker


@contextmanager
def progress(term: Terminal, label: str, total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for a bulk job, yielding `advance()`; thread-safe.
    Only when stderr is a terminal and there are more than a handful of items: nothing of
    it ever reaches a pipe or a log file."""
    if total <= HANDFUL or not term.stderr_tty:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=term.console(stderr=True), transient=True,
    )
    with bar:
        task = bar.add_task(term.escape(label), total=total)
        yield lambda: bar.advance(task)


def confirm(term: Terminal, question: str) -> bool:
    """Ask a yes/no question on stderr; no by default and at end of input. (click's confirm
    lets input() write a space to stdout, which would land in the data.)"""
    term.stderr.write(f"{term.escape(question)} [y/N]: ")
    term.stderr.flush()
    answer = term.stdin.readline()
    if not answer.endswith("\n"):
        term.stderr.write("\n")
    return answer.strip().lower() in ("y", "yes")
