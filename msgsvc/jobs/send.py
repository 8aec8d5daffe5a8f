"""The writes of a message: send one through a service, cancel a scheduled one.

A message is no change of the account's configuration: it is not a jobs.changes.Change
(those live under the Messaging API and are planned, shown in dry runs and saved in plans);
these are single POSTs to the core API. Neither is ever sent twice: an answer lost on the
way is OutcomeUnknownError (the transport's rule for every POST), for the caller to say how
to find out what happened.

No typer, no rich, no printing.
"""

from __future__ import annotations

from typing import Any, Sequence

from msgsvc.api.messages import message_path, messages_path
from msgsvc.api.transport import CORE


def send_message(client: Any, form: Sequence[tuple[str, str]]) -> dict:
    """POST the message (api.messages.send_form makes the form); the message as created."""
    return client.fetch_object("POST", messages_path(client.account_sid), product=CORE, data=list(form))


def cancel_message(client: Any, sid: str) -> dict:
    """Cancel a scheduled message (Status=canceled); the message as canceled."""
    return client.fetch_object("POST", message_path(client.account_sid, sid), product=CORE, data=[("Status", "canceled")])
