"""msgsvc numbers | short-codes | alpha-senders | channel-senders | destination-alpha-senders:
the exact requests of every command for every kind, resolution of E.164 numbers, results,
confirmation, dry run and input checks."""

from __future__ import annotations

import json

import os
import signal
import time

import pytest

from conftest import ACCOUNT_SID, BASIC_AUTH, OTHER_SID, SERVICE_SID, base_url_of, page, run_installed, service
from corehelp import ctrl_c_taken
from factories import E164, PN, number, sender as base

PN2 = "PN" + "2" * 32
SC = "SC" + "3" * 32
AI = "AI" + "4" * 32
AI2 = "AI" + "5" * 32
XE = "XE" + "6" * 32
INCOMING = f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json"
FORM = "application/x-www-form-urlencoded"


def channel(sid=XE):
    record = base(sid, sender="whatsapp:+15017122661", sender_type="WhatsApp", country_code="US")
    record["messaging_service_sid"] = record.pop("service_sid")
    return record


# noun, path, list key, what the user types, the form sent, the record, its TSV list row
KINDS = {
    "numbers": ("PhoneNumbers", "phone_numbers", [PN], f"PhoneNumberSid={PN}", number(),
                f"{PN}\t{E164}\tUS\tSMS,MMS\t2015-07-30T20:12:31Z"),
    "short-codes": ("ShortCodes", "short_codes", [SC], f"ShortCodeSid={SC}",
                    base(SC, short_code="12345", country_code="US", capabilities=["SMS"]),
                    f"{SC}\t12345\tUS\tSMS\t2015-07-30T20:12:31Z"),
    "alpha-senders": ("AlphaSenders", "alpha_senders", ["My Co&1"], "AlphaSender=My+Co%261",
                      base(AI, alpha_sender="My Co&1", capabilities=["SMS"]),
                      f"{AI}\tMy Co&1\tSMS\t2015-07-30T20:12:31Z"),
    "channel-senders": ("ChannelSenders", "senders", [XE], f"Sid={XE}", channel(),
                        f"{XE}\twhatsapp:+15017122661\tWhatsApp\tUS\t2015-07-30T20:12:31Z"),
    "destination-alpha-senders": ("DestinationAlphaSenders", "alpha_senders", ["MyCompany", "--country", "gb"],
                                  "AlphaSender=MyCompany&IsoCountryCode=GB",
                                  base(AI, alpha_sender="MyCompany", iso_country_code="GB", capabilities=["SMS"]),
                                  f"{AI}\tMyCompany\tGB\tSMS\t2015-07-30T20:12:31Z"),
}
NOUNS = list(KINDS)


def expect_listing(httpserver, path, key, items, query="PageSize=1000"):
    httpserver.expect_oneshot_request(
        f"/v1/Services/{SERVICE_SID}/{path}", method="GET", query_string=query,
        headers={"Authorization": BASIC_AUTH},
    ).respond_with_json(page(key, items))


def sent(httpserver):
    return [(r.method, r.path, r.query_string.decode(), r.get_data(as_text=True)) for r, _ in httpserver.log]


@pytest.mark.parametrize("noun", NOUNS)
@pytest.mark.parametrize("status", [201, 200])
def test_attach_sends_the_kind_s_form_and_accepts_200_or_201(msgsvc, profile, httpserver, noun, status):
    path, key, args, form, record, _ = KINDS[noun]
    expect_listing(httpserver, path, key, [])
    httpserver.expect_oneshot_request(
        f"/v1/Services/{SERVICE_SID}/{path}", method="POST", data=form,
        headers={"Authorization": BASIC_AUTH, "Content-Type": FORM},
    ).respond_with_json(record, status=status)

    result = msgsvc(noun, "attach", SERVICE_SID, *args)

    assert result.code == 0, result.err
    assert result.out == f"{args[0]}\t{record['sid']}\tattached\t\t\n"
    assert result.err == "1 attached\n"
    httpserver.check_assertions()
    assert len(httpserver.log) == 2


@pytest.mark.parametrize("noun", NOUNS)
def test_detach_deletes_the_attached_sender(msgsvc, profile, httpserver, noun):
    path, key, args, _, record, _ = KINDS[noun]
    expect_listing(httpserver, path, key, [record])
    httpserver.expect_oneshot_request(
        f"/v1/Services/{SERVICE_SID}/{path}/{record['sid']}", method="DELETE",
        headers={"Authorization": BASIC_AUTH},
    ).respond_with_data("", status=204)

    result = msgsvc(noun, "detach", SERVICE_SID, *args, "--yes")

    assert result.code == 0, result.err
    assert result.out == f"{args[0]}\t{record['sid']}\tdetached\t\t\n"
    assert result.err == "1 detached\n"
    httpserver.check_assertions()
    assert len(httpserver.log) == 2


@pytest.mark.parametrize("noun", NOUNS)
def test_list_prints_the_kind_s_columns(msgsvc, profile, httpserver, noun):
    path, key, _, _, record, row = KINDS[noun]
    expect_listing(httpserver, path, key, [record], query="PageSize=50")
    result = msgsvc(noun, "list", SERVICE_SID)
    assert result.code == 0, result.err
    assert result.out == row + "\n"
    assert result.err == ""
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("noun", NOUNS)
def test_get_by_sid_fetches_the_sender(msgsvc, profile, httpserver, noun):
    path, _, _, _, record, _ = KINDS[noun]
    httpserver.expect_oneshot_request(
        f"/v1/Services/{SERVICE_SID}/{path}/{record['sid']}", method="GET",
        headers={"Authorization": BASIC_AUTH},
    ).respond_with_json(record)
    result = msgsvc(noun, "get", SERVICE_SID, record["sid"], "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == record
    assert len(httpserver.log) == 1


def test_list_all_follows_pages_and_filters_destination_country(msgsvc, profile, httpserver):
    record = KINDS["destination-alpha-senders"][4]
    url = f"/v1/Services/{SERVICE_SID}/DestinationAlphaSenders"
    httpserver.expect_oneshot_request(url, query_string="IsoCountryCode=GB&PageSize=1000").respond_with_json(
        page("alpha_senders", [record], next_url=base_url_of(httpserver) + url + "?Page=1&PageToken=PA1"))
    httpserver.expect_oneshot_request(url, query_string="Page=1&PageToken=PA1").respond_with_json(
        page("alpha_senders", [dict(record, sid=AI2)]))
    result = msgsvc("destination-alpha-senders", "list", SERVICE_SID, "--country", "gb", "--all", "--json")
    assert result.code == 0, result.err
    assert [r["sid"] for r in json.loads(result.out)] == [AI, AI2]
    httpserver.check_assertions()


def test_get_by_e164_resolves_through_incoming_phone_numbers(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(
        INCOMING, query_string=f"PhoneNumber=%2B15017122661&PageSize=1000",
        headers={"Authorization": BASIC_AUTH},
    ).respond_with_json(incoming([("PN" + "9" * 32, E164 + "0"), (PN, E164)]))
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers/{PN}").respond_with_json(number())
    result = msgsvc("numbers", "get", SERVICE_SID, E164, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == number()
    httpserver.check_assertions()


def test_get_of_a_sender_not_in_the_service_is_not_found(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/ShortCodes/{SC}").respond_with_json(
        {"code": 20404, "message": "The requested resource was not found", "status": 404}, status=404)
    result = msgsvc("short-codes", "get", SERVICE_SID, SC)
    assert result.code == 3
    assert result.out == ""
    assert result.err == (
        f"msgsvc: {SC} is not attached to {SERVICE_SID}\n"
        f"hint: list them with: msgsvc short-codes list {SERVICE_SID}\n"
    )


def test_get_alpha_sender_by_text_uses_the_service_list(msgsvc, profile, httpserver):
    record = KINDS["alpha-senders"][4]
    expect_listing(httpserver, "AlphaSenders", "alpha_senders", [record])
    result = msgsvc("alpha-senders", "get", SERVICE_SID, "My Co&1")
    assert result.code == 0, result.err
    assert f"sid\t{AI}\n" in result.out and "alpha_sender\tMy Co&1\n" in result.out
    assert len(httpserver.log) == 1


def incoming(numbers):
    return {
        "incoming_phone_numbers": [
            {"sid": sid, "account_sid": ACCOUNT_SID, "phone_number": e164, "friendly_name": e164,
             "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False}}
            for sid, e164 in numbers
        ],
        "page": 0, "page_size": 1000, "start": 0, "end": len(numbers) - 1,
        "uri": INCOMING, "first_page_uri": INCOMING, "next_page_uri": None, "previous_page_uri": None,
    }


def test_attach_by_e164_accepts_only_the_exact_match_of_a_partial_filter(msgsvc, profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    httpserver.expect_oneshot_request(INCOMING, query_string="PhoneNumber=%2B15017122661&PageSize=1000").respond_with_json(
        incoming([("PN" + "9" * 32, "+150171226610"), (PN, E164), ("PN" + "8" * 32, "+115017122661")]))
    httpserver.expect_oneshot_request(
        f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="POST", data=f"PhoneNumberSid={PN}",
    ).respond_with_json(number(), status=201)

    result = msgsvc("numbers", "attach", SERVICE_SID, "+1 (501) 712-2661", "--json")

    assert result.code == 0, result.err
    assert json.loads(result.out) == [
        {"input": "+1 (501) 712-2661", "sid": PN, "status": "attached", "code": None, "message": None}
    ]
    assert result.err == "1 attached\n"
    httpserver.check_assertions()


def test_one_number_written_two_ways_is_looked_up_once(msgsvc, profile, httpserver):
    # A list pasted from two sources often has the same number formatted differently:
    # each distinct number costs one IncomingPhoneNumbers request, not one per spelling.
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    httpserver.expect_oneshot_request(INCOMING, query_string="PhoneNumber=%2B15017122661&PageSize=1000").respond_with_json(
        incoming([(PN, E164)]))
    httpserver.expect_oneshot_request(
        f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="POST", data=f"PhoneNumberSid={PN}",
    ).respond_with_json(number(), status=201)

    result = msgsvc("numbers", "attach", SERVICE_SID, E164, "+1 (501) 712-2661")

    assert result.code == 0, result.err
    assert result.out == (
        f"{E164}\t{PN}\tattached\t\t\n"
        f"+1 (501) 712-2661\t{PN}\tattached\t\tsame phone number as {E164}\n"
    )
    assert result.err == "2 attached\n"
    httpserver.check_assertions()
    assert len(httpserver.log) == 3


def test_a_number_not_on_the_account_fails_that_item_only(msgsvc, profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    httpserver.expect_oneshot_request(INCOMING, query_string="PhoneNumber=%2B15017122661&PageSize=1000").respond_with_json(
        incoming([("PN" + "9" * 32, "+150171226610")]))  # only a partial match
    httpserver.expect_oneshot_request(
        f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="POST", data=f"PhoneNumberSid={PN2}",
    ).respond_with_json(number(PN2, "+15017122662"), status=201)

    result = msgsvc("numbers", "attach", SERVICE_SID, E164, PN2)

    assert result.code == 1
    assert result.out == (
        f"{E164}\t\tfailed\t\tnot on this account\n"
        f"{PN2}\t{PN2}\tattached\t\t\n"
    )
    assert result.err == "1 attached, 1 failed\n"
    httpserver.check_assertions()
    assert len(httpserver.log) == 3


def test_already_attached_80104_and_21712_each_get_their_status(msgsvc, profile, httpserver):
    pn3, pn4 = "PN" + "3" * 32, "PN" + "4" * 32
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number()])
    url = f"/v1/Services/{SERVICE_SID}/PhoneNumbers"
    httpserver.expect_oneshot_request(url, method="POST", data=f"PhoneNumberSid={pn3}").respond_with_json(
        {"code": 80104, "message": "PhoneNumber has already been added to Service", "status": 400}, status=400)
    httpserver.expect_oneshot_request(url, method="POST", data=f"PhoneNumberSid={pn4}").respond_with_json(
        {"code": 21712, "message": f"Phone Number or Short Code is already associated with another "
                                   f"Messaging Service {OTHER_SID}",
         "more_info": "https://www.twilio.com/docs/errors/21712", "status": 400}, status=400)

    # The other service is named by its friendly name, found with one request.
    httpserver.expect_oneshot_request(f"/v1/Services/{OTHER_SID}", method="GET").respond_with_json(service(OTHER_SID, "Marketing"))

    result = msgsvc("numbers", "attach", SERVICE_SID, PN, pn3, pn4, PN, "--concurrency", "1", "--json")

    assert result.code == 1
    assert json.loads(result.out) == [
        {"input": PN, "sid": PN, "status": "already attached", "code": None, "message": None},
        {"input": pn3, "sid": pn3, "status": "already attached", "code": None, "message": None},
        {"input": pn4, "sid": pn4, "status": "failed", "code": 21712,
         "message": f"in service Marketing (21712): Phone Number or Short Code is "
                    f"already associated with another Messaging Service {OTHER_SID}"},
    ]
    assert result.err == "2 already attached, 1 failed\n"
    assert len(httpserver.log) == 4  # nothing sent for PN, already in the listing; one GET of the other service


@pytest.mark.parametrize("status", [409, 400])
def test_21710_and_21712_mean_the_same_with_http_409_or_400(msgsvc, profile, httpserver, status):
    """Published answers carry 21710 and 21712 with HTTP 409, older ones with 400: the code decides."""
    pn3, pn4 = "PN" + "3" * 32, "PN" + "4" * 32
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    url = f"/v1/Services/{SERVICE_SID}/PhoneNumbers"
    httpserver.expect_oneshot_request(url, method="POST", data=f"PhoneNumberSid={pn3}").respond_with_json(
        {"code": 21710, "message": "Phone Number or Short Code already in Messaging Service", "status": status}, status=status)
    httpserver.expect_oneshot_request(url, method="POST", data=f"PhoneNumberSid={pn4}").respond_with_json(
        {"code": 21712, "message": f"Phone Number or Short Code is already associated with another Messaging Service {OTHER_SID}",
         "status": status}, status=status)

    httpserver.expect_oneshot_request(f"/v1/Services/{OTHER_SID}", method="GET").respond_with_json(service(OTHER_SID, "Old"))

    result = msgsvc("numbers", "attach", SERVICE_SID, pn3, pn4, "--concurrency", "1")

    assert (result.code, result.err) == (1, "1 already attached, 1 failed\n")
    assert result.out == (
        f"{pn3}\t{pn3}\talready attached\t\t\n"
        f"{pn4}\t{pn4}\tfailed\t21712\tin service Old (21712): Phone Number or Short Code "
        f"is already associated with another Messaging Service {OTHER_SID}\n"
    )
    assert len(httpserver.log) == 4


def test_an_e164_and_its_sid_are_one_change(msgsvc, profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    httpserver.expect_oneshot_request(INCOMING).respond_with_json(incoming([(PN, E164)]))
    httpserver.expect_oneshot_request(
        f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="POST", data=f"PhoneNumberSid={PN}",
    ).respond_with_json(number(), status=201)
    result = msgsvc("numbers", "attach", SERVICE_SID, E164, PN)
    assert result.code == 0, result.err
    assert result.out == f"{E164}\t{PN}\tattached\t\t\n{PN}\t{PN}\tattached\t\tsame phone number as {E164}\n"
    assert result.err == "2 attached\n"
    assert len(httpserver.log) == 3


def test_detach_reports_not_attached_from_the_list_and_from_a_404(msgsvc, profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number(), number(PN2, "+15017122662")])
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers/{PN2}", method="DELETE").respond_with_json(
        {"code": 20404, "message": "Not found", "status": 404}, status=404)
    httpserver.expect_oneshot_request(INCOMING).respond_with_json(incoming([("PN" + "7" * 32, "+15550001111")]))
    httpserver.expect_oneshot_request(INCOMING).respond_with_json(incoming([]))
    pn3 = "PN" + "3" * 32

    result = msgsvc("numbers", "detach", SERVICE_SID, pn3, "+15017122662", "+15550001111", "+15550002222",
                    "--yes", "--concurrency", "1")

    assert result.code == 1
    assert result.out == (
        f"{pn3}\t{pn3}\tnot attached\t\t\n"
        f"+15017122662\t{PN2}\tnot attached\t\t\n"
        f"+15550001111\t{'PN' + '7' * 32}\tnot attached\t\t\n"
        f"+15550002222\t\tfailed\t\tnot on this account\n"
    )
    assert result.err == "3 not attached, 1 failed\n"
    assert len(httpserver.log) == 4


def test_detach_without_a_terminal_needs_yes_and_sends_nothing(msgsvc, profile, httpserver):
    result = msgsvc("numbers", "detach", SERVICE_SID, PN)
    assert result.code == 2
    assert result.out == ""
    assert result.err == (
        "msgsvc: refusing to detach without confirmation\nhint: add --yes to detach from a script\n"
    )
    assert httpserver.log == []


@pytest.mark.parametrize("answer, code", [("n\n", 2), ("y\n", 0)])
def test_detach_asks_in_a_terminal(msgsvc, profile, httpserver, answer, code):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number()])
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers/{PN}", method="DELETE").respond_with_data("", 204)
    result = msgsvc("numbers", "detach", SERVICE_SID, PN, stdin=answer, stdin_tty=True)
    assert result.code == code
    prompt = f"Detach 1 phone number from {SERVICE_SID}? [y/N]: "
    if code:
        assert result.err == prompt + "Nothing detached.\n"
        assert result.out == ""
        assert len(httpserver.log) == 1
    else:
        assert result.err == prompt + "1 detached\n"
        assert result.out == f"{PN}\t{PN}\tdetached\t\t\n"
        assert len(httpserver.log) == 2


def test_dry_run_looks_up_reports_every_value_and_fails_as_the_real_run_would(msgsvc, profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number(PN2, "+15017122662")])
    httpserver.expect_oneshot_request(INCOMING).respond_with_json(incoming([(PN, E164)]))
    httpserver.expect_oneshot_request(INCOMING).respond_with_json(incoming([]))
    # Would another service refuse it (21712)? The services are listed: this one only.
    httpserver.expect_oneshot_request("/v1/Services", method="GET").respond_with_json(page("services", [service()]))
    result = msgsvc("numbers", "attach", SERVICE_SID, E164, PN2, "+15550002222", "--dry-run", "-c", "1")
    url = base_url_of(httpserver) + f"/v1/Services/{SERVICE_SID}/PhoneNumbers"
    assert (result.code, result.err) == (1, "Dry run: 1 request not sent; 1 would attach, 1 already attached, 1 would fail\n")
    assert result.out == (
        f"{E164}\t{PN}\twould attach\t\tPOST {url} PhoneNumberSid={PN}\n"
        f"{PN2}\t{PN2}\talready attached\t\t\n"
        "+15550002222\t\twould fail\t\tnot on this account\n"
    )
    assert [m for m, *_ in sent(httpserver)] == ["GET", "GET", "GET", "GET"]


def test_dry_run_json_has_one_entry_per_value(msgsvc, profile, httpserver):
    # The example: the first value would fail, the second would be attached.
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    httpserver.expect_oneshot_request(INCOMING, query_string={"PhoneNumber": "+15559999999", "PageSize": "1000"}).respond_with_json(incoming([]))
    httpserver.expect_oneshot_request(INCOMING, query_string={"PhoneNumber": "+15550000100", "PageSize": "1000"}).respond_with_json(incoming([(PN, "+15550000100")]))
    httpserver.expect_oneshot_request("/v1/Services", method="GET").respond_with_json(page("services", [service()]))
    result = msgsvc("numbers", "attach", SERVICE_SID, "+15559999999", "+15550000100", "--dry-run", "--json", "-c", "1")
    url = base_url_of(httpserver) + f"/v1/Services/{SERVICE_SID}/PhoneNumbers"
    assert result.code == 1, result.err
    assert json.loads(result.out) == [
        {"input": "+15559999999", "sid": None, "status": "would fail", "code": None,
         "message": "not on this account", "request": None},
        {"input": "+15550000100", "sid": PN, "status": "would attach", "code": None,
         "message": f"POST {url} PhoneNumberSid={PN}",
         "request": {"method": "POST", "url": url, "form": {"PhoneNumberSid": PN}}},
    ]
    assert [m for m, *_ in sent(httpserver)] == ["GET", "GET", "GET", "GET"]


def test_dry_run_detach_needs_no_confirmation(msgsvc, profile, httpserver):
    expect_listing(httpserver, "ShortCodes", "short_codes", [KINDS["short-codes"][4]])
    result = msgsvc("short-codes", "detach", SERVICE_SID, SC, "--dry-run", "--json")
    assert result.code == 0, result.err
    url = base_url_of(httpserver) + f"/v1/Services/{SERVICE_SID}/ShortCodes/{SC}"
    assert json.loads(result.out) == [{"input": SC, "sid": SC, "status": "would detach", "code": None,
                                       "message": f"DELETE {url}", "request": {"method": "DELETE", "url": url, "form": {}}}]
    assert len(httpserver.log) == 1


def test_from_file_skips_blanks_comments_and_duplicates(msgsvc, profile, httpserver, tmp_path):
    expect_listing(httpserver, "ShortCodes", "short_codes", [])
    sc2 = "SC" + "a" * 32
    for sid in (SC, sc2):
        httpserver.expect_oneshot_request(
            f"/v1/Services/{SERVICE_SID}/ShortCodes", method="POST", data=f"ShortCodeSid={sid}",
        ).respond_with_json(base(sid, short_code="1"), status=201)
    listing = tmp_path / "codes.txt"
    listing.write_text(f"# our codes\n\n{SC}   # main\n  {sc2}\n{SC}\n")
    result = msgsvc("short-codes", "attach", SERVICE_SID, SC, "--from-file", str(listing))
    assert result.code == 0, result.err
    assert result.out == f"{SC}\t{SC}\tattached\t\t\n{sc2}\t{sc2}\tattached\t\t\n"
    httpserver.check_assertions()

    expect_listing(httpserver, "ShortCodes", "short_codes", [])
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/ShortCodes", method="POST").respond_with_json(
        base(SC, short_code="1"), status=201)
    result = msgsvc("short-codes", "attach", SERVICE_SID, "-f", "-", stdin=f"{SC}\n")
    assert result.code == 0, result.err
    assert result.out == f"{SC}\t{SC}\tattached\t\t\n"


@pytest.mark.parametrize("noun, value, message", [
    ("alpha-senders", "12345", "'12345' is not a valid alpha sender ID: it cannot be digits only (argument)"),
    ("alpha-senders", "TooLongSender1", "'TooLongSender1' is not a valid alpha sender ID: 1 to 11 characters "
                                        "from A-Z a-z 0-9, space, - + _ &"),
    ("numbers", "15017122661", "'15017122661' is not an E.164 number: they begin with '+' (did you mean +15017122661?) (argument)"),
    ("numbers", "PN123", "'PN123' is neither a phone number SID (PN followed by 32 hexadecimal digits) "
                         "nor an E.164 number such as +15017122661 (argument)"),
    ("channel-senders", PN, f"'{PN}' is a phone number SID, not a channel sender SID (argument)"),
    ("channel-senders", "XE123", "'XE123' is not a channel sender SID (XE followed by 32 hexadecimal digits, or, for "
                                 "detach and get, its address such as whatsapp:+15017122661) (argument)"),
    ("channel-senders", "whatsapp:+15017122661", "'whatsapp:+15017122661': attach takes the XE... SID of the channel "
                                                 "sender (detach and get also take its address) (argument)"),
    ("short-codes", "55-501x", "'55-501x' is not a short code SID (SC followed by 32 hexadecimal digits, or the "
                               "short code itself such as 55501) (argument)"),
])
def test_invalid_values_are_refused_before_anything_is_sent(msgsvc, profile, httpserver, noun, value, message):
    result = msgsvc(noun, "attach", SERVICE_SID, value)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(f"msgsvc: {message}")
    assert result.err.endswith("hint: nothing was sent; fix the input and run again\n")
    assert httpserver.log == []


def test_several_invalid_lines_are_named_with_their_line_numbers(msgsvc, profile, httpserver, tmp_path):
    listing = tmp_path / "n.txt"
    listing.write_text(f"{PN}\nabc\n\n+1\n")
    result = msgsvc("numbers", "attach", SERVICE_SID, "-f", str(listing))
    assert result.code == 2
    assert f"2 values are not valid: " in result.err
    assert f"(line 2 of {listing})" in result.err and f"(line 4 of {listing})" in result.err
    assert httpserver.log == []


def test_no_values_is_a_usage_error(msgsvc, profile, httpserver):
    result = msgsvc("numbers", "attach", SERVICE_SID)
    assert result.code == 2
    assert result.err == (
        "msgsvc: no phone numbers given\n"
        "hint: name them as arguments or with --from-file FILE (see 'msgsvc numbers --help')\n"
    )


def test_service_by_name_and_results_table_on_a_terminal(msgsvc, profile, httpserver):

    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", [service()]))
    expect_listing(httpserver, "AlphaSenders", "alpha_senders", [])
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/AlphaSenders", method="POST",
                                      data="AlphaSender=Alerts").respond_with_json(base(AI, alpha_sender="Alerts"), status=201)
    result = msgsvc("alpha-senders", "attach", "Alerts", "Alerts", tty=True)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["INPUT", "SID", "STATUS", "CODE", "MESSAGE"]
    assert lines[1].split() == ["Alerts", AI, "attached"]


def test_destination_alpha_sender_text_naming_several_countries_needs_country(msgsvc, profile, httpserver):
    gb = KINDS["destination-alpha-senders"][4]
    fr = dict(gb, sid=AI2, iso_country_code="FR")
    expect_listing(httpserver, "DestinationAlphaSenders", "alpha_senders", [gb, fr])
    result = msgsvc("destination-alpha-senders", "detach", SERVICE_SID, "MyCompany", "--yes")
    assert result.code == 1
    assert result.out == (
        f"MyCompany\t\tfailed\t\t'MyCompany' names 2 destination alpha senders: {AI} (GB), {AI2} (FR); "
        "give --country or the SID\n"
    )
    expect_listing(httpserver, "DestinationAlphaSenders", "alpha_senders", [gb, fr])
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/DestinationAlphaSenders/{AI2}",
                                      method="DELETE").respond_with_data("", 204)
    result = msgsvc("destination-alpha-senders", "detach", SERVICE_SID, "MyCompany", "--country", "fr", "--yes")
    assert result.code == 0, result.err
    assert result.out == f"MyCompany\t{AI2}\tdetached\t\t\n"


def test_an_authentication_failure_stops_the_job(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers").respond_with_json(
        {"code": 20003, "message": "Authenticate", "status": 401}, status=401)
    result = msgsvc("numbers", "attach", SERVICE_SID, PN)
    assert result.code == 4
    assert result.out == ""  # the look-up failed: nothing was planned, nothing sent
    assert result.err.startswith("msgsvc: HTTP 401 (Twilio error 20003): Authenticate\n")


def test_installed_msgsvc_attaches_and_lists(profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="POST",
                                      data=f"PhoneNumberSid={PN}").respond_with_json(number(), status=201)
    done = run_installed("numbers", "attach", SERVICE_SID, "--from-file", "-", "--json", input=f"{PN}\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"input": PN, "sid": PN, "status": "attached", "code": None, "message": None}]
    assert done.stderr == "1 attached\n"

    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number()], query="PageSize=50")
    done = run_installed("numbers", "list", SERVICE_SID)
    assert done.returncode == 0, done.stderr
    assert done.stdout == KINDS["numbers"][5] + "\n"


@pytest.fixture
def threaded_server():
    """A pytest-httpserver that answers while another request is still being handled."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.mark.parametrize("present", [True, False])
def test_a_post_whose_answer_is_lost_is_checked_not_resent(msgsvc, profile, threaded_server, present):
    import threading

    from werkzeug import Response

    server = threaded_server
    release = threading.Event()

    def slow(request):
        release.wait(5)  # answers only after the client gave up and checked
        return Response(json.dumps(number()), status=201, content_type="application/json")

    def check(request):
        release.set()
        if present:
            return Response(json.dumps(number()), status=200, content_type="application/json")
        return Response(json.dumps({"code": 20404, "message": "Not found", "status": 404}), status=404,
                        content_type="application/json")

    server.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="GET").respond_with_json(
        page("phone_numbers", []))
    server.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="POST").respond_with_handler(slow)
    server.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers/{PN}", method="GET").respond_with_handler(check)
    base_url = base_url_of(server)

    result = msgsvc("--base-url", base_url, "--timeout", "1", "numbers", "attach", SERVICE_SID, PN)

    url = base_url + f"/v1/Services/{SERVICE_SID}/PhoneNumbers"
    if present:
        assert result.code == 0, result.err
        assert result.out == f"{PN}\t{PN}\tattached\t\t\n"
    else:
        assert result.code == 1
        assert result.out == (
            f"{PN}\t{PN}\tfailed\t\t127.0.0.1:{server.port} did not answer in time after the request was "
            f"sent: POST {url} may or may not have taken effect; it is not in the service: run the command again\n"
        )
    import time

    for _ in range(250):  # the slow handler logs its POST once it has returned
        if len(server.log) >= 3:
            break
        time.sleep(0.02)  # (not release.wait: release is set by now, it would not wait)
    methods = sorted(r.method for r, _ in server.log)
    assert methods == ["GET", "GET", "POST"]  # the POST was sent once


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_bar_only_on_a_terminal_stderr(msgsvc, profile, httpserver, terminal):
    from msgsvc.cli import output

    codes = ["SC%032x" % i for i in range(output.HANDFUL + 1)]
    expect_listing(httpserver, "ShortCodes", "short_codes", [])
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/ShortCodes", method="POST").respond_with_json(
        base(SC, short_code="1"), status=201)
    result = msgsvc("short-codes", "attach", SERVICE_SID, *codes, stderr_tty=terminal)
    assert result.code == 0, result.err
    assert result.out.count("\tattached\t") == len(codes)
    if terminal:
        assert "Attaching short codes" in result.err and f"{len(codes)}/{len(codes)}" in result.err
        assert result.err.endswith(f"{len(codes)} attached\n")
    else:
        assert result.err == f"{len(codes)} attached\n"


def test_a_failed_look_up_fails_only_its_item(msgsvc, profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    httpserver.expect_oneshot_request(INCOMING).respond_with_json(
        {"code": 20500, "message": "Internal Server Error", "status": 500}, status=500)
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="POST",
                                      data=f"PhoneNumberSid={PN2}").respond_with_json(number(PN2), status=201)
    result = msgsvc("numbers", "attach", SERVICE_SID, E164, PN2)
    assert result.code == 1
    assert result.out == (
        f"{E164}\t\tfailed\t20500\tlooking up {E164} failed: Internal Server Error\n"
        f"{PN2}\t{PN2}\tattached\t\t\n"
    )
    assert result.err == "1 attached, 1 failed\n"


def test_e164_look_up_follows_the_2010_relative_next_page_uri(msgsvc, profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    first = incoming([("PN" + "9" * 32, E164 + "1")])
    first["next_page_uri"] = INCOMING + "?PhoneNumber=%2B15017122661&PageSize=1&Page=1&PageToken=PA1"
    httpserver.expect_oneshot_request(INCOMING, query_string="PhoneNumber=%2B15017122661&PageSize=1000").respond_with_json(first)
    httpserver.expect_oneshot_request(INCOMING, query_string="PhoneNumber=%2B15017122661&PageSize=1&Page=1&PageToken=PA1",
                                      headers={"Authorization": BASIC_AUTH}).respond_with_json(incoming([(PN, E164)]))
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="POST",
                                      data=f"PhoneNumberSid={PN}").respond_with_json(number(), status=201)
    result = msgsvc("numbers", "attach", SERVICE_SID, E164)
    assert result.code == 0, result.err
    assert result.out == f"{E164}\t{PN}\tattached\t\t\n"
    httpserver.check_assertions()


def test_the_client_still_honours_proxy_variables_and_remembers_them(monkeypatch):
    from msgsvc.api.client import Client, ClientSettings

    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "api.twilio.com")
    connections = Client(ClientSettings(username=ACCOUNT_SID, password="x")).connections
    assert connections.proxy_for("https://messaging.twilio.com/v1/Services") == "http://127.0.0.1:3128"
    monkeypatch.delenv("HTTPS_PROXY")  # read once per host: the environment does not change during a run
    assert connections.proxy_for("https://messaging.twilio.com/v1/Services/MG1") == "http://127.0.0.1:3128"
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    assert connections.proxy_for("https://api.twilio.com/2010-04-01") is None


@pytest.mark.parametrize("verb, done, extra", [
    ("attach", "attached", []),
    ("detach", "detached", ["--yes"]),
])
def test_ctrl_c_during_a_bulk_job_reports_every_value_and_how_to_finish(msgsvc, profile, httpserver, monkeypatch, verb, done, extra):
    # Requests already in flight finish; every value still gets its one result, those never
    # sent as 'not sent', and the user is told that running the same command again finishes.
    from msgsvc.api import client

    pns = [f"PN{n:032x}" for n in range(5)]
    current = [number(pn, f"+1501712266{n}") for n, pn in enumerate(pns)] if verb == "detach" else []
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", current)
    calls = []
    real = client.Client.request
    taken = ctrl_c_taken(monkeypatch)

    def third_is_interrupted(self, method, *args, **kwargs):
        # Ctrl-C while the third change is in flight: the signal reaches the main thread,
        # which cancels what has not started; this request itself still finishes.
        if method != "GET":
            calls.append(args)
            if len(calls) == 3:
                os.kill(os.getpid(), signal.SIGINT)
                taken()
        return real(self, method, *args, **kwargs)

    monkeypatch.setattr(client.Client, "request", third_is_interrupted)
    for pn in pns[:3]:
        if verb == "attach":
            httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="POST",
                                              data=f"PhoneNumberSid={pn}").respond_with_json(number(pn), status=201)
        else:
            httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers/{pn}",
                                              method="DELETE").respond_with_data("", status=204)
    result = msgsvc("numbers", verb, SERVICE_SID, *pns, "--concurrency", "1", "--json", *extra)

    assert result.code == 130
    assert [(o["input"], o["status"]) for o in json.loads(result.out)] == (
        [(pn, done) for pn in pns[:3]] + [(pn, "not sent") for pn in pns[3:]]
    )
    assert result.err == (
        "msgsvc: stopping: waiting for the 1 request already sent\n"
        f"3 {done}, 2 not sent\n"
        "\n"  # the line after the ^C the terminal echoed
        f"msgsvc: interrupted: the phone numbers marked 'not sent' were left as they were\n"
        f"hint: run the same command again to finish: what is done already is reported, not sent twice\n"
    )
    httpserver.check_assertions()


def test_detach_prompt_names_the_service_the_user_named(msgsvc, profile, httpserver):
    # As 'services delete' does: the SID alone does not tell the user which service it is.

    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", [service()]))
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number()])
    result = msgsvc("numbers", "detach", "Alerts", PN, stdin="n\n", stdin_tty=True)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"Detach 1 phone number from Alerts ({SERVICE_SID})? [y/N]: Nothing detached.\n"
    assert len(httpserver.log) == 2


@pytest.mark.parametrize("noun", NOUNS)
def test_a_narrow_terminal_folds_no_sid_and_no_timestamp(msgsvc, profile, httpserver, noun):
    # A SID or a date folded over two lines cannot be copied; a date is shorter on a terminal.
    path, key, _, _, record, _ = KINDS[noun]
    expect_listing(httpserver, path, key, [record], query="PageSize=50")
    result = msgsvc(noun, "list", SERVICE_SID, tty=True, width=100)
    assert (result.code, result.err) == (0, "")
    assert sum(record["sid"] in line for line in result.out.splitlines()) == 1
    assert sum("2015-07-30 20:12" in line for line in result.out.splitlines()) == 1


def test_a_narrow_terminal_folds_no_sid_and_no_status_in_bulk_results(msgsvc, profile, httpserver):
    # At 80 columns a SID input beside its SID does not fit: the SID column is hidden (the
    # INPUT is the SID), never cut; the status is whole.
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number()])
    result = msgsvc("numbers", "attach", SERVICE_SID, PN, tty=True, width=80)
    assert (result.code, result.err) == (0, "1 already attached\n")
    assert result.out.splitlines() == [f"{'INPUT':34}  STATUS            CODE  MESSAGE", f"{PN}  already attached"]


def test_many_e164_numbers_are_resolved_by_one_listing_of_the_account(msgsvc, profile, httpserver):
    """800 numbers by E.164 should not cost 800 look-ups: above 50, the account's numbers are
    listed once (1,000 a page) and matched exactly."""
    numbers = [(f"PN{n:032x}", f"+1555{n:07d}") for n in range(60)]
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    httpserver.expect_oneshot_request(INCOMING, method="GET", query_string="PageSize=1000").respond_with_json(
        incoming(numbers[:-1]))  # the last one is not on the account
    for pn, _ in numbers[:-1]:
        httpserver.expect_oneshot_request(
            f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="POST", data=f"PhoneNumberSid={pn}",
        ).respond_with_json(number(pn), status=201)

    result = msgsvc("numbers", "attach", SERVICE_SID, *(e164 for _, e164 in numbers), "--json")

    assert result.code == 1
    outcome = json.loads(result.out)
    assert [o["status"] for o in outcome] == ["attached"] * 59 + ["failed"]
    assert outcome[-1]["message"] == "not on this account"
    lookups = [s for s in sent(httpserver) if s[1] == INCOMING]
    assert lookups == [("GET", INCOMING, "PageSize=1000", "")]
    assert result.err == "59 attached, 1 failed\n"


def test_ctrl_c_during_the_look_ups_changes_nothing_and_says_interrupted(msgsvc, profile, httpserver, monkeypatch):
    from msgsvc.api import client

    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])

    def interrupted(self, kind, e164):
        raise KeyboardInterrupt

    monkeypatch.setattr(client.Client, "find_account_sender", interrupted)
    result = msgsvc("numbers", "attach", SERVICE_SID, "+15017122661", "+15017122662")
    assert (result.code, result.out) == (130, "")
    assert result.err == "\nmsgsvc: interrupted\n"
    assert [s[0] for s in sent(httpserver)] == ["GET"]
