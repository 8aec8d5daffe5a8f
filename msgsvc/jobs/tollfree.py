"""Toll-free verification as work on an account: the account's toll-free numbers and the record
that counts for each (`status_rows`), a verification or number found from what a user typed
(`find_record`), and filing many numbers with the same details through the executor
(`plan_creates`, `settle_creates`): a number that already has a record is not sent again, and
a create whose answer was lost (or failed) is looked up by its number before it is reported,
so the user never files a duplicate by running the command again.

The rules (what is toll-free, what to do next) are msgsvc/api/tollfree.py's. No typer, no
rich, no printing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Sequence

from msgsvc.api import tollfree as rules
from msgsvc.api.tollfree import VERIFICATION
from msgsvc.api.validate import number_to_paste
from msgsvc.errors import NotFoundError, UsageError
from msgsvc.jobs.changes import CREATE, CREATED, FAILED, UNKNOWN, Change, Outcome

TOLL_FREE_LIST = "IncomingPhoneNumbers/TollFree.json"
EXISTS = "exists"  # create: the number has a record already; nothing sent


def toll_free_numbers(client: Any, params: dict[str, Any] | None = None) -> list[dict]:
    """The account's toll-free numbers (IncomingPhoneNumbers/TollFree.json), in its order."""
    from msgsvc.api.client import CORE

    path = f"/2010-04-01/Accounts/{client.account_sid}/{TOLL_FREE_LIST}"
    return [n for n in client.paginate(path, "incoming_phone_numbers", product=CORE, params=params)
            if rules.is_toll_free(n.get("phone_number"))]


def verifications(client: Any, params: dict[str, Any] | None = None, *, limit: int | None = None,
                  page_size: int | None = None) -> Any:
    """The account's verification records (a Listing), filtered by the list's parameters."""
    return client.list_of(VERIFICATION, params=params, limit=limit, page_size=page_size)


def record_of_number(client: Any, number_sid: str) -> dict | None:
    """The record that counts for a number (PN SID): the newest of its records, or None."""
    records = list(verifications(client, {"TollfreePhoneNumberSid": number_sid}))
    return rules.latest_by_number(records).get(number_sid)


NUMBER_FORMS = "a toll-free number in E.164 form (+18005550100) or its PN... SID"


def number_sid(client: Any, number: str, *, forms: str = NUMBER_FORMS) -> tuple[str, str]:
    """(PN SID, E.164) of one of the account's toll-free numbers, given either, read as every
    command reads a phone number (api.validate: a SID in any case, '+1 800 555-0100');
    `forms`: what the argument takes, for the sentence when it is neither."""
    from msgsvc.api.validate import canonical_sid, typed_number

    value = number.strip()
    pn = canonical_sid(value, "PN")
    if pn is not None:
        from msgsvc.api.client import CORE

        found = client.fetch_object("GET", f"/2010-04-01/Accounts/{client.account_sid}/IncomingPhoneNumbers/{pn}.json",
                                    product=CORE)
        return pn, str(found.get("phone_number"))
    try:
        e164 = typed_number(value)  # "+1 (800) 555-0100" is +18005550100
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if e164 is None:
        raise UsageError(f"{number!r} is not {forms}")
    number = e164
    if not rules.is_toll_free(number):
        raise UsageError(f"{number} is not a toll-free number (+1 followed by {', '.join(rules.TOLL_FREE_AREA_CODES)})",
                         hint="only US and Canadian toll-free numbers are verified this way")
    found = client.find_incoming_number(number)
    if found is None:
        raise NotFoundError(f"{number} is not a phone number of this account",
                            hint="see the account's toll-free numbers: msgsvc tollfree status")
    return str(found["sid"]), number


def find_record(client: Any, ref: str) -> dict:
    """The verification a user means: an HH... SID (in any case), or a number (E.164 or PN...)
    whose record counts (the newest); NotFoundError when the number has none."""
    from msgsvc.api.validate import canonical_sid

    hh = canonical_sid(ref.strip(), VERIFICATION.prefix)
    if hh is not None:
        return client.fetch(VERIFICATION, hh)
    sid, e164 = number_sid(client, ref, forms=f"an {VERIFICATION.prefix}... verification SID, {NUMBER_FORMS}")
    record = record_of_number(client, sid)
    if record is None:
        raise NotFoundError(f"{e164} has no toll-free verification: it cannot send to the US and Canada (30032)",
                            hint=f"submit one: msgsvc tollfree create {number_to_paste(e164)} --from-file verification.toml")
    return record


# --- status: one row per toll-free number ----------------------------------------------------

STATUS_KEYS = ("phone_number", "phone_number_sid", "service_sid", "service", "verification_sid", "status",
               "next_step", "can_send", "edit_expiration")


def status_rows(client: Any, services: Sequence[tuple[str, str]] | None, now: datetime, *,
                service_numbers: Callable[[str], Iterable[dict]]) -> list[dict]:
    """One row per toll-free number of the account (or of `services`, (SID, name) pairs):
    its service, the status of the record that counts (`none` without one), what to do next,
    and whether it may send. `service_numbers(MG)` lists a service's phone numbers."""
    from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, run_pool

    named = services is not None
    if services is None:
        services = [(str(s["sid"]), str(s.get("friendly_name") or "")) for s in client.list_services()]
    in_service: dict[str, tuple[str, str]] = {}
    listed = run_pool(list(services), lambda s: list(service_numbers(s[0])), concurrency=DEFAULT_CONCURRENCY)
    for (sid, name), numbers in zip(services, listed):
        for number in numbers:
            in_service.setdefault(str(number.get("sid")), (sid, name))
    numbers = [n for n in toll_free_numbers(client) if not named or str(n.get("sid")) in in_service]
    records = rules.latest_by_number(list(verifications(client)))
    rows = []
    for number in numbers:
        pn = str(number.get("sid"))
        where = in_service.get(pn)
        record = records.get(pn)
        rows.append({
            "phone_number": number.get("phone_number"), "phone_number_sid": pn,
            "service_sid": where[0] if where else None, "service": where[1] if where else None,
            "verification_sid": record.get("sid") if record else None,
            "status": record.get("status") if record else rules.NOTHING,
            "next_step": rules.next_step(record, now), "can_send": not rules.blocks_sending(record),
            "edit_expiration": record.get("edit_expiration") if record else None,
        })
    return rows


def service_summary(client: Any, service_sid: str) -> tuple[int, int]:
    """(toll-free numbers, of them approved) of one service: `services get`'s toll-free line.
    No verification is listed when the service has no toll-free number."""
    from msgsvc.api.senders import NUMBERS

    pns = [str(n.get("sid")) for n in client.list_senders(NUMBERS, service_sid) if rules.is_toll_free(n.get("phone_number"))]
    if not pns:
        return 0, 0
    records = rules.latest_by_number(list(verifications(client)))
    return len(pns), sum(1 for pn in pns if rules.approved(records.get(pn)))


# --- create: many numbers, one set of details -------------------------------------------------


@dataclass
class Creates:
    """The creates to send and the numbers settled without a request (a record exists)."""

    changes: list[Change] = field(default_factory=list)
    settled: dict[str, Outcome] = field(default_factory=dict)  # input -> outcome
    order: list[str] = field(default_factory=list)  # the inputs, as given
    numbers: dict[str, str] = field(default_factory=dict)  # input -> PN SID
    existing: dict[str, Any] = field(default_factory=dict)  # input -> the record it has already (`exists`)

    def results(self, sent: Sequence[Outcome]) -> list[Outcome]:
        by_input = dict(self.settled)
        by_input.update({o.input: o for o in sent})
        return [by_input[ref] for ref in self.order]


def plan_creates(client: Any, refs: Sequence[str], form: Sequence[tuple[str, str]]) -> Creates:
    """One create per number, the same form for each: a number that is not a toll-free number
    of the account fails here; one with a record already is `exists` (its SID), never sent."""
    from msgsvc.errors import MsgsvcError

    planned = Creates()
    records = rules.latest_by_number(list(verifications(client)))
    seen: set[str] = set()
    for ref in refs:
        if ref in seen:
            continue
        seen.add(ref)
        planned.order.append(ref)
        try:
            pn, _ = number_sid(client, ref)
        except MsgsvcError as error:
            planned.settled[ref] = Outcome(ref, None, FAILED, None, error.message)
            continue
        planned.numbers[ref] = pn
        existing = records.get(pn)
        if existing is not None:
            planned.existing[ref] = existing
            planned.settled[ref] = Outcome(ref, existing.get("sid"), EXISTS, None,
                                           f"{existing.get('status')}: {rules.next_step(existing, datetime.now().astimezone())}")
            continue
        planned.changes.append(Change(CREATE, VERIFICATION.name, inputs=(ref,),
                                      form=(("TollfreePhoneNumberSid", pn), *form)))
    return planned


def settle_creates(client: Any, planned: Creates, outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The executor's outcomes, each failed create looked up by its number first: a record
    there now (its answer was lost, a gateway failed) is `created`, not a failure to file again."""
    from msgsvc.errors import MsgsvcError

    checked = []
    for outcome in outcomes:
        pn = planned.numbers.get(outcome.input)
        if outcome.status in (FAILED, UNKNOWN) and pn is not None:
            try:
                record = record_of_number(client, pn)
            except MsgsvcError as error:
                outcome = Outcome(outcome.input, None, outcome.status, outcome.code,
                                  f"{outcome.message}; checking whether it was filed failed too: {error.message}")
            else:
                if record is not None:
                    outcome = Outcome(outcome.input, record.get("sid"), CREATED, None,
                                      f"{record.get('status')} (its answer was lost; found by its number)")
                elif outcome.status == UNKNOWN:  # looked for, and not there: it was not filed
                    outcome = Outcome(outcome.input, None, FAILED, outcome.code,
                                      f"{outcome.message}; checked: no record was filed")
        checked.append(outcome)
    return planned.results(checked)
