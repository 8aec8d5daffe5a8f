"""The emulator's routing framework: one request in, one response out, as Twilio's API answers.

`handle(store, request)` checks Basic auth, finds the route and answers every failure with a
Twilio error body; `page_window` and `v1_page` are the Messaging v1 pagination (`meta` with
absolute URLs built from the Host the client used). It knows nothing of sockets (`server.py`
does) and nothing of resources (`routes.py` and `a2p.py` add them).

Paths are a table (ROUTES, filled by `route(pattern, {method: handler}, not_emulated)`): a
new resource adds its entries, in a module of its own if it likes, without touching the
others. A path no entry matches, or a method Twilio serves that the emulator does not, is
answered 501 "not emulated", never a 404; but a path with its API version twice
(`/v1/v1/Services`: a base URL ending in /v1) is no path of Twilio's API, and is answered
404 as Twilio answers it, so that msgsvc's "drop /v1 from the base URL" hint can be tried.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlencode

from msgsvc.emulator.errors import Fault, invalid, not_found

if TYPE_CHECKING:
    from msgsvc.emulator.store import Store

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


def page_query(filters: list[tuple[str, str]], size: int, page: int, token: str | None) -> str:
    params = [*filters, ("PageSize", str(size)), ("Page", str(page))]
    if token:
        params.append(("PageToken", token))
    return urlencode(params)


def v1_page(list_key: str, rendered: list[dict], w: Window, base: str, path: str, filters: list[tuple[str, str]]) -> dict[str, Any]:
    def url(page: int, token: str | None) -> str:
        return f"{base}{path}?{page_query(filters, w.page_size, page, token)}"

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


def v2010_page(key: str, records: list[dict[str, Any]], render: Callable[[dict], dict], request: Request,
               filters: list[tuple[str, str]], order: str = "seq") -> dict[str, Any]:
    """A 2010 API list page (records in the ascending order of their `order` key): relative
    `*_uri` links at the top level, no `meta`."""
    window = page_window(request.query, records, lambda r: r[order])
    path = request.path

    def uri(page: int, token: str | None) -> str:
        return f"{path}?{page_query(filters, window.page_size, page, token)}"

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


# A path that starts with an API version twice: /v1/v1/..., /v1/2010-04-01/...
_VERSION_TWICE = re.compile(r"/(?:v\d+|\d{4}-\d\d-\d\d)/(?:v\d+|\d{4}-\d\d-\d\d)(?:/|$)")


def not_emulated(request: Request) -> Fault:
    """501: Twilio serves this (or may), the emulator does not. The sentence says only that:
    a list of what the emulator serves would be a second one to keep (`msgsvc emulator --help`)."""
    return Fault(
        501, NOT_EMULATED_CODE,
        f"{request.method} {request.path} is not emulated: this part of Twilio's API is not served by "
        "msgsvc emulator (this is not a missing resource; 'msgsvc emulator --help' says what it serves)",
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
    if _VERSION_TWICE.match(request.path):
        raise not_found(request.path)
    raise not_emulated(request)
