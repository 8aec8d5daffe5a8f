"""2010 Messages in the emulator: create (through a Messaging Service, or from one of the
account's numbers), fetch, list with its filters (To, From, DateSent, DateSent<, DateSent>),
and cancel a scheduled message (POST Status=canceled).

The lifecycle, deterministic, on the store's own clock (`store.clock`, wall seconds; tests
replace it with a fake one): a message sent through a service is `accepted`, then `queued`,
`sending`, `sent` and `delivered` at `store.message_steps` seconds after it was created
(from `SendAt` for a scheduled message, `scheduled` until then). Status moves when the
message is read, so no thread is needed and a state file keeps it across restarts. Its
outcome is decided when it is created:

- the sender: sticky sender (the one that last sent to this recipient from this service,
  when the service's StickySender is on), then area code geomatch (a +1 number with the
  recipient's area code, when AreaCodeGeomatch is on), then a number of the recipient's
  country, then a short code of that country, then the service's alpha sender, then any
  number of the pool; a service with no sender is refused at once (21704);
- documented failing destinations (the emulator's, in `DESTINATIONS`): +15005550001 fails
  with 21211 (invalid To), +15005550004 with 21610 (opted out), +15005550030, +15005550050
  and +15005550070 end undelivered with 30003, 30005 and 30007;
- the service's compliance: a US recipient sent from a US 10DLC long code of a service without
  a VERIFIED campaign fails with 30034; from a toll-free number without an approved
  verification, 30032;
- a ValidityPeriod shorter than the time to `sending` fails with 30036.

A failed message's date_sent is when it failed (the DateSent filters find it). Failures are
recorded as Monitor alerts (emulator/monitor.py), dated when they happen.
Segments are counted from the body (msgsvc.api.messages.segments); the price is
-0.0079 USD a segment, set once the message is sent.
"""

from __future__ import annotations

import re
import time
from calendar import timegm
from typing import TYPE_CHECKING, Any

from msgsvc.api import messages as rules
from msgsvc.api.tollfree import approved, is_toll_free
from msgsvc.api.validate import E164, is_sid
from msgsvc.emulator.errors import Fault, invalid, missing, not_found
from msgsvc.emulator.model import new_sid
from msgsvc.emulator.routing import Call, Response, rfc2822, route, v2010_page

if TYPE_CHECKING:
    from msgsvc.emulator.store import Store

# Seconds after a message is created (or its SendAt) at which it is queued, sending, sent, delivered:
# store.message_steps (store.py), which tests may change.
PRICE_PER_SEGMENT = "0.0079"

# (status it ends in, error code, the step at which it fails)
DESTINATIONS = {
    "+15005550001": ("failed", 21211, "queued"),
    "+15005550004": ("failed", 21610, "queued"),
    "+15005550030": ("undelivered", 30003, "delivered"),
    "+15005550050": ("undelivered", 30005, "delivered"),
    "+15005550070": ("undelivered", 30007, "delivered"),
}
ERROR_MESSAGES = {
    21211: "Invalid 'To' Phone Number",
    21610: "Attempt to send to unsubscribed recipient",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30007: "Message filtered",
    30032: "Toll-Free Number Has Not Been Verified",
    30034: "Message from an Unregistered Number",
    30036: "Validity Period Expired",
}
NO_SENDER = 21704  # "The Messaging Service contains no phone numbers"
NOT_CANCELABLE = 30409  # an assumption: Twilio's sources do not name the code of this refusal
BAD_SCHEDULE = 35114  # "Scheduling does not support this timestamp"
BAD_SCHEDULE_TYPE = 35111  # ScheduleType without SendAt, or SendAt without ScheduleType
_LIST_KEY = 10**15  # listing keys count down from here: newest first


def table(store: Store) -> dict[str, dict[str, Any]]:
    """The account's messages (a state file from before them gets the table now); lock held."""
    return store.data.setdefault("messages", {})


def _now(store: Store) -> float:
    return store.clock()


# --- choosing the sender -------------------------------------------------------------------


def _pool(store: Store, service_sid: str) -> list[tuple[str, str, str]]:
    """(kind, address, country) of each sender of the service, in the order they joined it."""
    data = store.data
    found = []
    for table_name, kind, key in (("numbers", "number", "phone_number"), ("short_codes", "short_code", "short_code")):
        for r in data[table_name].values():
            if r["service_sid"] == service_sid:
                found.append((r.get("attach_seq") or 0, kind, r[key], r.get("country_code") or ""))
    found.sort()
    pool = [(kind, address, country) for _, kind, address, country in found]
    for r in sorted(data["alpha_senders"].values(), key=lambda r: r["seq"]):
        if r["service_sid"] == service_sid:
            pool.append(("alpha", r["alpha_sender"], ""))
    return pool


def pick_sender(store: Store, service: dict[str, Any], to: str) -> str:
    """The sender Twilio's rules pick for `to` (see the module docstring); lock held."""
    pool = _pool(store, service["sid"])
    if not pool:
        raise invalid(f"The Messaging Service {service['sid']} contains no phone numbers, short codes or alpha senders", NO_SENDER)
    addresses = [address for _, address, _ in pool]
    sticky = store.data.setdefault("sticky_senders", {}).get(f"{service['sid']}:{to}")
    if service.get("sticky_sender") and sticky in addresses:
        return sticky
    country = rules.country_of(to)
    numbers = [(address, c) for kind, address, c in pool if kind == "number"]
    if service.get("area_code_geomatch") and to.startswith("+1") and len(to) == 12:
        for address, _ in numbers:
            if address.startswith(to[:5]):
                return address
    for address, c in numbers:
        if c and c == country:
            return address
    for kind, address, c in pool:
        if kind == "short_code" and c == country:
            return address
    for kind, address, _ in pool:
        if kind == "alpha":
            return address
    return addresses[0]


# --- compliance --------------------------------------------------------------------------------


def _compliance_failure(store: Store, service_sid: str | None, sender: str, to: str) -> int | None:
    """30034 or 30032 when the service's compliance state blocks this US message; lock held."""
    if rules.country_of(to) != "US":
        return None
    if is_toll_free(sender):
        number = next((r for r in store.data["numbers"].values() if r["phone_number"] == sender), None)
        verifications = [v for v in store.data.get("tollfree_verifications", {}).values()
                         if number is not None and v.get("tollfree_phone_number_sid") == number["sid"]]
        latest = max(verifications, key=lambda v: v.get("seq", 0), default=None)
        return None if approved(latest) else 30032
    if rules.is_us_long_code(sender):
        from msgsvc.emulator.a2p import has_verified_campaign

        return None if service_sid and has_verified_campaign(store, service_sid) else 30034
    return None


def _plan(store: Store, record: dict[str, Any], start: float, validity: int | None) -> None:
    """Decide the message's statuses and their times, and how it ends (lock held)."""
    steps = store.message_steps
    first = "accepted" if record["service_sid"] else "queued"
    plan = [(first, start)] + [(s, start + steps[s]) for s in ("queued", "sending", "sent", "delivered") if s != first]
    ending = DESTINATIONS.get(record["to"])
    compliance = _compliance_failure(store, record["service_sid"], record["from"], record["to"])
    failure: tuple[str, int, str] | None = None
    if ending is not None and ending[2] == "queued":
        failure = ending
    elif validity is not None and validity < steps["sending"]:
        failure = ("failed", 30036, "sending")
    elif compliance is not None:
        failure = ("failed", compliance, "sending")
    elif ending is not None:
        failure = ending
    if failure is not None:
        status, code, step = failure
        cut = next(i for i, (s, _) in enumerate(plan) if s == step)
        plan = plan[:cut] + [(status, plan[cut][1])]
        record["error_code"] = code
    record["plan"] = [[status, at] for status, at in plan]


def _settle(store: Store, record: dict[str, Any], now: float) -> None:
    """Move a message on along its plan (lock held); the first failure is recorded as an alert."""
    if record["status"] == "canceled":
        return
    reached = [(status, at) for status, at in record["plan"] if at <= now]
    if not reached:  # scheduled, not due yet
        return
    current = reached[-1][0]
    # date_sent: when it left, or when it failed (the DateSent filters find failures too)
    record["sent"] = next((at for status, at in reached if status in ("sent", "failed")), None)
    if current != record["status"]:
        record["status"] = current
        record["updated"] = now
        if current in ("failed", "undelivered") and not record.get("alerted"):
            record["alerted"] = True
            _alert(store, record)
        store.changed()


def _alert(store: Store, record: dict[str, Any]) -> None:
    from msgsvc.emulator import monitor

    failed_at = record["plan"][-1][1]
    monitor.record_alert(store, record["error_code"], service_sid=record["service_sid"],
                         resource_sid=record["sid"], when=failed_at)


# --- create, fetch, list, cancel ----------------------------------------------------------------


def _send_at(form: dict[str, str], now: float) -> float | None:
    schedule_type, send_at = form.get("ScheduleType"), form.get("SendAt")
    if schedule_type is None and send_at is None:
        return None
    if schedule_type != "fixed" or not send_at:
        raise invalid("ScheduleType must be fixed, and SendAt given, for a scheduled message", BAD_SCHEDULE_TYPE)
    if not form.get("MessagingServiceSid"):
        raise invalid("A scheduled message must be sent through a Messaging Service (MessagingServiceSid)", 35118)
    moment = None
    for shape in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S+00:00"):
        try:
            moment = float(timegm(time.strptime(send_at, shape)))
            break
        except ValueError:
            continue
    if moment is None or not rules.SCHEDULE_RANGE[0] <= moment - now <= rules.SCHEDULE_RANGE[1]:
        raise invalid(f"SendAt {send_at!r} must be an ISO 8601 time between 15 minutes and 35 days from now", BAD_SCHEDULE)
    return moment


def create(store: Store, form: dict[str, Any]) -> dict[str, Any]:
    """A new message, as Twilio answers its create (accepted through a service)."""
    to = form.get("To")
    if not to:
        raise missing("To")
    if not E164.fullmatch(to):
        raise invalid(f"The 'To' number {to} is not a valid phone number.", 21211)
    body, media = form.get("Body"), form.get("MediaUrl")
    media = media if isinstance(media, list) else [media] if media else []
    if not body and not media and not form.get("ContentSid"):
        raise invalid("Message body is required.", 21602)
    if body and len(body) > rules.MAX_BODY:
        raise invalid(f"The concatenated message body exceeds the {rules.MAX_BODY} character limit.", 21617)
    validity = form.get("ValidityPeriod")
    if validity is not None:
        if not re.fullmatch(r"\d{1,5}", validity) or not 1 <= int(validity) <= rules.MAX_VALIDITY:
            raise invalid(f"ValidityPeriod must be between 1 and {rules.MAX_VALIDITY}")
        validity = int(validity)
    service_sid, sender = form.get("MessagingServiceSid"), form.get("From")
    with store.lock:
        now = _now(store)
        send_at = _send_at(form, now)
        if service_sid:
            service = store.data["services"].get(service_sid) if is_sid(service_sid, "MG") else None
            if service is None:
                raise invalid(f"The Messaging Service {service_sid} was not found", 21701)
            sender = sender or pick_sender(store, service, to)
        elif not sender:
            raise invalid("A 'From' phone number or a MessagingServiceSid is required.", 21603)
        elif not any(r["phone_number"] == sender for r in store.data["numbers"].values()):
            raise invalid(f"The From phone number {sender} is not a valid, SMS-capable inbound phone number or short code for your account.", 21606)
        if form.get("ContentSid") and not body:
            body = f"(content {form['ContentSid']})"
        record = {
            "sid": new_sid("SM"), "seq": store._next_seq(), "to": to, "from": sender, "body": body or "",
            "service_sid": service_sid or None, "num_media": len(media), "created": now, "updated": now,
            "sent": None, "error_code": None, "status": "scheduled" if send_at else None,
            "num_segments": rules.segments(body or "").count,
        }
        _plan(store, record, send_at or now, validity)
        if record["status"] is None:
            record["status"] = record["plan"][0][0]
        table(store)[record["sid"]] = record
        if service_sid:
            store.data.setdefault("sticky_senders", {})[f"{service_sid}:{to}"] = sender
        store.changed()
        return dict(record)


def _message(store: Store, sid: str, path: str) -> dict[str, Any]:
    record = table(store).get(sid) if is_sid(sid, "SM") else None
    if record is None:
        raise not_found(path)
    _settle(store, record, _now(store))
    return record


def fetch(store: Store, sid: str, path: str) -> dict[str, Any]:
    with store.lock:
        return dict(_message(store, sid, path))


def cancel(store: Store, sid: str, form: dict[str, Any], path: str) -> dict[str, Any]:
    status = form.get("Status")
    if status is None:
        from msgsvc.emulator.routing import Request, not_emulated

        raise not_emulated(Request("POST", path))  # redacting a body (Body="") is not emulated
    if status != "canceled":
        raise invalid(f"Status must be canceled: {status!r}")
    with store.lock:
        record = _message(store, sid, path)
        if record["status"] != "scheduled":
            raise invalid(f"Message {sid} is {record['status']}: only a scheduled message can be canceled", NOT_CANCELABLE)
        record.update(status="canceled", updated=_now(store))
        store.changed()
        return dict(record)


def _day(name: str, value: str) -> float:
    try:
        return float(timegm(time.strptime(value, "%Y-%m-%d")))
    except ValueError:
        raise invalid(f"{name} must be a date, YYYY-MM-DD: {value!r}") from None


def listing(store: Store, query: dict[str, str]) -> list[dict[str, Any]]:
    """The account's messages, newest first, filtered as the definition's ListMessage says:
    To and From exactly, DateSent on its day (UTC), DateSent< and DateSent> before and after."""
    to, sender = query.get("To") or None, query.get("From") or None
    bounds = []
    if query.get("DateSent"):
        day = _day("DateSent", query["DateSent"])
        bounds += [(lambda t, d=day: t >= d), (lambda t, d=day: t < d + 86400)]
    if query.get("DateSent>"):
        after = _day("DateSent>", query["DateSent>"])
        bounds.append(lambda t, d=after: t >= d)
    if query.get("DateSent<"):
        before = _day("DateSent<", query["DateSent<"])
        bounds.append(lambda t, d=before: t < d + 86400)
    with store.lock:
        now = _now(store)
        found = []
        for record in table(store).values():
            if (to is not None and record["to"] != to) or (sender is not None and record["from"] != sender):
                continue
            _settle(store, record, now)
            if bounds and (record["sent"] is None or not all(test(record["sent"]) for test in bounds)):
                continue
            found.append(dict(record))
    return sorted(found, key=lambda r: -r["seq"])


def render(r: dict[str, Any], account_sid: str) -> dict[str, Any]:
    """A message as the definition's api.v2010.account.message, every key in its order."""
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{r['sid']}"
    sent = r["status"] in ("sent", "delivered", "undelivered", "read")
    code = r["error_code"] if r["status"] in ("failed", "undelivered") else None
    return {
        "body": r["body"],
        "num_segments": str(r["num_segments"]),
        "direction": "outbound-api",
        "from": None if r["status"] == "accepted" else r["from"],  # Twilio picks the sender once queued
        "to": r["to"],
        "date_updated": rfc2822(r["updated"]),
        "price": f"-{float(PRICE_PER_SEGMENT) * r['num_segments']:.5f}" if sent else None,
        "error_message": ERROR_MESSAGES.get(code) if code else None,
        "uri": uri + ".json",
        "account_sid": account_sid,
        "num_media": str(r["num_media"]),
        "status": r["status"],
        "messaging_service_sid": r["service_sid"],
        "sid": r["sid"],
        "date_sent": rfc2822(r["sent"]),
        "date_created": rfc2822(r["created"]),
        "error_code": code,
        "price_unit": "USD" if sent else None,
        "api_version": "2010-04-01",
        "subresource_uris": {"media": uri + "/Media.json"},
    }


# --- routing -----------------------------------------------------------------------------------


def _own_account(call: Call) -> None:
    from msgsvc.emulator.routing import unauthorized

    if call.match.group("account") != call.account:
        raise unauthorized("Authenticate")


def _form(call: Call) -> dict[str, Any]:
    from msgsvc.api.resources import form_dict

    return form_dict(call.request.pairs) if call.request.pairs is not None else dict(call.request.form)


def _create(call: Call) -> Response:
    _own_account(call)
    record = create(call.store, _form(call))
    return Response(201, render(record, call.account), "CreateMessage")


def _list(call: Call) -> Response:
    _own_account(call)
    q = call.request.query
    records = listing(call.store, q)
    for r in records:
        r["list_seq"] = _LIST_KEY - r["seq"]
    filters = [(name, q[name]) for name in ("To", "From", "DateSent", "DateSent<", "DateSent>") if q.get(name)]
    return Response(200, v2010_page("messages", records, lambda r: render(r, call.account), call.request, filters,
                                    order="list_seq"), "ListMessage")


def _fetch(call: Call) -> Response:
    _own_account(call)
    record = fetch(call.store, call.match.group("sid"), call.request.path)
    return Response(200, render(record, call.account), "FetchMessage")


def _update(call: Call) -> Response:
    _own_account(call)
    record = cancel(call.store, call.match.group("sid"), _form(call), call.request.path)
    return Response(200, render(record, call.account), "UpdateMessage")


def register_routes() -> None:
    account = r"^/2010-04-01/Accounts/(?P<account>[^/]+)"
    route(account + r"/Messages\.json$", {"GET": _list, "POST": _create})
    route(account + r"/Messages/(?P<sid>[^/]+)\.json$", {"GET": _fetch, "POST": _update}, ("DELETE",))
