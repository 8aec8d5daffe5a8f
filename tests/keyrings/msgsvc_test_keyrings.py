"""Keyring backends for the tests, chosen through keyring's own mechanism:
PYTHON_KEYRING_BACKEND=msgsvc_test_keyrings.FileKeyring (this folder is on PYTHONPATH).

FileKeyring keeps its entries in the JSON file $MSGSVC_TEST_KEYRING_FILE, so a test (and every
msgsvc subprocess it starts) sees the same keyring, and can change it behind msgsvc's back.
It has no lock of its own: concurrent writers that msgsvc did not serialise would lose entries.
The others fail as real keyrings do: locked, raising, hanging.
"""

from __future__ import annotations

import json
import os
import threading

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1

    @staticmethod
    def _path() -> str:
        return os.environ["MSGSVC_TEST_KEYRING_FILE"]

    def _load(self) -> dict:
        try:
            with open(self._path(), encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            return {}

    def _save(self, entries: dict) -> None:
        tmp = f"{self._path()}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(entries, handle)
        os.replace(tmp, self._path())

    def get_password(self, service, username):
        return self._load().get(service, {}).get(username)

    def set_password(self, service, username, password):
        entries = self._load()
        entries.setdefault(service, {})[username] = password
        self._save(entries)

    def delete_password(self, service, username):
        entries = self._load()
        if username not in entries.get(service, {}):
            raise PasswordDeleteError("no such entry")
        del entries[service][username]
        self._save(entries)


class LockedKeyring(KeyringBackend):
    """A keyring whose collection stays locked (the user dismissed the unlock prompt)."""

    priority = 1

    def get_password(self, *args):
        raise KeyringLocked("Failed to unlock the collection!")

    set_password = delete_password = get_password


class RaisingKeyring(KeyringBackend):
    """A keyring whose service fails (a D-Bus error, a refusal); the failure to store echoes
    what it was given, as a careless backend might."""

    priority = 1

    def get_password(self, *args):
        raise OSError("org.freedesktop.DBus.Error.NoReply: Did not receive a reply")

    def set_password(self, service, username, password):
        raise OSError(f"org.freedesktop.DBus.Error.NoReply: no reply to CreateItem({username}, {password})")

    delete_password = get_password


RELEASE = threading.Event()  # set by a test to let go of the calls left hanging in its process


class HangingKeyring(KeyringBackend):
    """A keyring that never answers (an unlock prompt nobody can see). Gives up after a minute,
    so an abandoned thread does not outlive the test run by much."""

    priority = 1

    def get_password(self, *args):
        RELEASE.wait(60)

    set_password = delete_password = get_password
