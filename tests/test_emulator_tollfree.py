"""Toll-free verification in the emulator, over HTTP: the account's toll-free numbers, the
Tollfree Verifications resource (create, list and its filters, fetch, update, delete), its
review clock and rejection markers, and Twilio's error bodies. Every answer is also checked
against Twilio's OpenAPI definitions by the `emulator` fixture."""

from __future__ import annotations

import time

import pytest

from emulator_helpers import EMU_ACCOUNT
from factories import form_pairs

VERIFICATIONS = "/v1/Tollfree/Verifications"


def error(code: int, message: str, status: int = 400) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


def toll_free(emu) -> str:
    return emu.incoming().replace(".json", "/TollFree.json")


def form(number_sid: str, **change) -> list[tuple[str, str]]:
    values = {
        "TollfreePhoneNumberSid": number_sid, "BusinessName": "Owl, Inc.", "BusinessWebsite": "https://owl.example.com",
        "NotificationEmail": "tfv@owl.example.com", "UseCaseCategories": ["ACCOUNT_NOTIFICATIONS", "CUSTOMER_CARE"],
        "UseCaseSummary": "Account notices for customers who signed up.",
        "ProductionMessageSample": "Owl: your order 1234 shipped. https://owl.example.com/t/1234",
        "OptInImageUrls": ["https://owl.example.com/optin.png"], "OptInType": "WEB_FORM", "MessageVolume": "1,000",
        **change,
    }
    return form_pairs(values)


def create(emu, number: str = "+18005550100", **change):
    return emu.call("POST", VERIFICATIONS, data=form(emu.number(number)["sid"], **change))


def settle(emu, sid: str, *, half: bool = False) -> None:
    """Move the record's review clock as if its review time (or half of it) had passed."""
    record = emu.store.data["tollfree_verifications"][sid]
    length = record["review_end"] - record["review_start"]
    shift = length / 2 + 0.01 if half else length + 0.01
    record["review_start"] -= shift if length else 1
    record["review_end"] -= shift if length else 1


@pytest.fixture
def emu(emulator):
    emulator.store.tollfree_review = 60.0  # a review that never ends by itself during a test
    return emulator


def test_the_account_holds_toll_free_numbers_listed_apart(emu):
    page = emu.call("GET", toll_free(emu)).json()
    numbers = [n["phone_number"] for n in page["incoming_phone_numbers"]]
    assert numbers == ["+18005550100", "+18885550101", "+18445550102"]
    assert page["uri"] == f"/2010-04-01/Accounts/{EMU_ACCOUNT}/IncomingPhoneNumbers/TollFree.json?PageSize=50&Page=0"
    assert "type" not in page["incoming_phone_numbers"][0]  # that operation's schema has none
    whole = emu.call("GET", emu.incoming(), params={"PageSize": 1000}).json()["incoming_phone_numbers"]
    assert [(n["phone_number"], n["type"]) for n in whole[-3:]] == [(n, "tollfree") for n in numbers]
    assert whole[0]["type"] == "local"
    filtered = emu.call("GET", toll_free(emu), params={"PhoneNumber": "888"}).json()
    assert [n["phone_number"] for n in filtered["incoming_phone_numbers"]] == ["+18885550101"]
    bought = emu.call("POST", toll_free(emu), data={"PhoneNumber": "+18005550199"})
    assert (bought.status_code, bought.json()["code"]) == (501, 20501)  # Twilio's, not emulated: not a 404
    other = emu.call("GET", toll_free(emu).replace(EMU_ACCOUNT, "AC" + "f" * 32))
    assert (other.status_code, other.json()["code"]) == (401, 20003)


def test_create_answers_the_record_pending_review(emu):
    number = emu.number("+18005550100")
    response = create(emu, ExternalReferenceId="ref-1", AgeGatedContent="false", OptInKeywords=["START", "YES"])
    assert response.status_code == 201
    body = response.json()
    hh = body["sid"]
    assert hh.startswith("HH") and len(hh) == 34
    assert body["url"] == f"{emu.base_url}{VERIFICATIONS}/{hh}" and body["account_sid"] == EMU_ACCOUNT
    assert (body["status"], body["tollfree_phone_number"], body["tollfree_phone_number_sid"]) == (
        "PENDING_REVIEW", "+18005550100", number["sid"])
    assert body["use_case_categories"] == ["ACCOUNT_NOTIFICATIONS", "CUSTOMER_CARE"]
    assert body["opt_in_image_urls"] == ["https://owl.example.com/optin.png"]
    assert (body["opt_in_keywords"], body["age_gated_content"], body["external_reference_id"]) == (["START", "YES"], False, "ref-1")
    assert (body["edit_allowed"], body["edit_expiration"], body["rejection_reasons"], body["error_code"]) == (None, None, None, None)
    assert body["business_city"] is None
    assert emu.call("GET", f"{VERIFICATIONS}/{hh}").json() == body


@pytest.mark.parametrize(("change", "expected"), [
    ({"BusinessName": None}, error(20001, "Missing required parameter BusinessName in the post body")),
    ({"OptInImageUrls": []}, error(20001, "Missing required parameter OptInImageUrls in the post body")),
    ({"OptInType": "SMOKE_SIGNAL"}, error(20001, "OptInType must be one of VERBAL, WEB_FORM, PAPER_FORM, VIA_TEXT, "
                                                 "MOBILE_QR_CODE, IMPORT, IMPORT_PLEASE_REPLACE; 'SMOKE_SIGNAL' is not")),
    ({"BusinessWebsite": "http://owl.example.com"},
     error(20001, "BusinessWebsite must be an absolute https:// URL; 'http://owl.example.com' is not")),
    ({"NotificationEmail": "owl.example.com"}, error(20001, "NotificationEmail must be an e-mail address; 'owl.example.com' is not")),
    ({"BusinessContactPhone": "555-0100"},
     error(20001, "BusinessContactPhone must be an E.164 phone number such as +15017122661; '555-0100' is not")),
    ({"BusinessCountry": "USA"},
     error(20001, "BusinessCountry must be an ISO 3166-1 alpha-2 country code such as US or CA; 'USA' is not")),
    ({"ProductionMessageSample": "Owl: track it at bit.ly/x1"},
     error(20001, "ProductionMessageSample links to the public URL shortener bit.ly, which reviewers reject; "
                  "use a link on the business's own domain")),
    ({"MessageVolume": "lots"}, error(20001, "MessageVolume must be one of 10, 100, 1,000, 10,000, 100,000, 250,000, "
                                             "500,000, 750,000, 1,000,000, 5,000,000, 10,000,000+; 'lots' is not")),
    ({"AgeGatedContent": "maybe"}, error(20001, "AgeGatedContent must be true or false")),
])
def test_create_checks_the_fields_as_twilio(emu, change, expected):
    response = create(emu, **change)
    assert (response.status_code, response.json()) == (400, expected)
    assert emu.store.data["tollfree_verifications"] == {}


def test_create_refuses_a_number_that_is_not_a_toll_free_number_of_the_account_or_has_a_record(emu):
    local = emu.number("+15550000001")["sid"]
    refused = emu.call("POST", VERIFICATIONS, data=form(local))
    assert refused.json() == error(20001, f"TollfreePhoneNumberSid {local} (+15550000001) is not a toll-free number")
    stranger = "PN" + "0" * 32
    refused = emu.call("POST", VERIFICATIONS, data=form(stranger))
    assert refused.json() == error(20001, f"TollfreePhoneNumberSid {stranger} is not a phone number of this account")
    bad = emu.call("POST", VERIFICATIONS, data=form("PN123"))
    assert bad.json() == error(20001, "TollfreePhoneNumberSid must be PN followed by 32 hexadecimal digits; 'PN123' is not")
    first = create(emu).json()
    again = create(emu)
    assert (again.status_code, again.json()) == (400, error(
        20001, f"Phone number +18005550100 already has a toll-free verification ({first['sid']}); "
               "edit it, or delete it before submitting again"))


def test_list_filters_and_pages(emu):
    one = create(emu, ExternalReferenceId="a").json()
    two = create(emu, "+18885550101", ExternalReferenceId="b").json()
    page = emu.call("GET", VERIFICATIONS).json()
    assert [v["sid"] for v in page["verifications"]] == [one["sid"], two["sid"]]
    assert page["meta"]["key"] == "verifications" and page["meta"]["next_page_url"] is None
    by_number = emu.call("GET", VERIFICATIONS, params={"TollfreePhoneNumberSid": two["tollfree_phone_number_sid"]}).json()
    assert [v["sid"] for v in by_number["verifications"]] == [two["sid"]]
    assert by_number["meta"]["url"] == (f"{emu.base_url}{VERIFICATIONS}?TollfreePhoneNumberSid="
                                        f"{two['tollfree_phone_number_sid']}&PageSize=50&Page=0")
    assert [v["sid"] for v in emu.call("GET", VERIFICATIONS, params={"ExternalReferenceId": "a"}).json()["verifications"]] == [one["sid"]]
    assert emu.call("GET", VERIFICATIONS, params={"Status": "TWILIO_APPROVED"}).json()["verifications"] == []
    first = emu.call("GET", VERIFICATIONS, params={"PageSize": 1}).json()
    assert [v["sid"] for v in emu.call("GET", first["meta"]["next_page_url"].replace(emu.base_url, "")).json()["verifications"]] == [two["sid"]]
    wrong = emu.call("GET", VERIFICATIONS, params={"Status": "APPROVED"})
    assert wrong.json() == error(20001, "Status must be one of PENDING_REVIEW, IN_REVIEW, TWILIO_APPROVED, TWILIO_REJECTED")
    bad_number = emu.call("GET", VERIFICATIONS, params={"TollfreePhoneNumberSid": "+18005550100"})
    assert bad_number.json() == error(20001, "TollfreePhoneNumberSid must be PN followed by 32 hexadecimal digits; "
                                             "'+18005550100' is not")
    assert emu.call("GET", VERIFICATIONS, params={"IncludeSubAccounts": "maybe"}).json() == error(
        20001, "IncludeSubAccounts must be true or false")
    assert emu.call("GET", VERIFICATIONS, params={"IncludeSubAccounts": "false"}).status_code == 200


def test_the_review_moves_on_its_own_clock_to_approved(emu):
    hh = create(emu).json()["sid"]
    settle(emu, hh, half=True)
    assert emu.call("GET", f"{VERIFICATIONS}/{hh}").json()["status"] == "IN_REVIEW"
    settle(emu, hh)
    approved = emu.call("GET", f"{VERIFICATIONS}/{hh}").json()
    assert (approved["status"], approved["edit_allowed"], approved["rejection_reasons"]) == ("TWILIO_APPROVED", None, None)
    listed = emu.call("GET", VERIFICATIONS, params={"Status": "TWILIO_APPROVED"}).json()["verifications"]
    assert [v["sid"] for v in listed] == [hh]
    refused = emu.call("POST", f"{VERIFICATIONS}/{hh}", data={"BusinessName": "Owl", "EditReason": "typo"})
    assert (refused.status_code, refused.json()) == (400, error(
        30437, f"Toll-free verification {hh} is TWILIO_APPROVED: only a rejected verification can be edited and resubmitted"))


def test_a_rejection_marker_rejects_with_an_edit_window_then_an_update_resubmits(emu):
    hh = create(emu, BusinessName="Owl REJECT, Inc.").json()["sid"]
    record = emu.store.data["tollfree_verifications"][hh]
    settle(emu, hh)
    rejected = emu.call("GET", f"{VERIFICATIONS}/{hh}").json()
    reason = "Toll Free verification rejection - Verbal consent script must be provided"
    assert (rejected["status"], rejected["error_code"], rejected["rejection_reason"], rejected["edit_allowed"]) == (
        "TWILIO_REJECTED", 30511, reason, True)
    assert rejected["rejection_reasons"] == [{"code": 30511, "description": reason}]
    assert rejected["edit_expiration"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record["review_end"] + 7 * 86400))
    missing = emu.call("POST", f"{VERIFICATIONS}/{hh}", data={"BusinessName": "Owl, Inc."})
    assert missing.json() == error(20001, "Missing required parameter EditReason in the post body")
    bad = emu.call("POST", f"{VERIFICATIONS}/{hh}", data={"BusinessWebsite": "ftp://owl", "EditReason": "fixed"})
    assert bad.json()["message"] == "BusinessWebsite must be an absolute https:// URL; 'ftp://owl' is not"
    updated = emu.call("POST", f"{VERIFICATIONS}/{hh}", data={"BusinessName": "Owl, Inc.", "EditReason": "name fixed"})
    assert updated.status_code == 202
    body = updated.json()
    assert (body["status"], body["business_name"], body["edit_allowed"], body["rejection_reasons"]) == (
        "PENDING_REVIEW", "Owl, Inc.", None, None)
    settle(emu, hh)
    assert emu.call("GET", f"{VERIFICATIONS}/{hh}").json()["status"] == "TWILIO_APPROVED"


def test_a_forbidden_marker_or_a_closed_window_leaves_only_delete(emu):
    hh = create(emu, ProductionMessageSample="Owl: FORBIDDEN coins").json()["sid"]
    settle(emu, hh)
    record = emu.call("GET", f"{VERIFICATIONS}/{hh}").json()
    assert (record["status"], record["error_code"], record["edit_allowed"], record["edit_expiration"]) == (
        "TWILIO_REJECTED", 30464, False, None)
    refused = emu.call("POST", f"{VERIFICATIONS}/{hh}", data={"EditReason": "please"})
    assert refused.json() == error(
        30437, f"Toll-free verification {hh} cannot be edited (edit_allowed is false): delete it and submit a new one")
    other = create(emu, "+18885550101", BusinessName="REJECT").json()["sid"]
    settle(emu, other)
    emu.call("GET", f"{VERIFICATIONS}/{other}")
    emu.store.data["tollfree_verifications"][other]["edit_expiration"] = 1_700_000_000.0
    late = emu.call("POST", f"{VERIFICATIONS}/{other}", data={"EditReason": "fixed"})
    assert late.json() == error(30437, f"The edit window of toll-free verification {other} closed at 2023-11-14T22:13:20Z: "
                                       "delete it and submit a new one")
    assert emu.call("DELETE", f"{VERIFICATIONS}/{hh}").status_code == 204
    gone = emu.call("GET", f"{VERIFICATIONS}/{hh}")
    assert (gone.status_code, gone.json()) == (404, error(20404, f"The requested resource /Tollfree/Verifications/{hh} was not found", 404))
    assert emu.call("DELETE", f"{VERIFICATIONS}/{hh}").status_code == 404
    assert create(emu).status_code == 201  # filed again once deleted
    nonsense = emu.call("GET", f"{VERIFICATIONS}/nonsense")
    assert nonsense.json() == error(20404, "The requested resource /Tollfree/Verifications/nonsense was not found", 404)


def test_the_review_clock_is_the_emulators_option(emulator):
    emulator.store.tollfree_review = 0.0
    hh = create(emulator).json()["sid"]
    assert emulator.call("GET", f"{VERIFICATIONS}/{hh}").json()["status"] == "TWILIO_APPROVED"
