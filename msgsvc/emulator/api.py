"""Routing and rendering: one request in, one response out, as Twilio's API answers.

`handle(store, request)` knows the paths, Basic auth, the query and form parameters, the
pagination of each API (Messaging v1: `meta` with absolute URLs built from the Host the
client used; the 2010 API: relative `*_uri` at the top level) and the exact shape of each
resource. It knows nothing of sockets; `server.py` does.

Paths are a table (ROUTES, filled by `route(pattern, {method: handler}, not_emulated)`): a
new resource adds its entries, in a module of its own if it likes, without touching the
others. A path no entry matches, or a method Twilio serves that the emulator does not, is
answered 501 "not emulated", never a 404.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from msgsvc.emulator.store import KINDS, Fault, Kind, Store, invalid, not_found
from msgsvc.api.resources import SERVICE
from msgsvc.api.validate import is_sid

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    authorization: str | None = None
    pairs: list[tuple[str, str]] | None = None  # the form as sent, repeated keys kept (A2P lists)


@dataclass
class Response:
    status: int
    body: dict[str, Any] | None
    operation: str | None = None  # the OpenAPI operationId answered, None for errors on unknown paths
    headers: dict[str, str] = field(default_factory=dict)


def iso(ts: float | None) -> str | None:
    """Messaging v1 dates: ISO 8601 in UTC, `2015-07-30T20:12:31Z`."""
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def rfc2822(ts: float | None) -> str | None:
    """2010 API dates: `Thu, 30 Jul 2015 23:19:04 +0000` (English names whatever the locale)."""
    if ts is None:
        return None
    t = time.gmtime(ts)
    return f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


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
        "type": "local",
    }


# --- pagination --------------------------------------------------------------------------------


@dataclass
class Window:
    items: list[dict[str, Any]]
    page: int
    page_size: int
    start: int
    token: str | None  # the PageToken of this page, as asked
    next_token: str | None
    previous_token: str | None


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid(f"{name} must be an integer: {raw!r}") from None


def page_window(query: dict[str, str], records: list[dict[str, Any]], key: Callable[[dict], int]) -> Window:
    """The slice of `records` (ordered by `key`) that PageSize, Page and PageToken ask for.

    A token is a cursor: `PA<n>` starts after the record whose key is n, `PB<n>` ends before
    it (a previous page). Page is "simply for client state", as Twilio's definition says: it
    is echoed in the answer and selects nothing, so without a token every Page is the first
    page (offset paging built by hand fails here as it would against Twilio)."""
    size = _int_param(query, "PageSize", DEFAULT_PAGE_SIZE)
    if size > MAX_PAGE_SIZE:
        raise Fault(400, 20007, f"Page size too large: the maximum page size is {MAX_PAGE_SIZE}")
    if size < 1:
        raise invalid(f"PageSize must be between 1 and {MAX_PAGE_SIZE}: {size}")
    page = _int_param(query, "Page", 0)
    if page < 0:
        raise invalid(f"Page must not be negative: {page}")
    token = query.get("PageToken") or None
    keys = [key(r) for r in records]
    if token is None:
        start, end = 0, size
    else:
        match = re.fullmatch(r"P([AB])(\d{1,18})", token)
        if not match:
            raise Fault(400, 21481, f"Invalid PageToken: {token}")
        cursor = int(match.group(2))
        if match.group(1) == "A":
            start = next((i for i, k in enumerate(keys) if k > cursor), len(keys))
            end = start + size
        else:
            end = next((i for i, k in enumerate(keys) if k >= cursor), len(keys))
            start = max(0, end - size)
    items = records[start:end]
    end = min(end, len(records))
    next_token = f"PA{keys[end - 1]}" if end < len(records) and items else None
    previous_token = None
    if start > 0 and start <= len(records):
        previous_token = f"PB{keys[start]}" if start < len(records) else f"PB{keys[-1] + 1}"
    return Window(items, page, size, min(start, len(records)), token, next_token, previous_token)


def _page_query(filters: list[tuple[str, str]], size: int, page: int, token: str | None) -> str:
    params = [*filters, ("PageSize", str(size)), ("Page", str(page))]
    if token:
        params.append(("PageToken", token))
    return urlencode(params)


def v1_page(list_key: str, rendered: list[dict], w: Window, base: str, path: str, filters: list[tuple[str, str]]) -> dict[str, Any]:
    def url(page: int, token: str | None) -> str:
        return f"{base}{path}?{_page_query(filters, w.page_size, page, token)}"

    return {
        list_key: rendered,
        "meta": {
            "page": w.page,
            "page_size": w.page_size,
            "first_page_url": url(0, None),
            "previous_page_url": url(max(w.page - 1, 0), w.previous_token) if w.previous_token else None,
            "url": url(w.page, w.token),
            "next_page_url": url(w.page + 1, w.next_token) if w.next_token else None,
            "key": list_key,
        },
    }


# --- routing -----------------------------------------------------------------------------------

NOT_EMULATED_CODE = 20501  # the emulator's own: Twilio's error dictionary has no "not implemented"
AUTH_DETAIL = "Your AccountSid or AuthToken was incorrect."


@dataclass
class Call:
    """One routed request: the store, the request, and the path's captured groups."""

    store: Store
    request: Request
    match: re.Match[str]

    @property
    def base(self) -> str:
        return f"http://{self.request.host}"

    @property
    def account(self) -> str:
        return self.store.account_sid


Handler = Callable[[Call], "Response"]


@dataclass(frozen=True)
class Route:
    """A path of Twilio's API: the methods the emulator serves there, and the methods Twilio
    serves there that the emulator does not (answered 'not emulated', not 405)."""

    pattern: re.Pattern[str]
    methods: dict[str, Handler]
    not_emulated: tuple[str, ...] = ()


ROUTES: list[Route] = []


def route(pattern: str, methods: dict[str, Handler], not_emulated: tuple[str, ...] = ()) -> None:
    """Add a path to the table. Order matters: the first pattern that matches answers."""
    ROUTES.append(Route(re.compile(pattern), methods, not_emulated))


def not_emulated(request: Request) -> Fault:
    return Fault(
        501, NOT_EMULATED_CODE,
        f"{request.method} {request.path} is not emulated: msgsvc emulator serves only Messaging "
        "Services, their senders and US A2P 10DLC campaigns, and the account's A2P brands, "
        "IncomingPhoneNumbers and short codes (this is not a missing resource)",
    )


def _credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def unauthorized(message: str) -> Fault:
    """Twilio's 401: code 20003 with a `detail`, and the message saying what was wrong."""
    return Fault(401, 20003, message, {"WWW-Authenticate": 'Basic realm="Twilio API"'}, detail=AUTH_DETAIL)


def authenticate(store: Store, request: Request) -> None:
    if not request.authorization:
        raise unauthorized("Authentication Error - No credentials provided")
    credentials = _credentials(request.authorization)
    if credentials is None:
        raise unauthorized("Authentication Error - invalid credentials")
    if not store.knows(credentials[0]):
        raise unauthorized("Authentication Error - invalid username")
    if not store.authenticate(*credentials):
        raise unauthorized("Authenticate")


def refused(store: Store, authorization: str | None) -> Response | None:
    """The 401 for a request whose credentials are wrong, before its body is read; None if
    they are right."""
    try:
        authenticate(store, Request("GET", "/", {}, {}, "", authorization))
    except Fault as fault:
        return Response(fault.status, fault.body(), None, dict(fault.headers))
    return None


def _allowed(request: Request, methods: tuple[str, ...]) -> None:
    if request.method not in methods:
        raise Fault(405, 20004, f"Method not allowed: {request.method} {request.path}", {"Allow": ", ".join(methods)})


def handle(store: Store, request: Request) -> Response:
    """Answer one request; every failure is a Twilio error body."""
    try:
        authenticate(store, request)
        return _route(store, request)
    except Fault as fault:
        return Response(fault.status, fault.body(), None, dict(fault.headers))


def _route(store: Store, request: Request) -> Response:
    for entry in ROUTES:
        match = entry.pattern.match(request.path)
        if match is None:
            continue
        handler = entry.methods.get(request.method)
        if handler is not None:
            return handler(Call(store, request, match))
        if request.method in entry.not_emulated:
            raise not_emulated(request)
        allowed = ", ".join(entry.methods)
        raise Fault(405, 20004, f"Method not allowed: {request.method} {request.path}", {"Allow": allowed})
    raise not_emulated(request)


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
from msgsvc.emulator import a2p  # noqa: E402

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


_ACCOUNT = r"^/2010-04-01/Accounts/(?P<account>[^/]+)"
route(_ACCOUNT + r"/IncomingPhoneNumbers\.json$", {"GET": list_incoming}, ("POST",))
route(_ACCOUNT + r"/IncomingPhoneNumbers/(?P<sid>[^/]+)\.json$", {"GET": fetch_incoming}, ("POST", "DELETE"))


def list_short_codes(call: Call) -> Response:
    _own_account(call)
    return Response(200, _short_codes_page(call.store, call.request, call.account), "api.v2010.ListShortCode")


route(_ACCOUNT + r"/SMS/ShortCodes\.json$", {"GET": list_short_codes})
route(_ACCOUNT + r"/SMS/ShortCodes/(?P<sid>[^/]+)\.json$", {}, ("GET", "POST"))


def _incoming_page(store: Store, request: Request, account: str) -> dict[str, Any]:
    q = request.query
    origin = q.get("Origin") or None
    if origin is not None and origin not in ("twilio", "hosted"):
        raise invalid(f"Origin must be twilio or hosted: {origin!r}")
    records = store.incoming_numbers(q.get("PhoneNumber"), q.get("FriendlyName"), origin)
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


def v2010_page(key: str, records: list[dict[str, Any]], render: Callable[[dict], dict], request: Request,
               filters: list[tuple[str, str]]) -> dict[str, Any]:
    """A 2010 API list page (records in `seq` order): relative `*_uri` links at the top
    level, no `meta`."""
    window = page_window(request.query, records, lambda r: r["seq"])
    path = request.path

    def uri(page: int, token: str | None) -> str:
        return f"{path}?{_page_query(filters, window.page_size, page, token)}"

    return {
        "end": window.start + max(len(window.items) - 1, 0),
        "first_page_uri": uri(0, None),
        "next_page_uri": uri(window.page + 1, window.next_token) if window.next_token else None,
        "page": window.page,
        "page_size": window.page_size,
        "previous_page_uri": uri(max(window.page - 1, 0), window.previous_token) if window.previous_token else None,
        "start": window.start,
        "uri": uri(window.page, window.token),
        key: [render(r) for r in window.items],
    }
