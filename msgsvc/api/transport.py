"""The transport of the HTTP client: requests as urllib3 sends them (connections.py: pools,
proxies, TLS), retried by its Retry (retry.py) within the deadline of each attempt, to the
hosts of one account (regions, edges, a base URL); the caps on what a server can make msgsvc
read, the plain-http rules (credentials in clear only to this machine, never through a proxy),
and what a failed connection means for the user (NetworkError, or OutcomeUnknownError for a
POST that may have arrived). Nothing of the terminal; debug output goes to the `msgsvc.http`
logger.

The requests are what requests' Session would send (the same headers in the same order, the
same form encoding; tests/test_client.py compares them), without importing requests: a
quarter of every command's start-up, and most of the client's CPU per request in a bulk job
(its Protocol checks, cookie jar and Response building). What differs: a cookie a server sets
is not sent back (Twilio's API needs none), and redirects are never followed.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from msgsvc import __version__
from msgsvc.api import retry as _retry
from msgsvc.api.connections import (
    CHECK_PROXY_VARIABLES, Connections, basic_authorization, proxy_secrets, without_userinfo,
)
from msgsvc.api.decoding import decode
from msgsvc.api.pages import decode_page
from msgsvc.api.resources import form_dict
from msgsvc.api.retry import (
    IDEMPOTENT_METHODS, RETRIED_IF_IDEMPOTENT, Deadline, Throttle, backoff, loopback_literal, make_retry, pause,
    retry_note, tunnel_refusal,
)
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
FORM = "application/x-www-form-urlencoded"


class Answer:
    """One HTTP answer with its whole body: what decoding.py and pages.py read."""

    __slots__ = ("status_code", "reason", "headers", "content", "url")

    def __init__(self, status_code: int, reason: str | None, headers: Any, content: bytes, url: str) -> None:
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.content = content
        self.url = url


class _BrokenOff(Exception):
    """The answer's body broke off (or its deadline ended it): `error` says how."""

    def __init__(self, error: BaseException | None) -> None:
        super().__init__(error)
        self.error = error


def user_agent() -> str:
    """`msgsvc/1.2.0 (Linux x86_64) Python/3.11.7`: what platform.system(), machine() and
    python_version() say, read without the platform module (2 ms) where os has them."""
    import os
    import sys

    if hasattr(os, "uname"):
        system, machine = os.uname().sysname, os.uname().machine
    else:
        import platform

        system, machine = platform.system(), platform.machine()
    return f"msgsvc/{__version__} ({system} {machine}) Python/{sys.version.split()[0]}"


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
        self._connections: Connections | None = None
        self._headers: dict[str, str] | None = None
        self._authorization: str | None = None
        self._timeout: Any = None
        self._retry: Any = None
        self._plain_ok: set[tuple[str, str]] = set()  # http:// hosts checked: loopback, no proxy

    @property
    def connections(self) -> Connections:
        if self._connections is None:
            self._connections = Connections(self.settings.ca_bundle)
        return self._connections

    @property
    def headers(self) -> dict[str, str]:
        """The headers of every request, in the order requests' Session sends them."""
        if self._headers is None:
            from urllib3.util import make_headers

            self._headers = {
                "User-Agent": user_agent(),
                "Accept-Encoding": ", ".join(make_headers(accept_encoding=True)["accept-encoding"].split(",")),
                "Accept": "application/json",
                "Connection": "keep-alive",
                "Accept-Charset": "utf-8",
            }
        return self._headers

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
        if log.isEnabledFor(logging.DEBUG):  # _describe is not free, and a bulk job sends thousands
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
                raw, started = self._send(method, url, params, data, first=attempt == 0)
                try:
                    response = Answer(raw.status, raw.reason, raw.headers, self._body(raw, method, url), url)
                    if deadline.expired:  # the body ended because the time was up
                        raise _BrokenOff(None)
                    break
                except _BrokenOff as broken:
                    raw.close()
                    if deadline.expired:
                        raise _deadline_error(method, url, deadline.seconds) from None
                    if method.upper() not in IDEMPOTENT_METHODS or attempt >= self.settings.max_retries:
                        raise self._network_error(broken.error, method, url, answered=True) from None
                    attempt += 1
                    delay = backoff(attempt, self.settings.backoff_factor)
                    log.debug(
                        "retry: %s %s after the answer broke off (%s); waiting %.2f s (%s retries left)",
                        method, url, type(broken.error).__name__, delay, self.settings.max_retries - attempt,
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
            error.retried_after = _retried_after(raw, broke_off=attempt > 0)
            if error.status == 404 and error.hint is None and self._base_ends_in_v1():
                error.hint = (f"the base URL {self.settings.base_url} ends in /v1, and msgsvc adds /v1 itself: "
                              f"drop it from {self.settings.base_url_origin or 'the base URL'}")
            raise

    def _base_ends_in_v1(self) -> bool:
        return bool(self.settings.base_url) and urlsplit(self.settings.base_url).path.rstrip("/").endswith("/v1")

    @staticmethod
    def _body(response: Any, method: str, url: str) -> bytes:
        """The whole body, in large reads, decompressed a read at a time: ResponseError past
        MAX_ANSWER bytes, so memory stays bounded; _BrokenOff when it breaks off."""
        from urllib3.exceptions import HTTPError

        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_ANSWER:
            response.close()
            raise _too_large(method, url)
        # A chunked body's Content-Length says nothing (chunked wins, and a hostile server
        # sends both): only a body that is as long as it says may be read in one go.
        if declared.isdigit() and not response.chunked and "Content-Encoding" not in response.headers:
            try:  # as long as it says, and not compressed: one read holds at most that much
                return response.read(decode_content=False)
            except (HTTPError, OSError) as exc:
                raise _BrokenOff(exc) from None
        chunks, size = [], 0
        try:
            for chunk in response.stream(1 << 20, decode_content=True):
                size += len(chunk)
                if size > MAX_ANSWER:
                    response.close()
                    raise _too_large(method, url)
                chunks.append(chunk)
        except (HTTPError, OSError) as exc:  # urllib3 wraps what the socket and TLS raise
            raise _BrokenOff(exc) from None
        return b"".join(chunks)

    def _send(self, method: str, url: str, params: Any, data: Any, *, first: bool = True) -> tuple[Any, float]:
        """One request through urllib3 and the retrying pools; the body is not read yet.
        Before the first attempt, a bulk job's Ctrl-C may still call it off (retry.Cancelled)."""
        from urllib3.exceptions import HTTPError
        from urllib3.util import Timeout

        if self._retry is None:
            self._retry = make_retry(self.settings.max_retries, self.throttle, self.settings.backoff_factor,
                                     notify=self.settings.on_retry)
        # What requests' PreparedRequest would make of it: the query appended, the form as
        # its body with its length (0 for a method that could carry one and does not), the
        # form's content type, and Basic authorization last.
        query = encode_form(params)
        target = f"{url}{'&' if urlsplit(url).query else '?'}{query}" if query else url
        body = encode_form(data).encode("ascii") or None
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Length"] = str(len(body))
            if data:
                headers["Content-Type"] = FORM
        elif method.upper() not in ("GET", "HEAD"):
            headers["Content-Length"] = "0"
        if self._authorization is None:
            self._authorization = basic_authorization(self.settings.username, self.settings.password)
            self._timeout = Timeout(connect=self.settings.connect_timeout, read=self.settings.read_timeout)
        headers["Authorization"] = self._authorization
        self.throttle.wait(cancellable=first)
        started = time.monotonic()
        try:
            response = self.connections.urlopen(
                method.upper(), target, body=body, headers=headers, retries=self._retry,
                assert_same_host=False,
                timeout=self._timeout,  # urllib3 clones it for each connection
            )
        except (HTTPError, OSError) as exc:
            deadline = _retry.current()
            if deadline is not None and deadline.expired:
                raise _deadline_error(method, url, deadline.seconds) from None
            if isinstance(exc, OSError) and "CA certificate bundle" in str(exc):  # connections.ca_location
                raise NetworkError(
                    f"cannot send {method} {url}: {exc}",
                    hint="check REQUESTS_CA_BUNDLE, or the profile's ca_bundle (msgsvc profiles show)",
                ) from None
            raise self._network_error(exc, method, url, written=deadline is not None and deadline.written) from None
        return response, started

    def _network_error(self, exc: BaseException | None, method: str, url: str, *, answered: bool = False,
                       written: bool = False) -> MsgsvcError:
        """_network_error, naming where the URL came from when it is the base URL's."""
        base = self.settings.base_url
        origin = self.settings.base_url_origin if base and url.startswith(base.rstrip("/")) else None
        proxy = self.connections.proxy_for(url) if self._connections is not None else None
        return _network_error(exc, method, url, origin=origin, answered=answered, written=written,
                              proxy=without_userinfo(proxy) if proxy else None, proxy_secrets=proxy_secrets(proxy))

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
            proxy = self.connections.proxy_for(url)
            if proxy:
                raise UsageError(
                    f"refusing to send credentials for http://{got.netloc} through the plain-HTTP proxy "
                    f"{without_userinfo(proxy)}: the proxy could read them",
                    hint=f"exempt the local server from the proxy: NO_PROXY={got.hostname}",
                )
            self._plain_ok.add((got.scheme, got.netloc))

    def close(self) -> None:
        if self._connections is not None:
            self._connections.clear()


def _retried_after(raw: Any, *, broke_off: bool) -> str | None:
    """How an earlier attempt of this request that may have been done was answered: its
    answer broke off, or urllib3 retried it after a 5xx or a read that failed once it was
    sent (not after a 429, nor a connection that was never made: nothing was done then)."""
    from urllib3.exceptions import ConnectTimeoutError, ProxyError

    if broke_off:
        return "an answer that broke off"
    for attempt in getattr(getattr(raw, "retries", None), "history", None) or ():
        if attempt.status in RETRIED_IF_IDEMPOTENT:
            return f"HTTP {attempt.status}"
        error = attempt.error
        if isinstance(error, ProxyError):
            error = error.original_error
        if error is not None and not isinstance(error, ConnectTimeoutError):
            return "a lost answer"
    return None


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
    """The error at the bottom of urllib3's wrappers (ssl.SSLError, OSError)."""
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


def _proxy_failure(failure: Any, host: str, proxy: str | None, secrets: tuple[str, ...] = ()) -> tuple[str, str | None]:
    """What went wrong on the way through a proxy, and what to do about it. `secrets`: the
    forms of the proxy URL's password (connections.proxy_secrets), never shown."""
    from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

    inner = getattr(failure, "original_error", None)
    where = f"the proxy {proxy}" if proxy else "the proxy"
    change = CHECK_PROXY_VARIABLES
    refused = tunnel_refusal(failure)
    if refused is not None:
        status, reason = refused
        if any(secret.lower() in reason.lower() for secret in secrets):  # the proxy echoed its password
            reason = ""
        what = f"{where} refused the tunnel to {host}: HTTP {status}{' ' + reason if reason else ''}"
        if status == 407:
            if proxy and "@" in proxy:
                return what, "check the user name and password in the proxy URL (a : @ / in them is percent-encoded)"
            return what, "the proxy wants a user name and password: put USER:PASSWORD@ before its host in the proxy URL"
        if status >= 500:  # 502, 503, 504: the proxy failed on its side, no rule of its own
            return what, f"the proxy could not reach {host} or is in trouble: try again later, or ask whoever runs it"
        return what, "the proxy's own rules stop it: ask whoever runs it, or " + change
    if isinstance(inner, NameResolutionError):
        return f"cannot resolve the host name of {where}", change
    if isinstance(inner, NewConnectionError):
        return f"cannot connect to {where} (connection refused or unreachable)", change
    if isinstance(inner, ConnectTimeoutError):
        return f"timed out connecting to {where}", "raise --timeout, or " + change
    return f"{where} refused or failed the connection to {host}", None


def _network_error(exc: BaseException | None, method: str, url: str, *, origin: str | None = None,
                   answered: bool = False, written: bool = False, proxy: str | None = None,
                   proxy_secrets: tuple[str, ...] = ()) -> MsgsvcError:
    """What a failed request means for the user. `exc` is what urllib3 raised (the last
    attempt's error inside a MaxRetryError); `answered`: the answer's body broke off, so the
    request was sent; `written`: an attempt's request went out whole (retry.Deadline); `proxy`:
    the proxy the request went through, as it may be shown, and `proxy_secrets` the forms of
    its password, which never are."""
    from urllib3.exceptions import (
        ConnectTimeoutError, MaxRetryError, NameResolutionError, NewConnectionError, ProxyError, ReadTimeoutError,
        SSLError,
    )

    parts = urlsplit(url)
    host = parts.netloc
    failure = exc.reason if isinstance(exc, MaxRetryError) and exc.reason is not None else exc
    read_timeout = isinstance(failure, ReadTimeoutError)
    # Whether the request may have reached the server: not when the connection, the TLS
    # handshake or the proxy failed first (a refused connection is a ConnectTimeoutError too).
    # A TLS error after the request went out whole (an alert or a garbled record instead of
    # the answer) proves nothing either.
    sent = answered or written or not isinstance(failure, (ConnectTimeoutError, SSLError, ProxyError))
    came_from = f" (the URL is from {origin})" if origin else ""
    hint = None

    if answered:
        what = f"{host} did not answer in time" if read_timeout else f"the connection to {host} was lost"
    elif written and isinstance(failure, SSLError):
        log.debug("TLS error talking to %s after the request: %s", host, _innermost(failure))
        what = f"the TLS connection to {host} broke"
        hint = "run again with --debug to see the TLS library's reason"
    elif isinstance(failure, NameResolutionError):
        what = f"cannot resolve the host name {parts.hostname}{came_from}"
    elif isinstance(failure, SSLError):
        reason = str(_innermost(failure))
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
    elif isinstance(failure, ProxyError):
        what, hint = _proxy_failure(failure, host, proxy, proxy_secrets)
    elif isinstance(failure, NewConnectionError):
        refused = isinstance(_innermost(failure), ConnectionRefusedError) or "refused" in str(failure)
        what = f"cannot connect to {host} ({'connection refused' if refused else 'connection refused or unreachable'}){came_from}"
        if loopback_literal(parts.hostname or ""):
            port = f" --port {parts.port}" if parts.port not in (None, 4010) else ""
            hint = f"is the emulator running on {host}? start it with: msgsvc emulator{port}"
    elif isinstance(failure, ConnectTimeoutError):
        what = f"timed out connecting to {host}{came_from}"
    elif read_timeout:
        what = f"{host} did not answer in time"
    else:
        what = f"the connection to {host} was lost"

    if method == "POST" and sent:
        return OutcomeUnknownError(
            f"{what} after the request was sent: {method} {url} may or may not have taken effect"
        )
    if hint is None and (read_timeout or isinstance(failure, ConnectTimeoutError) and not isinstance(failure, NewConnectionError)):
        hint = "raise --timeout, or try again later"
    return NetworkError(what, hint=hint)
