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


def test_the_state_writer_survives_a_full_disk_and_says_so_once(tmp_path, monkeypatch):
    from msgsvc.emulator import state

    monkeypatch.setattr(state, "WRITE_RETRY", 0.05)
    real = state.write_private
    failures = {"left": 5}

    def full_disk(path, text, **kwargs):
        if failures["left"] > 0:
            failures["left"] -= 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, text, **kwargs)

    monkeypatch.setattr(state, "write_private", full_disk)
    lines: list[str] = []
    path = tmp_path / "state.json"
    emu = start_emulator(path=path, log=lines.append)
    try:
        assert emu.call("POST", "/v1/Services", data={"FriendlyName": "Kept"}).status_code == 201
        for _ in range(200):
            if path.exists() and "Kept" in path.read_text():
                break
            time.sleep(0.05)
        assert "Kept" in json.dumps(json.loads(path.read_text()))
        assert emu.call("POST", "/v1/Services", data={"FriendlyName": "Later"}).status_code == 201
    finally:
        stop_emulator(emu)
    assert "Later" in path.read_text()
    assert lines == [
        f"msgsvc emulator: cannot write the state file {path}: No space left on device; retrying every 0.05 s "
        "(the state is kept in memory meanwhile)",
        f"msgsvc emulator: the state file {path} is written again",
    ]


def test_the_store_imports_no_a2p_and_the_server_installs_its_hook(tmp_path):
    code = "import sys, msgsvc.emulator.store; print(sorted(m for m in sys.modules if m.startswith('msgsvc.emulator.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded == "['msgsvc.emulator.errors', 'msgsvc.emulator.model', 'msgsvc.emulator.state', 'msgsvc.emulator.store']\n"

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
