"""Which settings a command uses, and where each came from: a flag, then the environment, then
the profile in the config file (msgsvc/local/config.py), then the default; the credentials by
the same order (`--profile`, `$MSGSVC_PROFILE`, Twilio's variables, the active profile); the
environment variables msgsvc reads; and the ClientSettings a command's client is given.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # a Tab press may resolve its scope: neither typing nor dataclasses at run time
if TYPE_CHECKING:
    from typing import Any, Callable, Mapping

    Warn = Callable[[MsgsvcWarning], None]  # where a warning for the person goes (output.warning on the run's terminal)

from msgsvc.api.settings import DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_READ_TIMEOUT, MAX_RETRIES_RANGE, TIMEOUT_RANGE
from msgsvc.errors import ConfigError, CredentialsError, MsgsvcWarning
from msgsvc.local import config
from msgsvc.local.config import KEYRING, PROFILE_KEYS, SECRET_KEYS, _shell_quote, secret_key, storage


class Setting:
    """One setting's value and where it came from: "flag --base-url", "env TWILIO_REGION",
    "file profile 'prod'", "default". (Plain classes here, not dataclasses: importing
    dataclasses costs more than a Tab press may.)"""

    __slots__ = ("value", "source")

    def __init__(self, value: Any, source: str) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "source", source)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")  # frozen, as it always was

    def __eq__(self, other: object) -> bool:
        return type(other) is Setting and (self.value, self.source) == (other.value, other.source)

    def __hash__(self) -> int:
        return hash((self.value, self.source))

    def __repr__(self) -> str:
        return f"Setting(value={self.value!r}, source={self.source!r})"


class Resolved:
    """The effective settings of one invocation; `settings` maps a PROFILE_KEYS name to a Setting;
    `storage` is where the secret came from: "keyring", "file", "environment"."""

    def __init__(self, profile: Setting | None = None, settings: dict[str, Setting] | None = None,
                 storage: str | None = None, overridden: str | None = None) -> None:
        self.profile = profile
        self.settings = {} if settings is None else settings
        self.storage = storage  # where the secret came from: "keyring", "file", "environment"
        self.overridden = overridden  # the active profile that Twilio's environment variables won over

    def __eq__(self, other: object) -> bool:
        return type(other) is Resolved and (self.profile, self.settings, self.storage, self.overridden) == (
            other.profile, other.settings, other.storage, other.overridden)

    def __repr__(self) -> str:
        return (f"Resolved(profile={self.profile!r}, settings={self.settings!r}, storage={self.storage!r}, "
                f"overridden={self.overridden!r})")

    def get(self, key: str, default: Any = None) -> Any:
        setting = self.settings.get(key)
        return default if setting is None else setting.value

    @property
    def has_credentials(self) -> bool:
        return bool(self.get("account_sid")) and (
            bool(self.get("auth_token")) or (bool(self.get("api_key")) and bool(self.get("api_secret")))
        )


# Environment variables, by setting: Twilio's own names where Twilio has one. ENVIRONMENT
# below documents these and the others msgsvc reads (man pages, README).
ENV_CREDENTIALS = {
    "account_sid": "TWILIO_ACCOUNT_SID",
    "auth_token": "TWILIO_AUTH_TOKEN",
    "api_key": "TWILIO_API_KEY",
    "api_secret": "TWILIO_API_SECRET",
}
ENV_SETTINGS = {
    "region": "TWILIO_REGION",
    "edge": "TWILIO_EDGE",
    "base_url": "MSGSVC_BASE_URL",
    "timeout": "MSGSVC_TIMEOUT",
    "max_retries": "MSGSVC_MAX_RETRIES",
    "ca_bundle": "MSGSVC_CA_BUNDLE",
}


ENVIRONMENT = (
    ("TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN", "Credentials, under Twilio's own names."),
    ("TWILIO_API_KEY, TWILIO_API_SECRET", "API key credentials, with TWILIO_ACCOUNT_SID."),
    ("TWILIO_REGION, TWILIO_EDGE", "Send requests to messaging.{edge}.{region}.twilio.com."),
    ("MSGSVC_PROFILE", "The profile to use, unless --profile is given."),
    ("MSGSVC_BASE_URL", "Send every request to this base URL (a local server, the emulator)."),
    ("MSGSVC_TIMEOUT, MSGSVC_MAX_RETRIES", "As --timeout and --max-retries."),
    ("MSGSVC_CA_BUNDLE", "A PEM file (or folder) of the certificate authorities TLS trusts (also REQUESTS_CA_BUNDLE)."),
    ("MSGSVC_CONFIG_DIR", "Where config.toml lives, instead of the platform's config directory."),
    ("MSGSVC_CACHE_DIR", "Where the completion cache lives, instead of the platform's cache directory."),
    ("MSGSVC_STATE_DIR", "Where the journal of moves in flight lives, instead of the platform's state directory."),
    ("MSGSVC_DEBUG", "Set to 1 for the same as --debug."),
    ("MSGSVC_KEYRING_TIMEOUT", "Seconds a system keyring call may take before it is an error (default 10)."),
    ("PYTHON_KEYRING_BACKEND", "The keyring backend to use instead of the system's (as the keyring package reads it)."),
    ("MSGSVC_EMULATOR_RECORD", "msgsvc emulator appends every answer it sends to this file, one JSON line each."),
    ("HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE", "Honoured, as by requests."),
    ("NO_COLOR", "No colour in tables."),
    ("COLUMNS", "The terminal's width, for the help and tables, when it is not measured."),
)


def documented_variables() -> set[str]:
    """Every variable name ENVIRONMENT documents."""
    return {name.strip() for names, _ in ENVIRONMENT for name in names.split(",")}


def resolve(
    *,
    profile_flag: str | None = None,
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    data: dict[str, Any] | None = None,
    require_credentials: bool = True,
    warn: Warn | None = None,
    secrets: bool = True,
) -> Resolved:
    """Decide the profile and every setting: flag, then environment, then the profile file.

    Credentials: `--profile`, then `$MSGSVC_PROFILE`, then Twilio's environment variables,
    then the active profile. A secret kept in the system keyring is read from it (a
    KeyringError when it cannot be) unless `secrets=False` (tab completion, which must never
    wait for a keyring).
    """
    env = os.environ if env is None else env
    # A token pasted with its newline (`read`, a file): white space around a credential is
    # never part of it; white space inside is refused below, naming the variable.
    env = {**env, **{var: env[var].strip() for var in ENV_CREDENTIALS.values() if var in env}}
    flags = flags or {}
    if data is None:
        data = config.read_config(warn=warn)
    profiles: dict[str, dict[str, Any]] = data.get("profiles", {})
    resolved = Resolved()

    half_set = [var for var in ENV_CREDENTIALS.values() if env.get(var)] if not _env_has_credentials(env) else []
    if profile_flag:
        resolved.profile = Setting(profile_flag, "flag --profile")
    elif env.get("MSGSVC_PROFILE"):
        resolved.profile = Setting(env["MSGSVC_PROFILE"], "env MSGSVC_PROFILE")
    elif _env_has_credentials(env):
        resolved.profile = None
        resolved.overridden = data.get("active") or None
    elif data.get("active"):
        resolved.profile = Setting(data["active"], "file (active profile)")

    if half_set and warn is not None and not profile_flag and not env.get("MSGSVC_PROFILE"):
        used = (f"using profile {resolved.profile.value!r} instead" if resolved.profile
                else "and no profile is active")
        warn(MsgsvcWarning(
            f"{' and '.join(half_set)} {'is' if len(half_set) == 1 else 'are'} set without the rest of a "
            f"credential (TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or with TWILIO_API_KEY and "
            f"TWILIO_API_SECRET): Twilio's variables were ignored, {used}",
            hint="set the missing variable, or unset these",
        ))
    stored: dict[str, Any] = {}
    if resolved.profile is not None:
        name = resolved.profile.value
        if name not in profiles:
            raise unknown_profile(name, profiles, resolved.profile.source)
        stored = profiles[name]
        source = f"file profile '{name}'"
        for key in PROFILE_KEYS:
            if stored.get(key) not in (None, ""):
                resolved.settings[key] = Setting(stored[key], source)
        resolved.storage = storage(stored)
        if resolved.storage == KEYRING:
            resolved.settings.pop(secret_key(stored), None)  # never a secret the file still holds
            if secrets:
                from msgsvc.local import keystore

                resolved.settings[secret_key(stored)] = Setting(keystore.fetch(name, stored.get("account_sid")), f"keyring (profile '{name}')")
    else:
        for key, var in ENV_CREDENTIALS.items():
            if env.get(var):
                if any(c.isspace() for c in env[var]):
                    raise CredentialsError(f"{var} has white space inside its value, which no Twilio credential has",
                                           hint=f"set {var} again, to the value alone (copy it from the Twilio Console)")
                resolved.settings[key] = Setting(env[var], f"env {var}")
        if _env_has_credentials(env):
            resolved.storage = "environment"

    for key, var in ENV_SETTINGS.items():
        if env.get(var):
            resolved.settings[key] = Setting(env[var], f"env {var}")
    for key, value in flags.items():
        if value is not None:
            resolved.settings[key] = Setting(value, f"flag --{key.replace('_', '-')}")

    if require_credentials and not resolved.has_credentials:
        if resolved.profile is not None:
            raise CredentialsError(
                f"profile {resolved.profile.value!r} has no complete credentials",
                hint=f"add them again: msgsvc profiles add {_shell_quote(resolved.profile.value)} --force --account-sid AC...",
            )
        if profiles:
            raise CredentialsError(
                "no credentials: no profile is active and TWILIO_ACCOUNT_SID with "
                "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET) are not set",
                hint=f"choose one with: msgsvc profiles use NAME (profiles: {', '.join(sorted(profiles))})",
            )
        raise CredentialsError(
            "no credentials: no profile is set up and TWILIO_ACCOUNT_SID with "
            "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET) are not set",
            hint="run: msgsvc profiles add NAME --account-sid AC...",
        )
    return resolved


def override_warning(resolved: Resolved) -> MsgsvcWarning | None:
    """The one warning that Twilio's environment variables win over the active profile (said
    once by every command that changes the account, and by `profiles use`); None when they
    do not."""
    if resolved.overridden is None:
        return None
    names = " and ".join(s.source[4:] for k, s in resolved.settings.items() if k in ENV_CREDENTIALS and s.source.startswith("env "))
    account = resolved.get("account_sid")
    return MsgsvcWarning(
        f"{names} are set: account {account} from the environment is used, not the active profile {resolved.overridden!r}",
        hint=f"unset them to use the profile, or choose it: --profile {_shell_quote(resolved.overridden)}",
    )


def unknown_profile(name: str, profiles: Mapping[str, Any], source: str | None = None) -> CredentialsError:
    """The one error for a profile name that names no profile, wherever it was given (exit 4,
    as for any credentials that cannot be found): with a suggestion when one is close."""
    from msgsvc.suggest import did_you_mean

    where = f" (from {source})" if source else ""
    known = ", ".join(sorted(profiles))
    hint = did_you_mean(name, profiles)
    if hint is None:
        hint = (f"profiles: {known}; " if known else "") + f"add one with: msgsvc profiles add {_shell_quote(name)} --account-sid AC..."
    return CredentialsError(f"there is no profile named {name!r}{where}", hint=hint)


def _env_has_credentials(env: Mapping[str, str]) -> bool:
    return bool(env.get("TWILIO_ACCOUNT_SID")) and (
        bool(env.get("TWILIO_AUTH_TOKEN"))
        or (bool(env.get("TWILIO_API_KEY")) and bool(env.get("TWILIO_API_SECRET")))
    )


LIMITS = {"timeout": TIMEOUT_RANGE[1], "max_retries": MAX_RETRIES_RANGE[1]}


def client_settings(resolved: Resolved):
    """ClientSettings from resolved config; numbers from files or the environment checked here."""
    from pathlib import Path

    from msgsvc.api import validate
    from msgsvc.api.settings import ClientSettings

    api_key = resolved.get("api_key")
    account_sid = resolved.get("account_sid")
    if api_key and resolved.get("api_secret"):
        username, password = api_key, resolved.get("api_secret")
    else:
        username, password = account_sid, resolved.get("auth_token")

    def number(key: str, default: float, kind: type) -> Any:
        setting = resolved.settings.get(key)
        if setting is None:
            return default
        raw = setting.value
        whole = "a whole number" if kind is int else "a number"
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):  # true is not 1 s
            raise ConfigError(f"{key} from {setting.source} must be {whole}, not {_toml_type(raw)}: {_shown(raw)}")
        if kind is int and isinstance(raw, float):  # 2.7 is not 2 retries
            raise ConfigError(f"{key} from {setting.source} must be {whole}: {raw!r}")
        try:
            value = kind(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{key} from {setting.source} is not {whole}: {setting.value!r}") from None
        if value < 0 or (kind is float and value == 0):
            raise ConfigError(f"{key} from {setting.source} must be positive: {setting.value!r}")
        if not validate.finite(value) or value > LIMITS[key]:  # NaN, inf, or more than a socket can wait
            raise ConfigError(f"{key} from {setting.source} must be at most {LIMITS[key]}: {setting.value!r}")
        return value

    for key in ("account_sid", "auth_token", "api_key", "api_secret", "region", "edge", "base_url", "ca_bundle"):
        setting = resolved.settings.get(key)
        if setting is not None and not isinstance(setting.value, str):
            shown = "" if key in SECRET_KEYS else f": {setting.value!r}"  # a secret is never echoed
            raise ConfigError(f"{key} from {setting.source} must be a string{shown}")

    ca_bundle = resolved.settings.get("ca_bundle")
    if ca_bundle is not None:
        if not Path(ca_bundle.value).expanduser().is_file():
            raise ConfigError(f"ca_bundle from {ca_bundle.source} is not a file: {ca_bundle.value!r}")
    labels = {}
    for key in ("region", "edge"):  # they become part of the host name the credentials go to
        setting = resolved.settings.get(key)
        if setting is not None and setting.value and not resolved.get("base_url"):
            try:
                labels[key] = validate.host_label(setting.value)
            except ValueError as exc:
                raise ConfigError(f"{key} from {setting.source}: {exc}") from None
    base_url = resolved.get("base_url")
    origin = None
    if base_url:
        source = resolved.settings["base_url"].source
        try:
            base_url = validate.base_url(str(base_url))
        except ValueError as exc:
            raise ConfigError(f"base_url from {source} {exc}") from None
        origin = origin_of(source)
    return ClientSettings(
        username=str(username),
        password=str(password),
        account_sid=str(account_sid) if account_sid else None,
        base_url=base_url,
        region=labels.get("region"),
        edge=labels.get("edge"),
        connect_timeout=number("timeout", DEFAULT_CONNECT_TIMEOUT, float),
        read_timeout=number("timeout", DEFAULT_READ_TIMEOUT, float),
        max_retries=number("max_retries", DEFAULT_MAX_RETRIES, int),
        ca_bundle=str(Path(resolved.get("ca_bundle")).expanduser()) if resolved.get("ca_bundle") else None,
        base_url_origin=origin,
    )


def _toml_type(value: Any) -> str:
    return {bool: "a boolean", dict: "a table", list: "an array"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else repr(value)


def origin_of(source: str) -> str:
    """Where a base URL came from, as a person would look for it: `--base-url`,
    `$MSGSVC_BASE_URL`, `base_url of profile 'emu'`."""
    if source.startswith("flag "):
        return source[len("flag "):]
    if source.startswith("env "):
        return "$" + source[len("env "):]
    if source.startswith("file profile "):
        return "base_url of profile " + source[len("file profile "):]
    return source
