"""US A2P 10DLC in the library: the campaign rules of Twilio's definition (msgsvc/api/a2p.py) and
the client's campaign, use case and brand calls, request by request on the wire."""

from __future__ import annotations

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID, base_url_of, page
from corehelp import assert_request, sent
from msgsvc.api.a2p import (
    CREATE_REQUIRED,
    UPDATE_REQUIRED,
    Problem,
    campaign_form,
    campaign_problems,
    describe_errors,
    is_pending,
    update_values,
)

BRAND = "BN" + "1" * 32
CAMPAIGN = "QE" + "2" * 32
DESCRIPTION = "Send order and delivery updates to customers who opted in."  # 58 characters
FLOW = "Customers opt in at checkout on example.com by ticking an unticked box."
SAMPLES = ["Your order 1234 has shipped.", "Your order 1234 was delivered today."]

VALID = {
    "BrandRegistrationSid": BRAND,
    "Description": DESCRIPTION,
    "MessageFlow": FLOW,
    "MessageSamples": SAMPLES,
    "UsAppToPersonUsecase": "DELIVERY_NOTIFICATION",
    "HasEmbeddedLinks": False,
    "HasEmbeddedPhone": True,
}


def test_a_valid_create_breaks_no_rule():
    assert campaign_problems(VALID, required=CREATE_REQUIRED) == []
    assert campaign_problems({}, required=()) == []


def test_every_required_field_of_create_and_update_is_named():
    assert campaign_problems({}, required=CREATE_REQUIRED) == [Problem(name, "is required") for name in CREATE_REQUIRED]
    assert [p.field for p in campaign_problems({}, required=UPDATE_REQUIRED)] == list(UPDATE_REQUIRED)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"Description": "x" * 39}, Problem("Description", "must be 40 to 4096 characters long; it is 39")),
        ({"Description": "x" * 4097}, Problem("Description", "must be 40 to 4096 characters long; it is 4097")),
        ({"MessageFlow": "x" * 39}, Problem("MessageFlow", "must be 40 to 2048 characters long; it is 39")),
        ({"MessageFlow": "x" * 2049}, Problem("MessageFlow", "must be 40 to 2048 characters long; it is 2049")),
        ({"MessageSamples": SAMPLES[:1]}, Problem("MessageSamples", "must be 2 to 5 samples; 1 given")),
        ({"MessageSamples": SAMPLES * 3}, Problem("MessageSamples", "must be 2 to 5 samples; 6 given")),
        ({"MessageSamples": [SAMPLES[0], "x" * 19]}, Problem("MessageSamples", "must be 20 to 1024 characters long (sample 2); it is 19")),
        ({"MessageSamples": ["x" * 1025, SAMPLES[0]]}, Problem("MessageSamples", "must be 20 to 1024 characters long (sample 1); it is 1025")),
        ({"OptInMessage": "x" * 19}, Problem("OptInMessage", "must be 20 to 320 characters long; it is 19")),
        ({"OptOutMessage": "x" * 321}, Problem("OptOutMessage", "must be 20 to 320 characters long; it is 321")),
        ({"HelpMessage": "short"}, Problem("HelpMessage", "must be 20 to 320 characters long; it is 5")),
        ({"OptInKeywords": ["START", "GO ON"]}, Problem("OptInKeywords", "must be alphanumeric keywords (A-Z, a-z, 0-9); 'GO ON' is not")),
        ({"HelpKeywords": ["HÉLP"]}, Problem("HelpKeywords", "must be alphanumeric keywords (A-Z, a-z, 0-9); 'HÉLP' is not")),
        ({"OptOutKeywords": ["K" * 100, "L" * 100, "M" * 54]}, Problem("OptOutKeywords", "must be at most 255 characters in all (joined by commas); they are 256")),
        ({"PrivacyPolicyUrl": "example.com/privacy"}, Problem("PrivacyPolicyUrl", "must be an absolute http:// or https:// URL; 'example.com/privacy' is not")),
        ({"TermsAndConditionsUrl": "ftp://example.com/terms"}, Problem("TermsAndConditionsUrl", "must be an absolute http:// or https:// URL; 'ftp://example.com/terms' is not")),
        ({"BrandRegistrationSid": "BN123"}, Problem("BrandRegistrationSid", "must be BN followed by 32 hexadecimal digits; 'BN123' is not")),
        ({"UsAppToPersonUsecase": "marketing"}, Problem("UsAppToPersonUsecase", "must be a use case code such as MARKETING or 2FA; 'marketing' is not")),
        ({"AgeGated": "yes"}, Problem("AgeGated", "must be true or false; 'yes' is not")),
    ],
)
def test_each_rule_of_the_definition(change, expected):
    assert campaign_problems({**VALID, **change}, required=CREATE_REQUIRED) == [expected]


def test_limits_themselves_are_allowed():
    edge = {
        **VALID, "Description": "x" * 4096, "MessageFlow": "x" * 40, "MessageSamples": ["y" * 20] * 5,
        "OptInMessage": "z" * 320, "HelpMessage": "z" * 20, "OptOutKeywords": ["K" * 100, "L" * 100, "M" * 53],
        "PrivacyPolicyUrl": "https://example.com/privacy", "TermsAndConditionsUrl": "http://example.com/terms",
    }
    assert campaign_problems(edge, required=CREATE_REQUIRED) == []


def test_several_problems_are_all_reported_in_a_stable_order():
    bad = {**VALID, "Description": "short", "MessageSamples": ["tiny", "also tiny"], "HelpKeywords": ["a b"]}
    assert [p.field for p in campaign_problems(bad, required=CREATE_REQUIRED)] == [
        "Description", "MessageSamples", "MessageSamples", "HelpKeywords"]


def test_form_repeats_list_valued_fields_and_writes_booleans_as_twilio_does():
    assert campaign_form({**VALID, "OptInKeywords": ["START", "YES"], "AgeGated": None}) == [
        ("BrandRegistrationSid", BRAND), ("Description", DESCRIPTION), ("MessageFlow", FLOW),
        ("MessageSamples", SAMPLES[0]), ("MessageSamples", SAMPLES[1]),
        ("UsAppToPersonUsecase", "DELIVERY_NOTIFICATION"), ("HasEmbeddedLinks", "false"),
        ("HasEmbeddedPhone", "true"), ("OptInKeywords", "START"), ("OptInKeywords", "YES"),
    ]


def test_an_update_sends_every_required_field_taking_the_rest_from_the_campaign():
    current = {
        "has_embedded_links": False, "has_embedded_phone": True, "message_samples": SAMPLES,
        "message_flow": FLOW, "description": DESCRIPTION, "age_gated": False, "direct_lending": False,
        "privacy_policy_url": "https://example.com/old",
    }
    values = update_values(current, {"Description": "D" * 40, "TermsAndConditionsUrl": "https://example.com/t"})
    assert values == {
        "HasEmbeddedLinks": False, "HasEmbeddedPhone": True, "MessageSamples": SAMPLES, "MessageFlow": FLOW,
        "Description": "D" * 40, "AgeGated": False, "DirectLending": False,
        "TermsAndConditionsUrl": "https://example.com/t",
    }


def test_pending_states_and_errors_explained():
    assert is_pending({"campaign_status": "PENDING"}) and is_pending({"campaign_status": "IN_PROGRESS"})
    assert not is_pending({"campaign_status": "VERIFIED"}) and not is_pending({"campaign_status": "FAILED"})
    # A status msgsvc does not know is waited on (issue 20): --timeout bounds every wait.
    assert is_pending({"campaign_status": "SUSPENDED"}) and is_pending({})
    failed = {"errors": [
        {"error_code": 30897, "fields": ["MESSAGE_FLOW"], "url": "https://www.twilio.com/docs/api/errors/30897",
         "description": "The campaign submission has been reviewed and it was rejected due to Disallowed Content."},
        {"error_code": 30882},
    ]}
    assert describe_errors(failed) == [
        "error 30897 (MESSAGE_FLOW): The campaign submission has been reviewed and it was rejected due to Disallowed Content.",
        "error 30882: no description",
    ]
    assert describe_errors({"errors": []}) == [] and describe_errors({"errors": None}) == []


# --- the client, on the wire (writes as Changes, sent as the executor sends them) -----------

from msgsvc.jobs.changes import Change  # noqa: E402
from msgsvc.jobs.executor import send  # noqa: E402


@pytest.fixture
def client(httpserver):
    from msgsvc.api.client import Client, ClientSettings

    c = Client(ClientSettings(username=ACCOUNT_SID, password=AUTH_TOKEN, base_url=base_url_of(httpserver), max_retries=0))
    yield c
    c.close()


def campaign(**extra) -> dict:
    return {"sid": CAMPAIGN, "messaging_service_sid": SERVICE_SID, "campaign_status": "PENDING", "errors": [], **extra}


COMPLIANCE = f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p"


def test_create_campaign_sends_repeated_keys_in_order(client, httpserver):
    httpserver.expect_oneshot_request(COMPLIANCE, method="POST").respond_with_json(campaign(), status=201)
    form = campaign_form({**VALID, "OptOutKeywords": ["STOP", "END"], "SubscriberOptIn": True})
    assert send(client, Change("create", "campaign", service=SERVICE_SID, form=form)) == campaign()
    (request,) = sent(httpserver)
    assert_request(request, "POST", COMPLIANCE, form=(
        f"BrandRegistrationSid={BRAND}&Description=Send+order+and+delivery+updates+to+customers+who+opted+in."
        "&MessageFlow=Customers+opt+in+at+checkout+on+example.com+by+ticking+an+unticked+box."
        "&MessageSamples=Your+order+1234+has+shipped.&MessageSamples=Your+order+1234+was+delivered+today."
        "&UsAppToPersonUsecase=DELIVERY_NOTIFICATION&HasEmbeddedLinks=false&HasEmbeddedPhone=true"
        "&OptOutKeywords=STOP&OptOutKeywords=END&SubscriberOptIn=true"
    ))


def test_find_get_update_delete_campaign(client, httpserver):
    httpserver.expect_oneshot_request(COMPLIANCE, query_string="PageSize=1").respond_with_json(page("compliance", [campaign()]))
    httpserver.expect_oneshot_request(f"{COMPLIANCE}/{CAMPAIGN}").respond_with_json(campaign(campaign_status="VERIFIED"))
    httpserver.expect_oneshot_request(f"{COMPLIANCE}/{CAMPAIGN}", method="POST").respond_with_json(campaign())
    httpserver.expect_oneshot_request(f"{COMPLIANCE}/{CAMPAIGN}", method="DELETE").respond_with_data("", status=204)
    assert client.find_campaign(SERVICE_SID) == campaign()
    assert client.get_campaign(SERVICE_SID, CAMPAIGN)["campaign_status"] == "VERIFIED"
    update = [("AgeGated", "true"), ("MessageSamples", "a"), ("MessageSamples", "b")]
    assert send(client, Change("update", "campaign", service=SERVICE_SID, target=CAMPAIGN, form=update)) == campaign()
    assert send(client, Change("delete", "campaign", service=SERVICE_SID, target=CAMPAIGN)) is None
    first, fetch, update, delete = sent(httpserver)
    assert_request(first, "GET", COMPLIANCE, query="PageSize=1")
    assert_request(fetch, "GET", f"{COMPLIANCE}/{CAMPAIGN}")
    assert_request(update, "POST", f"{COMPLIANCE}/{CAMPAIGN}", form="AgeGated=true&MessageSamples=a&MessageSamples=b")
    assert_request(delete, "DELETE", f"{COMPLIANCE}/{CAMPAIGN}")


def test_find_campaign_of_a_service_without_one_is_none(client, httpserver):
    httpserver.expect_oneshot_request(COMPLIANCE).respond_with_json(page("compliance", []))
    assert client.find_campaign(SERVICE_SID) is None


def test_usecases_brands_and_service_usecases(client, httpserver):
    usecases = [{"code": "2FA", "name": "Two-Factor authentication (2FA)", "description": "x", "post_approval_required": False}]
    httpserver.expect_oneshot_request(f"{COMPLIANCE}/Usecases", query_string=f"BrandRegistrationSid={BRAND}").respond_with_json({"us_app_to_person_usecases": usecases})
    httpserver.expect_oneshot_request("/v1/Services/Usecases").respond_with_json({"usecases": [{"usecase": "poll", "description": "d", "purpose": "p"}]})
    httpserver.expect_oneshot_request("/v1/a2p/BrandRegistrations", query_string="PageSize=2").respond_with_json(page("data", [{"sid": BRAND}]))
    httpserver.expect_oneshot_request(f"/v1/a2p/BrandRegistrations/{BRAND}").respond_with_json({"sid": BRAND, "status": "APPROVED"})
    assert client.campaign_usecases(SERVICE_SID, BRAND) == usecases
    assert client.service_usecases() == [{"usecase": "poll", "description": "d", "purpose": "p"}]
    assert list(client.list_brands(limit=2)) == [{"sid": BRAND}]
    assert client.get_brand(BRAND) == {"sid": BRAND, "status": "APPROVED"}
    requests_ = sent(httpserver)
    assert_request(requests_[0], "GET", f"{COMPLIANCE}/Usecases", query=f"BrandRegistrationSid={BRAND}")
    assert_request(requests_[2], "GET", "/v1/a2p/BrandRegistrations", query="PageSize=2")


def test_a_usecase_answer_without_its_array_is_a_clear_error(client, httpserver):
    from msgsvc.api.client import ResponseError

    httpserver.expect_oneshot_request("/v1/Services/Usecases").respond_with_json({"usecases": "none"})
    with pytest.raises(ResponseError) as caught:
        client.service_usecases()
    assert str(caught.value) == f"GET {base_url_of(httpserver)}/v1/Services/Usecases answered without a 'usecases' array of objects"


# --- waiting and durations ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("1h", 3600), ("1h30m", 5400),
                                               ("2m30s", 150), ("0.5s", 0.5), (" 10m ", 600)])
def test_durations(text, seconds):
    from msgsvc.api.a2p import parse_duration

    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5d", "m", "1e3", "-5s", "30m1h"])
def test_durations_that_are_not(text):
    from msgsvc.api.a2p import parse_duration

    with pytest.raises(ValueError, match="is not a duration such as 30s, 10m, 1h or 1h30m"):
        parse_duration(text)


def test_durations_for_people():
    from msgsvc.api.a2p import format_duration

    assert [format_duration(s) for s in (0, 0.3, 12, 59.9, 60, 150, 1800, 3700, 7200)] == [
        "0s", "0.3s", "12s", "59.9s", "1m", "2m30s", "30m", "1h1m", "2h"]


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_wait_for_review_polls_until_the_review_is_over():
    from msgsvc.api.a2p import wait_for_review

    clock = FakeTime()
    answers = iter(["PENDING", "IN_PROGRESS", "IN_PROGRESS", "VERIFIED"])
    seen = []
    final = wait_for_review(lambda: {"campaign_status": next(answers)}, timeout=100, interval=30,
                            on_poll=lambda c, elapsed: seen.append((c["campaign_status"], elapsed)),
                            sleep=clock.sleep, clock=lambda: clock.now)
    assert final == {"campaign_status": "VERIFIED"}
    assert seen == [("PENDING", 0), ("IN_PROGRESS", 30), ("IN_PROGRESS", 60), ("VERIFIED", 90)]
    assert clock.slept == [30, 30, 30]


def test_wait_for_review_gives_up_at_the_timeout_with_the_last_seen():
    from msgsvc.api.a2p import StillPending, wait_for_review

    clock = FakeTime()
    with pytest.raises(StillPending) as caught:
        wait_for_review(lambda: {"campaign_status": "IN_PROGRESS"}, timeout=70, interval=30,
                        sleep=clock.sleep, clock=lambda: clock.now)
    assert caught.value.campaign == {"campaign_status": "IN_PROGRESS"}
    assert clock.slept == [30, 30, 10]  # the last sleep is cut to what is left


def test_a_campaign_file_keyed_by_option_names():
    from msgsvc.api.a2p import values_from_file

    names = {"description": "description", "sample": "sample", "age-gated": "age_gated"}
    assert values_from_file({"sample": "one", "age-gated": True}, names, lists=["sample"], booleans=["age_gated"]) == {
        "sample": ["one"], "age_gated": True}
    with pytest.raises(ValueError, match="unknown key 'colour'; the keys are: description, sample, age-gated"):
        values_from_file({"colour": "x"}, names, lists=["sample"], booleans=["age_gated"])
