"""Profile secrets in the system keyring (macOS Keychain, Windows Credential Locker, the Secret
Service on Linux desktops), through the `keyring` package.

One entry per profile: service "msgsvc", user name `NAME:ACCOUNT_SID:SCOPE` (`user()`), where
SCOPE is the first 12 hex digits of the SHA-256 of the config directory's real path: two config
directories (MSGSVC_CONFIG_DIR=A and =B) or two accounts never share an entry. An entry of
the older scheme (the profile's name alone) is found when the scoped one is missing and moved
under the scoped name on first use. `keyring` is imported
only here, and only when a secret is stored, read or deleted: never for --help, --version,
tab completion or `profiles list`. Every keyring call runs on a daemon thread and is given
`timeout()` seconds (`$MSGSVC_KEYRING_TIMEOUT`, default 10): a keyring that hangs (an unlock
prompt nobody sees, a D-Bus service that never answers) is an error after that, never a hang.
A keyring that is locked, refuses, or lacks the entry is one `KeyringError` naming the profile.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable

from msgsvc.errors import KeyringError

SERVICE = "msgsvc"
DEFAULT_TIMEOUT = 10.0
log = logging.getLogger("msgsvc.keyring")
_stuck: threading.Thread | None = None  # a keyring call that never came back
STORE_FIX = "keep the secret in the config file instead with --insecure-storage"


def timeout() -> float:
    """Seconds one keyring call may take: `$MSGSVC_KEYRING_TIMEOUT`, else 10."""
    text = os.environ.get("MSGSVC_KEYRING_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    from msgsvc.api.validate import finite

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not finite(value) or not 0 < value <= 3600:
        from msgsvc.errors import ConfigError

        raise ConfigError(f"MSGSVC_KEYRING_TIMEOUT must be a number of seconds from 0 to 3600: {text!r}")
    return value


def _readd_hint(profile: str) -> str:
    import shlex

    return (
        f"store it again: msgsvc profiles add {shlex.quote(profile)} --force --account-sid AC... "
        "(with --insecure-storage it goes into the config file instead)"
    )


def _bounded(call: Callable[[], Any], *, doing: str, profile: str | None, fix: str | None = None) -> Any:
    """`call()` on a daemon thread, given timeout() seconds; its exception is raised here as a
    KeyringError. A thread that does not come back is left behind (it dies with the process),
    and the keyring is not asked again in this process while it is still waiting: checking
    twenty profiles against a hung keyring takes one bound, not twenty."""
    global _stuck
    limit = timeout()
    if fix is None:
        fix = _readd_hint(profile) if profile else STORE_FIX
    whose = f" of profile {profile!r}" if profile else ""
    if _stuck is not None and _stuck.is_alive():
        raise KeyringError(
            f"the system keyring has not answered an earlier request: not asking it again for the secret{whose}",
            reason="timeout",
            hint="unlock the keyring (or answer its prompt) and try again, or " + fix,
        )
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - reported on the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="msgsvc-keyring", daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(limit)
    log.debug(
        "keyring: %s the secret%s: %s after %.0f ms", doing, whose,
        "no answer" if thread.is_alive() else "failed" if "error" in box else "done", (time.monotonic() - started) * 1000,
    )
    if thread.is_alive():
        _stuck = thread
        raise KeyringError(
            f"the system keyring did not answer within {limit:g} s while {doing} the secret{whose}",
            reason="timeout",
            hint="unlock the keyring (or answer its prompt) and try again, or " + fix,
        )
    error = box.get("error")
    if error is not None:
        raise _translate(error, doing=doing, whose=whose, fix=fix) from None
    return box.get("value")


def _translate(error: BaseException, *, doing: str, whose: str, fix: str) -> KeyringError:
    from keyring import errors

    if isinstance(error, errors.KeyringLocked):
        return KeyringError(
            f"the system keyring is locked: cannot finish {doing} the secret{whose}",
            reason="locked",
            hint="unlock it (log in to the desktop session, or answer its prompt) and try again, or " + fix,
        )
    if isinstance(error, errors.NoKeyringError):
        return KeyringError(
            f"there is no usable system keyring here: cannot finish {doing} the secret{whose}",
            reason="unavailable",
            hint=fix,
        )
    detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return KeyringError(
        f"the system keyring refused {doing} the secret{whose}: {type(error).__name__}"
        + (f": {detail}" if detail else ""),
        reason="failed",
        hint=fix,
    )


def _keyring() -> Any:
    import keyring

    return keyring.get_keyring()


def backend(profile: str | None = None, fix: str | None = None) -> tuple[Any | None, str]:
    """(the usable keyring backend, its name), or (None, why there is none).

    Usable means keyring's own choice has a positive priority: not the `fail` backend it
    picks when nothing works (headless servers, containers, CI), nor the `null` one that
    turns keyrings off. A backend that hangs while being chosen is a KeyringError."""

    def choose() -> tuple[Any | None, str]:
        try:
            chosen = _keyring()
            priority = chosen.priority
        except Exception as exc:  # a backend named in PYTHON_KEYRING_BACKEND that cannot run
            return None, f"{type(exc).__name__}: {exc}"
        name = f"{type(chosen).__module__}.{type(chosen).__name__}"
        if priority <= 0:
            return None, f"keyring chose {name}"
        return chosen, name

    return _bounded(choose, doing="choosing a keyring for", profile=profile, fix=fix)


def user(profile: str, account_sid: str | None) -> str:
    """The keyring user name of a profile's secret: its name, its account and its config
    directory (hashed), so that no two config directories or accounts share an entry."""
    import hashlib

    from msgsvc.local.paths import config_dir

    directory = os.path.realpath(os.path.abspath(config_dir()))
    scope = hashlib.sha256(directory.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{profile}:{account_sid or ''}:{scope}"


def _usable(profile: str, fix: str | None = None) -> Any:
    chosen, why = backend(profile, fix)
    if chosen is None:
        raise KeyringError(
            f"there is no usable system keyring here ({why}): cannot store the secret of profile {profile!r}",
            reason="unavailable",
            hint=STORE_FIX,
        )
    return chosen


def store(profile: str, secret: str, account_sid: str | None) -> None:
    """Put the profile's secret into the keyring (replacing an older one)."""
    chosen = _usable(profile, STORE_FIX)
    name = user(profile, account_sid)
    try:
        _bounded(lambda: chosen.set_password(SERVICE, name, secret), doing="storing", profile=profile, fix=STORE_FIX)
    except KeyringError as error:  # a backend's message may echo what it was given
        error.message = error.message.replace(secret, "***")
        error.args = (error.message,)
        raise


def peek(profile: str, account_sid: str | None, *, doing: str) -> str | None:
    """The secret under the profile's scoped entry, or None: what a transaction restores when
    the config file cannot be written. `doing` ("storing", "deleting") is what it is read
    for, as its errors say."""
    fix = STORE_FIX if doing == "storing" else _delete_fix(profile)
    chosen = _usable(profile, fix)
    name = user(profile, account_sid)
    return _bounded(lambda: chosen.get_password(SERVICE, name), doing=doing, profile=profile, fix=fix)


def _delete_fix(profile: str) -> str:
    return f"to remove the profile anyway, delete its table [profiles.{profile}] from the config file by hand (the secret then stays in the keyring)"


def restore(profile: str, account_sid: str | None, secret: str | None) -> None:
    """Put the scoped entry back as it was: `secret`, or no entry when it is None."""
    if secret is None:
        delete(profile, account_sid, legacy=False)
    else:
        store(profile, secret, account_sid)


def fetch(profile: str, account_sid: str | None) -> str:
    """The profile's secret; a KeyringError when it cannot be had, or is not there. An entry
    under the older name-only scheme is moved under the scoped name here."""
    chosen, why = backend(profile)
    if chosen is None:
        raise KeyringError(
            f"profile {profile!r} keeps its secret in the system keyring, and there is no usable keyring here ({why})",
            reason="unavailable",
            hint=_readd_hint(profile),
        )
    name = user(profile, account_sid)

    def read() -> str | None:
        secret = chosen.get_password(SERVICE, name)
        if secret:
            return secret
        secret = chosen.get_password(SERVICE, profile)  # the older scheme: the name alone
        if secret:
            from keyring.errors import PasswordDeleteError

            chosen.set_password(SERVICE, name, secret)
            try:
                chosen.delete_password(SERVICE, profile)
            except PasswordDeleteError:
                pass
            log.debug("keyring: moved the secret of profile %r to its scoped entry", profile)
        return secret

    secret = _bounded(read, doing="reading", profile=profile)
    if not secret:
        raise KeyringError(
            f"the system keyring has no secret for profile {profile!r} (was it deleted outside msgsvc?)",
            reason="missing",
            hint=_readd_hint(profile),
        )
    return secret


def delete(profile: str, account_sid: str | None, *, legacy: bool = True) -> bool:
    """Delete the profile's entry (the scoped one; with `legacy`, the name-only entry of the
    older scheme when there is no scoped one). False when there was none, or no keyring."""
    fix = _delete_fix(profile)
    chosen, _ = backend(profile, fix)
    if chosen is None:
        return False
    names = [user(profile, account_sid)] + ([profile] if legacy else [])

    def remove() -> bool:
        from keyring.errors import PasswordDeleteError

        for name in names:
            if chosen.get_password(SERVICE, name) is None:
                continue
            try:
                chosen.delete_password(SERVICE, name)
            except PasswordDeleteError:  # gone between the two calls
                return False
            return True
        return False

    return bool(_bounded(remove, doing="deleting", profile=profile, fix=fix))
