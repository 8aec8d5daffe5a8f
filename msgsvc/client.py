"""The HTTP client for Twilio's Messaging v1 API and the bits of the core API that msgsvc uses.

It knows HTTP, auth, hosts, pagination, retries and Twilio's error bodies, and nothing of
the terminal: no typer, no rich, no printing. Debug output goes to the `msgsvc.http` logger.
Usable from Python on its own:

    from msgsvc.client import Client, ClientSettings
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
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

import requests

from msgsvc import __version__
from msgsvc.errors import ApiError, MsgsvcError, NetworkError, OutcomeUnknownError, UsageError
from msgsvc.retry import Throttle, make_retry

log = logging.getLogger("msgsvc.http")

MESSAGING = "messaging"
CORE = "api"
MAX_PAGE_SIZE = 1000


class ResponseError(MsgsvcError):
    """The server answered, but not with what the API promises (not JSON, no list, ...)."""


@dataclass
class ClientSettings:
    username: str  # Account SID, or API Key SID
    password: str  # Auth Token, or the API key's secret
    account_sid: str | None = None  # needed for core API paths when username is an API key
    base_url: str | None = None  # one override for every host (local servers, tests)
    region: str | None = None
    edge: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_retries: int = 4
    ca_bundle: str | None = None
    backoff_factor: float = 0.5
    dry_run: bool = False  # record changing requests in Client.planned instead of sending them


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
        self.planned: list[dict[str, Any]] = []  # what a dry run would have sent
        self._session: requests.Session | None = None

    # --- transport -------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            from requests.adapters import HTTPAdapter

            session = requests.Session()
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
            retry = make_retry(self.settings.max_retries, self.throttle, self.settings.backoff_factor)
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
        data: dict[str, str] | None = None,
    ) -> Any:
        """Send one request (retried as retry.py says); return the decoded JSON, or None
        for an empty answer or a dry run's unsent change. `url` is a path under the
        product's host, or an absolute URL on that same host."""
        if url.startswith("/"):
            url = self.base(product) + url
        self._check_host(url, product)
        if self.settings.dry_run and method != "GET":
            # Read-only look-ups still run; a change is only recorded.
            self.planned.append({"method": method, "url": url, "form": dict(data or {})})
            log.debug("dry run: not sending %s %s%s", method, url, _describe(params, data))
            return None
        self.throttle.wait()
        started = time.monotonic()
        log.debug("request: %s %s%s", method, url, _describe(params, data))
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                data=data,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as exc:
            raise _network_error(exc, method, url) from None
        elapsed = (time.monotonic() - started) * 1000
        log.debug("response: %s %s -> HTTP %s in %.0f ms", method, url, response.status_code, elapsed)
        return _decode(response, method, url)

    def _check_host(self, url: str, product: str) -> None:
        """Never send credentials to a host we did not choose (a next_page_url elsewhere)."""
        want = urlsplit(self.base(product))
        got = urlsplit(url)
        if (got.scheme, got.netloc.lower()) != (want.scheme, want.netloc.lower()):
            raise ResponseError(
                f"refusing to send credentials to {got.scheme}://{got.netloc}: "
                f"the API pointed to a host other than {want.scheme}://{want.netloc}"
            )

    def paginate(
        self,
        path: str,
        key: str,
        *,
        product: str = MESSAGING,
        params: dict[str, Any] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield the records of a list, following the API's next page URL exactly as given,
        and never fetching a page once `limit` records were yielded."""
        if limit is not None and limit <= 0:
            return
        if page_size is None:
            page_size = min(limit, MAX_PAGE_SIZE) if limit else MAX_PAGE_SIZE
        query = dict(params or {})
        query["PageSize"] = page_size
        url: str | None = path
        seen: set[str] = set()
        count = 0
        first = True
        while url:
            payload = self.request("GET", url, product=product, params=query if first else None)
            first = False
            items, next_url = _page(payload, key, url)
            for item in items:
                yield item
                count += 1
                if limit is not None and count >= limit:
                    return
            if next_url:
                next_url = urljoin(self.base(product) + "/", next_url)
                if next_url in seen or next_url == url:
                    raise ResponseError(f"the API returned the same next page twice ({next_url}); stopping")
                seen.add(next_url)
            url = next_url

    # --- Messaging Services --------------------------------------------------------------

    def list_services(self, *, limit: int | None = None, page_size: int | None = None) -> Iterator[dict]:
        return self.paginate("/v1/Services", "services", limit=limit, page_size=page_size)

    def get_service(self, sid: str) -> dict:
        return self.request("GET", f"/v1/Services/{sid}")

    def create_service(self, form: dict[str, str]) -> dict:
        return self.request("POST", "/v1/Services", data=form)

    def update_service(self, sid: str, form: dict[str, str]) -> dict:
        return self.request("POST", f"/v1/Services/{sid}", data=form)

    def delete_service(self, sid: str) -> None:
        self.request("DELETE", f"/v1/Services/{sid}")

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _describe(params: dict | None, data: dict | None) -> str:
    parts = []
    if params:
        parts.append(f" query={params}")
    if data is not None:
        parts.append(f" form={data}")
    return "".join(parts)


def _page(payload: Any, key: str, url: str) -> tuple[list[dict], str | None]:
    """Records and the next page's URL, from a Messaging v1 page (`meta`) or a 2010 one."""
    if not isinstance(payload, dict):
        raise ResponseError(f"the list at {url} is not a JSON object")
    meta = payload.get("meta")
    if isinstance(meta, dict):
        key = meta.get("key") or key
        next_url = meta.get("next_page_url")
    elif "next_page_uri" in payload:  # the 2010 API: relative URIs at the top level
        next_url = payload.get("next_page_uri")
    else:
        raise ResponseError(f"the list at {url} has no paging information ('meta' is missing)")
    items = payload.get(key)
    if not isinstance(items, list):
        raise ResponseError(f"the list at {url} has no '{key}' array")
    if next_url is not None and not isinstance(next_url, str):
        raise ResponseError(f"the list at {url} has a next page URL that is not a string")
    return items, next_url or None


def _decode(response: requests.Response, method: str, url: str) -> Any:
    status = response.status_code
    body = response.content
    if 200 <= status < 300:
        if not body.strip():
            if status == 204 or method == "DELETE":
                return None
            raise ResponseError(f"{method} {url} answered HTTP {status} with an empty body")
        try:
            return json.loads(body)
        except ValueError:
            raise ResponseError(
                f"{method} {url} answered HTTP {status} with something that is not JSON: "
                f"{excerpt(response)}"
            ) from None
    raise api_error(response, method, url)


def api_error(response: requests.Response, method: str, url: str) -> ApiError:
    status = response.status_code
    try:
        body = json.loads(response.content)
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


def _network_error(exc: Exception, method: str, url: str) -> MsgsvcError:
    from urllib3.exceptions import NameResolutionError, NewConnectionError, ReadTimeoutError

    host = urlsplit(url).netloc
    args = getattr(exc, "args", ())
    inner = args[0] if args else None
    inner_reason = getattr(inner, "reason", None)
    # With retries, requests reports a read timeout of the last try as a ConnectionError
    # wrapping urllib3's MaxRetryError(reason=ReadTimeoutError).
    read_timeout = isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(inner_reason, ReadTimeoutError)
    # Whether the request may have reached the server: not when the connection, the TLS
    # handshake or the proxy failed first.
    sent = not isinstance(
        exc,
        (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError),
    ) and not isinstance(inner_reason, NewConnectionError)

    if isinstance(inner_reason, NameResolutionError):
        what = f"cannot resolve the host name {urlsplit(url).hostname}"
    elif isinstance(exc, requests.exceptions.SSLError):
        what = f"TLS verification of {host} failed"
    elif isinstance(exc, requests.exceptions.ProxyError):
        what = f"the proxy refused or failed the connection to {host}"
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        what = f"timed out connecting to {host}"
    elif read_timeout:
        what = f"{host} did not answer in time"
    elif isinstance(inner_reason, NewConnectionError):
        what = f"cannot connect to {host} (connection refused or unreachable)"
    else:
        what = f"the connection to {host} was lost"

    if method == "POST" and sent:
        return OutcomeUnknownError(
            f"{what} after the request was sent: {method} {url} may or may not have taken effect"
        )
    hint = None
    if isinstance(exc, requests.exceptions.SSLError):
        hint = "behind a proxy with its own certificate authority, set REQUESTS_CA_BUNDLE or the profile's ca_bundle"
    elif isinstance(exc, requests.exceptions.Timeout) or read_timeout:
        hint = "raise --timeout, or try again later"
    return NetworkError(what, hint=hint)
