"""Adding, replacing and removing a profile, and moving secrets into the keyring: the config
file and the system keyring change together or not at all.

Each change runs under the config lock. The keyring's part is done first and remembered
(what its scoped entry held before); then the file is written. When the file cannot be
written (a full disk, a read-only directory) or a later keyring call fails, every keyring
entry touched is put back as it was, and the error says so ("nothing was changed"), or says
exactly which entry could not be put back. Deleting a secret the file no longer names (the
old entry of a profile replaced, or moved into the file) happens only after the file is
written; when that fails it is a warning naming the entry that stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from msgsvc.errors import KeyringError, MsgsvcError, MsgsvcWarning, UsageError
from msgsvc.local import config, resolution

Warn = Callable[[MsgsvcWarning], None]


@dataclass
class _Undo:
    """One keyring entry as it was before this change: put back by `undo()`."""

    profile: str
    account_sid: str | None
    before: str | None


def _rollback(undo: list[_Undo], error: MsgsvcError) -> None:
    """Put every touched entry back; when one cannot be, the error says which."""
    from msgsvc.local import keystore

    stuck = []
    for entry in reversed(undo):
        try:
            keystore.restore(entry.profile, entry.account_sid, entry.before)
        except KeyringError as failed:
            stuck.append(f"{entry.profile!r} ({failed.message})")
    if stuck:
        message = error.message.replace("; nothing was changed", "")
        error.message = (f"{message}; the config file is unchanged, but the system keyring entry of profile "
                         f"{', '.join(stuck)} could not be put back as it was")
        error.args = (error.message,)


def _commit(data: dict[str, Any], undo: list[_Undo], change: Callable[[], None]) -> None:
    """Run the keyring part (`change`, which appends to `undo`), then write the file; on any
    failure put the keyring back."""
    try:
        change()
        config.write_config(data)
    except MsgsvcError as error:
        _rollback(undo, error)
        raise
    except BaseException:
        _rollback(undo, MsgsvcError("interrupted"))
        raise


def _store(undo: list[_Undo], name: str, secret: str, account_sid: str | None) -> None:
    from msgsvc.local import keystore

    before = keystore.peek(name, account_sid, doing="storing")
    keystore.store(name, secret, account_sid)
    undo.append(_Undo(name, account_sid, before))


def _forget(name: str, account_sid: str | None, warn: Warn | None, why: str) -> bool:
    """Delete a keyring entry the file no longer names (True when one was deleted); a
    keyring that cannot is a warning."""
    from msgsvc.local import keystore

    try:
        return keystore.delete(name, account_sid)
    except KeyringError as error:
        if warn is not None:
            warn(MsgsvcWarning(f"the old secret of profile {name!r} ({why}) stays in the system keyring: {error.message}"))
        return False


@dataclass
class Added:
    active: bool
    in_keyring: bool
    old_entry_deleted: bool = False  # the replaced profile's keyring entry, which the file no longer names


def add(name: str, profile: dict[str, Any], *, in_keyring: bool, force: bool, warn: Warn | None = None) -> Added:
    """Save `profile` (holding its secret) as `name`: the secret into the keyring when
    `in_keyring`, else into the file. A profile replaced (`force`) loses its old keyring
    entry only once the file names the new one."""
    undo: list[_Undo] = []
    with config.config_lock():
        data = config.read_config(warn=warn)
        profiles = data.setdefault("profiles", {})
        if name in profiles and not force:
            raise UsageError(f"a profile named {name!r} exists already", hint="add --force to replace it")
        old = profiles.get(name, {})
        account_sid = profile.get("account_sid")
        profile = dict(profile)

        def change() -> None:
            if in_keyring:
                _store(undo, name, profile.pop(config.secret_key(profile)), account_sid)
                profile[config.STORAGE_KEY] = config.KEYRING
            profiles[name] = profile
            if not data.get("active") or data.get("active") not in profiles:
                data["active"] = name

        _commit(data, undo, change)
        deleted = False
        if config.storage(old) == config.KEYRING and not (in_keyring and old.get("account_sid") == account_sid):
            deleted = _forget(name, old.get("account_sid"), warn, "replaced")
        return Added(active=data["active"] == name, in_keyring=in_keyring, old_entry_deleted=deleted)


@dataclass
class Removed:
    was_active: bool
    keyring_entry_deleted: bool  # its secret was in the keyring, and is deleted from it


def remove(name: str, warn: Warn | None = None) -> Removed:
    """Delete profile `name` and its secret. When the
    keyring cannot delete the secret, nothing is removed; when the file cannot be written,
    the secret is put back."""
    from msgsvc.local import keystore

    undo: list[_Undo] = []
    with config.config_lock():
        data = config.read_config(warn=warn)
        profiles = data.get("profiles", {})
        if name not in profiles:
            raise resolution.unknown_profile(name, profiles)
        stored = profiles[name]
        account_sid = stored.get("account_sid")

        def change() -> None:
            if config.storage(stored) == config.KEYRING:
                before = keystore.peek(name, account_sid, doing="deleting")
                if before is None:  # not moved yet from the older name-only entry
                    try:
                        before = keystore.fetch(name, account_sid)
                    except KeyringError as error:
                        if error.reason != "missing":
                            raise
                if keystore.delete(name, account_sid):
                    undo.append(_Undo(name, account_sid, before))
            del profiles[name]
            if data.get("active") == name:
                data.pop("active", None)

        was_active = data.get("active") == name
        _commit(data, undo, change)
        return Removed(was_active=was_active, keyring_entry_deleted=bool(undo))


def migrate(names: list[str] | None, warn: Warn | None = None) -> list[str]:
    """Move the secrets of `names` (default: every profile keeping it in the file) into the
    keyring; the names moved. All of them move, or (the file unwritable, a keyring refusing
    one) none."""
    undo: list[_Undo] = []
    moved: list[str] = []
    with config.config_lock():
        data = config.read_config(warn=warn)
        profiles = data.get("profiles", {})
        for name in names or []:
            if name not in profiles:
                raise resolution.unknown_profile(name, profiles)

        def change() -> None:
            for name in names or sorted(profiles):
                stored = profiles[name]
                if config.storage(stored) != "file":
                    continue
                secret = stored.pop(config.secret_key(stored))
                stored[config.STORAGE_KEY] = config.KEYRING
                _store(undo, name, secret, stored.get("account_sid"))
                moved.append(name)

        if any(config.storage(profiles[n]) == "file" for n in (names or profiles)):
            _commit(data, undo, change)
        return moved
