"""Reading the account for doctor: what the checks need, and nothing else, concurrently.

One account-wide listing per resource (services, brands, and when some service needs them:
toll-free verifications, IncomingPhoneNumbers, v2 channel senders per channel; with --since
the Monitor alerts), and per service its phone numbers, short codes, alpha senders and
channel senders, then its campaign when it has US long codes. Every request goes through
jobs.pool (at most `concurrency` at once); nothing is written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from msgsvc.api import channels, tollfree
from msgsvc.jobs.doctor import destination
from msgsvc.jobs.doctor.checks import AccountFacts, ServiceFacts
from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, bounded, no_progress, run_pool

if TYPE_CHECKING:
    from msgsvc.api.client import Client



def _all(listing: Any) -> list[dict[str, Any]]:
    return list(listing)


def _pool(items: list, work: Callable[[Any], Any], concurrency: int, done: Callable[[], None] = lambda: None) -> list:
    return run_pool(items, work, concurrency=bounded(concurrency), done=done)  # Stopped: a plain Ctrl-C


def read_account(
    client: Client,
    refs: list[str],
    *,
    now: datetime,
    since: timedelta | None = None,
    since_text: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress = no_progress,
) -> tuple[list[ServiceFacts], AccountFacts]:
    """The services `refs` name (all of them when empty; the rule of jobs.resolve) and the
    account's facts the checks need."""
    from msgsvc.api.monitor import since as start_of
    from msgsvc.api.senders import ALPHA_SENDERS, CHANNEL_SENDERS, NUMBERS, SHORT_CODES
    from msgsvc.jobs.resolve import Services

    start = start_of(now, since) if since is not None else None
    first: dict[str, Callable[[], Any]] = {
        "services": lambda: _all(client.list_services()),
        "brands": lambda: _all(client.list_brands()),
    }
    if start is not None:
        first["alerts"] = lambda: _all(client.list_alerts(start))
    names = list(first)
    got = dict(zip(names, _pool(names, lambda name: first[name](), concurrency)))

    services: list[dict[str, Any]] = got["services"]
    if refs:
        index = Services(services)
        chosen = [index.pick(ref) for ref in refs]
        services = list({s["sid"]: s for s in chosen}.values())  # a service named twice is read once
    facts = [ServiceFacts(service) for service in services]

    kinds = (("numbers", NUMBERS), ("short_codes", SHORT_CODES), ("alpha_senders", ALPHA_SENDERS),
             ("channel_senders", CHANNEL_SENDERS))
    senders = [(f, attr, kind) for f in facts for attr, kind in kinds]
    with progress("Reading senders", len(senders)) as advance:
        lists = _pool(senders, lambda item: _all(client.list_senders(item[2], item[0].sid)), concurrency, advance)
    for (f, attr, _), records in zip(senders, lists):
        setattr(f, attr, records)

    account = AccountFacts(now=now, brands={b.get("sid"): b for b in got["brands"]}, alerts=got.get("alerts"),
                           since=since_text)
    second: list[tuple[str, Any, Callable[[], Any]]] = [
        ("campaign", f, lambda f=f: client.find_campaign(f.sid)) for f in facts if destination.us_long_codes(f.numbers)]
    if any(destination.toll_free_numbers(f.numbers) for f in facts):
        from msgsvc.api.tollfree import VERIFICATION

        second.append(("verifications", None, lambda: _all(client.list_of(VERIFICATION))))
    if any(f.service.get("use_inbound_webhook_on_number") is True and f.numbers for f in facts):
        second.append(("incoming", None, lambda: _all(client.incoming_numbers())))
    wanted = {channels.channel_of(str(c.get("sender") or "")) for f in facts for c in f.channel_senders} - {None}
    for channel in sorted(wanted):  # type: ignore[type-var]
        second.append(("channel", None, lambda channel=channel: _all(channels.list_senders(client, channel))))
    results = _pool(second, lambda item: item[2](), concurrency)
    for (what, f, _), result in zip(second, results):
        if what == "campaign":
            f.campaign = result
        elif what == "verifications":
            account.verifications = tollfree.latest_by_number(result)
        elif what == "incoming":
            account.incoming = {r.get("sid"): r for r in result}
        else:
            account.channel_status.update({r.get("sid"): r for r in result})
    return facts, account

