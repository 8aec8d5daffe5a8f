"""JSON text that is safe to show anywhere, in one place for every JSON msgsvc writes (--json
views, saved plans): what json.dumps(ensure_ascii=False) leaves raw and a terminal would act
on, or a reader be fooled by, becomes a `\\uXXXX` escape. The value read back is the same."""

from __future__ import annotations

import re

# DEL, the C1 controls (U+009B is a one-byte CSI), U+2028/U+2029, the bidirectional marks,
# overrides and isolates (U+202E shows a value reversed), and lone surrogates (no stream can
# encode them): msgsvc.cli.terminal's _UNSAFE less the C0 controls, which json escapes
# itself. RAW_BYTES: the UTF-8 of the same characters, in the text of a page as sent.
RAW = re.compile("[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
RAW_BYTES = re.compile(b"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]")


def _escaped(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe(text: str) -> str:
    """JSON text (as json.dumps wrote it) with every character of RAW as a `\\uXXXX` escape:
    they can only be inside its strings, so it stays valid JSON of the same value."""
    return RAW.sub(_escaped, text) if RAW.search(text) else text
