"""Messaging v2 Channels Senders: the declaration against Twilio's definition, the reads
(exact requests, finding a sender by its address), and the emulator's list by channel and
fetch with statuses, every answer checked against the definition."""

from __future__ import annotations

import json

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, base_url_of, load_spec, page
from corehelp import assert_request, sent
from emulator_helpers import emulator  # noqa: F401 (fixture)

from msgsvc.api import channels
from msgsvc.api.client import Client, ClientSettings

XE = "XE" + "1" * 32


def v2_sender(sid: str = XE, sender_id: str = "whatsapp:+15017122661", status: str = "ONLINE", **extra) -> dict:
    return {"sid": sid, "status": status, "sender_id": sender_id, "configuration": None, "webhook": None,
            "profile": None, "properties": None, "offline_reasons": None, "compliance": None,
            "url": f"https://messaging.twilio.com/v2/Channels/Senders/{sid}", **extra}


def client_of(httpserver) -> Client:
    return Client(ClientSettings(username=ACCOUNT_SID, password=AUTH_TOKEN, base_url=base_url_of(httpserver), max_retries=0))


def test_the_declaration_matches_the_definition():
    spec = load_spec("twilio_messaging_v2.json")
    schemas = spec["components"]["schemas"]
    assert list(channels.SENDER.keys) == list(schemas["messaging.v2.channels_sender_response"]["properties"])
    assert tuple(schemas["channels_sender_enum_status"]["enum"]) == channels.STATUSES
    assert channels.SENDER.collection_path() in spec["paths"]
    assert "senders" in spec["paths"]["/v2/Channels/Senders"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]


def test_find_sender_lists_the_addresss_channel_and_matches_exactly(httpserver):
    httpserver.expect_oneshot_request("/v2/Channels/Senders").respond_with_json(page("senders", [
        v2_sender("XE" + "2" * 32, "whatsapp:+150171226619"), v2_sender()]))
    found = channels.find_sender(client_of(httpserver), "whatsapp:+15017122661")
    assert found["sid"] == XE
    (request,) = sent(httpserver)
    assert_request(request, "GET", "/v2/Channels/Senders", query="Channel=whatsapp&PageSize=1000")


def test_a_messenger_address_is_not_looked_up(httpserver):
    assert channels.find_sender(client_of(httpserver), "messenger:101234567890123") is None
    assert sent(httpserver) == []
    with pytest.raises(ValueError, match="'messenger' is not a channel of Messaging v2 senders"):
        channels.list_senders(client_of(httpserver), "messenger")


def test_get_sender_and_what_a_status_means(httpserver):
    httpserver.expect_oneshot_request(f"/v2/Channels/Senders/{XE}").respond_with_json(
        v2_sender(status="OFFLINE", offline_reasons=[{"code": "30008", "message": "No delivery", "more_info": None}]))
    record = channels.get_sender(client_of(httpserver), XE)
    assert_request(sent(httpserver)[0], "GET", f"/v2/Channels/Senders/{XE}")
    assert not channels.is_sending(record)
    assert channels.offline_reasons(record) == ["30008: No delivery"]
    assert channels.is_sending(v2_sender(status="ONLINE:UPDATING"))
    assert channels.channel_of("rcs:brand_agent") == "rcs"


# --- the emulator -------------------------------------------------------------------------------


def test_the_emulator_lists_by_channel_with_statuses(emulator):
    from msgsvc.emulator.channels import set_status

    whatsapp = next(sid for sid, r in emulator.store.data["channel_senders"].items() if r["sender"].startswith("whatsapp:"))
    listed = emulator.call("GET", "/v2/Channels/Senders", params={"Channel": "whatsapp"}).json()
    assert [(s["sid"], s["sender_id"], s["status"]) for s in listed["senders"]] == [(whatsapp, "whatsapp:+15550000001", "ONLINE")]
    assert listed["meta"]["key"] == "senders"
    set_status(emulator.store, whatsapp, "OFFLINE", [("63024", "The WhatsApp Business Account is disabled")])
    fetched = emulator.call("GET", f"/v2/Channels/Senders/{whatsapp}").json()
    assert fetched["status"] == "OFFLINE"
    assert fetched["offline_reasons"] == [{"code": "63024", "message": "The WhatsApp Business Account is disabled",
                                           "more_info": "https://www.twilio.com/docs/api/errors/63024"}]
    rcs = emulator.call("GET", "/v2/Channels/Senders", params={"Channel": "rcs"}).json()
    assert [s["sender_id"] for s in rcs["senders"]] == ["rcs:msgsvc_emulator_agent"]
    assert {"ListChannelsSender", "FetchChannelsSender"} <= emulator.operations


def test_the_emulator_wants_a_channel_and_knows_no_messenger_sender(emulator):
    missing = emulator.call("GET", "/v2/Channels/Senders")
    assert (missing.status_code, missing.json()["message"]) == (400, "Missing required parameter Channel: whatsapp or rcs")
    other = emulator.call("GET", "/v2/Channels/Senders", params={"Channel": "messenger"})
    assert (other.status_code, other.json()["message"]) == (400, "Channel must be one of whatsapp, rcs: 'messenger'")
    messenger = next(sid for sid, r in emulator.store.data["channel_senders"].items() if r["sender"].startswith("messenger:"))
    assert emulator.call("GET", f"/v2/Channels/Senders/{messenger}").status_code == 404
    created = emulator.call("POST", "/v2/Channels/Senders")
    assert (created.status_code, created.json()["code"]) == (501, 20501)
