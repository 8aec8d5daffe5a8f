"""Planning a setup: what the file's changes depend on is read from the account, then diffed.

Reads only: nothing is sent. `plan()` is what `msgsvc plan` and `msgsvc apply` run: the diff,
or the file's own error (SetupFileError, exit 2) for what stands in the way.

Library code: no typer, no rich, no printing; progress goes through the callback given.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from msgsvc.api.senders import KINDS, SenderKind
from msgsvc.errors import UsageError
from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, no_progress
from msgsvc.setup.diff import Diff, blockers, diff, sender_keys
from msgsvc.setup.file import KIND_BY_NOUN, POOLED, Desired, Problem, SetupFileError
from msgsvc.setup.read import read_account


def account_inventory(client: Any, wanted: Mapping[str, set[tuple]]) -> tuple[dict[str, dict[tuple, str]], set[str]]:
    """For the pooled kinds whose account-wide list the API serves (phone numbers and short
    codes in the 2010 API, channel senders in Messaging v2 Channels Senders), the SIDs of the
    senders `wanted` names ({noun: {("value", v, ""), ("sid", s)}}), from one listing of the
    account each (per channel for channel senders); and the nouns so listed (complete: a key
    missing from it is not the account's). Kinds with nothing wanted are not listed."""
    from msgsvc.api.senders import NUMBERS, SHORT_CODES

    inventory: dict[str, dict[tuple, str]] = {}
    complete: set[str] = set()
    sources = {
        "numbers": (NUMBERS, client.incoming_numbers),
        "short-codes": (SHORT_CODES, client.account_short_codes),
        "channel-senders": (None, lambda: _channel_senders(client, wanted.get("channel-senders", set()))),
    }
    for noun, (kind, listing) in sources.items():
        keys = wanted.get(noun)
        if not keys:
            continue
        found: dict[tuple, str] = {}
        for record in listing():
            for key in (sender_keys(kind, record) if kind is not None else _v2_keys(record)):
                if key in keys:
                    found[key] = record["sid"]
            if len(found) == len(keys):
                break  # no page is fetched once every sender was found
        inventory[noun] = found
        complete.add(noun)
    return inventory, complete


def _channel_senders(client: Any, keys: set[tuple]) -> Iterator[dict]:
    """The account's Messaging v2 senders of the channels `keys` need: an address's channel,
    every channel for a SID (a messenger sender is not a v2 sender: it is found in a service
    only)."""
    from msgsvc.api.channels import CHANNELS, channel_of, list_senders

    needed = set(CHANNELS) if any(key[0] == "sid" for key in keys) else {channel_of(key[1]) for key in keys}
    for channel in CHANNELS:
        if channel in needed:
            yield from list_senders(client, channel)


def _v2_keys(record: Mapping[str, Any]) -> tuple[tuple, ...]:
    """A v2 sender's keys as a service's channel sender has them (setup.diff.sender_keys)."""
    keys: list[tuple] = [("sid", record["sid"])] if record.get("sid") else []
    if isinstance(record.get("sender_id"), str) and record["sender_id"]:
        keys.append(("value", record["sender_id"], ""))
    return tuple(keys)


def refuse_empty_prune(desired: Desired, *, prune: bool, allow_empty: bool) -> None:
    """A prune needs evidence: a document that lists no services (an empty file, `{}`,
    `services = []`, the output of an export that failed) would delete every service of the
    account. Refused (exit 2) before any request, unless `allow_empty` says it is meant."""
    if prune and not desired.services and not allow_empty:
        raise UsageError(f"refusing to prune from {desired.name}: it lists no services, so every service "
                         "of the account would be deleted",
                         hint="nothing was sent; if that is really what you want, add --allow-empty")


def plan(client: Any, desired: Desired, *, allow_empty: bool = False, **options: Any) -> Diff:
    """The diff that brings the account to `desired` (reads only; the options are read_diff's:
    prune, move_from_unmanaged, concurrency, progress); SetupFileError, with each problem on
    its line of the file, when something stands in the way (a conflict, a sender the account
    does not own, a name of several services): then nothing may be sent. A prune from a
    document without services is refused unless `allow_empty` (refuse_empty_prune)."""
    refuse_empty_prune(desired, prune=bool(options.get("prune")), allow_empty=allow_empty)
    result = read_diff(client, desired, **options)
    found = blockers(result)
    if found:
        raise SetupFileError(desired.name, [Problem(line or None, text) for line, text in found])
    return result


def read_diff(
    client: Any,
    desired: Desired,
    *,
    prune: bool = False,
    move_from_unmanaged: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress = no_progress,
) -> Diff:
    """Read what the file's changes depend on and return the diff as it is, blockers included.

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
    result = diff(desired, current, inventory=inventory, complete=complete, prune=prune,
                  move_from_unmanaged=move_from_unmanaged)
    result.read = current
    return result
