"""Short codes by their number and channel senders by their address, resolved like E.164
numbers: exact requests against a local server, and end to end against the emulator."""

from __future__ import annotations

import json

import pytest
from conftest import ACCOUNT_SID, SERVICE_SID, base_url_of, page
from emulator_helpers import EMU_ACCOUNT, EMU_TOKEN
from test_senders import SC, XE, base, expect_listing, sent

SHORT_CODES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/SMS/ShortCodes.json"


def account_short_codes(*pairs):
    return {"short_codes": [{"sid": sid, "short_code": code, "account_sid": ACCOUNT_SID} for sid, code in pairs],
            "next_page_uri": None, "page": 0, "page_size": 1000}


def test_attach_a_short_code_by_its_number(msgsvc, profile, httpserver):
    expect_listing(httpserver, "ShortCodes", "short_codes", [])
    httpserver.expect_oneshot_request(SHORT_CODES, query_string={"ShortCode": "55501", "PageSize": "1000"}).respond_with_json(
        account_short_codes((SC, "555010"), ("SC" + "9" * 32, "55501")))  # the filter matches partially
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/ShortCodes", method="POST").respond_with_json(
        base("SC" + "9" * 32, short_code="55501", country_code="US", capabilities=["SMS"]), status=201)
    result = msgsvc("short-codes", "attach", SERVICE_SID, "55501")
    assert (result.code, result.err) == (0, "1 attached\n")
    assert result.out == f"55501\tSC{'9' * 32}\tattached\t\t\n"
    assert sent(httpserver)[-1] == ("POST", f"/v1/Services/{SERVICE_SID}/ShortCodes", "", f"ShortCodeSid=SC{'9' * 32}")


def test_a_short_code_not_on_the_account_fails(msgsvc, profile, httpserver):
    expect_listing(httpserver, "ShortCodes", "short_codes", [])
    httpserver.expect_oneshot_request(SHORT_CODES).respond_with_json(account_short_codes())
    result = msgsvc("short-codes", "attach", SERVICE_SID, "55599")
    assert (result.code, result.out) == (1, "55599\t\tfailed\t\tnot on this account\n")


def test_get_a_channel_sender_by_its_address(msgsvc, profile, httpserver):
    record = base(XE, sender="whatsapp:+15017122661", sender_type="WhatsApp", country_code="US")
    expect_listing(httpserver, "ChannelSenders", "senders", [record])
    result = msgsvc("channel-senders", "get", SERVICE_SID, "whatsapp:+15017122661", "--fields", "sid,sender")
    assert (result.code, result.out, result.err) == (0, f"sid\t{XE}\nsender\twhatsapp:+15017122661\n", "")


def test_detach_a_channel_sender_by_its_address(msgsvc, profile, httpserver):
    record = base(XE, sender="whatsapp:+15017122661", sender_type="WhatsApp", country_code="US")
    expect_listing(httpserver, "ChannelSenders", "senders", [record])
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/ChannelSenders/{XE}", method="DELETE").respond_with_data("", status=204)
    result = msgsvc("channel-senders", "detach", SERVICE_SID, "whatsapp:+15017122661", "--yes")
    assert (result.code, result.out) == (0, f"whatsapp:+15017122661\t{XE}\tdetached\t\t\n")


@pytest.fixture
def emu_profile(msgsvc, emulator):
    result = msgsvc("profiles", "add", "emu", "--account-sid", EMU_ACCOUNT, "--base-url", emulator.base_url,
                    "--max-retries", "0", stdin=EMU_TOKEN + "\n")
    assert result.code == 0, result.err
    created = msgsvc("services", "create", "--friendly-name", "OTP codes", "--json")
    assert created.code == 0, created.err
    return json.loads(created.out)["sid"]


def test_short_codes_and_channel_senders_against_the_emulator(msgsvc, emulator, emu_profile):
    codes = {r["short_code"]: sid for sid, r in emulator.store.data["short_codes"].items()}
    channels = {r["sender"]: sid for sid, r in emulator.store.data["channel_senders"].items()}
    empty = msgsvc("short-codes", "list", "OTP codes", tty=True)
    assert (empty.code, empty.out, empty.err) == (0, "", "No short codes in 'OTP codes'.\n")

    attached = msgsvc("short-codes", "attach", "OTP codes", "55501", "55502")
    assert (attached.code, attached.err) == (0, "2 attached\n")
    assert attached.out == f"55501\t{codes['55501']}\tattached\t\t\n55502\t{codes['55502']}\tattached\t\t\n"
    got = msgsvc("short-codes", "get", "OTP codes", "55502", "--jq", ".sid")
    assert (got.code, got.out) == (0, codes["55502"] + "\n")

    wa = "whatsapp:+15550000001"
    assert msgsvc("channel-senders", "attach", "OTP codes", channels[wa]).code == 0
    got = msgsvc("channel-senders", "get", "OTP codes", wa, "--jq", ".sid")
    assert (got.code, got.out) == (0, channels[wa] + "\n")
    missing = msgsvc("channel-senders", "get", "OTP codes", "rcs:msgsvc_emulator_agent")
    assert missing.code == 3
    assert missing.err.startswith(f"msgsvc: no channel sender 'rcs:msgsvc_emulator_agent' is attached to OTP codes ({emu_profile})\n")
    assert "api.v2010.ListShortCode" in emulator.operations


def test_the_emulator_serves_the_2010_short_code_list(emulator):
    response = emulator.call("GET", f"/2010-04-01/Accounts/{EMU_ACCOUNT}/SMS/ShortCodes.json", params={"ShortCode": "55502"})
    assert response.status_code == 200
    body = response.json()
    assert [r["short_code"] for r in body["short_codes"]] == ["55502"]
    assert body["next_page_uri"] is None and body["page_size"] == 50
