"""A profile's secret and its config file change together or not at all (msgsvc/local/profiles.py),
and keyring entries are scoped by config directory and account (msgsvc/local/keystore.py).

The keyring is a fake backend that records every call; a full disk is a small tmpfs (as root,
where mounting one is allowed) filled to the last block."""

from __future__ import annotations

import os
import subprocess
import tomllib
import uuid

import pytest
from conftest import ACCOUNT_SID

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

OTHER_SID = "AC" + "b" * 32
OLD = "old-token-0123456789abcdef"
NEW = "new-token-0123456789abcdef"


class RecordingKeyring(KeyringBackend):
    """A keyring in memory that records each call as (method, user name)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []

    def get_password(self, service, username):
        assert service == "msgsvc"
        self.calls.append(("get", username))
        return self.entries.get(username)

    def set_password(self, service, username, password):
        self.calls.append(("set", username))
        self.entries[username] = password

    def delete_password(self, service, username):
        self.calls.append(("delete", username))
        if username not in self.entries:
            raise PasswordDeleteError("no such entry")
        del self.entries[username]


@pytest.fixture
def ring(monkeypatch):
    from msgsvc.local import keystore

    backend = RecordingKeyring()
    monkeypatch.setattr(keystore, "_keyring", lambda: backend)
    return backend


def user(name: str, sid: str = ACCOUNT_SID) -> str:
    from msgsvc.local import keystore

    return keystore.user(name, sid)


@pytest.fixture
def full_disk(tmp_path, monkeypatch):
    """A config directory on a 1 MB tmpfs; `fill()` takes its last free block."""
    if os.geteuid() != 0:
        pytest.skip("a full file system needs a tmpfs, which only root may mount here")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for a full file system: {done.stderr.strip()}")
    monkeypatch.setenv("MSGSVC_CONFIG_DIR", str(mount / "config"))

    class Disk:
        path = mount / "config"

        @staticmethod
        def fill() -> None:
            fd = os.open(mount / f"filler-{uuid.uuid4().hex}", os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError:
                pass
            finally:
                os.close(fd)

    yield Disk
    subprocess.run(["umount", "-l", str(mount)], check=True)


def add(msgsvc, name: str, *args: str, secret: str = OLD, sid: str = ACCOUNT_SID):
    return msgsvc("profiles", "add", name, "--no-verify", "--account-sid", sid, *args, stdin=secret + "\n")


def stored(directory) -> dict:
    return tomllib.loads((directory / "config.toml").read_text())


PENDING = "keyring-pending.json"  # written before the keyring stores: on a full disk, what fails first


def full_error(directory, name: str = "config.toml") -> str:
    return (f"msgsvc: cannot write {directory / name}: No space left on device; nothing was changed\n"
            "hint: free some disk space, or point MSGSVC_CONFIG_DIR to a writable directory\n")


# --- one transaction, on a full disk -------------------------------------------------------------


def test_remove_on_a_full_disk_keeps_the_profile_and_its_secret(msgsvc, ring, full_disk):
    assert add(msgsvc, "prod").code == 0
    before = stored(full_disk.path)
    full_disk.fill()
    ring.calls.clear()
    result = msgsvc("profiles", "remove", "prod", "--yes")
    assert (result.code, result.out, result.err) == (1, "", full_error(full_disk.path))
    assert ring.entries == {user("prod"): OLD}
    assert ring.calls == [("get", user("prod")), ("get", user("prod")), ("delete", user("prod")),
                          ("set", user("prod"))]  # deleted, the write failed, put back
    assert stored(full_disk.path) == before


def test_add_force_on_a_full_disk_keeps_the_old_token_and_account(msgsvc, ring, full_disk):
    assert add(msgsvc, "prod").code == 0
    before = stored(full_disk.path)
    full_disk.fill()
    result = add(msgsvc, "prod", "--force", secret=NEW)
    assert (result.code, result.out, result.err) == (1, "", full_error(full_disk.path, PENDING))
    assert ring.entries == {user("prod"): OLD}
    assert stored(full_disk.path) == before


def test_add_force_to_another_account_on_a_full_disk_leaves_no_new_entry(msgsvc, ring, full_disk):
    assert add(msgsvc, "prod").code == 0
    full_disk.fill()
    result = add(msgsvc, "prod", "--force", secret=NEW, sid=OTHER_SID)
    assert (result.code, result.err) == (1, full_error(full_disk.path, PENDING))
    assert ring.entries == {user("prod"): OLD}
    assert stored(full_disk.path)["profiles"]["prod"]["account_sid"] == ACCOUNT_SID


def test_add_force_insecure_storage_on_a_full_disk_keeps_the_keyring_entry(msgsvc, ring, full_disk):
    assert add(msgsvc, "prod").code == 0
    before = stored(full_disk.path)
    full_disk.fill()
    ring.calls.clear()
    result = add(msgsvc, "prod", "--force", "--insecure-storage", secret=NEW)
    assert (result.code, result.err) == (1, full_error(full_disk.path, PENDING))
    assert ring.entries == {user("prod"): OLD}
    assert [call for call in ring.calls if call[0] != "get"] == []
    assert stored(full_disk.path) == before


def test_migrate_on_a_full_disk_leaves_no_secret_in_the_keyring(msgsvc, ring, full_disk, monkeypatch):
    assert add(msgsvc, "prod", "--insecure-storage").code == 0
    assert add(msgsvc, "ci", "--insecure-storage", secret=NEW).code == 0
    before = stored(full_disk.path)
    full_disk.fill()
    result = msgsvc("profiles", "migrate")
    assert (result.code, result.out, result.err) == (1, "", full_error(full_disk.path, PENDING))
    assert ring.entries == {}
    assert [call for call in ring.calls if call[0] != "get"] == []  # the record of pending entries comes first
    assert stored(full_disk.path) == before


def test_a_keyring_that_cannot_put_the_secret_back_is_named(msgsvc, ring, full_disk, monkeypatch):
    assert add(msgsvc, "prod").code == 0
    full_disk.fill()
    real_set = ring.set_password

    def refuse_after_delete(service, username, password):
        if ("delete", username) in ring.calls:
            raise OSError("org.freedesktop.DBus.Error.NoReply")
        real_set(service, username, password)

    monkeypatch.setattr(ring, "set_password", refuse_after_delete)
    result = msgsvc("profiles", "remove", "prod", "--yes")
    assert result.code == 1
    assert result.err.startswith(
        f"msgsvc: cannot write {full_disk.path / 'config.toml'}: No space left on device; the config file is unchanged, "
        "but the system keyring entry of profile 'prod' (the system keyring refused storing the secret of profile "
        "'prod': OSError: org.freedesktop.DBus.Error.NoReply) could not be put back as it was\n")


def test_successful_changes_say_what_changed(msgsvc, ring, isolated):
    assert add(msgsvc, "prod", "--insecure-storage").code == 0
    result = add(msgsvc, "prod", "--force", secret=NEW)
    assert result.err.endswith("its secret is in the system keyring\n")
    assert ring.entries == {user("prod"): NEW}
    assert add(msgsvc, "prod", "--force", "--insecure-storage", secret=OLD).code == 0
    assert ring.entries == {}  # the file holds it now: the keyring entry went after the write
    assert stored(isolated / "config")["profiles"]["prod"]["auth_token"] == OLD


def test_add_force_to_another_account_deletes_the_old_entry_after_the_write(msgsvc, ring):
    assert add(msgsvc, "prod").code == 0
    ring.calls.clear()
    assert add(msgsvc, "prod", "--force", secret=NEW, sid=OTHER_SID).code == 0
    assert ring.entries == {user("prod", OTHER_SID): NEW}
    assert ring.calls == [("get", user("prod", OTHER_SID)), ("set", user("prod", OTHER_SID)),
                          ("get", user("prod")), ("delete", user("prod"))]


# --- scoped entries --------------------------------------------------------------------------------


def test_two_config_directories_never_share_a_secret(msgsvc, ring, tmp_path, monkeypatch):
    monkeypatch.setenv("MSGSVC_CONFIG_DIR", str(tmp_path / "A"))
    assert add(msgsvc, "prod", secret=OLD).code == 0
    user_a = user("prod")
    monkeypatch.setenv("MSGSVC_CONFIG_DIR", str(tmp_path / "B"))
    assert add(msgsvc, "prod", secret=NEW).code == 0
    user_b = user("prod")
    assert user_a != user_b and user_a.startswith(f"prod:{ACCOUNT_SID}:") and len(user_a.split(":")[2]) == 12
    assert ring.entries == {user_a: OLD, user_b: NEW}
    assert msgsvc("profiles", "remove", "prod", "--yes").code == 0
    assert ring.entries == {user_a: OLD}


def test_an_old_name_only_entry_is_moved_on_first_use(msgsvc, ring, isolated):
    from msgsvc.local import resolution

    assert add(msgsvc, "prod").code == 0
    ring.entries = {"prod": OLD}  # as msgsvc before the scoped names left it
    ring.calls.clear()
    resolved = resolution.resolve()
    assert resolved.get("auth_token") == OLD
    assert ring.entries == {user("prod"): OLD}
    assert ring.calls == [("get", user("prod")), ("get", "prod"), ("set", user("prod")), ("delete", "prod")]


def test_remove_deletes_an_old_name_only_entry(msgsvc, ring):
    assert add(msgsvc, "prod").code == 0
    ring.entries = {"prod": OLD}
    assert msgsvc("profiles", "remove", "prod", "--yes").code == 0
    assert ring.entries == {}
