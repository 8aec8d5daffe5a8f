"""What a dry run can know Twilio would refuse, from what it reads (nothing is sent).

For a bulk attach: a phone number without SMS or MMS (21715, from the account's
IncomingPhoneNumbers), a phone number, short code or channel sender another service holds
(21712, from one listing of the services and of their senders of that kind), and a second
alpha sender of a service (20001: a service has one, per country for destination alpha
senders, from the service's own list the planner read). Each is a `would fail` Outcome whose
message leads with the short reason the real run would give.

No typer, no rich, no printing: progress is reported through the callback given.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from msgsvc.api.senders import ALPHA_SENDERS, DESTINATION_ALPHA_SENDERS, NUMBERS, SenderKind
from msgsvc.jobs.changes import ATTACH, REASONS, WOULD_FAIL, Change, Outcome, reasoned
from msgsvc.jobs.executor import IN_ANOTHER_SERVICE, in_service
from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, bounded, no_progress, run_pool

NO_SMS = 21715
SECOND_ALPHA = 20001


def refusals(
    client: Any, kind: SenderKind, service_sid: str, changes: Sequence[Change], current: Sequence[dict], *,
    account: Mapping[str, dict] | None = None, concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress = no_progress, others: bool = True,
) -> dict[Change, Outcome]:
    """The attaches of `changes` Twilio would refuse, each with its `would fail` Outcome;
    `current` is the service's senders of `kind` as the planner listed them, `account` the
    account's records it looked up already (SID -> record); `others=False` when the caller
    read already that no other service holds them (numbers move)."""
    attaches = [c for c in changes if c.action == ATTACH]
    if not attaches:
        return {}
    if kind in (ALPHA_SENDERS, DESTINATION_ALPHA_SENDERS):
        return _second_alpha(kind, service_sid, attaches, current)
    found: dict[Change, Outcome] = {}
    if kind is NUMBERS:
        found.update(_no_sms(client, attaches, account or {}))
    rest = [c for c in attaches if c not in found and c.target]
    if rest and others:
        found.update(_held(client, kind, service_sid, rest, concurrency, progress))
    return found


def explained(kind: SenderKind, changes: Sequence[Change], outcomes: Sequence[Outcome],
              current: Sequence[dict]) -> list[Outcome]:
    """The real run's outcomes, a second alpha sender's 20001 (Twilio's code for any invalid
    value) led by its short reason, as the dry run said it."""
    if kind not in (ALPHA_SENDERS, DESTINATION_ALPHA_SENDERS):
        return list(outcomes)
    result = []
    for change, outcome in zip(changes, outcomes):
        head = _alpha_reason(change, current) if outcome.code == SECOND_ALPHA and change.action == ATTACH else None
        if head is not None:
            outcome = Outcome(outcome.input, outcome.sid, outcome.status, outcome.code,
                              reasoned(head, SECOND_ALPHA, outcome.message))
        result.append(outcome)
    return result


def _alpha_reason(change: Change, current: Sequence[dict]) -> str | None:
    """`has alpha sender Acme` when the service has one already (for the change's country)."""
    country = dict(change.form).get("IsoCountryCode", "").upper()
    other = next((r for r in current if (r.get("iso_country_code") or "").upper() == country), None)
    if other is None:
        return None
    return f"has alpha sender {other.get('alpha_sender')}" + (f" for {country}" if country else "")


def _second_alpha(kind: SenderKind, service_sid: str, attaches: list[Change],
                  current: Sequence[dict]) -> dict[Change, Outcome]:
    found = {}
    for change in attaches:
        head = _alpha_reason(change, current)
        if head is not None:
            found[change] = _would_fail(change, SECOND_ALPHA, reasoned(
                head, SECOND_ALPHA, f"a Messaging Service has one {kind.what}"
                f"{' per country' if kind is DESTINATION_ALPHA_SENDERS else ''}; detach it first"))
    return found


def _no_sms(client: Any, attaches: list[Change], account: Mapping[str, dict]) -> dict[Change, Outcome]:
    """Numbers the account holds without SMS or MMS: from the records looked up already, and
    for the rest (given by SID) one listing of the account's numbers, stopped once all are seen."""
    wanted = {c.target: c for c in attaches}
    found = {}

    def look(records: Iterable[dict]) -> None:
        for record in records:
            change = wanted.pop(record.get("sid"), None)
            capabilities = record.get("capabilities")
            if change is not None and isinstance(capabilities, dict) and not (capabilities.get("sms") or capabilities.get("mms")):
                found[change] = _would_fail(change, NO_SMS, reasoned(
                    REASONS[NO_SMS], NO_SMS, f"{record.get('phone_number')} cannot send SMS or MMS, so no service takes it"))
            if not wanted:
                return

    look(account[sid] for sid in list(wanted) if sid in account)
    if wanted:
        look(client.account_senders(NUMBERS))
    return found


def _held(client: Any, kind: SenderKind, service_sid: str, attaches: list[Change], concurrency: int,
          progress: Progress) -> dict[Change, Outcome]:
    """Senders another service holds: the services, then their senders of `kind`, concurrently."""
    others = [s for s in client.list_services() if s.get("sid") != service_sid]
    with progress("Reading senders", len(others)) as advance:
        lists = run_pool(others, lambda s: [r.get("sid") for r in client.list_senders(kind, s["sid"])],
                         concurrency=bounded(concurrency), done=advance)
    holder = {sid: service for service, sids in zip(others, lists) for sid in sids}
    found = {}
    for change in attaches:
        service = holder.get(change.target)
        if service is not None:
            name = service.get("friendly_name") or service.get("sid")
            found[change] = _would_fail(change, IN_ANOTHER_SERVICE, in_service(
                f"service {name}", f"a sender belongs to one service: detach it from {name} first"))
    return found


def _would_fail(change: Change, code: int, message: str) -> Outcome:
    return Outcome(change.shown, change.target, WOULD_FAIL, code, message)
