"""Signal handling: SIGTERM (and SIGHUP, where the platform has it) stops msgsvc as Ctrl-C
does. Used by the root (the whole run) and by the end of every job (msgsvc/cli/jobs.py),
which says 'terminated' rather than 'interrupted'."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[list[bool]]:
    """SIGTERM (CI cancelling a job, `timeout`, `docker stop`) stops msgsvc as Ctrl-C does:
    what is in flight finishes, every value of a bulk job gets its result; the exit status
    is then 143. Yields [whether SIGTERM came]. Only where signals exist and can be handled
    (the main thread)."""
    import signal
    import threading

    came = [False]
    sigterm = getattr(signal, "SIGTERM", None)
    if sigterm is None or threading.current_thread() is not threading.main_thread():
        yield came
        return

    def stop(signum, frame) -> None:
        came[0] = True
        raise KeyboardInterrupt()

    # SIGHUP (the SSH session closed, the terminal went away) where the platform has it: the
    # same as SIGTERM, so that an apply never dies half-way without its results.
    handled = [s for s in (sigterm, getattr(signal, "SIGHUP", None)) if s is not None]
    previous = {s: signal.signal(s, stop) for s in handled}
    try:
        yield came
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
