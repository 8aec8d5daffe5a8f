"""Client settings and their defaults, and the ranges --timeout and --max-retries accept:
what the HTTP client is told, with nothing of HTTP itself (no urllib3 import), so that
the config and the options read them without loading the client."""

from __future__ import annotations

TYPE_CHECKING = False  # a Tab press reads these through the config: importing typing costs milliseconds
if TYPE_CHECKING:
    from typing import Callable

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 4
# What --timeout (seconds, connect and read each) and --max-retries accept, from flags, the
# environment or a profile: more than a day is more than a socket can usefully wait.
TIMEOUT_RANGE = (0.001, 86400)
MAX_RETRIES_RANGE = (0, 100)


class ClientSettings:
    """What a Client is told. A plain class, not a dataclass: every Tab press imports this
    module (the options' ranges), and `dataclasses` with the class it builds costs 1.5 ms."""

    def __init__(
        self,
        username: str,  # Account SID, or API Key SID
        password: str,  # Auth Token, or the API key's secret
        account_sid: str | None = None,  # needed for core API paths when username is an API key
        base_url: str | None = None,  # one override for every host (local servers, tests)
        region: str | None = None,
        edge: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        ca_bundle: str | None = None,
        backoff_factor: float = 0.5,
        base_url_origin: str | None = None,  # where base_url came from, for errors: "--base-url"
        on_retry: Callable[[str], None] | None = None,  # told "retrying in 2 s (connection refused)"
        before_change: Callable[[], None] | None = None,  # called once, before the first POST or DELETE
    ) -> None:
        self.username = username
        self.password = password
        self.account_sid = account_sid
        self.base_url = base_url
        self.region = region
        self.edge = edge
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_retries = max_retries
        self.ca_bundle = ca_bundle
        self.backoff_factor = backoff_factor
        self.base_url_origin = base_url_origin
        self.on_retry = on_retry
        self.before_change = before_change

    def __repr__(self) -> str:  # never the password
        shown = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "password")
        return f"ClientSettings({shown}, password='***')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClientSettings) and vars(self) == vars(other)

    @property
    def deadline(self) -> float:
        """Seconds one attempt may take in all, connecting and the whole answer."""
        return self.connect_timeout + self.read_timeout
