"""Messaging v2 Channels Senders in the emulator: the account's channel senders (the same
XE... records a service's ChannelSenders borrow) listed by channel and fetched, with a status.

A seeded sender is ONLINE; `set_status` makes one OFFLINE (with `offline_reasons`) or any
other status of the definition, as the unhealthy seed does. Messenger senders are not v2
senders: the list's Channel takes whatsapp or rcs, as Twilio's does. Create, update and delete
are not emulated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgsvc.api.channels import CHANNELS, ONLINE, STATUSES, channel_of
from msgsvc.api.validate import is_sid
from msgsvc.emulator.errors import invalid, not_found
from msgsvc.emulator.routing import Call, Response, page_window, route, v1_page

if TYPE_CHECKING:
    from msgsvc.emulator.store import Store

MORE_INFO = "https://www.twilio.com/docs/api/errors/{code}"


def set_status(store: Store, sid: str, status: str, reasons: list[tuple[str, str]] = ()) -> dict[str, Any]:
    """Give the account's channel sender `sid` a status, with (code, message) reasons."""
    if status not in STATUSES:
        raise ValueError(f"{status!r} is not a status of a channel sender")
    with store.lock:
        record = store.data["channel_senders"][sid]
        record["status"] = status
        record["offline_reasons"] = [{"code": code, "message": message} for code, message in reasons] or None
        store.changed()
        return dict(record)


def _v2(record: dict[str, Any]) -> bool:
    return channel_of(record["sender"]) is not None


def render(r: dict[str, Any], base: str) -> dict[str, Any]:
    """A sender as the definition's messaging.v2.channels_sender_response."""
    whatsapp = channel_of(r["sender"]) == "whatsapp"
    reasons = r.get("offline_reasons")
    return {
        "sid": r["sid"],
        "status": r.get("status", ONLINE),
        "sender_id": r["sender"],
        "configuration": {"waba_id": "1234567890", "verification_method": None, "verification_code": None,
                          "voice_application_sid": None, "account_type": None} if whatsapp else None,
        "webhook": {"callback_url": None, "callback_method": None, "fallback_url": None, "fallback_method": None,
                    "status_callback_url": None, "status_callback_method": None},
        "profile": {"name": "msgsvc emulator", "about": None, "address": None, "description": None, "logo_url": None,
                    "banner_url": None, "privacy_url": None, "terms_of_service_url": None, "accent_color": None,
                    "vertical": None, "websites": None, "emails": None, "phone_numbers": None},
        "properties": {"quality_rating": "HIGH", "messaging_limit": "10K Customers/24hr"} if whatsapp else None,
        "offline_reasons": [{**reason, "more_info": MORE_INFO.format(code=reason["code"])} for reason in reasons]
        if reasons else None,
        "compliance": None,
        "url": f"{base}/v2/Channels/Senders/{r['sid']}",
    }


def _list(call: Call) -> Response:
    query = call.request.query
    channel = query.get("Channel")
    if not channel:
        raise invalid("Missing required parameter Channel: whatsapp or rcs")
    if channel not in CHANNELS:
        raise invalid(f"Channel must be one of {', '.join(CHANNELS)}: {channel!r}")
    with call.store.lock:
        found = [dict(r) for r in call.store.data["channel_senders"].values() if channel_of(r["sender"]) == channel]
    window = page_window(query, sorted(found, key=lambda r: r["seq"]), lambda r: r["seq"])
    rendered = [render(r, call.base) for r in window.items]
    page = v1_page("senders", rendered, window, call.base, call.request.path, [("Channel", channel)])
    return Response(200, page, "ListChannelsSender")


def _fetch(call: Call) -> Response:
    sid, path = call.match.group("sid"), call.request.path
    with call.store.lock:
        record = call.store.data["channel_senders"].get(sid) if is_sid(sid, "XE") else None
        record = dict(record) if record is not None and _v2(record) else None
    if record is None:
        raise not_found(path)
    return Response(200, render(record, call.base), "FetchChannelsSender")


def register_routes() -> None:
    route(r"^/v2/Channels/Senders$", {"GET": _list}, ("POST",))
    route(r"^/v2/Channels/Senders/(?P<sid>[^/]+)$", {"GET": _fetch}, ("POST", "DELETE"))
