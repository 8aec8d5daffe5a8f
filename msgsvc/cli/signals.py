"""Signal handling: Ctrl-C (SIGINT), SIGTERM and SIGHUP (where the platform has it) all stop
msgsvc the same way: what is in flight finishes, every value of a bulk job gets its result,
the reporting is done; then the exit status says which signal came (128 + N: 130, 143, 129),
and the program dies by that signal (`exit`), as well-behaved Unix tools do, so that a shell
loop (`for ...; do msgsvc ...; done`) stops on Ctrl-C instead of going on with the next.

Used by the root (the whole run, cli/app.py) and by every job (cli/jobs.py), which says
'terminated' rather than 'interrupted' for SIGTERM and SIGHUP."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, NoReturn

# The run that the last signal stopped: the signal's number, for `exit` (one run per process).
_stopped_by: list[int] = []


class Stop:
    """What stopped the work: `signum`, the signal that came (None: none came)."""

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def terminated(self) -> bool:
        """A signal other than Ctrl-C's came (SIGTERM, SIGHUP)."""
        import signal

        return self.signum is not None and self.signum != signal.SIGINT

    def exit_code(self, code: int) -> int:
        """The run's exit status: an interrupted run's `code` (130 or 143) becomes that of the
        signal that came, 128 + N, what a shell shows for a process the signal killed."""
        from msgsvc.errors import ExitCode

        if self.signum is None or code not in (ExitCode.INTERRUPTED, ExitCode.TERMINATED, ExitCode.HANGUP):
            return code
        return 128 + self.signum


_active: list[Stop] = []


@contextmanager
def signals_as_ctrl_c() -> Iterator[Stop]:
    """While it lasts, SIGINT, SIGTERM (CI cancelling a job, `timeout`, `docker stop`) and
    SIGHUP (the SSH session closed, the terminal went away) raise KeyboardInterrupt, as Ctrl-C
    does, and are recorded on the Stop it yields. Inside another one (a job in the root's
    run) it yields the same Stop. Only where signals can be handled (the main thread)."""
    import signal
    import threading

    from msgsvc.interrupts import interrupt

    if _active:
        yield _active[-1]
        return
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def stopping(signum, frame) -> None:
        stop.signum = signum
        interrupt()  # KeyboardInterrupt, now or as soon as the job pool has handed out its items

    # A signal ignored when msgsvc started stays ignored: `nohup msgsvc apply` outlives
    # its terminal, and a job started with `&` by a script is not stopped by Ctrl-C.
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    handled = [getattr(signal, name) for name in names if hasattr(signal, name)]
    handled = [s for s in handled if signal.getsignal(s) is not signal.SIG_IGN]
    previous = {s: signal.signal(s, stopping) for s in handled}
    _active.append(stop)
    try:
        yield stop
    finally:
        _active.pop()
        for s, handler in previous.items():
            signal.signal(s, handler)
        _stopped_by[:] = [] if stop.signum is None else [stop.signum]


def exit(code: int) -> NoReturn:
    """The end of the program: exit `code`; but a run that a signal stopped (its `code` is
    128 + N), its reporting done, dies by that signal: the default handler is restored and
    the signal sent again to this process, so that the shell sees a death by the signal and
    a loop stops. Where signals cannot be sent that way (Windows), exit `code`."""
    import os
    import sys

    if _stopped_by and code == 128 + _stopped_by[0] and os.name == "posix":
        import signal

        from msgsvc.cli.terminal import flush_process_streams

        flush_process_streams()  # the process dies without the interpreter's last flush
        signal.signal(_stopped_by[0], signal.SIG_DFL)
        os.kill(os.getpid(), _stopped_by[0])
    _leave(code)


def _leave(code: int) -> NoReturn:
    """sys.exit(code), less the interpreter's teardown of every module and object, some 10 ms
    of a bulk job's end, when it has nothing left to do: no other thread that is not a daemon
    (a request in flight finishes first), stdout and stderr flushed without an error (else the
    interpreter's own end reports it as it always does), and the atexit handlers run (logging's
    flush, temporary files' removal)."""
    import atexit
    import os
    import sys
    import threading

    from msgsvc.cli.terminal import flush_process_streams

    others = [t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon]
    if others or not flush_process_streams():
        sys.exit(code)
    atexit._run_exitfuncs()  # undocumented, but the interpreter's own step; it runs each handler once
    flush_process_streams()  # what the handlers wrote
    os._exit(code)
