"""Corporate networks: the installed msgsvc reaches https://messaging.twilio.com (no --base-url)
through a TLS-terminating CONNECT proxy on 127.0.0.1 that holds a certificate from a CA made
here. TLS verification stays on: without the CA the same run fails.

Nothing may reach the real host. The proxy is on loopback; the target name travels only
inside CONNECT. As a second wall, the subprocess loads a `sitecustomize` that refuses to
resolve or connect to anything but loopback, and each test fails if the proxy saw no CONNECT
(a control test shows the guard stops a run that bypasses the proxy).
"""

from __future__ import annotations

import json
import re
import ssl
from pathlib import Path
from dataclasses import dataclass, field

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, BASIC_AUTH, SERVICE_SID, page, run_installed, service
from corehelp import refusing_port
from faults import SocketServer, read_head

trustme = pytest.importorskip("trustme")

GUARD = (Path(__file__).parent / "loopback_guard" / "sitecustomize.py").read_text()


@dataclass
class Tunnel:
    connect_line: str = ""
    connect_head: str = ""
    request_head: str = ""
    body: bytes = b""
    error: str = ""
    headers: dict = field(default_factory=dict)


class ConnectProxy:
    """CONNECT host:443, answer 200, then be the host: TLS with the test CA's certificate."""

    def __init__(self, ca) -> None:
        self.tunnels: list[Tunnel] = []
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("messaging.twilio.com").configure_cert(self.context)
        self.server = SocketServer(self._tunnel)

    @property
    def url(self) -> str:
        return self.server.url

    def _tunnel(self, conn) -> None:
        tunnel = Tunnel()
        self.tunnels.append(tunnel)
        conn.settimeout(10)
        try:
            head, _ = read_head(conn)
            tunnel.connect_head = head.decode()
            tunnel.connect_line = tunnel.connect_head.split("\r\n")[0]
            if not tunnel.connect_line.startswith("CONNECT "):
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            tls = self.context.wrap_socket(conn, server_side=True)
            head, body = read_head(tls)
            tunnel.request_head = head.decode()
            lines = tunnel.request_head.split("\r\n")
            tunnel.headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            length = int(tunnel.headers.get("Content-Length", 0))
            while len(body) < length:
                body += tls.recv(65536)
            tunnel.body = body
            if lines[0].startswith("POST "):
                from urllib.parse import parse_qs

                status, payload = "201 Created", service(name=parse_qs(body.decode())["FriendlyName"][0])
            else:
                status, payload = "200 OK", page("services", [service()])
            data = json.dumps(payload).encode()
            tls.sendall(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                f"Connection: close\r\n\r\n".encode() + data
            )
            tls.close()
        except (OSError, ssl.SSLError, ValueError) as exc:
            tunnel.error = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def ca():
    return trustme.CA()


@pytest.fixture
def proxy(ca):
    server = ConnectProxy(ca)
    yield server
    server.stop()


@pytest.fixture
def network_env(tmp_path, proxy, monkeypatch):
    """The environment of a machine behind the proxy, plus the loopback-only guard."""
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    return {
        "HTTPS_PROXY": proxy.url,
        "https_proxy": proxy.url,
        "NO_PROXY": "",
        "no_proxy": "",
        "PYTHONPATH": str(guard),
    }


def assert_tunnelled(proxy, request_line: str, number: int = 0) -> None:
    assert proxy.tunnels, "the proxy saw no CONNECT"
    tunnel = proxy.tunnels[number]
    assert re.fullmatch(r"CONNECT messaging\.twilio\.com:443 HTTP/1\.[01]", tunnel.connect_line)
    assert tunnel.error == ""
    assert tunnel.request_head.split("\r\n")[0] == request_line
    assert tunnel.headers["Host"] == "messaging.twilio.com"
    assert tunnel.headers["Authorization"] == BASIC_AUTH


def test_list_through_the_proxy_with_requests_ca_bundle(proxy, network_env, ca, tmp_path):
    ca_file = tmp_path / "corporate-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    env = {**network_env, "REQUESTS_CA_BUNDLE": str(ca_file), "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}

    proc = run_installed("services", "list", "--json", env=env)

    assert (proc.returncode, proc.stderr) == (0, "")
    assert json.loads(proc.stdout) == [service()]
    assert_tunnelled(proxy, "GET /v1/Services?PageSize=50 HTTP/1.1")
    assert len(proxy.tunnels) == 1


def test_create_through_the_proxy_with_the_profiles_ca_bundle(proxy, network_env, ca, tmp_path):
    ca_file = tmp_path / "corporate-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    added = run_installed("profiles", "add", "corp", "--no-verify", "--account-sid", ACCOUNT_SID, "--ca-bundle", str(ca_file), input=AUTH_TOKEN + "\n")
    assert added.returncode == 0, added.stderr

    proc = run_installed("services", "create", "--friendly-name", "Backups", env=network_env)

    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == f"Created {SERVICE_SID} (Backups)\n"
    assert_tunnelled(proxy, "GET /v1/Services?PageSize=1000 HTTP/1.1")  # is the name free? (only Alerts is there)
    assert_tunnelled(proxy, "POST /v1/Services HTTP/1.1", 1)
    assert proxy.tunnels[1].body == b"FriendlyName=Backups"
    assert len(proxy.tunnels) == 2


def test_the_profiles_ca_bundle_beats_a_wrong_requests_ca_bundle(proxy, network_env, ca, tmp_path):
    ca_file = tmp_path / "corporate-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    wrong = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(wrong))
    run_installed("profiles", "add", "corp", "--no-verify", "--account-sid", ACCOUNT_SID, "--ca-bundle", str(ca_file), input=AUTH_TOKEN + "\n")

    proc = run_installed("services", "list", env={**network_env, "REQUESTS_CA_BUNDLE": str(wrong)})

    assert proc.returncode == 0, proc.stderr
    assert_tunnelled(proxy, "GET /v1/Services?PageSize=50 HTTP/1.1")


def test_without_the_ca_tls_verification_fails_and_is_not_retried(proxy, network_env):
    env = {**network_env, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}

    proc = run_installed("services", "list", env=env)

    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        "msgsvc: TLS verification of messaging.twilio.com failed\n"
        "hint: behind a proxy with its own certificate authority, set REQUESTS_CA_BUNDLE or the profile's ca_bundle\n"
    )
    assert len(proxy.tunnels) == 1
    assert proxy.tunnels[0].connect_line.startswith("CONNECT messaging.twilio.com:443 HTTP/1.")
    assert proxy.tunnels[0].request_head == ""  # no request went through an unverified tunnel


def test_control_the_guard_stops_a_run_that_bypasses_the_proxy(proxy, network_env):
    env = {**network_env, "HTTPS_PROXY": "", "https_proxy": "", "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}

    proc = run_installed("--max-retries", "0", "services", "list", env=env)

    assert (proc.returncode, proc.stderr) == (1, "msgsvc: cannot resolve the host name messaging.twilio.com\n")
    assert proxy.tunnels == []


def test_a_missing_ca_bundle_is_a_clear_error(msgsvc, monkeypatch, tmp_path):
    from msgsvc.local import config

    config.write_config({"active": "a", "profiles": {"a": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "ca_bundle": str(tmp_path / "gone.pem")}}})
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (2, "")
    assert result.err == f"msgsvc: ca_bundle from file profile 'a' is not a file: '{tmp_path / 'gone.pem'}'\n"


def test_a_missing_requests_ca_bundle_is_a_clear_error(msgsvc, monkeypatch, tmp_path):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "gone.pem"))
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("MSGSVC_BASE_URL", "https://127.0.0.1:9")  # loopback; fails before connecting
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "msgsvc: cannot send GET https://127.0.0.1:9/v1/Services?PageSize=50: Could not find a suitable "
        f"TLS CA certificate bundle, invalid path: {tmp_path / 'gone.pem'}\n"
        "hint: check REQUESTS_CA_BUNDLE, or the profile's ca_bundle (msgsvc profiles show)\n"
    )


def test_a_proxy_with_a_user_and_password_gets_them_on_connect(proxy, network_env, ca, tmp_path):
    """As requests sends them: Proxy-Authorization on the CONNECT only, the user info unquoted;
    never inside the tunnel, and never in what msgsvc prints."""
    ca_file = tmp_path / "corporate-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with_user = proxy.url.replace("http://", "http://corp%40user:p%3Ass@")
    env = {**network_env, "HTTPS_PROXY": with_user, "https_proxy": with_user, "REQUESTS_CA_BUNDLE": str(ca_file),
           "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}

    proc = run_installed("--debug", "services", "list", "--json", env=env)

    assert proc.returncode == 0, proc.stderr
    assert_tunnelled(proxy, "GET /v1/Services?PageSize=50 HTTP/1.1")
    import base64

    expected = "Basic " + base64.b64encode(b"corp@user:p:ss").decode()
    assert f"Proxy-Authorization: {expected}" in proxy.tunnels[0].connect_head.split("\r\n")
    assert "Proxy-Authorization" not in proxy.tunnels[0].headers
    assert "p%3Ass" not in proc.stderr and "p:ss" not in proc.stderr


def _without_pysocks() -> bool:
    try:
        import socks  # noqa: F401
    except ImportError:
        return True
    return False


@pytest.mark.parametrize(("proxy_url", "message"), [
    pytest.param("socks5://127.0.0.1:9", "msgsvc: the proxy socks5://127.0.0.1:9 is a SOCKS proxy, which needs PySocks\n"
                 "hint: install it beside msgsvc: pip install PySocks\n", id="socks without PySocks",
                 marks=pytest.mark.skipif(not _without_pysocks(), reason="PySocks is installed here")),
    pytest.param("http://user:secret@:3128", "msgsvc: the proxy URL 'http://***@:3128' names no host\n"
                 "hint: check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY\n", id="no host"),
    # Nothing can be sent through these: a usage error (exit 2), never "the connection was
    # lost" (for a POST: "may or may not have taken effect"), nor an unexpected error; and
    # urllib3's own words, which hold the whole URL, are not repeated.
    pytest.param("http://user:secret@[::1:3128", "msgsvc: the proxy URL 'http://***@[::1:3128' cannot be read as a URL\n"
                 "hint: check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY\n", id="unclosed bracket"),
    pytest.param("http://user:secret@127.0.0.1:312800", "msgsvc: the proxy URL 'http://***@127.0.0.1:312800' cannot be read as a URL\n"
                 "hint: check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY\n", id="port past 65535"),
    pytest.param("127.0.0.1:proxy", "msgsvc: the proxy URL 'http://127.0.0.1:proxy' cannot be read as a URL\n"
                 "hint: check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY\n", id="port not a number"),
    pytest.param("ftp://user:secret@127.0.0.1:21", "msgsvc: the proxy URL 'ftp://***@127.0.0.1:21' has the scheme ftp://: "
                 "a proxy is http://, https:// or socks5://\n"
                 "hint: check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY\n", id="ftp"),
    pytest.param("http://us%E2%98%83er:secret@127.0.0.1:9", "msgsvc: the proxy URL 'http://***@127.0.0.1:9' has a user name or "
                 "password that is not Latin-1, which HTTP Basic authentication cannot carry\n"
                 "hint: check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY\n", id="not latin-1"),
])
def test_a_proxy_msgsvc_cannot_use_is_a_clear_error(network_env, proxy_url, message):
    env = {**network_env, "HTTPS_PROXY": proxy_url, "https_proxy": proxy_url,
           "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}

    proc = run_installed("services", "list", env=env)

    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", message)


class RefusingProxy:
    """Answers every CONNECT with `status` (the proxy's own rules), counting them."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.connects: list[str] = []
        self.server = SocketServer(self._refuse)

    def _refuse(self, conn) -> None:
        try:
            head, _ = read_head(conn)
            self.connects.append(head.decode())
            conn.sendall(f"HTTP/1.1 {self.status}\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n"
                         "Content-Length: 0\r\n\r\n".encode())
        finally:
            conn.close()


@pytest.mark.parametrize(("userinfo", "status", "message"), [
    pytest.param("", "407 Proxy Authentication Required",
                 "refused the tunnel to messaging.twilio.com: HTTP 407 Proxy Authentication Required\n"
                 "hint: the proxy wants a user name and password: put USER:PASSWORD@ before its host in the proxy URL\n",
                 id="407 without credentials"),
    pytest.param("user:secret@", "407 Proxy Authentication Required",
                 "refused the tunnel to messaging.twilio.com: HTTP 407 Proxy Authentication Required\n"
                 "hint: check the user name and password in the proxy URL (a : @ / in them is percent-encoded)\n",
                 id="407 with credentials"),
    pytest.param("", "403 Forbidden",
                 "refused the tunnel to messaging.twilio.com: HTTP 403 Forbidden\n"
                 "hint: the proxy's own rules stop it: ask whoever runs it, or check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY\n",
                 id="403"),
])
def test_a_tunnel_the_proxy_refuses_is_said_once_and_not_asked_again(network_env, userinfo, status, message):
    refusing = RefusingProxy(status)
    try:
        port = refusing.server.listener.getsockname()[1]
        proxy_url = f"http://{userinfo}127.0.0.1:{port}"
        env = {**network_env, "HTTPS_PROXY": proxy_url, "https_proxy": proxy_url,
               "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
        proc = run_installed("services", "create", "--friendly-name", "Backups", env=env)
    finally:
        refusing.server.stop()
    shown = f"http://{'***@' if userinfo else ''}127.0.0.1:{port}"
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", f"msgsvc: the proxy {shown} {message}")
    assert len(refusing.connects) == 1  # a proxy's refusal is its rule: asking again changes nothing
    assert re.match(r"CONNECT messaging\.twilio\.com:443 HTTP/1\.[01](\r\n|$)", refusing.connects[0])
    assert ("Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=" in refusing.connects[0]) == bool(userinfo)


def test_a_tunnel_the_proxy_fails_with_5xx_is_asked_again_and_not_called_its_rule(network_env):
    refusing = RefusingProxy("502 Bad Gateway")
    try:
        port = refusing.server.listener.getsockname()[1]
        env = {**network_env, "HTTPS_PROXY": f"http://127.0.0.1:{port}", "https_proxy": f"http://127.0.0.1:{port}",
               "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
        proc = run_installed("--max-retries", "1", "services", "list", env=env)
    finally:
        refusing.server.stop()
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", (
        f"msgsvc: the proxy http://127.0.0.1:{port} refused the tunnel to messaging.twilio.com: HTTP 502 Bad Gateway\n"
        "hint: the proxy could not reach messaging.twilio.com or is in trouble: try again later, or ask whoever runs it\n"))
    assert len(refusing.connects) == 2  # not its rule: asked again, as a lost connection is


@pytest.mark.parametrize("echoed", [
    pytest.param("p@ss:w0rd/x", id="verbatim"),
    pytest.param("p%40ss%3Aw0rd%2Fx", id="percent-encoded"),
    pytest.param("P%40SS%3AW0RD%2FX", id="percent-encoded, other case"),
    pytest.param("Basic " + __import__("base64").b64encode(b"corp:p@ss:w0rd/x").decode(), id="basic value"),
])
def test_a_refusal_that_echoes_the_proxy_password_does_not_show_it(network_env, echoed):
    """The proxy's reason phrase is its own text: one that holds the password of the proxy
    URL (masked everywhere else) is left out, in --debug too."""
    refusing = RefusingProxy(f"407 wrong password {echoed} for corp")
    try:
        port = refusing.server.listener.getsockname()[1]
        proxy_url = f"http://corp:p%40ss%3Aw0rd%2Fx@127.0.0.1:{port}"
        env = {**network_env, "HTTPS_PROXY": proxy_url, "https_proxy": proxy_url,
               "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
        proc = run_installed("--debug", "services", "list", env=env)
    finally:
        refusing.server.stop()
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr.splitlines()[-2:] == [
        f"msgsvc: the proxy http://***@127.0.0.1:{port} refused the tunnel to messaging.twilio.com: HTTP 407",
        "hint: check the user name and password in the proxy URL (a : @ / in them is percent-encoded)",
    ]
    assert "w0rd" not in proc.stderr.lower() and echoed.split()[-1] not in proc.stderr


def test_a_proxy_that_is_not_there_is_named(network_env):
    with refusing_port() as port:
        env = {**network_env, "HTTPS_PROXY": f"http://127.0.0.1:{port}", "https_proxy": f"http://127.0.0.1:{port}",
               "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
        proc = run_installed("--max-retries", "0", "services", "list", env=env)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        1, "", f"msgsvc: cannot connect to the proxy http://127.0.0.1:{port} (connection refused or unreachable)\n"
               "hint: check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY\n")
