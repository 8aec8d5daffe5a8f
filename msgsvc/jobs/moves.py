"""Moving a sender from one service to another: a detach, then an attach, that ends somewhere.

A phone number, short code or channel sender sits in one service at a time, so a move is two
requests: the detach from the service it leaves, then the attach to the service it joins.
When the attach fails (the pool is full, 21714; a 500 the check finds nothing for; a 401),
the sender is put back where it was and the move is `failed` with why; when putting it back
fails too (or is not sent: Ctrl-C, SIGTERM, a 401 that stopped the job), the move is
`half done`, and its message says exactly where the sender is:

    detached from "Alerts"; attach to "OTP" failed (21714); the number is in no service

An attach whose outcome is unknown is not undone (the sender may be in its new service): the
move is `unknown`. `Mover.run` sends a list of moves on an Executor (what `numbers move` and
`apply` share); `settle` is the one rule that turns the requests' outcomes into the move's.

A kill -9 or a power cut between the detach and the attach leaves the sender in no service
with no one to say so: each move is first recorded in a journal (msgsvc/local/journal.py,
given by the command), and a move that cannot be recorded is not sent (`record`). The
command removes the records once the outcomes are reported.

No typer, no rich, no printing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

from msgsvc.jobs.changes import (
    ALREADY_ATTACHED, ATTACH, ATTACHED, DETACH, DETACHED, FAILED, HALF_DONE, MOVED, NOT_ATTACHED, NOT_SENT,
    UNKNOWN, Change, Outcome,
)

DONE_IN = (ATTACHED, ALREADY_ATTACHED)  # the sender is in the service the attach named
DONE_OUT = (DETACHED, NOT_ATTACHED)  # the sender is no longer in the service it leaves
# What a move out of or into a service registered for US A2P 10DLC costs; said by the plan.
A2P_MOVE_NOTE = ("moving {sender} {way} {service}, which is registered for US A2P 10DLC, starts a carrier "
                 "re-registration of the number (messages may fail until it completes), and its "
                 "sticky-sender mappings are lost")


def label(name: str) -> str:
    """A service's name in double quotes, as JSON writes it (a quote cannot confuse)."""
    return json.dumps(name, ensure_ascii=False)


@dataclass(frozen=True)
class Move:
    """One sender to move: its kind (a resource name: `phone-number`), SID and how it is shown;
    the service it leaves and the one it joins (SIDs and names)."""

    resource: str
    sid: str
    shown: str
    source: str
    source_name: str
    target: str
    target_name: str
    noun: str = "sender"  # how a message calls it: "number", "short code", "channel sender"
    value: str = ""  # the sender's own value (E.164, the short code, whatsapp:+1...), when known

    def journal_fields(self) -> dict[str, str]:
        """What the journal records of the move before its detach is sent."""
        return {"kind": self.resource, "sid": self.sid, "sender": self.value or self.shown, "noun": self.noun,
                "source": self.source, "source_name": self.source_name, "target": self.target,
                "target_name": self.target_name}

    def detach(self) -> Change:
        return Change(DETACH, self.resource, service=self.source, target=self.sid, inputs=(self.shown,))

    def attach(self) -> Change:
        return self._attach(self.target)

    def put_back(self) -> Change:
        return self._attach(self.source)

    def _attach(self, service: str) -> Change:
        from msgsvc.api.resources import RESOURCES

        kind = RESOURCES[self.resource]
        return Change(ATTACH, self.resource, service=service, target=self.sid, inputs=(self.shown,),
                      form=kind.attach_form(self.sid, None))  # type: ignore[attr-defined]


def not_recorded(move: Move, why: str) -> Outcome:
    """The outcome of a move that was not sent because its journal record could not be written."""
    return Outcome(move.shown, move.sid, NOT_SENT, None,
                   f"not sent: msgsvc could not record the move first ({why}); without that record nothing would "
                   f"tell where the {move.noun} is if msgsvc stopped between the detach and the attach")


def record(journal, moves: Sequence[Move]) -> dict[int, Outcome]:
    """Record the moves in `journal` (None: not recorded) before any is sent: {index: the
    'not sent' outcome} of those whose record could not be written, which must not be sent."""
    if journal is None or not moves:
        return {}
    try:
        whys = journal.write([m.journal_fields() for m in moves])
    except Exception as error:  # noqa: BLE001 - a journal that cannot be written holds the moves back, never fails the job
        whys = [str(error) or type(error).__name__] * len(moves)
    return {n: not_recorded(moves[n], why) for n, why in enumerate(whys) if why is not None}


def taken_by(move: Move, attach: Outcome) -> str | None:
    """The SID of the service that holds the sender now when its attach was refused with 21712
    naming a service other than the two of the move: someone attached it there between the
    detach and the attach. None otherwise (21712 naming the service it leaves says the detach
    has not taken effect yet: putting it back is right)."""
    import re

    from msgsvc.jobs.executor import IN_ANOTHER_SERVICE

    if attach.status != FAILED or attach.code != IN_ANOTHER_SERVICE:
        return None
    named = re.search(r"MG[0-9a-fA-F]{32}", attach.message or "")
    if named is None or named.group(0).lower() in (move.source.lower(), move.target.lower()):
        return None
    return named.group(0)


def needs_putting_back(attach: Outcome, move: Move) -> bool:
    """An attach that failed for certain, or that was not sent because the service's pool is
    full (21714, the executor sends no attach to a full pool): the sender is in no service
    until it is put back. (Not sent for Ctrl-C or a 401: nothing more is sent. Not when
    another service holds it now: putting it back would take it from there, or be refused.)"""
    from msgsvc.jobs.executor import POOL_FULL

    if taken_by(move, attach) is not None:
        return False
    return attach.status == FAILED or (attach.status == NOT_SENT and attach.code == POOL_FULL)


def settle(move: Move, out: Outcome, into: Outcome | None = None, back: Outcome | None = None) -> Outcome:
    """The one outcome of a move from the outcomes of its requests (None: not sent)."""
    if out.status not in DONE_OUT:  # never detached: the sender is where it was
        return Outcome(move.shown, move.sid, out.status, out.code, out.message)
    source, target = label(move.source_name), label(move.target_name)
    if into is not None and into.status == NOT_SENT and back is not None and back.status in DONE_IN:
        return Outcome(move.shown, move.sid, FAILED, into.code,
                       f"attach to {target} not sent: {into.message}; put back in {source}")
    if into is None or into.status == NOT_SENT:
        why = f" ({into.message})" if into is not None and into.message else ""
        return Outcome(move.shown, move.sid, HALF_DONE, into.code if into else None,
                       f"detached from {source}; the attach to {target} was not sent{why}; "
                       f"the {move.noun} is in no service")
    if into.status in DONE_IN:
        return Outcome(move.shown, move.sid, MOVED)
    if into.status == UNKNOWN:
        return Outcome(move.shown, move.sid, UNKNOWN, into.code,
                       f"detached from {source}; the attach to {target} may or may not have been made: "
                       f"{into.message}")
    if taken_by(move, into) is not None:  # in another service: not lost, and not taken back from there
        return Outcome(move.shown, move.sid, FAILED, into.code,
                       f"detached from {source}; attach to {target} failed: {into.message}; the {move.noun} is in "
                       f"that service now, so it was not put back in {source}")
    code = f" ({into.code})" if into.code else ""
    if back is not None and back.status in DONE_IN:  # the message's own reason names the code already
        said = "" if code and code.strip() in (into.message or "") else code
        return Outcome(move.shown, move.sid, FAILED, into.code,
                       f"attach to {target} failed{said}: {into.message}; put back in {source}")
    return Outcome(move.shown, move.sid, HALF_DONE, into.code,
                   f"detached from {source}; attach to {target} failed{code}; the {move.noun} is in no service")


class Mover:
    """Send moves on an Executor (msgsvc.jobs.executor): every detach, then every attach of
    what was detached, then putting back what could not be attached; one Outcome per move."""

    def __init__(self, executor, journal=None) -> None:
        self.executor = executor
        self.journal = journal  # where each move is recorded before its detach (msgsvc.local.journal)

    def run(self, moves: Sequence[Move]) -> list[Outcome]:
        moves = list(moves)
        held = record(self.journal, moves) if not self._stopped() else {}
        sent = [n for n in range(len(moves)) if n not in held]
        outs: dict[int, Outcome] = dict(zip(sent, self.send([moves[n].detach() for n in sent])))
        detached = [n for n, out in outs.items() if out.status in DONE_OUT]
        intos: dict[int, Outcome] = dict(zip(detached, self.send([moves[n].attach() for n in detached])))
        backs = self.put_back(moves, intos)
        return [held[n] if n in held else settle(m, outs[n], intos.get(n), backs.get(n)) for n, m in enumerate(moves)]

    def _stopped(self) -> bool:
        return bool(self.executor.interrupted or self.executor.stopped_by is not None)

    def put_back(self, moves: Sequence[Move], intos: dict[int, Outcome]) -> dict[int, Outcome]:
        """Attach again to their old service the senders whose attach failed: {index: outcome}."""
        failed = [n for n, into in intos.items() if needs_putting_back(into, moves[n])]
        return dict(zip(failed, self.send([moves[n].put_back() for n in failed])))

    def send(self, changes: list[Change]) -> list[Outcome]:
        """The changes' outcomes; none is sent once the job was interrupted or stopped (401)."""
        if not changes:
            return []
        if self._stopped():
            return [Outcome(c.shown, c.target, NOT_SENT) for c in changes]
        return self.executor.run(changes)
