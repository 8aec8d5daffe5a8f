"""TLS that fails after the request went out whole: a server (on 127.0.0.1, with a certificate
from a CA made here) that reads the whole request, then sends bytes that are not a TLS record
instead of the answer. The server may have acted on it: for a POST the outcome is unknown
and is checked, never reported as "not sent"; a handshake that fails is still "not sent"."""

from __future__ import annotations

import datetime
import json
import socket
import ssl

import pytest
from conftest import SERVICE_SID, page, service
from faults import SocketServer, read_head
from test_errors import use_base_url

trustme = pytest.importorskip("trustme")


class TlsServer:
    """Answers over TLS as `answers` says, one per request in order: a (status, payload)
    pair (or (status, payload, extra header lines)), or GARBLE (the request is read in full,
    then garbage comes on the raw socket); STRANGER, for a new connection, is a handshake with
    a certificate from a CA the client does not trust (no request can follow)."""

    def __init__(self, ca, answers: list) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self.context)
        self.stranger = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        trustme.CA().issue_cert("127.0.0.1").configure_cert(self.stranger)
        self.answers = list(answers)
        self.requests: list[str] = []
        self.server = SocketServer(self._serve)

    @property
    def url(self) -> str:
        return self.server.url.replace("http://", "https://")

    def _serve(self, conn) -> None:
        conn.settimeout(10)
        try:
            if self.answers and self.answers[0] is STRANGER:
                self.answers.pop(0)
                self.stranger.wrap_socket(conn, server_side=True)  # the client refuses it
                return
            tls = self.context.wrap_socket(conn, server_side=True)
            head, body = read_head(tls)
            lines = head.decode().split("\r\n")
            length = next((int(line.split(": ", 1)[1]) for line in lines if line.lower().startswith("content-length: ")), 0)
            while len(body) < length:
                body += tls.recv(65536)
            self.requests.append(lines[0])
            answer = self.answers.pop(0)
            if answer is GARBLE:
                socket.socket.sendall(tls, b"this is not a TLS record\r\n" * 4)  # under TLS, on the raw socket
                return
            status, payload, *extra = answer
            data = json.dumps(payload).encode()
            tls.sendall(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                        f"{''.join(extra)}Connection: close\r\n\r\n".encode() + data)
            tls.close()
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.server.stop()


GARBLE = object()
STRANGER = object()


@pytest.fixture
def ca(tmp_path):
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    return authority


def serve(request, ca, tmp_path, answers) -> TlsServer:
    server = TlsServer(ca, answers)
    request.addfinalizer(server.stop)
    use_base_url(server.url, ca_bundle=str(tmp_path / "ca.pem"))
    return server


def test_a_post_whose_tls_breaks_after_it_went_out_is_checked(msgsvc, profile, ca, tmp_path, request):
    # The name is free; the POST goes out whole and garbage comes back; the look finds it made.
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    server = serve(request, ca, tmp_path, [("200 OK", page("services", [])), GARBLE,
                                           ("200 OK", page("services", [service(date_created=now)]))])
    result = msgsvc("services", "create", "--friendly-name", "Alerts", "--json")
    assert server.requests == ["GET /v1/Services?PageSize=1000 HTTP/1.1", "POST /v1/Services HTTP/1.1",
                               "GET /v1/Services?PageSize=1000 HTTP/1.1"]
    assert (result.code, json.loads(result.out)) == (0, service(date_created=now))
    assert result.err == ""  # found: created, as a clean answer would have said (--json: nothing on stderr)


def test_a_post_whose_tls_breaks_and_cannot_be_checked_is_unknown(msgsvc, profile, ca, tmp_path, request):
    server = serve(request, ca, tmp_path, [("200 OK", page("services", [])), GARBLE, GARBLE])
    result = msgsvc("services", "create", "--friendly-name", "Alerts")
    host = server.url.removeprefix("https://")
    assert (result.code, result.out) == (1, "")
    assert result.err.splitlines()[0] == (
        f"msgsvc: the TLS connection to {host} broke after the request was sent: POST {server.url}/v1/Services "
        f"may or may not have taken effect; checking failed too: the TLS connection to {host} broke"
    )
    assert result.err.splitlines()[1].startswith("hint: the service may or may not have been created")


def test_a_get_whose_tls_breaks_is_not_retried_and_says_so(msgsvc, profile, ca, tmp_path, request):
    server = serve(request, ca, tmp_path, [GARBLE])
    result = msgsvc("services", "list")
    host = server.url.removeprefix("https://")
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"msgsvc: the TLS connection to {host} broke\n"
                          "hint: run again with --debug to see the TLS library's reason\n")
    assert server.requests == ["GET /v1/Services?PageSize=50 HTTP/1.1"]


# An attempt whose request went out whole marks it; the next attempt, on a new connection,
# starts unmarked: its failed handshake sent nothing (the connection is made before the request).
def test_a_post_retried_after_429_whose_handshake_then_fails_was_not_sent(msgsvc, profile, ca, tmp_path, request):
    server = serve(request, ca, tmp_path, [
        ("200 OK", page("services", [])),
        ("429 Too Many Requests", {"code": 20429, "message": "Too Many Requests"}, "Retry-After: 0\r\n"),
        STRANGER,
    ])
    use_base_url(server.url, ca_bundle=str(tmp_path / "ca.pem"), max_retries=1)
    result = msgsvc("services", "create", "--friendly-name", "Alerts")
    host = server.url.removeprefix("https://")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: TLS verification of {host} failed (the URL is from base_url of profile 'test')\n"
        "hint: behind a proxy with its own certificate authority, set REQUESTS_CA_BUNDLE or the profile's ca_bundle\n"
    )
    assert server.requests == ["GET /v1/Services?PageSize=1000 HTTP/1.1", "POST /v1/Services HTTP/1.1"]  # nothing checked


def test_a_get_retried_after_503_whose_handshake_then_fails_says_so(msgsvc, profile, ca, tmp_path, request):
    server = serve(request, ca, tmp_path, [("503 Service Unavailable", {"message": "busy"}), STRANGER])
    use_base_url(server.url, ca_bundle=str(tmp_path / "ca.pem"), max_retries=1)
    result = msgsvc("services", "list")
    host = server.url.removeprefix("https://")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: TLS verification of {host} failed (the URL is from base_url of profile 'test')\n"
        "hint: behind a proxy with its own certificate authority, set REQUESTS_CA_BUNDLE or the profile's ca_bundle\n"
    )
    assert server.requests == ["GET /v1/Services?PageSize=50 HTTP/1.1"]


def test_a_post_retried_after_429_that_then_cannot_connect_was_not_sent(msgsvc, profile, ca, tmp_path, request):
    server = serve(request, ca, tmp_path, [("429 Too Many Requests", {"code": 20429, "message": "Too Many Requests"},
                                            "Retry-After: 0\r\n")])
    use_base_url(server.url, ca_bundle=str(tmp_path / "ca.pem"), max_retries=1)
    host = server.url.removeprefix("https://")
    answer = server._serve

    def answer_then_go(conn) -> None:  # nothing listens any more when the retry connects
        server.server.stopping.set()
        server.server.listener.close()
        answer(conn)

    server.server.handle = answer_then_go
    result = msgsvc("services", "update", SERVICE_SID, "--usecase", "poll")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: cannot connect to {host} (connection refused) (the URL is from base_url of profile 'test')\n"
        f"hint: is the emulator running on {host}? start it with: msgsvc emulator --port {host.rpartition(':')[2]}\n"
    )
    assert server.requests == [f"POST /v1/Services/{SERVICE_SID} HTTP/1.1"]
