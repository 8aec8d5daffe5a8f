"""The tests' shared factories, one home each: API records as Twilio returns them, objects
made in the emulator over HTTP, and saved profiles. Constants (SIDs, tokens) stay in conftest."""
from __future__ import annotations

from conftest import ACCOUNT_SID, AUTH_TOKEN, BASIC_AUTH, SERVICE_SID, page

PN = "PN" + "1" * 32
E164 = "+15017122661"


def sender(sid: str, **fields) -> dict:
    """A sender attached to the service SERVICE_SID, as the API returns it."""
    return {
        "account_sid": ACCOUNT_SID,
        "service_sid": SERVICE_SID,
        "sid": sid,
        "date_created": "2015-07-30T20:12:31Z",
        "date_updated": "2015-07-30T20:12:33Z",
        "url": f"https://messaging.twilio.com/v1/Services/{SERVICE_SID}/X/{sid}",
        **fields,
    }


def number(sid: str = PN, e164: str = E164, **fields) -> dict:
    """A phone number attached to SERVICE_SID (SMS and MMS unless `capabilities` says otherwise)."""
    return sender(sid, **{"phone_number": e164, "country_code": "US", "capabilities": ["SMS", "MMS"], **fields})


def create_service(emu, name: str, **form) -> str:
    """Create a Messaging Service in the emulator; its SID."""
    answer = emu.call("POST", "/v1/Services", data={"FriendlyName": name, **form})
    assert answer.status_code == 201, answer.text
    return answer.json()["sid"]


def attach(emu, service: str, segment: str, **form) -> str:
    """Attach a sender in the emulator (segment: PhoneNumbers, ShortCodes, ...); its SID."""
    answer = emu.call("POST", f"/v1/Services/{service}/{segment}", data=form)
    assert answer.status_code == 201, answer.text
    return answer.json()["sid"]


def save_profile(base_url: str, name: str = "test", **settings) -> None:
    """Save the one profile `name`, active, with the test credentials, sending to base_url."""
    from msgsvc.local import config

    profile = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "base_url": base_url, **settings}
    config.write_config({"active": name, "profiles": {name: profile}})


def form_pairs(values: dict) -> list[tuple[str, str]]:
    """A form body as (name, value) pairs: a list value as one pair per item, None left out."""
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None:
            continue
        pairs.extend((key, v) for v in value) if isinstance(value, list) else pairs.append((key, value))
    return pairs


def expect_service_list(httpserver, *services: dict) -> None:
    """Answer, once, the listing of the account's services (one page of `services`) that
    `services create` reads before its POST, to refuse a friendly name already taken."""
    httpserver.expect_oneshot_request("/v1/Services", method="GET").respond_with_json(page("services", list(services)))


def assert_service_list(request, auth: str = BASIC_AUTH) -> None:
    """That request is the listing of every service (the first page of 1,000), exactly."""
    from corehelp import assert_request

    assert_request(request, "GET", "/v1/Services", query="PageSize=1000", auth=auth)


def assert_listed_then_created(httpserver, form: str, auth: str = BASIC_AUTH) -> None:
    """The requests `services create` sent: the listing of every service, then one POST of
    `form`, exactly."""
    from corehelp import assert_request, sent

    listing, request = sent(httpserver)
    assert_service_list(listing, auth=auth)
    assert_request(request, "POST", "/v1/Services", form=form, auth=auth)
