"""A bounded thread pool for many requests at once, and the progress callback it reports to.

No typer, no rich, no printing.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import Callable, Sequence, TypeVar

from msgsvc.interrupts import held

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


class Stopped(KeyboardInterrupt):
    """Ctrl-C during run_pool, once the requests in flight have finished: `results` holds
    each item's result in input order, None for the items that were never started. A Ctrl-C
    still: a job that only reads need not catch it, and its command ends as interrupted."""

    def __init__(self, results: list) -> None:
        super().__init__("interrupted")
        self.results = results


def run_pool(
    items: Sequence[T], work: Callable[[T], R], *, concurrency: int,
    done: Callable[[], None] = lambda: None, stopping: Callable[[int], None] = lambda n: None,
) -> list[R]:
    """`work(item)` for every item on at most `concurrency` threads; results in input order.
    The first exception (a bug, an authentication failure) cancels what has not started and
    is raised once what is in flight has finished. On Ctrl-C, what has not started is
    cancelled, `stopping(n)` is told how many are in flight, those finish (a second Ctrl-C
    does not abandon them: their outcome would be unknown), and Stopped is raised with every
    result, None for the cancelled. Whichever of the two comes first is what is raised.

    The work always runs on worker threads, even one at a time: Ctrl-C reaches only the main
    thread, so a request is never cut off half-sent."""
    if not items:
        return []

    # The tasks keep the books, not the futures: a Ctrl-C can land while the items are still
    # being handed out, when the main thread knows only some of the futures (and a worker may
    # already be sending the first). So each task counts itself in flight as it starts, and
    # one that starts after the stop does nothing. Not concurrent.futures.wait either: it
    # takes the futures' locks one by one outside a `with`, so a Ctrl-C landing there leaves
    # one held, and the worker finishing that future blocks on it for ever. Nor Event.wait:
    # its Python code lets its lock go while it waits, and a second signal coming with the
    # first (SIGINT and SIGTERM at once) is taken before it has it back, so that its `with`
    # releases a lock it does not hold ('release unlocked lock'). The main thread waits on
    # `wake`, a plain lock a task lets go as it ends: a Ctrl-C cuts that wait cleanly.
    count = len(items)
    results: list = [None] * count
    finished = [False] * count
    lock = threading.Lock()
    wake = threading.Lock()  # held while nothing has ended since the main thread last looked
    wake.acquire()
    books = {"left": count, "running": 0, "stop": False, "error": None}

    def ended() -> None:  # with `lock` held: wake the main thread if what it waits for came
        # (not for every task: a thousand wake-ups cost a bulk job 10 ms of CPU, under the GIL)
        settled = books["left"] == 0 or books["error"] is not None or (books["stop"] and books["running"] == 0)
        if settled and wake.locked():
            wake.release()

    def task(index: int) -> None:
        with lock:
            if books["stop"]:
                return  # handed out before the stop, started after it: never sent
            books["running"] += 1
        try:
            result = work(items[index])
            with lock:  # it ran: its result is kept, whatever `done` does
                results[index], finished[index] = result, True
            done()
        except BaseException as error:
            with lock:
                books["running"] -= 1
                if not books["stop"]:  # the first to stop the job is raised: this error, or a Ctrl-C
                    books["stop"], books["error"] = True, error
                ended()
            return
        with lock:
            books["running"] -= 1
            books["left"] -= 1
            ended()

    pool = ThreadPoolExecutor(max_workers=max(1, min(concurrency, count)), thread_name_prefix="msgsvc")
    interrupted = False
    try:
        # A Ctrl-C landing inside submit, as it starts a thread, can leave a lock of the
        # standard library's held, and the shutdown below would wait for ever: it waits
        # until every item is handed out (interrupts.held), then stops the job as usual.
        with held():
            for index in range(count):
                pool.submit(task, index)
        while True:
            with lock:
                if books["left"] == 0 or books["error"] is not None:
                    break
            wake.acquire(timeout=TICK)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        # However the wait ended (the last done, one failed, a Ctrl-C), what is in flight
        # finishes and the pool is shut before run_pool ends. A Ctrl-C (the first only now,
        # a second, a third) may land anywhere below: each step is taken again until all are
        # done, `stopping` is told once, and the results are never dropped for it.
        told = False
        while True:
            try:
                with lock:
                    books["stop"] = True  # nothing more is sent
                    in_flight = books["running"]
                if interrupted and not told:
                    told = True
                    stopping(in_flight)
                while in_flight:
                    _wait_for_in_flight(wake)
                    with lock:
                        in_flight = books["running"]
                pool.shutdown(wait=True, cancel_futures=True)
                if interrupted:
                    stopped = Stopped([result if ok else None for result, ok in zip(results, finished)])
                break
            except KeyboardInterrupt:
                interrupted = True
    if books["error"] is not None:
        raise books["error"]  # type: ignore[misc]
    if interrupted:
        raise stopped from None
    return results


def _wait_for_in_flight(wake: threading.Lock) -> None:
    """One tick of the wait for the requests in flight after a Ctrl-C (a later Ctrl-C ends
    it early; run_pool waits again). Apart, so that a test can tell when it is taken."""
    wake.acquire(timeout=TICK)
