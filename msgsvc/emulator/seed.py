"""A fresh emulated account: phone numbers, short codes, channel senders, an API key and the
US A2P 10DLC brands (emulator/a2p.py); the same account SID seeds the same SIDs."""

from __future__ import annotations

import random
import secrets
import time
from typing import Any

from msgsvc.emulator.a2p import seed_brands
from msgsvc.emulator.model import new_sid
from msgsvc.emulator.state import STATE_VERSION


def seeded_number(index: int) -> str:
    """The E.164 form of seeded number `index` (1-based): +15550000001, +15550000002, ..."""
    return f"+1555{index:07d}"


def number_capabilities(index: int) -> dict[str, bool]:
    """Varied: every 5th number is voice only (no SMS/MMS, so it cannot join a service),
    every 5th + 4 has no MMS, every 5th + 3 no voice, every 7th can fax."""
    caps = {"voice": True, "sms": True, "mms": True, "fax": index % 7 == 0}
    if index % 5 == 0:
        caps.update(sms=False, mms=False)
    elif index % 5 == 4:
        caps["mms"] = False
    elif index % 5 == 3:
        caps["voice"] = False
    return caps


# The account's toll-free numbers (msgsvc tollfree), after the others: their own SIDs, so the
# others' stay what they were. All can send SMS and MMS.
TOLL_FREE_NUMBERS = ("+18005550100", "+18885550101", "+18445550102")


def seed(account_sid: str, auth_token: str, numbers: int, now: float | None = None) -> dict[str, Any]:
    """A fresh account: `numbers` phone numbers and three toll-free ones, three short codes, three channel senders and
    one API key. SIDs follow from the account SID, so the same account seeds the same SIDs."""
    now = time.time() if now is None else now
    rng = random.Random(account_sid)
    data: dict[str, Any] = {
        "version": STATE_VERSION,
        "account_sid": account_sid,
        "auth_token": auth_token,
        "api_keys": {},
        "seq": 0,
        "services": {},
        "numbers": {},
        "short_codes": {},
        "channel_senders": {},
        "alpha_senders": {},
        "destination_alpha_senders": {},
    }
    data["api_keys"][new_sid("SK", rng)] = secrets.token_hex(16)

    def add(table: str, record: dict[str, Any]) -> None:
        data["seq"] += 1
        record.update(seq=data["seq"], created=now, updated=now, service_sid=None, attached=None)
        data[table][record["sid"]] = record

    for index in range(1, numbers + 1):
        number = seeded_number(index)
        add("numbers", {
            "sid": new_sid("PN", rng),
            "phone_number": number,
            "friendly_name": f"({number[2:5]}) {number[5:8]}-{number[8:]}",
            "country_code": "US",
            "capabilities": number_capabilities(index),
            "origin": "hosted" if index % 10 == 9 else "twilio",
        })
    toll_free = random.Random(account_sid + ":toll-free")
    for number in TOLL_FREE_NUMBERS:
        add("numbers", {
            "sid": new_sid("PN", toll_free),
            "phone_number": number,
            "friendly_name": f"({number[2:5]}) {number[5:8]}-{number[8:]}",
            "country_code": "US",
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "origin": "twilio",
        })
    for code in ("55501", "55502", "55503"):
        add("short_codes", {"sid": new_sid("SC", rng), "short_code": code, "country_code": "US", "capabilities": ["SMS", "MMS"]})
    for sender, sender_type, country in (
        (f"whatsapp:{seeded_number(1)}", "WhatsApp", "US"),
        ("messenger:101234567890123", "Messenger", None),
        ("rcs:msgsvc_emulator_agent", "RCS", None),
    ):
        add("channel_senders", {"sid": new_sid("XE", rng), "sender": sender, "sender_type": sender_type, "country_code": country})
    data.update(brands=seed_brands(account_sid, now), campaigns={})  # US A2P 10DLC (emulator/a2p.py)
    data["tollfree_verifications"] = {}  # emulator/tollfree.py
    return data
