"""The HTTP client, being split by concern: for this commit all of it is in transport.py."""

from msgsvc.api.transport import *  # noqa: F401,F403
from msgsvc.api.transport import Client, ClientSettings  # noqa: F401
