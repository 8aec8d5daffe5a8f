"""A small threaded HTTP server on 127.0.0.1 that misbehaves on cue, for the resilience tests.

pytest-httpserver answers well-formed responses; these tests also need a connection dropped
after the request was read, and a server that never answers. Each request is recorded, so a
test can assert exactly how many requests were sent (one POST for a create that timed out).

    fault_server.script("POST", "/v1/Services", Respond(429, headers={"Retry-After": "0"}), Respond(201, json=...))

Scripted actions are used in order, one per request to that method and path; a request
nothing was scripted for gets HTTP 599 (and is recorded), which fails any test that did not
expect it.
"""

from __future__ import annotations

import json as jsonlib
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest


def write_answer(handler, status: int, headers, data: bytes) -> None:
    """Write one whole answer on a test server's handler and close the connection after it."""
    handler.send_response(status)
    for key, value in headers:
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(data)
    handler.close_connection = True


@dataclass
class Respond:
    status: int
    json: Any = None
    body: bytes | str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class BreakOff:
    """Send the status line, the headers and half the body, then close the connection
    (or, with stall=True, wait without sending the rest)."""

    status: int
    json: Any = None
    stall: bool = False


class Drop:
    """Read the whole request, then close the connection without a word."""


class Hang:
    """Read the whole request, then wait (until the test ends) without answering."""


DROP = Drop()
HANG = Hang()


@dataclass
class Seen:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: str
    headers: dict[str, str]

    @property
    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body, keep_blank_values=True)


class FaultServer:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self._scripts: dict[tuple[str, str], list] = {}
        self._lock = threading.Lock()
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                parts = urlsplit(self.path)
                seen = Seen(self.command, parts.path, parse_qsl(parts.query, keep_blank_values=True), body, dict(self.headers))
                with server._lock:
                    server.requests.append(seen)
                    queue = server._scripts.get((self.command, parts.path))
                    action = queue.pop(0) if queue else Respond(599, json={"message": f"nothing scripted for {self.command} {self.path}"})
                if isinstance(action, Drop):
                    self.close_connection = True
                    return
                if isinstance(action, Hang):
                    server.release.wait(20)
                    self.close_connection = True
                    return
                if isinstance(action, BreakOff):
                    data = jsonlib.dumps(action.json).encode()
                    self.send_response(action.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    if action.stall:
                        server.release.wait(20)
                    self.close_connection = True
                    return
                payload = action.body
                if action.json is not None:
                    payload = jsonlib.dumps(action.json)
                data = payload.encode() if isinstance(payload, str) else (payload or b"")
                write_answer(self, action.status, {"Content-Type": "application/json", **action.headers}.items(), data)

            do_GET = do_POST = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def netloc(self) -> str:
        return self.url.removeprefix("http://")

    def script(self, method: str, path: str, *actions: Any) -> None:
        with self._lock:
            self._scripts.setdefault((method, path), []).extend(actions)

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [r for r in self.requests if (method is None or r.method == method) and (path is None or r.path == path)]

    def unused(self) -> dict:
        return {key: queue for key, queue in self._scripts.items() if queue}

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def read_head(sock) -> tuple[bytes, bytes]:
    """An HTTP head from a socket: (the head, what came after it)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


class SocketServer:
    """A listener on 127.0.0.1 that hands each connection to `handle(conn)` on a thread of its
    own: for servers that must misbehave below HTTP (a proxy, a byte a second)."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.listener.getsockname()[1]

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(2)
        self.listener.close()


@pytest.fixture
def fault_server():
    server = FaultServer()
    server.start()
    yield server
    server.stop()


class FakeClock:
    """Stands in for `time` in msgsvc.api.retry: every wait is recorded and passes at once."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        import time

        return time.time()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0)


@pytest.fixture
def clock(monkeypatch):
    """Retries wait no real time; `clock.sleeps` lists the waits msgsvc decided on."""
    from msgsvc.api import retry

    fake = FakeClock()
    monkeypatch.setattr(retry, "time", fake)
    return fake


# --- a fault proxy in front of a real server (the emulator) ----------------------------------


@dataclass
class Fault:
    """What the proxy does to one request of a method and path (a regular expression, matched
    whole): answer `status` (a Twilio error body), or `reset` the connection without a word,
    or wait `delay` seconds (on a threading.Event the test may set) first, or `hold` it until
    no other request is in flight through the proxy (event-driven: it is answered after the
    requests sent beside it, never by a timer); `after`: forward the request first, so that
    the server has processed it, then misbehave; `times`: how many matching requests (from
    the `skip`+1-th) are misbehaved with."""

    method: str
    path: str
    status: int | None = None
    reset: bool = False
    delay: float = 0.0
    hold: bool = False
    after: bool = True
    times: int = 1
    skip: int = 0
    code: int | None = None  # the Twilio error code of a status answer
    # Set when a request this fault misbehaves with has come: a test waits on it, never a timer.
    arrived: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    def matches(self, method: str, path: str) -> bool:
        import re

        return method == self.method and re.fullmatch(self.path, path) is not None


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 that forwards every request to `upstream` (a base URL) and
    misbehaves on the requests its faults name. Every request is recorded (method, path, and
    whether it reached the server), so a test can assert that a POST was sent once."""

    def __init__(self, upstream: str) -> None:
        import http.client

        self.upstream = urlsplit(upstream)
        self.faults: list[Fault] = []
        self.seen: list[tuple[str, str, bool]] = []  # (method, path, forwarded)
        self.release = threading.Event()
        self._counts: dict[int, int] = {}
        self._lock = threading.Lock()
        self._flight = threading.Condition()
        self._in_flight = 0  # requests being handled, held ones included
        self._held = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                with proxy._flight:
                    proxy._in_flight += 1
                try:
                    self._misbehave()
                except (BrokenPipeError, ConnectionResetError):  # the client went away (a test killed it)
                    self.close_connection = True
                finally:
                    with proxy._flight:
                        proxy._in_flight -= 1
                        proxy._flight.notify_all()

            def _hold(self) -> None:
                """Wait until every request in flight beside this one is held too (or done)."""
                with proxy._flight:
                    proxy._held += 1
                    proxy._flight.notify_all()
                    proxy._flight.wait_for(lambda: proxy._in_flight == proxy._held or proxy.release.is_set(), 20)
                    proxy._held -= 1

            def _misbehave(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                fault = proxy._fault(self.command, path)
                forwarded = False
                if fault is not None:
                    fault.arrived.set()
                if fault is not None and fault.delay:
                    proxy.release.wait(fault.delay)
                if fault is not None and fault.hold and not fault.after:
                    self._hold()
                if fault is None or fault.after or not (fault.status or fault.reset):
                    conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=10)
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "host")}
                    headers["Host"] = proxy.upstream.netloc
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    answer = conn.getresponse()
                    status, data, answer_headers = answer.status, answer.read(), answer.getheaders()
                    conn.close()
                    forwarded = True
                with proxy._lock:
                    proxy.seen.append((self.command, path, forwarded))
                if fault is not None and fault.hold and fault.after:
                    self._hold()
                if fault is not None and fault.reset:
                    import socket as socketlib
                    import struct

                    self.connection.setsockopt(socketlib.SOL_SOCKET, socketlib.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if fault is not None and fault.status:
                    status = fault.status
                    data = jsonlib.dumps({"code": fault.code, "message": f"fault proxy: HTTP {status}",
                                          "more_info": "", "status": status}).encode()
                    answer_headers = [("Content-Type", "application/json")]
                write_answer(self, status, [(k, v) for k, v in answer_headers
                                      if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server")], data)

            do_GET = do_POST = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def _fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for n, fault in enumerate(self.faults):
                if fault.matches(method, path):
                    count = self._counts.get(n, 0)
                    self._counts[n] = count + 1
                    if fault.skip <= count < fault.skip + fault.times:
                        return fault
        return None

    def add(self, method: str, path: str, **how: Any) -> Fault:
        fault = Fault(method, path, **how)
        with self._lock:
            self.faults.append(fault)
        return fault

    def sent(self, method: str, path: str | None = None) -> list[str]:
        """The paths of the requests of `method` (matching `path`) that reached the server."""
        import re

        return [p for m, p, forwarded in self.seen
                if m == method and forwarded and (path is None or re.fullmatch(path, p))]

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.release.set()
        with self._flight:  # what is held goes on
            self._flight.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
