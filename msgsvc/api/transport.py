"""The transport of the HTTP client: the requests session (the retrying adapter, the
deadline of each attempt), the hosts (regions, edges, a base URL), the caps on what a server
can make msgsvc read, the plain-http rules (credentials in clear only to this machine, never
through a proxy), and what a failed connection means for the user (NetworkError, or
OutcomeUnknownError for a POST that may have arrived). Nothing of the terminal; debug output
goes to the `msgsvc.http` logger.
"""

from __future__ import annotations

import logging
import platform
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from msgsvc import __version__
from msgsvc.api import retry as _retry
from msgsvc.api.decoding import decode
from msgsvc.api.pages import decode_page
from msgsvc.api.resources import form_dict
from msgsvc.api.retry import IDEMPOTENT_METHODS, Deadline, Throttle, backoff, loopback_literal, make_retry, pause, retry_note
from msgsvc.errors import ApiError, MsgsvcError, NetworkError, OutcomeUnknownError, ResponseError, UsageError

if TYPE_CHECKING:
    from msgsvc.api.settings import ClientSettings

    # A form body: (name, value) pairs, a name repeated for a list-valued field; or a dict.
    Form = list[tuple[str, str]] | dict[str, str]

log = logging.getLogger("msgsvc.http")

MESSAGING = "messaging"
CORE = "api"
# Limits on what a server can make msgsvc do (README, "Retries, timeouts, proxies"):
MAX_ANSWER = 32 * 1024 * 1024  # bytes of one answer, after decompression; a page of 1,000 is ~1.5 MB


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


class Transport:
    """Requests to one account's hosts, as ClientSettings say; Client adds the resources."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.throttle = Throttle()
        self._session: requests.Session | None = None
        self._plain_ok: set[tuple[str, str]] = set()  # http:// hosts checked: loopback, no proxy

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
        if method != "GET" and self.settings.before_change is not None:
            told, self.settings.before_change = self.settings.before_change, None  # once per run
            told()
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
                return decode_page(response, method, url, page_key)
            return decode(response, method, url)
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
        session = self.session
        try:
            # What Session.request does, less what msgsvc never uses and would pay for on every
            # request, half of the client's CPU in a bulk job: the cookie jar (a cookie a server
            # sets is not sent back), redirects (never followed) and hooks. The steps are
            # PreparedRequest.prepare's, in its order, with the session's headers and auth.
            prepared = requests.PreparedRequest()
            prepared.prepare_method(method.upper())
            prepared.prepare_url(url, encode_form(params))
            prepared.prepare_headers(session.headers)
            prepared.prepare_body(encode_form(data), None)
            if data and "Content-Type" not in prepared.headers:
                prepared.headers["Content-Type"] = FORM
            prepared.prepare_auth(session.auth, url)
            # Per request, so that a profile's ca_bundle beats REQUESTS_CA_BUNDLE (requests
            # lets the environment override a session's verify). Never False.
            environment = session.merge_environment_settings(
                prepared.url, {}, True, self.settings.ca_bundle or True, None)
            response = session.get_adapter(prepared.url).send(
                prepared,
                stream=True,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                verify=environment["verify"],
                cert=environment["cert"],
                proxies=environment["proxies"],
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

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


FORM = "application/x-www-form-urlencoded"


def encode_form(form: Form | None) -> str:
    """A form (or query) as requests encodes one (RequestEncodingMixin._encode_params): names and
    values in UTF-8, a list value as the name repeated, None left out. Here because requests
    checks a dict against a runtime Protocol first, which costs 25 us a time on Python 3.11:
    given the text, it takes it as it is."""
    from urllib.parse import urlencode

    if not form:
        return ""
    pairs = []
    for name, values in form.items() if isinstance(form, dict) else form:
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            values = [values]
        for value in values:
            if value is not None:
                pairs.append((name.encode() if isinstance(name, str) else name,
                              value.encode() if isinstance(value, str) else value))
    return urlencode(pairs, doseq=True)


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
    """Whether plain http:// to `host` stays on this machine: the literal name localhost, a
    loopback address, or a name every address of which is loopback after resolution. A name
    is never trusted for its shape: `billing.localhost` may resolve anywhere."""
    import ipaddress
    import socket

    if loopback_literal(host):
        return True
    host = host.strip("[]").rstrip(".").lower()
    try:
        ipaddress.ip_address(host)
        return False  # an address, and not a loopback one
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0] for info in found}
    try:
        return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)
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
        if loopback_literal(parts.hostname or ""):
            port = f" --port {parts.port}" if parts.port not in (None, 4010) else ""
            hint = f"is the emulator running on {host}? start it with: msgsvc emulator{port}"
    else:
        what = f"the connection to {host} was lost"

    if method == "POST" and sent:
        return OutcomeUnknownError(
            f"{what} after the request was sent: {method} {url} may or may not have taken effect"
        )
    if hint is None and (isinstance(exc, requests.exceptions.Timeout) or read_timeout):
        hint = "raise --timeout, or try again later"
    return NetworkError(what, hint=hint)
