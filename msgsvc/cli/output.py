"""Everything msgsvc writes: data on stdout, notes on stderr, through the run's Terminal
(msgsvc/cli/terminal.py), which every function here takes as its first argument.

The format follows whether stdout is a terminal (`term.stdout_tty`): a table there, laid
out here to fit the terminal as each Column declares (`layout`: never cut, cut with an
ellipsis, wrapped between words, hidden in order); tab-separated values in a pipe (no
header, nothing truncated, one record per line); the API's own JSON with `--json`, or what
`--jq` makes of it. `--fields` chooses the columns and keys of all three. Rich measures
cells (wide Unicode) and decides only the colour (it honours NO_COLOR); it is imported only
when a table or a progress bar is drawn.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from msgsvc.api.resources import WRAP, Column, column_for
from msgsvc.cli.layout import GAP, fit, layout, pad, short_time, wrap_words
from msgsvc.jsontext import RAW_BYTES as _JSON_RAW_BYTES, safe as _json_safe  # what JSON leaves raw: its one home

if TYPE_CHECKING:
    from msgsvc.errors import MsgsvcWarning
    from msgsvc.setup.diff import Diff
    from msgsvc.cli.terminal import Terminal


def note(term: Terminal, message: str) -> None:
    """A message for the person, never data: one line on stderr (on a terminal, wrapped
    between words at its width), escaped (it may quote what a server sent) and without
    secrets; nothing with --quiet."""
    if not term.quiet:
        for part in _folded(term, message):
            _stderr(term, part)


def _stderr(term: Terminal, message: str) -> None:
    message = term.escape(message)
    live = getattr(term, "live", None)
    if live is not None:  # a progress bar is drawn: print above it, or the two garble each other
        from rich.text import Text

        live.console.print(Text(message), soft_wrap=True)
        return
    term.stderr.write(message + "\n")
    term.stderr.flush()


PREFIX = "msgsvc: "  # what begins every error, warning and remark: written here only, never by the library


def remark(term: Terminal, message: str) -> None:
    """`msgsvc: <message>` on stderr, as an error is said, but nothing with --quiet: something
    the person should know that is no error (a number not on the account)."""
    note(term, PREFIX + message)


def report(term: Terminal, message: str, hint: str | None = None, *, details: Sequence[str] = ()) -> None:
    """`msgsvc: <message>`, its `details` (one line each) and a `hint:` line on stderr, as
    every error and warning is said (--quiet too). A server may echo what it was sent: a
    secret or a control character never reaches the terminal (_stderr escapes each line,
    and masks secrets)."""
    for line in (PREFIX + message, *details, *((f"hint: {hint}",) if hint else ())):
        for part in _folded(term, line):
            _stderr(term, part)


def _folded(term: Terminal, line: str) -> list[str]:
    """On a terminal, a line of stderr wrapped between words at its width (the terminal
    would fold it inside a word); in a pipe or a log, the line as it is."""
    if not term.stderr_tty:
        return [line]
    from rich.cells import cell_len

    width = term.width or term.console(stderr=True).width
    if cell_len(line) <= width:
        return [line]
    indent = line[:len(line) - len(line.lstrip(" "))]  # kept on every line (a detail under its message)
    return [indent + part for part in wrap_words(term.escape(line.lstrip(" ")), max(width - len(indent), 20))]


def warning(term: Terminal, warning: MsgsvcWarning) -> None:
    """A warning from the library (e.g. config.warn_if_exposed), said as an error is."""
    report(term, f"warning: {warning.message}", warning.hint)


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text that is safe anywhere: UTF-8 kept, but every control character escaped
    (C0 by json; DEL, C1, U+2028/U+2029, the bidi controls and lone surrogates by jsontext), and
    never NaN or Infinity (the client refuses them in what servers send; a bug here raises)."""
    if indent is None:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False)
    else:
        text = json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
    return _json_safe(text)


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
    or UTF-8 without a raw DEL, C1 or line separator, and holds no secret: neither in its
    text nor, spelled with escapes, in what its records decode to."""
    by_first = {id(page.first): page for page in pages}
    parts = []
    index, total = 0, len(records)
    while index < total:
        record = records[index]
        page = by_first.get(id(record))
        end = index + page.count if page is not None else 0
        if (page is not None and page.first is record and end <= total and records[end - 1] is page.last
                and _passable(term, page.data, records[index:end])):
            parts.append(page.data)
            index = end
        else:
            parts.append(term.redact(dumps(record)).encode("utf-8"))
            index += 1
    return parts


def _passable(term: Terminal, data: Any, records: list) -> bool:
    whole = data.obj if isinstance(data, memoryview) else data
    if not whole.isascii() and _JSON_RAW_BYTES.search(data):
        return False
    if term.holds_secret(data):
        return False
    # JSON may spell any character as an escape (\u0073, \/): a search of the text as sent
    # cannot see a secret so spelled, which a reader of the output would get back. Where the
    # answer holds a backslash, what its records decode to is searched as well.
    return b"\\" not in whole or not term.holds_secret(json.dumps(records, ensure_ascii=False))


def cell(term: Terminal, value: Any, *, tsv: bool = False) -> str:
    """One value as text: null empty, booleans as true/false, lists comma-joined; made safe
    to show by `term.escape` (one record stays one line; in TSV, one field stays one field).
    In TSV a list of plain values is its items joined by ',', a comma inside an item written
    `\\x2c` (so a split at ',' then the usual unescaping reads each item back); a list holding
    objects, or an object, is its JSON."""
    if tsv and isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value):
        return ",".join(term.escape(_text(v), tsv=True).replace(",", "\\x2c") for v in value)
    return term.escape(_text(value), tsv=tsv)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        if any(isinstance(v, (dict, list)) for v in value):
            return dumps(value)
        return ",".join(_text(v) for v in value)
    if isinstance(value, dict):
        return dumps(value)
    from msgsvc.api.validate import as_text

    return as_text(value)


def emit_records(
    term: Terminal, records: Iterable[dict], columns: Sequence[Column], *, as_json: bool,
    fields: Sequence[str] | None = None, jq: str | None = None, empty: str | None = None,
    plural: str | None = None,
) -> list[dict]:
    """A list: JSON array, TSV rows or a table. Returns the records written.

    `fields` (--fields) chooses and orders the columns, and the keys of each JSON object;
    `jq` (--jq) filters the JSON. On a terminal, `empty` is said on stderr for an empty list,
    and a list its limit cut short (the listing's `more`) says so, naming `plural`."""
    rows = list(records)
    if fields:
        columns = [column_for(key, columns) for key in fields]
    if jq is not None:
        emit_jq(term, [_only(r, fields) for r in rows] if fields else rows, jq)
    elif as_json:
        if fields:
            emit_json(term, [_only(r, fields) for r in rows])
        else:
            emit_json(term, rows, pages=getattr(records, "pages", ()))
    elif term.stdout_tty:
        if rows:
            table(term, columns, rows)
        elif empty:
            note(term, empty)
        if plural and getattr(records, "more", False):
            what = plural[:-1] if len(rows) == 1 and plural.endswith("s") else plural
            note(term, f"Showing {len(rows)} {what}; there are more: --all or --limit N")
    else:
        write_tsv(term, [[cell(term, r.get(c.key), tsv=True) for c in columns] for r in rows])
    return rows


def _only(record: dict, fields: Sequence[str]) -> dict:
    return {key: record.get(key) for key in fields}


def emit_record(term: Terminal, record: dict, *, as_json: bool, skip: Sequence[str] = ("links",),
                fields: Sequence[str] | None = None, jq: str | None = None) -> None:
    """One object: JSON as returned, or field/value lines (word-wrapped beside the field names
    on a terminal, TSV in a pipe). `fields` chooses and orders the fields shown.

    The terminal's view leaves out `url` too (TERMINAL_SKIP): the object's own API address,
    wider than 80 columns and of use to a script only, which TSV, --json and `--fields url`
    still give."""
    if fields:
        record = _only(record, fields)
        skip = ()
    elif term.stdout_tty and not as_json and jq is None:
        skip = (*skip, *TERMINAL_SKIP)
    if jq is not None:
        emit_jq(term, record, jq)
        return
    if as_json:
        emit_json(term, record)
        return
    if term.stdout_tty:
        _object_view(term, [(term.escape(key), value) for key, value in record.items() if key not in skip])
    else:
        write_tsv(term, [[cell(term, key, tsv=True), cell(term, value, tsv=True)]
                         for key, value in record.items() if key not in skip])


TERMINAL_SKIP = ("url",)  # left out of the object view on a terminal (see emit_record)


def emit_jq(term: Terminal, value: Any, expression: str) -> None:
    """`value` filtered through jq (the jq package: libjq, imported only here), each result on
    a line as `jq -r` writes it: strings raw, everything else as JSON."""
    from msgsvc.errors import UsageError

    program = compile_jq(expression)
    try:
        results = program.input_value(_masked(term, value)).all()
    except ValueError as error:
        raise UsageError(f"--jq: {error}", hint="the expression ran on the command's --json output") from None
    lines = [r if isinstance(r, str) else dumps(r) for r in results]
    # Raw strings as `jq -r` prints them for a script; escaped for a person's terminal.
    shown = term.escape if term.stdout_tty else term.redact
    write(term, "".join(shown(line) + "\n" for line in lines))


def _masked(term: Terminal, value: Any) -> Any:
    """`value` with every secret in its strings masked, as --json shows it. Output is masked
    line by line, and what a jq expression makes of a value (@base64, explode, @uri) would
    hide a secret from that; so jq is given the value masked. Searched as one text first:
    a list of 10,000 records without a secret is not walked."""
    if not term.holds_secret(json.dumps(value, ensure_ascii=False)):
        return value

    def masked(item: Any) -> Any:
        if isinstance(item, str):
            return term.redact(item)
        if isinstance(item, list):
            return [masked(each) for each in item]
        if isinstance(item, dict):
            return {term.redact(key): masked(each) for key, each in item.items()}
        return item

    return masked(value)


def compile_jq(expression: str) -> Any:
    """The compiled jq program, or a usage error with jq's own message."""
    import jq

    from msgsvc.errors import UsageError

    try:
        return jq.compile(expression)
    except ValueError as error:
        message = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
        raise UsageError(f"invalid --jq expression: {message}",
                         hint="the expression is jq's language, as in 'jq -r EXPR'") from None


def write(term: Terminal, text: str) -> None:
    """Data as it is, on stdout: all of it, or BrokenPipeError (Terminal.write_out). In the
    stream's encoding: on Windows a pipe or file may be the ANSI code page, where a character
    it cannot show becomes '?' (PYTHONUTF8=1 gives UTF-8)."""
    encoding = getattr(term.stdout, "encoding", None) or "utf-8"
    term.write_out(text.encode(encoding, "replace"))


DIFF_STYLES = {"+": "green", "-": "red", "~": "yellow", ">": "cyan"}


def plan_lines(result: Diff) -> list[str]:
    """A setup plan (msgsvc.setup.diff.Diff) for a person: one line per change, in the order
    they run (a create lists the fields it sets), names and values as JSON writes them.
    Not yet escaped: emit_setup_plan does that."""

    def value(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False)

    lines: list[str] = []
    for action in result.services:
        if action.action == "create":
            lines.append(f"+ create service {action.service.label}")
            lines.extend(f"    {key} = {value(v)}" for key, v in action.after.items() if key != "friendly_name")
        elif action.action == "update":
            lines.extend(f"~ update {action.service.label}: {key} {value(action.before[key])} -> {value(v)}"
                         for key, v in action.after.items())
    for action in result.senders:
        if action.action == "attach":
            lines.append(f"+ attach {action.shown} to {action.service.label}")
        elif action.action == "detach":
            lines.append(f"- detach {action.shown} from {action.service.label}")
        else:
            lines.append(f"> move {action.shown} from {action.source.label} to {action.service.label}")
    for action in result.services:
        if action.action == "delete":
            guard = "; registered for US A2P 10DLC: needs --force" if action.a2p else ""
            lines.append(f"- delete service {action.service.label} (--prune{guard})")
    return lines


def emit_setup_plan(term: Terminal, result: Diff, file_name: str, *, stderr: bool = False) -> None:
    """The plan of `msgsvc plan` (stdout) and of `apply` before it asks (stderr): its lines
    and a count, or that nothing changes; escaped and secrets masked, as every view is."""
    if result.empty:
        lines = [f"No changes: the account matches {file_name}."]
    else:
        from msgsvc.jobs.changes import plan_summary

        summary = [plan_summary(result.counts())]
        if term.stderr_tty if stderr else term.stdout_tty:  # a script reads it as one line
            summary = _fold_items(summary[0], term.console(stderr=stderr).width)
        lines = [*plan_lines(result), *summary]
    emit_diff(term, [term.escape(line) for line in lines], stderr=stderr)


def _fold_items(text: str, width: int) -> list[str]:
    """'Plan: 1 to create, 0 to update, ...' in lines of at most `width`, broken after a comma,
    the items after the first line under the first item."""
    head, _, rest = text.partition(": ")
    items = rest.split(", ")
    indent = " " * (len(head) + 2)
    lines, line = [], f"{head}:"
    for index, item in enumerate(items):
        piece = item + ("," if index < len(items) - 1 else "")
        if index and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = indent + piece
        else:
            line += " " + piece
    return [*lines, line]


def emit_diff(term: Terminal, lines: Sequence[str], *, stderr: bool = False) -> None:
    """Lines already escaped, one change each (`+ create ...`, `- detach ...`): coloured by
    their first character on a terminal, as is elsewhere. Lines are never folded."""
    if not (term.stderr_tty if stderr else term.stdout_tty):
        text = "".join(line + "\n" for line in lines)
        if stderr:
            term.stderr.write(text)
            term.stderr.flush()
        else:
            write(term, text)
        return
    from rich.text import Text

    console = term.console(stderr=stderr)
    for line in lines:
        console.print(Text(line, style=DIFF_STYLES.get(line[:1], "")), soft_wrap=True)


def write_tsv(term: Terminal, rows: Iterable[Sequence[str]]) -> None:
    write(term, "".join("\t".join(row) + "\n" for row in rows))


# --- tables ----------------------------------------------------------------------------------

def _table_cell(term: Terminal, column: Column, value: Any) -> str:
    if column.fit == WRAP and isinstance(value, list):
        return term.escape(", ".join(_text(v) for v in value))  # wraps between the items
    if column.fit == WRAP and isinstance(value, str):  # a line break in a sentence: wrapped as a space
        return term.escape(value.replace("\r\n", " ").replace("\n", " "))
    text = cell(term, value)
    return short_time(text) if column.timestamp and text else text


def table(term: Terminal, columns: Sequence[Column], records: Sequence[dict]) -> None:
    """A list as a table that fits the terminal (see `layout`); says once on stderr which
    columns had to be hidden, when one that is not spare had something to show."""
    cells = [[_table_cell(term, c, r.get(c.key)) for c in columns] for r in records]
    width = term.width or term.console().width
    shown, widths = layout(columns, cells, width)
    header = (" " * GAP).join(pad(columns[i].header, w) for i, w in zip(shown, widths)).rstrip()
    lines = []
    for row in cells:
        parts = [fit(row[i], w, columns[i].fit) for i, w in zip(shown, widths)]
        for n in range(max(len(p) for p in parts)):
            line = (" " * GAP).join(pad(p[n] if n < len(p) else "", w) for p, w in zip(parts, widths))
            lines.append(line.rstrip())
    _print_lines(term, header, lines)
    missed = [c.header for i, c in enumerate(columns)
              if i not in shown and not c.spare and any(row[i] for row in cells)]
    if missed:
        note(term, hidden(missed, width))


def hidden(headers: Sequence[str], width: int) -> str:
    """The note after a table that had to hide columns a person may need (never for a spare
    or empty one): which, and how to see them."""
    return f"{', '.join(headers)} hidden at {width} columns; widen the terminal, or use --fields or --json"


def _object_view(term: Terminal, pairs: Sequence[tuple[str, Any]]) -> None:
    """One object: field names, and beside them the values word-wrapped to the terminal
    (never cut, never folded inside a word; timestamps shorter; see _view_lines for lists
    and objects)."""
    from rich.cells import cell_len

    texts = [(key, [short_time(cell(term, value))] if key.startswith("date_") else _view_lines(term, value))
             for key, value in pairs]
    keys = max([cell_len("FIELD")] + [cell_len(key) for key, _ in texts])
    room = max((term.width or term.console().width) - keys - GAP, 20)
    lines = []
    for key, parts in texts:
        wrapped = [part for text in parts for part in wrap_words(text, room)]
        for n, part in enumerate(wrapped):
            lines.append((pad(key if n == 0 else "", keys) + " " * GAP + part).rstrip())
    _print_lines(term, (pad("FIELD", keys) + " " * GAP + "VALUE"), lines)


def _view_lines(term: Terminal, value: Any) -> list[str]:
    """A value of the object view as the lines it starts (each then wrapped): a list's items
    joined by ', ' as in a table (`MMS, SMS`), or a line each when an item holds a space or a
    comma (message samples); an object a line per key (`att: mps=600, msg_class=A`); a list
    of objects a line per object (`error_code=30701, fields=region, ...`)."""
    if isinstance(value, dict):
        return [f"{term.escape(str(key))}: {_inline(term, item)}" for key, item in value.items()] or [""]
    if isinstance(value, list):
        items = [_inline(term, item) for item in value]
        if any(isinstance(item, dict) for item in value) or any(" " in text or "," in text for text in items):
            return items or [""]
    return [_inline(term, value)]


def _inline(term: Terminal, value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{term.escape(str(key))}={_inline(term, item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_inline(term, item) for item in value)
    return cell(term, value)


def _print_lines(term: Terminal, header: str, lines: Sequence[str]) -> None:
    """The header in bold (when colour is on) and the lines as they are: no markup, and Rich
    neither wraps nor crops them."""
    from rich.text import Text

    text = Text(end="")
    text.append(header + "\n", style="bold")
    text.append("".join(line + "\n" for line in lines))
    term.console().print(text, soft_wrap=True, end="")


def emit_plan(term: Terminal, planned: list[dict], *, as_json: bool) -> None:
    """What a --dry-run would have sent: JSON with --json, else one request per paragraph."""
    if as_json:
        emit_json(term, planned)
        return
    lines = []
    for request in planned:
        lines.append(term.escape(f"{request['method']} {request['url']}"))
        for key, value in request["form"].items():  # a list-valued field: a line per value
            lines.extend(term.escape(f"  {key}={item}") for item in (value if isinstance(value, list) else [value]))
    if term.stdout_tty:  # wrapped between words (a URL after a '/'), continued 4 spaces in
        width = term.width or term.console().width
        lines = [part for line in lines for part in _continued(line, width)]
    write(term, "".join(line + "\n" for line in lines))
    from msgsvc.jobs.changes import requests

    note(term, f"Dry run: {requests(len(planned))} not sent.")


def _continued(line: str, width: int) -> list[str]:
    """A line wider than `width` wrapped between words, its own indent kept and its
    continuation lines 4 spaces further in."""
    from rich.cells import cell_len

    if cell_len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip(" ")))
    parts = wrap_words(line.lstrip(" "), max(width - len(indent) - 4, 20))
    return [indent + parts[0], *(indent + "    " + part for part in parts[1:])]


HANDFUL = 10  # up to this many items, a progress bar would only flicker


@contextmanager
def progress(term: Terminal, label: str, total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for a bulk job, yielding `advance()`; thread-safe.
    Only when stderr is a terminal and there are more than a handful of items: nothing of
    it ever reaches a pipe or a log file."""
    if total <= HANDFUL or not term.stderr_tty or term.quiet:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=term.console(stderr=True), transient=True,
    )
    with bar:
        task = bar.add_task(term.escape(label), total=total)
        term.live = bar
        try:
            yield lambda: bar.advance(task)
        finally:
            term.live = None


def confirm(term: Terminal, question: str) -> bool:
    """Ask a yes/no question on stderr; no by default and at end of input. (click's confirm
    lets input() write a space to stdout, which would land in the data.)"""
    term.stderr.write(f"{term.escape(question)} [y/N]: ")
    term.stderr.flush()
    answer = term.stdin.readline()
    if not answer.endswith("\n"):
        term.stderr.write("\n")
    return answer.strip().lower() in ("y", "yes")


# --- doctor ----------------------------------------------------------------------------------


def finding_line(term: Terminal, finding: Any) -> str:
    """One finding of `msgsvc doctor` as its line: severity, service SID, check id, evidence,
    fix (- when there is none) and the Twilio page, separated by tabs, each made safe."""
    fields = (finding.severity, finding.service, finding.check, finding.evidence_text(), finding.fix or "-",
              finding.source)
    return "\t".join(term.escape(str(f), tsv=True) for f in fields)


def emit_findings(term: Terminal, findings: Sequence[Any], services: int, *, as_json: bool) -> None:
    """doctor's findings on stdout (one per line, or a JSON array of Finding.as_dict) and, for
    a person, a count on stderr."""
    if as_json:
        emit_json(term, [f.as_dict() for f in findings])
    elif findings:
        write(term, "".join(finding_line(term, f) + "\n" for f in findings))
    counts = {severity: sum(1 for f in findings if f.severity == severity) for severity in ("error", "warning", "info")}
    where = f"{services} service" + ("" if services == 1 else "s")
    if not findings:
        note(term, f"No findings in {where}.")
        return
    said = ", ".join(f"{n} {severity}{'' if n == 1 or severity == 'info' else 's'}" for severity, n in counts.items() if n)
    note(term, f"{said} in {where}.")
