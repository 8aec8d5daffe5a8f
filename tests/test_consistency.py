"""The consistency list of issue 25: one way to say a thing everywhere (counts, ranges, invalid
values, did-you-mean, exit codes, option names), one way to take a thing (--fields, --jq, -q,
many names), checked command by command with exact output."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import msgsvc

ROOT = Path(msgsvc.__file__).parent


def test_no_message_counts_with_a_parenthesised_plural():
    """'1 request', '3 requests' (msgsvc/words.py), never 'request(s)', in any string msgsvc has."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"[a-z]\(s\)", node.value.replace("http(s)", "http")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]}")
    assert found == []


def test_counts_agree_with_their_number():
    from msgsvc.api import validate
    from msgsvc.words import counted

    assert (counted(1, "character"), counted(0, "request"), counted(2, "entry", "entries")) == (
        "1 character", "0 requests", "2 entries")
    for value, low, high, said in (("a", 40, None, "it is 1 character long; it must have at least 40"),
                                   ("ab", None, 1, "it is 2 characters long; the limit is 1")):
        try:
            validate.length(value, low, high)
        except ValueError as error:
            assert str(error) == said
        else:
            raise AssertionError("no error")
