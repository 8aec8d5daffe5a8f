"""Do a profile's credentials work? One cheap authenticated request: the first page of one
service (`GET /v1/Services?PageSize=1` on the Messaging API), which also shows that an API
key may use the Messaging API (a restricted key gets 403)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from msgsvc.errors import ApiError, ConfigError, CredentialsError, KeyringError, MsgsvcError, NetworkError

# Every status `check` and `check_profile` give, the passing one first.
OK = "ok"
BAD_CREDENTIALS = "bad credentials"
UNREACHABLE = "unreachable"
SECRET_MISSING = "secret missing from keyring"
KEYRING_UNAVAILABLE = "keyring unavailable"
NO_CREDENTIALS = "no credentials"
FAILED = "error"
CREDENTIAL_FAILURES = frozenset({BAD_CREDENTIALS, SECRET_MISSING, KEYRING_UNAVAILABLE, NO_CREDENTIALS})


@dataclass(frozen=True)
class Check:
    status: str
    detail: str  # one line for a person: what answered, or why not

    @property
    def ok(self) -> bool:
        return self.status == OK


def who(settings: Any) -> str:
    return f"API key {settings.username}" if settings.username.startswith("SK") else f"account {settings.username}"


def check(settings: Any) -> Check:
    """Send the one request with these ClientSettings and say what came of it."""
    from msgsvc.api.client import Client

    client = Client(settings)
    try:
        client.request("GET", "/v1/Services", params={"PageSize": 1})
    except ApiError as error:
        if error.status in (401, 403):
            refused = f"{error}"
            if error.status == 403 and settings.username.startswith("SK"):
                refused = f"the API key cannot use the Messaging API ({error})"
            return Check(BAD_CREDENTIALS, refused)
        return Check(FAILED, str(error))
    except NetworkError as error:
        return Check(UNREACHABLE, error.message)
    except MsgsvcError as error:
        return Check(FAILED, error.message)
    finally:
        client.close()
    return Check(OK, f"{who(settings)} can use the Messaging API at {client.base()}")


@dataclass(frozen=True)
class ProfileCheck:
    profile: str | None  # None: credentials from the environment
    storage: str | None  # where the secret lives: "keyring", "file", "environment"
    check: Check
    # (username, secret) that were sent: a server may echo them in `check.detail`, so whoever
    # shows the detail masks them (Terminal.add_credentials). Never shown itself.
    credentials: tuple[str, str] | None = field(default=None, repr=False, compare=False)


def check_profile(name: str | None, *, flags: Mapping[str, Any] | None = None, data: dict | None = None) -> ProfileCheck:
    """Check profile `name` (None: the credentials a command would use now). A secret the
    keyring cannot give, or no credentials at all, is a failed Check, not an exception."""
    from msgsvc.local import resolution
    from msgsvc.local.resolution import client_settings

    try:
        resolved = resolution.resolve(profile_flag=name, flags=flags, data=data, secrets=False, require_credentials=False)
    except CredentialsError as error:
        return ProfileCheck(name, None, Check(NO_CREDENTIALS, error.message))
    name = resolved.profile.value if resolved.profile else None
    storage = resolved.storage
    try:
        settings = client_settings(resolution.resolve(profile_flag=name, flags=flags, data=data))
    except KeyringError as error:
        return ProfileCheck(name, storage, Check(SECRET_MISSING if error.reason == "missing" else KEYRING_UNAVAILABLE, error.message))
    except CredentialsError as error:
        return ProfileCheck(name, storage, Check(NO_CREDENTIALS, error.message))
    except ConfigError as error:
        return ProfileCheck(name, storage, Check(FAILED, error.message))
    return ProfileCheck(name, storage, check(settings), (settings.username, settings.password))
