"""Running a setup diff against the account, in phases, with one result per change.

A created service's SID is known only once its create has answered, so the changes run in
phases, each on the bulk engine's pool: creates, updates, detaches and moves out, attaches
and moves in, deletes. A change whose prerequisite failed (the create of its service, the
detach half of a move) is not sent and says why. Running the same file again plans
against what the account has become, so it finishes what a failure or Ctrl-C left.

Library code: no typer, no rich, no printing.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Callable, Sequence

from msgsvc.bulk import (
    ALREADY_IN_SERVICE, DEFAULT_CONCURRENCY, IN_ANOTHER_SERVICE, MAX_CONCURRENCY, Progress, Stopped,
    no_progress, run_pool,
)
from msgsvc.errors import ApiError, MsgsvcError, OutcomeUnknownError
from msgsvc.fields import Column
from msgsvc.setup_diff import Diff, SenderAction, ServiceAction, Target
from msgsvc.setup_file import FIELDS, KIND_BY_NOUN

DONE = {"create": "created", "update": "updated", "attach": "attached", "detach": "detached", "move": "moved",
        "delete": "deleted"}
FAILED = "failed"
NOT_SENT = "not sent"
STATUS_ORDER = ("created", "updated", "attached", "detached", "moved", "deleted", FAILED, NOT_SENT)

RESULT_COLUMNS = (
    Column("ACTION", "action", wrap=False),
    Column("SERVICE", "service"),
    Column("TARGET", "target"),
    Column("SID", "sid", wrap=False),
    Column("STATUS", "status", wrap=False),
    Column("CODE", "code"),
    Column("MESSAGE", "message"),
)


@dataclass
class Result:
    action: str
    kind: str  # "service" or a sender kind's noun
    service: str  # the service's friendly name
    target: str  # what the change is about: the service's name, or the sender as shown
    sid: str | None  # the service's SID (service changes) or the sender's SID
    status: str
    code: int | None = None
    message: str | None = None

    def record(self) -> dict[str, Any]:
        return asdict(self)


def summary(results: Sequence[Result]) -> str:
    counts = {status: 0 for status in STATUS_ORDER}
    for result in results:
        counts[result.status] += 1
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "nothing to do"


def service_form(values: dict[str, Any]) -> list[tuple[str, str]]:
    """The form of a service create or update, in the declaration's field order."""
    pairs = []
    for key, f in FIELDS.items():
        if key in values:
            wire = f.to_wire(values[key])
            pairs.extend((f.wire, value) for value in (wire if isinstance(wire, list) else [wire]))
    return pairs


class Applier:
    def __init__(self, client: Any, *, concurrency: int = DEFAULT_CONCURRENCY, progress: Progress = no_progress,
                 note: Callable[[str], None] = lambda text: None) -> None:
        self.client = client
        self.concurrency = max(1, min(concurrency, MAX_CONCURRENCY))
        self.progress = progress
        self.note = note
        self.interrupted = False
        self.created: dict[int, str] = {}  # index of a created service in the file -> its SID

    def run(self, diff: Diff) -> list[Result]:
        """Every change of `diff`, in phases; one Result per change, in the plan's order."""
        results: dict[int, Result] = {}
        services = {id(a): a for a in diff.services}
        senders = {id(a): a for a in diff.senders}
        creates = [a for a in diff.services if a.action == "create"]
        updates = [a for a in diff.services if a.action == "update"]
        outs = [a for a in diff.senders if a.action in ("detach", "move")]
        ins = [a for a in diff.senders if a.action in ("attach", "move")]
        deletes = [a for a in diff.services if a.action == "delete"]
        total = len(diff.services) + len(diff.senders) + sum(1 for a in diff.senders if a.action == "move")
        with self.progress("Applying", total) as advance:
            for phase, work in ((creates, self._service), (updates, self._service), (outs, self._out),
                                (ins, self._in), (deletes, self._service)):
                todo = []
                for action in phase:
                    blocked = self._blocked(action, results)
                    if blocked is not None:
                        results[id(action)] = blocked
                    else:
                        todo.append(action)
                done = self._pool(todo, work, advance)
                for action, result in zip(todo, done):
                    if action.action == "move" and work == self._out and result.status == DONE["detach"]:
                        continue  # its attach runs in the next phase and gives the result
                    results[id(action)] = result
        order = [*(a for a in diff.services if a.action != "delete"), *diff.senders,
                 *(a for a in diff.services if a.action == "delete")]
        return [results[id(a)] for a in order if id(a) in services or id(a) in senders]

    def _blocked(self, action: Any, results: dict[int, Result]) -> Result | None:
        """A change that must not be sent: interrupted, or its prerequisite failed."""
        if self.interrupted:
            return self._result(action, NOT_SENT, message="interrupted before it was sent")
        if isinstance(action, SenderAction):
            if action.service.sid is None and action.service.index not in self.created:
                return self._result(action, NOT_SENT, message=f"service {action.service.label} was not created")
            if action.action == "move" and id(action) in results:
                return results[id(action)]
        return None

    def _pool(self, todo: list, work: Callable[[Any], Result], advance: Callable[[], None]) -> list[Result]:
        if not todo or self.interrupted:
            return [self._result(a, NOT_SENT, message="interrupted before it was sent") for a in todo]

        def stopping(in_flight: int) -> None:
            if in_flight:
                self.note(f"msgsvc: stopping: waiting for the {in_flight} request(s) already sent")

        try:
            return run_pool(todo, work, concurrency=self.concurrency, done=advance, stopping=stopping)
        except Stopped as stopped:
            self.interrupted = True
            return [result or self._result(action, NOT_SENT, message="interrupted before it was sent")
                    for action, result in zip(todo, stopped.results)]

    # --- one change -------------------------------------------------------------------------

    def _sid(self, target: Target) -> str:
        return target.sid if target.sid is not None else self.created[target.index]  # type: ignore[index]

    def _result(self, action: Any, status: str, *, code: int | None = None, message: str | None = None,
                sid: str | None = None) -> Result:
        if isinstance(action, ServiceAction):
            name = action.service.name
            return Result(action.action, "service", name, name, sid or action.service.sid, status, code, message)
        return Result(action.action, action.kind, action.service.name, action.shown, sid or action.sid, status,
                      code, message)

    def _failure(self, action: Any, error: MsgsvcError) -> Result:
        if isinstance(error, ApiError) and error.status in (401, 403):
            raise error  # it would fail every other change too: stop the job
        code = error.code or error.status if isinstance(error, ApiError) else None
        return self._result(action, FAILED, code=code, message=error.message)

    def _service(self, action: ServiceAction) -> Result:
        try:
            if action.action == "create":
                record = self.client.create_service(service_form(action.after))
                sid = record.get("sid") if isinstance(record, dict) else None
                if not isinstance(sid, str):
                    return self._result(action, FAILED, message="the create answered without a sid")
                self.created[action.service.index] = sid  # type: ignore[index]
                return self._result(action, DONE["create"], sid=sid)
            if action.action == "update":
                self.client.update_service(action.service.sid, service_form(action.after))
                return self._result(action, DONE["update"])
            try:
                self.client.delete_service(action.service.sid)
            except ApiError as error:
                if error.status != 404:  # already gone: what was wanted
                    raise
            return self._result(action, DONE["delete"])
        except OutcomeUnknownError as error:
            return self._result(action, FAILED, message=f"{error.message}; run apply again: it plans against "
                                                        "what the account has become")
        except MsgsvcError as error:
            return self._failure(action, error)

    def _out(self, action: SenderAction) -> Result:
        kind = KIND_BY_NOUN[action.kind]
        source = action.source if action.action == "move" else action.service
        try:
            self.client.detach_sender(kind, self._sid(source), action.sid)  # type: ignore[arg-type]
        except ApiError as error:
            if error.status != 404:  # not there any more: what was wanted
                return self._failure(action, error)
        except MsgsvcError as error:
            return self._failure(action, error)
        return self._result(action, DONE["detach"])

    def _in(self, action: SenderAction) -> Result:
        kind = KIND_BY_NOUN[action.kind]
        service_sid = self._sid(action.service)
        form = {kind.form_field: action.sid if action.sid is not None else action.text}
        if kind.country and action.country:
            form["IsoCountryCode"] = action.country
        try:
            record = self.client.attach_sender(kind, service_sid, form)
        except ApiError as error:
            if error.code in ALREADY_IN_SERVICE:
                return self._result(action, DONE[action.action])
            if error.code == IN_ANOTHER_SERVICE:
                other = re.search(r"MG[0-9a-fA-F]{32}", error.message)
                where = f"another Messaging Service, {other.group(0)}" if other else "another Messaging Service"
                return self._result(action, FAILED, code=error.code, message=f"belongs to {where}: {error.message}")
            return self._failure(action, error)
        except OutcomeUnknownError as error:
            if action.sid is None:  # an alpha sender: only a listing could tell; apply again will
                return self._result(action, FAILED, message=f"{error.message}; run apply again")
            try:
                record = self.client.get_sender(kind, service_sid, action.sid)
            except MsgsvcError as check:
                return self._result(action, FAILED, message=f"{error.message}; checking failed too: {check.message}")
        except MsgsvcError as error:
            return self._failure(action, error)
        sid = record.get("sid") if isinstance(record, dict) else None
        return self._result(action, DONE[action.action], sid=sid or action.sid)
