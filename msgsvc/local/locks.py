"""The lock that keeps two `msgsvc apply` runs of one account on this machine from
interleaving: each would read the account, see a service missing and create it, and the
account would then have two services of that name.

One lock file per account and API (`apply-<key>.lock` in `$MSGSVC_STATE_DIR/locks`, the key
a hash of the account SID and the API: Twilio's whatever its region, else the base URL), held
with filelock's OS lock (flock on POSIX, msvcrt.locking on Windows) from apply's first read
of the account to its last write. The OS releases it when its holder dies (kill -9, a crash),
so a lock is never stale. Beside it, `apply-<key>.holder` says which process holds it (its
pid, and when it took the lock), for the message of the apply that finds it taken; it is
removed before the lock is released, and one that a killed holder left is replaced by the
next holder.

Library code: no printing; what must be said goes through the `waiting` callback.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from msgsvc.errors import ApplyLocked, MsgsvcError

LOCKS_NAME = "locks"


def lock_dir_text() -> str:
    from msgsvc.local.paths import state_dir_text

    return os.path.join(state_dir_text(), LOCKS_NAME)


def _key(account: str, api: str) -> str:
    return hashlib.sha256(f"{account}\n{api}".encode("utf-8")).hexdigest()[:16]


def holder(path: str) -> dict | None:
    """Who holds the lock whose holder file is `path`: its record (pid, started), or None
    when none is said (not written yet, removed, unreadable) or its process is gone."""
    from msgsvc.local.journal import running

    try:
        with open(path, "rb") as handle:
            fields = json.loads(handle.read(4096).decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(fields, dict) or not isinstance(fields.get("pid"), int) or not running(fields["pid"]):
        return None
    return fields


@contextmanager
def apply_lock(account: str, api: str, *, wait: float = 0.0,
               waiting: Callable[[dict | None], None] = lambda holder: None) -> Iterator[str]:
    """Hold the apply lock of `account` at `api` (yielding the lock file's path). Taken by
    another process: ApplyLocked at once (`wait` 0), else after `waiting(holder)` is called
    once and up to `wait` seconds pass without it being released. A lock that cannot be
    made (a read-only or full disk) is a MsgsvcError: nothing was sent."""
    from filelock import FileLock, Timeout  # only apply pays for it

    from msgsvc.atomic import mode_bits_protect

    directory = lock_dir_text()
    name = f"apply-{_key(account, api)}"
    path = os.path.join(directory, name + ".lock")
    holder_path = os.path.join(directory, name + ".holder")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise _unmade(directory, exc) from None
    private = {"mode": 0o600} if mode_bits_protect() else {}
    lock = FileLock(path, thread_local=False, **private)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            other = holder(holder_path)
            if wait <= 0:
                raise _locked(account, api, other, waited=0.0) from None
            waiting(other)
            try:
                lock.acquire(timeout=wait)
            except Timeout:
                raise _locked(account, api, holder(holder_path) or other, waited=wait) from None
    except OSError as exc:
        raise _unmade(path, exc) from None
    try:
        _write_holder(holder_path)
        yield path
    finally:
        try:
            os.unlink(holder_path)
        except OSError:  # never written, or cannot be: the next holder replaces it
            pass
        lock.release()


def _write_holder(path: str) -> None:
    """Say who holds the lock (only for the message of an apply that finds it taken: a
    holder file that cannot be written takes nothing from the lock)."""
    from pathlib import Path

    from msgsvc.atomic import write_file

    text = json.dumps({"pid": os.getpid(), "started": time.time()}) + "\n"
    try:
        write_file(Path(path), text, private=True, fsync=False)
    except OSError:
        pass


def _locked(account: str, api: str, other: dict | None, *, waited: float) -> ApplyLocked:
    who = f"another msgsvc apply (pid {other['pid']})" if other else "another msgsvc apply"
    at = "" if api == "twilio" else f" at {api}"
    if waited:
        from msgsvc.api.a2p import format_duration

        return ApplyLocked(f"{who} was still applying changes to account {account}{at} after "
                           f"{format_duration(waited)} (--lock-timeout); nothing was sent",
                           hint="run apply again once it has finished: it plans against what the account has become")
    return ApplyLocked(f"{who} is applying changes to account {account}{at} on this machine; nothing was sent",
                       hint="run apply again once it has finished, or wait for it with --lock-timeout, e.g. "
                            "--lock-timeout 10m")


def _unmade(path: str, exc: OSError) -> MsgsvcError:
    return MsgsvcError(f"cannot take the apply lock {path}: {exc.strerror or exc}; nothing was sent",
                       hint="free some disk space, or point MSGSVC_STATE_DIR to a writable directory")
