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
from msgsvc.jobs.changes import ATTACH, CREATE, DELETE, DETACH, FAILED, MOVED, NOT_SENT, UPDATE, Change, Outcome
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


RESULT_FIELDS = tuple(f.name for f in fields(Result))  # what --fields takes


def service_form(values: dict[str, Any]) -> list[tuple[str, str]]:
    """The form of a service create or update, in the declaration's field order."""
    return [(f.wire, value) for key, f in FIELDS.items() if key in values for value in f.to_wire(values[key])]


class Applier:
    """Run a Diff on the foundation's Executor, phase by phase."""

    def __init__(self, client: Any, *, concurrency: int = DEFAULT_CONCURRENCY, progress: Progress = no_progress,
                 note: Callable[[str], None] = lambda text: None) -> None:
        self.executor = Executor(client, concurrency=concurrency, progress=progress, note=note)
        self.created: dict[int, str] = {}  # index of a created service in the file -> its SID
        self.half_moved: set[int] = set()  # moves whose detach was done (id of the action)
        self.stopped_by: MsgsvcError | None = None  # a 401/403 in one phase: the later ones are not sent

    @property
    def interrupted(self) -> bool:
        return self.executor.interrupted or self._stopped

    _stopped = False  # Ctrl-C came between two phases (outside the executor)

    def run(self, diff: Diff) -> list[Result]:
        """Every change of `diff`; one Result per change, in the plan's order (as describe()
        shows it): creates, updates, detaches and moves out, attaches and moves in, deletes."""
        results: dict[int, Result] = {}
        creates = [a for a in diff.services if a.action == "create"]
        updates = [a for a in diff.services if a.action == "update"]
        outs = [a for a in diff.senders if a.action in ("detach", "move")]
        ins = [a for a in diff.senders if a.action in ("attach", "move")]
        deletes = [a for a in diff.services if a.action == "delete"]
        try:
            self._phases(results, ((creates, False), (updates, False), (outs, True), (ins, False), (deletes, False)))
        except KeyboardInterrupt:  # between two phases: what was sent has its result already
            self._stopped = True
        order = [*(a for a in diff.services if a.action != "delete"), *diff.senders,
                 *(a for a in diff.services if a.action == "delete")]
        done = [results.get(id(a)) or self._result(a, Outcome(a.shown if isinstance(a, SenderAction) else
                                                             a.service.name, None, NOT_SENT)) for a in order]
        for action, result in zip(order, done):
            if id(action) in self.half_moved and result.status == NOT_SENT:
                result.message = (f"detached from {action.source.label}; the attach to {action.service.label} "
                                  "was not sent")
        return done

    def _phases(self, results: dict[int, Result], phases: Sequence[tuple[list, bool]]) -> None:
        for phase, outward in phases:
            todo: list[tuple[Any, Change]] = []
            for action in phase:
                if id(action) in results:  # the detach half of this move failed: not attached
                    continue
                blocked = self._blocked(action)
                if blocked is not None:
                    results[id(action)] = blocked
                    continue
                todo.append((action, self._change(action, outward)))
            if self.interrupted or self.stopped_by is not None:  # nothing more is sent
                outcomes = [Outcome(change.shown, change.target, NOT_SENT) for _, change in todo]
            else:
                outcomes = self.executor.run([change for _, change in todo])
                self.stopped_by = self.executor.stopped_by  # a 401/403: the later phases are not sent
            for (action, change), outcome in zip(todo, outcomes):
                if action.action == "create" and outcome.sid and outcome.status == "created":
                    self.created[action.service.index] = outcome.sid
                if action.action == "move" and outward and outcome.status not in (FAILED, NOT_SENT):
                    self.half_moved.add(id(action))
                    continue  # its attach runs next and gives the result
                results[id(action)] = self._result(action, outcome)

    def _blocked(self, action: Any) -> Result | None:
        """A sender change whose service was not created is not sent."""
        if isinstance(action, SenderAction) and action.service.sid is None and action.service.index not in self.created:
            return self._result(action, Outcome(action.shown, action.sid, NOT_SENT, None,
                                                f"service {action.service.label} was not created"))
        return None

    def _sid(self, target: Target) -> str:
        return target.sid if target.sid is not None else self.created[target.index]  # type: ignore[index]

    def _change(self, action: Any, outward: bool) -> Change:
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
        if outward:  # a detach, or the first half of a move
            source = action.source if action.action == "move" else action.service
            return Change(DETACH, kind.name, service=self._sid(source), target=action.sid, inputs=(action.shown,))
        form = kind.attach_form(action.sid if action.sid is not None else action.text, action.country)
        return Change(ATTACH, kind.name, service=self._sid(action.service), target=action.sid,
                      inputs=(action.shown,), form=form)

    @staticmethod
    def _result(action: Any, outcome: Outcome) -> Result:
        status = outcome.status
        if action.action == "move" and status not in (FAILED, NOT_SENT):
            status = MOVED
        if isinstance(action, ServiceAction):
            name = action.service.name
            return Result(action.action, "service", name, name, outcome.sid or action.service.sid, status,
                          outcome.code, outcome.message)
        return Result(action.action, action.kind, action.service.name, action.shown, outcome.sid or action.sid,
                      status, outcome.code, outcome.message)
