"""The options of one invocation, and the client built from them on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from msgsvc.client import Client
    from msgsvc.config import Resolved


@dataclass
class State:
    profile: str | None = None
    json: bool = False
    base_url: str | None = None
    debug: bool = False
    timeout: float | None = None
    max_retries: int | None = None
    dry_run: bool = False
    secrets: set[str] = field(default_factory=set)  # redacted from every debug line
    _client: Client | None = None

    def flags(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "timeout": self.timeout, "max_retries": self.max_retries}

    def resolve(self, *, require_credentials: bool = True) -> Resolved:
        from msgsvc import config

        return config.resolve(
            profile_flag=self.profile, flags=self.flags(), require_credentials=require_credentials
        )

    def client(self) -> Client:
        if self._client is None:
            from msgsvc.client import Client

            from msgsvc.config import client_settings

            settings = client_settings(self.resolve())
            settings.dry_run = self.dry_run
            self._client = Client(settings)
            self.secrets.add(self._client.settings.password)
        return self._client
