"""What a newcomer meets before the first command works: NO_COLOR on a real terminal, the
benchmark that downloads nothing unless asked, and the tests that need Twilio's definitions
saying what they need and how to run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from corehelp import Pty
from factories import create_service

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def emu(emulator, monkeypatch):
    for var in ("COLUMNS", "LINES", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", emulator.base_url)
    return emulator


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
@pytest.mark.parametrize("args", [("services", "list"), ("services", "get", "Alerts")])
def test_no_color_means_no_styling_at_all_on_a_terminal(emu, args):
    """NO_COLOR (no-color.org): not even the bold header Rich keeps when it drops colours."""
    create_service(emu, "Alerts")
    code, _ = (shown := Pty(*args, env=dict(os.environ), columns=80)).finish()
    assert code == 0 and b"\x1b[1m" in shown.output  # a terminal: the header is bold
    plain = Pty(*args, env={**os.environ, "NO_COLOR": "1"}, columns=80)
    code, text = plain.finish()
    assert code == 0 and "Alerts" in text
    assert b"\x1b[" not in plain.output, plain.output


def _fake_npm(tmp_path) -> tuple[dict, Path]:
    """A PATH whose `npm` only records that it was run (and fails: nothing is installed)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    record = tmp_path / "npm-ran"
    npm = folder / "npm"
    npm.write_text(f"#!/bin/sh\necho \"$@\" >> '{record}'\nexit 1\n")
    npm.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}, record


@pytest.mark.skipif(os.name != "posix", reason="a shell-script npm")
def test_the_startup_benchmark_downloads_nothing_unless_asked(tmp_path):
    env, record = _fake_npm(tmp_path)
    bench = [sys.executable, str(ROOT / "bench" / "startup.py"), "--runs", "1"]
    plain = subprocess.run(bench, capture_output=True, text=True, env=env, timeout=300)
    assert not record.exists() and "twilio-cli" not in plain.stdout, plain.stdout
    asked = subprocess.run([*bench, "--with-twilio"], capture_output=True, text=True, env=env, timeout=300)
    assert record.read_text().split()[:1] == ["install"]
    assert "twilio-cli: skipped (npm install failed: )" in asked.stdout, asked.stdout


def test_a_test_that_needs_twilio_s_definitions_says_where_and_how(tmp_path):
    """On a clone without ../shared/twilio-spec: skipped, naming the folder looked in and the
    variable that points elsewhere; with the variable set, it runs."""
    from conftest import SPEC_DIR, SPEC_ENV

    test = "tests/test_monitor_alerts.py::test_the_declaration_keys_are_the_definitions"
    pytest_ = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "-rs", test]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k != "CI"}
    empty = tmp_path / "nothing-here"
    missing = subprocess.run(pytest_, capture_output=True, text=True, cwd=ROOT, env={**env, SPEC_ENV: str(empty)}, timeout=300)
    assert "1 skipped" in missing.stdout, missing.stdout
    assert (f"Twilio's OpenAPI definitions are not at {empty}, so the declarations cannot be checked against "
            "them; to run this test, put the twilio-spec folder in ../shared beside the repository, or set "
            f"{SPEC_ENV} to the folder that holds them") in " ".join(missing.stdout.split())
    if not SPEC_DIR.is_dir():
        pytest.skip(f"{SPEC_DIR} is absent here: the run with {SPEC_ENV} set cannot be shown")
    found = subprocess.run(pytest_, capture_output=True, text=True, cwd=ROOT, env={**env, SPEC_ENV: str(SPEC_DIR)}, timeout=300)
    assert "1 passed" in found.stdout, found.stdout


def test_emulator_quiet_prints_the_assignments_and_nothing_on_stderr(msgsvc, monkeypatch):
    """--quiet: no banner, no 'stopped.'; stdout is the assignments, the API secret last (what
    a script that started it with & waits for)."""
    from msgsvc.emulator import server

    def serve_forever(self, poll_interval=0.5):
        raise KeyboardInterrupt  # as Ctrl-C stops it

    monkeypatch.setattr(server.EmulatorServer, "serve_forever", serve_forever)
    result = msgsvc("emulator", "--port", "0", "--quiet", "--account-sid", "AC" + "1" * 32, "--auth-token", "tok3n")
    assert (result.code, result.err) == (0, "")
    assert [line.split("=", 1)[0] for line in result.out.splitlines()] == [
        "MSGSVC_BASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "MSGSVC_EMULATOR_API_KEY", "MSGSVC_EMULATOR_API_SECRET"]
    loud = msgsvc("emulator", "--port", "0", "--account-sid", "AC" + "1" * 32, "--auth-token", "tok3n")
    assert loud.out.splitlines()[1:3] == result.out.splitlines()[1:3]  # the same account; another free port
    assert loud.err.startswith("msgsvc emulator: Twilio's Messaging API on http://127.0.0.1:")
    assert loud.err.endswith("Press Ctrl-C to stop.\nmsgsvc emulator: stopped.\n")
