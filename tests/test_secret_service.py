"""End to end against a real Secret Service: gnome-keyring-daemon on a private D-Bus session
(dbus-run-session), found by keyring's own backend detection, as on a Linux desktop. .ci/run
installs both; with CI set a missing one fails the test instead of skipping it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib

from contextlib import contextmanager
from typing import Iterator

import pytest
from conftest import MSGSVC, need_tool
from emulator_helpers import EMU_ACCOUNT, EMU_TOKEN

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Secret Service is the Linux desktop's keyring")

SESSION = """
set -eu
if [ "$2" = unlocked ]; then
    # Unlocks (creating on first use) the login keyring with this password, as a desktop login does.
    printf '%s' 'session-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
else
    # No login keyring and no one to answer the prompt that would create one (no display).
    gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1
fi
printf '%s\\n' "$DBUS_SESSION_BUS_ADDRESS" > "$1.tmp"
mv "$1.tmp" "$1"
exec sleep 600
"""

PEEK = """
import json, keyring
from msgsvc.local import keystore
backend = keyring.get_keyring()
print(json.dumps([type(backend).__module__ + "." + type(backend).__name__, keyring.get_password("msgsvc", keystore.user("emu", "%s"))]))
"""


@contextmanager
def desktop_session(tmp_path, unlocked: bool = True) -> Iterator[dict]:
    """The environment of a desktop session whose Secret Service is gnome-keyring."""
    need_tool("dbus-run-session", "dbus-daemon")
    need_tool("gnome-keyring-daemon", "gnome-keyring")
    home = tmp_path / "home"
    runtime = tmp_path / "runtime"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local/share"), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_RUNTIME_DIR=str(runtime))
    address_file = tmp_path / "bus-address"
    session = subprocess.Popen(
        ["dbus-run-session", "--", "sh", "-c", SESSION, "session", str(address_file), "unlocked" if unlocked else "locked"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not address_file.exists() and session.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if not address_file.exists():
            raise AssertionError(f"the D-Bus session with gnome-keyring did not start: {session.stderr.read().decode() if session.poll() is not None else 'timed out'}")
        env["DBUS_SESSION_BUS_ADDRESS"] = address_file.read_text().strip()
        yield env
    finally:
        os.killpg(session.pid, signal.SIGTERM)  # the session we started: dbus-daemon, the keyring daemon, sleep
        session.wait(15)
        session.stderr.close()


@pytest.fixture
def secret_service(tmp_path):
    with desktop_session(tmp_path) as env:
        yield env


def run(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([MSGSVC, *args], input=stdin, capture_output=True, text=True, timeout=60, env=env)


def peek(env: dict) -> list:
    out = subprocess.run([sys.executable, "-c", PEEK % EMU_ACCOUNT], capture_output=True, text=True, timeout=60, env=env, check=True).stdout
    return json.loads(out)


def test_profiles_with_a_real_secret_service(secret_service, emulator, isolated):
    env = secret_service
    config = isolated / "config" / "config.toml"

    added = run(env, "profiles", "add", "emu", "--account-sid", EMU_ACCOUNT, "--base-url", emulator.base_url, "--max-retries", "0", stdin=EMU_TOKEN + "\n")
    assert (added.returncode, added.stdout) == (0, "")
    assert added.stderr.endswith(f"Saved profile 'emu' (active) in {config}; its secret is in the system keyring\n"), added.stderr
    assert peek(env) == ["keyring.backends.SecretService.Keyring", EMU_TOKEN]
    assert EMU_TOKEN not in config.read_text()
    assert tomllib.loads(config.read_text())["profiles"]["emu"] == {
        "account_sid": EMU_ACCOUNT, "base_url": emulator.base_url, "max_retries": 0, "secret_storage": "keyring",
    }

    listed = run(env, "services", "list", "--json")
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "[]\n", "")
    tested = run(env, "profiles", "test")
    assert (tested.returncode, tested.stdout) == (0, f"emu\tok\tkeyring\taccount {EMU_ACCOUNT} can use the Messaging API at {emulator.base_url}\n")

    removed = run(env, "profiles", "remove", "emu", "--yes")
    assert removed.returncode == 0, removed.stderr
    assert peek(env) == ["keyring.backends.SecretService.Keyring", None]


def test_a_file_secret_moves_into_the_real_secret_service(secret_service, isolated):
    env = secret_service
    config = isolated / "config" / "config.toml"
    added = run(env, "profiles", "add", "emu", "--account-sid", EMU_ACCOUNT, "--no-verify", "--insecure-storage", stdin="file-token-0123456789\n")
    assert added.returncode == 0, added.stderr
    assert "file-token-0123456789" in config.read_text()
    moved = run(env, "profiles", "migrate")
    assert (moved.returncode, moved.stderr) == (0, f"Moved the secret of 'emu' into the system keyring; {config} holds none of them now\n")
    assert "file-token-0123456789" not in config.read_text()
    assert peek(env)[1] == "file-token-0123456789"
    shown = json.loads(run(env, "profiles", "show", "--json").stdout)
    assert shown["auth_token"] == {"value": "************6789", "source": "keyring (profile 'emu')"}


def test_a_secret_service_that_cannot_prompt_refuses_and_nothing_is_saved(tmp_path, isolated):
    """Real gnome-keyring with no login keyring: creating one needs a prompt no one can see.
    It refuses at once here (no display); were it to wait, the bound would end the wait."""
    with desktop_session(tmp_path, unlocked=False) as env:
        env["MSGSVC_KEYRING_TIMEOUT"] = "5"
        added = run(env, "profiles", "add", "emu", "--account-sid", EMU_ACCOUNT, "--no-verify", stdin="never-stored-0123456789\n")
        assert (added.returncode, added.stdout) == (4, "")
        first, hint = added.stderr.splitlines()[-2:]
        assert first.startswith("msgsvc: the system keyring ") and "the secret of profile 'emu'" in first, added.stderr
        assert hint.endswith("keep the secret in the config file instead with --insecure-storage")
        config = isolated / "config" / "config.toml"
        assert not config.exists() or "emu" not in config.read_text()
