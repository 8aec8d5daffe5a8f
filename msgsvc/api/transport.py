"""The HTTP client for Twilio's Messaging v1 API and the bits of the core API that msgsvc uses.

It knows HTTP, auth, hosts, pagination, retries and Twilio's error bodies, and nothing of
the terminal: no typer, no rich, no printing. Debug output goes to the `msgsvc.http` logger.
Usable from Python on its own:

    from msgsvc.api.client import Client, ClientSettings
    client = Client(ClientSettings(username="AC...", password="..."))
    for service in client.list_services(limit=10): print(service["sid"])
"""

from __future__ import annotations

import json
import logging
import platform
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import requests

from msgsvc import __version__
from msgsvc.api import retry as _retry
from msgsvc.local.config import DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_READ_TIMEOUT
from msgsvc.errors import ApiError, MsgsvcError, NetworkError, OutcomeUnknownError, ResponseError, UsageError
from msgsvc.api.retry import IDEMPOTENT_METHODS, Deadline, Throttle, backoff, make_retry, pause, retry_note
from msgsvc.api.resources import BRAND, CAMPAIGN, SERVICE, form_dict

if TYPE_CHECKING:
    from msgsvc.api.resources import Resource
    from msgsvc.api.senders import SenderKind

    # A form body: (name, value) pairs, a name repeated for a list-valued field; or a dict.
    Form = list[tuple[str, str]] | dict[str, str]

log = logging.getLogger("msgsvc.http")

MESSAGING = "messaging"
CORE = "api"
MAX_PAGE_SIZE = 1000
# Limits on what a server can make msgsvc do (README, "Retries, timeouts, proxies"):
MAX_ANSWER = 32 * 1024 * 1024  # bytes of one answer, after decompression; a page of 1,000 is ~1.5 MB
MAX_PAGES = 2_000  # pages of one listing: 2 million records at 1,000 a page
MAX_EMPTY_PAGES = 3  # empty pages in a row that still point to a next page


class PageText:
    """The exact JSON text (UTF-8) of the array of one list page, and which records it holds:
    `--json` prints whole pages as the API sent them instead of encoding 10,000 objects again."""

    __slots__ = ("data", "first", "last", "count")

    def __init__(self, data: bytes | memoryview, items: list[dict]) -> None:
        self.data = data
        self.count = len(items)
        self.first = items[0] if items else None
        self.last = items[-1] if items else None


class Listing:
    """The records of a list, one at a time (an iterator); `pages` holds the text of each
    page fetched so far (see PageText)."""

    def __init__(self) -> None:
        self.pages: list[PageText] = []
        self.more = False  # stopped at its limit while the API had more (known without a request)
        self._records: Iterator[dict[str, Any]] = iter(())

    def __iter__(self) -> "Listing":
        return self

    def __next__(self) -> dict[str, Any]:
        return next(self._records)


@dataclass
class ClientSettings:
    username: str  # Account SID, or API Key SID
    password: str  # Auth Token, or the API key's secret
    account_sid: str | None = None  # needed for core API paths when username is an API key
    base_url: str | None = None  # one override for every host (local servers, tests)
    region: str | None = None
    edge: str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    ca_bundle: str | None = None
    backoff_factor: float = 0.5
    base_url_origin: str | None = None  # where base_url came from, for errors: "--base-url"
    on_retry: Callable[[str], None] | None = None  # told "retrying in 2 s (connection refused)"

    @property
    def deadline(self) -> float:
        """Seconds one attempt may take in all, connecting and the whole answer."""
        return self.connect_timeout + self.read_timeout


class _Session(requests.Session):
    """requests reads every proxy variable of the environment again for each request, a
    fifth of the client's CPU in a bulk job; the environment does not change during one
    run, so the answer is kept per scheme and host (and per request-level overrides)."""

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[Any, dict[str, Any]] = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):  # type: ignore[override]
        key = (urlsplit(url)[:2], tuple(sorted((proxies or {}).items())), stream, verify, cert)
        settings = self._environment.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            self._environment[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}


def _adapter_class() -> type:
    """requests' HTTPAdapter whose connections arm the thread's retry.Deadline as each
    attempt starts (proxied connections too)."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Armed:
        def request(self, *args: Any, **kwargs: Any) -> Any:
            deadline = _retry.current()
            if deadline is not None:
                deadline.arm(self)
            return super().request(*args, **kwargs)  # type: ignore[misc]

    class Http(Armed, HTTPConnection):
        pass

    class Https(Armed, HTTPSConnection):
        pass

    class HttpPool(HTTPConnectionPool):
        ConnectionCls = Http

    class HttpsPool(HTTPSConnectionPool):
        ConnectionCls = Https

    pools = {"http": HttpPool, "https": HttpsPool}

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            manager.pool_classes_by_scheme = pools
            return manager

    return Adapter


def user_agent() -> str:
    return (
        f"msgsvc/{__version__} ({platform.system()} {platform.machine()}) "
        f"Python/{platform.python_version()}"
    )


def host_url(product: str, region: str | None, edge: str | None) -> str:
    """`https://messaging.twilio.com`, or `messaging.{edge}.{region}.twilio.com` as Twilio's
    own libraries build it (an edge without a region means region us1)."""
    region = region or (edge and "us1") or None
    return "https://" + ".".join(part for part in (product, edge, region, "twilio.com") if part)


class Client:
    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.throttle = Throttle()
        self._session: requests.Session | None = None
        self._plain_ok: set[tuple[str, str]] = set()  # http:// hosts checked: loopback, no proxy

    # --- transport -------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            HTTPAdapter = _adapter_class()
            session = _Session()
            session.auth = (self.settings.username, self.settings.password)
            session.headers.update(
                {
                    "User-Agent": user_agent(),
                    "Accept": "application/json",
                    "Accept-Charset": "utf-8",
                }
            )
            if self.settings.ca_bundle:
                session.verify = self.settings.ca_bundle
            retry = make_retry(self.settings.max_retries, self.throttle, self.settings.backoff_factor,
                               notify=self.settings.on_retry)
            adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=32)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            self._session = session
        return self._session

    def base(self, product: str = MESSAGING) -> str:
        if self.settings.base_url:
            return self.settings.base_url.rstrip("/")
        return host_url(product, self.settings.region, self.settings.edge)

    @property
    def account_sid(self) -> str:
        sid = self.settings.account_sid or self.settings.username
        if not sid.startswith("AC"):
            raise UsageError(
                "this needs the Account SID, and only an API key is configured",
                hint="add --account-sid to the profile, or set TWILIO_ACCOUNT_SID",
            )
        return sid

    def request(
        self,
        method: str,
        url: str,
        *,
        product: str = MESSAGING,
        params: dict[str, Any] | None = None,
        data: Form | None = None,
        page_key: str | None = None,
    ) -> Any:
        """Send one request (retried as retry.py says); return the decoded JSON, or None
        for an empty answer. `url` is a path under the product's host, or an absolute URL
        on that same host. `data` is the form: a dict, or (name, value) pairs where a name
        may repeat. With `page_key`, a list page: (records, next page URL, PageText or None)."""
        if url.startswith("/"):
            url = self.base(product) + url
        self._check_host(url, product)
        log.debug(
            "request: %s %s%s (Authorization: Basic %s:***)",
            method, url, _describe(params, data), self.settings.username,
        )
        # urllib3's Retry covers everything up to the response headers. An answer that
        # breaks off in its body is retried here, for GET and DELETE only, with the same
        # budget and backoff; a POST whose answer broke off is never sent again.
        attempt = 0
        deadline = Deadline(self.settings.deadline)
        _retry.set_current(deadline)
        try:
            while True:
                response, started = self._send(method, url, params, data, first=attempt == 0)
                try:
                    response._content = self._body(response, method, url)
                    if deadline.expired:  # the body ended because the time was up
                        raise requests.exceptions.ConnectionError("deadline")
                    break
                except requests.exceptions.RequestException as exc:
                    response.close()
                    if deadline.expired:
                        raise _deadline_error(method, url, deadline.seconds) from None
                    if method.upper() not in IDEMPOTENT_METHODS or attempt >= self.settings.max_retries:
                        raise self._network_error(exc, method, url) from None
                    attempt += 1
                    delay = backoff(attempt, self.settings.backoff_factor)
                    log.debug(
                        "retry: %s %s after the answer broke off (%s); waiting %.2f s (%s retries left)",
                        method, response.url, type(exc).__name__, delay, self.settings.max_retries - attempt,
                    )
                    if self.settings.on_retry is not None:
                        self.settings.on_retry(retry_note(delay, "the answer broke off"))
                    pause(delay)
        finally:
            deadline.disarm()
            _retry.set_current(None)
        elapsed = (time.monotonic() - started) * 1000
        log.debug("response: %s %s -> HTTP %s in %.0f ms", method, url, response.status_code, elapsed)
        try:
            if page_key is not None:
                return _decode_page(response, method, url, page_key)
            return _decode(response, method, url)
        except ApiError as error:
            if error.status == 404 and error.hint is None and self._base_ends_in_v1():
                error.hint = (f"the base URL {self.settings.base_url} ends in /v1, and msgsvc adds /v1 itself: "
                              f"drop it from {self.settings.base_url_origin or 'the base URL'}")
            raise

    def _base_ends_in_v1(self) -> bool:
        return bool(self.settings.base_url) and urlsplit(self.settings.base_url).path.rstrip("/").endswith("/v1")

    @staticmethod
    def _body(response: requests.Response, method: str, url: str) -> bytes:
        """The whole body, in large reads (requests reads 10 KB at a time), decompressed a
        read at a time: ResponseError past MAX_ANSWER bytes, so memory stays bounded."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_ANSWER:
            response.close()
            raise _too_large(method, url)
        chunks, size = [], 0
        for chunk in response.iter_content(1 << 20):
            size += len(chunk)
            if size > MAX_ANSWER:
                response.close()
                raise _too_large(method, url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _send(self, method: str, url: str, params: Any, data: Any, *, first: bool = True) -> tuple[requests.Response, float]:
        """One request through the retrying adapter; the body is not read yet. Before the
        first attempt, a bulk job's Ctrl-C may still call it off (retry.Cancelled)."""
        self.throttle.wait(cancellable=first)
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                data=data,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                allow_redirects=False,
                # Per request, so that a profile's ca_bundle beats REQUESTS_CA_BUNDLE (requests
                # lets the environment override a session's verify). Never False.
                verify=self.settings.ca_bundle or True,
                stream=True,
            )
        except requests.exceptions.RequestException as exc:
            deadline = _retry.current()
            if deadline is not None and deadline.expired:
                raise _deadline_error(method, url, deadline.seconds) from None
            raise self._network_error(exc, method, url) from None
        except OSError as exc:  # requests checks a CA bundle path before connecting
            raise NetworkError(
                f"cannot send {method} {url}: {exc}",
                hint="check REQUESTS_CA_BUNDLE, or the profile's ca_bundle (msgsvc profiles show)",
            ) from None
        return response, started

    def _network_error(self, exc: Exception, method: str, url: str) -> MsgsvcError:
        """_network_error, naming where the URL came from when it is the base URL's."""
        base = self.settings.base_url
        origin = self.settings.base_url_origin if base and url.startswith(base.rstrip("/")) else None
        return _network_error(exc, method, url, origin=origin)

    def _check_host(self, url: str, product: str) -> None:
        """Never send credentials to a host we did not choose (a next_page_url elsewhere),
        nor in clear text: plain http:// only to this machine, and never through a proxy."""
        want = urlsplit(self.base(product))
        got = urlsplit(url)
        if (got.scheme, got.netloc.lower()) != (want.scheme, want.netloc.lower()):
            raise ResponseError(
                f"refusing to send credentials to {got.scheme}://{got.netloc}: "
                f"the API pointed to a host other than {want.scheme}://{want.netloc}"
            )
        if got.scheme == "http" and (got.scheme, got.netloc) not in self._plain_ok:
            if not _loopback(got.hostname or ""):
                raise UsageError(
                    f"refusing to send credentials over plain http:// to {got.netloc}: anyone on the way could read them",
                    hint="use an https:// base URL (plain http:// is only for a server on this machine, such as the emulator)",
                )
            proxy = requests.utils.get_environ_proxies(url).get("http") or requests.utils.get_environ_proxies(url).get("all")
            if proxy:
                raise UsageError(
                    f"refusing to send credentials for http://{got.netloc} through the plain-HTTP proxy "
                    f"{_without_userinfo(proxy)}: the proxy could read them",
                    hint=f"exempt the local server from the proxy: NO_PROXY={got.hostname}",
                )
            self._plain_ok.add((got.scheme, got.netloc))

    def paginate(
        self,
        path: str,
        key: str,
        *,
        product: str = MESSAGING,
        params: dict[str, Any] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> Listing:
        """The records of a list, following the API's next page URL exactly as given, and
        never fetching a page once `limit` records were taken. Pages are fetched as the
        records are iterated."""
        listing = Listing()
        listing._records = self._records(listing, path, key, product, params, limit, page_size)
        return listing

    def _records(self, listing: Listing, path: str, key: str, product: str, params: dict[str, Any] | None,
                 limit: int | None, page_size: int | None) -> Iterator[dict[str, Any]]:
        if limit is not None and limit <= 0:
            return
        if page_size is None:
            page_size = min(limit, MAX_PAGE_SIZE) if limit else MAX_PAGE_SIZE
        query = dict(params or {})
        query["PageSize"] = page_size
        url: str | None = path if not path.startswith("/") else self.base(product) + path
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"
        # Pages are told apart as _page_identity says, so a next URL back to the first page
        # (`...&Page=0`) is caught as a repeat too.
        seen: set[tuple] = {_page_identity(url)}
        count = pages = empty = 0
        while url:
            # A page that fails is retried by the adapter (GET); never from page one again.
            items, next_url, text = self.request("GET", url, product=product, page_key=key)
            pages += 1
            empty = 0 if items else empty + 1
            if text is not None:
                listing.pages.append(text)
            for number, item in enumerate(items, 1):
                yield item
                count += 1
                if limit is not None and count >= limit:
                    listing.more = number < len(items) or bool(next_url)
                    return
            if next_url:
                if empty >= MAX_EMPTY_PAGES:
                    raise ResponseError(
                        f"the API sent {empty} empty pages in a row, each pointing to another ({next_url}); "
                        "stopping: a list does not go on after that"
                    )
                if pages >= MAX_PAGES:
                    raise ResponseError(
                        f"the list at {path} goes on past {MAX_PAGES:,} pages ({count:,} records); stopping: "
                        "msgsvc follows at most that many pages of one list",
                        hint="list fewer with --limit, or larger pages with --page-size 1000",
                    )
                next_url = _rebase(next_url, self.base(product))
                identity = _page_identity(next_url)
                if identity in seen:
                    raise ResponseError(
                        f"the API pointed again to a page it already sent ({next_url}); "
                        "stopping so that no item is listed twice"
                    )
                seen.add(identity)
            url = next_url

    # --- any resource of msgsvc/api/resources.py ------------------------------------------------

    def list_of(
        self, resource: Resource, parent_sid: str | None = None, *, limit: int | None = None,
        page_size: int | None = None, params: dict[str, Any] | None = None,
    ) -> Listing:
        return self.paginate(resource.collection_path(parent_sid), resource.list_key,
                             params=params, limit=limit, page_size=page_size)

    def fetch(self, resource: Resource, sid: str, parent_sid: str | None = None) -> dict:
        return self.fetch_object("GET", resource.instance_path(sid, parent_sid))

    def create(self, resource: Resource, form: Form, parent_sid: str | None = None) -> dict:
        """Create one (Twilio answers 201, or 200 for some senders)."""
        return self.fetch_object("POST", resource.collection_path(parent_sid), data=form)

    def update(self, resource: Resource, sid: str, form: Form, parent_sid: str | None = None) -> dict:
        return self.fetch_object("POST", resource.instance_path(sid, parent_sid), data=form)

    def delete(self, resource: Resource, sid: str, parent_sid: str | None = None) -> None:
        self.request("DELETE", resource.instance_path(sid, parent_sid))

    def fetch_object(self, method: str, url: str, **kw: Any) -> Any:
        """`request()` for an answer that must be one JSON object."""
        payload = self.request(method, url, **kw)
        if not isinstance(payload, dict):
            if url.startswith("/"):
                url = self.base(kw.get("product", MESSAGING)) + url
            raise ResponseError(
                f"{method} {url} answered with JSON that is not an object "
                f"({type(payload).__name__ if payload is not None else 'an empty body'})"
            )
        return payload

    # --- Messaging Services ----------------------------------------------------------------

    def list_services(self, *, limit: int | None = None, page_size: int | None = None) -> Listing:
        return self.list_of(SERVICE, limit=limit, page_size=page_size)

    def get_service(self, sid: str) -> dict:
        return self.fetch(SERVICE, sid)

    # --- Senders of a service (phone numbers, short codes, ...; see msgsvc/api/senders.py) ----

    def list_senders(
        self, kind: SenderKind, service_sid: str, *, limit: int | None = None,
        page_size: int | None = None, params: dict[str, Any] | None = None,
    ) -> Listing:
        return self.list_of(kind, service_sid, limit=limit, page_size=page_size, params=params)

    def get_sender(self, kind: SenderKind, service_sid: str, sid: str) -> dict:
        return self.fetch(kind, sid, service_sid)

    def account_senders(self, kind: SenderKind, params: dict[str, Any] | None = None) -> Listing:
        """The account's senders of `kind` in the core API (IncomingPhoneNumbers, SMS/ShortCodes),
        optionally filtered."""
        if kind.account_list is None:
            raise ValueError(f"the account's {kind.plural} cannot be listed")
        path, key, _, _ = kind.account_list
        return self.paginate(f"/2010-04-01/Accounts/{self.account_sid}/{path}", key, product=CORE, params=params)

    def find_account_sender(self, kind: SenderKind, value: str) -> dict | None:
        """The account's sender of `kind` whose number is exactly `value`, or None. Twilio's
        filters also match partially, hence the exact comparison."""
        if kind.account_list is None:
            raise ValueError(f"the account's {kind.plural} cannot be looked up")
        _, _, param, field = kind.account_list
        for record in self.account_senders(kind, {param: value}):
            if record.get(field) == value:
                return record
        return None

    def incoming_numbers(self, params: dict[str, Any] | None = None) -> Listing:
        """The account's IncomingPhoneNumbers (core API), optionally filtered."""
        from msgsvc.api.senders import NUMBERS

        return self.account_senders(NUMBERS, params)

    def account_short_codes(self, params: dict[str, Any] | None = None) -> Listing:
        """The account's short codes (core API, SMS/ShortCodes), optionally filtered."""
        from msgsvc.api.senders import SHORT_CODES

        return self.account_senders(SHORT_CODES, params)

    def find_incoming_number(self, e164: str) -> dict | None:
        """The account's IncomingPhoneNumber whose phone_number is exactly `e164`, or None."""
        from msgsvc.api.senders import NUMBERS

        return self.find_account_sender(NUMBERS, e164)

    # --- US A2P 10DLC: the account's brands, a service's campaign, use cases ------------

    def list_campaigns(self, service_sid: str, *, limit: int | None = None) -> Listing:
        """A service's US A2P 10DLC campaigns (Twilio keeps at most one per service)."""
        return self.list_of(CAMPAIGN, service_sid, limit=limit)

    def find_campaign(self, service_sid: str) -> dict | None:
        """The service's campaign, or None when it has none."""
        return next(iter(self.list_campaigns(service_sid, limit=1)), None)

    def get_campaign(self, service_sid: str, sid: str) -> dict:
        return self.fetch(CAMPAIGN, sid, service_sid)

    def create_campaign(self, service_sid: str, form: Form) -> dict:
        """Register a campaign; list-valued fields as repeated pairs (`MessageSamples=a&
        MessageSamples=b`), as CAMPAIGN.form or msgsvc.api.a2p.campaign_form build them."""
        return self.create(CAMPAIGN, form, service_sid)

    def update_campaign(self, service_sid: str, sid: str, form: Form) -> dict:
        return self.update(CAMPAIGN, sid, form, service_sid)

    def delete_campaign(self, service_sid: str, sid: str) -> None:
        self.delete(CAMPAIGN, sid, service_sid)

    def campaign_usecases(self, service_sid: str, brand_sid: str | None = None) -> list[dict]:
        """The campaign use cases a brand may register on this service (all, without a brand)."""
        params = {"BrandRegistrationSid": brand_sid} if brand_sid else None
        url = f"/v1/Services/{service_sid}/Compliance/Usa2p/Usecases"
        return self._object_list(self.fetch_object("GET", url, params=params), "us_app_to_person_usecases", url)

    def service_usecases(self) -> list[dict]:
        """The values of a service's own `usecase` field, with descriptions."""
        url = "/v1/Services/Usecases"
        return self._object_list(self.fetch_object("GET", url), "usecases", url)

    def list_brands(self, *, limit: int | None = None, page_size: int | None = None) -> Listing:
        """The account's A2P brand registrations (read only here)."""
        return self.list_of(BRAND, limit=limit, page_size=page_size)

    def get_brand(self, sid: str) -> dict:
        return self.fetch(BRAND, sid)

    def _object_list(self, payload: dict, key: str, url: str) -> list[dict]:
        items = payload.get(key)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ResponseError(f"GET {self.base()}{url} answered without a '{key}' array of objects")
        return items

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _rebase(next_url: str, base: str) -> str:
    """A next page's URL under our base URL: relative links resolved against it, and its
    path prefix (https://gateway.example/twilio) kept on every page."""
    prefix = urlsplit(base).path.rstrip("/")
    url = urljoin(base + "/", next_url)
    parts = urlsplit(url)
    same_host = (parts.scheme, parts.netloc.lower()) == (urlsplit(base).scheme, urlsplit(base).netloc.lower())
    if prefix and same_host and parts.path != prefix and not parts.path.startswith(prefix + "/"):
        url = parts._replace(path=prefix + parts.path).geturl()
    return url


def _too_large(method: str, url: str) -> ResponseError:
    return ResponseError(
        f"{method} {url} answered with more than {MAX_ANSWER // (1024 * 1024)} MB; refused "
        "(msgsvc reads at most that much of one answer)"
    )


def _deadline_error(method: str, url: str, seconds: float) -> MsgsvcError:
    """One attempt outlived its deadline (retry.Deadline): the answer came too slowly."""
    host = urlsplit(url).netloc
    what = f"{host} did not send its whole answer within {seconds:g} s"
    if method == "POST":
        return OutcomeUnknownError(f"{what}: {method} {url} may or may not have taken effect")
    return NetworkError(what, hint="raise --timeout (each request gets connect + read timeout in all), or try again later")


def _loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://***@{parts.netloc.rpartition('@')[2]}{parts.path}" if "@" in parts.netloc else url


def _describe(params: dict | None, data: dict | list | None) -> str:
    parts = []
    if params:
        parts.append(f" query={params}")
    if isinstance(data, list):  # (name, value) pairs: shown as a dict unless a name repeats
        data = dict(data) if len({name for name, _ in data}) == len(data) else data
    if data is not None:
        parts.append(f" form={form_dict(data)}")
    return "".join(parts)


def _page_identity(url: str) -> tuple:
    """What tells pages apart: with a PageToken, `Page` is "simply for client state" and left
    out; without one, `Page` is the position (absent means page 0)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in pairs if k != "Page"]
    if not any(k == "PageToken" for k, _ in pairs):
        query.append(("Page", next((v for k, v in pairs if k == "Page"), "0")))
    return (parts.scheme, parts.netloc.lower(), parts.path, tuple(sorted(query)))


def _page(payload: Any, key: str, url: str) -> tuple[list[dict], str | None]:
    """Records and the next page's URL, from a Messaging v1 page (`meta`) or a 2010 one."""
    if not isinstance(payload, dict):
        raise ResponseError(f"the list at {url} is not a JSON object")
    meta = payload.get("meta")
    if isinstance(meta, dict):
        if isinstance(meta.get("key"), str) and meta["key"]:
            key = meta["key"]
        next_url = meta.get("next_page_url")
    elif "next_page_uri" in payload:  # the 2010 API: relative URIs at the top level
        next_url = payload.get("next_page_uri")
    else:
        raise ResponseError(f"the list at {url} has no paging information ('meta' is missing)")
    items = payload.get(key)
    if not isinstance(items, list):
        raise ResponseError(f"the list at {url} has no '{key}' array")
    if not all(isinstance(item, dict) for item in items):
        raise ResponseError(f"the list at {url} has an item in '{key}' that is not an object")
    if next_url is not None and not isinstance(next_url, str):
        raise ResponseError(f"the list at {url} has a next page URL that is not a string")
    return items, next_url or None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is too large a number")
    return value


# What servers send is read as RFC 8259 JSON: no NaN or Infinity (Python's json accepts them,
# and would then write them back out, which is not JSON), no number that overflows a float.
STRICT = {"parse_constant": _no_constant, "parse_float": _finite}


def loads(body: bytes | str) -> Any:
    """JSON from a server: ValueError for anything that is not strict JSON, nesting deeper
    than Python can decode included (a RecursionError otherwise)."""
    try:
        return json.loads(body, **STRICT)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None


_scan_value = json.JSONDecoder(**STRICT).scan_once  # the C scanner: (value, end) from text[index:]
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _scan_page(text: str) -> tuple[dict[str, Any], dict[str, tuple[int, int]]]:
    """Decode a JSON object as json.loads does (each member by the C scanner) and note where
    each top-level array starts and ends. Anything unusual raises ValueError (then json.loads)."""
    from json.decoder import scanstring

    skip = _WHITESPACE.match
    payload: dict[str, Any] = {}
    arrays: dict[str, tuple[int, int]] = {}
    index = skip(text, 0).end()
    if text[index] != "{":
        raise ValueError("not an object")
    index = skip(text, index + 1).end()
    while text[index] != "}":
        if text[index] != '"':
            raise ValueError("no key")
        name, index = scanstring(text, index + 1)
        index = skip(text, index).end()
        if text[index] != ":":
            raise ValueError("no colon")
        start = index = skip(text, index + 1).end()
        payload[name], index = _scan_value(text, index)
        if text[start] == "[":
            arrays[name] = (start, index)
        index = skip(text, index).end()
        if text[index] == ",":
            index = skip(text, index + 1).end()
        elif text[index] != "}":
            raise ValueError("bad object")
    if skip(text, index + 1).end() != len(text):
        raise ValueError("extra data")
    return payload, arrays


def _decode_page(response: requests.Response, method: str, url: str, key: str) -> tuple[list[dict], str | None, PageText | None]:
    """A list page's records, its next URL, and the text of its array when it could be kept."""
    arrays: dict[str, tuple[int, int]] = {}
    body = response.content
    try:
        if not 200 <= response.status_code < 300:
            raise ValueError("an error")
        text = body.decode("utf-8")
        payload, arrays = _scan_page(text)
    except (ValueError, IndexError, StopIteration, RecursionError):  # an error or odd JSON: the plain path says what
        payload = _decode(response, method, url)
    items, next_url = _page(payload, key, url)
    meta = payload.get("meta") if isinstance(payload, dict) else None
    span = arrays.get((meta.get("key") if isinstance(meta, dict) else None) or key)
    page = None
    if span is not None and items:
        start, end = span[0] + 1, span[1] - 1  # inside the brackets, without white space
        while text[start] in " \t\n\r":
            start += 1
        while text[end - 1] in " \t\n\r":
            end -= 1
        # Character offsets are byte offsets in ASCII text: a view of the bytes, no copy.
        data = memoryview(body)[start:end] if text.isascii() else text[start:end].encode("utf-8")
        page = PageText(data, items)
    return items, next_url, page


def _decode(response: requests.Response, method: str, url: str) -> Any:
    status = response.status_code
    body = response.content
    if 200 <= status < 300:
        if not body.strip():
            if status == 204 or method == "DELETE":
                return None
            raise ResponseError(f"{method} {url} answered HTTP {status} with an empty body")
        try:
            return loads(body)
        except ValueError as exc:
            raise ResponseError(
                f"{method} {url} answered HTTP {status} with something that is not JSON"
                + (f" ({exc})" if "nested" in str(exc) else "") + f": {excerpt(response)}"
            ) from None
    raise api_error(response, method, url)


def api_error(response: requests.Response, method: str, url: str) -> ApiError:
    status = response.status_code
    try:
        body = loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and ("message" in body or "code" in body or "detail" in body):
        code = body.get("code")
        return ApiError(
            status,
            str(body.get("message") or body.get("detail") or body.get("title") or "no message"),
            code=code if isinstance(code, int) else None,
            more_info=body.get("more_info") if isinstance(body.get("more_info"), str) else None,
            method=method,
            url=url,
        )
    reason = response.reason or "error"
    text = excerpt(response)
    return ApiError(status, f"{reason}" + (f": {text}" if text else ""), method=method, url=url)


def excerpt(response: requests.Response, size: int = 160) -> str:
    """A short, single-line excerpt of a body that is not JSON (an HTML error page)."""
    text = response.content[:4096].decode("utf-8", "replace")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    if title:
        text = title.group(1)
    else:
        text = re.sub(r"<[^>]+>", " ", text)
    text = " ".join(text.split())
    return text[:size].rstrip() + "…" if len(text) > size else text


LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")

# OpenSSL's words for a handshake answered by something that is not TLS (a plain-HTTP server).
NOT_TLS = ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure", "http request",
           "unknown protocol", "packet length too long", "RECORD_LAYER_FAILURE")


def _innermost(exc: BaseException) -> BaseException:
    """The error at the bottom of requests' and urllib3's wrappers (ssl.SSLError, OSError)."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "reason", None) or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None)
        if inner is None:
            inner = exc.__context__ if isinstance(exc.__context__, BaseException) else None
        if not isinstance(inner, BaseException):
            return exc
        exc = inner
    return exc


def _network_error(exc: Exception, method: str, url: str, *, origin: str | None = None) -> MsgsvcError:
    from urllib3.exceptions import NameResolutionError, NewConnectionError, ReadTimeoutError

    parts = urlsplit(url)
    host = parts.netloc
    args = getattr(exc, "args", ())
    inner = args[0] if args else None
    inner_reason = getattr(inner, "reason", None)  # what the last attempt of a retried request met
    if isinstance(inner, ReadTimeoutError):  # the body of an answer stalled
        inner_reason = inner
    # With retries, requests reports a read timeout of the last try as a ConnectionError
    # wrapping urllib3's MaxRetryError(reason=ReadTimeoutError).
    read_timeout = isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(inner_reason, ReadTimeoutError)
    # Whether the request may have reached the server: not when the connection, the TLS
    # handshake or the proxy failed first.
    sent = not isinstance(
        exc,
        (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError),
    ) and not isinstance(inner_reason, NewConnectionError)
    came_from = f" (the URL is from {origin})" if origin else ""
    hint = None

    if isinstance(inner_reason, NameResolutionError):
        what = f"cannot resolve the host name {parts.hostname}{came_from}"
    elif isinstance(exc, requests.exceptions.SSLError):
        reason = str(_innermost(exc))
        log.debug("TLS error talking to %s: %s", host, reason)
        if any(marker in reason for marker in NOT_TLS):
            what = f"the server at {host} did not speak TLS{came_from}"
            hint = f"is it a plain-HTTP server? then the base URL should start with http://{host}"
        elif "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify failed" in reason:
            what = f"TLS verification of {host} failed{came_from}"
            hint = "behind a proxy with its own certificate authority, set REQUESTS_CA_BUNDLE or the profile's ca_bundle"
        else:
            what = f"the TLS handshake with {host} failed{came_from}"
            hint = "run again with --debug to see the TLS library's reason"
    elif isinstance(exc, requests.exceptions.ProxyError):
        what = f"the proxy refused or failed the connection to {host}"
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        what = f"timed out connecting to {host}{came_from}"
    elif read_timeout:
        what = f"{host} did not answer in time"
    elif isinstance(inner_reason, NewConnectionError):
        refused = isinstance(_innermost(inner_reason), ConnectionRefusedError) or "refused" in str(inner_reason)
        what = f"cannot connect to {host} ({'connection refused' if refused else 'connection refused or unreachable'}){came_from}"
        if parts.hostname in LOOPBACK or (parts.hostname or "").startswith("127."):
            hint = "is the emulator running? start it with: msgsvc emulator"
    else:
        what = f"the connection to {host} was lost"

    if method == "POST" and sent:
        return OutcomeUnknownError(
            f"{what} after the request was sent: {method} {url} may or may not have taken effect"
        )
    if hint is None and (isinstance(exc, requests.exceptions.Timeout) or read_timeout):
        hint = "raise --timeout, or try again later"
    return NetworkError(what, hint=hint)
