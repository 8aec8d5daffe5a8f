"""Signal handling: SIGTERM stops msgsvc as Ctrl-C does. Used by the root (the whole run)
and by the end of every job (msgsvc/cli/jobs.py), which says 'terminated' rather than
'interrupted'."""

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

    previous = signal.signal(sigterm, stop)
    try:
        yield came
    finally:
        signal.signal(sigterm, previous)
