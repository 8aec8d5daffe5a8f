"""A bounded thread pool for many requests at once, and the progress callback it reports to.

No typer, no rich, no printing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 32
# The longest the main thread waits at once. CPython runs a signal's handler in the main thread
# between two bytecodes: a Ctrl-C that comes just before a lock wait begins is not heard until
# that wait ends, which for a job could be minutes. So every wait here is a loop of short ones.
TICK = 0.25

Progress = Callable[[str, int], AbstractContextManager[Callable[[], None]]]


def no_progress(label: str, total: int) -> AbstractContextManager[Callable[[], None]]:
    return nullcontext(lambda: None)


def bounded(concurrency: int) -> int:
    return max(1, min(concurrency, MAX_CONCURRENCY))


class Stopped(Exception):
    """Ctrl-C during run_pool, once the requests in flight have finished: `results` holds
    each item's result in input order, None for the items that were never started."""

    def __init__(self, results: list) -> None:
        super().__init__("interrupted")
        self.results = results


def run_pool(
    items: Sequence[T], work: Callable[[T], R], *, concurrency: int,
    done: Callable[[], None] = lambda: None, stopping: Callable[[int], None] = lambda n: None,
) -> list[R]:
    """`work(item)` for every item on at most `concurrency` threads; results in input order.
    The first exception (a bug, an authentication failure) cancels what has not started and
    is raised. On Ctrl-C, what has not started is cancelled, `stopping(n)` is told how many
    are in flight, those finish (a second Ctrl-C does not abandon them: their outcome would
    be unknown), and Stopped is raised with every result, None for the cancelled.

    The work always runs on worker threads, even one at a time: Ctrl-C reaches only the main
    thread, so a request is never cut off half-sent."""
    if not items:
        return []
    import threading

    # Not concurrent.futures.wait: it takes the futures' locks one by one outside a `with`, so
    # a Ctrl-C landing there leaves one held; the worker finishing that future then blocks on
    # it for ever, and so does the job. Each task says instead when the last one is done, or
    # the first has failed, on an Event, whose wait a Ctrl-C interrupts cleanly.
    settled = threading.Event()
    left = [len(items)]
    lock = threading.Lock()

    def task(item: T) -> R:
        try:
            result = work(item)
            done()
        except BaseException:
            settled.set()
            raise
        with lock:
            left[0] -= 1
            if left[0] == 0:
                settled.set()
        return result

    pool = ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(items))), thread_name_prefix="msgsvc")
    futures = []
    try:
        futures = [pool.submit(task, item) for item in items]
        while not settled.wait(TICK):
            pass
        for future in futures:
            if future.done() and future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        in_flight = [future for future in futures if not future.cancelled()]  # running or done
        stopping(sum(1 for future in in_flight if future.running()))
        for future in in_flight:
            # On the futures, not on the threads: a join cut short by a second Ctrl-C can
            # take a thread that is still sending for a finished one.
            while True:
                try:
                    future.exception(TICK)
                    break
                except (TimeoutError, KeyboardInterrupt):  # not done yet; a second Ctrl-C
                    continue
        raise Stopped([
            future.result() if future.done() and not future.cancelled() and future.exception() is None else None
            for future in futures
        ] + [None] * (len(items) - len(futures))) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
