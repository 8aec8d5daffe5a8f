"""The end of the program (msgsvc/__main__.py): the objects alive at exit are frozen, so that
the interpreter's last collection does not walk them all (a long list leaves hundreds of
thousands), a list's records are kept to the end instead of freed one by one
(cli.state.keep_until_exit), the interpreter's teardown is skipped when nothing is left to do
(cli.signals._leave), and the run's output, atexit handlers and exit status are still whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ACCOUNT_SID, base_url_of, page, service
from corehelp import sent

# Reports from an atexit handler: the program's end runs them, then leaves (os._exit).
PROBE = r"""
import atexit, gc, sys

def report():
    from msgsvc.cli.state import _KEPT
    kept = sum(len(value) for value in _KEPT if value is not _KEPT)
    sys.stderr.write(f"kept={kept}\n")
    sys.stderr.write(f"frozen={gc.get_freeze_count()}\n")

atexit.register(report)
sys.argv = ["msgsvc", *sys.argv[1:]]
from msgsvc.__main__ import main
main()
"""


def run_main(tmp_path, *argv: str, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "MSGSVC_", "_MSGSVC"))}
    env.update(MSGSVC_CONFIG_DIR=str(tmp_path), **extra)
    return subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env, timeout=60)


def test_a_command_freezes_what_is_alive_before_it_exits(tmp_path):
    done = run_main(tmp_path, "profiles", "list", "--json")
    assert done.stdout == "[]\n"
    assert done.returncode == 0
    assert done.stderr.splitlines()[-2] == "kept=0"  # nothing listed from the API
    exit_line = done.stderr.splitlines()[-1]
    assert exit_line.startswith("frozen=")
    assert int(exit_line.rpartition("=")[2]) > 1000  # the modules, the command tree, ...


def test_a_failing_command_still_says_why_and_exits_with_its_status(tmp_path):
    done = run_main(tmp_path, "services", "list")
    *message, kept, exit_line = done.stderr.splitlines()
    assert kept == "kept=0"
    assert message == [
        "msgsvc: no credentials: no profile is set up and TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN "
        "(or TWILIO_API_KEY and TWILIO_API_SECRET) are not set",
        "hint: run: msgsvc profiles add NAME --account-sid AC...",
    ]
    assert done.returncode == 4
    assert exit_line.startswith("frozen=")
    assert int(exit_line.rpartition("=")[2]) > 1000
    assert done.stdout == ""


def test_a_list_is_kept_to_the_end_of_the_process_and_written_whole(tmp_path, httpserver):
    services = [service(f"MG{n:032x}", f"Service {n}") for n in range(3)]
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=1000").respond_with_json(
        page("services", services, page_size=1000))
    done = run_main(tmp_path, "services", "list", "--all", "--json", TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                    TWILIO_AUTH_TOKEN="token-of-the-test", MSGSVC_BASE_URL=base_url_of(httpserver))
    assert json.loads(done.stdout) == services
    assert done.stderr.splitlines()[:-1] == ["kept=3"]
    assert done.returncode == 0
    assert done.stderr.splitlines()[-1].startswith("frozen=")
    assert [(r.method, r.path, r.query_string) for r in sent(httpserver)] == [("GET", "/v1/Services", b"PageSize=1000")]


def test_a_run_in_process_keeps_nothing_past_it(msgsvc, profile, httpserver):
    """Tests call run() one after another in one process: nothing may outlive each run."""
    from msgsvc.cli.state import _KEPT

    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=1000").respond_with_json(
        page("services", [service()], page_size=1000))
    result = msgsvc("services", "list", "--all", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [service()]
    assert _KEPT == []


LEAVING = r"""
import atexit, sys, threading, time
from msgsvc.cli import signals

class Torn:
    def __del__(self):  # runs at the interpreter's teardown only
        sys.__stderr__.write("torn down\n")

keep = Torn()
atexit.register(lambda: sys.stderr.write("atexit ran\n"))
sys.stdout.write("no newline, still buffered")  # a pipe: block-buffered
if sys.argv[1] == "busy":
    def late():  # still working when the main thread ends
        while threading.main_thread().is_alive():
            time.sleep(0.01)
        sys.stdout.write(" + the thread's")

    threading.Thread(target=late).start()
signals.exit(int(sys.argv[2]))
"""


def leave(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LEAVING, *argv], capture_output=True, text=True, timeout=60)


def test_the_end_skips_the_teardown_but_flushes_and_runs_atexit():
    done = leave("idle", "3")
    assert (done.returncode, done.stdout, done.stderr) == (3, "no newline, still buffered", "atexit ran\n")


def test_the_end_waits_for_a_thread_that_is_still_working():
    """A thread that is not a daemon (a request in flight) finishes: the interpreter's own end."""
    done = leave("busy", "0")
    assert (done.returncode, done.stdout) == (0, "no newline, still buffered + the thread's")
    assert done.stderr == "atexit ran\ntorn down\n"


def test_the_end_leaves_a_stdout_whose_reader_is_gone_to_the_interpreter():
    """A flush that fails (EPIPE) is not hidden by the fast end: the interpreter reports it."""
    reader, writer = os.pipe()
    os.close(reader)
    done = subprocess.run([sys.executable, "-c", LEAVING, "idle", "0"], stdout=writer, stderr=subprocess.PIPE,
                          text=True, timeout=60)
    os.close(writer)
    assert done.returncode != 0
    assert "BrokenPipeError" in done.stderr
