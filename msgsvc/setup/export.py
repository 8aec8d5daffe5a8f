"""The export document: the API's records written as a setup file, deterministically (no SIDs
unless asked, no timestamps, a fixed order), so exporting an unchanged account twice gives
identical bytes. tomli-w is imported only to write TOML.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, Sequence

from msgsvc.api.resources import SERVICE
from msgsvc.api.senders import KINDS, SenderKind
from msgsvc.setup.file import VERSION

TOML_HEADER = (
    "# A Messaging Services setup, written by `msgsvc export`.\n"
    "# Review changes with `msgsvc plan FILE`; converge an account with `msgsvc apply FILE`.\n\n"
)


def sender_entry(kind: SenderKind, record: Mapping[str, Any]) -> Any:
    """How a current sender is written in a file (portable: its value, not its SID)."""
    value = record.get(kind.value_key)
    if not isinstance(value, str) or not value:
        return record.get("sid")
    if kind.country:
        country = record.get("iso_country_code") or ""
        return {"alpha_sender": value, "iso_country_code": country} if country else value
    return value


def _entry_sort_key(entry: Any) -> tuple:
    if isinstance(entry, dict):
        return (entry["alpha_sender"], entry["iso_country_code"])
    return (entry, "")


def service_entry(record: Mapping[str, Any], senders: Mapping[str, Sequence[Mapping[str, Any]]] | None,
                  *, with_sid: bool) -> dict[str, Any]:
    """One service of the document: friendly_name, its sid when asked, every writable field
    with a value (a URL that is not set is written "", which clears it; a URL's password is
    written *** and means "the password the account has", see setup.diff), then its senders."""
    entry: dict[str, Any] = {"friendly_name": record.get("friendly_name") or ""}
    if with_sid:
        entry["sid"] = record.get("sid")
    for f in SERVICE.fields:
        if f.key == "friendly_name":
            continue
        value = record.get(f.key)
        if value is None:
            if f.kind == "url":
                entry[f.key] = ""
            continue
        if f.kind == "url" and isinstance(value, str):  # a password in it: *** (the file goes to git)
            from msgsvc.api.validate import mask_url_passwords

            value = mask_url_passwords(value)
        entry[f.key] = value
    if senders is not None:
        entry["senders"] = {
            kind.noun: sorted((sender_entry(kind, r) for r in senders.get(kind.noun, ())), key=_entry_sort_key)
            for kind in KINDS
            if kind.noun in senders
        }
    return entry


def document(services: Iterable[tuple[Mapping[str, Any], Mapping[str, Sequence[Mapping[str, Any]]] | None]],
             *, with_sids: bool = False) -> tuple[dict[str, Any], list[str]]:
    """The export document for (service record, {kind noun: sender records}) pairs, in a fixed
    order (by friendly name, then SID), and the names shared by several services: those are
    written with their sid even without `with_sids`, so the file still applies."""
    items = sorted(services, key=lambda item: (item[0].get("friendly_name") or "", item[0].get("sid") or ""))
    counts: dict[str, int] = {}
    for record, _ in items:
        name = record.get("friendly_name") or ""
        counts[name] = counts.get(name, 0) + 1
    shared = sorted(name for name, n in counts.items() if n > 1)
    entries = [
        service_entry(record, senders, with_sid=with_sids or counts[record.get("friendly_name") or ""] > 1)
        for record, senders in items
    ]
    return {"version": VERSION, "services": entries}, shared


def render(doc: Mapping[str, Any], *, as_json: bool = False) -> str:
    """The document as text: TOML (with a short header comment), or indented JSON. Safe to
    show: what a server sent is never a raw C1 or bidi character (msgsvc.jsontext), but the
    `\\uXXXX` escape both JSON and TOML's basic strings (all tomli_w writes) read back."""
    from msgsvc.jsontext import safe

    if as_json:
        return safe(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
    import tomli_w

    return TOML_HEADER + safe(tomli_w.dumps(doc))


def refuse_replacing(out: str) -> None:
    """An export replaces only a setup file (one export wrote, or one written by hand, in TOML
    or JSON) or an empty file: `export -o config.toml` naming msgsvc's own config (every
    profile's secret), or a typo naming another file, must not destroy what it would overwrite
    (UsageError, exit 2). A device or a FIFO is written in place (msgsvc/atomic.py's rule)."""
    import os
    import stat

    from msgsvc.atomic import MAX_INPUT_BYTES
    from msgsvc.errors import UsageError

    try:
        if not stat.S_ISREG(os.stat(out).st_mode):
            return
        with open(out, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError:
        return  # nothing there (or unreadable: writing it says why)
    if data.strip() and not _is_setup(data):
        raise UsageError(f"refusing to replace {out}: it is not a setup file",
                         hint="nothing was written; give -o a new file, or a setup file to replace")


def _is_setup(data: bytes) -> bool:
    """Whether `data` reads as a setup document: a TOML or JSON table with `version` or
    `services` at its top, as every setup file has (the checks of its contents are plan's)."""
    import tomllib

    from msgsvc.atomic import BOM, MAX_INPUT_BYTES

    if len(data) > MAX_INPUT_BYTES:
        return False
    try:
        text = data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError:
        return False
    for parse in (tomllib.loads, json.loads):
        try:
            document = parse(text)
        except (ValueError, RecursionError):  # tomllib's and json's errors are ValueErrors
            continue
        return isinstance(document, dict) and ("version" in document or "services" in document)
    return False
