"""Reading an account's messaging setup: every service and the senders of each, concurrently.

The API has no reverse look-up (which service holds this number?) and no way to read a
service with its senders in one request, so a setup is one listing of the services and one
listing per service and kind of sender, run on a bounded pool of threads. What is kept of
each record is only what export, plan (msgsvc/setup/plan.py) and `numbers find` use, so that
an account of 5,000 services stays small in memory.

Library code: no typer, no rich, no printing; progress goes through the callback given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, bounded, no_progress, run_pool
from msgsvc.api.resources import KEEP, SERVICE, WRAP, Column
from msgsvc.api.senders import KINDS, Ref, SenderKind
from msgsvc.setup.diff import Current, sender_keys

# date_updated: the version a saved plan compares (msgsvc/setup/saved_format.py).
SERVICE_KEYS = ("sid", "friendly_name", *(f.key for f in SERVICE.fields), "us_app_to_person_registered", "date_updated")


def _service_record(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: record.get(key) for key in SERVICE_KEYS if key in record}


def _sender_record(kind: SenderKind, record: Mapping[str, Any]) -> dict[str, Any]:
    kept = {"sid": record.get("sid"), kind.value_key: record.get(kind.value_key)}
    if kind.noun == "short-codes":  # the inventory's: the 2010 API does not say them
        kept["capabilities"] = record.get("capabilities")
    if kind.country:
        kept["iso_country_code"] = record.get("iso_country_code") or ""
    return kept


def select(services: Sequence[Mapping[str, Any]], refs: Sequence[str]) -> list[Mapping[str, Any]]:
    """The services that `refs` name (jobs.resolve's rule: an MG SID or an exact friendly name
    each), in the order named, each once; a name of several services or of none is an error."""
    from msgsvc.jobs.resolve import Services

    index = Services(services)
    chosen: dict[str, Mapping[str, Any]] = {}
    for ref in refs:
        found = index.pick(ref, hint="list the services with: msgsvc services list --all")
        chosen.setdefault(str(found.get("sid")), found)
    return list(chosen.values())


def read_account(
    client: Any,
    *,
    only: Sequence[str] = (),
    kinds: Iterable[SenderKind] = KINDS,
    senders_of: Callable[[Mapping[str, Any]], Iterable[SenderKind]] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress = no_progress,
    services: Iterable[Mapping[str, Any]] | None = None,
) -> list[Current]:
    """Every service of the account (or the ones `only` names) with its senders of `kinds`
    (or of the kinds `senders_of(service record)` names), read on at most `concurrency`
    threads; `services`: the account's service records when the caller listed them already."""
    services = [_service_record(s) for s in (client.list_services() if services is None else services)]
    if only:
        services = select(services, only)
    kinds = tuple(kinds)
    current = [Current(service, {}) for service in services]
    jobs = [(entry, kind) for entry in current
            for kind in (kinds if senders_of is None else senders_of(entry.record))]

    def read(job: tuple[Current, SenderKind]) -> list[dict[str, Any]]:
        entry, kind = job
        return [_sender_record(kind, r) for r in client.list_senders(kind, entry.sid)]

    with progress("Reading senders", len(jobs)) as advance:
        lists = run_pool(jobs, read, concurrency=bounded(concurrency), done=advance)
    for (entry, kind), records in zip(jobs, lists):
        entry.senders[kind.noun] = records
    return current


# At 80 columns two whole SIDs leave no room: the number's SID and the input give way first
# (TSV and JSON always have them), the number and its service stay. A short code is found
# too: its digits are in phone_number, as a person types them.
FIND_COLUMNS = (
    Column("INPUT", "input", drop=1),
    Column("SID", "sid", fit=KEEP, drop=2),
    Column("NUMBER", "phone_number", fit=KEEP),
    Column("SERVICE SID", "service_sid", fit=KEEP),
    Column("SERVICE NAME", "service_name"),
)

# The account's inventory at 80 columns: the number (what attach takes), its capabilities and
# its service's name; the SIDs and the kind give way first (TSV and JSON always have them).
INVENTORY_COLUMNS = (
    Column("NUMBER", "number", fit=KEEP),
    Column("KIND", "kind", fit=KEEP, drop=2, spare=True),
    Column("SID", "sid", fit=KEEP, drop=3, spare=True),
    Column("CAPABILITIES", "capabilities", fit=WRAP, drop=1),
    Column("SERVICE SID", "service_sid", fit=KEEP, drop=4, spare=True),
    Column("SERVICE", "service_name"),
)


def where_held(client: Any, kinds: Sequence[SenderKind], *, concurrency: int = DEFAULT_CONCURRENCY,
               progress: Progress = no_progress, services: Iterable[Mapping[str, Any]] | None = None,
               ) -> tuple[dict[tuple, tuple[Mapping[str, Any], Current]], list[Current]]:
    """Which service holds each sender of `kinds`: {(kind noun, key): (sender record, service)}
    for every key of sender_keys, and the services as read, from one listing of the services
    and one per service and kind."""
    where: dict[tuple, tuple[Mapping[str, Any], Current]] = {}
    if not kinds:  # nothing to look for: not even the services are read
        return where, []
    current = read_account(client, kinds=kinds, concurrency=concurrency, progress=progress, services=services)
    for entry in current:
        for kind in kinds:
            for record in entry.senders.get(kind.noun, ()):
                for key in sender_keys(kind, record):
                    where[(kind.noun, key)] = (record, entry)
    return where, current


@dataclass(frozen=True)
class Located:
    """Where one input is: its kind, the account's record of it (None: the account does not
    own it) and the service that holds it (None: in no service)."""

    ref: Ref
    kind: SenderKind
    record: Mapping[str, Any] | None
    service: Current | None


def locate(client: Any, refs: Sequence[Ref], *, kinds: Mapping[Ref, SenderKind] | None = None,
           concurrency: int = DEFAULT_CONCURRENCY, progress: Progress = no_progress,
           services: Iterable[Mapping[str, Any]] | None = None) -> tuple[list[Located], list[Current]]:
    """Where each number is (a Ref with sid or e164; a short code when `kinds` says so, else a
    phone number), in the order given, and the account's services as read. Senders in no
    service are looked for in one listing of the account's numbers (or short codes), which
    stops once every one was found; their record is the account's (capabilities included)."""
    from msgsvc.api.senders import NUMBERS

    kind_of = {ref: (kinds or {}).get(ref, NUMBERS) for ref in refs}
    used = list(dict.fromkeys(kind_of.values()))
    held, current = where_held(client, used, concurrency=concurrency, progress=progress, services=services)
    where: dict[tuple, tuple[Mapping[str, Any], Current | None]] = dict(held)

    def key_of(ref: Ref) -> tuple:
        return (kind_of[ref].noun, ("sid", ref.sid) if ref.sid is not None else ("value", ref.e164, ""))

    for kind in used:
        rest = {key_of(ref) for ref in refs if kind_of[ref] is kind} - set(where)
        if not rest:
            continue
        for record in client.account_senders(kind):
            keys = {(kind.noun, key) for key in sender_keys(kind, record)} & rest
            for key in keys:
                where[key] = (record, None)
            rest -= keys
            if not rest:
                break
    located = []
    for ref in refs:
        record, service = where.get(key_of(ref), (None, None))
        located.append(Located(ref, kind_of[ref], record, service))
    return located, current


def find_numbers(client: Any, refs: Sequence[Ref], *, concurrency: int = DEFAULT_CONCURRENCY,
                 progress: Progress = no_progress,
                 kinds: Mapping[Ref, SenderKind] | None = None) -> tuple[list[dict[str, Any]], list[Ref]]:
    """Which service holds each number (see `locate`): one row per input (FIND_COLUMNS), and
    the inputs the account does not own."""
    located, _ = locate(client, refs, kinds=kinds, concurrency=concurrency, progress=progress)
    rows, missing = [], []
    for found in located:
        ref, record, entry = found.ref, found.record, found.service
        if record is None:
            missing.append(ref)
            rows.append({"input": ref.raw, "sid": ref.sid, "phone_number": ref.e164, "service_sid": None,
                         "service_name": None})
            continue
        rows.append({"input": ref.raw, "sid": record.get("sid"), "phone_number": record.get(found.kind.value_key),
                     "service_sid": entry.sid if entry else None, "service_name": entry.name if entry else None})
    return rows, missing


def inventory(client: Any, *, free: bool = False, concurrency: int = DEFAULT_CONCURRENCY,
              progress: Progress = no_progress) -> list[dict[str, Any]]:
    """The account's phone numbers, then its short codes (the 2010 API's IncomingPhoneNumbers
    and SMS/ShortCodes, in the API's order), each with its capabilities and the service that
    holds it (or none); `free`: only those in no service. The services' pools are read only
    for the kinds the account has."""
    from msgsvc.api.senders import NUMBERS, SHORT_CODES, capability_names

    owned = {kind: list(client.account_senders(kind)) for kind in (NUMBERS, SHORT_CODES)}
    where, _ = where_held(client, [kind for kind, records in owned.items() if records], concurrency=concurrency,
                          progress=progress)
    rows = []
    for kind, records in owned.items():
        for record in records:
            held, service = where.get((kind.noun, ("sid", record.get("sid"))), (None, None))
            if free and service is not None:
                continue
            if kind is NUMBERS:
                capabilities = capability_names(record.get("capabilities"))
            else:  # the 2010 API does not say a short code's; its service's listing does
                capabilities = held.get("capabilities") if held is not None else None
            rows.append({"number": record.get(kind.value_key), "kind": kind.what, "sid": record.get("sid"),
                         "capabilities": capabilities, "service_sid": service.sid if service else None,
                         "service_name": service.name if service else None})
    return rows
