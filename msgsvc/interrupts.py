"""Ctrl-C held back for a moment. msgsvc's handler for SIGINT, SIGTERM and SIGHUP
(cli/signals.py) raises KeyboardInterrupt through `interrupt()`; while `held()` lasts (the
job pool handing out its items, jobs/pool.py) it is kept, and raised as `held()` ends.

Signals are taken by the main thread only, between two bytecodes: no lock is needed."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

_held = [0]  # how deep in held() the main thread is
_pending = [False]  # a Ctrl-C came while held


def interrupt() -> None:
    """Raise KeyboardInterrupt now, or as soon as held() ends."""
    if _held[0]:
        _pending[0] = True
        return
    raise KeyboardInterrupt()


@contextmanager
def held() -> Iterator[None]:
    """While it lasts, a Ctrl-C (through interrupt()) waits; then it is raised. Only in the
    main thread, which alone takes signals (elsewhere it holds nothing)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _held[0] += 1
    try:
        yield
    finally:
        _held[0] -= 1
        if not _held[0] and _pending[0]:
            _pending[0] = False
            raise KeyboardInterrupt()
