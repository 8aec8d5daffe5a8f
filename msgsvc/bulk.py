"""Attaching and detaching many senders at once: a bounded thread pool and one result per input.

`run_pool` calls a function for every item on at most N threads and returns the results in
input order. `SenderJob` uses it in two phases:

1. plan: the service's current senders are listed once; each input is resolved (an E.164
   number through the account's IncomingPhoneNumbers, concurrently) and either settled
   without a change (`already attached`, `not attached`, `failed`) or queued as one change;
   two inputs naming the same sender are one change.
2. execute: the queued POSTs or DELETEs run on the pool. A 429 is retried by the client
   (every method, honouring Retry-After) and pauses every thread through its shared
   Throttle, so nothing is lost and nothing is sent twice; a POST is never retried after
   an answer that may have been lost: its outcome is checked with a GET instead.

No typer, no rich, no printing: progress is reported through the callback given.
"""

from __future__ import annotations

import re
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from typing import Any, Callable, Sequence, TypeVar

from msgsvc.errors import ApiError, MsgsvcError, NetworkError, OutcomeUnknownError
from msgsvc.resources import Column
from msgsvc.senders import Ref, SenderKind

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 32

ATTACHED = "attached"
ALREADY_ATTACHED = "already attached"
DETACHED = "detached"
NOT_ATTACHED = "not attached"
FAILED = "failed"
WOULD_ATTACH = "would attach"
WOULD_DETACH = "would detach"
NOT_SENT = "not sent"  # Ctrl-C came before its request was sent
STATUS_ORDER = (ATTACHED, WOULD_ATTACH, ALREADY_ATTACHED, DETACHED, WOULD_DETACH, NOT_ATTACHED, FAILED, NOT_SENT)

# 80104 "PhoneNumber has already been added to Service" (the contract); 21710 "Phone Number
# already in Messaging Service" (Twilio's error dictionary, and the emulator).
ALREADY_IN_SERVICE = frozenset({80104, 21710})
IN_ANOTHER_SERVICE = 21712  # "already associated with another Messaging Service"
# More E.164 numbers than this are resolved by listing the account's numbers once.
LIST_ACCOUNT_ABOVE = 50

# On a narrow terminal the INPUT folds rather than the STATUS: the SID column beside it
# holds the whole SID to copy, and a status folded letter by letter cannot be read.
RESULT_COLUMNS = (
    Column("INPUT", "input"),
    Column("SID", "sid", wrap=False),
    Column("STATUS", "status", wrap=False),
    Column("CODE", "code"),
    Column("MESSAGE", "message"),
)

Progress = Callable[[str, int], AbstractContextManager[Callable[[], None]]]


def no_progress(label: str, total: int) -> AbstractContextManager[Callable[[], None]]:
    return nullcontext(lambda: None)


@dataclass
class Outcome:
    input: str
    sid: str | None
    status: str
    code: int | None = None
    message: str | None = None

    def record(self) -> dict[str, Any]:
        return asdict(self)


class Stopped(Exception):
    """Ctrl-C during run_pool, once the requests in flight have finished: `results` holds
    each item's result in input order, None for the items that were never started."""

    def __init__(self, results: list) -> None:
        super().__init__("interrupted")
        self.results = results


def run_pool(
    items: Sequence[T], work: Callable[[T], R], *, concurrency: int,
    done: Callable[[], None] = lambda: None, stopping: Callable[[int], None] = lambda n: None,
) -> list[R]:
    """`work(item)` for every item on at most `concurrency` threads; results in input order.
    The first exception (a bug, an authentication failure) cancels what has not started and
    is raised. On Ctrl-C, what has not started is cancelled, `stopping(n)` is told how many
    are in flight, those finish (a second Ctrl-C does not abandon them: their outcome would
    be unknown), and Stopped is raised with every result, None for the cancelled.

    The work always runs on worker threads, even one at a time: Ctrl-C reaches only the main
    thread, so a request is never cut off half-sent."""
    if not items:
        return []

    def task(item: T) -> R:
        result = work(item)
        done()
        return result

    pool = ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(items))), thread_name_prefix="msgsvc")
    futures = []
    try:
        futures = [pool.submit(task, item) for item in items]
        wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            if future.done() and future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        stopping(sum(1 for future in futures if future.running()))
        while True:
            try:
                pool.shutdown(wait=True, cancel_futures=True)
                break
            except KeyboardInterrupt:
                continue
        raise Stopped([
            future.result() if future.done() and not future.cancelled() and future.exception() is None else None
            for future in futures
        ] + [None] * (len(items) - len(futures))) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def summary(outcomes: Sequence[Outcome]) -> str:
    """'798 attached, 2 failed': the count of each status, in a fixed order."""
    counts = {status: 0 for status in STATUS_ORDER}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "nothing to do"


def failed(ref: Ref, message: str, *, sid: str | None = None, code: int | None = None) -> Outcome:
    return Outcome(ref.raw, sid, FAILED, code, message)


def _fatal(error: MsgsvcError) -> bool:
    """Errors that would fail every other item too: stop the job instead."""
    return isinstance(error, ApiError) and error.status in (401, 403)


@dataclass
class _Change:
    ref: Ref
    sid: str | None  # None: an alpha sender attached by its text
    duplicates: list[Ref]


class SenderJob:
    """Attach or detach many senders of one kind to or from one service."""

    def __init__(
        self, client: Any, kind: SenderKind, service_sid: str, *, attach: bool,
        country: str | None = None, concurrency: int = DEFAULT_CONCURRENCY,
        progress: Progress = no_progress, note: Callable[[str], None] = lambda text: None,
    ) -> None:
        self.client = client
        self.note = note  # a message for the person (stderr), e.g. while Ctrl-C waits
        self.kind = kind
        self.service_sid = service_sid
        self.attach = attach
        self.country = country
        self.concurrency = max(1, min(concurrency, MAX_CONCURRENCY))
        self.progress = progress
        self.refs: list[Ref] = []
        self.settled: dict[str, Outcome] = {}  # input -> result known without a change
        self.changes: list[_Change] = []
        self.interrupted = False  # Ctrl-C stopped execute(): some outcomes are NOT_SENT

    # --- phase 1 ------------------------------------------------------------------------

    def plan(self, refs: Sequence[Ref]) -> None:
        """List the service's senders once and decide, per input, what (if anything) to send."""
        self.refs = list(refs)
        current = list(self.client.list_senders(self.kind, self.service_sid))
        looked_up = self._look_up([r for r in self.refs if r.e164 and not self._find(current, r)])
        by_key: dict[Any, _Change] = {}
        for ref in self.refs:
            if ref.e164 and ref.raw in looked_up:
                number = looked_up[ref.raw]
                if isinstance(number, MsgsvcError):
                    self.settled[ref.raw] = _failure(ref, None, number)
                    continue
                if number is None:
                    self.settled[ref.raw] = failed(ref, f"{ref.e164} is not a number on this account")
                    continue
                ref = Ref(ref.raw, sid=number["sid"], e164=ref.e164)
            found = self._find(current, ref)
            if isinstance(found, Outcome):
                self.settled[ref.raw] = found
                continue
            if self.attach and found is not None:
                self.settled[ref.raw] = Outcome(ref.raw, found.get("sid"), ALREADY_ATTACHED)
                continue
            if not self.attach and found is None:
                self.settled[ref.raw] = Outcome(ref.raw, ref.sid, NOT_ATTACHED)
                continue
            sid = found.get("sid") if found is not None else ref.sid
            key = sid or (ref.text, self.country or "")
            if key in by_key:
                by_key[key].duplicates.append(ref)
                continue
            by_key[key] = change = _Change(ref, sid, [])
            self.changes.append(change)

    def _find(self, current: list[dict], ref: Ref) -> dict | Outcome | None:
        """The one current sender that `ref` names, None, or a failed Outcome when ambiguous."""
        if self.attach or self.country is not None:
            country = self.country or ""  # attach without --country: the default sender
        else:
            country = None  # detach without --country: any country
        matches = [r for r in current if self.kind.matches(r, ref, country)]
        if len(matches) > 1:
            return failed(ref, self.kind.ambiguity(ref.raw, matches) + "; give --country or the SID")
        return matches[0] if matches else None

    def _look_up(self, refs: list[Ref]) -> dict[str, dict | MsgsvcError | None]:
        """E.164 -> the account's IncomingPhoneNumber (None: not on this account; the error
        when the look-up itself failed), concurrently."""
        if not refs:
            return {}

        def find(ref: Ref) -> dict | MsgsvcError | None:
            try:
                return self.client.find_incoming_number(ref.e164)
            except MsgsvcError as error:
                if _fatal(error) or not isinstance(error, (ApiError, NetworkError)):
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
            for number in self.client.incoming_numbers():
                if number.get("phone_number") in wanted:
                    found[number["phone_number"]] = number
                    if len(found) == len(wanted):
                        break  # no page is fetched once every number was found
        except MsgsvcError as error:
            if _fatal(error) or not isinstance(error, (ApiError, NetworkError)):
                raise
            return None
        return found

    # --- phase 2 ------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """How many changes phase 2 would send."""
        return len(self.changes)

    def execute(self) -> list[Outcome]:
        """Send the changes (record them, in a dry run); one Outcome per input, in input order."""
        if self.client.settings.dry_run:
            done = [self._dry(change) for change in self.changes]
        else:
            verb = "Attaching" if self.attach else "Detaching"
            with self.progress(f"{verb} {self.kind.plural}", len(self.changes)) as advance:
                def stopping(in_flight: int) -> None:
                    if in_flight:
                        self.note(f"msgsvc: stopping: waiting for the {in_flight} request(s) already sent")

                try:
                    done = run_pool(self.changes, self._send, concurrency=self.concurrency, done=advance,
                                    stopping=stopping)
                except Stopped as stopped:
                    self.interrupted = True
                    done = [
                        outcome or Outcome(change.ref.raw, change.sid, NOT_SENT)
                        for change, outcome in zip(self.changes, stopped.results)
                    ]
        results = dict(self.settled)
        for change, outcome in zip(self.changes, done):
            results[change.ref.raw] = outcome
            for ref in change.duplicates:
                results[ref.raw] = Outcome(ref.raw, outcome.sid, outcome.status, outcome.code,
                                           f"same {self.kind.what} as {change.ref.raw}")
        return [results[ref.raw] for ref in self.refs]

    def _dry(self, change: _Change) -> Outcome:
        if self.attach:
            self.client.attach_sender(self.kind, self.service_sid, self._form(change))
            return Outcome(change.ref.raw, change.sid, WOULD_ATTACH)
        self.client.detach_sender(self.kind, self.service_sid, change.sid)
        return Outcome(change.ref.raw, change.sid, WOULD_DETACH)

    def _form(self, change: _Change) -> dict[str, str]:
        return self.kind.attach_form(change.sid or change.ref.text or "", self.country)

    def _send(self, change: _Change) -> Outcome:
        try:
            return self._attach(change) if self.attach else self._detach(change)
        except MsgsvcError as error:
            if _fatal(error):
                raise
            return _failure(change.ref, change.sid, error)

    def _attach(self, change: _Change) -> Outcome:
        ref = change.ref
        try:
            record = self.client.attach_sender(self.kind, self.service_sid, self._form(change))
        except ApiError as error:
            if error.code in ALREADY_IN_SERVICE:
                return Outcome(ref.raw, change.sid, ALREADY_ATTACHED)
            if error.code == IN_ANOTHER_SERVICE:
                other = re.search(r"MG[0-9a-fA-F]{32}", error.message)
                where = f"another Messaging Service, {other.group(0)}" if other else "another Messaging Service"
                return failed(ref, f"belongs to {where}: {error.message}", sid=change.sid, code=error.code)
            raise
        except OutcomeUnknownError as error:
            # The POST may have been processed: look instead of sending it again.
            if change.sid is None:
                raise
            try:
                record = self.client.get_sender(self.kind, self.service_sid, change.sid)
            except MsgsvcError as check:
                if isinstance(check, ApiError) and check.status == 404:
                    return failed(ref, f"{error.message}; it is not in the service: run the command again",
                                  sid=change.sid)
                if _fatal(check):
                    raise
                return failed(ref, f"{error.message}; checking failed too: {check.message}", sid=change.sid)
        sid = record.get("sid") if isinstance(record, dict) else None
        return Outcome(ref.raw, sid or change.sid, ATTACHED)

    def _detach(self, change: _Change) -> Outcome:
        try:
            self.client.detach_sender(self.kind, self.service_sid, change.sid)
        except ApiError as error:
            if error.status == 404:
                return Outcome(change.ref.raw, change.sid, NOT_ATTACHED)
            raise
        return Outcome(change.ref.raw, change.sid, DETACHED)


def _failure(ref: Ref, sid: str | None, error: MsgsvcError) -> Outcome:
    if isinstance(error, ApiError):
        return failed(ref, error.message, sid=sid, code=error.code or error.status)
    return failed(ref, error.message, sid=sid)
