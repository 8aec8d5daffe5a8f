"""What doctor finds, and the table of its checks.

A Finding is one line of `msgsvc doctor`: its severity (error: messages will fail; warning:
degraded or at risk; info), the service, a stable check id (scripts match on it), the evidence
(field = value, counts, in a fixed order), the fix (the msgsvc command that fixes it, where one
exists: built only of values of their shape, api.validate.sid_to_paste) and the Twilio page
that states the rule. `as_dict` is the --json form; its keys and
the check ids are stable (README, "Will it deliver?").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)  # from the worst
RANK = {ERROR: 0, WARNING: 1, INFO: 2}

ERRORS_PAGE = "https://www.twilio.com/docs/api/errors/{code}"
SERVICE_PAGE = "https://www.twilio.com/docs/messaging/api/service-resource"
A2P_PAGE = "https://www.twilio.com/docs/messaging/compliance/a2p-10dlc"


@dataclass(frozen=True)
class Check:
    """One check: its stable id, the severity of what it finds, what it means, and the page
    of Twilio's that states the rule."""

    id: str
    severity: str
    title: str
    source: str


def _checks(*checks: Check) -> dict[str, Check]:
    return {c.id: c for c in checks}


# Alerts doctor counts with --since, and how bad each is.
ALERT_CODES = {"30034": ERROR, "30032": ERROR, "30007": WARNING, "21610": INFO, "11200": WARNING}
ALERT_TITLES = {
    "30034": "messages refused: the US long code is not in a verified A2P 10DLC campaign",
    "30032": "messages refused: the toll-free number is not verified",
    "30007": "messages filtered by carriers",
    "21610": "messages to recipients who replied STOP",
    "11200": "webhooks that did not answer 2xx",
}

CHECKS = _checks(
    Check("no-senders", ERROR, "the service has no sender: every message through it fails",
          "https://www.twilio.com/docs/messaging/services"),
    Check("10dlc-no-campaign", ERROR, "US long codes and no A2P 10DLC campaign (30034)", ERRORS_PAGE.format(code=30034)),
    Check("10dlc-campaign-failed", ERROR, "the A2P 10DLC campaign failed review (30034)", A2P_PAGE),
    Check("10dlc-campaign-in-review", ERROR, "the A2P 10DLC campaign is still in review: US long codes are blocked (30034)",
          A2P_PAGE),
    Check("10dlc-brand-not-approved", ERROR, "the campaign's brand is not APPROVED", A2P_PAGE),
    Check("10dlc-sole-proprietor-unverified", ERROR, "the sole proprietor brand is not verified", A2P_PAGE),
    Check("10dlc-sole-proprietor-numbers", ERROR, "a sole proprietor campaign may use one number only", A2P_PAGE),
    Check("tollfree-unverified", ERROR, "toll-free numbers without an approved verification (30032)",
          ERRORS_PAGE.format(code=30032)),
    Check("tollfree-rejected", ERROR, "a toll-free verification was rejected (30032 until it is approved)",
          "https://www.twilio.com/docs/messaging/compliance/toll-free/api-onboarding"),
    Check("pool-near-limit", WARNING, "the sender pool is at 380 or more of its 400 numbers and short codes",
          ERRORS_PAGE.format(code=21714)),
    Check("inbound-dropped", WARNING, "no inbound request URL and the numbers' webhooks are not used: replies are dropped",
          SERVICE_PAGE),
    Check("number-webhook-missing", WARNING, "the numbers' webhooks are used, and some number has none",
          SERVICE_PAGE),
    Check("webhook-url-unsafe", WARNING, "a webhook URL is plain http, local or malformed",
          "https://www.twilio.com/docs/usage/webhooks/webhooks-security"),
    Check("no-status-callback", INFO, "no status callback: failures arrive only asynchronously",
          "https://www.twilio.com/docs/messaging/guides/track-outbound-message-status"),
    Check("obsolete-field", WARNING, "an obsolete or reserved field is set", SERVICE_PAGE),
    Check("geomatch-few-long-codes", WARNING, "area code geomatch with fewer than two long codes",
          "https://www.twilio.com/docs/messaging/services"),
    Check("geomatch-short-code", INFO, "area code geomatch with a US short code, which takes priority",
          "https://www.twilio.com/docs/messaging/services"),
    Check("channel-sender-offline", ERROR, "a channel sender of the service is not ONLINE",
          "https://www.twilio.com/docs/whatsapp/api/senders"),
    *(Check(f"alerts-{code}", severity, ALERT_TITLES[code], ERRORS_PAGE.format(code=code))
      for code, severity in ALERT_CODES.items()),
    Check("10dlc-verified-but-30034", ERROR, "the campaign is VERIFIED and messages still fail with 30034",
          ERRORS_PAGE.format(code=30034)),
    Check("sender-left-in-no-service", ERROR, "a move msgsvc did not finish left a sender in no service",
          "https://www.twilio.com/docs/messaging/services"),
)


@dataclass(frozen=True)
class Finding:
    severity: str
    service: str  # the service's SID
    check: str  # an id of CHECKS
    evidence: tuple[tuple[str, Any], ...]  # (field, value) in a fixed order
    fix: str | None = None
    source: str = ""
    service_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The --json form: stable keys, evidence as an object in its order."""
        return {
            "severity": self.severity,
            "service": self.service,
            "service_name": self.service_name,
            "check": self.check,
            "title": CHECKS[self.check].title,
            "evidence": dict(self.evidence),
            "fix": self.fix,
            "source": self.source,
        }

    def evidence_text(self) -> str:
        """`us_long_codes=3 campaign=none`: each value as text, lists joined by commas, text
        with spaces quoted."""
        return " ".join(f"{name}={_text(value)}" for name, value in self.evidence)


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value) or "none"
    text = str(value)
    if not text or any(c.isspace() or c in "\"'" for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def finding(check: str, service: dict, evidence: Iterable[tuple[str, Any]], fix: str | None = None) -> Finding:
    """A finding of CHECKS[check] about `service` (a record as the API sends it)."""
    known = CHECKS[check]
    return Finding(known.severity, str(service.get("sid")), check, tuple(evidence), fix, known.source,
                   service.get("friendly_name"))


def worst(findings: Iterable[Finding]) -> str | None:
    """The worst severity among the findings, None when there are none."""
    ranks = [RANK[f.severity] for f in findings]
    return SEVERITIES[min(ranks)] if ranks else None


def ordered(findings: Iterable[Finding], services: list[str]) -> list[Finding]:
    """By service (in the order read), then from the worst, then by the checks' order."""
    place = {sid: i for i, sid in enumerate(services)}
    order = {cid: i for i, cid in enumerate(CHECKS)}
    return sorted(findings, key=lambda f: (place.get(f.service, len(place)), RANK[f.severity], order[f.check]))
