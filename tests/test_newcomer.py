"""A newcomer's first hour, in a pseudo-terminal 80 columns wide, against the emulator: every
failure's reason readable (a short reason leads, the message wrapped between words, SIDs
given way first), dry runs that know what would fail, notes that do not cry wolf."""

from __future__ import annotations

import os

import pytest
from corehelp import Pty
from factories import attach, create_service

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")


@pytest.fixture
def emu(emulator, monkeypatch):
    for var in ("COLUMNS", "LINES"):  # the pty's own size
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", emulator.base_url)
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "0")
    return emulator


def at_80(*args: str) -> tuple[int, list[str]]:
    code, text = Pty(*args, env=dict(os.environ), columns=80).finish()
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), text
    return code, lines


def number_sid(emu, e164: str) -> str:
    return next(r["sid"] for r in emu.store.data["numbers"].values() if r["phone_number"] == e164)


def test_every_failure_s_reason_is_readable_at_80_columns(emu):
    # The example: a number in another service, a voice-only one, one not on the
    # account; MESSAGE used to be hidden, or cut before its reason.
    alerts = create_service(emu, "Alerts")
    other = create_service(emu, "Other")
    attach(emu, other, "PhoneNumbers", PhoneNumberSid=number_sid(emu, "+15550000003"))
    voice_only = number_sid(emu, "+15550000005")
    code, lines = at_80("numbers", "attach", "Alerts", "+15550000001", "+15550000005", "+15559999999",
                        "+15550000003")
    assert code == 1
    assert lines == [
        "INPUT         STATUS    CODE   MESSAGE",
        "+15550000001  attached",
        "+15550000005  failed    21715  no SMS capability (21715): Phone Number",
        f"                               +15550000005 ({voice_only})",
        "                               has no SMS or MMS capability and cannot be added",
        "                               to a Messaging Service",
        "+15559999999  failed           not on this account",
        "+15550000003  failed    21712  in service Other (21712): Phone Number",
        f"                               {number_sid(emu, '+15550000003')} is already",
        "                               associated with another Messaging Service",
        f"                               ({other}); a sender",
        "                               can belong to only one",
        "1 attached, 3 failed",  # the SID column was hidden, and no note says so: the INPUT names it
    ]
    assert emu.store.data["numbers"][number_sid(emu, "+15550000001")]["service_sid"] == alerts


def test_a_dry_run_says_would_fail_for_what_twilio_would_refuse(emu):
    create_service(emu, "Alerts")
    other = create_service(emu, "Other")
    attach(emu, other, "PhoneNumbers", PhoneNumberSid=number_sid(emu, "+15550000003"))
    voice_only = number_sid(emu, "+15550000010")
    code, lines = at_80("numbers", "attach", "Alerts", voice_only, "+15550000003", "+15550000004", "--dry-run")
    assert code == 1
    assert lines[:7] == [
        "INPUT                               STATUS        MESSAGE",
        f"{voice_only}  would fail    no SMS capability (21715):",
        "                                                  +15550000010 cannot send SMS",
        "                                                  or MMS, so no service takes it",
        "+15550000003                        would fail    in service Other (21712): a",
        "                                                  sender belongs to one service:",
        "                                                  detach it from Other first",
    ]
    assert lines[7].startswith("+15550000004                        would attach  POST")
    assert lines[-1] == "Dry run: 3 requests not sent; 1 would attach, 2 would fail"
    assert all(r["service_sid"] in (None, other) for r in emu.store.data["numbers"].values())  # nothing sent


def test_a_second_alpha_sender_would_fail_and_fails_with_its_reason(emu):
    alerts = create_service(emu, "Alerts")
    attach(emu, alerts, "AlphaSenders", AlphaSender="Acme")
    code, lines = at_80("alpha-senders", "attach", "Alerts", "Other", "--dry-run")
    assert (code, lines) == (1, [
        "INPUT  SID  STATUS      CODE   MESSAGE",
        "Other       would fail  20001  has alpha sender Acme (20001): a Messaging",
        "                               Service has one alpha sender; detach it first",
        "Dry run: 1 request not sent; 1 would fail",
    ])
    code, lines = at_80("alpha-senders", "attach", "Alerts", "Other")
    assert (code, lines[1]) == (1, "Other       failed  20001  has alpha sender Acme (20001): The Messaging Service")


def test_a_list_says_nothing_when_only_created_was_hidden(emu):
    create_service(emu, "Alerts")
    code, lines = at_80("numbers", "list", "Alerts")
    assert (code, lines) == (0, ["No phone numbers in 'Alerts'."])
    alerts = create_service(emu, "Marketing")
    attach(emu, alerts, "PhoneNumbers", PhoneNumberSid=number_sid(emu, "+15550000001"))
    code, lines = at_80("numbers", "list", "Marketing")
    assert code == 0
    assert lines == [
        "SID                                 PHONE NUMBER  COUNTRY  CAPABILITIES",
        f"{number_sid(emu, '+15550000001')}  +15550000001  US       MMS, SMS, Voice",
    ]


def test_a_campaign_update_dry_run_in_review_would_fail_exit_1(emu):
    alerts = create_service(emu, "Alerts")
    brand = next(iter(emu.store.data["brands"]))  # APPROVED
    emu.store.a2p_review = 3600  # it stays PENDING for the test
    created = emu.call("POST", f"/v1/Services/{alerts}/Compliance/Usa2p", data={
        "BrandRegistrationSid": brand, "UsAppToPersonUsecase": "DELIVERY_NOTIFICATION",
        "Description": "Send order and delivery updates to customers who opted in.",
        "MessageFlow": "Customers opt in at checkout on example.com by ticking an unticked box.",
        "MessageSamples": ["Your order 1234 has shipped.", "Your order 1234 was delivered today."],
        "HasEmbeddedLinks": "false", "HasEmbeddedPhone": "false"})
    assert created.status_code == 201, created.text
    campaign = created.json()["sid"]
    code, lines = at_80("campaigns", "update", "Alerts", "--direct-lending", "--dry-run")
    assert code == 1
    assert lines[:2] == [f"POST {emu.base_url}/v1/Services/{alerts}/",  # wrapped after a '/'
                         f"    Compliance/Usa2p/{campaign}"]
    assert lines[-7:-1] == [
        "  AgeGated=false",
        "  DirectLending=true",
        "Dry run: 1 request not sent.",
        f"msgsvc: the update would fail: campaign {campaign} is",
        "PENDING, and Twilio accepts an update once its review is over (VERIFIED or",
        "FAILED)",
    ]
    assert lines[-1] == "hint: wait for the review: msgsvc campaigns wait Alerts"
    assert emu.store.data["campaigns"][campaign]["campaign_status"] == "PENDING"  # nothing sent
