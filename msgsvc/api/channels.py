"""Messaging v2 Channels Senders: the account's WhatsApp and RCS senders as Twilio keeps them,
with their status (messaging.twilio.com/v2/Channels/Senders, listed by channel).

A service's channel senders (`msgsvc channel-senders`, Messaging v1 ChannelSenders) are these
same XE... senders, borrowed by the service; only v2 says whether one can send: ONLINE, or
another status with its `offline_reasons`. A sender that is not ONLINE in a service fails the
messages routed to it (msgsvc doctor's check `channel-sender-offline`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from msgsvc.api.resources import KEEP, SID, Column, Resource

if TYPE_CHECKING:
    from msgsvc.api.client import Client

CHANNELS = ("whatsapp", "rcs")  # what the list's Channel parameter takes
ONLINE = "ONLINE"
STATUSES = ("CREATING", "ONLINE", "OFFLINE", "PENDING_VERIFICATION", "VERIFYING", "ONLINE:UPDATING",
            "TWILIO_REVIEW", "DRAFT", "STUBBED")
SENDING = (ONLINE, "ONLINE:UPDATING")  # an update in review keeps the sender online

SENDER = Resource(
    name="channels-sender",
    noun="channels-senders",
    what="channel sender",
    path="Channels/Senders",
    version="v2",
    list_key="senders",
    prefix="XE",
    columns=(
        SID,
        Column("SENDER", "sender_id", fit=KEEP),
        Column("STATUS", "status", fit=KEEP),
    ),
    keys=("sid", "status", "sender_id", "configuration", "webhook", "profile", "properties", "offline_reasons",
          "compliance", "url"),
)


def channel_of(address: str) -> str | None:
    """The v2 channel of an address (`whatsapp:+15017122661` -> whatsapp), None for a channel
    v2 does not list (messenger:...)."""
    channel, sep, _ = address.partition(":")
    return channel if sep and channel in CHANNELS else None


def is_sending(record: Mapping[str, Any] | None) -> bool:
    return record is not None and record.get("status") in SENDING


def offline_reasons(record: Mapping[str, Any]) -> list[str]:
    """Each reason Twilio gives for a sender that is not online: `30008: No delivery`."""
    lines = []
    for reason in record.get("offline_reasons") or []:
        if isinstance(reason, Mapping):
            code, message = reason.get("code"), reason.get("message") or ""
            lines.append(f"{code}: {message}" if code else str(message))
    return lines


def list_senders(client: Client, channel: str, *, limit: int | None = None) -> Any:
    """The account's senders of one channel (whatsapp or rcs), page by page."""
    if channel not in CHANNELS:
        raise ValueError(f"{channel!r} is not a channel of Messaging v2 senders ({', '.join(CHANNELS)})")
    return client.list_of(SENDER, params={"Channel": channel}, limit=limit)


def get_sender(client: Client, sid: str) -> dict:
    return client.fetch(SENDER, sid)


def find_sender(client: Client, address: str) -> dict | None:
    """The account's v2 sender whose `sender_id` is exactly `address` (whatsapp:+1...), or None
    (also for an address of a channel v2 does not list)."""
    channel = channel_of(address)
    if channel is None:
        return None
    return next((r for r in list_senders(client, channel) if r.get("sender_id") == address), None)
