"""Helpers for the issue 2 tests: the exact request a command sent, a real pseudo-terminal,
and TCP endpoints that refuse or never answer."""

from __future__ import annotations

import errno
import fcntl
import os
import platform
import re
import select
import socket
import struct
import subprocess
import termios
import time
from contextlib import contextmanager
from typing import Iterator

from conftest import BASIC_AUTH, MSGSVC

from msgsvc import __version__

FORM = "application/x-www-form-urlencoded"
USER_AGENT = re.compile(
    rf"msgsvc/{re.escape(__version__)} \({re.escape(platform.system())} {re.escape(platform.machine())}\) "
    rf"Python/{re.escape(platform.python_version())}"
)


def sent(httpserver) -> list:
    """The requests the local server received, in order."""
    return [request for request, _ in httpserver.log]


def logged(httpserver, count: int, timeout: float = 60.0) -> list:
    """Wait until the server has logged `count` requests (its log is written after a handler
    returns, so a handler still running when the test ends would log into the next test)."""
    import threading

    deadline = time.monotonic() + timeout
    while len(httpserver.log) < count and time.monotonic() < deadline:
        threading.Event().wait(0.005)
    assert len(httpserver.log) >= count, f"the server logged {len(httpserver.log)} of {count} requests"
    return sent(httpserver)


def assert_request(request, method: str, path: str, *, query: str = "", form: str | None = None,
                   auth: str = BASIC_AUTH) -> None:
    """Method, path, query string, form body, Authorization and User-Agent, exactly."""
    assert request.method == method
    assert request.path == path
    assert request.query_string.decode() == query
    assert request.headers.get("Authorization") == auth
    assert USER_AGENT.fullmatch(request.headers.get("User-Agent", "")), request.headers.get("User-Agent")
    assert request.headers.get("Accept") == "application/json"
    if form is None:
        assert request.get_data() == b""
    else:
        assert request.headers.get("Content-Type") == FORM
        assert request.get_data(as_text=True) == form


def lines(text: str) -> list[str]:
    """A table's lines without the padding Rich leaves at their ends."""
    return [line.rstrip() for line in text.splitlines()]


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port nobody listens on: connecting is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    yield port


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def _controlling_terminal() -> None:
    """In the child: a new session whose controlling terminal is the pty (so /dev/tty, which
    getpass reads, is the pty too)."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Pty:
    """The installed msgsvc on a real pseudo-terminal (stdin, stdout and stderr), as in a shell."""

    def __init__(self, *args: str, env: dict, columns: int = 80, rows: int = 40) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.process = subprocess.Popen(
            [MSGSVC, *args], stdin=slave, stdout=slave, stderr=slave, env=env,
            preexec_fn=_controlling_terminal, close_fds=True,
        )
        os.close(slave)
        self.output = b""

    def read_until(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            if not self._read(deadline - time.monotonic()):
                raise AssertionError(f"{text!r} never appeared; got {self.output!r}")
        return self.text

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        deadline = time.monotonic() + timeout
        while self._read(deadline - time.monotonic()):
            pass
        code = self.process.wait(timeout=max(deadline - time.monotonic(), 1))
        os.close(self.master)
        return code, self.text

    @property
    def text(self) -> str:
        """What the terminal showed, without escape sequences (bold headers)."""
        return ANSI.sub("", self.output.decode("utf-8", "replace").replace("\r\n", "\n"))

    def _read(self, timeout: float) -> bool:
        if timeout <= 0:
            return False
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError as exc:  # EIO: the child closed the terminal
            if exc.errno == errno.EIO:
                return False
            raise
        if not chunk:
            return False
        self.output += chunk
        return True


def ctrl_c_taken(monkeypatch):
    """A function that waits (up to 30 s) until a bulk job's main thread has taken the next
    Ctrl-C (msgsvc.jobs.pool): the first once it waits for the requests in flight, each
    later one once it interrupted that wait. A test that sends SIGINT from a request calls it
    instead of sleeping, so that a busy machine cannot let the next request start before
    the signal was taken."""
    import threading

    from msgsvc.jobs import pool

    waiting = threading.Event()
    interrupted = threading.Semaphore(0)
    real_wait = pool._wait_for_in_flight

    def wait_for_in_flight(idle):
        waiting.set()  # the wait for what is in flight
        try:
            return real_wait(idle)
        except KeyboardInterrupt:
            interrupted.release()
            raise

    monkeypatch.setattr(pool, "_wait_for_in_flight", wait_for_in_flight)
    presses = []

    def until_taken() -> None:
        presses.append(1)
        took = waiting.wait(30) if len(presses) == 1 else interrupted.acquire(timeout=30)
        assert took, "the main thread did not take the Ctrl-C"

    return until_taken
