"""A newcomer's review, round 8: one rule for what a person types, wherever it is typed.

A SID is read in any case and sent as Twilio writes it; a phone number is read as `numbers`
reads it; `--from-file -` is standard input everywhere; profiles remove confirms as every
delete does; and the other small disagreements the review found."""

from __future__ import annotations

import json

import pytest
from conftest import ACCOUNT_SID, SERVICE_SID, page, service
from corehelp import assert_request, sent
from emulator_helpers import emulator  # noqa: F401 (fixture)
from factories import create_service

MG_UPPER = "MG" + SERVICE_SID[2:].upper()  # MGAAAA...: Twilio's paths know only MGaaaa...
MG_LOWER = SERVICE_SID.lower()  # mgaaaa...
BRAND = "BN" + "ab" * 16
SM = "SM" + "cd" * 16


from test_newcomer_r8 import emu  # noqa: E402,F401 (the emulator's credentials in the environment)


def spellings(sid: str) -> list[str]:
    """A SID as a person may type it: the prefix in lower case, the hex in upper case, both."""
    return [sid[:2].lower() + sid[2:], sid[:2] + sid[2:].upper(), sid[:2].lower() + sid[2:].upper()]


# --- 1. a SID a person types is read in any case and sent as Twilio writes it ----------------


@pytest.mark.parametrize("typed", spellings(SERVICE_SID))
def test_services_get_reads_a_service_sid_in_any_case(msgsvc, profile, httpserver, typed):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    result = msgsvc("services", "get", typed, "--json")
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == service()
    (request,) = sent(httpserver)
    assert_request(request, "GET", f"/v1/Services/{SERVICE_SID}")


def test_services_delete_sends_the_sid_as_twilio_writes_it(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="DELETE").respond_with_data("", status=204)
    result = msgsvc("services", "delete", MG_UPPER, "--yes")
    assert (result.code, result.out, result.err) == (0, "", f"Deleted {SERVICE_SID} (Alerts)\n")
    get, delete = sent(httpserver)
    assert_request(get, "GET", f"/v1/Services/{SERVICE_SID}")
    assert (delete.method, delete.path) == ("DELETE", f"/v1/Services/{SERVICE_SID}")


def test_services_update_sends_the_sid_as_twilio_writes_it(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service(validity_period=60))
    result = msgsvc("services", "update", MG_LOWER, "--validity-period", "60", "--json")
    assert result.code == 0, result.err
    (request,) = sent(httpserver)
    assert_request(request, "POST", f"/v1/Services/{SERVICE_SID}", form="ValidityPeriod=60")


@pytest.mark.parametrize("args", [["numbers", "list"], ["tollfree", "status"], ["messages", "failures"], ["export"],
                                  ["doctor"], ["campaigns", "get"]])
def test_every_service_argument_reads_the_sid_in_any_case(msgsvc, emu, args):
    """Commands whose SERVICE is read by the library (no option callback) too."""
    sid = create_service(emu, "Alerts")
    for typed in spellings(sid):
        result = msgsvc(*args, typed)
        assert result.code in (0, 3, 9), result.err  # 3: campaigns get, not registered; 9: doctor, findings
        assert typed not in result.out + result.err
        assert "no service" not in result.err
    registered = msgsvc("campaigns", "get", sid.upper())
    assert registered.err.startswith(f"msgsvc: {sid} (Alerts) has no US A2P 10DLC campaign")


@pytest.mark.parametrize("typed, message", [
    ("PN" + "0" * 32, f"'PN{'0' * 32}' is a phone number SID, not a Messaging Service SID (MG...)"),
    ("pn" + "0" * 32, f"'pn{'0' * 32}' is a phone number SID, not a Messaging Service SID (MG...)"),
    ("MG" + "z" * 32, f"'MG{'z' * 32}' is not a Messaging Service SID (MG followed by 32 hexadecimal digits)"),
])
def test_a_sid_of_another_kind_is_still_refused_in_any_case(msgsvc, profile, httpserver, typed, message):
    result = msgsvc("services", "get", typed)
    assert (result.code, result.out) == (2, "")
    assert f"msgsvc: Invalid value for 'SERVICE': {message}\n" in result.err
    assert httpserver.log == []


@pytest.mark.parametrize("typed", spellings(BRAND))
def test_brands_get_reads_a_brand_sid_in_any_case(msgsvc, profile, httpserver, typed):
    brand = {"sid": BRAND, "brand_type": "STANDARD", "status": "APPROVED", "failure_reason": None, "errors": []}
    httpserver.expect_oneshot_request(f"/v1/a2p/BrandRegistrations/{BRAND}").respond_with_json(brand)
    result = msgsvc("brands", "get", typed, "--json")
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == brand
    (request,) = sent(httpserver)
    assert_request(request, "GET", f"/v1/a2p/BrandRegistrations/{BRAND}")


def test_campaigns_usecases_sends_the_brand_as_twilio_writes_it(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p/Usecases").respond_with_json(
        {"us_app_to_person_usecases": []})
    result = msgsvc("campaigns", "usecases", MG_LOWER, "--brand", BRAND.lower())
    assert (result.code, result.out) == (0, ""), result.err
    get, usecases = sent(httpserver)
    assert_request(get, "GET", f"/v1/Services/{SERVICE_SID}")
    assert_request(usecases, "GET", f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p/Usecases",
                   query=f"BrandRegistrationSid={BRAND}")


def test_campaigns_create_sends_the_brand_as_twilio_writes_it(msgsvc, profile, httpserver, tmp_path):
    from test_campaigns_commands import COMPLIANCE, REQUIRED, REQUIRED_FORM, campaign
    from test_campaigns_commands import BRAND as THEIR_BRAND

    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    httpserver.expect_oneshot_request(COMPLIANCE, method="POST").respond_with_json(campaign(), status=201)
    typed = [BRAND.upper() if a == THEIR_BRAND else a for a in REQUIRED]
    result = msgsvc("campaigns", "create", MG_UPPER, *typed, "--json")
    assert result.code == 0, result.err
    get, post = sent(httpserver)
    assert_request(get, "GET", f"/v1/Services/{SERVICE_SID}")
    assert_request(post, "POST", COMPLIANCE, form=REQUIRED_FORM.replace(THEIR_BRAND, BRAND))
    # A file's brand is read the same way: the file's values go through the options' checks.
    (tmp_path / "campaign.toml").write_text(f'brand = "{BRAND.lower().upper().replace("BN", "bn", 1)}"\n', encoding="utf-8")
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    httpserver.expect_oneshot_request(COMPLIANCE, method="POST").respond_with_json(campaign(), status=201)
    from_file = msgsvc("campaigns", "create", SERVICE_SID, "--from-file", str(tmp_path / "campaign.toml"),
                       *REQUIRED[2:], "--json")
    assert from_file.code == 0, from_file.err
    assert_request(sent(httpserver)[-1], "POST", COMPLIANCE, form=REQUIRED_FORM.replace(THEIR_BRAND, BRAND))


@pytest.mark.parametrize("typed", spellings(SM))
def test_messages_get_reads_a_message_sid_in_any_case(msgsvc, profile, httpserver, typed):
    from test_send_commands import message

    record = message(sid=SM, status="delivered")
    httpserver.expect_oneshot_request(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SM}.json").respond_with_json(record)
    result = msgsvc("messages", "get", typed, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["sid"] == SM
    (request,) = sent(httpserver)
    assert_request(request, "GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SM}.json")


def test_messages_cancel_sends_the_sid_as_twilio_writes_it(msgsvc, profile, httpserver):
    from test_send_commands import message

    httpserver.expect_oneshot_request(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SM}.json", method="POST").respond_with_json(
        message(sid=SM, status="canceled"))
    result = msgsvc("messages", "cancel", SM.upper().replace("SM", "sm", 1), "--json")
    assert (result.code, result.err) == (0, f"Canceled message {SM}\n")
    (request,) = sent(httpserver)
    assert_request(request, "POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SM}.json", form="Status=canceled")


def test_send_sends_the_service_and_content_sid_as_twilio_writes_them(msgsvc, profile, httpserver):
    from test_send_commands import MESSAGES, message, no_findings

    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    no_findings(httpserver)
    httpserver.expect_oneshot_request(MESSAGES, method="POST").respond_with_json(message(), status=201)
    content = "HX" + "ef" * 16
    result = msgsvc("send", MG_LOWER, "--to", "+14155550100", "--content-sid", content.upper(), "--yes", "--json")
    assert result.code == 0, result.err
    assert all(SERVICE_SID in r.path for r in sent(httpserver)[:-1])
    assert_request(sent(httpserver)[-1], "POST", MESSAGES,
                   form=f"To=%2B14155550100&MessagingServiceSid={SERVICE_SID}&ContentSid={content}")


def test_tollfree_get_reads_a_verification_sid_in_any_case(msgsvc, profile, httpserver):
    hh = "HH" + "ab" * 16
    record = {"sid": hh, "status": "IN_REVIEW", "tollfree_phone_number": "+18005550100"}
    httpserver.expect_oneshot_request(f"/v1/Tollfree/Verifications/{hh}").respond_with_json(record)
    result = msgsvc("tollfree", "get", "hh" + hh[2:].upper(), "--json")
    assert result.code == 0, result.err
    (request,) = sent(httpserver)
    assert_request(request, "GET", f"/v1/Tollfree/Verifications/{hh}")


def test_profiles_add_keeps_the_account_and_key_sids_as_twilio_writes_them(msgsvc, isolated):
    from msgsvc.local import config

    account, key = "AC" + "ab" * 16, "SK" + "cd" * 16
    result = msgsvc("profiles", "add", "ci", "--account-sid", account.upper().replace("AC", "ac", 1),
                    "--api-key", key.upper(), "--no-verify", stdin="a-secret-0123456789\n")
    assert result.code == 0, result.err
    stored = config.read_config()["profiles"]["ci"]
    assert (stored["account_sid"], stored["api_key"]) == (account, key)


def test_a_typed_sid_is_one_rule_of_validate():
    from msgsvc.api import validate

    assert validate.canonical_sid("mg" + "A" * 32, "MG") == "MG" + "a" * 32
    assert validate.canonical_sid("MG" + "a" * 32, "PN") is None
    assert validate.canonical_sid("MG" + "a" * 32 + "\n", "MG") is None
    assert validate.sid("Sk" + "B" * 32, "SK") == "SK" + "b" * 32
    # What a server sends is checked as it is: is_sid does not read a lower-case prefix.
    assert not validate.is_sid("mg" + "a" * 32, "MG")


from test_newcomer_r8 import VERIFICATION_TOML  # noqa: E402 (one toll-free file for both)


def test_a_verification_file_s_customer_profile_is_read_in_any_case(msgsvc, emu, tmp_path):
    bu = "BU" + "ab" * 16
    details = tmp_path / "verification.toml"
    details.write_text(VERIFICATION_TOML + f'customer-profile-sid = "bu{bu[2:].upper()}"\n')
    result = msgsvc("tollfree", "create", "+18005550100", "--from-file", str(details), "--dry-run", "--json")
    assert result.code == 0, result.err
    (planned,) = json.loads(result.out)
    assert planned["status"] == "would create"
    assert planned["message"].endswith(f" MessageVolume=1,000 CustomerProfileSid={bu}")


# --- 2. a phone number a person types is read one way everywhere ------------------------------


@pytest.mark.parametrize("typed", ["+1 415 555 0100", "+1 (415) 555-0100", " +1.415.555.0100 "])
def test_send_reads_a_number_as_numbers_does(msgsvc, profile, httpserver, typed):
    from test_send_commands import MESSAGES, message, no_findings

    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    no_findings(httpserver)
    httpserver.expect_oneshot_request(MESSAGES, method="POST").respond_with_json(message(), status=201)
    result = msgsvc("send", SERVICE_SID, "--to", typed, "--body", "Hi", "--yes", "--json")
    assert result.code == 0, result.err
    assert_request(sent(httpserver)[-1], "POST", MESSAGES,
                   form=f"To=%2B14155550100&MessagingServiceSid={SERVICE_SID}&Body=Hi")


@pytest.mark.parametrize("typed, problem", [
    ("14155550100", "'14155550100' is not an E.164 number: they begin with '+' (did you mean +14155550100?)"),
    ("1 415 555 0100", "'1 415 555 0100' is not an E.164 number: they begin with '+' (did you mean +14155550100?)"),
    ("(415) 555-0100", "'(415) 555-0100' is not an E.164 number: they begin with '+' (did you mean +14155550100?)"),
    ("5550000002", "'5550000002' is not an E.164 number: they begin with '+' (did you mean +5550000002?)"),
    ("+1 415 555 0100 00000", "'+1 415 555 0100 00000' is not an E.164 phone number such as +15017122661"),
    ("owl", "'owl' is not an E.164 phone number such as +15017122661"),
])
def test_send_refuses_a_number_as_numbers_does(msgsvc, profile, httpserver, typed, problem):
    result = msgsvc("send", SERVICE_SID, "--to", typed, "--body", "Hi", "--yes")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("Usage: msgsvc send [OPTIONS] SERVICE\n"
                          f"msgsvc: Invalid value for '--to': {problem}\n"
                          "hint: see 'msgsvc send --help'\n")
    assert sent(httpserver) == []
    if typed != "owl":  # numbers also takes a PN... SID, and says so
        attach = msgsvc("numbers", "attach", SERVICE_SID, typed)
        assert attach.code == 2 and f"msgsvc: {problem} (argument)\n" in attach.err  # the same sentence


def test_a_verification_file_s_phone_numbers_are_read_as_numbers_does(msgsvc, emu, tmp_path):
    details = tmp_path / "verification.toml"
    details.write_text(VERIFICATION_TOML + 'business-contact-phone = "+1 (501) 712-2661"\n')
    result = msgsvc("tollfree", "create", "+18005550100", "--from-file", str(details), "--dry-run", "--json")
    assert result.code == 0, result.err
    (planned,) = json.loads(result.out)
    assert planned["message"].endswith(" MessageVolume=1,000 BusinessContactPhone=+15017122661")


def test_a_typed_number_is_one_rule_of_validate():
    from msgsvc.api import validate

    assert validate.typed_number(" +1 (415) 555-0100 ") == "+14155550100"
    assert validate.typed_number("owl") is None
    assert validate.typed_number("55501") is None  # a short code is not a phone number
    with pytest.raises(ValueError, match=r"did you mean \+14155550100\?"):
        validate.typed_number("14155550100")
    assert validate.phone_number("+1 415 555 0100") == "+14155550100"
    with pytest.raises(ValueError, match="'owl' is not an E.164 phone number such as"):
        validate.phone_number("owl")


# --- 3. --from-file - is standard input, as the senders' is -----------------------------------


def test_campaigns_create_reads_the_file_from_standard_input(msgsvc, profile, httpserver):
    from test_campaigns_commands import CAMPAIGN_TOML, COMPLIANCE, REQUIRED_FORM, campaign

    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    httpserver.expect_oneshot_request(COMPLIANCE, method="POST").respond_with_json(campaign(), status=201)
    result = msgsvc("campaigns", "create", SERVICE_SID, "--from-file", "-", "--json", stdin=CAMPAIGN_TOML)
    assert result.code == 0, result.err
    get, post = sent(httpserver)
    assert_request(get, "GET", f"/v1/Services/{SERVICE_SID}")
    assert_request(post, "POST", COMPLIANCE, form=REQUIRED_FORM + "&OptOutKeywords=STOP")


def test_campaigns_update_reads_the_file_from_standard_input(msgsvc, profile, httpserver):
    from test_campaigns_commands import (CAMPAIGN, CAMPAIGN_TOML, COMPLIANCE, DESCRIPTION, FLOW, SAMPLES, campaign,
                                         expect_campaign, q)

    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    expect_campaign(httpserver, campaign(campaign_status="FAILED"))
    httpserver.expect_oneshot_request(f"{COMPLIANCE}/{CAMPAIGN}", method="POST").respond_with_json(campaign())
    result = msgsvc("campaigns", "update", SERVICE_SID, "--from-file", "-", stdin=CAMPAIGN_TOML)
    assert result.code == 0, result.err
    assert result.err.startswith("standard input: not sent, since an update cannot change them: brand, usecase, opt-out-keyword\n")
    assert_request(sent(httpserver)[2], "POST", f"{COMPLIANCE}/{CAMPAIGN}", form=(
        f"Description={q(DESCRIPTION)}&MessageFlow={q(FLOW)}&MessageSamples={q(SAMPLES[0])}"
        f"&MessageSamples={q(SAMPLES[1])}&HasEmbeddedLinks=false&HasEmbeddedPhone=true&AgeGated=false&DirectLending=false"))


def test_a_campaign_file_on_standard_input_is_named_so_in_errors(msgsvc, profile, httpserver):
    from test_campaigns_commands import CAMPAIGN_TOML, DESCRIPTION

    result = msgsvc("campaigns", "create", SERVICE_SID, "--from-file", "-", stdin=CAMPAIGN_TOML.replace(DESCRIPTION, "Too short."))
    assert (result.code, result.out, result.err) == (
        2, "", "msgsvc: standard input: description: it is 10 characters long; it must have at least 40\nhint: nothing was sent\n")
    assert sent(httpserver) == []


def test_tollfree_create_reads_the_file_from_standard_input(msgsvc, emu):
    result = msgsvc("tollfree", "create", "+18005550100", "--from-file", "-", "--dry-run", "--json", stdin=VERIFICATION_TOML)
    assert result.code == 0, result.err
    (planned,) = json.loads(result.out)
    assert planned["status"] == "would create"
    assert planned["message"].endswith(" OptInType=WEB_FORM MessageVolume=1,000")
    broken = msgsvc("tollfree", "create", "+18005550100", "--from-file", "-", stdin=VERIFICATION_TOML.replace("WEB_FORM", "FAX"))
    assert (broken.code, broken.out) == (2, "")
    assert broken.err.startswith("msgsvc: standard input:8: opt-in-type must be one of ")


@pytest.mark.parametrize("command", [("campaigns", "create"), ("campaigns", "update"), ("tollfree", "create"),
                                     ("tollfree", "update")])
def test_from_file_help_says_dash_is_standard_input(msgsvc, command):
    text = " ".join(msgsvc(*command, "--help").out.split())
    assert "('-' is standard input)" in text


# --- 5. profiles remove confirms as every delete does -------------------------------------------


@pytest.fixture
def two_saved(msgsvc, isolated):
    for name in ("prod", "ci"):
        added = msgsvc("profiles", "add", name, "--no-verify", "--account-sid", ACCOUNT_SID, stdin="token-0123456789\n")
        assert added.code == 0, added.err
    from msgsvc.local import config

    return config.config_path()


def test_profiles_remove_in_a_script_needs_yes(msgsvc, two_saved):
    before = two_saved.read_bytes()
    result = msgsvc("profiles", "remove", "ci")
    assert (result.code, result.out, result.err) == (
        2, "", "msgsvc: refusing to remove a profile without confirmation\nhint: add --yes to remove from a script\n")
    several = msgsvc("profiles", "remove", "ci", "prod")
    assert (several.code, several.err) == (
        2, "msgsvc: refusing to remove 2 profiles without confirmation\nhint: add --yes to remove from a script\n")
    assert two_saved.read_bytes() == before
    done = msgsvc("profiles", "remove", "ci", "--yes")
    assert (done.code, done.out, done.err) == (0, "", "Removed profile 'ci'\n")
    assert msgsvc("profiles", "list", "--fields", "name").out == "prod\n"


def test_profiles_remove_asks_on_a_terminal(msgsvc, two_saved):
    before = two_saved.read_bytes()
    kept = msgsvc("profiles", "remove", "ci", stdin="n\n", stdin_tty=True)
    assert (kept.code, kept.out, kept.err) == (
        2, "", "Remove profile 'ci' (account ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) and its secret, in the config file? "
               "[y/N]: Nothing removed.\n")
    assert two_saved.read_bytes() == before
    several = msgsvc("profiles", "remove", "ci", "prod", stdin="\n", stdin_tty=True)
    assert (several.code, several.err) == (
        2, "Remove these 2 profiles and their secrets: 'ci', 'prod'? [y/N]: Nothing removed.\n")
    assert two_saved.read_bytes() == before
    removed = msgsvc("profiles", "remove", "ci", stdin="y\n", stdin_tty=True)
    assert (removed.code, removed.out) == (0, "")
    assert removed.err == ("Remove profile 'ci' (account ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) and its secret, in the "
                           "config file? [y/N]: Removed profile 'ci'\n")


def test_profiles_remove_names_a_keyring_secret_in_its_question(msgsvc, isolated, keyring_file):
    added = msgsvc("profiles", "add", "prod", "--no-verify", "--account-sid", ACCOUNT_SID, stdin="token-0123456789\n")
    assert added.code == 0, added.err
    kept = msgsvc("profiles", "remove", "prod", stdin="no\n", stdin_tty=True)
    assert (kept.code, kept.err) == (
        2, "Remove profile 'prod' (account ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa) and its secret, in the system keyring? "
           "[y/N]: Nothing removed.\n")
    assert json.loads(keyring_file.read_text())  # the entry is still there


def test_an_unknown_profile_is_still_exit_4_before_any_question(msgsvc, two_saved):
    result = msgsvc("profiles", "remove", "cj", "--yes")
    assert (result.code, result.out) == (4, "")
    assert result.err.startswith("msgsvc: there is no profile named 'cj'")
    script = msgsvc("profiles", "remove", "cj")  # a typo is said as such, in a script too
    assert script.code == 4 and script.err.startswith("msgsvc: there is no profile named 'cj'")


def test_profiles_remove_help_offers_yes(msgsvc):
    text = " ".join(msgsvc("profiles", "remove", "--help").out.split())
    assert "-y, --yes Do not ask for confirmation (required when not in a terminal)." in text
    assert "a secret removed is lost: asks for confirmation in a terminal; needs --yes otherwise." in text


# --- 6. tollfree create says what fits each number's verification ------------------------------


def test_tollfree_create_suggests_what_fits_each_status(msgsvc, profile, httpserver, tmp_path):
    from datetime import datetime, timedelta, timezone

    from test_tollfree_commands import INCOMING, TOML, VERIFICATIONS, incoming, v2010, verification

    later = (datetime.now(timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    numbers = {f"+1800555010{i}": "PN" + c * 32 for i, c in enumerate("abcde")}
    (new, pending, approved, editable, closed) = numbers
    records = [
        verification(sid="HH" + "b" * 32, tollfree_phone_number_sid=numbers[pending], tollfree_phone_number=pending,
                     status="IN_REVIEW"),
        verification(sid="HH" + "c" * 32, tollfree_phone_number_sid=numbers[approved], tollfree_phone_number=approved,
                     status="TWILIO_APPROVED"),
        verification(sid="HH" + "d" * 32, tollfree_phone_number_sid=numbers[editable], tollfree_phone_number=editable,
                     status="TWILIO_REJECTED", edit_allowed=True, edit_expiration=later),
        verification(sid="HH" + "e" * 32, tollfree_phone_number_sid=numbers[closed], tollfree_phone_number=closed,
                     status="TWILIO_REJECTED", edit_allowed=False),
    ]
    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(page("verifications", records))
    for number, pn in numbers.items():
        httpserver.expect_oneshot_request(INCOMING, method="GET", query_string=f"PhoneNumber=%2B{number[1:]}&PageSize=1000"
                                          ).respond_with_json(v2010("incoming_phone_numbers", [incoming(pn, number)]))
    httpserver.expect_oneshot_request(VERIFICATIONS, method="POST").respond_with_json(
        verification(sid="HH" + "a" * 32, tollfree_phone_number_sid=numbers[new], tollfree_phone_number=new), status=201)
    path = tmp_path / "verification.toml"
    path.write_text(TOML)
    result = msgsvc("tollfree", "create", *numbers, "--from-file", str(path))
    assert result.code == 0, result.err
    assert [line.split("\t")[2] for line in result.out.splitlines()] == ["created"] + ["exists"] * 4
    assert result.err == (
        f"Follow the review with: msgsvc tollfree wait {new} {pending}\n"
        f"Approved already, nothing to do: {approved}\n"
        f"Rejected, and may be edited until its window closes: fix the file, then: "
        f"msgsvc tollfree update {editable} --from-file FILE --edit-reason TEXT\n"
        f"Rejected, and too late to edit: msgsvc tollfree delete {closed}, then create it again: "
        f"msgsvc tollfree create {closed} --from-file FILE\n"
        "1 created, 4 exists\n")
    posts = [r for r in sent(httpserver) if r.method == "POST"]
    assert [p.form["TollfreePhoneNumberSid"] for p in posts] == [numbers[new]]


def test_tollfree_create_of_approved_numbers_only_suggests_no_wait(msgsvc, profile, httpserver, tmp_path):
    from test_tollfree_commands import INCOMING, NUMBER, PN, TOML, VERIFICATIONS, incoming, v2010, verification

    httpserver.expect_oneshot_request(VERIFICATIONS, method="GET").respond_with_json(
        page("verifications", [verification(status="TWILIO_APPROVED")]))
    httpserver.expect_oneshot_request(INCOMING, method="GET").respond_with_json(v2010("incoming_phone_numbers", [incoming()]))
    path = tmp_path / "verification.toml"
    path.write_text(TOML)
    result = msgsvc("tollfree", "create", NUMBER, "--from-file", str(path))
    assert (result.code, result.out) == (0, f"{NUMBER}\tHH{'1' * 32}\texists\t\tTWILIO_APPROVED: none\n")
    assert result.err == f"Approved already, nothing to do: {NUMBER}\n1 exists\n"
    assert "tollfree wait" not in result.err


# --- 7. profiles list: --help, --fields and --json name the same fields -------------------------


def listed_in_help(msgsvc) -> tuple[list[str], list[str]]:
    import re

    text = " ".join(msgsvc("profiles", "list", "--help").out.split())
    columns = re.search(r"Columns \(the TSV's order, no header\): ([^.]*)\.", text).group(1).split(", ")
    fields = re.search(r"--fields takes any of: ([^.]*)\.", text).group(1).split(", ")
    return columns, fields


def test_profiles_list_fields_takes_every_column_its_help_lists(msgsvc, two_saved):
    columns, fields = listed_in_help(msgsvc)
    assert columns == ["active_mark", "name", "account_sid", "auth", "storage", "region", "edge", "base_url"]
    assert set(columns) <= set(fields)
    result = msgsvc("profiles", "list", "--fields", "active_mark,name")
    assert (result.code, result.out, result.err) == (0, "\tci\n*\tprod\n", "")


def test_profiles_list_json_has_every_field_its_help_lists(msgsvc, two_saved):
    _, fields = listed_in_help(msgsvc)
    result = msgsvc("profiles", "list", "--json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [list(row) for row in rows] == [fields, fields]
    assert rows[1] == {"name": "prod", "active": True, "active_mark": "*", "account_sid": ACCOUNT_SID, "api_key": None,
                       "auth": "auth token", "storage": "file", "region": None, "edge": None, "base_url": None}


def test_emulator_account_sid_is_read_in_any_case(msgsvc, monkeypatch):
    from msgsvc.cli.commands import emulator as command

    served = {}
    monkeypatch.setattr(command, "serve", lambda term, **options: served.update(options))
    result = msgsvc("emulator", "--account-sid", "ac" + "AB" * 16, "--port", "0")
    assert result.code == 0, result.err
    assert served["account_sid"] == "AC" + "ab" * 16
