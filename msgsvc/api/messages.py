"""Messages of the 2010 API (`/2010-04-01/Accounts/{AC}/Messages.json`): what `send` may ask
for, the statuses a message goes through, how many segments a body takes, the country of a
destination, what an error code means and which msgsvc command addresses it, and following a
message until it settles. The one home of those rules: the commands (`send`, `messages`) and
the emulator ask it.

A message is sent through a Messaging Service (MessagingServiceSid, never a From): Twilio
picks the sender from the service's pool. Nothing of the terminal here.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from msgsvc.api import validate
from msgsvc.api.resources import KEEP, TRUNCATE, Column, Field

validate.SID_NAMES.setdefault("SM", "a message SID")

# --- statuses --------------------------------------------------------------------------------

ACCEPTED, SCHEDULED, QUEUED, SENDING, SENT = "accepted", "scheduled", "queued", "sending", "sent"
DELIVERED, UNDELIVERED, FAILED, READ, CANCELED = "delivered", "undelivered", "failed", "read", "canceled"
FINAL = (DELIVERED, UNDELIVERED, FAILED, READ, CANCELED)
FAILURES = (FAILED, UNDELIVERED)  # what `messages failures` reports
# The lifecycle of an outbound message sent through a service, in order.
LIFECYCLE = (ACCEPTED, QUEUED, SENDING, SENT, DELIVERED)

# --- what `send` may ask for ---------------------------------------------------------------

MAX_BODY = 1600  # characters: Twilio refuses a longer body (21617)
MAX_MEDIA = 10  # MediaUrl values per message
MAX_VALIDITY = 36000  # seconds: ValidityPeriod from 1 to 36000 (the definition)


def _content_sid(value: str) -> str:
    return validate.sid(value, "HX")


def _json_object(value: str) -> str:
    import json

    try:
        parsed = json.loads(value)
    except ValueError:
        raise ValueError(f"{value!r} is not JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError("it is not a JSON object such as {\"1\": \"Ada\"}")
    return value


SEND_FIELDS = (
    Field("To", "text", "The recipient, in E.164 (+14155550100; spaces, dashes and parentheses after the '+' "
          "are ignored).", check=validate.phone_number),
    Field("Body", "text", f"The text of the message, up to {MAX_BODY} characters.", minimum=1, maximum=MAX_BODY),
    Field("MediaUrl", "url", f"A public URL of media to send (MMS); up to {MAX_MEDIA} of them.",
          many=True, count=(1, MAX_MEDIA), name="media-url"),
    Field("ContentSid", "text", "A Content Template (HX...) to send instead of a body.", check=_content_sid),
    Field("ContentVariables", "text", "The template's variables, a JSON object: '{\"1\": \"Ada\"}'.",
          check=_json_object),
    Field("ValidityPeriod", "int", f"Seconds the message may wait in Twilio's queue (1 to {MAX_VALIDITY}).",
          minimum=1, maximum=MAX_VALIDITY),
    Field("ShortenUrls", "bool", "Shorten the links of the body (Twilio's link shortening on the service's domain)."),
    Field("SendAt", "text", "When to send it (ISO 8601, UTC).", name="schedule"),
    Field("ScheduleType", "choice", "fixed: a scheduled message (with SendAt).", ("fixed",)),
)
SEND_BY_WIRE = {f.wire: f for f in SEND_FIELDS}


SCHEDULE_RANGE = (15 * 60, 35 * 86400)  # seconds ahead a scheduled message may be sent: 15 minutes to 35 days


def schedule_time(text: str, now: float | None = None) -> str:
    """SendAt for `--schedule`: an ISO 8601 time (`2026-12-08T09:00:00Z`, `2026-12-08T10:00+01:00`;
    UTC without an offset) as Twilio takes it, in UTC; ValueError unless it is 15 minutes to
    35 days from `now`."""
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time such as 2026-12-08T09:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    ahead = moment.timestamp() - (time.time() if now is None else now)
    if not SCHEDULE_RANGE[0] <= ahead <= SCHEDULE_RANGE[1]:
        raise ValueError(f"{text!r} is not between 15 minutes and 35 days from now: Twilio schedules only within that")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def send_form(service_sid: str, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The form of a send, from {wire name: value}: To first, then MessagingServiceSid, then
    the rest in the declaration's order. Never a From: Twilio picks the sender."""
    pairs: list[tuple[str, str]] = [("To", str(values["To"])), ("MessagingServiceSid", service_sid)]
    for field in SEND_FIELDS[1:]:
        value = values.get(field.wire)
        if value is not None:
            pairs.extend((field.wire, text) for text in field.to_wire(value))
    return pairs


def messages_path(account_sid: str) -> str:
    return f"/2010-04-01/Accounts/{account_sid}/Messages.json"


def message_path(account_sid: str, sid: str) -> str:
    return f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"


# The views: `messages get` shows every key; `messages failures` its groups.
KEYS = (
    "body", "num_segments", "direction", "from", "to", "date_updated", "price", "error_message", "uri",
    "account_sid", "num_media", "status", "messaging_service_sid", "sid", "date_sent", "date_created",
    "error_code", "price_unit", "api_version", "subresource_uris",
)
FAILURE_COLUMNS = (
    Column("CODE", "error_code", fit=KEEP),
    Column("COUNTRY", "country", fit=KEEP),
    Column("FROM", "from", fit=KEEP),
    Column("COUNT", "count", fit=KEEP),
    Column("SAMPLES", "samples", fit=TRUNCATE, drop=1),
)

# --- segments ----------------------------------------------------------------------------------

# The GSM 03.38 default alphabet, and its extension table (each of those takes two septets).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_BASIC, _EXTENDED = frozenset(GSM7_BASIC), frozenset(GSM7_EXTENDED)


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    count: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)


def segments(body: str) -> Segments:
    """How many SMS segments `body` takes: GSM-7 when every character is in the GSM alphabet
    (160 septets in one segment, 153 in each of several; an extension character takes two),
    UCS-2 otherwise (70 UTF-16 code units, 67 each of several). An empty body is one segment."""
    if all(c in _BASIC or c in _EXTENDED for c in body):
        units = sum(2 if c in _EXTENDED else 1 for c in body)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    count = 1 if units <= single else -(-units // multi)
    return Segments(encoding, count, units)


# --- destinations -----------------------------------------------------------------------------

# Calling codes -> ISO country, for grouping failures (longest prefix first). NANP (+1) is
# shown as US: telling Canada and the Caribbean apart needs the area code's table.
CALLING_CODES = {
    "1": "US", "7": "RU", "20": "EG", "27": "ZA", "30": "GR", "31": "NL", "32": "BE", "33": "FR", "34": "ES",
    "36": "HU", "39": "IT", "40": "RO", "41": "CH", "43": "AT", "44": "GB", "45": "DK", "46": "SE", "47": "NO",
    "48": "PL", "49": "DE", "51": "PE", "52": "MX", "54": "AR", "55": "BR", "56": "CL", "57": "CO", "60": "MY",
    "61": "AU", "62": "ID", "63": "PH", "64": "NZ", "65": "SG", "66": "TH", "81": "JP", "82": "KR", "84": "VN",
    "86": "CN", "90": "TR", "91": "IN", "92": "PK", "234": "NG", "254": "KE", "351": "PT", "353": "IE",
    "358": "FI", "420": "CZ", "852": "HK", "971": "AE", "972": "IL", "966": "SA",
}


def country_of(number: str | None) -> str:
    """The ISO country of an E.164 number by its calling code ("US" for +1), "" if unknown
    (a short code, an alphanumeric sender, a channel address)."""
    if not number or not re.fullmatch(r"\+\d{6,15}", number):
        return ""
    digits = number[1:]
    for length in (3, 2, 1):
        found = CALLING_CODES.get(digits[:length])
        if found:
            return found
    return ""


def is_us_long_code(number: str | None) -> bool:
    """A US/Canadian 10-digit number that is not toll-free: its US traffic needs A2P 10DLC."""
    from msgsvc.api.tollfree import is_toll_free

    return bool(number and re.fullmatch(r"\+1\d{10}", number)) and not is_toll_free(number)


# --- error codes: what they mean, and what addresses them ---------------------------------


@dataclass(frozen=True)
class Explanation:
    cause: str
    remedy: str  # what to do; "{service}" stands for the service's SID


EXPLANATIONS: dict[int, Explanation] = {
    30034: Explanation(
        "message from an unregistered number: US traffic from a 10DLC long code needs a VERIFIED A2P 10DLC campaign on its service",
        "register the service's campaign: msgsvc campaigns get {service} (and msgsvc campaigns create {service} --from-file campaign.toml)"),
    30032: Explanation(
        "the toll-free number has not been verified: US and Canadian carriers block toll-free traffic without an approved verification",
        "verify the number: msgsvc tollfree status"),
    21610: Explanation(
        "the recipient opted out of this service (replied STOP): Twilio sends them nothing more from it",
        "nothing to fix on the service: only the recipient can opt in again, by replying START"),
    30007: Explanation(
        "carrier filtering: a carrier blocked the message as unwanted (spam, content not matching the registered use case)",
        "check that the content matches the campaign's samples and use case: msgsvc campaigns get {service}"),
    30036: Explanation(
        "validity period expired: the message waited in Twilio's queue longer than its validity period",
        "send with a longer --validity-period, or raise the service's: msgsvc services update {service} --validity-period 36000"),
    30003: Explanation("unreachable destination handset: switched off or out of coverage", "try again later"),
    30005: Explanation("unknown destination handset: the number does not exist or is no longer in service",
                       "check the number with the recipient"),
    21211: Explanation("invalid 'To' phone number", "check the number: it must be a valid E.164 number"),
}


def explain(code: Any, service_sid: str = "SERVICE") -> tuple[str, str] | None:
    """(cause, remedy) of a Twilio error code, the remedy naming `service_sid`; None if unknown."""
    try:
        found = EXPLANATIONS.get(int(code))
    except (TypeError, ValueError):
        return None
    if found is None:
        return None
    return found.cause, found.remedy.format(service=service_sid)


# --- following a message -------------------------------------------------------------------

MAX_WAIT = 24 * 3600  # seconds: Twilio drops a queued message after its validity period (10 h at most)
FIRST_POLL = 1.0  # seconds before the second look; doubled each time, up to LAST_POLL
LAST_POLL = 30.0


class Clock:
    """Time for a wait: `now()` (monotonic seconds) and `sleep(seconds)`. Tests replace
    CLOCK with a fake one that moves only when slept on."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


CLOCK = Clock()


class StillWaiting(Exception):
    """The message had not settled when the time was up (`message` as last seen)."""

    def __init__(self, message: dict) -> None:
        super().__init__(message.get("status"))
        self.message = message


def settled(message: Mapping[str, Any]) -> bool:
    return message.get("status") in FINAL


def wait_for_message(
    fetch: Callable[[], dict], *, timeout: float,
    on_change: Callable[[dict, float], None] = lambda message, elapsed: None,
    clock: Clock | None = None,
) -> dict:
    """Fetch the message until its status is final and return it; `on_change(message, elapsed)`
    for the first look and each change of status. Looks back off: 1 s, 2 s, 4 s ... up to 30 s
    between two (the last one cut to what is left of `timeout`); StillWaiting once `timeout`
    seconds have passed. One fetch at once."""
    clock = clock or CLOCK
    started = clock.now()
    interval = FIRST_POLL
    last: Any = object()
    while True:
        message = fetch()
        elapsed = clock.now() - started
        if message.get("status") != last:
            last = message.get("status")
            on_change(message, elapsed)
        if settled(message):
            return message
        left = timeout - elapsed
        if left <= 0:
            raise StillWaiting(message)
        clock.sleep(min(interval, left))
        interval = min(interval * 2, LAST_POLL)


def outcome(message: Mapping[str, Any]) -> str:
    """"ok" (delivered, read), "failed" (failed, undelivered, canceled), or "pending"."""
    status = message.get("status")
    if status in (DELIVERED, READ):
        return "ok"
    if status in (FAILED, UNDELIVERED, CANCELED):
        return "failed"
    return "pending"


# --- reading messages --------------------------------------------------------------------------


def fetch_message(client: Any, sid: str) -> dict:
    """GET one message (the core API's host)."""
    from msgsvc.api.transport import CORE

    return client.fetch_object("GET", message_path(client.account_sid, sid), product=CORE)


def list_messages(client: Any, params: Mapping[str, Any], *, limit: int | None = None) -> Any:
    """The account's messages, newest first, filtered by To, From or DateSent (the only
    filters the API has), 1,000 a page."""
    from msgsvc.api.pages import paginate
    from msgsvc.api.transport import CORE

    return paginate(client, messages_path(client.account_sid), "messages", product=CORE, params=dict(params), limit=limit)
