"""The options of one invocation, and the client built from them on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from msgsvc.cli.terminal import Terminal

if TYPE_CHECKING:
    from msgsvc.api.client import Client
    from msgsvc.local.resolution import Resolved


# What outlives the run: run(exiting=True) (the process ends after it) puts this list in
# itself, a cycle frozen with all else alive, so that what keep_until_exit() adds is never
# freed one object at a time: the process's end gives the memory back at once.
_KEPT: list[Any] = []


def keep_until_exit(value: Any) -> None:
    """Keep `value` (a long list's records) until the process ends, when it ends after
    this run: freeing 10,000 services object by object costs about 10 ms, 4% of the list.
    Kept nothing when run() is called otherwise (tests): nothing outlives their runs."""
    if _KEPT:
        _KEPT.append(value)


def exiting() -> None:
    """This run is the process's last (run(exiting=True)): keep_until_exit keeps from now on."""
    if not _KEPT:
        _KEPT.append(_KEPT)


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
    fields: tuple[str, ...] | None = None  # --fields, checked
    jq: str | None = None  # --jq, compiled once already
    _client: Client | None = None
    _resolved: Resolved | None = None  # the settings client() was built from: config.toml read once

    def cache_scope(self) -> str | None:
        """Whose completion cache this command updates, from the settings it resolved (the
        config is not read again); None before client() or without credentials. What it
        records is masked as this run's output is (cache.Scope)."""
        from msgsvc.local.cache import Scope, scope_of

        name = scope_of(self._resolved)
        return None if name is None else Scope(name, self.term.redact)

    def flags(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "timeout": self.timeout, "max_retries": self.max_retries}

    def resolve(self, *, require_credentials: bool = True) -> Resolved:
        from msgsvc.local import resolution
        from msgsvc.cli import output

        return resolution.resolve(
            profile_flag=self.profile, flags=self.flags(), require_credentials=require_credentials,
            warn=lambda w: output.warning(self.term, w),
        )

    @property
    def resolved(self) -> Resolved | None:
        """The settings client() was built from (None before it)."""
        return self._resolved

    def client(self) -> Client:
        if self._client is None:
            from msgsvc.api.client import Client

            from msgsvc.local import resolution
            from msgsvc.local.config import SECRET_KEYS
            from msgsvc.local.resolution import client_settings

            resolved = self._resolved = self.resolve()
            for key in SECRET_KEYS:  # masked from here on: checking the settings may fail
                if isinstance(resolved.get(key), str):
                    self.term.secrets.add(resolved.get(key))
            settings = client_settings(resolved)
            overridden = resolution.override_warning(resolved)
            if overridden is not None:  # said once, before the first change to the account
                from msgsvc.cli.output import warning

                settings.before_change = lambda: warning(self.term, overridden)
            if self.term.stderr_tty:  # a person is watching: say why nothing seems to happen
                from functools import partial

                from msgsvc.cli.output import note

                settings.on_retry = partial(note, self.term)
            self._client = Client(settings)
            self.term.add_credentials(self._client.settings.username, self._client.settings.password)
        return self._client
