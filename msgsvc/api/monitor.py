"""Monitor alerts: what Twilio records when something goes wrong on the account (a message
refused with 30034, a webhook that answered 500: 11200, ...), at monitor.twilio.com/v1/Alerts.

An alert carries the `error_code` (a string: "30034"), the `service_sid` of the Messaging
Service it concerns (when it concerns one) and the `resource_sid` of the message. The list
is account-wide, filtered by date (`StartDate`, at most 30 days back) and log level; it cannot
be filtered by service, so a reader lists once and groups (msgsvc doctor --since).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from msgsvc.api.resources import KEEP, SID, Column, Resource

MONITOR = "monitor"  # the product of the host: monitor.twilio.com (transport.host_url)
LOG_LEVELS = ("error", "warning", "notice", "debug")
MAX_AGE = timedelta(days=30)  # Twilio answers no query for alerts older than this

ALERT = Resource(
    name="alert",
    noun="alerts",
    what="Monitor alert",
    path="Alerts",
    list_key="alerts",
    prefix="NO",
    product=MONITOR,
    columns=(
        SID,
        Column("CODE", "error_code", fit=KEEP),
        Column("SERVICE", "service_sid", fit=KEEP, drop=2),
        Column("GENERATED", "date_generated", fit=KEEP, drop=1, timestamp=True),
    ),
    # The keys of the list's objects, in the definition's order (a fetch adds the request's
    # and response's details).
    keys=(
        "account_sid", "alert_text", "api_version", "date_created", "date_generated", "date_updated",
        "error_code", "log_level", "more_info", "request_method", "request_url", "resource_sid", "sid",
        "url", "service_sid",
    ),
)


def start_date(moment: datetime) -> str:
    """`StartDate` as the definition asks for it: GMT, YYYY-MM-DDThh:mm:ssZ."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_look_back(text: str) -> timedelta:
    """`7d`, `24h`, `90m`, `1h30m` (a2p.parse_duration, plus days): how far back to look,
    at most 30 days; ValueError with a sentence otherwise."""
    from msgsvc.api.a2p import parse_look_back as seconds_back

    age = timedelta(seconds=seconds_back(text))
    if age <= timedelta(0):
        raise ValueError(f"{text!r}: the look back must be longer than nothing")
    if age > MAX_AGE:
        raise ValueError(f"Monitor keeps alerts for {MAX_AGE.days} days; look back at most {MAX_AGE.days}d")
    return age


def since(now: datetime, age: timedelta) -> datetime:
    """The start of a look back of `age` from `now`, within what Twilio keeps (30 days)."""
    if age > MAX_AGE:
        raise ValueError(f"Monitor keeps alerts for {MAX_AGE.days} days; look back at most {MAX_AGE.days}d")
    return now - age
