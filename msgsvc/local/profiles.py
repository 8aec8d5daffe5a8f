"""Adding, replacing and removing a profile, and moving secrets into the keyring: the config
file and the system keyring change together or not at all.

Each change runs under the config lock. The keyring's part is done first and remembered
(what its scoped entry held before); then the file is written. When the file cannot be
written (a full disk, a read-only directory) or a later keyring call fails, every keyring
entry touched is put back as it was, and the error says so ("nothing was changed"), or says
exactly which entry could not be put back. Deleting a secret the file no longer names (the
old entry of a profile replaced, or moved into the file) happens only after the file is
written; when that fails it is a warning naming the entry that stays.

A process killed part-way (kill -9, a power cut) runs no undo. So every keyring entry a
change may leave that the file does not name (the one it stores, the old one it deletes
after) is first written down in `keyring-pending.json` beside the config file (profile names
and Account SIDs, never a secret; 0600, flushed to disk), and crossed off once the change is
over. The next `profiles add`, `remove` or `migrate` reads it under the config lock
(`tidy`): an entry the file names is the profile's and stays; one it does not name is an
orphan and is deleted, with a warning. `pending_orphans()` (doctor) only reports them, with
no keyring call. A kill at any point leaves the old profile or the new one, usable, and at
most an orphan recorded there.
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


def _rollback(undo: list[_Undo], error: MsgsvcError) -> bool:
    """Put every touched entry back; when one cannot be, the error says which (False)."""
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
    failure put the keyring back. Either way the entries stored are crossed off the record
    of pending ones (an entry that could not be put back stays on it, for tidy)."""
    try:
        change()
        config.write_config(data)
    except MsgsvcError as error:
        _settled(undo, _rollback(undo, error))
        raise
    except BaseException:
        _settled(undo, _rollback(undo, MsgsvcError("interrupted")))
        raise
    _cross_off([(u.profile, u.account_sid) for u in undo])


def _settled(undo: list[_Undo], restored: bool) -> None:
    """After a rollback: the entries put back are crossed off; when one could not be, all
    stay on the record (the file does not name what it holds now: tidy deletes it later)."""
    if restored:
        try:
            _cross_off([(u.profile, u.account_sid) for u in undo])
        except MsgsvcError:
            pass


def _store(undo: list[_Undo], name: str, secret: str, account_sid: str | None) -> None:
    from msgsvc.local import keystore

    before = keystore.peek(name, account_sid, doing="storing")
    _note_pending([(name, account_sid)])  # before the keyring has it: a kill now leaves a record
    undo.append(_Undo(name, account_sid, before))
    keystore.store(name, secret, account_sid)


# --- entries a killed change may leave (keyring-pending.json) ----------------------------------

PENDING_NAME = "keyring-pending.json"
Entry = tuple  # (profile name, Account SID or None): one keyring entry, as keystore.user() scopes it


def _pending_path():
    return config.config_path().parent / PENDING_NAME


def _read_pending() -> list[Entry]:
    """The entries written down; a record that cannot be read (cut short, edited) is none."""
    import json

    try:
        fields = json.loads(_pending_path().read_text(encoding="utf-8"))
        return [(str(e["profile"]), e.get("account_sid")) for e in fields["entries"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []


def _write_pending(entries: list[Entry]) -> None:
    """The record as `entries` (removed when empty). Called with the config lock held."""
    import json

    from msgsvc.atomic import write_private

    path = _pending_path()
    entries = list(dict.fromkeys(entries))
    if not entries:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError:  # left: the next tidy finds the entries named, or deletes them
            pass
        return
    config.ensure_private_dir(path.parent)
    text = json.dumps({"version": 1, "entries": [{"profile": p, "account_sid": a} for p, a in entries]}, indent=1)
    try:
        write_private(path, text + "\n")
    except OSError as exc:  # nothing stored yet: the change does not start
        raise config._unwritable(path, exc) from None


def _note_pending(entries: list[Entry]) -> None:
    _write_pending(_read_pending() + list(entries))


def _cross_off(entries: list[Entry]) -> None:
    done = set(entries)
    if done:
        left = [e for e in _read_pending() if e not in done]
        _write_pending(left)


def _named(data: dict[str, Any], entry: Entry) -> bool:
    """Whether the config names this keyring entry: its profile keeps the secret there."""
    profile = (data.get("profiles") or {}).get(entry[0])
    return (isinstance(profile, dict) and config.storage(profile) == config.KEYRING
            and profile.get("account_sid") == entry[1])


def pending_orphans(data: dict[str, Any]) -> list[Entry]:
    """The recorded entries the config does not name: what a killed change may have left in
    the keyring. Read-only, no keyring call (doctor says it; add, remove and migrate tidy)."""
    return [e for e in _read_pending() if not _named(data, e)]


def _describe(entry: Entry) -> str:
    return f"profile {entry[0]!r}" + (f" ({entry[1]})" if entry[1] else "")


def tidy(data: dict[str, Any], warn: Warn | None = None) -> list[Entry]:
    """Settle the record a killed change left, with the config lock held and `data` just
    read: an entry the file names stays; one it does not is deleted from the keyring (a
    warning says so). A keyring that cannot be asked keeps the record for next time, with a
    warning; this never fails the command. The entries deleted."""
    from msgsvc.local import keystore

    recorded = _read_pending()
    if not recorded:
        return []
    deleted, kept = [], []
    for entry in recorded:
        if _named(data, entry):
            continue
        try:
            found = keystore.delete(entry[0], entry[1], legacy=False)
        except KeyringError as error:
            kept.append(entry)
            if warn is not None:
                warn(MsgsvcWarning(f"the system keyring may hold a secret of {_describe(entry)} that no profile uses "
                                   f"(left by an interrupted msgsvc), and it could not be deleted now: {error.message}"))
            continue
        if not found:  # killed before the keyring stored it: nothing left
            continue
        deleted.append(entry)
        if warn is not None:
            warn(MsgsvcWarning(f"deleted a secret of {_describe(entry)} from the system keyring that no profile used: "
                               "an interrupted msgsvc had left it there"))
    _write_pending(kept)
    return deleted


def _forget(name: str, account_sid: str | None, warn: Warn | None, why: str) -> bool:
    """Delete a keyring entry the file no longer names (True when one was deleted); a
    keyring that cannot is a warning."""
    from msgsvc.local import keystore

    try:
        deleted = keystore.delete(name, account_sid)
    except KeyringError as error:  # it stays on the record of pending entries: tidy tries again
        if warn is not None:
            warn(MsgsvcWarning(f"the old secret of profile {name!r} ({why}) stays in the system keyring: {error.message}"))
        return False
    _cross_off([(name, account_sid)])
    return deleted


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
        tidy(data, warn)
        profiles = data.setdefault("profiles", {})
        if name in profiles and not force:
            raise UsageError(f"a profile named {name!r} exists already", hint="add --force to replace it")
        old = profiles.get(name, {})
        account_sid = profile.get("account_sid")
        profile = dict(profile)
        # The old entry, deleted once the file no longer names it: written down first, so
        # that a kill after the file is written leaves it recorded, not lost track of.
        forget = (config.storage(old) == config.KEYRING and not (in_keyring and old.get("account_sid") == account_sid))
        if forget:
            _note_pending([(name, old.get("account_sid"))])

        def change() -> None:
            if in_keyring:
                _store(undo, name, profile.pop(config.secret_key(profile)), account_sid)
                profile[config.STORAGE_KEY] = config.KEYRING
            profiles[name] = profile
            if not data.get("active") or data.get("active") not in profiles:
                data["active"] = name

        old_entry = (name, old.get("account_sid"))
        try:
            _commit(data, undo, change)
        except BaseException:
            if forget:  # the file still names the old entry: it is the old profile's
                _settled([_Undo(*old_entry, None)], True)
            raise
        deleted = False
        if forget:
            deleted = _forget(*old_entry, warn, "replaced")
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
        tidy(data, warn)
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
        tidy(data, warn)
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
