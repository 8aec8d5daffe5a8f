"""Reading an account's messaging setup: every service and the senders of each, concurrently.

The API has no reverse look-up (which service holds this number?) and no way to read a
service with its senders in one request, so a setup is one listing of the services and one
listing per service and kind of sender, run on a bounded pool of threads. What is kept of
each record is only what export, plan (msgsvc/setup/plan.py) and `numbers find` use, so that
an account of 5,000 services stays small in memory.

Library code: no typer, no rich, no printing; progress goes through the callback given.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, Stopped, bounded, no_progress, run_pool
from msgsvc.api.resources import KEEP, SERVICE, Column
from msgsvc.api.senders import KINDS, Ref, SenderKind
from msgsvc.setup.diff import Current, sender_keys

# date_updated: the version a saved plan compares (msgsvc/setup/saved.py).
SERVICE_KEYS = ("sid", "friendly_name", *(f.key for f in SERVICE.fields), "us_app_to_person_registered", "date_updated")


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
