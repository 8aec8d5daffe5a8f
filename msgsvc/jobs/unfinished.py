"""Moves an msgsvc did not finish: where the senders that the journal (msgsvc/local/journal.py)
says were being moved are now, and what to tell the person.

A record is what a move wrote before its detach; its writer stopped (kill -9, a crash, a
power cut) before removing it. `look` reads where each sender is: in the service it was
going to (one read), else in the one it left (one more); in neither, every other service of
the account is asked (the API has no reverse look-up), so that `NOWHERE` is exact. A record
the API cannot answer for is `UNANSWERED` and kept. `warning` and `fix` are the words.

No typer, no rich, no printing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from msgsvc.errors import ApiError, MsgsvcError
from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, bounded, run_pool

TARGET = "target"  # in the service it was going to: the move was done
SOURCE = "source"  # in the service it left: the detach was never made
ELSEWHERE = "elsewhere"  # in a third service: someone put it there since
NOWHERE = "nowhere"  # in no service: lost from its pool until it is attached again
UNANSWERED = "unanswered"  # the API could not say: checked again next time
PLACED = (TARGET, SOURCE, ELSEWHERE)  # the record is done with


@dataclass
class Unfinished:
    """One record the journal holds (`record`: its handle, with `.fields`) and where its
    sender is; `error`: why the API could not say (UNANSWERED)."""

    record: Any
    where: str
    error: str | None = None

    @property
    def fields(self) -> Mapping[str, Any]:
        return self.record.fields


def look(client: Any, records: Sequence[Any], *, concurrency: int = DEFAULT_CONCURRENCY) -> list[Unfinished]:
    """Where the sender of each record is now, in the records' order."""
    if not records:
        return []
    found = run_pool(list(records), lambda r: _where(client, r), concurrency=bounded(concurrency))
    lost = [n for n, u in enumerate(found) if u.where == NOWHERE]
    if lost:
        try:
            services = [str(s.get("sid")) for s in client.list_services()]
        except MsgsvcError as error:
            for n in lost:
                found[n] = Unfinished(found[n].record, UNANSWERED, error.message)
            return found
        for n, where in zip(lost, run_pool(lost, lambda n: _elsewhere(client, found[n], services),
                                           concurrency=bounded(concurrency))):
            found[n] = where
    return found


def kind_of(fields: Mapping[str, Any]) -> Any:
    """The SenderKind a record names (msgsvc.api.senders), None for one this msgsvc does not know."""
    from msgsvc.api.senders import KINDS

    return next((k for k in KINDS if k.name == fields.get("kind")), None)


def _in(client: Any, kind: Any, service: str, sid: str) -> bool:
    """Whether the service holds the sender (a 404: it does not, or there is no such service)."""
    try:
        client.get_sender(kind, service, sid)
    except ApiError as error:
        if error.status == 404:
            return False
        raise
    return True


def _where(client: Any, record: Any) -> Unfinished:
    fields = record.fields
    kind = kind_of(fields)
    if kind is None:
        return Unfinished(record, UNANSWERED, f"a kind of sender this msgsvc does not know: {fields.get('kind')!r}")
    try:
        if _in(client, kind, fields["target"], fields["sid"]):
            return Unfinished(record, TARGET)
        if _in(client, kind, fields["source"], fields["sid"]):
            return Unfinished(record, SOURCE)
    except MsgsvcError as error:
        return Unfinished(record, UNANSWERED, error.message)
    return Unfinished(record, NOWHERE)


def _elsewhere(client: Any, found: Unfinished, services: Sequence[str]) -> Unfinished:
    fields = found.fields
    kind = kind_of(fields)
    try:
        for service in services:
            if service not in (fields["target"], fields["source"]) and _in(client, kind, service, fields["sid"]):
                return Unfinished(found.record, ELSEWHERE)
    except MsgsvcError as error:
        return Unfinished(found.record, UNANSWERED, error.message)
    return found


def _plain(value: Any) -> bool:
    """A value a shell takes as it is, as one word."""
    return isinstance(value, str) and bool(value) and all(c.isalnum() or c in "+._-" for c in value) \
        and value.isascii()


def fix(fields: Mapping[str, Any]) -> str:
    """The command that puts the sender where it was going: `msgsvc numbers attach OTP
    +15550000001` (the service's SID when its name is not one plain word; the sender's SID
    when its value is not a number or a short code)."""
    kind = kind_of(fields)
    noun = kind.noun if kind is not None else "numbers"
    name = fields.get("target_name")
    service = name if _plain(name) and not str(name).startswith("-") else fields["target"]
    value = fields.get("sender")
    by_value = noun in ("numbers", "short-codes") and _plain(value) and str(value).lstrip("+").isdigit()
    return f"msgsvc {noun} attach {service} {value if by_value else fields['sid']}"


def when(fields: Mapping[str, Any]) -> str:
    """When the move began, in UTC: 2026-12-07 14:20:01 UTC."""
    started = fields.get("started")
    if not isinstance(started, (int, float)):
        return "at a time not recorded"
    return datetime.fromtimestamp(started, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def label(name: Any, sid: Any) -> str:
    """A service as a warning names it: its name in double quotes, or its SID."""
    return json.dumps(name, ensure_ascii=False) if isinstance(name, str) and name else str(sid)


def warning(found: Unfinished) -> str:
    """What the person is told of a sender a move left in no service."""
    f = found.fields
    noun = f.get("noun") or "sender"
    sender = f.get("sender") or f.get("sid")
    return (f"{sender} ({f['sid']}) was detached from {label(f.get('source_name'), f['source'])} on {when(f)} to "
            f"move it to {label(f.get('target_name'), f['target'])}, and the msgsvc that moved it (pid {f.get('pid')}) "
            f"stopped before attaching it: the {noun} is in no service")


def unanswered(found: Sequence[Unfinished]) -> str:
    """The one sentence for the records the API could not answer for."""
    first = found[0]
    f = first.fields
    what = (f"a move an earlier msgsvc did not finish ({f.get('sender') or f.get('sid')} to "
            f"{label(f.get('target_name'), f['target'])})" if len(found) == 1
            else f"{len(found)} moves earlier msgsvc runs did not finish")
    return f"could not check {what}: {first.error}; it is checked again by the next move, plan, apply or doctor"
