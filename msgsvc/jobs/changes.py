"""Plans as data: what would change on Twilio, decided before anything is sent.

A `Change` is one request to make (create, update, attach, detach or delete), serialisable
through `to_dict()`; its `method` and `path` follow from it. A planner decides the changes
for what the user asked and settles, without a change, the values that need none;
`msgsvc.jobs.executor.Executor` sends a list of changes; a dry run prints them instead.

The planning of a bulk attach or detach is `msgsvc.jobs.senders_plan`.

No typer, no rich, no printing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Sequence

from msgsvc.errors import ApiError, MsgsvcError
from msgsvc.api.resources import KEEP, RESOURCES, WRAP, Column, Resource, all_resources, form_dict
from msgsvc.api.senders import SenderKind
from msgsvc.words import counted

log = logging.getLogger("msgsvc.http")

CREATE, UPDATE, ATTACH, DETACH, DELETE = "create", "update", "attach", "detach", "delete"
ACTIONS = (CREATE, UPDATE, ATTACH, DETACH, DELETE)

CREATED = "created"
UPDATED = "updated"
ATTACHED = "attached"
ALREADY_ATTACHED = "already attached"
DETACHED = "detached"
NOT_ATTACHED = "not attached"
DELETED = "deleted"
NOT_FOUND = "not found"  # a delete whose target was already gone
FAILED = "failed"
WOULD_ATTACH = "would attach"
WOULD_DETACH = "would detach"
WOULD_FAIL = "would fail"  # a dry run that read enough to know Twilio would refuse it
NOT_SENT = "not sent"  # Ctrl-C came before its request was sent
MOVED = "moved"  # apply: a sender detached from one service and attached to another
WOULD_MOVE = "would move"  # numbers move --dry-run
# A request that may have been processed and whose check could not tell: never sent again.
UNKNOWN = "unknown"
# A move whose detach was done and whose attach was not (and the sender could not be put
# back): the sender is in no service (msgsvc.jobs.moves).
HALF_DONE = "half done"
STATUS_ORDER = (CREATED, UPDATED, ATTACHED, WOULD_ATTACH, ALREADY_ATTACHED, DETACHED, WOULD_DETACH,
                NOT_ATTACHED, MOVED, WOULD_MOVE, DELETED, NOT_FOUND, FAILED, UNKNOWN, HALF_DONE, NOT_SENT, WOULD_FAIL)
# The statuses after which a job did not do all it was asked (exit 1).
UNDONE = frozenset({FAILED, UNKNOWN, HALF_DONE})
WOULD = {ATTACH: WOULD_ATTACH, DETACH: WOULD_DETACH}

# On a narrow terminal nothing the user typed or an identifier is cut: the MESSAGE, which
# leads with a short reason of msgsvc's own ("no SMS capability (21715)"), is wrapped between
# words and never hidden; the SID gives way first (the INPUT names the sender already), then
# the CODE (the reason repeats it, so hiding it needs no note); INPUT and STATUS always show.
RESULT_COLUMNS = (
    Column("INPUT", "input", fit=KEEP),
    Column("SID", "sid", fit=KEEP, drop=3, spare=True),
    Column("STATUS", "status", fit=KEEP),
    Column("CODE", "code", fit=KEEP, drop=2, spare=True),
    Column("MESSAGE", "message", fit=WRAP, least=36),
)
RESULT_KEYS = tuple(column.key for column in RESULT_COLUMNS)


@dataclass(frozen=True)
class Change:
    """One request that changes something. `resource` is the name of a resource of
    msgsvc/api/resources.py (`service`, `phone-number`, ...); `service` the MG SID it applies to (the service itself for a service
    update or delete; None for a service create); `target` the SID acted on (None for a
    create, or an alpha sender attached by its text); `inputs` the user's values it stands
    for (the first is the one shown); `form` the (wire name, value) pairs as sent, repeated
    keys allowed (a dict or any iterable of pairs is taken); `before`/`after` the snake_case
    fields an update changes."""

    action: str
    resource: str
    service: str | None = None
    target: str | None = None
    inputs: tuple[str, ...] = ()
    form: tuple[tuple[str, str], ...] = ()
    before: dict[str, Any] | None = field(default=None, hash=False)
    after: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        pairs = self.form.items() if isinstance(self.form, dict) else self.form
        object.__setattr__(self, "form", tuple((str(name), str(value)) for name, value in pairs))
        object.__setattr__(self, "inputs", tuple(self.inputs))
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}: one of {', '.join(ACTIONS)}")
        # The registry first: loading every declaring module (all_resources) for a sender's
        # change would import the toll-free rules in the middle of a bulk job.
        if self.resource not in RESOURCES and self.resource not in {r.name for r in all_resources()}:
            raise ValueError(f"unknown resource {self.resource!r}")
        kind = RESOURCES[self.resource]
        if self.action in (UPDATE, DETACH, DELETE) and not self.target:
            raise ValueError(f"a{'n' if self.action == UPDATE else ''} {self.action} needs a target SID")
        if self.action in (ATTACH, DETACH) and not isinstance(kind, SenderKind):
            raise ValueError(f"only a sender is attached or detached, not a {kind.what}")
        if self.action in (CREATE, UPDATE, DELETE) and isinstance(kind, SenderKind):
            raise ValueError(f"a {kind.what} is attached or detached, not {self.action}d")
        wires = kind.wires
        unknown = sorted({name for name, _ in self.form if name not in wires})
        if unknown:
            raise ValueError(f"a {kind.what} has no field {', '.join(unknown)}")
        if kind.parent is not None and not self.service:
            raise ValueError(f"a change of {self.resource} needs the service SID")

    @property
    def kind(self) -> Resource:
        """The resource declaration this change is about."""
        return RESOURCES[self.resource]  # __post_init__ made sure every declaration is loaded

    @property
    def method(self) -> str:
        return "POST" if self.action in (CREATE, UPDATE, ATTACH) else "DELETE"

    @property
    def collection(self) -> str:
        """The path of the list the target belongs to (where a create or attach is sent)."""
        return self.kind.collection_path(self.service if self.kind.parent is not None else None)

    @property
    def path(self) -> str:
        """Where the request goes, under the Messaging API's host."""
        if self.action in (CREATE, ATTACH):
            return self.collection
        return f"{self.collection}/{self.target}"

    @property
    def shown(self) -> str:
        """The input shown for this change in results: the first value the user gave."""
        return self.inputs[0] if self.inputs else (self.target or "")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only (lists for tuples): `json.dumps` takes it as is."""
        return {
            "action": self.action, "resource": self.resource, "service": self.service,
            "target": self.target, "inputs": list(self.inputs),
            "form": [[name, value] for name, value in self.form],
            "before": self.before, "after": self.after,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Change":
        return cls(
            action=data["action"], resource=data["resource"], service=data.get("service"),
            target=data.get("target"), inputs=data.get("inputs") or (), form=data.get("form") or (),
            before=data.get("before"), after=data.get("after"),
        )


@dataclass
class Outcome:
    input: str
    sid: str | None
    status: str
    code: int | None = None
    message: str | None = None

    def record(self) -> dict[str, Any]:
        # Its fields by name: dataclasses.asdict copies each value deeply, 5 us an outcome.
        return {name: getattr(self, name) for name in _OUTCOME_FIELDS}


_OUTCOME_FIELDS = tuple(f.name for f in fields(Outcome))


def failed(raw: str, message: str, *, sid: str | None = None, code: int | None = None) -> Outcome:
    return Outcome(raw, sid, FAILED, code, message)


# Why Twilio refused, in a few words of msgsvc's own, by the error's code: what a result's
# message leads with, so that the reason survives a narrow terminal.
REASONS = {
    21715: "no SMS capability",
    21714: "the service's pool is full",
    21421: "not on this account",
    21610: "unsubscribed recipient",
    20404: "not found",
    20003: "not authorized",
    20429: "too many requests",
}
NOT_ON_ACCOUNT = "not on this account"


def reasoned(reason: str, code: int | None, message: str | None = None) -> str:
    """`no SMS capability (21715): <Twilio's message>`: the short reason first."""
    head = f"{reason} ({code})" if code else reason
    return f"{head}: {message}" if message and message != reason else head


def failure(raw: str, sid: str | None, error: MsgsvcError) -> Outcome:
    """The failed Outcome for an error: an API error's code (or HTTP status) is kept, and
    its message leads with the short reason of that code, when msgsvc knows one."""
    if isinstance(error, ApiError):
        code = error.code or error.status
        reason = REASONS.get(error.code) if error.code else None
        return failed(raw, reasoned(reason, code, error.message) if reason else error.message, sid=sid, code=code)
    return failed(raw, error.message, sid=sid)


def fatal(error: MsgsvcError) -> bool:
    """Errors that would fail every other item too: stop the job instead."""
    return isinstance(error, ApiError) and error.status in (401, 403)


def would(change: Change, request: dict[str, Any] | None = None) -> Outcome:
    """The result a dry run reports for a change it did not send; its message is the request
    (from `dry_run`) when given: `POST https://.../PhoneNumbers PhoneNumberSid=PN...`."""
    message = None
    if request is not None:
        message = " ".join([request["method"], request["url"], *(f"{k}={v}" for k, v in _pairs(request["form"]))])
    return Outcome(change.shown, change.target, WOULD.get(change.action, f"would {change.action}"), None, message)


def as_would(outcome: Outcome) -> Outcome:
    """A dry run's result: what would fail says `would fail`, as what would be sent says `would ...`."""
    if outcome.status == FAILED:
        return Outcome(outcome.input, outcome.sid, WOULD_FAIL, outcome.code, outcome.message)
    return outcome


def requests(n: int) -> str:
    """'1 request', '3 requests'."""
    return counted(n, "request")


def _pairs(form: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(key, item) for key, value in form.items() for item in (value if isinstance(value, list) else [value])]


def summary(outcomes: Sequence[Any]) -> str:
    """'798 attached, 2 failed': the count of each status, in a fixed order. The one summary
    of results: a bulk attach's Outcomes and apply's Results (anything with a `status`)."""
    counts = {status: 0 for status in STATUS_ORDER}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "nothing to do"


def plan_summary(counts: Mapping[str, int]) -> str:
    """'Plan: 1 to create, 0 to update, ...': the count of each action a plan would send."""
    return "Plan: " + ", ".join(f"{n} to {action}" for action, n in counts.items()) + "."


def dry_run(changes: Sequence[Change], base_url: str) -> list[dict[str, Any]]:
    """What a dry run shows: per change, the request it stands for (method, URL, form);
    nothing is sent, and each is logged as not sent."""
    requests = []
    for change in changes:
        url = base_url.rstrip("/") + change.path
        form = form_dict(change.form)
        log.debug("dry run: not sending %s %s%s", change.method, url, f" form={form}" if change.method == "POST" else "")
        requests.append({"method": change.method, "url": url, "form": form})
    return requests
