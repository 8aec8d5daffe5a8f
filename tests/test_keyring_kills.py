"""`profiles add` killed (SIGKILL: no undo runs) at each step of its keyring-then-file
change leaves the old profile or the new one, usable, or nothing, and at most an orphan
keyring entry that is written down in keyring-pending.json: the next `profiles add`,
`remove` or `migrate` deletes it (saying so), and doctor reports it without asking the
keyring. The kill is coordinated by a byte on a pipe (tests/keyrings/msgsvc_test_pause.py),
never by a sleep."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tomllib

import pytest
from conftest import ACCOUNT_SID
from emulator_helpers import emulator  # noqa: F401 - fixture

TOKEN = "first-token-0123456789abcdef"
NEW = "second-token-0123456789abcdef"
OTHER_SID = "AC" + "7" * 32


def entries(path) -> dict:
    """The keyring's entries, by their scoped user name."""
    return json.loads(path.read_text()).get("msgsvc", {}) if path.exists() else {}


def user(name: str, sid: str = ACCOUNT_SID) -> str:
    from msgsvc.local import keystore

    return keystore.user(name, sid)


def profiles(isolated) -> dict:
    path = isolated / "config" / "config.toml"
    return tomllib.loads(path.read_text()).get("profiles", {}) if path.exists() else {}


def pending(isolated) -> list:
    path = isolated / "config" / "keyring-pending.json"
    return json.loads(path.read_text())["entries"] if path.exists() else []


def killed_at(point: str, *args: str, secret: str) -> None:
    """Run `msgsvc ARGS` with `point` (module:function:before|after) paused; SIGKILL it there."""
    read_end, write_end = os.pipe()
    env = {**os.environ, "MSGSVC_TEST_PAUSE": point, "MSGSVC_TEST_PAUSE_FD": str(write_end)}
    proc = subprocess.Popen([sys.executable, "-c", "import msgsvc_test_pause; msgsvc_test_pause.main()", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            pass_fds=(write_end,))
    os.close(write_end)
    try:
        proc.stdin.write(secret.encode() + b"\n")
        proc.stdin.close()
        proc.stdin = None  # given: communicate() has nothing more to send
        ready, _, _ = select.select([read_end], [], [], 60)  # a bound against a hang, not a wait
        reached = os.read(read_end, 1) if ready else b""
        if reached != b"!":  # it ended, or never got there: the point is wrong
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"{point} was never reached: exit {proc.returncode}, {err.decode()!r}")
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        assert proc.returncode == -signal.SIGKILL
    finally:
        os.close(read_end)


def add(*extra: str, name: str = "prod", sid: str = ACCOUNT_SID) -> list[str]:
    return ["profiles", "add", name, "--no-verify", "--account-sid", sid, *extra]


# (point, what is left: "old" the profile as it was, "new" the new one, and whether an
# orphan entry is on the record)
NEW_PROFILE = [
    ("msgsvc.local.profiles:_note_pending:before", "nothing", False),
    ("msgsvc.local.keystore:store:before", "nothing", False),  # written down, not stored
    ("msgsvc.local.keystore:store:after", "nothing", True),  # stored, the file not written
    ("msgsvc.local.config:write_config:after", "new", False),  # named: the record is settled
    ("msgsvc.local.profiles:_cross_off:after", "new", False),
]


@pytest.mark.parametrize("point, left, orphan", NEW_PROFILE, ids=[p for p, _, _ in NEW_PROFILE])
def test_add_killed_at_each_step_leaves_a_usable_profile_or_nothing(msgsvc, isolated, keyring_file, point, left, orphan):
    killed_at(point, *add(), secret=TOKEN)
    if left == "new":
        assert profiles(isolated) == {"prod": {"account_sid": ACCOUNT_SID, "secret_storage": "keyring"}}
        assert entries(keyring_file) == {user("prod"): TOKEN}
    else:
        assert profiles(isolated) == {}
        assert entries(keyring_file) == ({user("prod"): TOKEN} if orphan else {})
        if orphan:  # the only entry no profile names is on the record
            assert pending(isolated) == [{"profile": "prod", "account_sid": ACCOUNT_SID}]
    # The next add settles the record first: an orphan is deleted (and said), a named entry kept.
    again = msgsvc(*add("--force"), stdin=NEW + "\n")
    assert again.code == 0, again.err
    deleted = ("msgsvc: warning: deleted a secret of profile 'prod' (ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) from the "
               "system keyring that no profile used: an interrupted msgsvc had left it there\n")
    assert again.err == (deleted if orphan else "") + (
        f"Saved profile 'prod' (active) in {isolated / 'config' / 'config.toml'}; its secret is in the system keyring\n")
    assert entries(keyring_file) == {user("prod"): NEW}
    assert pending(isolated) == []


REPLACE = [  # prod (ACaaa..., its secret in the keyring) replaced by prod of another account
    ("msgsvc.local.keystore:store:before", "old", False),
    ("msgsvc.local.keystore:store:after", "old", True),  # the new account's entry: an orphan
    ("msgsvc.local.config:write_config:after", "new", True),  # the old account's entry: an orphan
    ("msgsvc.local.keystore:delete:before", "new", True),
    ("msgsvc.local.keystore:delete:after", "new", False),
]


@pytest.mark.parametrize("point, left, orphan", REPLACE, ids=[p for p, _, _ in REPLACE])
def test_add_force_killed_at_each_step_keeps_the_old_profile_or_the_new(msgsvc, isolated, keyring_file, point, left, orphan):
    assert msgsvc(*add(), stdin=TOKEN + "\n").code == 0
    killed_at(point, *add("--force", sid=OTHER_SID), secret=NEW)
    sid, secret, stray = (ACCOUNT_SID, TOKEN, (OTHER_SID, NEW)) if left == "old" else (OTHER_SID, NEW, (ACCOUNT_SID, TOKEN))
    assert profiles(isolated) == {"prod": {"account_sid": sid, "secret_storage": "keyring"}}
    assert entries(keyring_file) == {user("prod", sid): secret, **({user("prod", stray[0]): stray[1]} if orphan else {})}
    if orphan:
        assert {"profile": "prod", "account_sid": stray[0]} in pending(isolated)
    # Removing another profile settles the record too; the profile left is untouched.
    assert msgsvc("profiles", "add", "ci", "--no-verify", "--insecure-storage", "--account-sid", ACCOUNT_SID,
                  stdin="ci-token-0123456789\n").code == 0
    removed = msgsvc("profiles", "remove", "ci", "--yes")
    assert removed.code == 0, removed.err
    assert entries(keyring_file) == {user("prod", sid): secret}
    assert pending(isolated) == []
    assert profiles(isolated) == {"prod": {"account_sid": sid, "secret_storage": "keyring"}}


def test_migrate_killed_after_the_keyring_stored_keeps_the_file_secret(msgsvc, isolated, keyring_file):
    assert msgsvc(*add("--insecure-storage"), stdin=TOKEN + "\n").code == 0
    killed_at("msgsvc.local.keystore:store:after", "profiles", "migrate", secret="")
    assert profiles(isolated)["prod"]["auth_token"] == TOKEN  # still usable, from the file
    assert entries(keyring_file) == {user("prod"): TOKEN}  # a copy no profile names: on the record
    migrated = msgsvc("profiles", "migrate")
    assert migrated.code == 0, migrated.err
    assert profiles(isolated) == {"prod": {"account_sid": ACCOUNT_SID, "secret_storage": "keyring"}}
    assert entries(keyring_file) == {user("prod"): TOKEN}
    assert pending(isolated) == []


def test_doctor_reports_an_orphan_without_asking_the_keyring(msgsvc, isolated, keyring_file, monkeypatch, emulator):
    killed_at("msgsvc.local.keystore:store:after", *add(), secret=TOKEN)
    from conftest import use_keyring

    use_keyring(monkeypatch, "msgsvc_test_keyrings.HangingKeyring")  # asked, it would hang: it is not
    for var, value in (("TWILIO_ACCOUNT_SID", emulator.account_sid), ("TWILIO_AUTH_TOKEN", emulator.auth_token),
                       ("MSGSVC_BASE_URL", emulator.base_url)):
        monkeypatch.setenv(var, value)
    result = msgsvc("doctor")
    assert result.err.startswith(
        "msgsvc: warning: the system keyring may hold a secret of profile 'prod' (ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) "
        "that no profile uses, left by an interrupted msgsvc\n"
        "hint: msgsvc profiles add, remove or migrate deletes it\n"), result.err
    assert pending(isolated) == [{"profile": "prod", "account_sid": ACCOUNT_SID}]
