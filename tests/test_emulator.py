"""The emulator's API, over HTTP against an in-process server: statuses, shapes, paging, errors,
concurrency, the state file. Every answer is also checked against Twilio's OpenAPI definition
by the `emulator` fixture (tests/emulator_helpers.py)."""

from __future__ import annotations

import json
import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from emulator_helpers import EMU_ACCOUNT, EMU_TOKEN, SPEC_DIR, check_records, spec_checker, start_emulator, stop_emulator

MG_UNKNOWN = "MG" + "0" * 32
NOT_EMULATED = ("{} is not emulated: this part of Twilio's API is not served by msgsvc emulator (this is not a "
                "missing resource; 'msgsvc emulator --help' says what it serves)")


def error(code: int, message: str, status: int, detail: str | None = None) -> dict:
    body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
    return body if detail is None else {**body, "detail": detail}


def create_service(emu, name="Alerts", **form) -> dict:
    response = emu.call("POST", "/v1/Services", data={"FriendlyName": name, **form})
    assert response.status_code == 201, response.text
    return response.json()


def attach(emu, service_sid: str, number: str):
    return emu.call("POST", f"/v1/Services/{service_sid}/PhoneNumbers", data={"PhoneNumberSid": emu.number(number)["sid"]})


ALL_OPERATIONS = {
    f"{verb}{name}"
    for name in ("Service", "PhoneNumber", "ShortCode", "AlphaSender", "ChannelSender", "DestinationAlphaSender")
    for verb in ("Create", "Fetch", "List", "Delete")
} | {"UpdateService", "ListIncomingPhoneNumber", "FetchIncomingPhoneNumber"}


def test_every_operation_answers_with_its_status_and_shape(emulator):
    emu = emulator
    service = create_service(emu, "Alerts", Usecase="notifications", StickySender="false", ValidityPeriod="600")
    sid = service["sid"]
    base = f"{emu.base_url}/v1/Services/{sid}"
    assert service["friendly_name"] == "Alerts" and service["usecase"] == "notifications"
    assert service["sticky_sender"] is False and service["validity_period"] == 600
    assert service["account_sid"] == EMU_ACCOUNT and service["url"] == base
    assert service["links"] == {
        "phone_numbers": f"{base}/PhoneNumbers", "short_codes": f"{base}/ShortCodes",
        "alpha_senders": f"{base}/AlphaSenders", "messages": f"{base}/Messages",
        "us_app_to_person": f"{base}/Compliance/Usa2p", "us_app_to_person_usecases": f"{base}/Compliance/Usa2p/Usecases",
        "channel_senders": f"{base}/ChannelSenders", "destination_alpha_senders": f"{base}/DestinationAlphaSenders",
    }
    assert emu.call("GET", f"/v1/Services/{sid}").json() == service
    updated = emu.call("POST", f"/v1/Services/{sid}", data={"InboundRequestUrl": "https://example.com/in", "InboundMethod": "GET"})
    assert updated.status_code == 200
    assert updated.json()["inbound_request_url"] == "https://example.com/in" and updated.json()["inbound_method"] == "GET"
    assert emu.call("POST", f"/v1/Services/{sid}", data={"InboundRequestUrl": ""}).json()["inbound_request_url"] is None
    assert emu.call("POST", f"/v1/Services/{sid}").status_code == 200  # an empty update is valid
    assert emu.call("GET", "/v1/Services").json()["services"][0]["sid"] == sid

    pn, sc, xe = emu.number("+15550000001")["sid"], emu.sids("short_codes")[0], emu.sids("channel_senders")[0]
    created = {}
    for segment, form in (
        ("PhoneNumbers", {"PhoneNumberSid": pn}),
        ("ShortCodes", {"ShortCodeSid": sc}),
        ("ChannelSenders", {"Sid": xe}),
        ("AlphaSenders", {"AlphaSender": "Acme"}),
        ("DestinationAlphaSenders", {"AlphaSender": "AcmeFR", "IsoCountryCode": "FR"}),
    ):
        response = emu.call("POST", f"/v1/Services/{sid}/{segment}", data=form)
        assert response.status_code == 201, (segment, response.text)
        created[segment] = response.json()
        assert created[segment]["url"] == f"{base}/{segment}/{created[segment]['sid']}"
    assert created["PhoneNumbers"]["phone_number"] == "+15550000001"
    assert created["PhoneNumbers"]["capabilities"] == ["MMS", "SMS", "Voice"]
    assert created["ChannelSenders"]["messaging_service_sid"] == sid and created["ChannelSenders"]["sid"] == xe
    assert created["DestinationAlphaSenders"]["iso_country_code"] == "FR"
    for segment, key in (("PhoneNumbers", "phone_numbers"), ("ShortCodes", "short_codes"), ("ChannelSenders", "senders"),
                         ("AlphaSenders", "alpha_senders"), ("DestinationAlphaSenders", "alpha_senders")):
        listing = emu.call("GET", f"/v1/Services/{sid}/{segment}").json()
        assert listing[key] == [created[segment]] and listing["meta"]["key"] == key
        one = emu.call("GET", f"/v1/Services/{sid}/{segment}/{created[segment]['sid']}")
        assert one.status_code == 200 and one.json() == created[segment]
        gone = emu.call("DELETE", f"/v1/Services/{sid}/{segment}/{created[segment]['sid']}")
        assert (gone.status_code, gone.content) == (204, b"")
        assert emu.call("GET", f"/v1/Services/{sid}/{segment}/{created[segment]['sid']}").status_code == 404
    assert emu.call("GET", emu.incoming(), params={"PhoneNumber": "+15550000001"}).status_code == 200
    assert emu.call("GET", emu.incoming_one(pn)).json()["phone_number"] == "+15550000001"
    deleted = emu.call("DELETE", f"/v1/Services/{sid}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert emu.operations == ALL_OPERATIONS


def test_answers_match_the_openapi_definition():
    """The check the `emulator` fixture applies, shown to fail on a wrong answer."""
    checker = spec_checker()
    emu = start_emulator(numbers=3)
    try:
        create_service(emu, "Checked")
    finally:
        stop_emulator(emu)
    check_records(emu.records)
    good = emu.records[0]["body"]
    assert checker.problems("CreateService", 201, good) == []
    assert checker.problems("CreateService", 201, {**good, "extra": 1}) != []
    assert checker.problems("CreateService", 201, {k: v for k, v in good.items() if k != "usecase"}) != []
    assert checker.problems("CreateService", 201, {**good, "date_created": "Thu, 30 Jul 2015 23:19:04 +0000"}) != []
    assert checker.problems("CreateService", 200, good) == ["CreateService has no 200 response in the OpenAPI definition"]
    assert checker.problems(None, 404, error(20404, "x", 404)) == []
    assert checker.problems(None, 404, {"message": "x"}) != []


def test_messaging_lists_page_with_absolute_urls_from_the_host_used(emulator):
    emu = emulator
    sids = [create_service(emu, f"S{i}")["sid"] for i in range(5)]
    first = emu.call("GET", "/v1/Services", params={"PageSize": 2}).json()
    meta = first["meta"]
    assert [s["sid"] for s in first["services"]] == sids[:2]
    assert meta["page"] == 0 and meta["page_size"] == 2 and meta["key"] == "services"
    assert meta["first_page_url"] == f"{emu.base_url}/v1/Services?PageSize=2&Page=0"
    assert meta["url"] == meta["first_page_url"] and meta["previous_page_url"] is None
    seen, url, pages = [], meta["first_page_url"], []
    while url:
        page = emu.http.get(url, timeout=10).json()
        pages.append(page["meta"])
        seen += [s["sid"] for s in page["services"]]
        url = page["meta"]["next_page_url"]
    assert seen == sids and [p["page"] for p in pages] == [0, 1, 2]
    assert parse_qs(urlsplit(pages[1]["url"]).query)["PageToken"] == [re.search(r"PageToken=(\w+)", pages[0]["next_page_url"]).group(1)]
    back = emu.http.get(pages[2]["previous_page_url"], timeout=10).json()
    assert [s["sid"] for s in back["services"]] == sids[2:4] and back["meta"]["page"] == 1
    # The host the client used, not the one the server bound.
    other = emu.call("GET", "/v1/Services", params={"PageSize": 2}, headers={"Host": "localhost:1234"}).json()
    assert other["meta"]["next_page_url"].startswith("http://localhost:1234/v1/Services?PageSize=2&Page=1&PageToken=")
    assert other["services"][0]["url"] == f"http://localhost:1234/v1/Services/{sids[0]}"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"PageSize": "1001"}, error(20007, "Page size too large: the maximum page size is 1000", 400)),
        ({"PageSize": "0"}, error(20001, "PageSize must be between 1 and 1000: 0", 400)),
        ({"PageSize": "many"}, error(20001, "PageSize must be an integer: 'many'", 400)),
        ({"Page": "-1"}, error(20001, "Page must not be negative: -1", 400)),
        ({"PageToken": "bogus"}, error(21481, "Invalid PageToken: bogus", 400)),
    ],
)
def test_bad_paging_parameters_are_refused(emulator, params, expected):
    response = emulator.call("GET", "/v1/Services", params=params)
    assert (response.status_code, response.json()) == (400, expected)


def test_page_size_1000_is_allowed(emulator):
    assert emulator.call("GET", emulator.incoming(), params={"PageSize": 1000}).json()["page_size"] == 1000


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "body"),
    [
        ("GET", f"/v1/Services/{MG_UNKNOWN}", None, 404, error(20404, f"The requested resource /Services/{MG_UNKNOWN} was not found", 404)),
        ("DELETE", f"/v1/Services/{MG_UNKNOWN}", None, 404, error(20404, f"The requested resource /Services/{MG_UNKNOWN} was not found", 404)),
        ("POST", f"/v1/Services/{MG_UNKNOWN}", {"FriendlyName": "x"}, 404, error(20404, f"The requested resource /Services/{MG_UNKNOWN} was not found", 404)),
        ("GET", "/v1/Services/Alerts", None, 404, error(20404, "The requested resource /Services/Alerts was not found", 404)),
        ("GET", f"/v1/Services/{MG_UNKNOWN}/PhoneNumbers", None, 404, error(20404, f"The requested resource /Services/{MG_UNKNOWN}/PhoneNumbers was not found", 404)),
        ("POST", f"/v1/Services/{MG_UNKNOWN}/ShortCodes", {"ShortCodeSid": "SC" + "0" * 32}, 404,
         error(20404, f"The requested resource /Services/{MG_UNKNOWN}/ShortCodes was not found", 404)),
        ("GET", "/v1/Nope", None, 501, error(20501, NOT_EMULATED.format("GET /v1/Nope"), 501)),
        # the API version twice (a base URL ending in /v1) is no path of Twilio's: its 404
        ("GET", "/v1/v1/Services", None, 404, error(20404, "The requested resource /v1/Services was not found", 404)),
        ("POST", "/v1/2010-04-01/Accounts", {}, 404, error(20404, "The requested resource /2010-04-01/Accounts was not found", 404)),
        ("PUT", "/v1/Services", None, 405, error(20004, "Method not allowed: PUT /v1/Services", 405)),
        ("POST", "/v1/Services", {}, 400, error(20001, "Missing required parameter FriendlyName in the post body", 400)),
        ("POST", "/v1/Services", {"FriendlyName": "x" * 65}, 400, error(20001, "FriendlyName is 65 characters long; the limit is 64", 400)),
        ("POST", "/v1/Services", {"FriendlyName": "x", "InboundMethod": "PUT"}, 400, error(20001, "InboundMethod must be one of GET, POST", 400)),
        ("POST", "/v1/Services", {"FriendlyName": "x", "ScanMessageContent": "maybe"}, 400, error(20001, "ScanMessageContent must be one of inherit, enable, disable", 400)),
        ("POST", "/v1/Services", {"FriendlyName": "x", "StickySender": "yes"}, 400, error(20001, "StickySender must be true or false", 400)),
        ("POST", "/v1/Services", {"FriendlyName": "x", "ValidityPeriod": "0"}, 400, error(20001, "ValidityPeriod must be between 1 and 36000", 400)),
        ("POST", "/v1/Services", {"FriendlyName": "x", "StatusCallback": "ftp://x"}, 400, error(20001, "StatusCallback is not a valid URL: ftp://x", 400)),
        ("POST", "/v1/Services", {"FriendlyName": "x", "Usecase": "spam"}, 400, error(21713, "Usecase must be one of notifications, marketing, verification, discussion, poll, undeclared", 400)),
    ],
)
def test_errors_are_twilio_error_bodies(emulator, method, path, data, status, body):
    response = emulator.call(method, path, data=data)
    assert (response.status_code, response.json()) == (status, body)
    assert emulator.store.list_services() == []  # nothing was created


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Authorization": requests.auth._basic_auth_str(EMU_ACCOUNT, "wrong")}, "Authenticate"),
        ({"Authorization": requests.auth._basic_auth_str("AC" + "f" * 32, EMU_TOKEN)}, "Authentication Error - invalid username"),
        ({"Authorization": "Basic not-base64!"}, "Authentication Error - invalid credentials"),
        ({}, "Authentication Error - No credentials provided"),
    ],
)
def test_bad_credentials_are_refused_with_20003_saying_what_was_wrong(emulator, headers, message):
    response = requests.get(emulator.base_url + "/v1/Services", headers=headers, timeout=10)
    assert (response.status_code, response.json()) == (401, error(20003, message, 401, "Your AccountSid or AuthToken was incorrect."))
    assert list(response.json()) == ["code", "detail", "message", "more_info", "status"]  # Twilio's order
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'


def test_the_seeded_api_key_is_accepted(emulator):
    key, secret = emulator.store.api_key
    assert re.fullmatch(r"SK[0-9a-f]{32}", key)
    response = emulator.http.get(emulator.base_url + "/v1/Services", auth=(key, secret), timeout=10)
    assert response.status_code == 200
    assert emulator.http.get(emulator.base_url + "/v1/Services", auth=(key, EMU_TOKEN), timeout=10).status_code == 401


def test_sender_rules_21712_21710_21715_21421(emulator):
    emu = emulator
    one, two = create_service(emu, "One")["sid"], create_service(emu, "Two")["sid"]
    pn1 = emu.number("+15550000001")["sid"]
    assert attach(emu, one, "+15550000001").status_code == 201
    again = attach(emu, one, "+15550000001")
    assert (again.status_code, again.json()) == (409, error(21710, f"Phone Number {pn1} is already in the Messaging Service {one}", 409))
    elsewhere = attach(emu, two, "+15550000001")
    assert (elsewhere.status_code, elsewhere.json()) == (409, error(
        21712, f"Phone Number {pn1} is already associated with another Messaging Service ({one}); a sender can belong to only one", 409))
    pn5 = emu.number("+15550000005")["sid"]
    assert attach(emu, two, "+15550000005").json() == error(
        21715, f"Phone Number +15550000005 ({pn5}) has no SMS or MMS capability and cannot be added to a Messaging Service", 400)
    unknown = "PN" + "0" * 32
    response = emu.call("POST", f"/v1/Services/{two}/PhoneNumbers", data={"PhoneNumberSid": unknown})
    assert response.json() == error(21421, f"Invalid Phone Number Sid {unknown}: it is not a phone number of this account", 400)
    response = emu.call("POST", f"/v1/Services/{two}/ShortCodes", data={"ShortCodeSid": "+15550000002"})
    assert response.json() == error(21421, "Invalid Short Code Sid +15550000002: it is not a short code of this account", 400)
    response = emu.call("POST", f"/v1/Services/{two}/PhoneNumbers", data={})
    assert response.json() == error(20001, "Missing required parameter PhoneNumberSid in the post body", 400)
    response = emu.call("POST", f"/v1/Services/{two}/AlphaSenders", data={"AlphaSender": "12345"})
    assert response.json() == error(21709, "AlphaSender '12345' is invalid: 1 to 11 characters from A-Z a-z 0-9, space, "
                                           "- + _ &, and not digits only", 400)
    # Deleting a service returns its senders to the account, and its alpha senders go with it.
    assert emu.call("POST", f"/v1/Services/{one}/AlphaSenders", data={"AlphaSender": "Acme"}).status_code == 201
    assert emu.call("DELETE", f"/v1/Services/{one}").status_code == 204
    assert emu.store.data["alpha_senders"] == {}
    assert attach(emu, two, "+15550000001").status_code == 201


def test_destination_alpha_senders_default_and_country_filter(emulator):
    emu = emulator
    sid = create_service(emu)["sid"]
    path = f"/v1/Services/{sid}/DestinationAlphaSenders"
    default = emu.call("POST", path, data={"AlphaSender": "Acme"}).json()
    french = emu.call("POST", path, data={"AlphaSender": "AcmeFR", "IsoCountryCode": "fr"}).json()
    assert default["iso_country_code"] == "" and french["iso_country_code"] == "FR"
    assert emu.call("POST", path, data={"AlphaSender": "Other", "IsoCountryCode": "FR"}).status_code == 400
    listing = emu.call("GET", path, params={"IsoCountryCode": "FR"}).json()
    assert listing["alpha_senders"] == [french]
    assert listing["meta"]["url"] == f"{emu.base_url}{path}?IsoCountryCode=FR&PageSize=50&Page=0"
    assert emu.call("GET", path).json()["alpha_senders"] == [default, french]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("+15550000001", ["+15550000001"]),
        ("+1555000001*", ["+15550000010", "+15550000011", "+15550000012", "+15550000013", "+15550000014", "+15550000015", "+15550000016", "+15550000017", "+15550000018", "+15550000019"]),
        ("000002*", ["+15550000020", "+15550000021", "+15550000022", "+15550000023", "+15550000024", "+15550000025", "+15550000026", "+15550000027", "+15550000028", "+15550000029"]),
        ("00003", ["+15550000003", "+15550000030"]),  # anywhere in the number
        (" 15550000007", ["+15550000007"]),  # an unencoded + arrives as a space
        ("+1555000000*", [f"+1555000000{i}" for i in range(1, 10)]),
        ("+2555", []),
    ],
)
def test_incoming_phone_number_filter_matches_like_twilio(emulator, query, expected):
    page = emulator.call("GET", emulator.incoming(), params={"PhoneNumber": query}).json()
    assert [n["phone_number"] for n in page["incoming_phone_numbers"]] == expected


def test_incoming_phone_numbers_page_with_relative_uris_and_rfc2822_dates(emulator):
    emu = emulator
    prefix = f"/2010-04-01/Accounts/{EMU_ACCOUNT}/IncomingPhoneNumbers.json"
    page = emu.call("GET", emu.incoming(), params={"PageSize": 20}).json()
    assert page["uri"] == page["first_page_uri"] == f"{prefix}?PageSize=20&Page=0"
    assert (page["start"], page["end"], page["page"], page["previous_page_uri"]) == (0, 19, 0, None)
    assert page["next_page_uri"] == f"{prefix}?PageSize=20&Page=1&PageToken=PA20"
    number = page["incoming_phone_numbers"][4]
    assert number["capabilities"] == {"voice": True, "sms": False, "mms": False, "fax": False}
    assert number["uri"] == f"/2010-04-01/Accounts/{EMU_ACCOUNT}/IncomingPhoneNumbers/{number['sid']}.json"
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000", number["date_created"])
    second = emu.call("GET", page["next_page_uri"]).json()
    # 30 numbers and the 3 toll-free ones after them
    assert (second["start"], second["end"], len(second["incoming_phone_numbers"]), second["next_page_uri"]) == (20, 32, 13, None)
    named = emu.call("GET", emu.incoming(), params={"FriendlyName": "(555) 000-0003"}).json()
    assert [n["phone_number"] for n in named["incoming_phone_numbers"]] == ["+15550000003"]
    hosted = emu.call("GET", emu.incoming(), params={"Origin": "hosted"}).json()
    assert [n["phone_number"] for n in hosted["incoming_phone_numbers"]] == ["+15550000009", "+15550000019", "+15550000029"]
    other = emu.call("GET", f"/2010-04-01/Accounts/{'AC' + 'f' * 32}/IncomingPhoneNumbers.json")
    assert (other.status_code, other.json()["code"]) == (401, 20003)


def test_concurrent_bulk_attaches_leave_a_consistent_state(emulator):
    emu = emulator
    services = [create_service(emu, f"Bulk{i}")["sid"] for i in range(2)]
    numbers = [f"+1555{i:07d}" for i in range(1, 31) if i % 5]  # 24 with SMS
    jobs = [(s, n) for n in numbers for s in services] * 2  # every number raced for 4 times

    def one(job):
        with requests.Session() as http:
            http.auth = (EMU_ACCOUNT, EMU_TOKEN)
            r = http.post(f"{emu.base_url}/v1/Services/{job[0]}/PhoneNumbers", data={"PhoneNumberSid": emu.number(job[1])["sid"]}, timeout=10)
            return r.status_code, r.json()["code"] if r.status_code != 201 else None

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, jobs))
    assert sum(1 for status, _ in results if status == 201) == len(numbers)
    assert {code for status, code in results if status != 201} <= {21710, 21712}
    listed = [n["phone_number"] for s in services for n in emu.call("GET", f"/v1/Services/{s}/PhoneNumbers", params={"PageSize": 1000}).json()["phone_numbers"]]
    assert sorted(listed) == sorted(numbers)


def test_fail_rate_refuses_with_retry_after_and_changes_nothing():
    emu = start_emulator(numbers=1, fail_rate=1.0)
    try:
        statuses = set()
        for _ in range(12):
            response = emu.call("POST", "/v1/Services", data={"FriendlyName": "x"})
            statuses.add(response.status_code)
            assert response.headers["Retry-After"] == "1"
            expected = {429: error(20429, "Too Many Requests (the emulator's --fail-rate)", 429),
                        503: error(20503, "Service Unavailable (the emulator's --fail-rate)", 503)}[response.status_code]
            assert response.json() == expected
        assert statuses == {429, 503}
        assert emu.store.list_services() == []
    finally:
        stop_emulator(emu)
    if SPEC_DIR.is_dir():
        check_records(emu.records)


def test_latency_delays_each_answer(monkeypatch):
    from msgsvc.emulator import server

    delays = []
    real_sleep = server.time.sleep
    monkeypatch.setattr(server.time, "sleep", lambda s: delays.append(s) or real_sleep(0))
    emu = start_emulator(numbers=1, latency_ms=250)
    try:
        assert emu.call("GET", "/v1/Services").status_code == 200
    finally:
        stop_emulator(emu)
    assert 0.25 in delays


def test_state_file_is_written_atomically_private_and_reloaded(tmp_path):
    from msgsvc.emulator.store import Store

    path = tmp_path / "state.json"
    emu = start_emulator(numbers=5, path=path)
    try:
        sid = create_service(emu, "Kept")["sid"]
        assert attach(emu, sid, "+15550000002").status_code == 201
    finally:
        stop_emulator(emu)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["state.json"]  # no temporary file left behind
    reloaded = Store.load(path)
    assert reloaded.account_sid == EMU_ACCOUNT and reloaded.auth_token == EMU_TOKEN
    assert [s["friendly_name"] for s in reloaded.list_services()] == ["Kept"]
    assert [n["phone_number"] for n in reloaded.data["numbers"].values() if n["service_sid"] == sid] == ["+15550000002"]
    assert json.loads(path.read_text())["version"] == 1


def test_importing_the_server_loads_no_requests_rich_or_typer():
    import subprocess
    import sys

    code = "import sys, msgsvc.emulator.server; print(sorted(m for m in ('requests', 'rich', 'typer', 'urllib3') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_importing_the_cli_does_not_load_the_emulator():
    import subprocess
    import sys

    code = "import sys, msgsvc.cli.app; print(sorted(m for m in ('msgsvc.emulator', 'msgsvc.emulator.server', 'http.server', 'requests', 'rich') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_state_file_holds_every_change_of_a_concurrent_burst(tmp_path):
    from msgsvc.emulator.store import Store

    path = tmp_path / "state.json"
    emu = start_emulator(numbers=40, path=path)
    try:
        sid = create_service(emu, "Burst")["sid"]
        numbers = [f"+1555{i:07d}" for i in range(1, 41) if i % 5]
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda n: attach(emu, sid, n).status_code, numbers))
        assert statuses == [201] * len(numbers)
    finally:
        stop_emulator(emu)  # closing writes whatever the write-behind thread has not yet
    attached = sorted(n["phone_number"] for n in Store.load(path).data["numbers"].values() if n["service_sid"] == sid)
    assert attached == sorted(numbers)


def test_an_unexpected_failure_is_a_500_error_body_and_the_server_goes_on(emulator, monkeypatch):
    def broken(form):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(emulator.store, "create_service", broken)
    logged = []
    monkeypatch.setattr(emulator.server, "log", logged.append)
    response = emulator.call("POST", "/v1/Services", data={"FriendlyName": "x"})
    assert (response.status_code, response.json()) == (500, error(20500, "Internal Server Error: OSError: [Errno 28] No space left on device", 500))
    assert logged == ["msgsvc emulator: error: POST /v1/Services: OSError: [Errno 28] No space left on device"]
    assert emulator.call("GET", "/v1/Services").status_code == 200


def test_msgsvc_client_retries_through_the_fail_rate_without_duplicates(monkeypatch):
    """What --fail-rate is for: a script's retries are exercised; a 429 changed nothing and is
    retried, a POST answered 503 is not (a gateway may answer so after processing it): here,
    where the emulator's 503 changed nothing, sending it again creates each service once."""
    from msgsvc.api.client import Client, ClientSettings
    from msgsvc.emulator import server
    from msgsvc.jobs.changes import Change
    from msgsvc.jobs.executor import send

    monkeypatch.setattr(server, "RETRY_AFTER_SECONDS", 0)  # no waiting in the test
    emu = start_emulator(numbers=1, fail_rate=0.5, seed=5)  # seeded: both statuses come up
    try:
        client = Client(ClientSettings(username=EMU_ACCOUNT, password=EMU_TOKEN, base_url=emu.base_url, max_retries=40, backoff_factor=0))
        from msgsvc.errors import ApiError

        for i in range(8):
            while True:
                try:
                    send(client, Change("create", "service", form={"FriendlyName": f"Retried {i}"}))
                    break
                except ApiError as error:
                    assert error.status == 503  # never retried by the client

        names = [s["friendly_name"] for s in client.list_services(page_size=3)]
        client.close()
    finally:
        stop_emulator(emu)
    assert names == [f"Retried {i}" for i in range(8)]
    assert {r["status"] for r in emu.records} >= {429, 503}
    if SPEC_DIR.is_dir():
        check_records(emu.records)
