"""The details file of `tollfree create` and `tollfree update` (--from-file FILE): the business
and use-case details as TOML whose keys are the field names, checked against the rules of
msgsvc/api/tollfree.py (`file_problems`) before anything is sent, every broken rule reported at
once with its line (exit 2); and those values as the form Twilio takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msgsvc.errors import UsageError


def read_details(path: Path, *, create: bool, stdin: Any) -> dict:
    """The file's fields by wire name ('-': `stdin`, the run's standard input, as the senders'
    --from-file - is); every broken rule at once, with its line (exit 2)."""
    import tomllib

    from msgsvc.api.tollfree import file_problems
    from msgsvc.setup.file import Problem, SetupFileError
    from msgsvc.setup.lines import locate

    name = str(path)
    try:
        if name == "-":
            from msgsvc.atomic import read_text

            text, name = read_text(name, stdin=stdin)
        else:
            text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{name} is not valid TOML: {exc}", hint="nothing was sent") from None
    values, problems = file_problems(data, create=create)
    if problems:
        lines = locate(text)
        raise SetupFileError(name, [Problem(lines.get((key,)) if key else None, message) for key, message in problems])
    return values


def as_form(values: dict, fields: Any) -> list[tuple[str, str]]:
    """The values (by wire name) of `fields` as the form Twilio takes, in the fields' order: a
    list is one pair per item."""
    from msgsvc.api.validate import as_text

    order = [f.wire for f in fields]
    pairs = []
    for wire in order:
        value = values.get(wire)
        if value is None:
            continue
        pairs.extend((wire, as_text(v)) for v in (value if isinstance(value, list) else [value]))
    return pairs
