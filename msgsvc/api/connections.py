"""How msgsvc reaches a host: urllib3's connection pools (one manager for direct connections,
one per proxy), TLS verified against the CA bundle requests would choose, and the proxy the
environment names for a URL, read as requests reads it. Each connection arms its thread's
retry.Deadline as an attempt starts, proxied ones too.

requests itself is imported only when a proxy may apply (a proxy variable is set, or on macOS
and Windows, whose system settings count): its rules for HTTPS_PROXY, ALL_PROXY and NO_PROXY
(CIDR blocks, ports, the system's exceptions) are the ones users know, and they stay its own."""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from msgsvc.api import retry as _retry
from msgsvc.errors import UsageError

HOSTS = 4  # pools kept: messaging and api, with room to spare
CONNECTIONS = 32  # per host: a bulk job's --concurrency is at most 32
CHECK_PROXY_VARIABLES = "check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY"


class _Armed:
    def connect(self) -> None:
        # A new connection is a new attempt: an https:// one (and a proxy's tunnel) is made
        # before request() arms the deadline, so the mark of the last attempt, whose request
        # went out whole, must not say that of this one, whose handshake may fail first.
        deadline = _retry.current()
        if deadline is not None:
            deadline.written = False
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> Any:
        deadline = _retry.current()
        if deadline is not None:
            deadline.arm(self)
        result = super().request(*args, **kwargs)  # type: ignore[misc]
        if deadline is not None:  # written in full: whatever fails now, the server may act on it
            deadline.written = True
        return result


class _Http(_Armed, HTTPConnection):
    pass


class _Https(_Armed, HTTPSConnection):
    pass


class _HttpPool(HTTPConnectionPool):
    ConnectionCls = _Http


class _HttpsPool(HTTPSConnectionPool):
    ConnectionCls = _Https


def basic_authorization(username: str, password: str) -> str:
    """An Authorization (or Proxy-Authorization) value, encoded as requests encodes it (Latin-1)."""
    from base64 import b64encode

    try:
        pair = f"{username}:{password}".encode("latin-1")
    except UnicodeEncodeError:
        raise UsageError(
            "the credentials hold a character that HTTP Basic authentication cannot carry (not Latin-1)",
            hint="check the profile's account SID, API key and secret (msgsvc profiles show)",
        ) from None
    return "Basic " + b64encode(pair).decode("ascii")


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for `url`, as requests chooses it, or None."""
    if sys.platform not in ("darwin", "win32") and not _proxy_variables():
        return None  # elsewhere urllib's system settings are the environment: nothing to read
    from requests.utils import get_environ_proxies, select_proxy

    return select_proxy(url, get_environ_proxies(url)) or None


def _proxy_variables() -> bool:
    return any(value and name.lower().endswith("_proxy") and name.lower() != "no_proxy" for name, value in os.environ.items())


def ca_location(ca_bundle: str | None) -> str:
    """The CA bundle (a file, or a folder of certificates) that verifies TLS, chosen as requests
    chooses it: the profile's ca_bundle, else REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE, else
    certifi's. OSError, with requests' words, when it is not there."""
    location = ca_bundle or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if not location:
        import certifi

        location = certifi.where()
    if not os.path.exists(location):
        raise OSError(f"Could not find a suitable TLS CA certificate bundle, invalid path: {location}")
    return location


def without_userinfo(url: str) -> str:
    """A proxy URL as it may be shown: everything before its last @ masked. Not parsed: a
    password with a / ? or # that is not percent-encoded ends the authority for urlsplit,
    a URL without a scheme has none, and a broken one (`[::1`) does not parse at all."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    return f"{scheme}{sep}***@{rest.rpartition('@')[2]}" if "@" in rest else url


def proxy_secrets(proxy: str | None) -> tuple[str, ...]:
    """The forms in which a proxy may echo back the password of its URL (in a reason phrase):
    as written, decoded, percent-encoded, and inside the Proxy-Authorization value sent. Read
    both as _manager reads the URL and as without_userinfo does (up to the last @)."""
    if not proxy:
        return ()
    if "://" not in proxy:
        proxy = "http://" + proxy
    rest = proxy.partition("://")[2]
    written = {rest.rpartition("@")[0].partition(":")[2]} if "@" in rest else set()
    username = ""
    try:
        parts = urlsplit(proxy)
        written.add(parts.password or "")
        username = unquote(parts.username or "")
    except ValueError:
        pass
    forms = set()
    for password in filter(None, written):
        forms |= {password, unquote(password), quote(unquote(password), safe="")}
        try:
            forms.add(basic_authorization(username, unquote(password)).removeprefix("Basic ").rstrip("="))
        except UsageError:
            pass
    return tuple(sorted(filter(None, forms)))


class Connections:
    """The pools of one Transport: `urlopen` sends a request through the manager its URL
    needs (direct or through the environment's proxy), with TLS verification always on."""

    def __init__(self, ca_bundle: str | None) -> None:
        self.ca_bundle = ca_bundle
        self._managers: dict[tuple[str | None, str], PoolManager] = {}
        self._proxies: dict[tuple[str, str], str | None] = {}

    def proxy_for(self, url: str) -> str | None:
        """environment_proxy, read once per scheme and host: the environment does not change
        during a run, and reading it for each request was a fifth of a bulk job's CPU."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc.lower())
        if key not in self._proxies:
            self._proxies[key] = environment_proxy(url)
        return self._proxies[key]

    def urlopen(self, method: str, url: str, **kwargs: Any) -> Any:
        """urllib3's urlopen through the right manager; the body is not read yet."""
        scheme = urlsplit(url).scheme.lower()
        proxy = self.proxy_for(url)
        manager = self._managers.get((proxy, scheme))
        if manager is None:
            manager = self._managers[(proxy, scheme)] = self._manager(proxy, scheme)
        return manager.urlopen(method, url, redirect=False, preload_content=False, decode_content=False, **kwargs)

    def _manager(self, proxy: str | None, scheme: str) -> PoolManager:
        options: dict[str, Any] = {"num_pools": HOSTS, "maxsize": CONNECTIONS, "block": False}
        if scheme == "https":
            location = ca_location(self.ca_bundle)
            options["cert_reqs"] = "CERT_REQUIRED"
            options["ca_cert_dir" if os.path.isdir(location) else "ca_certs"] = location
        if proxy is None:
            manager = PoolManager(**options)
            manager.pool_classes_by_scheme = {"http": _HttpPool, "https": _HttpsPool}
            return manager
        if "://" not in proxy:
            proxy = "http://" + proxy  # as requests reads HTTPS_PROXY=host:port
        try:
            parts = urlsplit(proxy)
            parts.port  # noqa: B018 - ValueError for a port that is not a number from 0 to 65535
        except ValueError:
            raise _unusable(proxy, "cannot be read as a URL") from None
        if not parts.hostname:
            raise _unusable(proxy, "names no host")
        kind = parts.scheme.lower()
        if kind not in ("http", "https") and not kind.startswith("socks"):
            raise _unusable(proxy, f"has the scheme {kind}://: a proxy is http://, https:// or socks5://")
        username, password = unquote(parts.username or ""), unquote(parts.password or "")
        if kind.startswith("socks"):
            return _socks_manager(proxy, username, password, options)
        from urllib3 import ProxyManager
        from urllib3.exceptions import LocationValueError

        try:
            headers = {"Proxy-Authorization": basic_authorization(username, password)} if username else {}
        except UsageError:
            raise _unusable(proxy, "has a user name or password that is not Latin-1, "
                                   "which HTTP Basic authentication cannot carry") from None
        try:
            manager = ProxyManager(proxy, proxy_headers=headers, **options)
        except LocationValueError:  # its words may hold the whole URL, password included
            raise _unusable(proxy, "cannot be read as a URL") from None
        manager.pool_classes_by_scheme = {"http": _HttpPool, "https": _HttpsPool}
        return manager

    def clear(self) -> None:
        for manager in self._managers.values():
            manager.clear()
        self._managers.clear()


def _unusable(proxy: str, why: str) -> UsageError:
    """A proxy URL of the environment that no request could go through: nothing was sent."""
    return UsageError(f"the proxy URL {without_userinfo(proxy)!r} {why}", hint=CHECK_PROXY_VARIABLES)


def _socks_manager(proxy: str, username: str, password: str, options: dict[str, Any]) -> PoolManager:
    """A SOCKS proxy (PySocks installed), its connections armed like the others."""
    try:
        from urllib3.contrib import socks
    except ImportError:
        raise UsageError(f"the proxy {without_userinfo(proxy)} is a SOCKS proxy, which needs PySocks",
                         hint="install it beside msgsvc: pip install PySocks") from None

    class Http(_Armed, socks.SOCKSConnection):
        pass

    class Https(_Armed, socks.SOCKSHTTPSConnection):
        pass

    class HttpPool(socks.SOCKSHTTPConnectionPool):
        ConnectionCls = Http

    class HttpsPool(socks.SOCKSHTTPSConnectionPool):
        ConnectionCls = Https

    try:
        manager = socks.SOCKSProxyManager(proxy, username=username, password=password, **options)
    except ValueError:  # socks6://, or a URL urllib3 cannot read: its words hold the whole URL
        raise _unusable(proxy, "is not a SOCKS proxy URL msgsvc can use (socks4://, socks4a://, socks5://, socks5h://)") from None
    manager.pool_classes_by_scheme = {"http": HttpPool, "https": HttpsPool}
    return manager
