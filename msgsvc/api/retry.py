"""When a request is sent again, and how long to wait first.

Twilio processed nothing on 429 (error 20429), so it is retried for every method, POST
included. 500, 502, 503, 504 and a connection lost after the request was sent are retried
only for GET and DELETE: the API has no idempotency key, a POST sent twice can create two
services, and a 503 from a gateway may come after Twilio processed the POST (the executor
checks what it did instead). A refused or timed-out *connect* sent nothing and is always retried;
but a connection refused by this machine (a loopback address: the emulator or a local server
not running) is retried once at most, since nothing there comes up in the seconds of a backoff.

urllib3's `Retry` does the counting, the `Retry-After` parsing (seconds or an HTTP date)
and the exponential backoff with jitter; this subclass adds the per-method rule, a log line
per retry, and a `Throttle` shared by every request of one client, so that a 429 slows the
whole pool of a bulk job down instead of one thread.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Callable

from urllib3.util.retry import Retry

log = logging.getLogger("msgsvc.http")

ALWAYS_RETRIED = frozenset({429})
RETRIED_IF_IDEMPOTENT = frozenset({500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
RETRY_AFTER_MAX = 120.0


class Cancelled(Exception):
    """A request that was about to be sent, or was waiting out a 429 or 503 (which Twilio did
    not process), was called off by Throttle.cancel: it was not sent."""


class Throttle:
    """A pause shared by every thread of one client: nobody sends before `until`. In a bulk
    job (`cancellable()`), Ctrl-C calls every such wait off at once (`cancel()`)."""

    def __init__(self) -> None:
        self._until = 0.0
        self._lock = threading.Lock()
        self._cancel: threading.Event | None = None

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def cancellable(self) -> None:
        if self._cancel is None:
            self._cancel = threading.Event()

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def wait(self, *, cancellable: bool = True) -> None:
        """Until nobody is held back; Cancelled if the wait is `cancellable` and is called
        off, or was already (only for a request Twilio has not processed any part of)."""
        while True:
            with self._lock:
                delay = self._until - time.monotonic()
            if delay <= 0:
                return
            if cancellable and self._cancel is not None:
                if self._cancel.wait(delay):
                    raise Cancelled()
            else:
                time.sleep(delay)


class Deadline:
    """The total time one attempt of a request may take, from connecting to the last byte of
    the answer: `--timeout` bounds the whole answer, not one socket read (a server sending a
    byte a second never trips a read timeout). Armed by the connection as each attempt starts
    (msgsvc.api.transport), it shuts the socket down when the time is up: the read in progress ends
    at once and `expired` says why. One per thread (`current()`); one watchdog thread for all."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.written = False  # this attempt's request went out whole (then a TLS error proves nothing)
        self._armed: tuple[float, object] | None = None  # (when, connection)

    def arm(self, connection) -> None:
        with _watchdog.lock:
            self.expired = self.written = False  # a new attempt
            connection.msgsvc_deadline = self  # whose attempt the connection now carries
            self._armed = (time.monotonic() + self.seconds, connection)
            _watchdog.watch(self)

    def disarm(self) -> None:
        with _watchdog.lock:
            self._armed = None
            _watchdog.forget(self)

    def _expire(self, connection) -> None:
        """Called by the watchdog, its lock held."""
        import socket

        self._armed = None
        if getattr(connection, "msgsvc_deadline", None) is not self:
            return  # back in the pool and carrying another thread's attempt now
        self.expired = True
        sock = getattr(connection, "sock", None)
        if sock is not None:
            try:  # the plain socket's shutdown, under TLS too: the reader sees end of file
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass


class _Watchdog:
    """One daemon thread that expires every armed Deadline when its time comes (a thread
    per request would cost more than the request on a fast list)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._wake = threading.Condition(self.lock)
        self._watched: set[Deadline] = set()
        self._thread: threading.Thread | None = None
        self._wakes_at: float | None = None  # when the thread wakes up next by itself (None: not before it is woken)

    def watch(self, deadline: Deadline) -> None:
        """The lock is held. The thread is woken only for a deadline sooner than the one it
        waits for: a bulk job arms one per request, each about as far off as the last, and a
        thread woken for each one would take the interpreter from the senders every time."""
        self._watched.add(deadline)
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="msgsvc-deadline", daemon=True)
            self._thread.start()
        armed = deadline._armed
        if self._wakes_at is None or (armed is not None and armed[0] < self._wakes_at):
            self._wakes_at = None  # woken: it works out when to wake next
            self._wake.notify()

    def forget(self, deadline: Deadline) -> None:
        """The lock is held: a disarmed deadline is no longer watched."""
        self._watched.discard(deadline)

    def _run(self) -> None:
        with self.lock:
            while True:
                now = time.monotonic()
                soonest = None
                for deadline in list(self._watched):
                    armed = deadline._armed
                    if armed is None:
                        self._watched.discard(deadline)
                    elif armed[0] <= now:
                        self._watched.discard(deadline)
                        deadline._expire(armed[1])
                    elif soonest is None or armed[0] < soonest:
                        soonest = armed[0]
                # Until the soonest deadline (or forever); watch() wakes it for a sooner one.
                self._wakes_at = soonest if soonest is not None else None
                self._wake.wait(None if soonest is None else soonest - now)


_watchdog = _Watchdog()


_local = threading.local()


def current() -> Deadline | None:
    """The deadline of the request this thread is sending, if any."""
    return getattr(_local, "deadline", None)


def set_current(deadline: Deadline | None) -> None:
    _local.deadline = deadline


class TwilioRetry(Retry):
    throttle: Throttle | None = None
    notify: Callable[[str], None] | None = None  # told "retrying in 2 s (connection refused)"

    def new(self, **kw):  # type: ignore[override]
        retry = super().new(**kw)
        retry.throttle = self.throttle
        retry.notify = self.notify
        return retry

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):  # type: ignore[override]
        """urllib3 retries "other" errors (TLS, a failed proxy tunnel) for every method. TLS
        errors are configuration, not bad luck: never retried. For a POST only an error
        that proves nothing was sent (the connection or the proxy tunnel failed) is."""
        deadline = current()
        if error is not None and deadline is not None and deadline.expired:  # never retried
            raise error.with_traceback(_stacktrace)
        if deadline is not None:  # this attempt is over: its connection may go to another thread
            deadline.disarm()
        if error is not None:
            from urllib3.exceptions import ProxyError, SSLError

            if isinstance(error, SSLError) or (
                isinstance(error, ProxyError) and isinstance(error.original_error, SSLError)
            ):
                raise error.with_traceback(_stacktrace)
            refused = tunnel_refusal(error) if isinstance(error, ProxyError) else None
            if refused is not None and 400 <= refused[0] < 500:  # 407, 403: asking again changes nothing
                raise error.with_traceback(_stacktrace)
            if (
                method is not None
                and method.upper() not in IDEMPOTENT_METHODS
                and not isinstance(error, ProxyError)
                and not self._is_connection_error(error)
            ):
                raise error.with_traceback(_stacktrace)
            if _refused(error) and loopback_literal(getattr(_pool, "host", "") or "") and any(
                _refused(h.error) for h in self.history
            ):
                from urllib3.exceptions import MaxRetryError  # as urllib3 says it gave up

                raise MaxRetryError(_pool, url, error) from error  # refused twice here: it is not running
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code in ALWAYS_RETRIED:
            return True
        return method.upper() in IDEMPOTENT_METHODS and status_code in RETRIED_IF_IDEMPOTENT

    def get_backoff_time(self) -> float:
        # urllib3 waits nothing before the first retry; after a 429 that is too eager.
        return backoff(len(self.history), self.backoff_factor)

    def sleep(self, response=None) -> None:  # type: ignore[override]
        delay = None
        if response is not None and self.respect_retry_after_header:
            try:
                delay = self.get_retry_after(response)
            except Exception:  # an unparsable Retry-After: fall back to backoff
                delay = None
        if delay is None:
            delay = self.get_backoff_time()
        last = self.history[-1] if self.history else None
        if last is not None:
            why = f"HTTP {last.status}" if last.status else f"{type(last.error).__name__}"
            log.debug(
                "retry: %s %s after %s; waiting %.2f s (%s retries left)",
                last.method, last.url, why, delay, self.total,
            )
        if self.notify is not None and last is not None:
            self.notify(retry_note(delay, f"HTTP {last.status}" if last.status else _why(last.error)))
        if self.throttle is not None and last is not None and last.status in ALWAYS_RETRIED:
            self.throttle.hold(delay)
            # Called off by Ctrl-C only when no earlier answer may have been processed.
            self.throttle.wait(cancellable=all(h.status in ALWAYS_RETRIED for h in self.history))
        elif delay > 0:
            time.sleep(delay)


BACKOFF_MAX = 30.0


def retry_note(delay: float, why: str) -> str:
    """`retrying in 2 s (connection refused)`: what a person sees while a retry waits."""
    shown = f"{delay:.0f}" if round(delay, 1) >= 1 else f"{delay:.1f}"  # 0.97 is "1 s", not "1.0 s"
    return f"retrying in {shown} s ({why})"


def loopback_literal(host: str) -> bool:
    """Whether `host` names this machine by itself (localhost, 127.x.y.z, ::1), without a DNS
    look-up: where a refused connection is not worth retrying more than once, and the hint
    asks whether the emulator is running."""
    import ipaddress

    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refused(error: BaseException | None) -> bool:
    """A connection the other side refused (nothing listens there): nothing was sent."""
    from urllib3.exceptions import NewConnectionError

    if not isinstance(error, NewConnectionError):
        return False
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "refused" in str(error).lower()


def tunnel_refusal(error: BaseException | None) -> tuple[int, str] | None:
    """(status, reason) of a CONNECT the proxy answered with an error (http.client words it
    "Tunnel connection failed: 407 Proxy Authentication Required"), else None."""
    import re

    match = re.match(r"Tunnel connection failed: (\d{3})\s*(.*)", str(getattr(error, "original_error", "")))
    return (int(match.group(1)), match.group(2).strip()) if match else None


def _why(error: BaseException | None) -> str:
    """A failed attempt in a few words: 'connection refused', 'timed out', ..."""
    text = str(error)
    if "refused" in text.lower():
        return "connection refused"
    if "timed out" in text.lower() or "timeout" in type(error).__name__.lower():
        return "timed out"
    return "connection failed" if "NewConnectionError" in type(error).__name__ else "connection lost"


def backoff(attempt: int, backoff_factor: float) -> float:
    """The wait before retry number `attempt` (1, 2, ...): exponential, with as much jitter
    as the factor, capped. Used by TwilioRetry and by the client's body-read retries."""
    if attempt <= 0:
        return 0.0
    return float(min(BACKOFF_MAX, backoff_factor * 2 ** (attempt - 1) + random.random() * backoff_factor))


def pause(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def make_retry(
    max_retries: int, throttle: Throttle | None = None, backoff_factor: float = 0.5,
    notify: Callable[[str], None] | None = None,
) -> TwilioRetry:
    retry = TwilioRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        redirect=0,
        allowed_methods=IDEMPOTENT_METHODS,
        status_forcelist=ALWAYS_RETRIED | RETRIED_IF_IDEMPOTENT,
        backoff_factor=backoff_factor,
        backoff_max=BACKOFF_MAX,
        backoff_jitter=backoff_factor,
        raise_on_status=False,
        raise_on_redirect=False,
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX,
    )
    retry.throttle = throttle
    retry.notify = notify
    return retry
