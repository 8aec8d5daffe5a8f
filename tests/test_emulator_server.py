"""The emulator's server: it checks credentials before it reads a body, answers a password that
is not ASCII with 401, its state writer survives a full disk, and it installs A2P's hooks on
the store it serves (the store itself knows nothing of A2P)."""

from __future__ import annotations

import base64
import errno
import json
import os
import socket
import subprocess
import sys
import time

from emulator_helpers import EMU_ACCOUNT, emulator, start_emulator, stop_emulator  # noqa: F401 (fixture)


def test_a_password_that_is_not_ascii_is_401_not_500(emulator):
    # UTF-8, as curl sends it (requests would send Latin-1, which is not UTF-8 at all).
    basic = base64.b64encode(f"{EMU_ACCOUNT}:pässwörd-ünïcode".encode("utf-8")).decode()
    emulator.http.auth = None
    answer = emulator.call("GET", "/v1/Services", headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 401
    assert answer.json()["code"] == 20003


def test_credentials_are_checked_before_the_body_is_read(emulator):
    host, port = emulator.base_url.removeprefix("http://").split(":")
    wrong = base64.b64encode(f"{EMU_ACCOUNT}:wrong".encode()).decode()
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        # A body of a gigabyte announced, none of it sent: the answer must not wait for it.
        conn.sendall(f"POST /v1/Services HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {wrong}\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000000\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            assert chunk, "the connection closed without an answer"
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 401 ")


def test_a_change_that_cannot_reach_the_disk_is_a_500_and_is_written_when_it_can(tmp_path, monkeypatch):
    """A full disk: the answer is not a 201 (the change is in memory only), the writer says so
    once and retries, and says so again when the state is written."""
    import threading

    from msgsvc.emulator import durable, state

    monkeypatch.setattr(state, "WRITE_RETRY", 0.05)
    real = durable._write_all
    disk = {"full": False}

    def write_all(fd, data):
        if disk["full"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(durable, "_write_all", write_all)
    lines: list[str] = []
    retrying, again = threading.Event(), threading.Event()

    def log(line):
        lines.append(line)
        if "retrying every" in line:
            retrying.set()
        if "is written again" in line:
            again.set()

    path = tmp_path / "state.json"
    emu = start_emulator(path=path, log=log)
    try:
        disk["full"] = True
        answer = emu.call("POST", "/v1/Services", data={"FriendlyName": "Kept"})
        assert answer.status_code == 500
        reason = f"cannot write the state file {path}: No space left on device"
        assert answer.json()["message"] == f"Internal Server Error: the change was made in memory but not saved: {reason}"
        assert retrying.wait(10), lines
        disk["full"] = False
        assert again.wait(10), lines
        assert emu.call("POST", "/v1/Services", data={"FriendlyName": "Later"}).status_code == 201
    finally:
        stop_emulator(emu)
    assert [s["friendly_name"] for s in json.loads(path.read_text())["services"].values()] == ["Kept", "Later"]
    assert lines == [
        f"msgsvc emulator: error: POST /v1/Services: {reason}",
        f"msgsvc emulator: {reason}; retrying every 0.05 s (the state is kept in memory meanwhile)",
        f"msgsvc emulator: the state file {path} is written again",
    ]


def test_the_store_imports_no_a2p_and_the_server_installs_its_hook(tmp_path):
    code = "import sys, msgsvc.emulator.store; print(sorted(m for m in sys.modules if m.startswith('msgsvc.emulator.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded == "['msgsvc.emulator.durable', 'msgsvc.emulator.errors', 'msgsvc.emulator.model', 'msgsvc.emulator.state', 'msgsvc.emulator.store']\n"

    from msgsvc.emulator import a2p
    from msgsvc.emulator.seed import seed
    from msgsvc.emulator.server import make_server
    from msgsvc.emulator.store import Store

    store = Store(seed(EMU_ACCOUNT, "t", 0))
    assert store.on_service_deleted == []
    server = make_server("127.0.0.1", 0, store)
    try:
        assert store.on_service_deleted == [a2p.service_deleted]
    finally:
        server.server_close()
