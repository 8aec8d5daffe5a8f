"""The emulator's HTTP server: standard library only (`http.server.ThreadingHTTPServer`).

One thread per connection, HTTP/1.1 keep-alive, and the store's lock for consistency. Before
a request is processed it may be delayed (`latency_ms`) and, with probability `fail_rate`,
refused with 429 (error 20429, `Retry-After`) or 503 (error 20503): nothing is changed then,
as Twilio promises for those answers.
"""

from __future__ import annotations

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
from msgsvc.emulator import api
from msgsvc.emulator.store import Fault, Store

# (operation or None, HTTP status, JSON body or None): called for every answer sent.
Recorder = Callable[[str | None, int, Any], None]

RETRY_AFTER_SECONDS = 1
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
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.store = store
        self.fail_rate = fail_rate
        self.latency_ms = latency_ms
        self.log_requests = log_requests
        self.recorder = recorder
        self.log = log or (lambda line: None)  # `msgsvc emulator` logs on its terminal's stderr
        if log is not None:
            store.log = log  # e.g. that the state file cannot be written (a full disk)
        self._random = random.Random(seed)  # a seed makes --fail-rate's choices repeatable
        self._random_lock = threading.Lock()
        super().__init__(address, Handler)

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


def injected_failure(status: int) -> Fault:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if status == 429:
        return Fault(429, 20429, "Too Many Requests (the emulator's --fail-rate)", headers)
    return Fault(503, 20503, "Service Unavailable (the emulator's --fail-rate)", headers)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    server_version = f"msgsvc-emulator/{__version__}"
    sys_version = ""
    server: EmulatorServer

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def _serve(self) -> None:
        started = time.monotonic()
        refused = api.refused(self.server.store, self.headers.get("Authorization"))
        if refused is not None:  # credentials first: a stranger's body is never read
            self.close_connection = True
            if self.server.recorder is not None:
                self.server.recorder(refused.operation, refused.status, refused.body)
            self._send(refused)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        raw = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        form: dict[str, str] = {}
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if raw and content_type in ("", "application/x-www-form-urlencoded"):
            form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        host = self.headers.get("Host") or ""
        if not _HOST_HEADER.match(host):
            address = self.server.server_address
            host = f"{address[0]}:{address[1]}" if ":" not in address[0] else f"[{address[0]}]:{address[1]}"

        if self.server.latency_ms > 0:
            time.sleep(self.server.latency_ms / 1000)
        failure = self.server.should_fail()
        if failure is not None:
            fault = injected_failure(failure)
            response = api.Response(fault.status, fault.body(), None, fault.headers)
        else:
            request = api.Request(self.command, parts.path, query, form, host, self.headers.get("Authorization"))
            try:
                response = api.handle(self.server.store, request)
            except Exception as exc:  # a bug, or the state file cannot be written: 500, not a hang
                self.server.log(f"msgsvc emulator: error: {self.command} {parts.path}: {type(exc).__name__}: {exc}")
                fault = Fault(500, 20500, f"Internal Server Error: {type(exc).__name__}: {exc}")
                response = api.Response(fault.status, fault.body(), None)
        if self.server.recorder is not None:  # before sending: the client may look right after
            self.server.recorder(response.operation, response.status, response.body)
        self._send(response)
        if self.server.log_requests:
            elapsed = (time.monotonic() - started) * 1000
            self.server.log(f"{self.command} {self.path} -> {response.status} ({elapsed:.0f} ms)")

    def _send(self, response: api.Response) -> None:
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
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per request is logged by _serve, when asked


def make_server(host: str, port: int, store: Store, **options: Any) -> EmulatorServer:
    """Bind and listen (connections queue from here on); raises OSError as bind does."""
    return EmulatorServer((host, port), store, **options)
