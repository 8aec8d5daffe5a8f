"""The routes of Twilio's API the emulator serves, and the exact shape of each resource:
Messaging Services, the senders of a service (one set of routes per kind of msgsvc/api/senders.py),
the 2010 API's IncomingPhoneNumbers and short codes (relative `*_uri` paging at the top level).
US A2P 10DLC brands and campaigns are a2p.py's. Importing this module fills routing.ROUTES.
"""

from __future__ import annotations

from typing import Any, Callable

from msgsvc.api.resources import SERVICE
from msgsvc.api.tollfree import is_toll_free
from msgsvc.api.validate import is_sid
from msgsvc.emulator import a2p, channels, messages, monitor, tollfree
from msgsvc.emulator.errors import invalid, not_found
from msgsvc.emulator.model import KINDS, Kind
from msgsvc.emulator.routing import (
    Call, Request, Response, iso, page_query, page_window, rfc2822, route, unauthorized, v1_page, v2010_page,
)
from msgsvc.emulator.store import Store

# --- rendering -----------------------------------------------------------------------------------

SERVICE_LINKS = {
    "phone_numbers": "PhoneNumbers",
    "short_codes": "ShortCodes",
    "alpha_senders": "AlphaSenders",
    "messages": "Messages",
    "us_app_to_person": "Compliance/Usa2p",
    "us_app_to_person_usecases": "Compliance/Usa2p/Usecases",
    "channel_senders": "ChannelSenders",
    "destination_alpha_senders": "DestinationAlphaSenders",
}


def render_service(s: dict[str, Any], account_sid: str, base: str) -> dict[str, Any]:
    """A Service with every key of the API's object, in its order (SERVICE.keys, checked
    against Twilio's definition): the stored fields as they are, the rest made here."""
    url = f"{base}/v1/Services/{s['sid']}"
    made = {
        "account_sid": account_sid,
        "date_created": iso(s["created"]),
        "date_updated": iso(s["updated"]),
        "url": url,
        "links": {name: f"{url}/{segment}" for name, segment in SERVICE_LINKS.items()},
    }
    return {key: made[key] if key in made else s[key] for key in SERVICE.keys}


def _v1_capabilities(caps: dict[str, bool]) -> list[str]:
    return [name for name, key in (("MMS", "mms"), ("SMS", "sms"), ("Voice", "voice")) if caps.get(key)]


def render_sender(kind: Kind, r: dict[str, Any], account_sid: str, base: str) -> dict[str, Any]:
    url = f"{base}/v1/Services/{r['service_sid']}/{kind.path}/{r['sid']}"
    pooled_dates = (iso(r.get("attached")), iso(r.get("attached")))
    if kind.name == "phone_numbers":
        created, updated = pooled_dates
        return {
            "sid": r["sid"], "account_sid": account_sid, "service_sid": r["service_sid"],
            "date_created": created, "date_updated": updated, "phone_number": r["phone_number"],
            "country_code": r["country_code"], "capabilities": _v1_capabilities(r["capabilities"]), "url": url,
        }
    if kind.name == "short_codes":
        created, updated = pooled_dates
        return {
            "sid": r["sid"], "account_sid": account_sid, "service_sid": r["service_sid"],
            "date_created": created, "date_updated": updated, "short_code": r["short_code"],
            "country_code": r["country_code"], "capabilities": list(r["capabilities"]), "url": url,
        }
    if kind.name == "channel_senders":
        created, updated = pooled_dates
        return {
            "account_sid": account_sid, "messaging_service_sid": r["service_sid"], "sid": r["sid"],
            "sender": r["sender"], "sender_type": r["sender_type"], "country_code": r["country_code"],
            "date_created": created, "date_updated": updated, "url": url,
        }
    record = {
        "sid": r["sid"], "account_sid": account_sid, "service_sid": r["service_sid"],
        "date_created": iso(r["created"]), "date_updated": iso(r["updated"]),
        "alpha_sender": r["alpha_sender"], "capabilities": list(r["capabilities"]), "url": url,
    }
    if kind.name == "destination_alpha_senders":
        record["iso_country_code"] = r["iso_country_code"]
    return record


def render_incoming(r: dict[str, Any], account_sid: str) -> dict[str, Any]:
    """An IncomingPhoneNumber of the 2010 API: every field of the spec's schema."""
    return {
        "account_sid": account_sid,
        "address_sid": None,
        "address_requirements": "none",
        "api_version": "2010-04-01",
        "beta": False,
        "capabilities": dict(r["capabilities"]),
        "date_created": rfc2822(r["created"]),
        "date_updated": rfc2822(r["updated"]),
        "friendly_name": r["friendly_name"],
        "identity_sid": None,
        "phone_number": r["phone_number"],
        "origin": r["origin"],
        "sid": r["sid"],
        "sms_application_sid": None,
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": "",
        "status_callback": "",
        "status_callback_method": "POST",
        "trunk_sid": None,
        "uri": f"/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{r['sid']}.json",
        "voice_receive_mode": "voice",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": "POST",
        "voice_url": None,
        "emergency_status": "Inactive",
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "bundle_sid": None,
        "status": "in-use",
        "type": "tollfree" if is_toll_free(r["phone_number"]) else "local",
    }


# --- Services ---


def _service_sid(call: Call) -> str:
    sid = call.match.group("sid")
    if not is_sid(sid, "MG"):
        raise not_found(call.request.path)
    return sid


def create_service(call: Call) -> Response:
    record = call.store.create_service(call.request.form)
    return Response(201, render_service(record, call.account, call.base), "CreateService")


def list_services(call: Call) -> Response:
    window = page_window(call.request.query, call.store.list_services(), lambda r: r["seq"])
    rendered = [render_service(s, call.account, call.base) for s in window.items]
    return Response(200, v1_page("services", rendered, window, call.base, call.request.path, []), "ListService")


def fetch_service(call: Call) -> Response:
    record = call.store.get_service(_service_sid(call), call.request.path)
    return Response(200, render_service(record, call.account, call.base), "FetchService")


def update_service(call: Call) -> Response:
    record = call.store.update_service(_service_sid(call), call.request.form, call.request.path)
    return Response(200, render_service(record, call.account, call.base), "UpdateService")


def delete_service(call: Call) -> Response:
    call.store.delete_service(_service_sid(call), call.request.path)
    return Response(204, None, "DeleteService")


# Twilio's paths under /v1/Services that are not a service SID: served (US A2P 10DLC, with
# brands and campaigns: emulator/a2p.py), or not emulated; never a 404.
route(r"^/v1/Services/PreregisteredUsa2p$", {}, ("POST",))
a2p.register_routes()
route(r"^/v1/Services$", {"GET": list_services, "POST": create_service})
route(r"^/v1/Services/(?P<sid>[^/]+)$", {"GET": fetch_service, "POST": update_service, "DELETE": delete_service})


# --- the senders of a service ---


def _sender_routes(kind: Kind) -> None:
    name = kind.path[:-1]  # PhoneNumbers -> PhoneNumber

    def create(call: Call) -> Response:
        record = call.store.add_sender(kind, _service_sid(call), call.request.form, call.request.path)
        return Response(201, render_sender(kind, record, call.account, call.base), f"Create{name}")

    def listing(call: Call) -> Response:
        query = call.request.query
        country = query.get("IsoCountryCode") if kind.name == "destination_alpha_senders" else None
        records = call.store.list_senders(kind, _service_sid(call), call.request.path, country)
        window = page_window(query, records, lambda r: r["attach_seq"] if kind.pooled else r["seq"])
        rendered = [render_sender(kind, r, call.account, call.base) for r in window.items]
        filters = [("IsoCountryCode", country)] if country is not None else []
        return Response(200, v1_page(kind.list_key, rendered, window, call.base, call.request.path, filters), f"List{name}")

    def fetch(call: Call) -> Response:
        record = call.store.get_sender(kind, _service_sid(call), call.match.group("item"), call.request.path)
        return Response(200, render_sender(kind, record, call.account, call.base), f"Fetch{name}")

    def delete(call: Call) -> Response:
        call.store.remove_sender(kind, _service_sid(call), call.match.group("item"), call.request.path)
        return Response(204, None, f"Delete{name}")

    prefix = rf"^/v1/Services/(?P<sid>[^/]+)/{kind.path}"
    route(prefix + "$", {"GET": listing, "POST": create})
    route(prefix + r"/(?P<item>[^/]+)$", {"GET": fetch, "DELETE": delete})


for _kind in KINDS.values():
    _sender_routes(_kind)


# --- the 2010 API's IncomingPhoneNumbers ---


def _own_account(call: Call) -> None:
    if call.match.group("account") != call.account:
        raise unauthorized("Authenticate")


def list_incoming(call: Call) -> Response:
    _own_account(call)
    return Response(200, _incoming_page(call.store, call.request, call.account), "ListIncomingPhoneNumber")


def fetch_incoming(call: Call) -> Response:
    _own_account(call)
    record = call.store.incoming_number(call.match.group("sid"), call.request.path)
    return Response(200, render_incoming(record, call.account), "FetchIncomingPhoneNumber")


def list_toll_free(call: Call) -> Response:
    """GET .../IncomingPhoneNumbers/TollFree.json: the account's toll-free (8XX) numbers, with
    the filters of the whole list; its schema has no `type`."""
    _own_account(call)
    page = _incoming_page(call.store, call.request, call.account, toll_free=True)
    for number in page["incoming_phone_numbers"]:
        del number["type"]
    return Response(200, page, "ListIncomingPhoneNumberTollFree")


tollfree.register_routes()
_ACCOUNT = r"^/2010-04-01/Accounts/(?P<account>[^/]+)"
route(_ACCOUNT + r"/IncomingPhoneNumbers\.json$", {"GET": list_incoming}, ("POST",))
# Before the single number's route, which would take `TollFree` for a number SID.
route(_ACCOUNT + r"/IncomingPhoneNumbers/TollFree\.json$", {"GET": list_toll_free}, ("POST",))
route(_ACCOUNT + r"/IncomingPhoneNumbers/(?P<sid>[^/]+)\.json$", {"GET": fetch_incoming}, ("POST", "DELETE"))


def list_short_codes(call: Call) -> Response:
    _own_account(call)
    return Response(200, _short_codes_page(call.store, call.request, call.account), "api.v2010.ListShortCode")


route(_ACCOUNT + r"/SMS/ShortCodes\.json$", {"GET": list_short_codes})
messages.register_routes()
route(_ACCOUNT + r"/SMS/ShortCodes/(?P<sid>[^/]+)\.json$", {}, ("GET", "POST"))


def _incoming_page(store: Store, request: Request, account: str, toll_free: bool = False) -> dict[str, Any]:
    q = request.query
    origin = q.get("Origin") or None
    if origin is not None and origin not in ("twilio", "hosted"):
        raise invalid(f"Origin must be twilio or hosted: {origin!r}")
    records = store.incoming_numbers(q.get("PhoneNumber"), q.get("FriendlyName"), origin)
    if toll_free:
        records = [r for r in records if is_toll_free(r["phone_number"])]
    filters = [(name, q[name]) for name in ("Beta", "FriendlyName", "PhoneNumber", "Origin") if q.get(name)]
    return v2010_page("incoming_phone_numbers", records, lambda r: render_incoming(r, account), request, filters)


def render_short_code(r: dict[str, Any], account_sid: str) -> dict[str, Any]:
    """A ShortCode of the 2010 API (the account's short codes): every field of the spec's schema."""
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "date_created": rfc2822(r["created"]),
        "date_updated": rfc2822(r["updated"]),
        "friendly_name": r["short_code"],
        "short_code": r["short_code"],
        "sid": r["sid"],
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": "",
        "uri": f"/2010-04-01/Accounts/{account_sid}/SMS/ShortCodes/{r['sid']}.json",
    }


def _short_codes_page(store: Store, request: Request, account: str) -> dict[str, Any]:
    """GET .../SMS/ShortCodes.json: the account's short codes; `ShortCode` matches partially,
    as PhoneNumber does, `FriendlyName` exactly."""
    q = request.query
    records = sorted(store.account_short_codes(q.get("ShortCode"), q.get("FriendlyName")), key=lambda r: r["seq"])
    filters = [(name, q[name]) for name in ("FriendlyName", "ShortCode") if q.get(name)]
    return v2010_page("short_codes", records, lambda r: render_short_code(r, account), request, filters)


# --- the other products' routes, each in its module ---

monitor.register_routes()  # Monitor alerts (monitor.twilio.com)
channels.register_routes()  # Messaging v2 Channels Senders
