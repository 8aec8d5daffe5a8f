"""Reading an account's messaging setup: every service and the senders of each, concurrently.

The API has no reverse look-up (which service holds this number?) and no way to read a
service with its senders in one request, so a setup is one listing of the services and one
listing per service and kind of sender, run on a bounded pool of threads. What is kept of
each record is only what export, plan and `numbers find` use, so that an account of 5,000
services stays small in memory.

Library code: no typer, no rich, no printing; progress goes through the callback given.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, Stopped, bounded, no_progress, run_pool
from msgsvc.api.resources import KEEP, SERVICE, Column
from msgsvc.api.senders import KINDS, Ref, SenderKind
from msgsvc.setup.diff import Current, Diff, diff, sender_keys
from msgsvc.setup.file import KIND_BY_NOUN, POOLED, Desired

SERVICE_KEYS = ("sid", "friendly_name", *(f.key for f in SERVICE.fields), "us_app_to_person_registered")


def _service_record(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: record.get(key) for key in SERVICE_KEYS if key in record}


def _sender_record(kind: SenderKind, record: Mapping[str, Any]) -> dict[str, Any]:
    kept = {"sid": record.get("sid"), kind.value_key: record.get(kind.value_key)}
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
) -> list[Current]:
    """Every service of the account (or the ones `only` names) with its senders of `kinds`
    (or of the kinds `senders_of(service record)` names), read on at most `concurrency`
    threads."""
    services = [_service_record(s) for s in client.list_services()]
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
        try:
            lists = run_pool(jobs, read, concurrency=bounded(concurrency), done=advance)
        except Stopped:  # only reads ran: nothing changed, a plain interruption
            raise KeyboardInterrupt from None
    for (entry, kind), records in zip(jobs, lists):
        entry.senders[kind.noun] = records
    return current


def account_inventory(client: Any, wanted: Mapping[str, set[tuple]]) -> tuple[dict[str, dict[tuple, str]], set[str]]:
    """For the pooled kinds whose account-wide list the API serves (phone numbers, short
    codes), the SIDs of the senders `wanted` names ({noun: {("value", v, ""), ("sid", s)}}),
    from one listing of the account each; and the nouns so listed (complete: a key missing
    from it is not the account's). Kinds with nothing wanted are not listed."""
    from msgsvc.api.senders import NUMBERS, SHORT_CODES

    inventory: dict[str, dict[tuple, str]] = {}
    complete: set[str] = set()
    sources = {
        "numbers": (NUMBERS, client.incoming_numbers),
        "short-codes": (SHORT_CODES, client.account_short_codes),
    }
    for noun, (kind, listing) in sources.items():
        keys = wanted.get(noun)
        if not keys:
            continue
        found: dict[tuple, str] = {}
        for record in listing():
            for key in sender_keys(kind, record):
                if key in keys:
                    found[key] = record["sid"]
            if len(found) == len(keys):
                break  # no page is fetched once every sender was found
        inventory[noun] = found
        complete.add(noun)
    return inventory, complete


def plan(
    client: Any,
    desired: Desired,
    *,
    prune: bool = False,
    move_from_unmanaged: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress = no_progress,
) -> Diff:
    """Read what the file's changes depend on and return the diff (reads only).

    Every service is listed; the pooled kinds the file lists (numbers, short codes, channel
    senders) are read for every service, since a sender may sit in any of them; alpha kinds
    only for the services that list them. The account's numbers and short codes are listed
    only when the file names one that sits in no service."""
    pooled = {noun for service in desired.services for noun in service.senders if noun in POOLED}
    names = {s.friendly_name: s for s in desired.services if s.sid is None}
    sids = {s.sid: s for s in desired.services if s.sid is not None}

    def kinds_of(record: Mapping[str, Any]) -> list[SenderKind]:
        mine = sids.get(record.get("sid")) or names.get(record.get("friendly_name"))
        listed = set(mine.senders) if mine is not None else set()
        return [kind for kind in KINDS if kind.noun in pooled or kind.noun in listed]

    current = read_account(client, senders_of=kinds_of, concurrency=concurrency, progress=progress)
    held = {(noun, key) for entry in current for noun, records in entry.senders.items() if noun in POOLED
            for record in records for key in sender_keys(KIND_BY_NOUN[noun], record)}
    wanted: dict[str, set[tuple]] = {}
    for service in desired.services:
        for noun, senders in service.senders.items():
            for sender in senders:
                if noun in POOLED and (noun, sender.key) not in held:
                    wanted.setdefault(noun, set()).add(sender.key)
    inventory, complete = account_inventory(client, wanted)
    return diff(desired, current, inventory=inventory, complete=complete, prune=prune,
                move_from_unmanaged=move_from_unmanaged)


# At 80 columns two whole SIDs leave no room: the number's SID and the input give way first
# (TSV and JSON always have them), the number and its service stay.
FIND_COLUMNS = (
    Column("INPUT", "input", drop=1),
    Column("SID", "sid", fit=KEEP, drop=2),
    Column("PHONE NUMBER", "phone_number", fit=KEEP),
    Column("SERVICE SID", "service_sid", fit=KEEP),
    Column("SERVICE NAME", "service_name"),
)


def find_numbers(client: Any, refs: Sequence[Ref], *, concurrency: int = DEFAULT_CONCURRENCY,
                 progress: Progress = no_progress) -> tuple[list[dict[str, Any]], list[Ref]]:
    """Which service holds each number (a Ref with sid or e164): one row per input, and the
    inputs the account does not own. Numbers in no service are looked for in one listing of
    the account's numbers, which stops once every one was found."""
    from msgsvc.api.senders import NUMBERS

    current = read_account(client, kinds=(NUMBERS,), concurrency=concurrency, progress=progress)
    where: dict[tuple, tuple[Mapping[str, Any], Current | None]] = {}
    for entry in current:
        for record in entry.senders.get("numbers", ()):
            for key in sender_keys(NUMBERS, record):
                where[key] = (record, entry)

    def key_of(ref: Ref) -> tuple:
        return ("sid", ref.sid) if ref.sid is not None else ("value", ref.e164, "")

    rest = {key_of(ref) for ref in refs} - set(where)
    if rest:
        for record in client.incoming_numbers():
            keys = set(sender_keys(NUMBERS, record)) & rest
            for key in keys:
                where[key] = ({"sid": record.get("sid"), "phone_number": record.get("phone_number")}, None)
            rest -= keys
            if not rest:
                break
    rows, missing = [], []
    for ref in refs:
        found = where.get(key_of(ref))
        if found is None:
            missing.append(ref)
            rows.append({"input": ref.raw, "sid": ref.sid, "phone_number": ref.e164, "service_sid": None,
                         "service_name": None})
            continue
        record, entry = found
        rows.append({"input": ref.raw, "sid": record.get("sid"), "phone_number": record.get("phone_number"),
                     "service_sid": entry.sid if entry else None, "service_name": entry.name if entry else None})
    return rows, missing
