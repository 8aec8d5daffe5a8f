"""How text fits a width: which columns a table shows and how wide (`layout`), a cell's
lines in its column (`fit`), words wrapped to a width (`wrap_words`), a timestamp as a table
shows it (`short_time`). Pure functions of text and widths, which cli/output draws with; Rich
measures the cells (wide Unicode) and is imported only when something is measured.
"""

from __future__ import annotations

import re
from typing import Sequence

from msgsvc.api.resources import KEEP, TRUNCATE, WRAP, Column

GAP = 2  # spaces between two columns
MIN_TEXT = 20  # a TRUNCATE column keeps this many cells (and its whole header): less says too little


def short_time(text: str) -> str:
    """A timestamp as `2026-11-29 11:27` (UTC), for tables only; other text unchanged. Takes
    the Messaging API's ISO 8601 and the 2010 API's RFC 2822 dates."""
    from datetime import datetime, timezone

    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return text
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%d %H:%M")


def layout(columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int) -> tuple[list[int], list[int]]:
    """Which columns a table shows and how wide each is, for `width` terminal cells.

    Each column wants its widest cell (or its header). When that is too wide, TRUNCATE and
    WRAP columns give way, the widest first, down to their least width (never below the
    header; a WRAP column not below its longest word, up to MIN_TEXT); when even the least
    widths (a WRAP column's `least`, when it has one) do not fit, columns are hidden, the
    highest `drop` first. KEEP columns never give way: if what
    is left is still too wide, the terminal wraps the line rather than msgsvc cutting a SID."""
    from rich.cells import cell_len

    natural = [max([cell_len(c.header)] + [cell_len(row[i]) for row in cells]) for i, c in enumerate(columns)]

    def floor(i: int) -> int:  # the narrowest a column gets once nothing more can be hidden
        column = columns[i]
        if column.fit == KEEP:
            return natural[i]
        header = cell_len(column.header)
        if column.fit == WRAP:  # its longest word (a word breaks after a '/', ',', ...), up to MIN_TEXT
            words = [cell_len(piece) for row in cells for word in row[i].split(" ") for piece in pieces(word)]
            return max(header, min(max(words, default=0), MIN_TEXT))
        return min(natural[i], max(header, column.least or MIN_TEXT))

    def least(i: int) -> int:  # the narrowest before other columns are hidden
        column = columns[i]
        if column.fit == WRAP and column.least:
            return max(floor(i), min(natural[i], column.least))
        return floor(i)

    shown = list(range(len(columns)))
    while sum(least(i) for i in shown) + GAP * (len(shown) - 1) > width:
        droppable = [i for i in shown if columns[i].drop]
        if not droppable:
            break
        shown.remove(max(reversed(droppable), key=lambda i: columns[i].drop))
    widths = {i: natural[i] for i in shown}
    excess = sum(widths.values()) + GAP * (len(shown) - 1) - width
    while excess > 0:
        shrinkable = [i for i in shown if widths[i] > floor(i)]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        others = [widths[i] for i in shrinkable if i != widest]
        step = min(excess, widths[widest] - floor(widest), max(1, widths[widest] - max(others, default=0)))
        widths[widest] -= step
        excess -= step
    return shown, [widths[i] for i in shown]


def fit(text: str, width: int, how: str) -> list[str]:
    """A cell as the lines it takes in a column `width` cells wide, as `how` (the column's
    fit: KEEP, TRUNCATE or WRAP) says."""
    from rich.cells import cell_len, set_cell_size

    if how == KEEP or cell_len(text) <= width:
        return [text]
    if how == TRUNCATE:
        return [set_cell_size(text, width - 1).rstrip() + "…"]
    return wrap_words(text, width, hard=True)


def wrap_words(text: str, width: int, *, hard: bool = False) -> list[str]:
    """`text` in lines of at most `width` cells, broken at spaces; a word wider than the
    width (a URL, JSON) is broken too, after a '/', '=', ',', '&' or '?' (see _break); a
    word with none of them (a SID) stays whole on its own line, unless `hard`."""
    from rich.cells import cell_len

    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if not word:
            continue
        if line and cell_len(word) > width > 0:  # a wide word starts on this line when it can
            room = width - cell_len(line) - 1
            head = _break(word, room, False) if room > 0 else word
            if head != word and cell_len(head) <= room:
                lines.append(f"{line} {head}")
                line, word = "", word[len(head):]
        while cell_len(word) > width > 0:
            head = _break(word, width, hard)
            if head == word:
                break
            if line:
                lines.append(line)
                line = ""
            lines.append(head)
            word = word[len(head):]
        candidate = f"{line} {word}" if line else word
        if line and cell_len(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + [line] if line or not lines else lines


BREAKS = "/=,&?"  # where a word wider than its column may be broken: a URL's, a query's, JSON's
_PIECE = re.compile(r"[^/=,&?]+[/=,&?]*|[/=,&?]+")


def pieces(word: str) -> list[str]:
    """A word as the pieces it may be broken into (`agent/`, `location/`, `office.`)."""
    return _PIECE.findall(word) or [word]


def _break(word: str, width: int, hard: bool) -> str:
    """The first line of a word wider than `width`: up to its last '/', '=', ',', '&' or '?'
    that fits; else, when `hard` (a table's column), the cells that fit; else the whole word
    (the object view never breaks a SID: it has the room)."""
    from rich.cells import cell_len

    end = 1
    while end < len(word) and cell_len(word[:end + 1]) <= width:
        end += 1
    cut = max(word.rfind(c, 0, end) for c in BREAKS)
    if cut > 0 and (not hard or cut + 1 >= width // 3):
        return word[:cut + 1]
    return word[:end] if hard else word


def pad(text: str, width: int) -> str:
    from rich.cells import cell_len

    return text + " " * max(0, width - cell_len(text))
