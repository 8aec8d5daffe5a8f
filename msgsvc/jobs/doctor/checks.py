"""Every check of `msgsvc doctor` beyond the destination's (destination.py): pure functions of
what was read for one service (`ServiceFacts`) and for the account (`AccountFacts`), each
returning its findings (none when the service passes). CHECKS in finding.py is the table of
their ids, severities and sources; `service_findings` runs them all, in that table's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from msgsvc.api import channels, tollfree
from msgsvc.api.validate import number_to_paste
from msgsvc.jobs.doctor import destination
from msgsvc.jobs.doctor.finding import ALERT_CODES, Finding, finding

POOL_LIMIT = 400  # phone numbers and short codes in one service (21714)
POOL_WARNING = 380
SAMPLES = 3  # alert SIDs shown per code: what Twilio support asks for
VERIFIED_IDENTITIES = ("VERIFIED", "VETTED_VERIFIED", "SELF_DECLARED")  # a sole proprietor's that send
# The service's webhook fields, and the option that sets each.
WEBHOOKS = (("inbound_request_url", "--inbound-request-url"), ("fallback_url", "--fallback-url"),
            ("status_callback", "--status-callback"))


@dataclass
class ServiceFacts:
    """What was read of one service: its record, its senders and its campaign (None: none,
    or not read because it has no US long code)."""

    service: dict[str, Any]
    numbers: list[dict[str, Any]] = field(default_factory=list)
    short_codes: list[dict[str, Any]] = field(default_factory=list)
    alpha_senders: list[dict[str, Any]] = field(default_factory=list)
    channel_senders: list[dict[str, Any]] = field(default_factory=list)
    campaign: dict[str, Any] | None = None

    @property
    def sid(self) -> str:
        return str(self.service.get("sid"))

    @property
    def pasted(self) -> str:
        """The service as a fix's command names it: its SID, or SERVICE when the server's is
        not one (destination.pasted)."""
        return destination.pasted(self.service)


@dataclass
class AccountFacts:
    """What was read once for the whole account. `alerts` is None without --since."""

    now: datetime
    brands: dict[str, dict[str, Any]] = field(default_factory=dict)  # by BN SID
    verifications: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # latest by PN SID
    incoming: dict[str, dict[str, Any]] = field(default_factory=dict)  # IncomingPhoneNumbers by PN SID
    channel_status: dict[str, dict[str, Any]] = field(default_factory=dict)  # v2 senders by XE SID
    alerts: list[dict[str, Any]] | None = None
    since: str | None = None  # the look back, as given: "24h"


Check = Callable[[ServiceFacts, AccountFacts], list[Finding]]


def no_senders(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    total = len(s.numbers) + len(s.short_codes) + len(s.alpha_senders) + len(s.channel_senders)
    if total:
        return []
    return [finding("no-senders", s.service, [("phone_numbers", 0), ("short_codes", 0), ("alpha_senders", 0),
                                               ("channel_senders", 0)], f"msgsvc numbers attach {s.pasted} NUMBER")]


def ten_dlc(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    return destination.ten_dlc(s.service, s.numbers, s.campaign)


def brand(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    """The campaign's brand: APPROVED; a sole proprietor's also verified, and one number only."""
    if s.campaign is None or not destination.us_long_codes(s.numbers):
        return []
    found: list[Finding] = []
    sid = s.campaign.get("brand_registration_sid")
    record = a.brands.get(sid) if isinstance(sid, str) else None
    status = record.get("status") if record else None
    if status != "APPROVED":
        evidence = [("brand", sid), ("status", status if record else "not found")]
        if record and record.get("failure_reason"):
            evidence.append(("failure_reason", record.get("failure_reason")))
        found.append(finding("10dlc-brand-not-approved", s.service, evidence))
    if record and record.get("brand_type") == "SOLE_PROPRIETOR":
        identity = record.get("identity_status")
        if identity not in VERIFIED_IDENTITIES:
            found.append(finding("10dlc-sole-proprietor-unverified", s.service,
                                 [("brand", sid), ("identity_status", identity)]))
        longs = destination.us_long_codes(s.numbers)
        if len(longs) > 1:
            found.append(finding("10dlc-sole-proprietor-numbers", s.service,
                                 [("us_long_codes", len(longs)), ("allowed", 1), ("brand", sid)],
                                 f"msgsvc numbers detach {s.pasted} {number_to_paste(longs[-1].get('phone_number'))}"))
    return found


def toll_free(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    return destination.toll_free(s.service, s.numbers, a.verifications, a.now)


def pool(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    size = len(s.numbers) + len(s.short_codes)
    if size < POOL_WARNING:
        return []
    return [finding("pool-near-limit", s.service, [("phone_numbers", len(s.numbers)), ("short_codes", len(s.short_codes)),
                                                    ("pool", size), ("limit", POOL_LIMIT)])]


def inbound(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    """Where replies go: the service's inbound URL, or each number's own webhook."""
    service = s.service
    on_number = service.get("use_inbound_webhook_on_number") is True
    if not on_number:
        if service.get("inbound_request_url"):
            return []
        return [finding("inbound-dropped", s.service, [("inbound_request_url", None), ("use_inbound_webhook_on_number", False)],
                        f"msgsvc services update {s.pasted} --inbound-request-url URL")]
    bare = []
    for number in s.numbers:
        incoming = a.incoming.get(str(number.get("sid")))
        if incoming is not None and not incoming.get("sms_url") and not incoming.get("sms_application_sid"):
            bare.append(number.get("phone_number"))
    if not bare:
        return []
    return [finding("number-webhook-missing", s.service, [("use_inbound_webhook_on_number", True), ("numbers_without_sms_url", len(bare)),
                                                           ("numbers", bare[:SAMPLES])],
                    f"msgsvc services update {s.pasted} --no-use-inbound-webhook-on-number")]


def url_problem(url: str) -> str | None:
    """Why Twilio cannot (or should not) call this URL: plain http, local, malformed; None if fine."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "malformed"
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        return "malformed"
    if host == "localhost" or host.endswith(".localhost") or host.startswith("127.") or host in ("::1", "0.0.0.0"):
        return "local"
    if _private(host):
        return "local"
    if parts.scheme == "http":
        return "plain http"
    return None


def _private(host: str) -> bool:
    import ipaddress

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def webhooks(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    found = []
    for key, option in WEBHOOKS:
        url = s.service.get(key)
        if not url:
            continue
        problem = url_problem(str(url))
        if problem:
            found.append(finding("webhook-url-unsafe", s.service, [("field", key), ("url", url), ("problem", problem)],
                                 f"msgsvc services update {s.pasted} {option} https://..."))
    return found


def status_callback(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    if s.service.get("status_callback"):
        return []
    return [finding("no-status-callback", s.service, [("status_callback", None)],
                    f"msgsvc services update {s.pasted} --status-callback URL")]


def obsolete(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    found = []
    for key in ("fallback_to_long_code", "synchronous_validation"):
        if s.service.get(key) is True:
            found.append(finding("obsolete-field", s.service, [("field", key), ("value", True)],
                                 f"msgsvc services update {s.pasted} --no-{key.replace('_', '-')}"))
    return found


def geomatch(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    if s.service.get("area_code_geomatch") is not True:
        return []
    found = []
    longs = [n for n in s.numbers if not tollfree.is_toll_free(n.get("phone_number"))]
    fix = f"msgsvc services update {s.pasted} --no-area-code-geomatch"
    if len(longs) < 2 and (s.numbers or s.short_codes or s.alpha_senders or s.channel_senders):
        found.append(finding("geomatch-few-long-codes", s.service, [("area_code_geomatch", True), ("long_codes", len(longs))], fix))
    us_short = [c for c in s.short_codes if c.get("country_code") == "US"]
    if us_short:
        found.append(finding("geomatch-short-code", s.service, [("area_code_geomatch", True), ("us_short_codes", len(us_short))], fix))
    return found


def channel_senders(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    found = []
    for sender in s.channel_senders:
        record = a.channel_status.get(str(sender.get("sid")))
        if record is None or channels.is_sending(record):
            continue  # a channel v2 does not list (messenger:) has no status to check
        found.append(finding("channel-sender-offline", s.service, [
            ("sender", sender.get("sender")), ("sid", sender.get("sid")), ("status", record.get("status")),
            ("reasons", channels.offline_reasons(record))]))
    return found


def alerts(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    """With --since: the watched alert codes for the service, counted, with three sample SIDs
    (the message's, else the alert's); and a VERIFIED campaign that still sees 30034."""
    if a.alerts is None:
        return []
    by_code: dict[str, list[dict[str, Any]]] = {}
    for alert in a.alerts:
        code = str(alert.get("error_code"))
        if alert.get("service_sid") == s.sid and code in ALERT_CODES:
            by_code.setdefault(code, []).append(alert)
    found = []
    for code in ALERT_CODES:
        hits = by_code.get(code)
        if not hits:
            continue
        samples = [h.get("resource_sid") or h.get("sid") for h in hits[-SAMPLES:]]
        found.append(finding(f"alerts-{code}", s.service, [("count", len(hits)), ("since", a.since), ("samples", samples)]))
    if by_code.get("30034") and s.campaign is not None and s.campaign.get("campaign_status") == destination.VERIFIED:
        found.append(finding("10dlc-verified-but-30034", s.service, [
            ("campaign", s.campaign.get("sid")), ("campaign_status", destination.VERIFIED), ("alerts_30034", len(by_code["30034"]))]))
    return found


ALL: tuple[Check, ...] = (no_senders, ten_dlc, brand, toll_free, pool, inbound, webhooks, status_callback, obsolete,
                          geomatch, channel_senders, alerts)


def service_findings(s: ServiceFacts, a: AccountFacts) -> list[Finding]:
    """Every finding about one service."""
    return [f for check in ALL for f in check(s, a)]
