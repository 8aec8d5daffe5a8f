"""The emulator's 2010 Messages: create through a service, the lifecycle on the store's clock,
the sender Twilio's rules pick, segments, the documented failing destinations, 30034/30032
from the service's compliance state, failures as Monitor alerts, list filters and paging,
cancel. Every answer is checked against Twilio's definition (the `emulator` fixture)."""

from __future__ import annotations

import pytest

from factories import attach, create_service


class FakeClock:
    """Wall seconds that move only when told."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(emulator):
    fake = FakeClock()
    emulator.store.clock = fake
    emulator.store.a2p_review = 0
    return fake


def messages_url(emu) -> str:
    return f"/2010-04-01/Accounts/{emu.account_sid}/Messages.json"


def message_url(emu, sid) -> str:
    return f"/2010-04-01/Accounts/{emu.account_sid}/Messages/{sid}.json"


def service_with(emu, *numbers: str, campaign: bool = True, **form) -> str:
    sid = create_service(emu, "Alerts", **form)
    for number in numbers:
        attach(emu, sid, "PhoneNumbers", PhoneNumberSid=emu.number(number)["sid"])
    if campaign:
        emu.register_campaign(sid)
    return sid


def send(emu, service, to="+14155550100", **form):
    answer = emu.call("POST", messages_url(emu), data={"To": to, "MessagingServiceSid": service, "Body": "Hello", **form})
    assert answer.status_code == 201, answer.text
    return answer.json()


def picked(emu, created) -> str:
    """The sender the emulator picked (the answer's `from` is null while accepted)."""
    return emu.store.data["messages"][created["sid"]]["from"]


def status_at(emu, clock, sid, at):
    clock.now = at
    return emu.call("GET", message_url(emu, sid)).json()


def test_the_lifecycle_through_a_service(emulator, clock):
    service = service_with(emulator, "+15550000001")
    created = send(emulator, service)
    start = clock.now
    assert (created["status"], created["from"], created["messaging_service_sid"]) == ("accepted", None, service)
    assert status_at(emulator, clock, created["sid"], start + 1)["from"] == "+15550000001"
    assert (created["num_segments"], created["price"], created["date_sent"], created["error_code"]) == ("1", None, None, None)
    seen = [status_at(emulator, clock, created["sid"], start + t)["status"] for t in (0.5, 1, 2, 3, 4.9, 5, 60)]
    assert seen == ["accepted", "queued", "sending", "sent", "sent", "delivered", "delivered"]
    final = status_at(emulator, clock, created["sid"], start + 60)
    assert (final["price"], final["price_unit"], final["error_code"]) == ("-0.00790", "USD", None)
    assert final["date_sent"] is not None


@pytest.mark.parametrize("to, status, code", [
    ("+15005550001", "failed", 21211), ("+15005550004", "failed", 21610),
    ("+15005550030", "undelivered", 30003), ("+15005550050", "undelivered", 30005),
    ("+15005550070", "undelivered", 30007),
])
def test_documented_failing_destinations(emulator, clock, to, status, code):
    service = service_with(emulator, "+15550000001")
    created = send(emulator, service, to=to)
    final = status_at(emulator, clock, created["sid"], clock.now + 60)
    assert (final["status"], final["error_code"]) == (status, code)
    alerts = emulator.call("GET", "/v1/Alerts").json()["alerts"]
    assert [(a["error_code"], a["resource_sid"]) for a in alerts] == [(str(code), created["sid"])]


def test_no_verified_campaign_fails_us_traffic_from_a_long_code_with_30034(emulator, clock):
    service = service_with(emulator, "+15550000001", campaign=False)
    created = send(emulator, service)
    assert status_at(emulator, clock, created["sid"], clock.now + 1.5)["status"] == "queued"
    final = status_at(emulator, clock, created["sid"], clock.now + 60)
    assert (final["status"], final["error_code"], final["error_message"]) == ("failed", 30034, "Message from an Unregistered Number")
    assert final["date_sent"] is not None and final["price"] is None  # dated when it failed, not billed
    # abroad, no campaign is needed
    abroad = send(emulator, service, to="+447700900123")
    assert status_at(emulator, clock, abroad["sid"], clock.now + 60)["status"] == "delivered"


def test_an_unverified_toll_free_number_fails_with_30032(emulator, clock):
    number = emulator.number("+15550000002")
    number["phone_number"] = "+18005550100"
    service = service_with(emulator, "+18005550100", campaign=False)
    created = send(emulator, service)
    final = status_at(emulator, clock, created["sid"], clock.now + 60)
    assert (final["status"], final["error_code"]) == ("failed", 30032)
    emulator.store.data["tollfree_verifications"] = {"HH1": {"tollfree_phone_number_sid": number["sid"], "status": "TWILIO_APPROVED", "seq": 1}}
    again = send(emulator, service)
    assert status_at(emulator, clock, again["sid"], clock.now + 60)["status"] == "delivered"


def test_a_short_validity_period_expires_with_30036(emulator, clock):
    service = service_with(emulator, "+15550000001")
    created = send(emulator, service, ValidityPeriod="1")
    final = status_at(emulator, clock, created["sid"], clock.now + 60)
    assert (final["status"], final["error_code"]) == ("failed", 30036)


def test_sticky_sender_then_area_code_geomatch(emulator, clock):
    service = service_with(emulator, "+15550000001", "+15550000002")
    send(emulator, service, to="+15559990000")  # area code 555: the first of the pool
    assert emulator.store.data["sticky_senders"][f"{service}:+15559990000"] == "+15550000001"
    emulator.store.data["sticky_senders"][f"{service}:+15559990000"] = "+15550000002"
    assert picked(emulator, send(emulator, service, to="+15559990000")) == "+15550000002"  # sticky
    emulator.call("POST", f"/v1/Services/{service}", data={"StickySender": "false"})
    assert picked(emulator, send(emulator, service, to="+15559990000")) == "+15550000001"


def test_geomatch_prefers_the_recipients_area_code(emulator, clock):
    service = service_with(emulator, "+15550000001")
    emulator.number("+15550000003")["phone_number"] = "+14155550003"
    attach(emulator, service, "PhoneNumbers", PhoneNumberSid=emulator.number("+14155550003")["sid"])
    assert picked(emulator, send(emulator, service, to="+14155550100")) == "+14155550003"
    assert picked(emulator, send(emulator, service, to="+12125550100")) == "+15550000001"


@pytest.mark.parametrize("body, segments", [("Hello", "1"), ("x" * 160, "1"), ("x" * 161, "2"), ("€" * 80, "1"),
                                            ("€" * 81, "2"), ("é" * 160, "1"), ("ą" * 70, "1"), ("ą" * 71, "2"),
                                            ("😀" * 35, "1"), ("😀" * 36, "2")])
def test_segments_gsm7_and_ucs2(emulator, clock, body, segments):
    service = service_with(emulator, "+15550000001")
    assert send(emulator, service, Body=body)["num_segments"] == segments


def test_a_service_without_senders_is_refused_with_21704(emulator, clock):
    service = create_service(emulator, "Empty")
    answer = emulator.call("POST", messages_url(emulator), data={"To": "+14155550100", "MessagingServiceSid": service, "Body": "x"})
    assert (answer.status_code, answer.json()["code"]) == (400, 21704)


@pytest.mark.parametrize("form, code", [
    ({"To": "12345", "Body": "x"}, 21211),
    ({"To": "+14155550100"}, 21602),
    ({"To": "+14155550100", "Body": "x", "ScheduleType": "fixed"}, 35111),
    ({"To": "+14155550100", "Body": "x", "ScheduleType": "fixed", "SendAt": "2020-01-01T00:00:00Z"}, 35114),
])
def test_refused_creates(emulator, clock, form, code):
    service = service_with(emulator, "+15550000001", campaign=False)
    answer = emulator.call("POST", messages_url(emulator), data={"MessagingServiceSid": service, **form})
    assert (answer.status_code, answer.json()["code"]) == (400, code)


def _iso(ts):
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def test_a_scheduled_message_waits_then_can_be_canceled(emulator, clock):
    service = service_with(emulator, "+15550000001")
    at = clock.now + 3600
    created = send(emulator, service, ScheduleType="fixed", SendAt=_iso(at))
    assert created["status"] == "scheduled"
    assert status_at(emulator, clock, created["sid"], at - 1)["status"] == "scheduled"
    canceled = emulator.call("POST", message_url(emulator, created["sid"]), data={"Status": "canceled"})
    assert (canceled.status_code, canceled.json()["status"]) == (200, "canceled")
    assert status_at(emulator, clock, created["sid"], at + 60)["status"] == "canceled"
    again = emulator.call("POST", message_url(emulator, created["sid"]), data={"Status": "canceled"})
    assert (again.status_code, again.json()["code"]) == (400, 30409)


def test_a_scheduled_message_is_sent_at_its_time(emulator, clock):
    service = service_with(emulator, "+15550000001")
    at = clock.now + 3600
    created = send(emulator, service, ScheduleType="fixed", SendAt=_iso(at))
    assert status_at(emulator, clock, created["sid"], at)["status"] == "accepted"
    assert status_at(emulator, clock, created["sid"], at + 5)["status"] == "delivered"


def test_list_filters_and_pages_newest_first(emulator, clock):
    service = service_with(emulator, "+15550000001", "+15550000002")
    sids = [send(emulator, service, to=f"+1415555010{i}")["sid"] for i in range(5)]
    clock.now += 60
    url = messages_url(emulator)
    page = emulator.call("GET", url, params={"PageSize": 2}).json()
    assert [m["sid"] for m in page["messages"]] == sids[::-1][:2]
    second = emulator.call("GET", page["next_page_uri"]).json()
    assert [m["sid"] for m in second["messages"]] == sids[::-1][2:4]
    only = emulator.call("GET", url, params={"To": "+14155550102"}).json()["messages"]
    assert [m["sid"] for m in only] == [sids[2]]
    import time

    today = time.strftime("%Y-%m-%d", time.gmtime(clock.now))
    assert len(emulator.call("GET", url, params={"DateSent": today}).json()["messages"]) == 5
    assert emulator.call("GET", url, params={"DateSent>": "2099-01-01"}).json()["messages"] == []
    assert len(emulator.call("GET", url, params={"From": "+15550000001"}).json()["messages"]) == 5


def test_sent_from_a_number_without_the_service(emulator, clock):
    answer = emulator.call("POST", messages_url(emulator), data={"To": "+447700900123", "From": "+15550000001", "Body": "x"})
    assert answer.status_code == 201
    assert (answer.json()["status"], answer.json()["messaging_service_sid"]) == ("queued", None)
    refused = emulator.call("POST", messages_url(emulator), data={"To": "+447700900123", "From": "+19999999999", "Body": "x"})
    assert refused.json()["code"] == 21606
