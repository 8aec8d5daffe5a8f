"""A service's delivery failures, which no API reports: the failed and undelivered messages
of some services since a moment, grouped by error code, destination country and sender, with
counts and three sample SIDs each (what Twilio support asks for); and the outbound messages
from the services' numbers sent without the service (From, not MessagingServiceSid: traffic
that skips the service's registration).

The Messages list filters only by To, From and DateSent, so there are two ways to read them:

- one listing per sender of the services, filtered by From and DateSent: at least one
  request per sender, however quiet;
- one account-wide listing filtered by DateSent, keeping the services' messages: one request
  per 1,000 messages of the whole account in the window.

Which is cheaper depends on the account's traffic, which nothing tells in advance. So the
first page of the account-wide listing is read (newest first, 1,000 messages): if it reaches
back past the start of the window, it holds everything and the read is over (one request).
Otherwise the time it covers gives the rate, hence the pages the whole window would take; if
that is more than the number of senders, the per-sender listings are read instead (each
stopping at the start of the window, concurrently on a bounded pool); if not, the account-wide
listing goes on. Every listing stops at the start of the window (the list is newest first),
and all of them together read at most MAX_PAGES pages.

No typer, no rich, no printing.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterable, Sequence

from msgsvc.api.messages import FAILURES, country_of, list_messages
from msgsvc.errors import ResponseError

PAGE = 1000  # messages a page
MAX_PAGES = 500  # pages of all listings together: 500,000 messages
SAMPLES = 3
PER_SENDER = "per-sender"
ACCOUNT_WIDE = "account-wide"


@dataclass
class Group:
    service: str
    error_code: Any
    country: str
    sender: str
    count: int = 0
    samples: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {"service": self.service, "error_code": self.error_code, "country": self.country, "from": self.sender,
                "count": self.count, "samples": ",".join(self.samples)}


@dataclass
class Report:
    failures: list[Group]
    without_service: list[Group]  # error_code None: sent from a service's number without it
    strategy: str
    requests: int  # message pages read
    messages: int  # messages read in the window
    senders: int


class _Budget:
    """Pages read by every listing together, at most MAX_PAGES (thread-safe)."""

    def __init__(self) -> None:
        self.pages = 0
        self.lock = threading.Lock()

    def take(self) -> None:
        with self.lock:
            self.pages += 1
            if self.pages > MAX_PAGES:
                raise ResponseError(
                    f"stopped after reading {MAX_PAGES:,} pages of messages ({MAX_PAGES * PAGE:,} messages) "
                    "without reaching the start of the window",
                    hint="give a shorter --since",
                )


def _moment(message: dict) -> float | None:
    text = message.get("date_sent")
    if not text:
        return None
    try:
        return parsedate_to_datetime(str(text)).timestamp()
    except (TypeError, ValueError):
        return None


def _day(moment: float) -> str:
    import time

    return time.strftime("%Y-%m-%d", time.gmtime(moment))


class _Counted:
    """The client, each request counted against the budget before it is sent."""

    def __init__(self, client: Any, budget: _Budget) -> None:
        self._client = client
        self._budget = budget

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self._budget.take()
        return self._client.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _within(messages: Iterable[dict], since: float) -> Iterable[dict]:
    """The messages sent since `since`, from a listing newest first: it stops at the first older one."""
    for message in messages:
        moment = _moment(message)
        if moment is None:
            continue  # not sent (failed before it left): counted, but it does not end the window
        if moment < since:
            return
        yield message


class _Counter:
    """Messages counted into groups (thread-safe)."""

    def __init__(self, services: dict[str, set[str]]) -> None:
        self.services = services  # service SID -> its senders' addresses
        self.owner = {address: sid for sid, addresses in services.items() for address in addresses}
        self.failures: dict[tuple, Group] = {}
        self.without: dict[tuple, Group] = {}
        self.read = 0
        self.lock = threading.Lock()

    def add(self, message: dict) -> None:
        service, sender = message.get("messaging_service_sid"), message.get("from")
        with self.lock:
            self.read += 1
            if service in self.services and message.get("status") in FAILURES:
                key = (service, message.get("error_code"), country_of(message.get("to")), sender)
                self._count(self.failures, key, message)
            owner = self.owner.get(sender)
            if owner is not None and service != owner and str(message.get("direction", "")).startswith("outbound"):
                self._count(self.without, (owner, None, country_of(message.get("to")), sender), message)

    @staticmethod
    def _count(groups: dict[tuple, Group], key: tuple, message: dict) -> None:
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(*key)
        group.count += 1
        if len(group.samples) < SAMPLES:
            group.samples.append(str(message.get("sid")))

    def groups(self, which: dict[tuple, Group]) -> list[Group]:
        return sorted(which.values(), key=lambda g: (g.service, -g.count, str(g.error_code), g.country, g.sender or ""))


def collect(
    client: Any, services: dict[str, set[str]], *, since: float, now: float, concurrency: int,
    progress: Callable[[str, int], Any] | None = None,
) -> Report:
    """The failures of `services` (SID -> its senders' addresses) sent since `since`; see
    the module docstring for how the messages are read."""
    from msgsvc.jobs.pool import bounded, no_progress, run_pool

    progress = progress or no_progress
    senders = sorted({address for addresses in services.values() for address in addresses})
    counter = _Counter(services)
    budget = _Budget()
    counted = _Counted(client, budget)
    params = {"DateSent>": _day(since)}
    account = iter(list_messages(counted, params))
    first: list[dict] = []
    following: dict | None = None  # the first message of the second page, when there is one
    for message in account:
        if budget.pages > 1:
            following = message
            break
        first.append(message)
    in_window = list(_within(first, since))
    reaches_start = len(in_window) < sum(1 for m in first if _moment(m) is not None)
    per_sender = False
    if following is not None and not reaches_start:
        dated = [m for m in (_moment(m) for m in first) if m is not None]
        covered = max(now - min(dated), 1.0) if dated else 1.0
        pages_needed = math.ceil((now - since) / covered)  # at the first page's rate
        per_sender = pages_needed - 1 > len(senders)
    if not per_sender:
        for message in _undated(first) + in_window:
            counter.add(message)
        if following is not None and not reaches_start:
            for message in _within(_chain(following, account), since):
                counter.add(message)
        return Report(counter.groups(counter.failures), counter.groups(counter.without), ACCOUNT_WIDE,
                      budget.pages, counter.read, len(senders))

    def read(sender: str) -> None:
        listing = list_messages(counted, {"From": sender, **params})
        for message in _within(listing, since):
            counter.add(message)

    with progress("Reading the senders' messages", len(senders)) as advance:
        run_pool(senders, read, concurrency=bounded(concurrency), done=advance)
    return Report(counter.groups(counter.failures), counter.groups(counter.without), PER_SENDER,
                  budget.pages, counter.read, len(senders))


def _undated(messages: Sequence[dict]) -> list[dict]:
    return [m for m in messages if _moment(m) is None]


def _chain(head: dict, rest: Iterable[dict]) -> Iterable[dict]:
    yield head
    yield from rest


def service_senders(client: Any, service_sid: str) -> set[str]:
    """What the service's messages say in `from`: its phone numbers (E.164), short codes and
    alpha senders (one listing of each)."""
    from msgsvc.api.senders import ALPHA_SENDERS, NUMBERS, SHORT_CODES

    found: set[str] = set()
    for kind in (NUMBERS, SHORT_CODES, ALPHA_SENDERS):
        found.update(str(r.get(kind.value_key)) for r in client.list_senders(kind, service_sid) if r.get(kind.value_key))
    return found
