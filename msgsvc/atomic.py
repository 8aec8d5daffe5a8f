"""The user's files: reading one with a sentence for each way it can fail, and writing one so
that a crash never leaves half of it (a private temporary file in the same directory,
flushed to disk, then renamed over the old one)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO


def write_private(path: Path, text: str, *, fsync: bool = True) -> None:
    """Replace `path` with `text`, mode 0600 from the start (the files hold secrets)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_text(path: str, *, stdin: IO[str]) -> tuple[str, str]:
    """The UTF-8 text of `path` ('-' is `stdin`, the run's standard input) and the name to
    show for it; a file that cannot be read is a UsageError naming it."""
    from msgsvc.errors import UsageError

    if path == "-":
        return stdin.read(), "standard input"
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read(), path
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {path}: it is not UTF-8 text") from None
