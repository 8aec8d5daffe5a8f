"""Monitor alerts in the emulator: the account's alerts (monitor.twilio.com/v1/Alerts, list
and fetch) and `record_alert`, which the rest of the emulator calls when something fails the
way Twilio would report it (a message refused with 30034, say), so that `msgsvc doctor --since`
finds it. Seeded alerts (emulator/unhealthy.py) are recorded the same way.

The list is the account's, oldest first, filtered by `StartDate`/`EndDate` (GMT, YYYY-MM-DD
or YYYY-MM-DDThh:mm:ssZ, the day's start for a date) and `LogLevel`, paged as Messaging v1
pages (`meta`); Events are not emulated.
"""

from __future__ import annotations

import time
from calendar import timegm
from typing import TYPE_CHECKING, Any

from msgsvc.api.validate import is_sid
from msgsvc.emulator.errors import invalid, not_found
from msgsvc.emulator.model import new_sid
from msgsvc.emulator.routing import Call, Response, iso, page_window, route, v1_page

if TYPE_CHECKING:
    from msgsvc.emulator.store import Store

# The alert text Twilio writes for the codes the emulator produces (Twilio's own texts are
# longer, URL-encoded key=value lists; these keep their meaning).
ALERT_TEXTS = {
    "30034": "Message from an Unregistered Number: the US long code is not in a verified A2P 10DLC campaign",
    "30032": "Toll-Free Number Has Not Been Verified",
    "30007": "Message filtered by the carrier",
    "21610": "Attempt to send to unsubscribed recipient",
    "11200": "HTTP retrieval failure: the webhook did not answer 2xx",
}
MORE_INFO = "https://www.twilio.com/docs/api/errors/{code}"


def alerts(store: Store) -> dict[str, dict[str, Any]]:
    """The account's alerts (a state file from before them gets the table now)."""
    return store.data.setdefault("alerts", {})


def record_alert(
    store: Store,
    error_code: str | int,
    *,
    service_sid: str | None = None,
    resource_sid: str | None = None,
    text: str | None = None,
    request_url: str | None = None,
    log_level: str = "error",
    when: float | None = None,
) -> dict[str, Any]:
    """Record an alert, as Twilio does when a message fails (`resource_sid`: the message's
    SM... SID, `service_sid`: its Messaging Service); the alert as stored."""
    code = str(error_code)
    moment = time.time() if when is None else when
    with store.lock:
        table = alerts(store)
        record = {
            "sid": new_sid("NO"),
            "seq": store._next_seq(),
            "error_code": code,
            "log_level": log_level,
            "alert_text": text or ALERT_TEXTS.get(code, f"Error {code}"),
            "service_sid": service_sid,
            "resource_sid": resource_sid,
            "request_url": request_url,
            "request_method": "POST" if request_url else None,
            "created": moment,
            "generated": moment,
        }
        table[record["sid"]] = record
        store.changed()
        return dict(record)


def _moment(name: str, value: str) -> float:
    for shape in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return float(timegm(time.strptime(value, shape)))
        except ValueError:
            continue
    raise invalid(f"{name} must be a date (YYYY-MM-DD) or a time (YYYY-MM-DDThh:mm:ssZ) in GMT: {value!r}")


def list_alerts(store: Store, query: dict[str, str]) -> list[dict[str, Any]]:
    start = _moment("StartDate", query["StartDate"]) if query.get("StartDate") else None
    end = _moment("EndDate", query["EndDate"]) if query.get("EndDate") else None
    if end is not None and len(query["EndDate"]) == 10:
        end += 86400 - 1  # a date ends with its day
    level = query.get("LogLevel") or None
    with store.lock:
        found = [dict(a) for a in alerts(store).values()]
    found = [a for a in found if (start is None or a["generated"] >= start) and (end is None or a["generated"] <= end)
             and (level is None or a["log_level"] == level)]
    return sorted(found, key=lambda a: a["seq"])


def render_alert(a: dict[str, Any], account_sid: str, base: str, *, instance: bool = False) -> dict[str, Any]:
    """An alert as the definition's monitor.v1.alert (a fetch: monitor.v1.alert-instance)."""
    record = {
        "account_sid": account_sid,
        "alert_text": a["alert_text"],
        "api_version": "2010-04-01",
        "date_created": iso(a["created"]),
        "date_generated": iso(a["generated"]),
        "date_updated": iso(a["created"]),
        "error_code": a["error_code"],
        "log_level": a["log_level"],
        "more_info": MORE_INFO.format(code=a["error_code"]),
        "request_method": a["request_method"],
        "request_url": a["request_url"],
    }
    if instance:
        record["request_variables"] = None
    record["resource_sid"] = a["resource_sid"]
    if instance:
        record.update(response_body=None, response_headers=None)
    record.update(sid=a["sid"], url=f"{base}/v1/Alerts/{a['sid']}")
    if instance:
        record["request_headers"] = None
    record["service_sid"] = a["service_sid"]
    return record


_FILTERS = ("LogLevel", "StartDate", "EndDate")


def _list(call: Call) -> Response:
    query = call.request.query
    window = page_window(query, list_alerts(call.store, query), lambda a: a["seq"])
    rendered = [render_alert(a, call.account, call.base) for a in window.items]
    filters = [(name, query[name]) for name in _FILTERS if query.get(name)]
    return Response(200, v1_page("alerts", rendered, window, call.base, call.request.path, filters), "ListAlert")


def _fetch(call: Call) -> Response:
    sid, path = call.match.group("sid"), call.request.path
    with call.store.lock:
        found = alerts(call.store).get(sid) if is_sid(sid, "NO") else None
        found = dict(found) if found is not None else None
    if found is None:
        raise not_found(path)
    return Response(200, render_alert(found, call.account, call.base, instance=True), "FetchAlert")


def register_routes() -> None:
    """Add Monitor's paths to the emulator's table (its host's /v1 is the Messaging API's /v1
    here: one server answers for every host)."""
    route(r"^/v1/Alerts$", {"GET": _list})
    route(r"^/v1/Alerts/(?P<sid>[^/]+)$", {"GET": _fetch})
    route(r"^/v1/Events$", {}, ("GET",))
    route(r"^/v1/Events/(?P<sid>[^/]+)$", {}, ("GET",))
