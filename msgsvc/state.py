"""The options of one invocation, and the client built from them on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from msgsvc.terminal import Terminal

if TYPE_CHECKING:
    from msgsvc.client import Client
    from msgsvc.config import Resolved


@dataclass
class State:
    term: Terminal = field(default_factory=Terminal.system)  # where output goes; its secrets are redacted
    profile: str | None = None
    json: bool = False
    base_url: str | None = None
    debug: bool = False
    timeout: float | None = None
    max_retries: int | None = None
    dry_run: bool = False
    _client: Client | None = None

    def flags(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "timeout": self.timeout, "max_retries": self.max_retries}

    def resolve(self, *, require_credentials: bool = True) -> Resolved:
        from msgsvc import config, output

        return config.resolve(
            profile_flag=self.profile, flags=self.flags(), require_credentials=require_credentials,
            warn=lambda text: output.note(self.term, text),
        )

    def client(self) -> Client:
        if self._client is None:
            from msgsvc.client import Client

            settings = settings_from(self.resolve())
            settings.dry_run = self.dry_run
            self._client = Client(settings)
            self.term.secrets.add(self._client.settings.password)
        return self._client


LIMITS = {"timeout": 86400, "max_retries": 100}


def settings_from(resolved: Resolved):
    """ClientSettings from resolved config; numbers from files or the environment checked here."""
    from pathlib import Path

    from msgsvc import config, validate
    from msgsvc.client import ClientSettings
    from msgsvc.errors import ConfigError

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
        try:
            value = kind(setting.value)
        except (TypeError, ValueError):
            raise ConfigError(f"{key} from {setting.source} is not a number: {setting.value!r}") from None
        if value < 0 or (kind is float and value == 0):
            raise ConfigError(f"{key} from {setting.source} must be positive: {setting.value!r}")
        if value != value or value > LIMITS[key]:  # NaN, inf, or more than a socket can wait
            raise ConfigError(f"{key} from {setting.source} must be at most {LIMITS[key]}: {setting.value!r}")
        return value

    for key in ("account_sid", "auth_token", "api_key", "api_secret", "region", "edge", "base_url", "ca_bundle"):
        setting = resolved.settings.get(key)
        if setting is not None and not isinstance(setting.value, str):
            raise ConfigError(f"{key} from {setting.source} must be a string: {setting.value!r}")

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
    if base_url:
        try:
            base_url = validate.base_url(str(base_url))
        except ValueError as exc:
            source = resolved.settings["base_url"].source
            raise ConfigError(f"base_url from {source} {exc}") from None
    return ClientSettings(
        username=str(username),
        password=str(password),
        account_sid=str(account_sid) if account_sid else None,
        base_url=base_url,
        region=labels.get("region"),
        edge=labels.get("edge"),
        connect_timeout=number("timeout", config.DEFAULT_CONNECT_TIMEOUT, float),
        read_timeout=number("timeout", config.DEFAULT_READ_TIMEOUT, float),
        max_retries=number("max_retries", config.DEFAULT_MAX_RETRIES, int),
        ca_bundle=str(Path(resolved.get("ca_bundle")).expanduser()) if resolved.get("ca_bundle") else None,
    )
