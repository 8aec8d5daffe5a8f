"""Running a setup diff against the account, in phases, with one result per change.

A created service's SID is known only once its create has answered, so the changes run in
phases, each a list of `msgsvc.jobs.changes.Change` sent by `msgsvc.jobs.executor.Executor` (its pool,
shared 429 throttle, lost POSTs checked and never resent, Ctrl-C): creates, updates,
detaches and moves out, attaches and moves in, deletes. A change whose prerequisite failed (the create of its service, the
detach half of a move) is not sent and says why. Running the same file again plans
against what the account has become, so it finishes what a failure or Ctrl-C left.

Library code: no typer, no rich, no printing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Callable, Sequence

from msgsvc.errors import MsgsvcError
from msgsvc.jobs.executor import Executor
from msgsvc.jobs.changes import (
    ATTACH, CREATE, DELETE, DETACH, FAILED, MOVED, NOT_SENT, UNDONE, UPDATE, Change, Outcome, fatal,
)
from msgsvc.jobs.moves import DONE_IN, DONE_OUT, Move, needs_putting_back, record, settle
from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, no_progress
from msgsvc.api.resources import KEEP, SERVICE, WRAP, Column
from msgsvc.setup.diff import Diff, SenderAction, ServiceAction, Target
from msgsvc.setup.file import FIELDS, KIND_BY_NOUN


# At 80 columns the SID (whole, never cut, 34 characters) is the first to give way, so the
# name, the sender and the message have room; TSV and JSON always have it.
RESULT_COLUMNS = (
    Column("ACTION", "action", fit=KEEP),
    Column("SERVICE", "service"),
    Column("TARGET", "target"),
    Column("SID", "sid", fit=KEEP, drop=3, spare=True),
    Column("STATUS", "status", fit=KEEP),
    Column("CODE", "code", fit=KEEP, drop=2, spare=True),  # the message's reason repeats it
    Column("MESSAGE", "message", fit=WRAP, least=36),  # wrapped between words, never cut
)


@dataclass
class Result:
    """One change of the plan and what became of it (a move is one result for its two requests)."""

    action: str  # create, update, attach, detach, move, delete
    kind: str  # "service" or a sender kind's noun
    service: str  # the service's friendly name
    target: str  # what the change is about: the service's name, or the sender as shown
    sid: str | None  # the service's SID (service changes) or the sender's SID
    status: str
    code: int | None = None
    message: str | None = None

    def record(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def undone(self) -> bool:
        """Not done as planned: failed, unknown, half done, or kept for a reason (exit 1)."""
        return self.status in UNDONE or (self.status == NOT_SENT and self.message is not None)


RESULT_FIELDS = tuple(f.name for f in fields(Result))  # what --fields takes


def service_form(values: dict[str, Any]) -> list[tuple[str, str]]:
    """The form of a service create or update, in the declaration's field order."""
    return [(f.wire, value) for key, f in FIELDS.items() if key in values for value in f.to_wire(values[key])]


class Applier:
    """Run a Diff on the foundation's Executor, phase by phase.

    The safety rules (README, "Your messaging setup as code"): a move whose attach fails is
    put back (msgsvc.jobs.moves); a sender is not detached to make room for an attach the
    plan could not show possible (a channel sender SID found in no service) until that
    attach is done; a service is deleted only once every create of the plan and every move
    out of it are done, and only if it is still not registered for US A2P 10DLC (read again
    right before its delete) unless `force`. Each move is recorded in `journal` before its
    detach (msgsvc.jobs.moves.record); one that cannot be recorded is not sent."""

    def __init__(self, client: Any, *, concurrency: int = DEFAULT_CONCURRENCY, progress: Progress = no_progress,
                 note: Callable[[str], None] = lambda text: None, force: bool = False, journal: Any = None) -> None:
        self.client = client
        self.force = force
        self.journal = journal
        self.executor = Executor(client, concurrency=concurrency, progress=progress, note=note)
        self.created: dict[int, str] = {}  # index of a created service in the file -> its SID
        self.stopped_by: MsgsvcError | None = None  # a 401/403 in one phase: the later ones are not sent

    @property
    def interrupted(self) -> bool:
        return self.executor.interrupted or self._stopped

    _stopped = False  # Ctrl-C came between two phases (outside the executor)

    def run(self, diff: Diff) -> list[Result]:
        """Every change of `diff`; one Result per change, in the plan's order (as describe()
        shows it): creates, updates, detaches and moves out, attaches and moves in, deletes."""
        self.results: dict[int, Result] = {}
        self.moves: dict[int, tuple[Move, Outcome, Outcome | None, Outcome | None]] = {}
        try:
            self._run(diff)
        except KeyboardInterrupt:  # between two phases: what was sent has its result already
            self._stopped = True
        for key, (move, out, into, back) in self.moves.items():
            if key not in self.results:
                action = self._moving[key]
                self.results[key] = self._result(action, settle(move, out, into, back))
        order = diff.in_order()
        return [self.results.get(id(a)) or self._result(a, Outcome(a.shown if isinstance(a, SenderAction) else
                                                                   a.service.name, None, NOT_SENT)) for a in order]

    def _run(self, diff: Diff) -> None:
        creates = [a for a in diff.services if a.action == "create"]
        updates = [a for a in diff.services if a.action == "update"]
        unproven = {(a.kind, a.service) for a in diff.senders if a.action == "attach" and not a.proven}
        later = [a for a in diff.senders if a.action == "detach" and (a.kind, a.service) in unproven]
        detaches = [a for a in diff.senders if a.action == "detach" and a not in later]
        moves = [a for a in diff.senders if a.action == "move"]
        attaches = [a for a in diff.senders if a.action == "attach"]
        deletes = [a for a in diff.services if a.action == "delete"]
        self._moving = {id(a): a for a in moves}
        self._phase(creates)
        self._phase(updates)
        # Detaches and moves out first: they make room in pools that are full.
        moving = [a for a in moves if not self._blocks(a)]
        if moving and not self.interrupted and self.stopped_by is None:
            held = record(self.journal, [self._move(a) for a in moving])
            for n, outcome in held.items():
                self.results[id(moving[n])] = self._result(moving[n], outcome)
            moving = [a for n, a in enumerate(moving) if n not in held]
        outs = self._send([*(self._change(a) for a in detaches if not self._blocks(a)),
                           *(self._move(a).detach() for a in moving)])
        sent_detaches = [a for a in detaches if id(a) not in self.results]
        for action, outcome in zip(sent_detaches, outs):
            self.results[id(action)] = self._result(action, outcome)
        for action, outcome in zip(moving, outs[len(sent_detaches):]):
            self.moves[id(action)] = (self._move(action), outcome, None, None)
        # Attaches, and the moves' attaches of what was detached.
        detached = [a for a in moving if self.moves[id(a)][1].status in DONE_OUT]
        ready = [a for a in attaches if not self._blocks(a)]
        ins = self._send([*(self._change(a) for a in ready), *(self.moves[id(a)][0].attach() for a in detached)])
        for action, outcome in zip(ready, ins):
            self.results[id(action)] = self._result(action, outcome)
        for action, outcome in zip(detached, ins[len(ready):]):
            move, out, _, _ = self.moves[id(action)]
            self.moves[id(action)] = (move, out, outcome, None)
        # What could not be attached goes back where it was.
        back = [a for a in detached if needs_putting_back(self.moves[id(a)][2], self.moves[id(a)][0])]
        for action, outcome in zip(back, self._send([self.moves[id(a)][0].put_back() for a in back])):
            move, out, into, _ = self.moves[id(action)]
            self.moves[id(action)] = (move, out, into, outcome)
        # A sender is detached to make room for an unproven attach only once that attach is done.
        for action in later:
            failed_in = [a for a in attaches if (a.kind, a.service) == (action.kind, action.service)
                         and (id(a) not in self.results or self.results[id(a)].status not in DONE_IN)]
            if failed_in:
                self.results[id(action)] = self._result(action, Outcome(
                    action.shown, action.sid, NOT_SENT, None, f"kept: the attach of {failed_in[0].shown} to "
                    f"{action.service.label} it makes room for was not done"))
        self._phase([a for a in later if id(a) not in self.results])
        self._deletes(deletes, creates, moves)

    def _deletes(self, deletes: list[ServiceAction], creates: list[ServiceAction], moves: list[SenderAction]) -> None:
        """A delete is sent only once everything it depends on is done: every create of the
        plan (a rename's successor is one of them) and every move out of the service; and
        only while the service is still not registered for US A2P 10DLC (read again now)."""
        undone = [a for a in creates if self.results.get(id(a)) is None or self.results[id(a)].status != "created"]
        todo = []
        for action in deletes:
            reason = None
            if undone:
                reason = f"kept: the create of {undone[0].service.label} was not done"
            else:
                stuck = [m for m in moves if m.source is not None and m.source.sid == action.service.sid
                         and self._status(m) != MOVED]
                if stuck:
                    reason = f"kept: the move of {stuck[0].shown} out of it was not done"
            if reason is None and not self.interrupted and self.stopped_by is None:
                reason = self._a2p_now(action)
            if reason is not None:
                self.results[id(action)] = self._result(action, Outcome(action.service.name, action.service.sid,
                                                                        NOT_SENT, None, reason or None))
                continue
            todo.append(action)
        self._phase(todo)

    def _a2p_now(self, action: ServiceAction) -> str | None:
        """Why a service is kept after all: registered for US A2P 10DLC when read right before
        its delete (without --force); None to go ahead. A service already gone is deleted as
        asked (the DELETE's 404 says `not found`). A 401/403 stops the run as it stops a
        phase (`stopped_by`): this delete and every later one are `not sent`."""
        if self.force:
            return None
        try:
            record = self.client.get_service(action.service.sid)
        except MsgsvcError as error:
            if getattr(error, "status", None) == 404:
                return None
            if fatal(error):
                self.stopped_by = error
                return ""  # not sent, as what a 401 stops is: no reason of its own
            return f"kept: reading it again before its delete failed: {error.message}"
        if record.get("us_app_to_person_registered"):
            return "kept: it is registered for US A2P 10DLC now; deleting it deletes its campaign (add --force)"
        return None

    def _status(self, action: SenderAction) -> str | None:
        """What became of a move so far (None: nothing yet)."""
        if id(action) in self.results:
            return self.results[id(action)].status
        if id(action) not in self.moves:
            return None
        move, out, into, back = self.moves[id(action)]
        return settle(move, out, into, back).status

    def _phase(self, actions: Sequence[Any]) -> None:
        ready = [a for a in actions if not self._blocks(a)]
        for action, outcome in zip(ready, self._send([self._change(a) for a in ready])):
            if action.action == "create" and outcome.sid and outcome.status == "created":
                self.created[action.service.index] = outcome.sid
            self.results[id(action)] = self._result(action, outcome)

    def _send(self, changes: list[Change]) -> list[Outcome]:
        if not changes:
            return []
        if self.interrupted or self.stopped_by is not None:  # nothing more is sent
            return [Outcome(change.shown, change.target, NOT_SENT) for change in changes]
        outcomes = self.executor.run(changes)
        self.stopped_by = self.executor.stopped_by  # a 401/403: the later phases are not sent
        return outcomes

    def _blocks(self, action: Any) -> bool:
        """A sender change whose service was not created is not sent (its result says why)."""
        if isinstance(action, SenderAction) and action.service.sid is None and action.service.index not in self.created:
            self.results[id(action)] = self._result(action, Outcome(action.shown, action.sid, NOT_SENT, None,
                                                                    f"service {action.service.label} was not created"))
            return True
        return False

    def _move(self, action: SenderAction) -> Move:
        if id(action) in self.moves:
            return self.moves[id(action)][0]
        kind = KIND_BY_NOUN[action.kind]
        source = action.source
        assert source is not None and source.sid is not None and action.sid is not None
        return Move(kind.name, action.sid, action.shown, source.sid, source.name, self._sid(action.service),
                    action.service.name, noun=kind.what, value=action.shown)

    def _sid(self, target: Target) -> str:
        return target.sid if target.sid is not None else self.created[target.index]  # type: ignore[index]

    def _change(self, action: Any) -> Change:
        if isinstance(action, ServiceAction):
            name = action.service.name
            if action.action == "create":
                return Change(CREATE, SERVICE.name, inputs=(name,), form=service_form(action.after), after=action.after)
            sid = action.service.sid
            if action.action == "update":
                return Change(UPDATE, SERVICE.name, service=sid, target=sid, inputs=(name,),
                              form=service_form(action.after), before=action.before, after=action.after)
            return Change(DELETE, SERVICE.name, service=sid, target=sid, inputs=(name,))
        kind = KIND_BY_NOUN[action.kind]
        if action.action == "detach":
            return Change(DETACH, kind.name, service=self._sid(action.service), target=action.sid, inputs=(action.shown,))
        form = kind.attach_form(action.sid if action.sid is not None else action.text, action.country)
        return Change(ATTACH, kind.name, service=self._sid(action.service), target=action.sid,
                      inputs=(action.shown,), form=form)

    @staticmethod
    def _result(action: Any, outcome: Outcome) -> Result:
        status = outcome.status
        if isinstance(action, ServiceAction):
            name = action.service.name
            return Result(action.action, "service", name, name, outcome.sid or action.service.sid, status,
                          outcome.code, outcome.message)
        return Result(action.action, action.kind, action.service.name, action.shown, outcome.sid or action.sid,
                      status, outcome.code, outcome.message)
