"""Reading an account's setup from the emulator (a real stateful server): services, every
kind of sender, the account's short codes, and the plan built from them."""

from __future__ import annotations

import pytest
from factories import attach, create_service as create

from msgsvc.setup import plan as setup_plan, read as setup_read
from msgsvc.errors import NotFoundError, UsageError
from msgsvc.setup.file import SetupFileError, load_text


@pytest.fixture
def client(emulator):
    from msgsvc.api.client import Client, ClientSettings

    client = Client(ClientSettings(username=emulator.account_sid, password=emulator.auth_token,
                                   base_url=emulator.base_url, max_retries=0))
    yield client
    client.close()


def test_the_emulator_lists_the_accounts_short_codes(emulator, client):
    codes = list(client.account_short_codes())
    assert [c["short_code"] for c in codes] == ["55501", "55502", "55503"]
    assert [c["sid"] for c in codes] == emulator.sids("short_codes")
    assert [c["short_code"] for c in client.account_short_codes({"ShortCode": "55502"})] == ["55502"]
    assert [c["short_code"] for c in client.account_short_codes({"PageSize": 1})] == ["55501", "55502", "55503"]
    assert "api.v2010.ListShortCode" in emulator.operations


def test_read_account_keeps_what_export_and_plan_use(emulator, client):
    alerts = create(emulator, "Alerts", ValidityPeriod="600")
    create(emulator, "Empty")
    number = emulator.number("+15550000001")
    attach(emulator, alerts, "PhoneNumbers", PhoneNumberSid=number["sid"])
    attach(emulator, alerts, "ShortCodes", ShortCodeSid=emulator.sids("short_codes")[0])
    attach(emulator, alerts, "DestinationAlphaSenders", AlphaSender="MyCo", IsoCountryCode="GB")
    current = setup_read.read_account(client, concurrency=4)
    assert [(c.name, c.record["validity_period"]) for c in current] == [("Alerts", 600), ("Empty", 36000)]
    assert "url" not in current[0].record and "date_created" not in current[0].record
    assert current[0].senders == {
        "numbers": [{"sid": number["sid"], "phone_number": "+15550000001"}],
        "short-codes": [{"sid": emulator.sids("short_codes")[0], "short_code": "55501",
                         "capabilities": ["SMS", "MMS"]}],  # the inventory's (numbers list --account)
        "alpha-senders": [],
        "channel-senders": [],
        "destination-alpha-senders": [{"sid": current[0].senders["destination-alpha-senders"][0]["sid"],
                                       "alpha_sender": "MyCo", "iso_country_code": "GB"}],
    }
    assert current[1].senders["numbers"] == []
    # Only the services named, by name or SID; each once.
    assert [c.name for c in setup_read.read_account(client, only=[alerts, "Alerts"])] == ["Alerts"]
    with pytest.raises(NotFoundError, match="no service is named 'Nope'"):
        setup_read.read_account(client, only=["Nope"])
    create(emulator, "Empty")
    with pytest.raises(UsageError, match="2 services are named 'Empty'"):
        setup_read.read_account(client, only=["Empty"])


def test_plan_resolves_numbers_and_short_codes_in_no_service_from_the_account(emulator, client):
    alerts = create(emulator, "Alerts")
    text = ('[[services]]\nfriendly_name = "Alerts"\n[services.senders]\n'
            'numbers = ["+15550000002", "+15559999999"]\nshort-codes = ["55502"]\n')
    result = setup_plan.read_diff(client, load_text(text, "x.toml"))
    assert [(a.action, a.shown, a.sid, a.service.sid) for a in result.senders] == [
        ("attach", "+15550000002", emulator.number("+15550000002")["sid"], alerts),
        ("attach", "55502", emulator.sids("short_codes")[1], alerts),
    ]
    assert [(u.kind, u.shown, u.line) for u in result.unknown] == [("numbers", "+15559999999", 4)]
    with pytest.raises(SetupFileError) as raised:
        setup_plan.plan(client, load_text(text, "x.toml"))
    assert [(p.line, p.message) for p in raised.value.problems] == [
        (4, "numbers: +15559999999 is not a phone number of this account"),
    ]


def test_plan_finds_channel_senders_in_no_service_through_messaging_v2(emulator, client, monkeypatch):
    """An address is looked for among its channel's v2 senders only; a SID among every channel's.
    An address v2 does not show is not the account's (a plan error, before anything is sent); a
    SID it does not show may be a Messenger sender in no service: attached unproven, with a warning."""
    from msgsvc.emulator import routing

    queries: list[tuple] = []
    handle = routing.handle

    def logged(store, request):
        if request.path.startswith("/v2/"):
            queries.append((request.path, request.query.get("Channel")))
        return handle(store, request)

    monkeypatch.setattr(routing, "handle", logged)
    alerts = create(emulator, "Alerts")
    whatsapp, _, rcs = emulator.sids("channel_senders")
    text = '[[services]]\nfriendly_name = "Alerts"\nsenders.channel-senders = ["whatsapp:+15550000001"]\n'
    result = setup_plan.plan(client, load_text(text, "x.toml"))
    assert [(a.action, a.shown, a.sid, a.service.sid) for a in result.senders] == [
        ("attach", "whatsapp:+15550000001", whatsapp, alerts)]
    assert queries == [("/v2/Channels/Senders", "whatsapp")]
    queries.clear()
    stranger = "XE" + "0" * 32
    text = f'[[services]]\nfriendly_name = "Alerts"\nsenders.channel-senders = ["{rcs}", "{stranger}"]\n'
    result = setup_plan.read_diff(client, load_text(text, "x.toml"))
    assert sorted((a.action, a.sid, a.proven) for a in result.senders) == sorted([("attach", rcs, True),
                                                                                  ("attach", stranger, False)])
    assert [line for line, text in result.warnings if stranger in text] == [3]
    assert queries == [("/v2/Channels/Senders", "whatsapp"), ("/v2/Channels/Senders", "rcs")]
    address = '[[services]]\nfriendly_name = "Alerts"\nsenders.channel-senders = ["whatsapp:+15559999999"]\n'
    with pytest.raises(SetupFileError) as raised:
        setup_plan.plan(client, load_text(address, "x.toml"))
    assert [(p.line, p.message) for p in raised.value.problems] == [
        (3, "channel-senders: whatsapp:+15559999999 is not a channel sender of this account")]


def test_plan_reads_alpha_senders_only_of_the_services_that_list_them(emulator, client):
    create(emulator, "Alerts")
    other = create(emulator, "Other")
    emulator.records.clear()
    text = '[[services]]\nfriendly_name = "Alerts"\nsenders.alpha-senders = ["MyCo"]\n'
    result = setup_plan.plan(client, load_text(text, "x.toml"))
    assert [(a.action, a.shown) for a in result.senders] == [("attach", "MyCo")]
    assert sorted(r["operation"] for r in emulator.records) == ["ListAlphaSender", "ListService"]
    assert other
