"""Signals: Ctrl-C, SIGTERM and SIGHUP stop msgsvc as Ctrl-C does, then msgsvc dies by the
signal, so that a shell loop stops (msgsvc/cli/signals.py). A real bash loop in a
pseudo-terminal, the installed program under SIGHUP and an ignored SIGHUP, and the exit
statuses of an in-process run. Local servers only."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import subprocess
import threading

import pytest

from conftest import MSGSVC, page

posix_only = pytest.mark.skipif(os.name != "posix", reason="signals as POSIX has them")


class HeldServer:
    """A local API whose first GET /v1/Services is held until `release` (it sets `arrived`);
    every later one answers an empty page at once."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.paths: list[str] = []
        held = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                held.paths.append(self.path)
                if len(held.paths) == 1:
                    held.arrived.set()
                    held.release.wait(60)
                body = json.dumps(page("services", [])).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # msgsvc went away first
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def held():
    server = HeldServer()
    yield server
    server.stop()


def _env(tmp_path, base_url: str) -> dict:
    return {**os.environ, "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t" * 32,
            "MSGSVC_BASE_URL": base_url, "MSGSVC_MAX_RETRIES": "0", "HOME": str(tmp_path)}


def _read_all(fd: int) -> bytes:
    """Everything the pseudo-terminal shows until its last writer is gone."""
    read = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            return read
        if not chunk:
            return read
        read += chunk


@posix_only
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_ctrl_c_in_a_bash_loop_stops_the_loop(tmp_path, held):
    """The person's case: `for ...; do msgsvc ...; done` in bash on a terminal, Ctrl-C while
    the first msgsvc waits for an answer. msgsvc says it was interrupted and dies by SIGINT,
    so bash stops the loop: the next msgsvc never runs, nor what follows the loop."""
    import pty
    import sys

    script = (f"for i in 1 2 3; do echo run $i; '{MSGSVC}' services list; echo rc=$?; done; echo loop-ended")
    # The session leader opens the terminal, which makes it its controlling terminal (and
    # its process group the foreground one, which the terminal's ^C signals), then is bash.
    become = ("import os, sys; fd = os.open(os.ttyname(0), os.O_RDWR); os.close(fd); "
              "os.execvp('bash', ['bash', '--norc', '--noprofile', '-c', sys.argv[1]])")
    master, slave = pty.openpty()
    try:
        shell = subprocess.Popen([sys.executable, "-c", become, script], stdin=slave, stdout=slave, stderr=slave,
                                 start_new_session=True, env=_env(tmp_path, held.url))
    finally:
        os.close(slave)
    try:
        assert held.arrived.wait(60), "msgsvc never asked for the services"
        os.write(master, b"\x03")  # Ctrl-C, as the keyboard sends it
        assert shell.wait(60) == -signal.SIGINT  # bash itself stopped by the Ctrl-C
        shown = _read_all(master).decode(errors="replace").replace("\r\n", "\n")
    finally:
        os.close(master)
        if shell.poll() is None:
            shell.kill()
    assert shown == "run 1\n^C\nmsgsvc: interrupted\n", shown
    assert held.paths == ["/v1/Services?PageSize=50"]


@posix_only
@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_says_terminated_and_dies_by_sighup(tmp_path, held):
    process = subprocess.Popen([MSGSVC, "services", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=_env(tmp_path, held.url))
    assert held.arrived.wait(60)
    process.send_signal(signal.SIGHUP)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err) == (-signal.SIGHUP, "", "\nmsgsvc: terminated\n")


@posix_only
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_sighup_ignored_when_msgsvc_started_stays_ignored(tmp_path, held):
    """`nohup msgsvc ...` (here bash's `trap '' HUP`, the same SIG_IGN) outlives the terminal:
    the SIGHUP changes nothing and the command finishes."""
    process = subprocess.Popen(["bash", "-c", f"trap '' HUP; exec '{MSGSVC}' services list --json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path, held.url))
    assert held.arrived.wait(60)
    process.send_signal(signal.SIGHUP)
    held.release.set()
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err) == (0, "[]\n", "")


@posix_only
@pytest.mark.parametrize(("name", "code", "said"), [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated"),
                                                    ("SIGHUP", 129, "terminated")])
def test_an_in_process_run_returns_128_plus_the_signal(msgsvc, isolated, held, name, code, said):
    """run() returns the status a shell would show and does not kill the caller: only the
    program's own end (signals.exit) dies by the signal. The request is held on a server of
    this test's own, so its late answer cannot land in another test's server log."""
    from factories import save_profile

    save_profile(held.url, max_retries=0)

    def signal_once_asked() -> None:
        if held.arrived.wait(60):
            os.kill(os.getpid(), getattr(signal, name))

    sender = threading.Thread(target=signal_once_asked, daemon=True)
    sender.start()
    result = msgsvc("services", "list")
    sender.join(60)
    assert (result.code, result.out, result.err) == (code, "", f"\nmsgsvc: {said}\n")
    assert held.paths == ["/v1/Services?PageSize=50"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # every handler given back


def test_an_interrupted_status_without_a_signal_is_an_ordinary_exit(monkeypatch):
    """A 130 no signal caused (an end of input at a prompt is Click's Abort) exits 130."""
    import subprocess
    import sys

    # In a process of its own: the end of the program leaves the interpreter (os._exit).
    done = subprocess.run([sys.executable, "-c", "from msgsvc.cli import signals; signals.exit(130)"],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "")
