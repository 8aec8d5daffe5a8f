"""Writing a saved plan (`msgsvc plan FILE -o PLAN`): the plan and what it read as the text of
its file, in the format of msgsvc/setup/saved_format.py, and never over a file that is not a
saved plan.

No secret is written: a URL's password is ***, and a change that sets one lists that field in
its "secrets" for apply to take from the setup file. A plan that sets a password is saved only
from a setup file apply can read again.

Library code: no typer, no rich, no printing.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Mapping, Sequence

from msgsvc.api.validate import has_url_password, mask_url_passwords
from msgsvc.errors import UsageError
from msgsvc.jsontext import safe
from msgsvc.setup.diff import Current, Diff, ServiceAction
from msgsvc.setup.file import Desired
from msgsvc.setup.saved_format import FORMAT, OPTIONS, VERSION, as_written, checksum, digest, marked, snapshot


def depended(desired: Desired, current: Sequence[Current], result: Diff) -> set[str]:
    """The services whose every detail the plan depends on: the ones the file names (by sid,
    or by name: homonyms included), the ones it deletes, the ones a sender moves out of."""
    sids = {s.sid for s in desired.services if s.sid is not None}
    names = {s.friendly_name for s in desired.services}
    found = {c.sid for c in current if c.sid in sids or c.name in names}
    found |= {a.service.sid for a in result.services if a.action == "delete" and a.service.sid}
    found |= {a.source.sid for a in result.senders if a.source is not None and a.source.sid}
    return found


def _service_change(action: ServiceAction) -> tuple[dict[str, Any], list[str]]:
    secret = sorted(k for k, v in action.after.items() if isinstance(v, str) and has_url_password(v)
                    and mask_url_passwords(v) != v)
    change = {"action": action.action, "kind": "service", "service": asdict(action.service),
              "after": {k: as_written(v) for k, v in action.after.items()},
              "before": {k: as_written(v) for k, v in action.before.items()},
              "a2p": action.a2p, "line": action.line}
    if secret:
        change["secrets"] = secret
    return change, secret


def render(result: Diff, desired: Desired, current: Sequence[Current], *, text: str, account_sid: str,
           profile: str | None, options: Mapping[str, bool], rereadable: bool = True) -> str:
    """The saved plan of `result` (made from `desired`, whose file had `text`, against
    `current` as read) as the text of its file. A plan that sets a URL password and was read
    from standard input, or from a file that cannot be read again (`rereadable` false: a pipe,
    a device, `<(sops -d ...)`), cannot be saved: apply could not take the password from anywhere."""
    changes: list[dict[str, Any]] = []
    needs_file = False
    for action in result.in_order():
        if isinstance(action, ServiceAction):
            change, secret = _service_change(action)
            needs_file = needs_file or bool(secret)
        else:
            change = {"action": action.action, "kind": action.kind, **{
                k: v for k, v in asdict(action).items() if k not in ("action", "kind")}}
        changes.append(change)
    if needs_file and desired.name == "standard input":
        raise UsageError("a plan read from standard input that sets a URL password cannot be saved: the plan "
                         "never holds a password, and apply would have no file to take it from",
                         hint="nothing was written; give the setup file by its name")
    if needs_file and not rereadable:
        raise UsageError(f"a plan that sets a URL password cannot be saved from {desired.name}: it is not a file "
                         "that apply can read again, and the plan never holds a password",
                         hint="nothing was written; give the setup file as a file")
    body = {
        "format": FORMAT, "version": VERSION, "account_sid": account_sid, "profile": profile,
        "setup_file": {"name": desired.name, "sha256": digest(text)},
        "options": {key: bool(options.get(key)) for key in OPTIONS},
        "read": snapshot(current, depended(desired, current, result)),
        "changes": changes,
        "warnings": [{"line": line, "message": message} for line, message in result.warnings],
    }
    body["checksum"] = checksum(body)
    # Safe to show: the plan is read in a pull request, `cat` in a terminal, printed by -o -.
    return safe(json.dumps(body, indent=2, ensure_ascii=False)) + "\n"


def refuse_replacing(out: str) -> None:
    """A saved plan replaces only a saved plan: `plan services.toml -o services.toml` (or a
    typo naming another file) must not destroy what it would overwrite (exit 2)."""
    import os
    import stat

    try:
        if not stat.S_ISREG(os.stat(out).st_mode):
            return  # a device or a FIFO is written in place (atomic.py's rule)
        with open(out, encoding="utf-8", errors="replace") as handle:
            start = handle.read(200)
    except OSError:
        return  # nothing there (or unreadable: writing it says why)
    if start and not marked(start):
        raise UsageError(f"refusing to replace {out}: it is not a saved plan",
                         hint="nothing was written; give -o a new file, or a saved plan to replace")
