"""What the user probably meant by a word msgsvc does not know: a command, a profile name.

No import beyond the standard library's difflib (only when spelling is compared): the root
command asks it on a mistyped noun, before anything else is loaded.
"""

from __future__ import annotations

from typing import Iterable

# Words other tools use for our verbs. They are suggestions, not aliases: `rm` would have to
# mean `delete` (on Twilio) for services and `remove` (a local file entry) for profiles.
SYNONYMS = {
    "ls": ("list",), "rm": ("remove", "delete", "detach"), "del": ("delete", "remove"),
    "remove": ("delete", "detach"), "delete": ("remove", "detach"), "new": ("create", "add"),
    "add": ("attach", "create"), "attach": ("add",), "show": ("get",), "get": ("show",),
    "view": ("get", "show"), "info": ("get", "show"), "edit": ("update",), "set": ("update", "use"),
    "switch": ("use",), "select": ("use",), "unlink": ("detach",), "link": ("attach",),
}


def close(word: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """The candidates `word` most likely meant, best first: the same but for case, a singular
    or plural of it, a common synonym (`ls`, `rm`), or a close spelling."""
    names = list(dict.fromkeys(candidates))
    if not word:
        return []
    folded = {name.lower(): name for name in names}
    lower = word.lower()
    found: list[str] = []

    def take(name: str | None) -> None:
        if name is not None and name not in found and name != word:
            found.append(name)

    take(folded.get(lower))
    take(folded.get(lower + "s"))
    take(folded.get(lower[:-1]) if lower.endswith("s") else None)
    for synonym in SYNONYMS.get(lower, ()):
        take(folded.get(synonym))
    if not found:
        import difflib

        for match in difflib.get_close_matches(lower, list(folded), n=limit, cutoff=0.6):
            take(folded[match])
    if not found:  # a part of a snake_case name (`nme`: friendly_name)
        parts: dict[str, list[str]] = {}
        for name in names:
            for part in name.lower().split("_") if "_" in name else ():
                parts.setdefault(part, []).append(name)
        for match in difflib.get_close_matches(lower, list(parts), n=limit, cutoff=0.75):
            for name in parts[match]:
                take(name)
    return found[:limit]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """`did you mean 'services'?`, or None when nothing is close."""
    found = close(word, candidates)
    if not found:
        return None
    return "did you mean " + " or ".join(repr(name) for name in found) + "?"
