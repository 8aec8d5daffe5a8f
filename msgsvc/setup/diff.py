"""What it takes to bring an account to a desired setup: a pure function over data.

`diff(desired, current, ...)` compares a checked file (setup_file.Desired) with the account's
services and their senders as read (`Current`), and returns a `Diff`: the services to create,
update and delete, the senders to attach, detach and move, and what stands in the way
(conflicts with services the file does not manage, senders the account does not own, names
that match several services). It sends nothing and reads nothing: the planner reads, this
decides, the executor sends.

The rules (README, "Your messaging setup as code"):
- a service of the file is matched by `sid` when given, else by its exact friendly name;
  no match: it is created; a name that matches several services is an error;
- a field absent from the file is left alone; `""` clears a URL field;
- a sender list present in the file is exact; an absent list is left alone;
- a phone number, short code or channel sender sits in one service at a time: one the file
  puts in B that sits in A is a move when A is in the file (or is pruned, or with
  `move_from_unmanaged`), else a conflict; alpha senders belong to their service and are
  created or deleted there;
- services the file does not mention are deleted only with `prune`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from msgsvc.api.senders import KINDS, SenderKind
from msgsvc.api.validate import has_masked_password, mask_url_passwords
from msgsvc.jobs.moves import A2P_MOVE_NOTE
from msgsvc.setup.file import FIELDS, KIND_BY_NOUN, POOLED, Desired, DesiredService, Sender

KIND_ORDER = {kind.noun: n for n, kind in enumerate(KINDS)}
FIELD_ORDER = {key: n for n, key in enumerate(FIELDS)}
PHASES = ("create", "update", "delete")  # service changes in the order they run


@dataclass
class Current:
    """One service of the account as read: its JSON record, and the sender records of each
    kind that was read (kind noun -> records, each with at least sid and its value key)."""

    record: Mapping[str, Any]
    senders: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)

    @property
    def sid(self) -> str:
        return str(self.record.get("sid"))

    @property
    def name(self) -> str:
        return str(self.record.get("friendly_name") or "")


@dataclass(frozen=True)
class Target:
    """A service a change acts on: its SID, or None for one this plan creates (then `index`
    is its position among the file's services)."""

    name: str
    sid: str | None = None
    index: int | None = None

    @property
    def label(self) -> str:
        """The name in double quotes, as JSON writes it: a quote or a backslash in a name
        cannot make a sentence ambiguous. (What reaches a terminal is escaped by the CLI.)"""
        return json.dumps(self.name, ensure_ascii=False)


@dataclass
class ServiceAction:
    action: str  # "create", "update" or "delete"
    service: Target
    after: dict[str, Any] = field(default_factory=dict)  # create: every field; update: the changed ones
    before: dict[str, Any] = field(default_factory=dict)  # update: the old values of the changed fields
    a2p: bool = False  # delete: registered for US A2P 10DLC (needs --force)
    line: int = 0


@dataclass
class SenderAction:
    action: str  # "attach", "detach" or "move"
    kind: str  # the kind's noun
    shown: str  # what a person recognises: +15017122661, 55501, MyCompany (GB), whatsapp:+1...
    sid: str | None  # the sender's SID; None for an alpha sender created by its text
    service: Target  # attach/move: where it goes; detach: where it leaves
    source: Target | None = None  # move: where it leaves
    text: str | None = None  # alpha senders: the text to create
    country: str | None = None  # destination alpha senders: "" for the default sender
    line: int = 0
    # Whether the plan showed the attach possible: False for a SID no listing could show (a
    # kind whose account-wide list was not read: `complete` lacks it); nothing is detached to
    # make room for it before it is done (setup.apply).
    proven: bool = True


@dataclass
class Conflict:
    """A sender the file wants that sits in a service the file does not manage."""

    kind: str
    shown: str
    holder: Target
    wanted: Target
    line: int = 0


@dataclass
class Unknown:
    """A sender the file wants that the account does not own (or that cannot be found)."""

    kind: str
    shown: str
    wanted: Target
    reason: str
    line: int = 0


@dataclass
class Diff:
    services: list[ServiceAction] = field(default_factory=list)
    senders: list[SenderAction] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, sentence)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, sentence): said, not blocking
    # The account as the planner read it (what a saved plan records, msgsvc/setup/saved_format.py).
    read: list[Current] = field(default_factory=list, repr=False, compare=False)

    @property
    def empty(self) -> bool:
        """No change at all (whether or not something stands in the way)."""
        return not self.services and not self.senders

    @property
    def blocked(self) -> bool:
        """Something must be fixed first; nothing may be sent."""
        return bool(self.conflicts or self.unknown or self.errors)

    def in_order(self) -> list[ServiceAction | SenderAction]:
        """Every change in the order it runs and is shown: creates and updates, the senders'
        changes, deletes."""
        return [*(a for a in self.services if a.action != "delete"), *self.senders,
                *(a for a in self.services if a.action == "delete")]

    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "attach": 0, "detach": 0, "move": 0, "delete": 0}
        for action in [*self.services, *self.senders]:
            counts[action.action] += 1
        return counts


def sender_keys(kind: SenderKind, record: Mapping[str, Any]) -> tuple[tuple, ...]:
    """Every key under which a current sender record is found (see setup_file.Sender.key)."""
    keys: list[tuple] = []
    if record.get("sid"):
        keys.append(("sid", record["sid"]))
    value = record.get(kind.value_key)
    if isinstance(value, str) and value:
        keys.append(("value", value, (record.get("iso_country_code") or "") if kind.country else ""))
    return tuple(keys)


def shown(kind: SenderKind, record: Mapping[str, Any]) -> str:
    """A sender as a person recognises it (its value, and country), as the API wrote it: data,
    not escaped (whoever shows it to a terminal escapes it)."""
    value = record.get(kind.value_key)
    if not isinstance(value, str) or not value:
        return str(record.get("sid"))
    country = record.get("iso_country_code") if kind.country else None
    return f"{value} ({country})" if country else value


def same_value(f_key: str, current: Any, wanted: Any) -> bool:
    """Whether a current field value already is the wanted one (a URL not set is ""). A URL
    whose password is *** (as export writes it) is the current URL when they differ only in
    that password: the account keeps its password, which the file never holds."""
    if FIELDS[f_key].kind == "url" and current is None:
        current = ""
    if FIELDS[f_key].kind == "url" and isinstance(current, str) and has_masked_password(wanted):
        return mask_url_passwords(current) == wanted
    return current == wanted


def _masked(service: DesiredService, key: str) -> tuple[int, str]:
    """A *** password that would be sent: a blocker, never a request."""
    return (service.field_lines.get(key, service.line), f"{service.label}: {key} has the password *** (export's placeholder for the password "
                          "the account has), and the account has no such URL to keep it from; write the password "
                          "itself in the file")


def diff(
    desired: Desired,
    current: Sequence[Current],
    *,
    inventory: Mapping[str, Mapping[tuple, str]] | None = None,
    complete: Iterable[str] = (),
    prune: bool = False,
    move_from_unmanaged: bool = False,
) -> Diff:
    """The changes that bring `current` to `desired`.

    `inventory` maps, per pooled kind, the keys of senders the account owns that sit in no
    service (("value", "+15017122661", "") or ("sid", "PN...")) to their SID; `complete` names
    the kinds whose inventory lists every such sender, so that a SID missing from it is a
    sender the account does not own (otherwise a SID is trusted and the API will judge)."""
    inventory = inventory or {}
    complete = set(complete)
    result = Diff()
    matched, failed = _match(desired, current, result)
    managed_sids = {c.sid for c in matched.values() if c is not None}

    targets: dict[int, Target] = {}
    for index, service in enumerate(desired.services):
        now = matched.get(index)
        targets[index] = Target(service.friendly_name, now.sid if now else None, None if now else index)
        if index in failed:
            continue
        if now is None:
            fields = dict(sorted(service.fields.items(), key=lambda item: FIELD_ORDER[item[0]]))
            result.errors.extend(_masked(service, key) for key, value in fields.items() if has_masked_password(value))
            result.services.append(ServiceAction("create", targets[index], fields, line=service.line))
            continue
        before, after = {}, {}
        for key, value in sorted(service.fields.items(), key=lambda item: FIELD_ORDER[item[0]]):
            if not same_value(key, now.record.get(key), value):
                if has_masked_password(value):
                    result.errors.append(_masked(service, key))
                    continue
                before[key], after[key] = now.record.get(key), value
        if after:
            result.services.append(ServiceAction("update", targets[index], after, before, line=service.line))

    pruned: list[Current] = []
    if prune:
        pruned = sorted((c for c in current if c.sid not in managed_sids), key=lambda c: (c.name, c.sid))
    pruned_sids = {c.sid for c in pruned}
    by_sid = {c.sid: c for c in current}

    # Where every pooled sender of the account sits now.
    holder: dict[tuple[str, tuple], tuple[str, Mapping[str, Any]]] = {}
    for service in current:
        for noun in POOLED:
            kind = KIND_BY_NOUN[noun]
            for record in service.senders.get(noun, ()):
                for key in sender_keys(kind, record):
                    holder[(noun, key)] = (service.sid, record)
    # Which pooled senders the file wants, and where.
    wanted: dict[tuple[str, str], int] = {}  # (noun, sender sid) -> desired service index
    spelled: dict[tuple[str, str], tuple[int, Sender]] = {}  # (noun, sender sid) -> where first listed
    resolved: dict[tuple[int, str], list[tuple[Sender, str | None, Mapping[str, Any] | None]]] = {}
    unlisted: set[tuple[int, str]] = set()  # (desired service index, channel sender SID) no listing shows
    for index, service in enumerate(desired.services):
        if index in failed:
            continue
        for noun, senders in service.senders.items():
            if noun not in POOLED:
                continue
            kind = KIND_BY_NOUN[noun]
            items = resolved.setdefault((index, noun), [])
            for sender in senders:
                found = holder.get((noun, sender.key))
                proven = True
                if found is not None:
                    sid, record = found[1].get("sid"), found[1]
                else:
                    sid, record = inventory.get(noun, {}).get(sender.key), None
                    if sid is None and sender.sid is not None and noun not in complete:
                        sid, proven = sender.sid, False  # no listing shows it: the attach will tell
                    elif sid is None and sender.sid is not None and noun == "channel-senders":
                        # Messaging v2 lists WhatsApp and RCS senders only: a Messenger sender in
                        # no service (a move half done left it so) is listed nowhere. Attached by
                        # its SID, unless its service would give a sender up for it (below).
                        sid, proven = sender.sid, False
                        unlisted.add((index, sid))
                    if sid is None:
                        result.unknown.append(Unknown(noun, sender.shown(), targets[index],
                                                      _unknown_reason(kind, sender), sender.line))
                        continue
                # Identity before rules: two spellings of one sender (its value, its SID) are one.
                first = spelled.get((noun, sid))
                if first is not None:
                    result.errors.append((sender.line, _listed_twice(kind, sid, sender, first, index,
                                                                     desired.services)))
                    continue
                spelled[(noun, sid)] = (index, sender)
                items.append((sender, sid, record, proven))
                wanted[(noun, sid)] = index

    for index, service in enumerate(desired.services):
        if index in failed:
            continue
        target = targets[index]
        now = matched.get(index)
        for noun in sorted(service.senders, key=KIND_ORDER.__getitem__):
            kind = KIND_BY_NOUN[noun]
            have = list(now.senders.get(noun, ())) if now is not None else []
            if noun not in POOLED:
                _owned(result, kind, target, service.senders[noun], have)
                continue
            actions: list[SenderAction] = []
            for sender, sid, record, proven in resolved.get((index, noun), ()):
                where = holder.get((noun, ("sid", sid)))
                source = where[0] if where is not None else None
                if source is not None and source == target.sid:
                    continue
                if source is None:
                    actions.append(SenderAction("attach", noun, sender.shown(), sid, target, line=sender.line,
                                                proven=proven))
                    continue
                other = by_sid[source]
                if source in managed_sids or source in pruned_sids or move_from_unmanaged:
                    sender_shown = _shown(kind, sender, record)
                    actions.append(SenderAction("move", noun, sender_shown, sid, target,
                                                source=Target(other.name, other.sid), line=sender.line))
                    for way, registered in (("out of", other), ("into", now)):
                        if registered is not None and registered.record.get("us_app_to_person_registered"):
                            result.warnings.append((sender.line, A2P_MOVE_NOTE.format(
                                sender=sender_shown, way=way, service=Target(registered.name).label)))
                else:
                    result.conflicts.append(Conflict(noun, _shown(kind, sender, record),
                                                     Target(other.name, other.sid), target, sender.line))
            for record in have:
                sid = record.get("sid")
                if (noun, sid) in wanted:
                    continue  # wanted here (nothing to do) or elsewhere (a move, listed there)
                actions.append(SenderAction("detach", noun, shown(kind, record), sid, target, line=service.line))
            given_up = [a.shown for a in actions if a.action == "detach"]
            for action in [a for a in actions if a.action == "attach" and (index, a.sid) in unlisted]:
                if given_up:  # a mistyped SID must not cost the sender the file replaces with it: said now
                    actions.remove(action)
                    result.unknown.append(Unknown(noun, action.shown, target, _unlisted_reason(
                        kind, action, given_up), action.line))
                else:
                    result.warnings.append((action.line, f"{kind.noun}: {action.sid} is a {kind.what} no listing of "
                                            "the account shows (Messaging v2 lists WhatsApp and RCS senders; one in "
                                            "no service is listed nowhere): the attach will tell whether it is "
                                            "this account's"))
            result.senders.extend(sorted(actions, key=_action_order))

    for service in pruned:
        result.services.append(ServiceAction(
            "delete", Target(service.name, service.sid),
            a2p=bool(service.record.get("us_app_to_person_registered")),
        ))
    result.services.sort(key=lambda action: PHASES.index(action.action))  # stable: file order within
    result.warnings.extend(lookalikes(desired, current))
    result.warnings.sort()
    return result


def _listed_twice(kind: SenderKind, sid: str, sender: Sender, first: tuple[int, Sender], index: int,
                  services: Sequence[DesiredService]) -> str:
    where, earlier = first
    same = f"{sender.shown()} and {earlier.shown()} are one {kind.what} ({sid})"
    if where == index:
        return f"{kind.noun}: {same}, listed twice in this service"
    return (f"{kind.noun}: {same}, listed in {services[where].label} (line {earlier.line}) and in "
            f"{services[index].label}; a sender belongs to one service")


def lookalike(name: str) -> str:
    """A name without what a reader cannot see: Unicode compatibility normalisation (NFKC:
    "Café" composed or not), and no format or control characters (U+200B, U+202E)."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKC", name) if unicodedata.category(c) not in ("Cf", "Cc"))


def lookalikes(desired: Desired, current: Sequence[Current]) -> list[tuple[int, str]]:
    """Names are compared exactly; two that only look alike (lookalike()) are a warning
    naming both, on the line of the file's service."""
    found: list[tuple[int, str]] = []
    others = [(c.name, f"the account's {c.sid}") for c in current]
    for n, service in enumerate(desired.services):
        mine = lookalike(service.friendly_name)
        for name, where in [*others, *((s.friendly_name, f"line {s.line} of the file")
                                     for s in desired.services[n + 1:])]:
            if name != service.friendly_name and lookalike(name) == mine:
                # Written with JSON's ASCII escapes: the warning shows what the eye cannot.
                found.append((service.line, f"{json.dumps(service.friendly_name)} and {json.dumps(name)} ({where}) "
                                            "differ only by Unicode normalisation or invisible characters: they "
                                            "are two names"))
    return found


def _shown(kind: SenderKind, sender: Sender, record: Mapping[str, Any] | None) -> str:
    """A sender named by SID in the file is shown by its value when the account says it."""
    if sender.sid is not None and record is not None:
        return shown(kind, record)
    return sender.shown()


def _action_order(action: SenderAction) -> tuple:
    return ({"detach": 0, "move": 1, "attach": 2}[action.action], action.shown)


def _unknown_reason(kind: SenderKind, sender: Sender) -> str:
    from msgsvc.api.channels import channel_of

    if kind.noun == "channel-senders" and sender.sid is None and channel_of(sender.value) is None:
        return ("is in no service of this account, and Messaging v2 lists WhatsApp and RCS senders only: "
                "attach it to a service first, then export again")
    return f"is not a {kind.what} of this account"


def _unlisted_reason(kind: SenderKind, action: SenderAction, given_up: Sequence[str]) -> str:
    """Why a channel sender SID no listing shows is not attached where the plan detaches others."""
    return (f"is not a {kind.what} the account lists (Messaging v2 lists WhatsApp and RCS senders; one in no "
            f"service is listed nowhere), and the plan would detach {given_up[0]} from {action.service.label} "
            f"for it: if it is this account's, attach it first (msgsvc {kind.noun} attach SERVICE {action.sid})")


def _owned(result: Diff, kind: SenderKind, target: Target, senders: Sequence[Sender],
           have: Sequence[Mapping[str, Any]]) -> None:
    """Alpha senders: created in the service by their text, deleted from it; never moved."""
    current: dict[tuple, Mapping[str, Any]] = {}
    for record in have:
        for key in sender_keys(kind, record):
            current[key] = record
    kept: set[Any] = set()
    actions = []
    for sender in senders:
        record = current.get(sender.key)
        if record is not None:
            kept.add(record.get("sid"))
            continue
        actions.append(SenderAction("attach", kind.noun, sender.shown(), None, target, text=sender.value,
                                    country=sender.country if kind.country else None, line=sender.line))
    for record in have:
        if record.get("sid") not in kept:
            actions.append(SenderAction("detach", kind.noun, shown(kind, record), record.get("sid"), target))
    result.senders.extend(sorted(actions, key=_action_order))


def _match(desired: Desired, current: Sequence[Current], result: Diff) -> tuple[dict[int, Current | None], set[int]]:
    """Each desired service's current service (None: to be created), and the desired services
    that cannot be matched (their problem is in result.errors)."""
    from msgsvc.jobs.resolve import Services

    known = Services(current, record=lambda c: c.record)
    matched: dict[int, Current | None] = {}
    failed: set[int] = set()
    claimed: dict[str, DesiredService] = {}
    for index, service in enumerate(desired.services):
        if service.sid is not None:
            now = next(iter(known.with_sid(service.sid)), None)
            if now is None:
                result.errors.append((service.line, f"service {service.sid} ({service.label}) is not in this "
                                                    "account; remove its sid to create it"))
                failed.add(index)
            else:
                claimed[now.sid] = service
            matched[index] = now
    for index, service in enumerate(desired.services):
        if service.sid is not None:
            continue
        found = known.named(service.friendly_name)
        if len(found) > 1:
            sids = sorted(c.sid for c in found)
            pin = f'"sid": "{sids[0]}"' if desired.name.endswith(".json") else f'sid = "{sids[0]}"'
            result.errors.append((service.line, f"{len(found)} services are named {service.label}: {', '.join(sids)}; "
                                                f"pin the one you mean in the file by its sid, e.g. {pin}"))
            matched[index] = None
            failed.add(index)
            continue
        now = found[0] if found else None
        if now is not None and now.sid in claimed:
            result.errors.append((service.line, f"{service.label} names {now.sid}, which the file also names "
                                                f"by sid on line {claimed[now.sid].line}"))
            failed.add(index)
        matched[index] = now
    result.errors.sort()
    return matched, failed


# --- the plan for people and for scripts -------------------------------------------------------


def blockers(result: Diff) -> list[tuple[int, str]]:
    """What must be fixed before anything may be sent: (line, sentence), in line order."""
    found = list(result.errors)
    for conflict in result.conflicts:
        found.append((conflict.line, f"{conflict.kind}: {conflict.shown} is in {conflict.holder.label} "
                                     f"({conflict.holder.sid}), which the file does not manage; add that service "
                                     "to the file, or take it with --move-from-unmanaged"))
    for unknown in result.unknown:
        found.append((unknown.line, f"{unknown.kind}: {unknown.shown} {unknown.reason}"))
    return sorted(found)


def as_data(result: Diff) -> dict[str, Any]:
    """The plan for --json: each change with before and after, and the counts."""
    changes: list[dict[str, Any]] = []
    for action in result.services:
        if action.action == "delete":
            continue
        changes.append({"action": action.action, "kind": "service", "service": action.service.name,
                        "service_sid": action.service.sid, "before": action.before or None, "after": action.after})
    for action in result.senders:
        change: dict[str, Any] = {"action": action.action, "kind": action.kind, "service": action.service.name,
                                  "service_sid": action.service.sid, "sender": action.shown,
                                  "sender_sid": action.sid}
        if action.source is not None:
            change.update({"from": action.source.name, "from_sid": action.source.sid})
        changes.append(change)
    for action in result.services:
        if action.action == "delete":
            changes.append({"action": "delete", "kind": "service", "service": action.service.name,
                            "service_sid": action.service.sid, "us_app_to_person_registered": action.a2p})
    data: dict[str, Any] = {"changes": changes, "summary": result.counts()}
    if result.warnings:
        data["warnings"] = [{"line": line or None, "message": text} for line, text in result.warnings]
    return data
