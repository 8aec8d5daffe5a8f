"""Sending a list of changes (msgsvc.jobs.changes.Change): one Outcome per change, in order.

The changes run on a bounded thread pool (msgsvc.jobs.pool). A 429 is retried by the client
(every method, honouring Retry-After) and pauses every thread through its shared Throttle,
so nothing is lost and nothing is sent twice; a POST is never retried after an answer that
may have been lost, or was answered 500/502/504 or with a body that is not the object (a
gateway's HTML page): its outcome is checked with a GET instead. A 401 or 403 would fail
every other change too: it stops the job (one that refuses a check leaves that change
`unknown`), the changes not sent yet are `not sent`, and the error is kept in
`Executor.stopped_by` for the caller to raise once the results are shown.
Ctrl-C (or SIGTERM) lets the requests in flight finish, marks the rest `not sent`
(`Executor.interrupted`), and cuts short the requests waiting out a 429: Twilio processed
none of them, so they are `not sent` too.

No typer, no rich, no printing: progress and notes are reported through the callbacks given.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Callable, Iterable, Sequence

from msgsvc.errors import ApiError, MsgsvcError, NetworkError, OutcomeUnknownError, ResponseError
from msgsvc.api.retry import Cancelled
from msgsvc.jobs.changes import (
    ALREADY_ATTACHED, ATTACH, ATTACHED, CREATE, CREATED, DELETE, DELETED, DETACH, DETACHED,
    NOT_ATTACHED, NOT_FOUND, NOT_SENT, UNKNOWN, UPDATE, UPDATED, Change, Outcome, failed, failure, fatal, reasoned,
    requests,
)
from msgsvc.api.resources import RESOURCES, form_dict
from msgsvc.api.validate import as_text
from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, Stopped, bounded, no_progress, run_pool

# 80104 "PhoneNumber has already been added to Service" (the contract); 21710 "Phone Number
# already in Messaging Service" (Twilio's error dictionary, and the emulator). Told apart by
# their code alone: published answers carry them with HTTP 409, older ones with 400.
ALREADY_IN_SERVICE = frozenset({80104, 21710})
IN_ANOTHER_SERVICE = 21712  # "already associated with another Messaging Service" (409 or 400)
# Twilio refuses the 401st phone number or short code of a service with 21714 "Number Pool
# size limit reached" (HTTP 412). Once one attach to a service is refused so, no further
# attach is sent to it: the rest are NOT_SENT with POOL_FULL_MESSAGE, not hundreds of
# identical failures.
POOL_FULL = 21714
POOL_FULL_MESSAGE = "the service's pool is full (21714)"


def in_service(where: str, message: str | None = None) -> str:
    """A 21712's message: `in service Marketing (21712): <Twilio's message>`."""
    return reasoned(f"in {where}", IN_ANOTHER_SERVICE, message)

# A request answered so may have been processed behind a gateway (503 included: a POST Twilio
# processed may still be answered so): checked, never sent again.
GATEWAY_FAILURES = frozenset({500, 502, 503, 504})
# A service created since the request started has a date_created at most this much before it
# by the client's clock (the server's clock may be behind).
CLOCK_SKEW = 300.0

DONE = {CREATE: CREATED, UPDATE: UPDATED, ATTACH: ATTACHED, DETACH: DETACHED, DELETE: DELETED}
GONE = {DETACH: NOT_ATTACHED, DELETE: NOT_FOUND}  # a 404 to a DELETE: already as asked
VERBS = {CREATE: "Creating", UPDATE: "Updating", ATTACH: "Attaching", DETACH: "Detaching", DELETE: "Deleting"}


def send(client: Any, change: Change) -> dict | None:
    """One change's request, as is: the object answered (None for a DELETE). Errors are
    raised as the client raises them; nothing is checked or retried here."""
    if change.method == "DELETE":
        client.request("DELETE", change.path)
        return None
    return client.fetch_object(change.method, change.path, data=list(change.form))


def send_checked(client: Any, change: Change, *, existing: Iterable[str] = ()) -> dict | None:
    """One create sent alone (a command's own, not a job's): the object answered; when the
    answer was lost, was a 5xx or was not the object, what the create made is looked for as a job's is (never
    sent again): the object found, or the OutcomeUnknownError saying what the check found.
    `existing`: SIDs read before the request (services already named so, when a duplicate
    name was allowed), which the create did not make."""
    started = time.time()
    try:
        return send(client, change)
    except ApiError as error:
        if change.action != CREATE or error.status not in GATEWAY_FAILURES:
            raise
        lost = OutcomeUnknownError(f"{change.method} {error.url or change.path} answered HTTP {error.status} "
                                   f"({error.message}): it may or may not have taken effect")
    except OutcomeUnknownError as error:
        if change.action != CREATE:
            raise
        lost = error
    except ResponseError as error:  # a 2xx whose body is not the object: made, or not? (as a job's)
        if change.action != CREATE:
            raise
        lost = OutcomeUnknownError(f"{error.message}; it may or may not have taken effect")
    try:
        found = Executor(client, concurrency=1)._created(change, started, frozenset(existing))
    except MsgsvcError as check:
        if fatal(check):  # refused credentials: exit 4, as every 401 is, and still unknown
            unknown_error = OutcomeUnknownError(f"{lost.message}; checking failed too: {check}")
            unknown_error.exit_code = check.exit_code
            raise unknown_error from None
        raise OutcomeUnknownError(f"{lost.message}; checking failed too: {check.message}") from None
    if found is not None and len(found) == 1:
        return found[0]
    if found == []:  # a known outcome: not made, so sending it again is safe (exit 1, not unknown)
        raise MsgsvcError(f"{lost.message}; checked: it was not made",
                          hint="nothing was created: the same command may be run again") from None
    raise lost


class Executor:
    """Send any list of changes on at most `concurrency` threads."""

    def __init__(
        self, client: Any, *, concurrency: int = DEFAULT_CONCURRENCY, progress: Progress = no_progress,
        note: Callable[[str], None] = lambda text: None,
    ) -> None:
        self.client = client
        self.concurrency = bounded(concurrency)
        self.progress = progress
        self.note = note  # a message for the person (stderr), e.g. while Ctrl-C waits
        self.interrupted = False  # Ctrl-C stopped run(): some outcomes are NOT_SENT
        self.stopped_by: MsgsvcError | None = None  # a 401/403: nothing more is sent
        self.full_pools: set[str] = set()  # services that refused an attach with 21714
        self._names: dict[str, str] = {}  # MG SID -> "Name (MG...)", for 21712
        self._lock = threading.Lock()

    def run(self, changes: Sequence[Change]) -> list[Outcome]:
        """One Outcome per change, in the same order."""
        changes = list(changes)
        self.stopped_by = None
        if not changes:
            return []
        throttle = getattr(self.client, "throttle", None)
        if throttle is not None:
            throttle.cancellable()

        def stopping(in_flight: int) -> None:
            if throttle is not None:  # what waits out a 429 was not processed: not sent
                throttle.cancel()
            if in_flight:
                self.note(f"stopping: waiting for the {requests(in_flight)} already sent")

        with self.progress(_label(changes), len(changes)) as advance:
            try:
                return run_pool(changes, self._run_one, concurrency=self.concurrency, done=advance,
                                stopping=stopping)
            except Stopped as stopped:
                self.interrupted = True
                return [outcome or Outcome(change.shown, change.target, NOT_SENT)
                        for change, outcome in zip(changes, stopped.results)]

    def _run_one(self, change: Change) -> Outcome:
        if self.stopped_by is not None:  # a 401/403 stopped the job: this one is never sent
            return Outcome(change.shown, change.target, NOT_SENT)
        if change.action == ATTACH and change.service in self.full_pools:
            return Outcome(change.shown, change.target, NOT_SENT, POOL_FULL, POOL_FULL_MESSAGE)
        try:
            return self._send(change)
        except Cancelled:
            return Outcome(change.shown, change.target, NOT_SENT)
        except MsgsvcError as error:
            if fatal(error):
                self.stopped_by = error
            return failure(change.shown, change.target, error)

    def _send(self, change: Change) -> Outcome:
        started = time.time()
        try:
            record = send(self.client, change)
        except ApiError as error:
            if error.status in GATEWAY_FAILURES:
                return self._checked(change, OutcomeUnknownError(
                    f"{change.method} {error.url or change.path} answered HTTP {error.status} ({error.message}): "
                    "it may or may not have taken effect"), started)
            if change.method == "DELETE" and error.status == 404:
                if error.retried_after is not None:  # gone on its retry: the attempt before did it
                    return Outcome(change.shown, change.target, DONE[change.action], None,
                                   f"retried after {error.retried_after}: it is gone (an earlier attempt was done)")
                return Outcome(change.shown, change.target, GONE[change.action])
            if change.action == ATTACH and error.code == POOL_FULL and change.service is not None:
                self.full_pools.add(change.service)
            if change.action == ATTACH and error.code in ALREADY_IN_SERVICE:
                return Outcome(change.shown, change.target, ALREADY_ATTACHED)
            if change.action == ATTACH and error.code == IN_ANOTHER_SERVICE:
                other = re.search(r"MG[0-9a-fA-F]{32}", error.message)
                where = self._service_name(other.group(0)) if other else "another service"
                return failed(change.shown, in_service(where, error.message), sid=change.target, code=error.code)
            if change.method == "DELETE":
                if fatal(error):  # the job stops (as _run_one stops it), whatever the look finds
                    self.stopped_by = error
                return self._refused_delete(change, error)
            raise
        except OutcomeUnknownError as error:
            return self._checked(change, error, started)
        except NetworkError as error:  # a DELETE's answer lost (after the client's retries)
            if change.method != "DELETE" or not isinstance(error, NetworkError) or "lost" not in error.message:
                raise
            return self._checked(change, OutcomeUnknownError(f"{error.message}: it may or may not have taken effect"),
                                 started)
        except ResponseError as error:  # a 2xx whose body is not the object: done, or not?
            if change.method != "POST":
                raise
            return self._checked(change, OutcomeUnknownError(f"{error.message}; it may or may not have taken effect"),
                                 started)
        return self._done(change, record)

    def _done(self, change: Change, record: Any) -> Outcome:
        sid = record.get("sid") if isinstance(record, dict) else None
        return Outcome(change.shown, sid or change.target, DONE[change.action])

    def _service_name(self, sid: str) -> str:
        """`service Marketing` for the service a 21712 names, found with one request (once
        per service per job); `service MG...` when that fails."""
        with self._lock:
            known = self._names.get(sid)
        if known is None:
            try:
                name = self.client.fetch_object("GET", f"/v1/Services/{sid}").get("friendly_name")
            except (MsgsvcError, Cancelled):  # the name only helps: the 21712 answer is the result
                name = None
            known = f"service {name}" if isinstance(name, str) and name else f"service {sid}"
            with self._lock:
                self._names[sid] = known
        return known

    def _checked(self, change: Change, error: OutcomeUnknownError, started: float) -> Outcome:
        if change.method == "DELETE":
            return self._check_delete(change, error)
        if change.target is None:
            return self._check_create(change, error, started)
        record = self._check(change, error)
        return record if isinstance(record, Outcome) else self._done(change, record)

    def _check_delete(self, change: Change, error: OutcomeUnknownError) -> Outcome:
        """A DELETE whose answer was lost: its target's absence means it was done."""
        try:
            self.client.fetch_object("GET", change.path)
        except Cancelled:
            return unknown(change, f"{error.message}; not checked (interrupted): look before running again")
        except MsgsvcError as check:
            if isinstance(check, ApiError) and check.status == 404:
                return Outcome(change.shown, change.target, DONE[change.action], None,
                               "the answer was lost; checked: it is gone")
            if fatal(check):
                return self._check_refused(change, error.message, check)
            return unknown(change, f"{error.message}; checking failed too: {check.message}")
        return failed(change.shown, f"{error.message}; checked: it is still there: run the command again",
                      sid=change.target)

    def _refused_delete(self, change: Change, error: ApiError) -> Outcome:
        return refused_delete(self.client, change, error, stop=self._stop)

    def _stop(self, error: MsgsvcError) -> None:
        """A 401/403: nothing more is sent (the changes not sent yet are `not sent`)."""
        self.stopped_by = error

    def _check_refused(self, change: Change, message: str, check: MsgsvcError) -> Outcome:
        """The check of a change that may have been made was refused (401/403): the job
        stops, as every 401 stops it, and the change is unknown, never failed (which would
        say that sending it again is safe)."""
        self._stop(check)
        return unknown(change, f"{message}; checking failed too: {check}; look before running again")

    def _check_create(self, change: Change, error: OutcomeUnknownError, started: float) -> Outcome:
        """A create (or an alpha sender attached by its text) whose answer was lost is never
        sent again: what it made is looked for. Found once: adopted, as done; not found:
        failed; more than one, or the look failed: unknown."""
        try:
            found = self._created(change, started)
        except Cancelled:
            return unknown(change, f"{error.message}; not checked (interrupted): look before running again")
        except MsgsvcError as check:
            if fatal(check):
                return self._check_refused(change, error.message, check)
            return unknown(change, f"{error.message}; checking failed too: {check.message}")
        if found is None:
            return unknown(change, f"{error.message}; it cannot be checked: look before running again")
        if len(found) == 1:
            outcome = self._done(change, found[0])
            outcome.message = "the answer was lost; checked: it was made"
            return outcome
        if not found:
            return failed(change.shown, f"{error.message}; checked: it was not made: run the command again")
        listing = ", ".join(str(r.get("sid")) for r in found)
        return unknown(change, f"{error.message}; {len(found)} match it ({listing}): look before running again")

    def _created(self, change: Change, started: float, existing: frozenset[str] = frozenset()) -> list[dict] | None:
        """What a create may have made: for a service, the services with its friendly name (as
        the service finder compares names) created since the request started, less those in
        `existing` (read before it); for an alpha sender, the service's senders with its text
        (and country). None when there is no way to look."""
        form = form_dict(change.form)
        if change.resource == "service":
            from msgsvc.jobs.resolve import Services

            named = Services(self.client.list_services()).named(str(form.get("FriendlyName")))
            return [r for r in named if r.get("sid") not in existing and _since(r.get("date_created"), started)]
        if change.resource == "campaign":  # a service has one campaign at most: the one it has now
            campaign = self.client.find_campaign(change.service)
            return [campaign] if campaign is not None else []
        kind = change.kind
        if change.action == ATTACH and getattr(kind, "by_text", False):
            from msgsvc.api.senders import Ref

            text = form.get(kind.form_field)
            country = form.get("IsoCountryCode") or ("" if getattr(kind, "country", False) else None)
            return [r for r in self.client.list_senders(kind, change.service)
                    if kind.matches(r, Ref(str(text), text=str(text)), country)]
        return None

    def _check(self, change: Change, error: OutcomeUnknownError) -> dict | Outcome:
        """A POST whose answer was lost is never sent again: look whether it took effect.
        The object when it did; a failed Outcome when it did not; unknown when the look
        could not tell."""
        url = change.path if change.action == UPDATE else f"{change.collection}/{change.target}"
        try:
            record = self.client.fetch_object("GET", url)
        except Cancelled:  # Ctrl-C while the look waited: the POST was sent, so never 'not sent'
            return unknown(change, f"{error.message}; not checked (interrupted): look before running again")
        except MsgsvcError as check:
            if isinstance(check, ApiError) and check.status == 404:
                where = "in the service" if change.action == ATTACH else "there"
                return failed(change.shown, f"{error.message}; it is not {where}: run the command again",
                              sid=change.target)
            if fatal(check):
                return self._check_refused(change, error.message, check)
            return unknown(change, f"{error.message}; checking failed too: {check.message}")
        if change.action == UPDATE:
            differ = sorted(key for key, value in _expected(change).items() if _text(record.get(key)) != _text(value))
            if differ:
                return failed(change.shown, f"{error.message}; {', '.join(differ)} not as asked: run the command again",
                              sid=change.target)
        return record


def refused_delete(client: Any, change: Change, error: ApiError, *,
                   stop: Callable[[MsgsvcError], None] | None = None) -> Outcome:
    """A DELETE is retried after a 5xx or a lost answer (msgsvc.api.retry), so the refusal
    that ended it (a 429 past the retries, a 400, a 401) may follow an attempt that was done:
    its target's absence means it was (done, the refusal in the message); present, the
    refusal is the result (failed). When the look fails too: failed if no attempt before may
    have been done (error.retried_after), else unknown, never sent again. A 401/403 of the
    look itself is raised; or, given `stop` (a job's), handed to it, and the outcome is as
    for a look that failed."""
    maybe = f"{error.message}, after an attempt answered {error.retried_after} that may have been done"
    try:
        client.fetch_object("GET", change.path)
    except Cancelled:
        if error.retried_after is not None:
            return unknown(change, f"{maybe}; not checked (interrupted): look before running again")
        return failure(change.shown, change.target, error)
    except MsgsvcError as check:
        if isinstance(check, ApiError) and check.status == 404:
            return Outcome(change.shown, change.target, DONE[change.action], None,
                           f"{error.message}; checked: it is gone (an earlier attempt was done)")
        if fatal(check):
            if stop is None:
                raise
            stop(check)
            if error.retried_after is not None:
                return unknown(change, f"{maybe}; checking failed too: {check}; look before running again")
            return failure(change.shown, change.target, error)
        if error.retried_after is not None:
            return unknown(change, f"{maybe}; checking failed too: {check.message}")
    return failure(change.shown, change.target, error)


def unknown(change: Change, message: str) -> Outcome:
    """A change that may have been made and whose check could not tell: never sent again."""
    return Outcome(change.shown, change.target, UNKNOWN, None, message)


def _since(date: Any, started: float) -> bool:
    """Whether an ISO 8601 date_created is no earlier than `started` (less CLOCK_SKEW)."""
    from datetime import datetime

    try:
        when = datetime.fromisoformat(str(date).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return True  # no date to go by: the name alone (the plan saw no service with it)
    return when >= int(started) - CLOCK_SKEW


def _expected(change: Change) -> dict[str, Any]:
    """The snake_case fields an update sets: its `after`, or else its form."""
    if change.after is not None:
        return change.after
    keys = {field.wire: field.key for field in change.kind.fields}
    fields = {field.wire: field for field in change.kind.fields}
    # A list-valued field's values all count, as a list: the form repeats its name.
    return {keys[name]: (value if isinstance(value, list) or not fields[name].many else [value])
            for name, value in form_dict(change.form).items() if name in keys}


def _text(value: Any) -> str:
    """A field as the form writes it: true/false, numbers in decimal, null empty."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(_text(item) for item in value)
    return as_text(value)


def _label(changes: list[Change]) -> str:
    """'Attaching phone numbers' for changes of one kind; 'Applying changes' for a mix."""
    kinds = {(change.action, change.resource) for change in changes}
    if len(kinds) != 1:
        return "Applying changes"
    action, resource = kinds.pop()
    return f"{VERBS[action]} {RESOURCES[resource].plural}"
