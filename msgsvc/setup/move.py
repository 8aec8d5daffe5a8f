"""`numbers move`: where each phone number or short code is, and what takes it to one service.

`plan_move` reads (the services, their pools of the kinds asked for, and the account's lists
for what no service holds) and decides, for each input: a move (msgsvc.jobs.moves.Move: the
detach from the service that holds it, the attach to the target, putting it back when that
attach fails), an attach (a sender in no service), or an outcome that needs no request
(already in the target, not on the account). `send` runs the plan on an Executor with the
move semantics apply uses (msgsvc.jobs.moves.Mover); `dry_run` says what it would send, with
what msgsvc.jobs.foresee knows would fail.

Library code: no typer, no rich, no printing; progress goes through the callback given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from msgsvc.api.senders import Ref, SenderKind
from msgsvc.jobs import changes as plan
from msgsvc.jobs.changes import ALREADY_ATTACHED, ATTACH, NOT_ON_ACCOUNT, WOULD_MOVE, Change, Outcome
from msgsvc.jobs.moves import A2P_MOVE_NOTE, Move, Mover, label
from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, no_progress
from msgsvc.setup.diff import Current
from msgsvc.setup.read import locate

SHOWN_IN_NOTE = 3  # the senders an A2P note names before "and N more"


@dataclass
class Step:
    """What becomes of one input: a move, an attach, or an outcome decided without a request."""

    ref: Ref
    move: Move | None = None
    attach: Change | None = None
    outcome: Outcome | None = None
    same_as: int | None = None  # a sender named again: the step of its first input, whose result it shares
    same: str = ""  # then what it is: "the same phone number as +15017122661"


@dataclass
class MovePlan:
    target: Current
    steps: list[Step]
    notes: list[str] = field(default_factory=list)  # what a move out of or into an A2P service costs
    account: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # SID -> the account's record (attaches)

    @property
    def moves(self) -> list[Move]:
        return [step.move for step in self.steps if step.move is not None]

    @property
    def attaches(self) -> list[Change]:
        return [step.attach for step in self.steps if step.attach is not None]

    @property
    def pending(self) -> int:
        """The inputs that need requests."""
        return sum(1 for step in self.steps if step.outcome is None and step.same_as is None)


def plan_move(client: Any, refs: Sequence[Ref], kinds: Mapping[Ref, SenderKind], to: str, *,
              concurrency: int = DEFAULT_CONCURRENCY, progress: Progress = no_progress) -> MovePlan:
    """The plan that puts every sender `refs` names (each of its kind in `kinds`) in the service
    `to` names (jobs.resolve's rule); reads only."""
    from msgsvc.jobs.resolve import Services

    services = list(client.list_services())  # the target first: a name of none fails before the pools are read
    sid = Services(services).pick(to, hint="list the services with: msgsvc services list --all").get("sid")
    located, current = locate(client, refs, kinds=kinds, concurrency=concurrency, progress=progress,
                              services=services)
    target = next(entry for entry in current if entry.sid == sid)
    result = MovePlan(target, [])
    seen: dict[str, int] = {}  # sender SID -> the step of the input that named it first
    a2p: dict[tuple[str, str], list[str]] = {}  # (way, service name) -> the senders moved so
    for found in located:
        ref, kind, record, holder = found.ref, found.kind, found.record, found.service
        if record is None:
            result.steps.append(Step(ref, outcome=plan.failed(ref.raw, NOT_ON_ACCOUNT, sid=ref.sid)))
            continue
        sid = str(record.get("sid"))
        if sid in seen:
            first = result.steps[seen[sid]].ref.raw
            result.steps.append(Step(ref, same_as=seen[sid], same=f"the same {kind.what} as {first}"))
            continue
        seen[sid] = len(result.steps)
        if holder is not None and holder.sid == target.sid:
            result.steps.append(Step(ref, outcome=Outcome(ref.raw, sid, ALREADY_ATTACHED)))
        elif holder is not None:
            result.steps.append(Step(ref, move=Move(kind.name, sid, ref.raw, holder.sid, holder.name, target.sid,
                                                    target.name, noun=kind.what,
                                                    value=str(record.get(kind.value_key) or ""))))
            for way, service in (("out of", holder), ("into", target)):
                if service.record.get("us_app_to_person_registered"):
                    a2p.setdefault((way, service.name), []).append(ref.raw)
        else:
            result.account[sid] = record
            result.steps.append(Step(ref, attach=Change(ATTACH, kind.name, service=target.sid, target=sid,
                                                        inputs=(ref.raw,), form=kind.attach_form(sid, None))))
    for (way, name), shown in a2p.items():
        more = len(shown) - SHOWN_IN_NOTE
        senders = ", ".join(shown[:SHOWN_IN_NOTE]) + (f" and {more} more" if more > 0 else "")
        result.notes.append(A2P_MOVE_NOTE.format(sender=senders, way=way, service=label(name)))
    return result


def send(executor: Any, moving: MovePlan, journal: Any = None) -> list[Outcome]:
    """Run the plan: every move (detaches, attaches, putting back; each recorded in `journal`
    first), then the attaches of what was in no service; one Outcome per input, in the order
    given."""
    mover = Mover(executor, journal)
    moved = iter(mover.run(moving.moves))
    attached = iter(mover.send(moving.attaches))
    results = [step.outcome if step.outcome is not None else None if step.same_as is not None
               else next(moved) if step.move is not None else next(attached) for step in moving.steps]
    return [result if result is not None else _same(moving.steps, n, results) for n, result in enumerate(results)]


def _same(steps: Sequence[Step], n: int, results: Sequence[Any]) -> Any:
    """The result of a sender named again: its first input's, as attach gives it (it was moved,
    or not, once), with what it is the same as."""
    step = steps[n]
    found = results[step.same_as]  # type: ignore[index]
    outcome, requests = found if isinstance(found, tuple) else (found, None)
    same = Outcome(step.ref.raw, outcome.sid, outcome.status, outcome.code, step.same)
    return same if requests is None else (same, [])  # a dry run's: its requests are the first's


def dry_run(client: Any, moving: MovePlan, *, concurrency: int = DEFAULT_CONCURRENCY,
            progress: Progress = no_progress) -> list[tuple[Outcome, list[dict[str, Any]]]]:
    """What `send` would do, nothing sent: per input its `would ...` Outcome and the requests
    it stands for. An attach Twilio would refuse (a number without SMS, 21715) is `would fail`."""
    from msgsvc.jobs.foresee import refusals

    base = client.base()
    refused: dict[Change, Outcome] = {}
    by_kind: dict[str, list[Change]] = {}
    for change in moving.attaches:
        by_kind.setdefault(change.resource, []).append(change)
    for changes in by_kind.values():
        refused.update(refusals(client, changes[0].kind, moving.target.sid, changes, [], account=moving.account,
                                concurrency=concurrency, progress=progress, others=False))
    result: list[Any] = []
    for step in moving.steps:
        if step.same_as is not None:
            result.append(None)
        elif step.outcome is not None:
            result.append((plan.as_would(step.outcome), []))
        elif step.move is not None:
            move = step.move
            requests = plan.dry_run([move.detach(), move.attach()], base)
            result.append((Outcome(move.shown, move.sid, WOULD_MOVE, None, f"from {label(move.source_name)}"),
                           requests))
        else:
            change = step.attach
            assert change is not None
            requests = plan.dry_run([change], base)
            result.append((plan.as_would(refused.get(change) or plan.would(change, requests[0])), requests))
    return [found if found is not None else _same(moving.steps, n, result) for n, found in enumerate(result)]
