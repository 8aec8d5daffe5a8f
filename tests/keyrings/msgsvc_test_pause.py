"""Run msgsvc with one function of its paused, so that a test can kill it right there:

    python -c "import msgsvc_test_pause; msgsvc_test_pause.main()" profiles add ...

with MSGSVC_TEST_PAUSE="module:function:before|after" and MSGSVC_TEST_PAUSE_FD the write end
of a pipe. The first call of that function writes one byte to the pipe (before it runs, or
after it returned) and then waits for ever: the test reads the byte, which is its event, and
kills the process with SIGKILL. No sleeping on either side: the byte says the point is reached.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import threading


def _install() -> None:
    module_name, function_name, when = os.environ["MSGSVC_TEST_PAUSE"].split(":")
    fd = int(os.environ["MSGSVC_TEST_PAUSE_FD"])
    module = importlib.import_module(module_name)
    original = getattr(module, function_name)
    reached = threading.Event()

    def pause() -> None:
        if not reached.is_set():
            reached.set()
            os.write(fd, b"!")
            threading.Event().wait()  # until SIGKILL

    @functools.wraps(original)
    def paused(*args, **kwargs):
        if when == "before":
            pause()
        result = original(*args, **kwargs)
        if when == "after":
            pause()
        return result

    setattr(module, function_name, paused)


def main() -> None:
    _install()
    sys.argv[0] = "msgsvc"
    from msgsvc.__main__ import main as run

    run()
