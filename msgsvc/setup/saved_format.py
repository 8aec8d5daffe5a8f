"""Saved plans: `msgsvc plan FILE -o PLAN` writes a plan with what it read; `msgsvc apply PLAN`
applies exactly that plan, or refuses when the account no longer matches what the plan read
(as Terraform refuses a stale saved plan). This is how the plan reviewed in a pull request
becomes the change made on merge.

This module is the plan file's format: the marker that tells a plan from a setup file, its
checksum, the snapshot of what the plan read, and reading a plan back (`parse`), each bad field
named with its line. Writing one is msgsvc/setup/saved_write.py; what apply checks before it
sends one (its flags, the account, the setup file, staleness) is msgsvc/setup/saved_checks.py.

The format (README, "Saved plans"), JSON, version 1, written 0600:

    {
      "format": "msgsvc-plan",        # the marker: how apply tells a plan from a setup file
      "version": 1,                   # a newer version is refused, never guessed at
      "account_sid": "AC...",         # the account it was made for, and the profile (or null)
      "profile": "production",
      "setup_file": {"name": "services.toml", "sha256": "..."},
      "options": {"prune": false, "move_from_unmanaged": false, "allow_empty": false},
      "read": [...],                  # what the plan depends on, service by service
      "changes": [...],               # the plan itself, in the order it runs
      "warnings": [...],
      "checksum": "sha256:..."        # of everything above: a file edited by hand is refused
    }

Each entry of "read" is a service as the plan read it: its sid, friendly_name and the sorted
SIDs of each kind of sender that was read; for a service the plan depends on (one the file
names by sid or name, one it deletes, one a sender moves out of) also its date_updated, its
fields and whether it was registered for US A2P 10DLC.

No secret is ever written: a URL's password is *** (as export writes it). A change that sets
a password lists that field in its "secrets": apply takes the value from the setup file,
whose digest must still be the one the plan read.

Library code: no typer, no rich, no printing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from msgsvc.api.resources import SERVICE
from msgsvc.api.validate import SID, is_sid, mask_url_passwords
from msgsvc.setup.diff import Current, Diff, SenderAction, ServiceAction, Target
from msgsvc.setup.file import FIELDS, KIND_BY_NOUN, Problem, SetupFileError, clean_field

FORMAT = "msgsvc-plan"
VERSION = 1
MARKER = re.compile(r'\s*\{\s*"format"\s*:\s*"msgsvc-plan"')
OPTIONS = ("prune", "move_from_unmanaged", "allow_empty")
OPTION_FLAGS = {"prune": "--prune", "move_from_unmanaged": "--move-from-unmanaged", "allow_empty": "--allow-empty"}


def marked(text: str) -> bool:
    """Whether `text` is a saved plan: it starts with the format marker (whatever the name)."""
    return MARKER.match(text) is not None


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def checksum(body: Mapping[str, Any]) -> str:
    """The plan's "checksum": the digest of everything else in `body`, as canonical JSON."""
    canonical = json.dumps({k: v for k, v in body.items() if k != "checksum"}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return digest(canonical)


@dataclass
class SavedPlan:
    name: str  # the plan file's name, for messages
    account_sid: str
    profile: str | None
    setup_name: str
    setup_digest: str
    options: dict[str, bool]
    read: list[dict[str, Any]]
    diff: Diff
    secrets: list[tuple[int, str]] = field(default_factory=list)  # (position in diff.services, field)

    def again(self) -> str:
        """The command that makes this plan again, as a person types it: standard input is
        `-` for the setup file, and PLAN for a plan that was read from it; each name quoted
        for a shell (the setup file's is what the plan says, and a plan may come from anyone)."""
        import shlex

        setup = "-" if self.setup_name == "standard input" else self.setup_name
        out = "PLAN" if self.name == "standard input" else self.name
        return f"msgsvc plan {shlex.quote(setup)} -o {shlex.quote(out)}"


def remake(plan: SavedPlan | None = None) -> str:
    """How to go on from a plan that cannot be applied, with its own names when known."""
    command = plan.again() if plan is not None else "msgsvc plan FILE -o PLAN"
    return f"nothing was sent; make the plan again ({command}), review it, and apply that"


def snapshot(current: Sequence[Current], detailed: set[str]) -> list[dict[str, Any]]:
    """What the plan read, as it is written and compared: sorted by SID; URL passwords ***."""
    entries = []
    for entry in sorted(current, key=lambda c: c.sid):
        item: dict[str, Any] = {"sid": entry.sid, "friendly_name": entry.name}
        if entry.sid in detailed:
            record = entry.record
            item["date_updated"] = record.get("date_updated")
            item["us_app_to_person_registered"] = bool(record.get("us_app_to_person_registered"))
            item["fields"] = {f.key: as_written(record.get(f.key)) for f in SERVICE.fields
                              if f.key != "friendly_name" and f.key in record}
        item["senders"] = {noun: sorted(str(r.get("sid")) for r in records)
                           for noun, records in sorted(entry.senders.items())}
        entries.append(item)
    return entries


def as_written(value: Any) -> Any:
    """A value as a plan writes it: a URL's password is ***."""
    return mask_url_passwords(value) if isinstance(value, str) else value


# --- reading ---------------------------------------------------------------------------------

ACTIONS = {"service": ("create", "update", "delete"), "sender": ("attach", "detach", "move")}


class _Checker:
    """Collects the problems of a plan file, each on the line of its field. The lines are
    found (`scan()`, a pass over the text in Python) only once there is a problem: a plan of
    tens of thousands of changes is read at json's speed."""

    def __init__(self, scan: Callable[[], Mapping[tuple, int]]) -> None:
        self.scan = scan
        self.at: Any = None
        self.problems: list[Problem] = []

    def problem(self, path: tuple, message: str) -> None:
        from msgsvc.setup.lines import Lines

        if self.at is None:
            self.at = Lines(self.scan())
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        self.problems.append(Problem(self.at(path), f"{where}: {message}" if where else message))

    def get(self, data: Any, path: tuple, key: str, kinds: tuple[type, ...], what: str, *,
            null: bool = False) -> Any:
        """data[key] when it is one of `kinds` (or None when `null`); else a problem and None."""
        if not isinstance(data, dict) or key not in data:
            self.problem(path + (key,), f"missing (it must be {what})")
            return None
        value = data[key]
        if value is None and null:
            return None
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            self.problem(path + (key,), f"must be {what}, not {json.dumps(value)[:40]}")
            return None
        return value


def parse(text: str, name: str) -> SavedPlan:
    """A saved plan's text as a SavedPlan; SetupFileError (exit 2) naming each bad field and
    its line: not JSON, a duplicate key, a version this msgsvc does not read, a checksum that
    does not match (the file was edited), a field missing or of the wrong type."""
    from msgsvc.setup.lines import json_scan

    def refuse(problems: list[Problem]) -> SetupFileError:
        return SetupFileError(name, problems, hint=remake())

    twice = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({key for key, _ in items}) != len(items):
            twice.append(True)
        return dict(items)

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except RecursionError:
        raise refuse([Problem(None, "not a valid plan: nested too deeply")]) from None
    except ValueError as exc:
        raise refuse([Problem(getattr(exc, "lineno", None), f"not valid JSON: {getattr(exc, 'msg', exc)}")]) from None
    if twice:  # which key, on which line: the scan says
        raise refuse([Problem(line, f"duplicate key '{path[-1]}'") for path, line in json_scan(text)[1]]
                     or [Problem(None, "an object names a key twice")])
    check = _Checker(lambda: json_scan(text)[0])
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise refuse([Problem(1, f"format: not a saved plan (its format must be \"{FORMAT}\")")])
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        check.problem(("version",), f"{version} is newer than this msgsvc reads (version {VERSION} plans): "
                                    "apply it with the msgsvc that made it")
        raise refuse(check.problems)
    if version != VERSION or isinstance(version, bool):
        check.problem(("version",), f"must be {VERSION}, not {json.dumps(version)}")
        raise refuse(check.problems)
    if data.get("checksum") != checksum(data):
        check.problem(("checksum",), "does not match the plan: the file was changed after plan wrote it")
        raise refuse(check.problems)
    account = check.get(data, (), "account_sid", (str,), "an Account SID (AC...)")
    if account is not None and not is_sid(account, "AC"):
        check.problem(("account_sid",), "must be an Account SID (AC...)")
    profile = check.get(data, (), "profile", (str,), "a profile name or null", null=True)
    setup = check.get(data, (), "setup_file", (dict,), "an object")
    setup_name = check.get(setup, ("setup_file",), "name", (str,), "a string") if setup is not None else None
    setup_digest = check.get(setup, ("setup_file",), "sha256", (str,), "a string") if setup is not None else None
    options = check.get(data, (), "options", (dict,), "an object") or {}
    chosen = {key: bool(check.get(options, ("options",), key, (bool,), "true or false")) for key in OPTIONS}
    read = [_read_entry(check, entry, ("read", n)) for n, entry in
            enumerate(check.get(data, (), "read", (list,), "an array") or [])]
    result = Diff()
    secrets: list[tuple[int, str]] = []
    parsed = []
    for n, change in enumerate(check.get(data, (), "changes", (list,), "an array") or []):
        keys: list[str] = []
        action = _change(check, change, ("changes", n), keys)
        if action is not None:
            parsed.append((n, action))
            if isinstance(action, ServiceAction):
                secrets.extend((len(result.services), key) for key in keys)
            (result.services if isinstance(action, ServiceAction) else result.senders).append(action)
    for n, warning in enumerate(check.get(data, (), "warnings", (list,), "an array") or []):
        line = check.get(warning, ("warnings", n), "line", (int,), "a line number")
        message = check.get(warning, ("warnings", n), "message", (str,), "a string")
        if line is not None and message is not None:
            result.warnings.append((line, message))
    created = {a.service.index for a in result.services if a.action == "create"}
    for n, action in parsed:
        # What the applier needs: an existing service's SID, or the index of one the plan creates.
        needs_sid = action.action in ("update", "delete", "detach")
        if action.action != "create" and action.service.sid is None and (needs_sid or action.service.index not in created):
            check.problem(("changes", n, "service"), "needs the sid of an existing service"
                          + ("" if needs_sid else ", or the index of one the plan creates"))
        source = getattr(action, "source", None)
        if action.action == "move" and source is not None and source.sid is None:
            check.problem(("changes", n, "source"), "needs the sid of the service the sender leaves")
    if check.problems:
        raise refuse(check.problems)
    return SavedPlan(name, str(account), profile, str(setup_name), str(setup_digest), chosen,
                     [r for r in read if r is not None], result, secrets)


def _read_entry(check: _Checker, entry: Any, path: tuple) -> dict[str, Any] | None:
    if not isinstance(entry, dict):
        check.problem(path, "must be an object")
        return None
    sid = check.get(entry, path, "sid", (str,), "a Messaging Service SID (MG...)")
    check.get(entry, path, "friendly_name", (str,), "a string")
    senders = check.get(entry, path, "senders", (dict,), "an object") or {}
    for noun, sids in senders.items():
        if noun not in KIND_BY_NOUN or not isinstance(sids, list) or not all(isinstance(s, str) for s in sids):
            check.problem(path + ("senders", noun), "must be a kind of sender with an array of SIDs")
    if "fields" in entry:
        check.get(entry, path, "fields", (dict,), "an object")
        check.get(entry, path, "us_app_to_person_registered", (bool,), "true or false")
        check.get(entry, path, "date_updated", (str,), "a date", null=True)
    return entry if sid is not None else None


def _target(check: _Checker, data: Any, path: tuple, key: str, *, null: bool = False) -> Target | None:
    value = check.get(data, path, key, (dict,), "an object (name, sid, index)", null=null)
    if value is None:
        return None
    name = check.get(value, path + (key,), "name", (str,), "a string")
    sid = check.get(value, path + (key,), "sid", (str,), "a SID or null", null=True)
    if sid is not None and not is_sid(sid, "MG"):
        check.problem(path + (key, "sid"), "must be a Messaging Service SID (MG...) or null")
        sid = None
    index = check.get(value, path + (key,), "index", (int,), "an integer or null", null=True)
    if sid is None and index is None:
        check.problem(path + (key,), "needs a sid or, for a service the plan creates, its index")
    return Target(str(name), sid, index)


def _change(check: _Checker, change: Any, path: tuple, secrets: list[str]) -> Any:
    if not isinstance(change, dict):
        check.problem(path, "must be an object")
        return None
    action = check.get(change, path, "action", (str,), "a string")
    kind = check.get(change, path, "kind", (str,), "a string")
    line = check.get(change, path, "line", (int,), "a line number") or 0
    if kind == "service":
        if action not in ACTIONS["service"]:
            check.problem(path + ("action",), f"must be one of {', '.join(ACTIONS['service'])} for a service")
            return None
        target = _target(check, change, path, "service")
        after = check.get(change, path, "after", (dict,), "an object") or {}
        before = check.get(change, path, "before", (dict,), "an object") or {}
        a2p = check.get(change, path, "a2p", (bool,), "true or false")
        for key in [*after, *before]:
            if key not in FIELDS:
                check.problem(path + ("after" if key in after else "before", key), "not a field of a service")
        for key, value in after.items():
            if key in FIELDS:
                try:
                    after[key] = clean_field(FIELDS[key], value)
                except ValueError as exc:
                    check.problem(path + ("after", key), str(exc))
        listed = change.get("secrets", [])
        if not isinstance(listed, list) or not all(isinstance(k, str) and k in after for k in listed):
            check.problem(path + ("secrets",), "must be an array of fields of after")
        else:
            secrets.extend(listed)
        if target is None:
            return None
        return ServiceAction(action, target, dict(after), dict(before), bool(a2p), line)
    if kind not in KIND_BY_NOUN:
        check.problem(path + ("kind",), f"must be \"service\" or a kind of sender ({', '.join(KIND_BY_NOUN)})")
        return None
    if action not in ACTIONS["sender"]:
        check.problem(path + ("action",), f"must be one of {', '.join(ACTIONS['sender'])} for a sender")
        return None
    target = _target(check, change, path, "service")
    source = _target(check, change, path, "source", null=True)
    if action == "move" and source is None:
        check.problem(path + ("source",), "a move needs the service it leaves")
    text_of = check.get(change, path, "shown", (str,), "a string")
    sid = check.get(change, path, "sid", (str,), "a SID or null", null=True)
    if sid is not None and SID.fullmatch(sid) is None:
        check.problem(path + ("sid",), "must be the sender's SID or null")
    text = check.get(change, path, "text", (str,), "a string or null", null=True)
    country = check.get(change, path, "country", (str,), "a string or null", null=True)
    proven = check.get(change, path, "proven", (bool,), "true or false")
    if sid is None and text is None:
        check.problem(path, "needs the sender's sid, or the text of an alpha sender")
    if target is None or text_of is None:
        return None
    return SenderAction(action, kind, text_of, sid, target, source, text, country, line, bool(proven))
