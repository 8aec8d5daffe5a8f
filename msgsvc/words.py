"""How msgsvc counts things in what it says: `1 character`, `3 characters`, never `(s)`."""


def counted(n: int, word: str, plural: str | None = None) -> str:
    """'1 request', '3 requests'; `plural` when the word's plural is not word + 's'."""
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"
