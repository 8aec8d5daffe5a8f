"""msgsvc messages failures: grouped by error code, country and sender with counts and three
sample SIDs, the messages from a service's numbers sent without it, the choice between one
account-wide DateSent listing and per-sender From listings by cost, with the requests counted
(200 senders and 5,000 messages against the emulator), and a hostile endless listing."""

from __future__ import annotations

import json
import time
from email.utils import format_datetime
from datetime import datetime, timezone

import pytest

from conftest import ACCOUNT_SID, SERVICE_SID
from emulator_helpers import checked_emulator
from factories import attach, create_service

SPAN = 3500.0  # seconds the messages are spread over, ending a minute ago


@pytest.fixture
def big(monkeypatch):
    """An emulator whose account has 250 numbers (200 of them can send SMS)."""
    for emu in checked_emulator(numbers=250):
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", emu.account_sid)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", emu.auth_token)
        monkeypatch.setenv("MSGSVC_BASE_URL", emu.base_url)
        emu.store.a2p_review = 0
        yield emu


def service_of(emu, name: str, count: int) -> tuple[str, list[str]]:
    """A registered service with the first `count` SMS-capable numbers not in a service yet."""
    sid = create_service(emu, name)
    free = [r for r in emu.store.data["numbers"].values() if r["capabilities"]["sms"] and r["service_sid"] is None]
    numbers = []
    for record in free[:count]:
        attach(emu, sid, "PhoneNumbers", PhoneNumberSid=record["sid"])
        numbers.append(record["phone_number"])
    assert len(numbers) == count
    emu.register_campaign(sid)
    return sid, numbers


def spread(emu, forms: list[dict]) -> list[dict]:
    """Create the messages in the store, one after the other over SPAN seconds ending a
    minute ago; then the store's clock is the real one again (every message has settled)."""
    from msgsvc.emulator import messages

    start = time.time() - 60 - SPAN
    created = []
    for i, form in enumerate(forms):
        emu.store.clock = lambda t=start + i * SPAN / len(forms): t
        created.append(messages.create(emu.store, form))
    emu.store.clock = time.time
    return created


def pool_traffic(service: str, numbers: list[str]) -> list[dict]:
    """5,000 messages: every 10th to a number that filters (30007), every 25th + 1 to one that
    opted out (21610), every 100th + 99 from the service's second number without the service."""
    forms = []
    for i in range(5000):
        if i % 100 == 99:
            forms.append({"To": "+447700900123", "From": numbers[1], "Body": "direct"})
        elif i % 10 == 0:
            forms.append({"To": "+15005550070", "MessagingServiceSid": service, "Body": "filtered"})
        elif i % 25 == 1:
            forms.append({"To": "+15005550004", "MessagingServiceSid": service, "Body": "opted out"})
        else:
            forms.append({"To": f"+1415555{i % 10000:04d}", "MessagingServiceSid": service, "Body": "fine"})
    return forms


def newest(created: list[dict], to: str, n: int = 3) -> list[str]:
    return [m["sid"] for m in sorted(created, key=lambda m: -m["seq"]) if m["to"] == to][:n]


def test_200_senders_and_5000_messages_one_account_wide_listing(msgsvc, big):
    service, numbers = service_of(big, "Pool", 200)
    created = spread(big, pool_traffic(service, numbers))
    first = next(m["from"] for m in created if m["to"] == "+15005550070")
    big.records.clear()
    result = msgsvc("messages", "failures", "Pool", "--since", "2h", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["failures"] == [
        {"service": service, "error_code": 30007, "country": "US", "from": first, "count": 500,
         "samples": ",".join(newest(created, "+15005550070"))},
        {"service": service, "error_code": 21610, "country": "US", "from": first, "count": 200,
         "samples": ",".join(newest(created, "+15005550004"))},
    ]
    assert report["without_service"] == [
        {"service": service, "error_code": None, "country": "GB", "from": numbers[1], "count": 50,
         "samples": ",".join(newest(created, "+447700900123"))},
    ]
    # The requests, bounded: the service by name (1), its phone numbers, short codes and alpha
    # senders (1 page each, 200 numbers at 1,000 a page), and 5 pages of 1,000 messages: the
    # first page's rate (1,000 in ~12 minutes) puts the 2 hours at 10 pages, fewer than 200
    # per-sender listings.
    operations = [r["operation"] for r in big.records]
    assert operations == ["ListService", "ListPhoneNumber", "ListShortCode", "ListAlphaSender"] + ["ListMessage"] * 5
    assert report["read"] == {"strategy": "account-wide", "requests": 5, "messages": 5000, "senders": 200}
    assert result.err == ""  # --json: the warning is in the document


def test_a_quiet_service_in_a_busy_account_is_read_per_sender(msgsvc, big):
    busy, _ = service_of(big, "Busy", 5)
    small, numbers = service_of(big, "Small", 3)
    forms = [{"To": f"+1415555{i:04d}", "MessagingServiceSid": busy, "Body": "busy"} for i in range(4980)]
    for i in range(20):  # every 250th message is the small service's; every other one filtered
        forms.insert(i * 250, {"To": "+15005550070" if i % 2 else "+14155550000", "MessagingServiceSid": small, "Body": "small"})
    created = spread(big, forms)
    big.records.clear()
    result = msgsvc("messages", "failures", "Small", "--since", "2h")
    assert result.code == 0, result.err
    sender = next(m["from"] for m in created if m["to"] == "+15005550070")
    assert result.out == f"{small}\t30007\tUS\t{sender}\t10\t{','.join(newest(created, '+15005550070'))}\n"
    # Two pages of the account's messages (the second is how msgsvc learns there is more),
    # then one listing per sender, each a page: 5 requests instead of 5 + 3.
    listed = [r for r in big.records if r["operation"] == "ListMessage"]
    assert len(listed) == 5
    assert result.err == ("10 failed or undelivered in 20 messages sent in the last 2h; read in 5 requests: "
                          "one listing per sender (3), cheaper than the account's messages at their rate\n")


def test_a_terminal_shows_a_table_and_the_warning(msgsvc, big):
    service, numbers = service_of(big, "Pool", 2)
    spread(big, [{"To": "+15005550070", "MessagingServiceSid": service, "Body": "x"},
                 {"To": "+447700900123", "From": numbers[1], "Body": "direct"}])
    result = msgsvc("messages", "failures", "Pool", "--since", "2h", tty=True)
    assert result.code == 0, result.err
    header, row = [line.rstrip() for line in result.out.splitlines()]
    assert header.split() == ["SERVICE", "CODE", "COUNTRY", "FROM", "COUNT", "SAMPLES"]
    assert row.split()[:5] == [service, "30007", "US", numbers[0], "1"]
    sm = next(iter(big.store.data["messages"].values()))
    direct = [m["sid"] for m in big.store.data["messages"].values() if m["service_sid"] is None]
    assert result.err.splitlines()[0] == (
        f"msgsvc: warning: 1 message from {numbers[1]} of {service} went out without the service "
        f"(From, not MessagingServiceSid: unregistered traffic), e.g. {direct[0]}")
    assert sm["to"] == "+15005550070"


def test_an_endless_listing_is_stopped(msgsvc, profile, httpserver):
    from werkzeug import Response

    from conftest import page, service

    from factories import number

    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers").respond_with_json(page("phone_numbers", [number()]))
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/ShortCodes").respond_with_json(page("short_codes", []))
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/AlphaSenders").respond_with_json(page("alpha_senders", []))
    now = format_datetime(datetime.now(timezone.utc), usegmt=True).replace("GMT", "+0000")
    calls = []

    def endless(request):
        calls.append(request)
        n = len(calls)
        body = {"messages": [{"sid": "SM%032x" % n, "date_sent": now, "status": "failed", "error_code": 30034,
                              "messaging_service_sid": SERVICE_SID, "from": "+15550000001", "to": "+14155550100",
                              "direction": "outbound-api"}],
                "next_page_uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json?PageSize=1000&Page={n}&PageToken=PA{n}",
                "page": n - 1, "page_size": 1000, "uri": request.full_path, "first_page_uri": None, "previous_page_uri": None,
                "start": 0, "end": 0}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json").respond_with_handler(endless)
    result = msgsvc("messages", "failures", SERVICE_SID, "--since", "1h")
    assert (result.code, result.out) == (1, "")
    assert result.err == ("msgsvc: stopped after reading 500 pages of messages (500,000 messages) without reaching "
                          "the start of the window\nhint: give a shorter --since\n")
    assert len(calls) == 500  # two pages of the account's, then its one sender's listing, until the bound
    assert calls[2].args.get("From") == "+15017122661"
