"""Two applies of one account on one machine never interleave (msgsvc/local/locks.py): a real
msgsvc apply is held by the fault proxy at its create (the proxy says when the request came;
no timer), and what a second apply, a plan and a dry run do meanwhile; a second apply that
waits (--lock-timeout) plans after the first has finished; a holder killed with SIGKILL
leaves no lock behind. The emulator behind tests/faults.py only."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from conftest import MSGSVC
from test_apply_safety import proxy  # noqa: F401  (the emulator behind a fault proxy)

posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGKILL as POSIX has it")

FILE = '[[services]]\nfriendly_name = "Brand New"\n'


@pytest.fixture
def front(proxy):
    """The emulator behind a fault proxy (test_apply_safety's); every msgsvc of a test (this
    process's and the ones it starts) talks to the proxy."""
    return proxy


@pytest.fixture
def setup_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(FILE)
    return str(path)


def names(emu) -> list[str]:
    return sorted(s["friendly_name"] for s in emu.call("GET", "/v1/Services").json()["services"])


def holding(front, setup_file: str, **how) -> tuple[subprocess.Popen, object]:
    """A real msgsvc apply whose create the proxy holds (until front.release, then forwarded,
    unless `how` says otherwise): once the create has come, it holds the lock."""
    held = front.add("POST", "/v1/Services", delay=120, **how)
    proc = subprocess.Popen([MSGSVC, "apply", setup_file, "--yes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    if not held.arrived.wait(60):
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the first apply's create never came: {err}")
    return proc, held


def refused(emulator, front, pid: int) -> str:
    return (f"msgsvc: another msgsvc apply (pid {pid}) is applying changes to account {emulator.account_sid} "
            f"at {front.url} on this machine; nothing was sent\n"
            "hint: run apply again once it has finished, or wait for it with --lock-timeout, e.g. --lock-timeout 10m\n")


def test_a_second_apply_of_the_account_is_refused_while_one_runs_and_plan_is_not(msgsvc, emulator, front,
                                                                                setup_file):
    first, _ = holding(front, setup_file)
    try:
        seen = len(front.seen)
        result = msgsvc("apply", setup_file, "--yes")
        assert (result.code, result.out, result.err) == (8, "", refused(emulator, front, first.pid))
        assert len(front.seen) == seen  # not one request: refused before the account was read

        # plan and apply --dry-run only read: they take no lock, and see the create not made yet.
        for args in (("plan", setup_file), ("apply", setup_file, "--dry-run")):
            result = msgsvc(*args)
            assert (result.code, result.err) == (0, ""), result.err
            assert result.out == ('+ create service "Brand New"\n'
                                  "Plan: 1 to create, 0 to update, 0 to attach, 0 to detach, 0 to move, 0 to delete.\n")
    finally:
        front.release.set()  # the held create goes on
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert out.split("\t")[4] == "created"

    result = msgsvc("apply", setup_file, "--yes")  # the lock is free again
    assert (result.code, result.out, result.err) == (0, "", f"No changes: the account matches {setup_file}.\n")
    assert names(emulator) == ["Brand New"] and len(front.sent("POST", "/v1/Services")) == 1


def test_an_apply_told_to_wait_plans_once_the_first_has_finished(emulator, front, setup_file):
    first, _ = holding(front, setup_file)
    second = subprocess.Popen([MSGSVC, "apply", setup_file, "--yes", "--lock-timeout", "10m"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = second.stderr.readline()  # said once it is waiting: the first still holds the lock
        assert said == (f"Waiting for another msgsvc apply (pid {first.pid}) of account {emulator.account_sid} "
                        "to finish (--lock-timeout 10m)...\n")
    finally:
        front.release.set()
        first.communicate(timeout=60)
        out, err = second.communicate(timeout=60)
    assert first.returncode == 0
    # It read the account after the first apply's create: nothing left to do, nothing duplicated.
    assert (second.returncode, out, err) == (0, "", f"No changes: the account matches {setup_file}.\n")
    assert names(emulator) == ["Brand New"] and len(front.sent("POST", "/v1/Services")) == 1


def test_a_wait_that_runs_out_is_refused_as_at_once(msgsvc, emulator, front, setup_file):
    first, _ = holding(front, setup_file)
    try:
        result = msgsvc("apply", setup_file, "--yes", "--lock-timeout", "0.1s")  # the first is held till released
    finally:
        front.release.set()
        first.communicate(timeout=60)
    assert (result.code, result.out) == (8, "")
    assert result.err == (
        f"Waiting for another msgsvc apply (pid {first.pid}) of account {emulator.account_sid} to finish "
        "(--lock-timeout 0.1s)...\n"
        f"msgsvc: another msgsvc apply (pid {first.pid}) was still applying changes to account {emulator.account_sid} "
        f"at {front.url} after 0.1s (--lock-timeout); nothing was sent\n"
        "hint: run apply again once it has finished: it plans against what the account has become\n")
    assert names(emulator) == ["Brand New"]


@posix_only
def test_a_holder_killed_with_sigkill_leaves_no_lock(msgsvc, emulator, front, setup_file):
    # The held create is answered 500 to no one and never forwarded: the first apply made nothing.
    first, _ = holding(front, setup_file, status=500, after=False)
    first.send_signal(signal.SIGKILL)
    assert first.wait(60) == -signal.SIGKILL
    first.communicate()
    result = msgsvc("apply", setup_file, "--yes")
    assert result.code == 0, result.err
    assert result.out.split("\t")[4] == "created"
    assert names(emulator) == ["Brand New"]


def test_a_lock_that_cannot_be_made_sends_nothing(msgsvc, emulator, front, setup_file, tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setenv("MSGSVC_STATE_DIR", str(blocked))
    result = msgsvc("apply", setup_file, "--yes")
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"msgsvc: cannot take the apply lock {blocked}/locks: Not a directory; nothing was sent\n"
                          "hint: free some disk space, or point MSGSVC_STATE_DIR to a writable directory\n")
    assert front.seen == [] and names(emulator) == []


def test_each_account_and_api_has_its_own_lock(tmp_path):
    from msgsvc.errors import ApplyLocked, ExitCode
    from msgsvc.local import locks

    with locks.apply_lock("AC1", "twilio"):
        with locks.apply_lock("AC2", "twilio"), locks.apply_lock("AC1", "http://127.0.0.1:4010"):
            pass
        with pytest.raises(ApplyLocked) as taken:
            with locks.apply_lock("AC1", "twilio"):
                pass
    assert taken.value.exit_code == ExitCode.LOCKED == 8
    assert taken.value.message == (f"another msgsvc apply (pid {os.getpid()}) is applying changes to account AC1 "
                                   "on this machine; nothing was sent")
    with locks.apply_lock("AC1", "twilio"):  # released
        pass
    assert [p.suffix for p in (tmp_path / "state" / "locks").iterdir()] == [".lock"] * 3  # no holder file left
