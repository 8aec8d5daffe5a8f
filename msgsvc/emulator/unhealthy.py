"""The unhealthy account (`msgsvc emulator --unhealthy`): services that trip each check of
`msgsvc doctor`, so that anyone can watch it find every problem without an account.

`seed_unhealthy(data)` adds, to a freshly seeded account (seed.py), one service per problem,
named after it, plus one service ("Healthy") that passes every check; the phone numbers they
hold are their own (+15560000001 upwards), so the account's seeded numbers stay free. The
README's "Will it deliver?" lists which service trips which check. Recent Monitor alerts
(monitor.py) are recorded for the services that would see them. Where the emulator serves
toll-free verifications (its seed has their table), two more services hold toll-free
numbers of their own: one without a verification, one whose verification was rejected.
"""

from __future__ import annotations

import random
import time
from typing import Any

from msgsvc.api.resources import CAMPAIGN
from msgsvc.api.tollfree import REJECTED, VERIFICATION
from msgsvc.emulator.model import SERVICE_DEFAULTS, new_sid
from msgsvc.emulator.monitor import ALERT_TEXTS

POOL_SIZE = 380  # doctor warns from 380 of the 400 numbers and short codes
HOOK = "https://hooks.example.com/msgsvc"
# A service that passes: inbound and status URLs on https, geomatch off unless it is the
# problem, nothing obsolete.
HEALTHY = {"inbound_request_url": f"{HOOK}/inbound", "status_callback": f"{HOOK}/status", "area_code_geomatch": False}

# name -> (service fields beyond HEALTHY, long codes, campaign status or None, brand to use)
SERVICES: dict[str, tuple[dict[str, Any], int, str | None, str]] = {
    "Healthy": ({"area_code_geomatch": True}, 2, "VERIFIED", "standard"),
    "No senders": ({}, 0, None, "standard"),
    "No campaign": ({}, 1, None, "standard"),
    "Campaign failed": ({}, 1, "FAILED", "standard"),
    "Campaign in review": ({}, 1, "PENDING", "standard"),
    "Brand failed": ({}, 1, "VERIFIED", "failed"),
    "Sole proprietor": ({}, 2, "VERIFIED", "unverified sole proprietor"),
    "Pool at the limit": ({}, POOL_SIZE, "VERIFIED", "standard"),
    "Replies dropped": ({"inbound_request_url": None}, 1, "VERIFIED", "standard"),
    "Number webhooks": ({"use_inbound_webhook_on_number": True}, 1, "VERIFIED", "standard"),
    "Plain http webhooks": ({"inbound_request_url": "http://localhost:3000/sms",
                             "fallback_url": "http://hooks.example.com/fallback"}, 1, "VERIFIED", "standard"),
    "No status callback": ({"status_callback": None}, 1, "VERIFIED", "standard"),
    "Obsolete fields": ({"fallback_to_long_code": True, "synchronous_validation": True}, 1, "VERIFIED", "standard"),
    "Geomatch": ({"area_code_geomatch": True}, 1, "VERIFIED", "standard"),  # and a US short code
    "WhatsApp offline": ({}, 0, None, "standard"),  # an OFFLINE WhatsApp sender
    "Alerts": ({}, 1, "VERIFIED", "standard"),  # a verified campaign that still sees 30034
}
# Where toll-free verifications are served: name -> its toll-free number's verification status (None: no record).
TOLL_FREE = {"Toll-free unverified": None, "Toll-free rejected": REJECTED}
REJECTION = {"code": 30511, "description": "Toll Free verification rejection - Verbal consent script must be provided"}
# service -> [(error code, how many)] of recent alerts
ALERTS = {
    "No campaign": [("30034", 4)],
    "Alerts": [("30034", 2), ("30007", 5), ("21610", 1), ("11200", 3), ("30032", 1)],
}
FAILED_ERRORS = [{"error_code": 30897, "url": "https://www.twilio.com/docs/api/errors/30897",
                  "description": "The campaign submission has been reviewed and it was rejected due to Disallowed Content.",
                  "fields": ["DESCRIPTION"]}]


def seed_unhealthy(data: dict[str, Any], now: float | None = None) -> None:
    """Add the unhealthy services (and their numbers, campaigns, a brand and alerts) to `data`."""
    now = time.time() if now is None else now
    rng = random.Random(data["account_sid"] + ":unhealthy")
    brands = _brands(data, rng, now)
    next_number = iter(range(1, 10_000_000))

    def seq() -> int:
        data["seq"] += 1
        return data["seq"]

    def number(service_sid: str) -> None:
        e164 = f"+1556{next(next_number):07d}"
        sid = new_sid("PN", rng)
        data["numbers"][sid] = {
            "sid": sid, "phone_number": e164, "friendly_name": f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}",
            "country_code": "US", "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "origin": "twilio", "seq": seq(), "created": now, "updated": now,
            "service_sid": service_sid, "attached": now, "attach_seq": seq(),
        }

    services = dict(SERVICES)
    if "tollfree_verifications" in data:
        services.update({name: ({}, 0, None, "standard") for name in TOLL_FREE})
    for name, (fields, longs, status, brand) in services.items():
        sid = new_sid("MG", rng)
        data["services"][sid] = {"sid": sid, **SERVICE_DEFAULTS, **HEALTHY, **fields, "friendly_name": name,
                                 "us_app_to_person_registered": status is not None,
                                 "seq": seq(), "created": now, "updated": now}
        for _ in range(longs):
            number(sid)
        if status is not None:
            _campaign(data, rng, sid, brands[brand], status, seq(), now)
        if name in TOLL_FREE:
            _toll_free(data, rng, sid, TOLL_FREE[name], seq, now, f"+1833555{len(data['services']):04d}")
        if name == "Geomatch":
            code = next(c for c in data["short_codes"].values() if c["service_sid"] is None)
            code.update(service_sid=sid, attached=now, attach_seq=seq())
        if name == "WhatsApp offline":
            sender = next(c for c in data["channel_senders"].values() if c["sender"].startswith("whatsapp:"))
            sender.update(service_sid=sid, attached=now, attach_seq=seq(), status="OFFLINE",
                          offline_reasons=[{"code": "63024", "message": "The WhatsApp Business Account is disabled"}])
        for code, count in ALERTS.get(name, ()):
            for i in range(count):
                alert = {"sid": new_sid("NO", rng), "seq": seq(), "error_code": code, "log_level": "error",
                         "alert_text": ALERT_TEXTS[code], "service_sid": sid, "resource_sid": new_sid("SM", rng),
                         "request_url": None, "request_method": None,
                         "created": now - 3600 * (i + 1), "generated": now - 3600 * (i + 1)}
                data.setdefault("alerts", {})[alert["sid"]] = alert


def _brands(data: dict[str, Any], rng: random.Random, now: float) -> dict[str, dict[str, Any]]:
    """The account's standard APPROVED and FAILED brands (seeded by a2p.py), and a sole
    proprietor brand whose identity is UNVERIFIED (added here)."""
    brands = data["brands"]
    standard = next(b for b in brands.values() if b["brand_type"] == "STANDARD" and b["status"] == "APPROVED")
    failed = next(b for b in brands.values() if b["status"] == "FAILED")
    sole = {**next(b for b in brands.values() if b["brand_type"] == "SOLE_PROPRIETOR"), "sid": new_sid("BN", rng),
            "tcr_id": "BEMU004", "identity_status": "UNVERIFIED", "seq": len(brands) + 1, "created": now, "updated": now}
    brands[sole["sid"]] = sole
    return {"standard": standard, "failed": failed, "unverified sole proprietor": sole}


def _campaign(data: dict[str, Any], rng: random.Random, service_sid: str, brand: dict[str, Any], status: str,
              seq: int, now: float) -> None:
    sid = new_sid("QE", rng)
    sole = brand["brand_type"] == "SOLE_PROPRIETOR"
    data["campaigns"][sid] = {
        **{f.key: None for f in CAMPAIGN.fields},
        "sid": sid, "service_sid": service_sid, "brand_registration_sid": brand["sid"], "brand_type": brand["brand_type"],
        "us_app_to_person_usecase": "SOLE_PROPRIETOR" if sole else "ACCOUNT_NOTIFICATION",
        "description": "Account notifications for customers of Example Corp who opted in.",
        "message_flow": "Customers opt in on example.com/alerts by ticking an unticked box.",
        "message_samples": ["Example Corp: your password was changed.", "Example Corp: a new device signed in."],
        "has_embedded_links": False, "has_embedded_phone": False,
        "subscriber_opt_in": False, "age_gated": False, "direct_lending": False,
        "campaign_status": status, "campaign_id": "C" + sid[2:8].upper(),
        "errors": FAILED_ERRORS if status == "FAILED" else [],
        # In review for years: the emulator's clock never settles it.
        "created": now, "updated": now, "review_start": now, "review_end": now + 10 * 365 * 86400, "seq": seq,
    }


def _toll_free(data: dict[str, Any], rng: random.Random, service_sid: str, status: str | None, seq: Any,
               now: float, e164: str) -> None:
    """A toll-free number of the service's own and, with a status, its verification record
    (as the emulator's toll-free part keeps them; a rejection editable for five more days)."""
    sid = new_sid("PN", rng)
    data["numbers"][sid] = {
        "sid": sid, "phone_number": e164, "friendly_name": f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}",
        "country_code": "US", "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
        "origin": "twilio", "seq": seq(), "created": now, "updated": now,
        "service_sid": service_sid, "attached": now, "attach_seq": seq(),
    }
    if status is None:
        return
    record = new_sid("HH", rng)
    data["tollfree_verifications"][record] = {
        "sid": record, **{f.key: None for f in VERIFICATION.fields},
        "tollfree_phone_number_sid": sid, "tollfree_phone_number": e164, "business_name": "Example Corp",
        "business_website": "https://www.example.com", "notification_email": "compliance@example.com",
        "use_case_categories": ["ACCOUNT_NOTIFICATIONS"], "use_case_summary": "Account notifications to customers.",
        "production_message_sample": "Example Corp: your order has shipped.",
        "opt_in_image_urls": ["https://www.example.com/opt-in.png"], "opt_in_type": "WEB_FORM", "message_volume": "1,000",
        "status": status, "rejection_reason": REJECTION["description"], "error_code": REJECTION["code"],
        "rejection_reasons": [dict(REJECTION)], "edit_allowed": True, "edit_expiration": now + 5 * 86400,
        "created": now - 2 * 86400, "updated": now - 86400, "review_start": now - 2 * 86400, "review_end": now - 86400,
        "seq": seq(),
    }
