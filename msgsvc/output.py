"""Everything msgsvc writes: data on stdout, notes on stderr.

The format follows whether stdout is a terminal (`sys.stdout.isatty()`): a Rich table there;
tab-separated values in a pipe (no header, nothing truncated, one record per line); the
API's own JSON with `--json`. Rich decides only the colour (it honours NO_COLOR).
Rich is imported only when a table is drawn.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

from msgsvc.resources import Column


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def note(message: str) -> None:
    """A message for the person, never data: stderr."""
    print(message, file=sys.stderr, flush=True)


def emit_json(value: Any, *, pages: Sequence[Any] = ()) -> None:
    """Indented for a person on a terminal; compact in a pipe, as gh does: `indent` makes
    json use its pure-Python encoder, 15x slower than the C one on a 10,000-service list.
    `pages` (client.PageText) let a list print whole pages as the API sent them."""
    # One dumps and one write: json.dump to a stream is several times slower.
    if stdout_is_terminal():
        text = json.dumps(value, indent=2, ensure_ascii=False)
    elif pages and isinstance(value, list):
        parts = _page_texts(value, pages)
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # a text-only stream
            text = "[" + ",".join(bytes(part).decode("utf-8") for part in parts) + "]"
        else:
            # Page by page: no 10 MB string built first, nothing encoded again.
            sys.stdout.flush()
            buffer.write(b"[")
            for number, part in enumerate(parts):
                if number:
                    buffer.write(b",")
                buffer.write(part)
            buffer.write(b"]\n")
            buffer.flush()
            return
    else:
        text = _compact(value)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False)


def _page_texts(records: list, pages: Sequence[Any]) -> list[bytes]:
    """Each whole page as the API sent it; a record of a page cut short by --limit (or not
    from a page) encoded again."""
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
            parts.append(_compact(record).encode("utf-8"))
            index += 1
    return parts


def cell(value: Any) -> str:
    """One value as text: null empty, booleans as true/false, lists comma-joined.
    Tabs and line breaks become spaces so one record stays one line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        text = ",".join(cell(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = str(value)
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def emit_records(records: Iterable[dict], columns: Sequence[Column], *, as_json: bool) -> list[dict]:
    """A list: JSON array, TSV rows or a table. Returns the records written."""
    rows = list(records)
    if as_json:
        emit_json(rows, pages=getattr(records, "pages", ()))
    elif stdout_is_terminal():
        _table([c.header for c in columns], [[cell(r.get(c.key)) for c in columns] for r in rows],
               no_wrap=[not c.wrap for c in columns])
    else:
        write_tsv([[cell(r.get(c.key)) for c in columns] for r in rows])
    return rows


def emit_record(record: dict, *, as_json: bool, skip: Sequence[str] = ("links",)) -> None:
    """One object: JSON as returned, or field/value lines (table on a terminal, TSV in a pipe)."""
    if as_json:
        emit_json(record)
        return
    pairs = [[key, cell(value)] for key, value in record.items() if key not in skip]
    if stdout_is_terminal():
        _table(["FIELD", "VALUE"], pairs)
    else:
        write_tsv(pairs)


def write_tsv(rows: Iterable[Sequence[str]]) -> None:
    sys.stdout.write("".join("\t".join(row) + "\n" for row in rows))
    sys.stdout.flush()


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], no_wrap: Sequence[bool] = ()) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    for index, header in enumerate(headers):
        keep = index < len(no_wrap) and no_wrap[index]
        table.add_column(header, overflow="fold", no_wrap=keep, min_width=max((len(r[index]) for r in rows), default=0) if keep else None)
    for row in rows:
        table.add_row(*(Text(value) for value in row))  # Text: no markup in API data
    Console(highlight=False).print(table)


def emit_plan(planned: list[dict], *, as_json: bool) -> None:
    """What a --dry-run would have sent: JSON with --json, else one request per paragraph."""
    if as_json:
        emit_json(planned)
        return
    lines = []
    for request in planned:
        lines.append(f"{request['method']} {request['url']}")
        for key, value in request["form"].items():  # a list-valued field: one line per item
            lines.extend(f"  {key}={item}" for item in (value if isinstance(value, list) else [value]))
    sys.stdout.write("".join(line + "\n" for line in lines))
    sys.stdout.flush()
    note(f"Dry run: {len(planned)} request(s) not sent.")


HANDFUL = 10  # up to this many items, a progress bar would only flicker


@contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for a bulk job, yielding `advance()`; thread-safe.
    Only when stderr is a terminal and there are more than a handful of items: nothing of
    it ever reaches a pipe or a log file."""
    if total <= HANDFUL or not stderr_is_terminal():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    )
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def confirm(question: str) -> bool:
    """Ask a yes/no question on stderr; no by default and at end of input. (click's confirm
    lets input() write a space to stdout, which would land in the data.)"""
    sys.stderr.write(f"{question} [y/N]: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer.endswith("\n"):
        sys.stderr.write("\n")
    return answer.strip().lower() in ("y", "yes")
