"""The journal of moves in flight (msgsvc/local/journal.py): a real msgsvc killed with SIGKILL
exactly between a move's detach and its attach (the fault proxy holds the attach and tells
the test it came; no timer), its record, and what the next numbers move, plan, apply and
doctor say of the sender it left in no service; a move finished leaves no record; a journal
that cannot be written holds the move back. The emulator behind tests/faults.py only."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MSGSVC
from factories import attach, create_service as create
from faults import FaultProxy

posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGKILL as POSIX has it")

MOVE_FILE = ('version = 1\n[[services]]\nfriendly_name = "Alerts"\n'
             '[[services]]\nfriendly_name = "OTP"\nsenders.numbers = ["+15550000001"]\n')
BACK_FILE = ('version = 1\n[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = ["+15550000001"]\n'
             '[[services]]\nfriendly_name = "OTP"\n')
KEEP_FILE = ('version = 1\n[[services]]\nfriendly_name = "Alerts"\n'
             '[[services]]\nfriendly_name = "OTP"\n')


def journal_dir() -> Path:
    return Path(os.environ["MSGSVC_STATE_DIR"]) / "moves"


def records() -> list[dict]:
    folder = journal_dir()
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(folder.iterdir())]


def numbers_of(emu, service: str) -> list[str]:
    listed = emu.call("GET", f"/v1/Services/{service}/PhoneNumbers").json()["phone_numbers"]
    return sorted(r["phone_number"] for r in listed)


@pytest.fixture
def front(emulator):
    """The emulator behind a fault proxy: every msgsvc of a test talks to the proxy, so that the
    journal's records name the API the next commands talk to."""
    proxy = FaultProxy(emulator.base_url)
    yield proxy
    proxy.stop()


@pytest.fixture
def setup(emulator, front, monkeypatch):
    """Alerts holds +15550000001, OTP is empty."""
    alerts, otp = create(emulator, "Alerts"), create(emulator, "OTP")
    pn = attach(emulator, alerts, "PhoneNumbers", PhoneNumberSid=emulator.number("+15550000001")["sid"])
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", front.url)
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "0")
    return alerts, otp, pn


def killed_between_detach_and_attach(front, otp: str, args: list[str]) -> tuple[dict, int]:
    """Run a real msgsvc whose attach to OTP the proxy holds; once it has come (the detach is
    done), read the journal, then SIGKILL msgsvc. The held attach is never sent on (it is
    answered 500 to no one once the proxy stops). The one record, and the pid."""
    held = front.add("POST", f"/v1/Services/{otp}/PhoneNumbers", delay=120, status=500, after=False)
    proc = subprocess.Popen([MSGSVC, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert held.arrived.wait(60), "the attach never came"
        found = records()
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert len(found) == 1, found
    return found[0], proc.pid


def when(record: dict) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(record["started"], timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def expected_warning(record: dict) -> str:
    return (f'msgsvc: warning: +15550000001 ({record["sid"]}) was detached from "Alerts" on {when(record)} to move '
            f'it to "OTP", and the msgsvc that moved it (pid {record["pid"]}) stopped before attaching it: the phone '
            "number is in no service\nhint: put it where it was going with: msgsvc numbers attach OTP +15550000001\n")


@posix_only
@pytest.mark.parametrize("command", [["numbers", "move", "+15550000001", "--to", "OTP", "--yes"],
                                     ["apply", "FILE", "--yes"]])
def test_a_move_killed_between_its_detach_and_its_attach_is_warned_of_until_the_number_is_back(
        msgsvc, emulator, front, setup, tmp_path, command):
    alerts, otp, pn = setup
    setup_file = tmp_path / "s.toml"
    setup_file.write_text(MOVE_FILE)
    record, pid = killed_between_detach_and_attach(front, otp, [str(setup_file) if a == "FILE" else a for a in command])

    # What was recorded before the detach: durable, private, enough to say where it went.
    assert record == {
        "version": 1, "account": emulator.account_sid, "api": front.url, "pid": pid, "boot": record["boot"],
        "started": record["started"], "kind": "phone-number", "sid": pn, "sender": "+15550000001",
        "noun": "phone number", "source": alerts, "source_name": "Alerts", "target": otp, "target_name": "OTP"}
    [path] = journal_dir().iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(journal_dir().stat().st_mode) == 0o700
    assert path.name.startswith(f"{pid}-") and path.name.endswith(".move")
    assert numbers_of(emulator, alerts) == [] and numbers_of(emulator, otp) == []  # lost from its pool

    # The next move (of another number) says so first, and goes on: its exit status is its own.
    result = msgsvc("numbers", "move", "+15550000002", "--to", "OTP", "--yes")
    assert result.code == 0, result.err
    assert result.err.startswith(expected_warning(record)), result.err
    assert len(records()) == 1  # kept until the number is in a service again

    # plan and apply: the warning, before the plan.
    keep = tmp_path / "keep.toml"
    keep.write_text(KEEP_FILE)
    result = msgsvc("plan", str(keep))
    assert result.code == 0, result.err
    assert result.err == expected_warning(record)
    result = msgsvc("apply", str(keep), "--dry-run")
    assert result.code == 0 and result.err == expected_warning(record), result.err

    # doctor: a finding of the service the number was going to; its fix is the attach.
    result = msgsvc("doctor", "--json")
    assert result.code == 9, result.err
    found = [f for f in json.loads(result.out) if f["check"] == "sender-left-in-no-service"]
    assert found == [{
        "severity": "error", "service": otp, "service_name": "OTP", "check": "sender-left-in-no-service",
        "title": "a move msgsvc did not finish left a sender in no service",
        "evidence": {"sender": "+15550000001", "sid": pn, "left": "Alerts", "started": when(record), "pid": pid},
        "fix": "msgsvc numbers attach OTP +15550000001", "source": "https://www.twilio.com/docs/messaging/services"}]
    assert "no service" not in result.err, result.err

    # The fix, pasted: the number is in OTP, and the record is dropped quietly.
    result = msgsvc("numbers", "attach", "OTP", "+15550000001")
    assert result.code == 0, result.err
    result = msgsvc("plan", str(keep))
    assert "warning" not in result.err, result.err
    assert records() == []
    assert numbers_of(emulator, otp) == ["+15550000001", "+15550000002"]


# --- a move that settles leaves nothing ------------------------------------------------------------


def test_a_move_done_or_put_back_leaves_no_record(msgsvc, emulator, front, setup, tmp_path):
    alerts, otp, pn = setup
    result = msgsvc("numbers", "move", "+15550000001", "--to", "OTP", "--yes")
    assert (result.code, result.out) == (0, f"+15550000001\t{pn}\tmoved\t\t\n"), result.err
    assert journal_dir().is_dir() and records() == []
    front.add("POST", f"/v1/Services/{alerts}/PhoneNumbers", status=412, code=21714, after=False)
    result = msgsvc("numbers", "move", "+15550000001", "--to", "Alerts", "--yes")
    assert result.code == 1 and "\tfailed\t21714\t" in result.out and 'put back in "OTP"' in result.out
    assert records() == []
    (tmp_path / "s.toml").write_text(BACK_FILE)
    result = msgsvc("apply", str(tmp_path / "s.toml"), "--yes")
    assert result.code == 0 and "\tmoved\t" in result.out, result.err
    assert records() == [] and numbers_of(emulator, alerts) == ["+15550000001"]


def test_a_half_done_move_is_reported_then_its_record_removed(msgsvc, emulator, front, setup):
    alerts, otp, pn = setup
    front.add("POST", f"/v1/Services/{otp}/PhoneNumbers", status=412, code=21714, after=False)
    front.add("POST", f"/v1/Services/{alerts}/PhoneNumbers", status=400, code=20001, after=False)
    result = msgsvc("numbers", "move", "+15550000001", "--to", "OTP", "--yes")
    assert result.code == 1
    assert result.out == (f'+15550000001\t{pn}\thalf done\t21714\tdetached from "Alerts"; attach to "OTP" failed '
                          "(21714); the phone number is in no service\n")
    assert records() == []  # the report said it


# --- a journal that cannot be written holds the move back ------------------------------------------


NOT_RECORDED = ("not sent: msgsvc could not record the move first ({why}); without that record nothing would tell "
                "where the phone number is if msgsvc stopped between the detach and the attach")


def test_a_move_whose_record_cannot_be_written_is_not_sent(msgsvc, emulator, front, setup, tmp_path, monkeypatch):
    """The state directory is a file (as good as read-only, even for root): nothing is
    detached, the result says why, exit 1; a plain attach still runs."""
    alerts, otp, pn = setup
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setenv("MSGSVC_STATE_DIR", str(blocked))
    result = msgsvc("numbers", "move", "+15550000001", "+15550000003", "--to", "OTP", "--yes")
    why = NOT_RECORDED.format(why=f"{blocked}/moves: Not a directory")
    assert result.code == 1, result.err
    assert result.out == f"+15550000001\t{pn}\tnot sent\t\t{why}\n+15550000003\t{emulator.number('+15550000003')['sid']}\tattached\t\t\n"
    assert front.sent("DELETE") == []
    assert numbers_of(emulator, alerts) == ["+15550000001"]

    # apply takes its lock in the state directory (msgsvc/local/locks.py): there, only the
    # journal's own folder is a file.
    state = tmp_path / "state-with-a-file"
    state.mkdir()
    (state / "moves").write_text("")
    monkeypatch.setenv("MSGSVC_STATE_DIR", str(state))
    (tmp_path / "s.toml").write_text(MOVE_FILE.replace('["+15550000001"]', '["+15550000001", "+15550000003"]'))
    result = msgsvc("apply", str(tmp_path / "s.toml"), "--yes")
    assert result.code == 1, result.err
    why = NOT_RECORDED.format(why=f"{state}/moves: File exists")
    assert result.out == f"move\tOTP\t+15550000001\t{pn}\tnot sent\t\t{why}\n"
    assert front.sent("DELETE") == [] and numbers_of(emulator, alerts) == ["+15550000001"]


def test_a_full_disk_holds_the_move_back(msgsvc, emulator, front, setup, monkeypatch):
    import errno

    from msgsvc.local import journal

    alerts, otp, pn = setup

    def full(self, fields):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(journal.Journal, "_write_one", full)
    result = msgsvc("numbers", "move", "+15550000001", "--to", "OTP", "--yes")
    assert result.code == 1
    assert result.out == f"+15550000001\t{pn}\tnot sent\t\t{NOT_RECORDED.format(why='No space left on device')}\n"
    assert front.sent("DELETE") == [] and records() == []


# --- records of others, and records that cannot be read -------------------------------------------


def _reaped() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def left(emulator, front, alerts: str, otp: str, pn: str, **changes) -> Path:
    """A record as an msgsvc that stopped left it, with `changes`."""
    import time

    fields = {"version": 1, "account": emulator.account_sid, "api": front.url, "pid": _reaped(), "boot": None,
              "started": time.time() - 60, "kind": "phone-number", "sid": pn, "sender": "+15550000001",
              "noun": "phone number", "source": alerts, "source_name": "Alerts", "target": otp, "target_name": "OTP",
              **changes}
    journal_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    path = journal_dir() / f"{fields['pid']}-1-abcd.move"
    path.write_text(json.dumps(fields))
    return path


def test_a_record_whose_number_is_where_it_was_is_dropped_quietly(msgsvc, emulator, front, setup, tmp_path):
    alerts, otp, pn = setup
    path = left(emulator, front, alerts, otp, pn)  # killed before its detach was sent: still in Alerts
    (tmp_path / "keep.toml").write_text(BACK_FILE)
    result = msgsvc("plan", str(tmp_path / "keep.toml"))
    assert result.code == 0 and result.err == "", result.err
    assert not path.exists()
    assert front.sent("GET", rf"/v1/Services/{otp}/PhoneNumbers/{pn}") and \
        front.sent("GET", rf"/v1/Services/{alerts}/PhoneNumbers/{pn}")


def test_records_of_a_running_msgsvc_or_another_account_are_not_looked_at(msgsvc, emulator, front, setup, tmp_path):
    alerts, otp, pn = setup
    running = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        mine = left(emulator, front, alerts, otp, pn, pid=running.pid)
        other = left(emulator, front, alerts, otp, pn, account="AC" + "1" * 32)
        elsewhere = left(emulator, front, alerts, otp, pn, api="http://127.0.0.1:9")
        (tmp_path / "keep.toml").write_text(KEEP_FILE)
        result = msgsvc("plan", str(tmp_path / "keep.toml"))
        assert result.code == 0 and result.err == "", result.err
        assert mine.exists() and other.exists() and elsewhere.exists()
        assert front.sent("GET", rf"/v1/Services/MG[0-9a-f]{{32}}/PhoneNumbers/{pn}") == []
    finally:
        running.stdin.close()
        running.wait()


def test_a_corrupt_or_cut_short_journal_never_fails_a_command(msgsvc, emulator, front, setup, tmp_path):
    alerts, otp, pn = setup
    journal_dir().mkdir(parents=True, mode=0o700)
    cut = journal_dir() / f"{_reaped()}-1-0000.move"
    cut.write_text('{"version": 1, "account": "AC')  # its writer died writing it: its move was never sent
    garbage = journal_dir() / "notes.move"
    garbage.write_bytes(b"\xff\xfe not json at all")
    unreadable = journal_dir() / f"{_reaped()}-2-0000.move"
    unreadable.mkdir()  # cannot be read as a file
    foreign = journal_dir() / "README"
    foreign.write_text("not ours")
    (tmp_path / "s.toml").write_text(MOVE_FILE)
    result = msgsvc("apply", str(tmp_path / "s.toml"), "--yes")
    assert result.code == 0, result.err
    assert "warning" not in result.err and "\tmoved\t" in result.out
    assert not cut.exists() and garbage.exists() and unreadable.exists() and foreign.exists()


def test_a_record_the_api_cannot_answer_for_is_kept_and_said_once(msgsvc, emulator, front, setup, tmp_path):
    alerts, otp, pn = setup
    first = left(emulator, front, alerts, otp, pn)
    second = left(emulator, front, alerts, otp, pn, sender="+15550000009")
    front.add("GET", rf"/v1/Services/{otp}/PhoneNumbers/{pn}", reset=True, times=2)
    result = msgsvc("numbers", "move", "+15550000002", "--to", "OTP", "--yes")
    assert result.code == 0, result.err
    said = [line for line in result.err.splitlines() if "could not check" in line]
    assert len(said) == 1 and said[0].startswith("msgsvc: warning: could not check 2 moves earlier msgsvc runs did "
                                                 "not finish: ")
    assert said[0].endswith("; it is checked again by the next move, plan, apply or doctor")
    assert first.exists() and second.exists()
    assert result.out.endswith("\tattached\t\t\n")
