"""Plans as data: what would change on Twilio, decided before anything is sent.

A `Change` is one request to make (create, update, attach, detach or delete), serialisable
through `to_dict()`; its `method` and `path` follow from it. A planner decides the changes
for what the user asked and settles, without a change, the values that need none;
`msgsvc.jobs.executor.Executor` sends a list of changes; a dry run prints them instead.

`plan_senders` plans a bulk attach or detach: the service's current senders are listed
once; each input is resolved (an E.164 number through the account's IncomingPhoneNumbers,
concurrently) and either settled (`already attached`, `not attached`, `failed`) or made
one change; two inputs naming the same sender are one change.

No typer, no rich, no printing: progress is reported through the callback given.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from msgsvc.errors import ApiError, MsgsvcError, NetworkError
from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, Stopped, bounded, no_progress, run_pool
from msgsvc.api.resources import KEEP, RESOURCES, TRUNCATE, Column, Resource, all_resources, form_dict
from msgsvc.api.senders import Ref, SenderKind

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
NOT_SENT = "not sent"  # Ctrl-C came before its request was sent
STATUS_ORDER = (CREATED, UPDATED, ATTACHED, WOULD_ATTACH, ALREADY_ATTACHED, DETACHED, WOULD_DETACH,
                NOT_ATTACHED, DELETED, NOT_FOUND, FAILED, NOT_SENT)
WOULD = {ATTACH: WOULD_ATTACH, DETACH: WOULD_DETACH}

# More E.164 numbers than this are resolved by listing the account's numbers once.
LIST_ACCOUNT_ABOVE = 50

# On a narrow terminal nothing the user typed or an identifier is cut: the MESSAGE is cut
# with an ellipsis (--json has it whole); the CODE is hidden first, then the SID (the INPUT
# names the sender already), then the MESSAGE; the INPUT and the STATUS are always shown.
RESULT_COLUMNS = (
    Column("INPUT", "input", fit=KEEP),
    Column("SID", "sid", fit=KEEP, drop=2),
    Column("STATUS", "status", fit=KEEP),
    Column("CODE", "code", fit=KEEP, drop=3),
    # Why a value failed is read before its SID is copied: on a narrow terminal the SID
    # gives way before the message is cut below 40 cells.
    Column("MESSAGE", "message", fit=TRUNCATE, drop=1, least=40),
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
        if self.resource not in {r.name for r in all_resources()}:
            raise ValueError(f"unknown resource {self.resource!r}")
        if self.action in (UPDATE, DETACH, DELETE) and not self.target:
            raise ValueError(f"a{'n' if self.action == UPDATE else ''} {self.action} needs a target SID")
        if self.action in (ATTACH, DETACH) and not isinstance(self.kind, SenderKind):
            raise ValueError(f"only a sender is attached or detached, not a {self.kind.what}")
        if self.action in (CREATE, UPDATE, DELETE) and isinstance(self.kind, SenderKind):
            raise ValueError(f"a {self.kind.what} is attached or detached, not {self.action}d")
        unknown = sorted({name for name, _ in self.form} - {field.wire for field in self.kind.fields})
        if unknown:
            raise ValueError(f"a {self.kind.what} has no field {', '.join(unknown)}")
        if self.kind.parent is not None and not self.service:
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
        return asdict(self)


def failed(raw: str, message: str, *, sid: str | None = None, code: int | None = None) -> Outcome:
    return Outcome(raw, sid, FAILED, code, message)


def failure(raw: str, sid: str | None, error: MsgsvcError) -> Outcome:
    """The failed Outcome for an error: an API error's code (or HTTP status) is kept."""
    if isinstance(error, ApiError):
        return failed(raw, error.message, sid=sid, code=error.code or error.status)
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


def _pairs(form: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(key, item) for key, value in form.items() for item in (value if isinstance(value, list) else [value])]


def summary(outcomes: Sequence[Outcome]) -> str:
    """'798 attached, 2 failed': the count of each status, in a fixed order."""
    counts = {status: 0 for status in STATUS_ORDER}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "nothing to do"


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


# --- planning a bulk attach or detach ------------------------------------------------------


@dataclass
class SenderPlan:
    """The changes of a bulk attach or detach, and the inputs settled without one."""

    inputs: tuple[str, ...]  # every distinct input, in the order given
    changes: list[Change]
    settled: dict[str, Outcome]  # input -> its result, known without a change

    def results(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """One Outcome per input, in input order, from one Outcome per change (same order)."""
        if len(outcomes) != len(self.changes):
            raise ValueError(f"{len(outcomes)} outcomes for {len(self.changes)} changes")
        results = dict(self.settled)
        for change, outcome in zip(self.changes, outcomes):
            first, *others = change.inputs
            results[first] = outcome
            what = change.kind.what
            for raw in others:
                results[raw] = Outcome(raw, outcome.sid, outcome.status, outcome.code, f"same {what} as {first}")
        return [results[raw] for raw in self.inputs]


def plan_senders(
    client: Any, kind: SenderKind, service_sid: str, refs: Sequence[Ref], *, attach: bool,
    country: str | None = None, concurrency: int = DEFAULT_CONCURRENCY, progress: Progress = no_progress,
) -> SenderPlan:
    """List the service's senders once and decide, per input, what (if anything) to send."""
    return _SenderPlanner(client, kind, attach, country, bounded(concurrency), progress).plan(service_sid, refs)


@dataclass
class _SenderPlanner:
    client: Any
    kind: SenderKind
    attach: bool
    country: str | None
    concurrency: int
    progress: Progress

    def plan(self, service_sid: str, refs: Sequence[Ref]) -> SenderPlan:
        refs = list(refs)
        current = list(self.client.list_senders(self.kind, service_sid))
        looked_up = self._look_up([r for r in refs if r.e164 and not self._find(current, r)])
        settled: dict[str, Outcome] = {}
        planned: dict[Any, tuple[Ref, str | None, list[str]]] = {}  # key -> ref, sid, inputs
        for ref in refs:
            if ref.e164 and ref.raw in looked_up:
                number = looked_up[ref.raw]
                if isinstance(number, MsgsvcError):
                    settled[ref.raw] = failure(ref.raw, None, number)
                    continue
                if number is None:
                    settled[ref.raw] = failed(ref.raw, self.kind.not_on_account(ref.e164))
                    continue
                ref = Ref(ref.raw, sid=number["sid"], e164=ref.e164)
            found = self._find(current, ref)
            if isinstance(found, Outcome):
                settled[ref.raw] = found
                continue
            if self.attach and found is not None:
                settled[ref.raw] = Outcome(ref.raw, found.get("sid"), ALREADY_ATTACHED)
                continue
            if not self.attach and found is None:
                settled[ref.raw] = Outcome(ref.raw, ref.sid, NOT_ATTACHED)
                continue
            sid = found.get("sid") if found is not None else ref.sid
            key = sid or (ref.text, self.country or "")
            if key in planned:
                planned[key][2].append(ref.raw)
            else:
                planned[key] = (ref, sid, [ref.raw])
        changes = [self._change(service_sid, ref, sid, inputs) for ref, sid, inputs in planned.values()]
        return SenderPlan(tuple(ref.raw for ref in refs), changes, settled)

    def _change(self, service_sid: str, ref: Ref, sid: str | None, inputs: list[str]) -> Change:
        form = self.kind.attach_form(sid or ref.text or "", self.country) if self.attach else ()
        return Change(ATTACH if self.attach else DETACH, self.kind.name, service_sid, sid, inputs, form)

    def _find(self, current: list[dict], ref: Ref) -> dict | Outcome | None:
        """The one current sender that `ref` names, None, or a failed Outcome when ambiguous."""
        if self.attach or self.country is not None:
            country = self.country or ""  # attach without --country: the default sender
        else:
            country = None  # detach without --country: any country
        matches = [r for r in current if self.kind.matches(r, ref, country)]
        if len(matches) > 1:
            return failed(ref.raw, self.kind.ambiguity(ref.raw, matches) + "; give --country or the SID")
        return matches[0] if matches else None

    def _look_up(self, refs: list[Ref]) -> dict[str, dict | MsgsvcError | None]:
        """E.164 -> the account's IncomingPhoneNumber (None: not on this account; the error
        when the look-up itself failed), concurrently."""
        if not refs:
            return {}

        def find(ref: Ref) -> dict | MsgsvcError | None:
            try:
                return self.client.find_account_sender(self.kind, ref.e164)
            except MsgsvcError as error:
                if fatal(error) or not isinstance(error, (ApiError, NetworkError)):
                    raise
                error.message = f"looking up {ref.e164} failed: {error.message}"
                return error

        # One request per distinct number, however many spellings of it were given; for many
        # numbers, one listing of the account (1,000 a page) instead of a request each.
        unique = list({ref.e164: ref for ref in refs}.values())
        by_e164 = self._account_numbers(unique) if len(unique) > LIST_ACCOUNT_ABOVE else None
        if by_e164 is None:
            with self.progress("Looking up numbers", len(unique)) as advance:
                try:
                    numbers = run_pool(unique, find, concurrency=self.concurrency, done=advance)
                except Stopped:  # only look-ups ran: nothing changed, a plain interruption
                    raise KeyboardInterrupt from None
            by_e164 = {ref.e164: number for ref, number in zip(unique, numbers)}
        return {ref.raw: by_e164.get(ref.e164) for ref in refs}

    def _account_numbers(self, refs: list[Ref]) -> dict[str, dict] | None:
        """The account's numbers that `refs` name, from one listing; None when the listing
        failed in a way a look-up per number might not (then those run instead)."""
        wanted = {ref.e164 for ref in refs}
        found: dict[str, dict] = {}
        try:
            field = self.kind.account_list[3] if self.kind.account_list else "phone_number"
            for number in self.client.account_senders(self.kind):
                if number.get(field) in wanted:
                    found[number[field]] = number
                    if len(found) == len(wanted):
                        break  # no page is fetched once every number was found
        except MsgsvcError as error:
            if fatal(error) or not isinstance(error, (ApiError, NetworkError)):
                raise
            return None
        return found
