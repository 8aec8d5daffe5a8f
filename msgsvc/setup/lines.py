"""Line positions in a setup file: tomllib accepts or refuses a document but says nothing of
where its keys are, so the checks find each key's line here, in the text tomllib accepted (a
JSON document is read by the same scanner after a rewrite).
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Mapping


def _basic_string(quoted: str) -> str:
    """A TOML basic string's value, every escape TOML allows decoded (\\U0000005F, \\e, ...):
    by tomllib itself, which accepted the document already. A key of a JSON document (read
    by this scanner too) may use JSON's escapes instead, such as \\/."""
    import tomllib

    try:
        return tomllib.loads(f"k = {quoted}")["k"]
    except tomllib.TOMLDecodeError:
        return json.loads(quoted)


class _Scanner:
    """Finds the line of every key, table and array element of a TOML document that tomllib
    has already accepted (so the syntax is known to be valid). Paths are tuples of keys and
    array indices, e.g. ("services", 2, "senders", "numbers", 0)."""

    BARE = re.compile(r"[A-Za-z0-9_-]+")

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]
        self.lines: dict[tuple, int] = {}
        self.arrays: dict[tuple, int] = {}  # array-of-tables path -> how many so far
        self.duplicates: list[tuple[tuple, int]] = []  # (path, line) of a key an object names again

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def note(self, path: tuple, pos: int) -> None:
        self.lines.setdefault(path, self.line(pos))

    def skip(self, pos: int, newlines: bool) -> int:
        text = self.text
        while pos < len(text):
            c = text[pos]
            if c in " \t\r" or (newlines and c == "\n"):
                pos += 1
            elif c == "#":
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else end
            else:
                break
        return pos

    def key(self, pos: int) -> tuple[tuple[str, ...], int]:
        """A dotted key from pos: its parts and the position after it."""
        parts: list[str] = []
        text = self.text
        while True:
            pos = self.skip(pos, False)
            if text[pos] == '"':
                end = self.string_end(pos)
                parts.append(_basic_string(text[pos:end]) if "\\" in text[pos:end] else text[pos + 1:end - 1])
                pos = end
            elif text[pos] == "'":
                end = text.index("'", pos + 1) + 1
                parts.append(text[pos + 1:end - 1])
                pos = end
            else:
                match = self.BARE.match(text, pos)
                assert match is not None
                parts.append(match.group(0))
                pos = match.end()
            pos = self.skip(pos, False)
            if pos < len(text) and text[pos] == ".":
                pos += 1
                continue
            return tuple(parts), pos

    def string_end(self, pos: int) -> int:
        """The position after the string that starts at pos."""
        text = self.text
        for quote in ('"""', "'''"):
            if text.startswith(quote, pos):
                end = pos + 3
                while True:
                    if quote == '"""' and text[end] == "\\":
                        end += 2
                        continue
                    if text.startswith(quote, end):
                        end += 3
                        while end < len(text) and text[end] == quote[0]:  # up to 2 more quotes
                            end += 1
                        return end
                    end += 1
        if text[pos] == "'":
            return text.index("'", pos + 1) + 1
        end = pos + 1
        while text[end] != '"':
            end += 2 if text[end] == "\\" else 1
        return end + 1

    def value(self, pos: int, path: tuple) -> int:
        text = self.text
        self.note(path, pos)
        c = text[pos]
        if c in "\"'":
            return self.string_end(pos)
        if c == "[":
            pos, index = pos + 1, 0
            while True:
                pos = self.skip(pos, True)
                if text[pos] == "]":
                    return pos + 1
                pos = self.skip(self.value(pos, path + (index,)), True)
                index += 1
                if text[pos] == ",":
                    pos += 1
        if c == "{":
            pos += 1
            seen: set[tuple] = set()
            while True:
                pos = self.skip(pos, True)
                if text[pos] == "}":
                    return pos + 1
                start = pos
                parts, pos = self.key(pos)
                if parts in seen:
                    self.duplicates.append((path + parts, self.line(start)))
                seen.add(parts)
                self.note_key(path, parts, start)
                pos = self.skip(self.value(self.skip(pos + 1, False), path + parts), True)
                if text[pos] == ",":
                    pos += 1
        while pos < len(text) and text[pos] not in ",]}\n#":
            pos += 1
        return pos

    def note_key(self, table: tuple, parts: tuple, pos: int) -> None:
        for n in range(1, len(parts) + 1):
            self.note(table + parts[:n], pos)

    def resolve(self, parts: tuple) -> tuple:
        """A header's dotted key as a path: an array of tables stands for its last element."""
        path: tuple = ()
        for part in parts:
            path += (part,)
            if path in self.arrays:
                path += (self.arrays[path] - 1,)
        return path

    def scan(self) -> dict[tuple, int]:
        text = self.text
        table: tuple = ()
        pos = 0
        while True:
            pos = self.skip(pos, True)
            if pos >= len(text):
                return self.lines
            if text.startswith("[[", pos):
                parts, end = self.key(pos + 2)
                base = self.resolve(parts[:-1]) + parts[-1:]
                self.arrays[base] = self.arrays.get(base, 0) + 1
                table = base + (self.arrays[base] - 1,)
                self.note(base, pos)
                self.note(table, pos)
                pos = self.skip(end, False) + 2
            elif text[pos] == "[":
                parts, end = self.key(pos + 1)
                table = self.resolve(parts)
                self.note(table, pos)
                pos = self.skip(end, False) + 1
            else:
                start = pos
                parts, pos = self.key(pos)
                self.note_key(table, parts, start)
                pos = self.value(self.skip(pos + 1, False), table + parts)


def locate(text: str) -> dict[tuple, int]:
    """Path -> line (1-based) for every key, table and array element of a valid TOML text."""
    return _Scanner(text).scan()


class Lines:
    """The line of a path, or of its closest ancestor that has one."""

    def __init__(self, lines: Mapping[tuple, int] | None) -> None:
        self.lines = lines or {}

    def __call__(self, path: tuple) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def json_scan(text: str) -> tuple[dict[tuple, int], list[tuple[tuple, int]]]:
    """Lines of keys in a JSON document, and the keys an object names twice (path, line):
    JSON is valid TOML inline syntax for this purpose except for its top-level braces and
    `:`, so the same scanner reads it after a rewrite of `"key":` to `"key"=` at the same
    positions (strings are left untouched)."""
    out = []
    i = 0
    in_string = False
    while i < len(text):
        c = text[i]
        if in_string:
            if c == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            if c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == ":":
            c = "="
        out.append(c)
        i += 1
    rewritten = "".join(out)
    scanner = _Scanner(rewritten)
    try:
        start = scanner.skip(0, True)
        if rewritten[start] == "{":
            scanner.value(start, ())
    except (IndexError, ValueError, AssertionError):
        return {}, []
    return {path: line for path, line in scanner.lines.items() if path}, scanner.duplicates
