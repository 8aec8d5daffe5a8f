"""Twilio's official Python library, pointed at the emulator, works as against Twilio: the proof
that the emulator's paths, shapes, paging and errors are the real API's."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from emulator_helpers import EMU_ACCOUNT, EMU_TOKEN

twilio = pytest.importorskip("twilio", reason="the official twilio library is in the test extra")

from twilio.base.exceptions import TwilioException, TwilioRestException  # noqa: E402
from twilio.http.http_client import TwilioHttpClient  # noqa: E402
from twilio.rest import Client  # noqa: E402

TWILIO_HOSTS = {"messaging.twilio.com", "api.twilio.com"}


class EmulatorHttpClient(TwilioHttpClient):
    """Sends what twilio-python addresses to Twilio's hosts to the emulator instead, keeping
    path and query; any other host is a test failure, so nothing can reach Twilio."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=10)
        self.base = urlsplit(base_url)
        self.sent: list[tuple[str, str]] = []

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False):
        parts = urlsplit(url)
        assert parts.netloc in TWILIO_HOSTS | {self.base.netloc}, f"twilio-python tried to reach {parts.netloc}"
        url = parts._replace(scheme=self.base.scheme, netloc=self.base.netloc).geturl()
        self.sent.append((method, url))
        return super().request(method, url, params, data, headers, auth, timeout, allow_redirects)


def library_client(emulator):
    http = EmulatorHttpClient(emulator.base_url)
    yield Client(EMU_ACCOUNT, EMU_TOKEN, http_client=http)
    assert all(urlsplit(url).netloc == http.base.netloc for _, url in http.sent)


@pytest.fixture
def client(emulator):
    yield from library_client(emulator)


@pytest.fixture
def small_pool_client(small_pool):
    """twilio-python against an emulator whose services hold at most 3 numbers and short codes."""
    yield from library_client(small_pool)


def raised(call) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as caught:
        call()
    return caught.value


def test_services_create_fetch_list_across_pages_update_delete(client, emulator):
    services = client.messaging.v1.services
    created = [services.create(friendly_name=f"Lib {i}", usecase="notifications", sticky_sender=False) for i in range(5)]
    assert created[0].friendly_name == "Lib 0" and created[0].sticky_sender is False
    assert created[0].account_sid == EMU_ACCOUNT and created[0].date_created is not None

    fetched = services(created[0].sid).fetch()
    assert (fetched.sid, fetched.friendly_name, fetched.usecase) == (created[0].sid, "Lib 0", "notifications")

    listed = services.list(page_size=2)  # three pages, followed through meta.next_page_url
    assert [s.sid for s in listed] == [s.sid for s in created]
    assert len([r for r in emulator.records if r["operation"] == "ListService"]) == 3
    assert [s.sid for s in services.list(limit=3, page_size=2)] == [s.sid for s in created[:3]]
    page = services.page(page_size=2)
    assert [s.sid for s in page.next_page().next_page()] == [created[4].sid]

    updated = services(created[1].sid).update(friendly_name="Renamed", validity_period=600, inbound_method="GET")
    assert (updated.friendly_name, updated.validity_period, updated.inbound_method) == ("Renamed", 600, "GET")
    assert services(created[1].sid).update().friendly_name == "Renamed"  # an empty update

    assert services(created[2].sid).delete() is True
    assert [s.sid for s in services.list()] == [s.sid for s in created if s.sid != created[2].sid]


def test_phone_numbers_attach_list_fetch_detach(client):
    service = client.messaging.v1.services.create(friendly_name="Numbers")
    incoming = client.incoming_phone_numbers.list(phone_number="+15550000002")
    assert [n.phone_number for n in incoming] == ["+15550000002"]
    assert incoming[0].capabilities == {"voice": True, "sms": True, "mms": True, "fax": False}
    everything = client.incoming_phone_numbers.list(page_size=7)  # relative next_page_uri
    assert len(everything) == 33  # and 3 toll-free numbers

    numbers = client.messaging.v1.services(service.sid).phone_numbers
    attached = numbers.create(phone_number_sid=incoming[0].sid)
    assert (attached.sid, attached.service_sid, attached.phone_number) == (incoming[0].sid, service.sid, "+15550000002")
    assert attached.capabilities == ["MMS", "SMS", "Voice"]
    second = client.incoming_phone_numbers.list(phone_number="+15550000003")[0]
    numbers.create(phone_number_sid=second.sid)
    assert [n.phone_number for n in numbers.list(page_size=1)] == ["+15550000002", "+15550000003"]
    assert numbers(attached.sid).fetch().phone_number == "+15550000002"
    assert numbers(attached.sid).delete() is True
    assert [n.phone_number for n in numbers.list()] == ["+15550000003"]


def test_unknown_sid_raises_twilio_rest_exception_20404(client):
    unknown = "MG" + "0" * 32
    with pytest.raises(TwilioRestException) as caught:
        client.messaging.v1.services(unknown).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)
    assert caught.value.msg == f"Unable to fetch record: The requested resource /Services/{unknown} was not found"
    with pytest.raises(TwilioRestException) as caught:
        client.messaging.v1.services(unknown).phone_numbers.create(phone_number_sid="PN" + "0" * 32)
    assert caught.value.code == 20404


def test_sender_errors_reach_the_library_with_their_codes(client):
    one = client.messaging.v1.services.create(friendly_name="One")
    two = client.messaging.v1.services.create(friendly_name="Two")
    number = client.incoming_phone_numbers.list(phone_number="+15550000001")[0]
    client.messaging.v1.services(one.sid).phone_numbers.create(phone_number_sid=number.sid)
    with pytest.raises(TwilioRestException) as caught:
        client.messaging.v1.services(two.sid).phone_numbers.create(phone_number_sid=number.sid)
    assert (caught.value.status, caught.value.code) == (409, 21712)
    voice_only = client.incoming_phone_numbers.list(phone_number="+15550000005")[0]
    with pytest.raises(TwilioRestException) as caught:
        client.messaging.v1.services(two.sid).phone_numbers.create(phone_number_sid=voice_only.sid)
    assert caught.value.code == 21715


def test_bad_credentials_raise_20003(emulator):
    client = Client(EMU_ACCOUNT, "not-the-token", http_client=EmulatorHttpClient(emulator.base_url))
    with pytest.raises(TwilioRestException) as caught:
        client.messaging.v1.services.create(friendly_name="Refused")
    assert (caught.value.status, caught.value.code) == (401, 20003)


def test_api_key_credentials_work(emulator):
    key, secret = emulator.store.api_key
    client = Client(key, secret, EMU_ACCOUNT, http_client=EmulatorHttpClient(emulator.base_url))
    assert client.messaging.v1.services.create(friendly_name="With a key").friendly_name == "With a key"
    assert len(client.incoming_phone_numbers.list(phone_number="+1555000001*")) == 10


def test_every_sender_kind_attach_list_across_pages_fetch_detach(client, emulator):
    service = client.messaging.v1.services(client.messaging.v1.services.create(friendly_name="Kinds").sid)
    short_codes, channels = emulator.sids("short_codes"), emulator.sids("channel_senders")
    created = {
        "short_codes": [service.short_codes.create(short_code_sid=sid) for sid in short_codes],
        "channel_senders": [service.channel_senders.create(sid=sid) for sid in channels],
        "alpha_senders": [service.alpha_senders.create(alpha_sender="Acme")],
        "destination_alpha_senders": [service.destination_alpha_senders.create(alpha_sender=name, iso_country_code=country)
                                      for name, country in (("AcmeFR", "FR"), ("AcmeDE", "DE"))],
    }
    assert [c.short_code for c in created["short_codes"]] == ["55501", "55502", "55503"]
    assert created["short_codes"][0].capabilities == ["SMS", "MMS"]
    assert [c.sender_type for c in created["channel_senders"]] == ["WhatsApp", "Messenger", "RCS"]
    assert created["channel_senders"][0].messaging_service_sid == service._solution["sid"]
    assert created["alpha_senders"][0].alpha_sender == "Acme" and created["alpha_senders"][0].sid.startswith("AI")
    assert [c.iso_country_code for c in created["destination_alpha_senders"]] == ["FR", "DE"]
    for name, records in created.items():
        resource = getattr(service, name)
        assert [r.sid for r in resource.list(page_size=1)] == [r.sid for r in records], name  # page by page
        assert resource(records[0].sid).fetch().sid == records[0].sid
        assert resource(records[0].sid).delete() is True
        assert [r.sid for r in resource.list()] == [r.sid for r in records[1:]]
    german = service.destination_alpha_senders.list(iso_country_code="DE")
    assert [r.alpha_sender for r in german] == ["AcmeDE"]


def test_a_single_incoming_phone_number_and_its_errors(client):
    listed = client.incoming_phone_numbers.list(phone_number="+15550000003")[0]
    fetched = client.incoming_phone_numbers(listed.sid).fetch()
    assert (fetched.sid, fetched.phone_number, fetched.capabilities) == (listed.sid, "+15550000003", listed.capabilities)
    unknown = "PN" + "0" * 32
    error = raised(client.incoming_phone_numbers(unknown).fetch)
    assert (error.status, error.code) == (404, 20404)
    error = raised(lambda: client.incoming_phone_numbers(listed.sid).update(friendly_name="Renamed"))
    assert (error.status, error.code) == (501, 20501)  # Twilio serves it; the emulator says it does not


def test_page_number_without_a_token_is_client_state_only(client):
    services = client.messaging.v1.services
    sids = [services.create(friendly_name=f"P{i}").sid for i in range(5)]
    third = services.page(page_size=2, page_number=2)  # Page=2 and no PageToken
    assert [s.sid for s in third] == sids[:2]
    assert [s.sid for s in third.next_page()] == sids[2:4]  # the API's next_page_url works


def test_409_412_and_the_dictionary_codes_reach_the_library(small_pool_client, small_pool):
    client = small_pool_client
    one = client.messaging.v1.services(client.messaging.v1.services.create(friendly_name="One").sid)
    two = client.messaging.v1.services(client.messaging.v1.services.create(friendly_name="Two").sid)
    numbers = [client.incoming_phone_numbers.list(phone_number=f"+1555000000{i}")[0].sid for i in (1, 2, 3, 4)]
    for sid in numbers[:3]:
        one.phone_numbers.create(phone_number_sid=sid)
    assert (e := raised(lambda: one.phone_numbers.create(phone_number_sid=numbers[0]))).status == 409 and e.code == 21710
    assert (e := raised(lambda: two.phone_numbers.create(phone_number_sid=numbers[0]))).status == 409 and e.code == 21712
    e = raised(lambda: one.phone_numbers.create(phone_number_sid=numbers[3]))
    assert (e.status, e.code) == (412, 21714)
    assert e.msg == f"Unable to create record: Number Pool size limit reached: the Messaging Service {one._solution['sid']} " \
                    "already holds 3 phone numbers and short codes"
    e = raised(lambda: one.short_codes.create(short_code_sid=small_pool.sids("short_codes")[0]))
    assert (e.status, e.code) == (412, 21714)
    assert (e := raised(lambda: client.messaging.v1.services.create(friendly_name="X", usecase="spam"))).code == 21713
    assert (e := raised(lambda: one.alpha_senders.create(alpha_sender="12345"))).code == 21709 and e.status == 400
    brand = client.messaging.v1.brand_registrations.list()[0].sid
    with pytest.raises(TwilioException) as caught:  # a list page that is not a 200: the library's own exception
        client.messaging.v1.brand_registrations(brand).brand_vettings.list()
    assert caught.value.args[0] == "Unable to fetch page" and '"code": 20501' in str(caught.value.args[1])
    assert f"BrandRegistrations/{brand}/Vettings is not emulated" in str(caught.value.args[1])


def test_unauthenticated_401_carries_twilios_detail(emulator):
    http = EmulatorHttpClient(emulator.base_url)
    response = http.request("GET", emulator.base_url + "/v1/Services")
    assert response.status_code == 401
    assert json.loads(response.text) == {
        "code": 20003, "detail": "Your AccountSid or AuthToken was incorrect.",
        "message": "Authentication Error - No credentials provided",
        "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401,
    }


# --- US A2P 10DLC ---------------------------------------------------------------------------

A2P_TEXT = {
    "description": "Send order and delivery updates to customers who opted in.",
    "message_flow": "Customers opt in at checkout on example.com by ticking an unticked box.",
    "message_samples": ["Your order 1234 has shipped.", "Your order 1234 was delivered today."],
}


def test_brands_and_use_cases_through_the_library(client):
    brands = client.messaging.v1.brand_registrations.list()
    assert [(b.status, b.brand_type) for b in brands] == [("APPROVED", "STANDARD"), ("APPROVED", "SOLE_PROPRIETOR"), ("FAILED", "STANDARD")]
    failed = client.messaging.v1.brand_registrations(brands[2].sid).fetch()
    assert failed.failure_reason.startswith("Registration error") and failed.errors[0]["error_code"] == 30701
    service = client.messaging.v1.services.create(friendly_name="A2P")
    usecases = client.messaging.v1.services(service.sid).us_app_to_person_usecases.fetch(brand_registration_sid=brands[1].sid)
    assert [u["code"] for u in usecases.us_app_to_person_usecases] == ["SOLE_PROPRIETOR"]
    assert [u["usecase"] for u in client.messaging.v1.usecases.fetch().usecases][:2] == ["notifications", "marketing"]


def test_campaign_create_list_fetch_update_delete_through_the_library(client, emulator):
    emulator.store.a2p_review = 0
    brand = client.messaging.v1.brand_registrations.list()[0].sid
    service = client.messaging.v1.services.create(friendly_name="A2P")
    campaigns = client.messaging.v1.services(service.sid).us_app_to_person
    created = campaigns.create(
        brand_registration_sid=brand, us_app_to_person_usecase="MARKETING", has_embedded_links=True,
        has_embedded_phone=False, opt_in_keywords=["START", "YES"], age_gated=False, **{**A2P_TEXT, "description": A2P_TEXT["description"] + " REJECT"},
    )
    assert (created.campaign_status, created.message_samples, created.opt_in_keywords) == ("PENDING", A2P_TEXT["message_samples"], ["START", "YES"])
    assert client.messaging.v1.services(service.sid).fetch().us_app_to_person_registered is True
    assert [c.sid for c in campaigns.list()] == [created.sid]
    failed = campaigns(created.sid).fetch()
    assert failed.campaign_status == "FAILED" and failed.errors[0]["fields"] == ["DESCRIPTION"]
    updated = campaigns(created.sid).update(
        has_embedded_links=True, has_embedded_phone=False, age_gated=False, direct_lending=False, **A2P_TEXT)
    assert (updated.campaign_status, updated.errors) == ("PENDING", [])
    assert campaigns(created.sid).fetch().campaign_status == "VERIFIED"
    with pytest.raises(TwilioRestException) as caught:
        campaigns.create(brand_registration_sid=brand, us_app_to_person_usecase="MARKETING", has_embedded_links=True, has_embedded_phone=False, **A2P_TEXT)
    assert (caught.value.status, caught.value.code) == (400, 20001)
    assert campaigns(created.sid).delete() is True
    assert client.messaging.v1.services(service.sid).fetch().us_app_to_person_registered is False
