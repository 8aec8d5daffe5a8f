"""The emulator's HTTP server: standard library only (`http.server.ThreadingHTTPServer`).

One thread per connection, HTTP/1.1 keep-alive, and the store's lock for consistency. Before
a request is processed it may be delayed (`latency_ms`) and, with probability `fail_rate`,
refused with 429 (error 20429, `Retry-After`) or 503 (error 20503): nothing is changed then,
as Twilio promises for those answers.
"""

from __future__ import annotations

import errno
import json
import random
import re
import secrets
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from msgsvc import __version__
from msgsvc.emulator import a2p, routes, routing  # noqa: F401 (routes: importing it fills the table)
from msgsvc.emulator.errors import Fault
from msgsvc.emulator.state import StateWriteError
from msgsvc.emulator.store import Store

# (operation or None, HTTP status, JSON body or None): called for every answer sent.
Recorder = Callable[[str | None, int, Any], None]

RETRY_AFTER_SECONDS = 1
MAX_BODY = 1 << 20  # bytes; a larger request body is refused with 413
READ_TIMEOUT = 30.0  # seconds a connection may keep the server waiting for its next bytes
FD_RESERVE = 32  # file descriptors kept free of connections: for the state files, and to accept again
WAIT_FOR_SLOT = 0.1  # seconds the accept loop waits for a connection to end, when all slots are taken
_HOST_HEADER = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # a restart may bind at once; a port in use still fails
    request_queue_size = 128  # bulk jobs open many connections at once

    def __init__(
        self,
        address: tuple[str, int],
        store: Store,
        *,
        fail_rate: float = 0.0,
        latency_ms: int = 0,
        log_requests: bool = False,
        recorder: Recorder | None = None,
        log: Callable[[str], None] | None = None,
        seed: int | None = None,
        read_timeout: float = READ_TIMEOUT,
        sync: bool = True,
        max_connections: int | None = None,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.store = store
        a2p.install(store)  # the store's hooks: a deleted service takes its campaign along
        self.fail_rate = fail_rate
        self.latency_ms = latency_ms
        self.log_requests = log_requests
        self.recorder = recorder
        self.log = log or (lambda line: None)  # `msgsvc emulator` logs on its terminal's stderr
        if log is not None:
            store.log = log  # e.g. that the state file cannot be written (a full disk)
        self._random = random.Random(seed)  # a seed makes --fail-rate's choices repeatable
        self._random_lock = threading.Lock()
        self.read_timeout = read_timeout
        self.max_connections = max_connections or connection_slots()
        self._connections = 0
        self._slot_freed = threading.Condition()
        super().__init__(address, Handler)  # binds and listens: the state is written only from here
        try:
            store.open(sync=sync)
        except BaseException:
            self.server_close()
            raise

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection when one of max_connections is free: stalled clients that hold
        every descriptor (a thread each) must leave room for the state file and for the
        connections that come after them, which wait in the backlog meanwhile."""
        with self._slot_freed:
            if self._connections >= self.max_connections:
                self._slot_freed.wait(WAIT_FOR_SLOT)
            if self._connections >= self.max_connections:  # back to the loop, which tries again
                raise OSError(errno.EMFILE, "every connection slot is taken")
            self._connections += 1
        try:
            return super().get_request()
        except OSError as exc:
            self._free_slot()
            if exc.errno in (errno.EMFILE, errno.ENFILE):
                time.sleep(WAIT_FOR_SLOT)  # out of descriptors anyway: no busy loop until one is closed
            raise

    def shutdown_request(self, request: Any) -> None:  # type: ignore[override]
        try:
            super().shutdown_request(request)
        finally:
            self._free_slot()

    def _free_slot(self) -> None:
        with self._slot_freed:
            self._connections -= 1
            self._slot_freed.notify()

    def server_bind(self) -> None:
        # As asyncio decides: SO_REUSEADDR on POSIX only. On Windows it would let a second
        # server bind a port that one is listening on, and a restart needs no help there.
        self.allow_reuse_address = sys.platform != "win32"
        super().server_bind()

    def should_fail(self) -> int | None:
        """429 or 503 for `fail_rate` of the requests, else None."""
        if self.fail_rate <= 0:
            return None
        with self._random_lock:
            if self._random.random() >= self.fail_rate:
                return None
            return self._random.choice((429, 503))

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        # A client that hangs up mid-answer is not worth a traceback on the console.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def connection_slots() -> int:
    """How many connections at once: the process's descriptor limit less FD_RESERVE, at most 1,000."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # Windows has no resource module
        return 1000
    if soft == resource.RLIM_INFINITY:
        return 1000
    return max(4, min(1000, soft - FD_RESERVE))


def injected_failure(status: int) -> Fault:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if status == 429:
        return Fault(429, 20429, "Too Many Requests (the emulator's --fail-rate)", headers)
    return Fault(503, 20503, "Service Unavailable (the emulator's --fail-rate)", headers)


class BadRequestBody(Exception):
    """The request's body cannot be read as framed (bad Content-Length or chunks, too large):
    answered with an error, and the connection closed, since its next request cannot be found."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def read_chunked(rfile: Any, limit: int = MAX_BODY) -> bytes:
    """A `Transfer-Encoding: chunked` body (RFC 9112 7.1): hex size lines (extensions after
    ';' ignored), each chunk and its CRLF, a zero-size chunk, then trailer lines up to a blank
    one. Every byte of the body is consumed, so a keep-alive connection's next request
    starts where it should."""
    body = bytearray()
    while True:
        line = rfile.readline(1026)
        size_text = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not re.fullmatch(rb"[0-9A-Fa-f]{1,8}", size_text):
            raise BadRequestBody(400, f"Bad chunked request body: the chunk size line {line[:40]!r} is not hexadecimal")
        size = int(size_text, 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise BadRequestBody(413, f"Request body too large: the limit is {limit} bytes")
        chunk = rfile.read(size)
        if len(chunk) != size or rfile.readline(3) not in (b"\r\n", b"\n"):
            raise BadRequestBody(400, "Bad chunked request body: a chunk does not end where its size says")
        body += chunk
    for _ in range(100):  # trailer fields, ignored, up to the blank line
        line = rfile.readline(8194)
        if line in (b"\r\n", b"\n", b""):
            return bytes(body)
    raise BadRequestBody(400, "Bad chunked request body: too many trailer lines")


def protocol_error(status: int, message: str) -> Fault:
    """Errors of HTTP itself (a malformed request line, a bad body): Twilio's error shape,
    with code 20000 + the status, as Twilio's 20404, 20429 and 20500 are."""
    return Fault(status, 20000 + status, message)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    server_version = f"msgsvc-emulator/{__version__}"
    sys_version = ""
    server: EmulatorServer

    def setup(self) -> None:
        # StreamRequestHandler sets the socket's timeout from self.timeout: each read or write
        # of a connection (a request line, a body, an idle keep-alive) waits that long at most,
        # then the connection is closed.
        self.timeout = self.server.read_timeout
        super().setup()

    def version_string(self) -> str:
        return self.server_version

    def __getattr__(self, name: str) -> Any:
        # Every method (GET, HEAD, OPTIONS, TRACE, anything) is routed: what the emulator does
        # not serve is a Twilio error body (405, 501), never http.server's HTML page.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, headers too long) as JSON."""
        if not getattr(self, "command", None):
            self.command = "GET"  # the request line could not be read: answer as to a GET
        if not str(getattr(self, "request_version", "")).startswith("HTTP/1"):
            self.request_version = "HTTP/1.1"  # else http.server sends no status line or headers
        self._refuse(protocol_error(code, message or self.responses.get(code, ("Error",))[0]))

    def _refuse(self, fault: Fault) -> None:
        """Answer a request that cannot be read, and close: where the next one starts is unknown."""
        self.close_connection = True
        self._send(routing.Response(fault.status, fault.body(), None, {"Connection": "close"}))

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return read_chunked(self.rfile)
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            return b""
        if not raw_length.strip().isdigit():
            raise BadRequestBody(400, f"Bad Content-Length: {raw_length!r}")
        length = int(raw_length)
        if length > MAX_BODY:
            raise BadRequestBody(413, f"Request body too large: the limit is {MAX_BODY} bytes")
        raw = self.rfile.read(length)
        if len(raw) != length:
            raise BadRequestBody(400, "The request body is shorter than its Content-Length")
        return raw

    def _serve(self) -> None:
        started = time.monotonic()
        refused = routing.refused(self.server.store, self.headers.get("Authorization"))
        if refused is not None:  # credentials first: a stranger's body is never read
            self.close_connection = True
            if self.server.recorder is not None:
                self.server.recorder(refused.operation, refused.status, refused.body)
            self._send(refused)
            return
        try:
            raw = self._body()
        except BadRequestBody as bad:
            self._refuse(protocol_error(bad.status, bad.message))
            return
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        pairs: list[tuple[str, str]] = []
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if raw and content_type in ("", "application/x-www-form-urlencoded"):
            pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        form = dict(pairs)
        host = self.headers.get("Host") or ""
        if not _HOST_HEADER.match(host):
            address = self.server.server_address
            host = f"{address[0]}:{address[1]}" if ":" not in address[0] else f"[{address[0]}]:{address[1]}"

        if self.server.latency_ms > 0:
            time.sleep(self.server.latency_ms / 1000)
        failure = self.server.should_fail()
        if failure is not None:
            fault = injected_failure(failure)
            response = routing.Response(fault.status, fault.body(), None, fault.headers)
        else:
            request = routing.Request(self.command, parts.path, query, form, host, self.headers.get("Authorization"), pairs)
            try:
                response = routing.handle(self.server.store, request)
            except Exception as exc:  # a bug: 500, not a hang
                self.server.log(f"msgsvc emulator: error: {self.command} {parts.path}: {type(exc).__name__}: {exc}")
                fault = Fault(500, 20500, f"Internal Server Error: {type(exc).__name__}: {exc}")
                response = routing.Response(fault.status, fault.body(), None)
            try:
                self.server.store.flush()  # what this request changed is on disk before it is answered
            except StateWriteError as exc:  # made in memory, not on disk: the client must not take it as done
                self.server.log(f"msgsvc emulator: error: {self.command} {parts.path}: {exc}")
                fault = Fault(500, 20500, f"Internal Server Error: the change was made in memory but not saved: {exc}")
                response = routing.Response(fault.status, fault.body(), None)
        if self.server.recorder is not None:  # before sending: the client may look right after
            self.server.recorder(response.operation, response.status, response.body)
        self._send(response)
        if self.server.log_requests:
            elapsed = (time.monotonic() - started) * 1000
            self.server.log(f"{self.command} {self.path} -> {response.status} ({elapsed:.0f} ms)")

    def _send(self, response: routing.Response) -> None:
        self.send_response(response.status)
        self.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.body is None:
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(response.body).encode("utf-8")
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":  # a HEAD answer has the headers of its body, never the body
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per request is logged by _serve, when asked


def make_server(host: str, port: int, store: Store, **options: Any) -> EmulatorServer:
    """Bind and listen (connections queue from here on); raises OSError as bind does."""
    return EmulatorServer((host, port), store, **options)
