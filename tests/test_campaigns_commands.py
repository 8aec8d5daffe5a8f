"""msgsvc campaigns, brands and the A2P parts of services: the exact requests each command
sends (pytest-httpserver), every rule checked before sending, and the whole review against
the in-process emulator (wait both ways and on timeout, the delete guard end to end)."""

from __future__ import annotations

import json
import re
from urllib.parse import quote_plus

import pytest

from conftest import SERVICE_SID, page, run_installed, service
from corehelp import assert_request, sent

BRAND = "BN" + "1" * 32
CAMPAIGN = "QE" + "2" * 32
COMPLIANCE = f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p"
DESCRIPTION = "Send order and delivery updates to customers who opted in."
FLOW = "Customers opt in at checkout on example.com by ticking an unticked box."
SAMPLES = ["Your order 1234 has shipped.", "Your order 1234 was delivered today."]

REQUIRED = [
    "--brand", BRAND, "--usecase", "DELIVERY_NOTIFICATION", "--description", DESCRIPTION,
    "--message-flow", FLOW, "--sample", SAMPLES[0], "--sample", SAMPLES[1],
    "--no-has-embedded-links", "--has-embedded-phone",
]


def q(text: str) -> str:
    return quote_plus(text)


REQUIRED_FORM = (
    f"BrandRegistrationSid={BRAND}&UsAppToPersonUsecase=DELIVERY_NOTIFICATION&Description={q(DESCRIPTION)}"
    f"&MessageFlow={q(FLOW)}&MessageSamples={q(SAMPLES[0])}&MessageSamples={q(SAMPLES[1])}"
    "&HasEmbeddedLinks=false&HasEmbeddedPhone=true"
)


def campaign(**extra) -> dict:
    """A campaign as the API returns it (the definition's example, with our values)."""
    record = {
        "sid": CAMPAIGN, "account_sid": "AC" + "a" * 32, "brand_registration_sid": BRAND,
        "messaging_service_sid": SERVICE_SID, "description": DESCRIPTION, "message_samples": SAMPLES,
        "us_app_to_person_usecase": "DELIVERY_NOTIFICATION", "has_embedded_links": False, "has_embedded_phone": True,
        "subscriber_opt_in": False, "age_gated": False, "direct_lending": False, "campaign_status": "PENDING",
        "campaign_id": "CFOOBAR", "is_externally_registered": False,
        "rate_limits": {"att": {"mps": 600, "msg_class": "A"}, "tmobile": {"brand_tier": "TOP"}},
        "message_flow": FLOW, "opt_in_message": None, "opt_out_message": None, "help_message": None,
        "opt_in_keywords": None, "opt_out_keywords": None, "help_keywords": None,
        "date_created": "2021-02-18T14:48:52Z", "date_updated": "2021-02-18T14:48:52Z",
        "url": f"https://messaging.twilio.com{COMPLIANCE}/{CAMPAIGN}", "mock": False, "errors": [],
        "privacy_policy_url": None, "terms_and_conditions_url": None,
    }
    record.update(extra)
    return record


def expect_service(httpserver) -> None:
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())


def expect_campaign(httpserver, record: dict | None = None) -> None:
    httpserver.expect_oneshot_request(COMPLIANCE, method="GET").respond_with_json(page("compliance", [record or campaign()]))


# --- create -------------------------------------------------------------------------------


def test_create_sends_every_option_with_repeated_keys(msgsvc, profile, httpserver):
    expect_service(httpserver)
    httpserver.expect_oneshot_request(COMPLIANCE, method="POST").respond_with_json(campaign(), status=201)
    result = msgsvc(
        "campaigns", "create", SERVICE_SID, *REQUIRED,
        "--opt-in-message", "Acme: you are opted in. Reply HELP for help, STOP to stop.",
        "--opt-out-message", "Acme: you are unsubscribed and will get no more messages.",
        "--help-message", "Acme: see example.com/help. Reply STOP to stop.",
        "--opt-in-keyword", "START", "--opt-in-keyword", "YES", "--opt-out-keyword", "STOP",
        "--help-keyword", "HELP", "--subscriber-opt-in", "--no-age-gated", "--no-direct-lending",
        "--privacy-policy-url", "https://example.com/privacy", "--terms-and-conditions-url", "https://example.com/terms",
        "--json",
    )
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == campaign()
    get, post = sent(httpserver)
    assert_request(get, "GET", f"/v1/Services/{SERVICE_SID}")
    assert_request(post, "POST", COMPLIANCE, form=(
        REQUIRED_FORM
        + "&OptInMessage=" + q("Acme: you are opted in. Reply HELP for help, STOP to stop.")
        + "&OptOutMessage=" + q("Acme: you are unsubscribed and will get no more messages.")
        + "&HelpMessage=" + q("Acme: see example.com/help. Reply STOP to stop.")
        + "&OptInKeywords=START&OptInKeywords=YES&OptOutKeywords=STOP&HelpKeywords=HELP"
        + "&SubscriberOptIn=true&AgeGated=false&DirectLending=false"
        + "&PrivacyPolicyUrl=" + q("https://example.com/privacy") + "&TermsAndConditionsUrl=" + q("https://example.com/terms")
    ))


def test_create_in_a_pipe_prints_field_tab_value_and_says_how_to_follow(msgsvc, profile, httpserver):
    expect_service(httpserver)
    httpserver.expect_oneshot_request(COMPLIANCE, method="POST").respond_with_json(campaign(), status=201)
    result = msgsvc("campaigns", "create", SERVICE_SID, *REQUIRED)
    assert result.code == 0
    assert result.out.startswith(f"sid\t{CAMPAIGN}\naccount_sid\t")
    assert f"\nmessage_samples\t{SAMPLES[0]},{SAMPLES[1]}\n" in result.out
    assert result.err == (f"Registered campaign {CAMPAIGN} on {SERVICE_SID} (Alerts): PENDING. "
                          f"Follow its review with: msgsvc campaigns wait {SERVICE_SID}\n")


CAMPAIGN_TOML = f'''
brand = "{BRAND}"
usecase = "DELIVERY_NOTIFICATION"
description = """{DESCRIPTION}"""
message-flow = "{FLOW}"
sample = ["{SAMPLES[0]}", "{SAMPLES[1]}"]
has-embedded-links = false
has-embedded-phone = true
opt-out-keyword = "STOP"
'''


def test_create_from_a_file_with_options_winning(msgsvc, profile, httpserver, tmp_path):
    path = tmp_path / "campaign.toml"
    path.write_text(CAMPAIGN_TOML)
    expect_service(httpserver)
    httpserver.expect_oneshot_request(COMPLIANCE, method="POST").respond_with_json(campaign(), status=201)
    result = msgsvc("campaigns", "create", SERVICE_SID, "--from-file", str(path), "--usecase", "ACCOUNT_NOTIFICATION", "--json")
    assert result.code == 0, result.err
    assert_request(sent(httpserver)[1], "POST", COMPLIANCE, form=REQUIRED_FORM.replace("DELIVERY_NOTIFICATION", "ACCOUNT_NOTIFICATION") + "&OptOutKeywords=STOP")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sample", SAMPLES[0]], "--sample must be 2 to 5 samples; 1 given"),
        (["--sample", SAMPLES[0]] * 6, "--sample must be 2 to 5 samples; 6 given"),
        (["--opt-out-keyword", "K" * 100, "--opt-out-keyword", "L" * 100, "--opt-out-keyword", "M" * 54],
         "--opt-out-keyword must be at most 255 characters in all (joined by commas); they are 256"),
    ],
)
def test_create_checks_the_rules_across_values_before_sending(msgsvc, profile, httpserver, args, message):
    base = list(REQUIRED)
    if args[0] in base:  # replace the option's values
        name = args[0]
        base = [v for i, v in enumerate(base) if base[i] != name and (i == 0 or base[i - 1] != name)]
    result = msgsvc("campaigns", "create", SERVICE_SID, *base, *args)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"msgsvc: invalid campaign: {message}\nhint: see 'msgsvc campaigns create --help'\n"
    assert sent(httpserver) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--description", "Too short."], "Invalid value for '--description': it is 10 characters long; it must have at least 40"),
        (["--message-flow", "x" * 2049], "Invalid value for '--message-flow': it is 2049 characters long; the limit is 2048"),
        (["--sample", "Too short"], "Invalid value for '--sample': it is 9 characters long; it must have at least 20"),
        (["--opt-in-keyword", "GO ON"], "Invalid value for '--opt-in-keyword': 'GO ON' is not an alphanumeric keyword (A-Z, a-z, 0-9)"),
        (["--privacy-policy-url", "example.com"], "Invalid value for '--privacy-policy-url': 'example.com' is not an absolute http:// or https:// URL"),
        (["--brand", "BN123"], "Invalid value for '--brand': 'BN123' is not"),
        (["--help-message", "short"], "Invalid value for '--help-message': it is 5 characters long; it must have at least 20"),
    ],
)
def test_create_checks_each_value_before_sending(msgsvc, profile, httpserver, args, message):
    result = msgsvc("campaigns", "create", SERVICE_SID, *REQUIRED, *args)
    assert (result.code, result.out) == (2, "")
    usage, error, hint = result.err.splitlines()
    assert (usage, hint) == ("Usage: msgsvc campaigns create [OPTIONS] SERVICE", "hint: see 'msgsvc campaigns create --help'")
    assert error.startswith(f"msgsvc: {message}")
    assert sent(httpserver) == []


def test_create_names_every_missing_field(msgsvc, profile, httpserver):
    result = msgsvc("campaigns", "create", SERVICE_SID, "--description", DESCRIPTION)
    assert result.code == 2
    assert result.err == (
        "msgsvc: invalid campaign: --brand is required; --message-flow is required; --sample is required; "
        "--usecase is required; --has-embedded-links is required; --has-embedded-phone is required\n"
        "hint: see 'msgsvc campaigns create --help'\n"
    )
    assert sent(httpserver) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 'blue'\n", "unknown key 'colour'; the keys are: brand, usecase, description, "),
        ("sample = 3\n", "sample must be a list of strings"),
        ("has-embedded-links = 'no'\n", "has-embedded-links must be true or false"),
        ("description = [1]\n", "description must be a string"),
        ("description = \n", "is not valid TOML: "),
    ],
)
def test_a_bad_campaign_file_is_a_usage_error(msgsvc, profile, httpserver, tmp_path, text, message):
    path = tmp_path / "campaign.toml"
    path.write_text(text)
    result = msgsvc("campaigns", "create", SERVICE_SID, "--from-file", str(path))
    assert result.code == 2 and result.err.startswith(f"msgsvc: {path}")
    assert message in result.err
    assert sent(httpserver) == []


def test_a_value_of_the_file_is_checked_as_its_option_is(msgsvc, profile, httpserver, tmp_path):
    path = tmp_path / "campaign.toml"
    path.write_text(CAMPAIGN_TOML.replace(DESCRIPTION, "Too short."))
    result = msgsvc("campaigns", "create", SERVICE_SID, "--from-file", str(path))
    assert (result.code, result.err) == (2, f"msgsvc: {path}: description: it is 10 characters long; it must have at least 40\n"
                                            "hint: nothing was sent\n")
    path.write_text(CAMPAIGN_TOML.replace(DESCRIPTION, "Too short.").replace(FLOW, "Short flow.").replace('"STOP"', '"ST OP"'))
    result = msgsvc("campaigns", "create", SERVICE_SID, "--from-file", str(path))
    assert (result.code, result.err) == (2, f"msgsvc: 3 problems in {path}:\n"
                                            "  description: it is 10 characters long; it must have at least 40\n"
                                            "  message-flow: it is 11 characters long; it must have at least 40\n"
                                            "  opt-out-keyword: 'ST OP' is not an alphanumeric keyword (A-Z, a-z, 0-9)\n"
                                            "hint: nothing was sent\n")
    path.write_text(CAMPAIGN_TOML.replace(f'sample = ["{SAMPLES[0]}", "{SAMPLES[1]}"]', f'sample = ["{SAMPLES[0]}"]'))
    result = msgsvc("campaigns", "create", SERVICE_SID, "--from-file", str(path))
    assert result.err == "msgsvc: invalid campaign: --sample must be 2 to 5 samples; 1 given\nhint: see 'msgsvc campaigns create --help'\n"
    assert sent(httpserver) == []


def test_a_missing_campaign_file(msgsvc, profile, httpserver, tmp_path):
    result = msgsvc("campaigns", "create", SERVICE_SID, "--from-file", str(tmp_path / "none.toml"))
    assert (result.code, result.err) == (2, f"msgsvc: cannot read {tmp_path / 'none.toml'}: No such file or directory\n")


# --- get, update, delete --------------------------------------------------------------------


def test_get_prints_the_campaign_as_returned(msgsvc, profile, httpserver):
    expect_service(httpserver)
    expect_campaign(httpserver)
    result = msgsvc("campaigns", "get", SERVICE_SID, "--json")
    assert (result.code, json.loads(result.out), result.err) == (0, campaign(), "")
    assert_request(sent(httpserver)[1], "GET", COMPLIANCE, query="PageSize=1")


def test_get_on_a_terminal_explains_a_failed_review(msgsvc, profile, httpserver):
    failed = campaign(campaign_status="FAILED", errors=[{
        "error_code": 30897, "fields": ["MESSAGE_FLOW"], "url": "https://www.twilio.com/docs/api/errors/30897",
        "description": "The campaign submission has been reviewed and it was rejected due to Disallowed Content."}])
    expect_service(httpserver)
    expect_campaign(httpserver, failed)
    result = msgsvc("campaigns", "get", SERVICE_SID, tty=True)
    assert result.code == 0 and "FAILED" in result.out
    assert result.err == (
        f"Campaign {CAMPAIGN} FAILED review:\n"
        "  error 30897 (MESSAGE_FLOW): The campaign submission has been reviewed and it was rejected due to Disallowed Content.\n"
        f"Fix the fields named, then resubmit: msgsvc campaigns update {SERVICE_SID} ...\n"
    )


def test_get_without_a_campaign_is_not_registered_exit_3(msgsvc, profile, httpserver):
    expect_service(httpserver)
    httpserver.expect_oneshot_request(COMPLIANCE).respond_with_json(page("compliance", []))
    result = msgsvc("campaigns", "get", SERVICE_SID)
    assert (result.code, result.out) == (3, "")
    assert result.err == (
        f"msgsvc: {SERVICE_SID} (Alerts) has no US A2P 10DLC campaign: it is not registered\n"
        f"hint: register one: msgsvc campaigns create {SERVICE_SID} --from-file campaign.toml\n"
    )


def test_update_sends_what_twilio_requires_taking_the_rest_from_the_campaign(msgsvc, profile, httpserver):
    expect_service(httpserver)
    expect_campaign(httpserver, campaign(campaign_status="FAILED"))
    httpserver.expect_oneshot_request(f"{COMPLIANCE}/{CAMPAIGN}", method="POST").respond_with_json(campaign())
    new = "Order and delivery updates, for customers of Example who opted in."
    result = msgsvc("campaigns", "update", SERVICE_SID, "--description", new, "--age-gated")
    assert result.code == 0, result.err
    assert result.err == f"Updated campaign {CAMPAIGN} (description, age-gated): PENDING\n"
    assert_request(sent(httpserver)[2], "POST", f"{COMPLIANCE}/{CAMPAIGN}", form=(
        f"Description={q(new)}&MessageFlow={q(FLOW)}&MessageSamples={q(SAMPLES[0])}&MessageSamples={q(SAMPLES[1])}"
        "&HasEmbeddedLinks=false&HasEmbeddedPhone=true&AgeGated=true&DirectLending=false"
    ))


def test_update_offers_only_what_an_update_may_change(msgsvc, profile, httpserver):
    result = msgsvc("campaigns", "update", SERVICE_SID, "--brand", BRAND)
    assert result.code == 2 and "No such option: --brand" in result.err
    nothing = msgsvc("campaigns", "update", SERVICE_SID)
    assert (nothing.code, nothing.err) == (2, "msgsvc: nothing to change: give at least one field option, or --from-file\n"
                                              "hint: see 'msgsvc campaigns update --help' for the options\n")
    assert sent(httpserver) == []


def test_delete_with_yes_warns_then_deletes(msgsvc, profile, httpserver):
    expect_service(httpserver)
    expect_campaign(httpserver)
    httpserver.expect_oneshot_request(f"{COMPLIANCE}/{CAMPAIGN}", method="DELETE").respond_with_data("", status=204)
    result = msgsvc("campaigns", "delete", SERVICE_SID, "--yes")
    assert (result.code, result.out) == (0, "")
    assert result.err == (
        f"msgsvc: warning: deleting campaign {CAMPAIGN} stops US A2P 10DLC messaging from {SERVICE_SID} (Alerts) at once; "
        "a new campaign needs a new review, which can take days\n"
        f"Deleted campaign {CAMPAIGN} of {SERVICE_SID} (Alerts); the service is no longer registered for US A2P 10DLC\n"
    )
    assert_request(sent(httpserver)[2], "DELETE", f"{COMPLIANCE}/{CAMPAIGN}")


def test_delete_asks_in_a_terminal_and_needs_yes_otherwise(msgsvc, profile, httpserver):
    refused = msgsvc("campaigns", "delete", SERVICE_SID)
    assert (refused.code, refused.err) == (2, "msgsvc: refusing to delete a campaign without confirmation\nhint: add --yes to delete from a script\n")
    assert sent(httpserver) == []
    expect_service(httpserver)
    expect_campaign(httpserver)
    kept = msgsvc("campaigns", "delete", SERVICE_SID, stdin="n\n", stdin_tty=True)
    assert kept.code == 2
    assert kept.err.endswith(f"Delete campaign {CAMPAIGN} of {SERVICE_SID} (Alerts)? [y/N]: Nothing deleted.\n")
    assert [r.method for r in sent(httpserver)] == ["GET", "GET"]


# --- use cases and brands ----------------------------------------------------------------------

USECASES = [
    {"code": "2FA", "name": "Two-Factor authentication (2FA)", "description": "Two-Factor authentication, one-time use password, password reset", "post_approval_required": False},
    {"code": "EMERGENCY", "name": "Emergency", "description": "Public safety notices", "post_approval_required": True},
]


def test_campaign_usecases_of_a_brand(msgsvc, profile, httpserver):
    httpserver.expect_request(f"{COMPLIANCE}/Usecases", query_string=f"BrandRegistrationSid={BRAND}").respond_with_json({"us_app_to_person_usecases": USECASES})
    expect_service(httpserver)
    pipe = msgsvc("campaigns", "usecases", SERVICE_SID, "--brand", BRAND)
    assert pipe.out == ("2FA\tTwo-Factor authentication (2FA)\tfalse\tTwo-Factor authentication, one-time use password, password reset\n"
                        "EMERGENCY\tEmergency\ttrue\tPublic safety notices\n")
    expect_service(httpserver)
    assert json.loads(msgsvc("campaigns", "usecases", SERVICE_SID, "--brand", BRAND, "--json").out) == USECASES
    bad = msgsvc("campaigns", "usecases", SERVICE_SID, "--brand", "BN1")
    assert bad.code == 2 and bad.err.startswith("Usage: msgsvc campaigns usecases [OPTIONS] SERVICE\nmsgsvc: Invalid value for '--brand': 'BN1' is not")


BRANDS = [
    {"sid": BRAND, "brand_type": "STANDARD", "status": "APPROVED", "identity_status": "VERIFIED", "failure_reason": None,
     "date_created": "2021-01-27T14:18:35Z", "errors": []},
    {"sid": "BN" + "3" * 32, "brand_type": "STANDARD", "status": "FAILED", "identity_status": "UNVERIFIED",
     "failure_reason": "Registration error", "date_created": "2021-01-28T10:45:51Z",
     "errors": [{"error_code": 30701, "fields": ["region"], "description": "Invalid State/Region/Province."}]},
]


def test_brands_list_and_get(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/a2p/BrandRegistrations", query_string="PageSize=50").respond_with_json(page("data", BRANDS))
    result = msgsvc("brands", "list")
    assert result.out == (f"{BRAND}\tAPPROVED\tSTANDARD\t\n"
                          f"{'BN' + '3' * 32}\tFAILED\tSTANDARD\tRegistration error\n")
    httpserver.expect_oneshot_request("/v1/a2p/BrandRegistrations").respond_with_json(page("data", BRANDS))
    table = msgsvc("brands", "list", tty=True, width=80)
    assert [line.rstrip() for line in table.out.splitlines()] == [
        "SID                                 STATUS    TYPE      FAILURE REASON",
        f"{BRAND}  APPROVED  STANDARD",
        f"{'BN' + '3' * 32}  FAILED    STANDARD  Registration error",
    ]
    httpserver.expect_oneshot_request(f"/v1/a2p/BrandRegistrations/{'BN' + '3' * 32}").respond_with_json(BRANDS[1])
    failed = msgsvc("brands", "get", "BN" + "3" * 32, tty=True)
    assert failed.code == 0 and failed.err == (f"Brand {'BN' + '3' * 32} FAILED: Registration error\n"
                                               "  error 30701 (region): Invalid State/Region/Province.\n")
    bad = msgsvc("brands", "get", "MG" + "0" * 32)
    assert bad.code == 2 and "is not a brand registration SID" in bad.err


def test_brands_seen_complete_at_tab(msgsvc, profile, httpserver):
    from msgsvc.cli.complete import complete_brands

    httpserver.expect_oneshot_request("/v1/a2p/BrandRegistrations").respond_with_json(page("data", BRANDS))
    assert msgsvc("brands", "list").code == 0
    assert complete_brands(None, "BN1") == [(BRAND, "APPROVED STANDARD")]
    assert [sid for sid, _ in complete_brands(None, "BN")] == [BRAND, "BN" + "3" * 32]


def test_services_usecases(msgsvc, profile, httpserver):
    usecases = [{"usecase": "notifications", "description": "Transactional notifications.", "purpose": "Notify my users."}]
    httpserver.expect_request("/v1/Services/Usecases").respond_with_json({"usecases": usecases})
    assert msgsvc("services", "usecases").out == "notifications\tNotify my users.\tTransactional notifications.\n"
    assert json.loads(msgsvc("services", "usecases", "--json").out) == usecases
    from msgsvc.cli.complete import complete_service_usecases

    assert complete_service_usecases(None, "no") == [("notifications", "Notify my users.")]


# --- against the emulator ------------------------------------------------------------------------


@pytest.fixture
def emu(emulator, monkeypatch):
    """The in-process emulator, as msgsvc's credentials and base URL; reviews take 0.3 s."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", emulator.base_url)
    emulator.store.a2p_review = 0.3
    return emulator


def registered_service(msgsvc, emu, tmp_path, name="Alerts", description=DESCRIPTION) -> str:
    sid = json.loads(msgsvc("services", "create", "--friendly-name", name, "--json").out)["sid"]
    brand = next(iter(emu.store.data["brands"]))
    path = tmp_path / f"{name}.toml"
    path.write_text(CAMPAIGN_TOML.replace(BRAND, brand).replace(DESCRIPTION, description))
    created = msgsvc("campaigns", "create", name, "--from-file", str(path), "--json")
    assert created.code == 0, created.err
    return sid


def test_wait_until_verified(msgsvc, emu, tmp_path):
    sid = registered_service(msgsvc, emu, tmp_path)
    result = msgsvc("campaigns", "wait", "Alerts", "--interval", "0.1s", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["campaign_status"] == "VERIFIED"
    assert result.err == ""
    piped = msgsvc("campaigns", "wait", sid)
    qe = next(iter(emu.store.data["campaigns"]))
    assert (piped.code, piped.err) == (0, f"Campaign {qe} of {sid} (Alerts) is VERIFIED\n")


def test_wait_until_failed_exit_1_with_the_errors(msgsvc, emu, tmp_path):
    sid = registered_service(msgsvc, emu, tmp_path, description=DESCRIPTION + " REJECT")
    result = msgsvc("campaigns", "wait", sid, "--interval", "0.1s")
    qe = next(iter(emu.store.data["campaigns"]))
    assert result.code == 1
    assert "campaign_status\tFAILED\n" in result.out
    assert result.err == (
        f"msgsvc: campaign {qe} of {sid} (Alerts) is FAILED: error 30897 (DESCRIPTION): The campaign submission "
        "has been reviewed and it was rejected due to Disallowed Content.\n"
        f"hint: fix the fields named, then resubmit: msgsvc campaigns update {sid} ...\n"
    )


def test_wait_times_out_with_exit_5(msgsvc, emu, tmp_path):
    emu.store.a2p_review = 3600
    sid = registered_service(msgsvc, emu, tmp_path)
    result = msgsvc("campaigns", "wait", sid, "--timeout", "0.3s", "--interval", "0.1s")
    qe = next(iter(emu.store.data["campaigns"]))
    assert (result.code, result.out) == (5, "")
    assert result.err == (f"msgsvc: campaign {qe} of {sid} (Alerts) is still PENDING after 0.3s\n"
                          f"hint: wait longer: msgsvc campaigns wait {sid} --timeout 1h\n")


def test_wait_shows_progress_on_a_terminal(msgsvc, emu, tmp_path):
    sid = registered_service(msgsvc, emu, tmp_path)
    result = msgsvc("campaigns", "wait", sid, "--interval", "0.1s", stderr_tty=True)
    qe = next(iter(emu.store.data["campaigns"]))
    assert result.code == 0
    *progress, last = result.err.splitlines()
    assert last == f"Campaign {qe} of {sid} (Alerts) is VERIFIED"
    # One line per status seen (how many polls each took depends on the machine's speed).
    statuses = [re.fullmatch(rf" *\d+(\.\d)?s  campaign {qe}: (\w+)", line).group(2) for line in progress]
    assert statuses[-1] == "VERIFIED" and statuses in (["PENDING", "IN_PROGRESS", "VERIFIED"], ["PENDING", "VERIFIED"],
                                                        ["IN_PROGRESS", "VERIFIED"], ["VERIFIED"])


def test_wait_without_a_campaign_is_exit_3(msgsvc, emu):
    msgsvc("services", "create", "--friendly-name", "Bare")
    result = msgsvc("campaigns", "wait", "Bare", "--interval", "0.1s")
    assert result.code == 3 and "has no US A2P 10DLC campaign: it is not registered" in result.err


def test_services_get_on_a_terminal_names_the_campaign(msgsvc, emu, tmp_path):
    emu.store.a2p_review = 3600  # PENDING throughout
    sid = registered_service(msgsvc, emu, tmp_path)
    qe = next(iter(emu.store.data["campaigns"]))
    result = msgsvc("services", "get", sid, tty=True)
    assert result.code == 0
    assert result.err == f"US A2P 10DLC: campaign {qe} PENDING (DELIVERY_NOTIFICATION); see msgsvc campaigns get {sid}\n"
    assert msgsvc("services", "get", sid).err == ""  # a pipe gets the data only


def test_the_delete_guard_follows_the_campaign(msgsvc, emu, tmp_path):
    sid = registered_service(msgsvc, emu, tmp_path)
    refused = msgsvc("services", "delete", sid, "--yes")
    assert refused.code == 2 and "is registered for US A2P 10DLC" in refused.err
    assert msgsvc("campaigns", "delete", sid, "--yes").code == 0
    assert msgsvc("services", "delete", sid, "--yes").code == 0


def test_campaigns_get_installed_in_a_subprocess(emu, tmp_path, msgsvc):
    sid = registered_service(msgsvc, emu, tmp_path)
    result = run_installed("campaigns", "get", sid, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["messaging_service_sid"] == sid and result.stderr == ""


def test_dry_runs_print_the_requests_and_send_no_change(msgsvc, profile, httpserver):
    from conftest import base_url_of

    base = base_url_of(httpserver)
    expect_service(httpserver)
    create = msgsvc("campaigns", "create", SERVICE_SID, *REQUIRED, "--opt-in-keyword", "START", "--dry-run")
    assert (create.code, create.err) == (0, "Dry run: 1 request not sent.\n")
    assert create.out == (
        f"POST {base}{COMPLIANCE}\n  BrandRegistrationSid={BRAND}\n  UsAppToPersonUsecase=DELIVERY_NOTIFICATION\n"
        f"  Description={DESCRIPTION}\n  MessageFlow={FLOW}\n  MessageSamples={SAMPLES[0]}\n  MessageSamples={SAMPLES[1]}\n"
        "  HasEmbeddedLinks=false\n  HasEmbeddedPhone=true\n  OptInKeywords=START\n"
    )
    expect_service(httpserver)
    expect_campaign(httpserver)
    update = msgsvc("campaigns", "update", SERVICE_SID, "--direct-lending", "--dry-run", "--json")
    assert json.loads(update.out) == [{"method": "POST", "url": f"{base}{COMPLIANCE}/{CAMPAIGN}", "form": {
        "Description": DESCRIPTION, "MessageFlow": FLOW, "MessageSamples": SAMPLES, "HasEmbeddedLinks": "false",
        "HasEmbeddedPhone": "true", "AgeGated": "false", "DirectLending": "true"}}]
    expect_service(httpserver)
    expect_campaign(httpserver)
    delete = msgsvc("campaigns", "delete", SERVICE_SID, "--dry-run")
    assert (delete.code, delete.out) == (0, f"DELETE {base}{COMPLIANCE}/{CAMPAIGN}\n")
    assert {r.method for r in sent(httpserver)} == {"GET"}


def test_a_failed_brand_is_refused_by_twilio_exit_1(msgsvc, emu, tmp_path):
    sid = json.loads(msgsvc("services", "create", "--friendly-name", "Alerts", "--json").out)["sid"]
    failed = list(emu.store.data["brands"])[2]
    path = tmp_path / "campaign.toml"
    path.write_text(CAMPAIGN_TOML.replace(BRAND, failed))
    result = msgsvc("campaigns", "create", sid, "--from-file", str(path))
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: HTTP 400 (Twilio error 20001): Brand {failed} is FAILED, not APPROVED: a campaign can only be "
        "registered for an approved brand (see https://www.twilio.com/docs/errors/20001)\n")
    assert msgsvc("campaigns", "get", sid).code == 3  # nothing was registered


def test_update_checks_the_rules_before_anything_is_sent(msgsvc, profile, httpserver):
    result = msgsvc("campaigns", "update", SERVICE_SID, "--sample", SAMPLES[0])
    assert (result.code, result.out) == (2, "")
    assert result.err == "msgsvc: invalid campaign: --sample must be 2 to 5 samples; 1 given\nhint: see 'msgsvc campaigns update --help'\n"
    assert sent(httpserver) == []


def test_update_from_the_file_create_read_sends_what_an_update_may_change(msgsvc, profile, httpserver, tmp_path):
    path = tmp_path / "campaign.toml"
    path.write_text(CAMPAIGN_TOML.replace(DESCRIPTION, DESCRIPTION + " Now with more detail."))
    expect_service(httpserver)
    expect_campaign(httpserver, campaign(campaign_status="FAILED"))
    httpserver.expect_oneshot_request(f"{COMPLIANCE}/{CAMPAIGN}", method="POST").respond_with_json(campaign())
    result = msgsvc("campaigns", "update", SERVICE_SID, "--from-file", str(path))
    assert result.code == 0, result.err
    assert result.err == (f"{path}: not sent, since an update cannot change them: brand, usecase, opt-out-keyword\n"
                          f"Updated campaign {CAMPAIGN} (description, message-flow, sample, has-embedded-links, "
                          "has-embedded-phone): PENDING\n")
    assert_request(sent(httpserver)[2], "POST", f"{COMPLIANCE}/{CAMPAIGN}", form=(
        f"Description={q(DESCRIPTION + ' Now with more detail.')}&MessageFlow={q(FLOW)}&MessageSamples={q(SAMPLES[0])}"
        f"&MessageSamples={q(SAMPLES[1])}&HasEmbeddedLinks=false&HasEmbeddedPhone=true&AgeGated=false&DirectLending=false"
    ))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0.05s"], "msgsvc: --interval must be at least 0.1s\n"),
        (["--timeout", "721h"], "msgsvc: --timeout and --interval must be at most 30 days (720h)\n"),
        (["--interval", "99999999999h"], "msgsvc: --timeout and --interval must be at most 30 days (720h)\n"),
    ],
)
def test_wait_refuses_durations_out_of_range_before_sending(msgsvc, profile, httpserver, args, message):
    result = msgsvc("campaigns", "wait", SERVICE_SID, *args)
    assert (result.code, result.err) == (2, message)
    assert sent(httpserver) == []


def test_wait_refuses_a_duration_it_cannot_read(msgsvc, profile, httpserver):
    result = msgsvc("campaigns", "wait", SERVICE_SID, "--timeout", "soon")
    assert result.code == 2
    assert "Invalid value for '--timeout': 'soon' is not a duration such as 30s, 10m, 1h or 1h30m" in result.err


def test_brands_and_campaigns_take_fields_and_jq(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/a2p/BrandRegistrations", query_string="PageSize=50").respond_with_json(page("data", BRANDS))
    listed = msgsvc("brands", "list", "--fields", "status,sid")
    assert (listed.code, listed.out) == (0, f"APPROVED\t{BRAND}\nFAILED\t{'BN' + '3' * 32}\n")
    httpserver.expect_oneshot_request("/v1/a2p/BrandRegistrations", query_string="PageSize=50").respond_with_json(page("data", BRANDS))
    failed = msgsvc("brands", "list", "--jq", '.[] | select(.status == "FAILED") | .failure_reason')
    assert (failed.code, failed.out) == (0, "Registration error\n")
    bad = msgsvc("brands", "list", "--fields", "sid,nope")
    assert bad.code == 2 and "nope" in bad.err and "tcr_id" in bad.err and len(httpserver.log) == 2
    expect_service(httpserver)
    httpserver.expect_oneshot_request(COMPLIANCE).respond_with_json(page("compliance", [campaign()]))
    shown = msgsvc("campaigns", "get", SERVICE_SID, "--fields", "campaign_status,privacy_policy_url,message_samples", "--json")
    assert (shown.code, json.loads(shown.out)) == (0, {"campaign_status": "PENDING", "privacy_policy_url": None,
                                                       "message_samples": SAMPLES})


def test_wait_keeps_waiting_on_a_status_it_does_not_know_and_says_so_once(msgsvc, emu, tmp_path):
    emu.store.a2p_review = 3600
    sid = registered_service(msgsvc, emu, tmp_path)
    qe = next(iter(emu.store.data["campaigns"]))
    emu.store.data["campaigns"][qe]["campaign_status"] = "verified"  # not one of Twilio's statuses
    result = msgsvc("campaigns", "wait", sid, "--timeout", "0.3s", "--interval", "0.1s")
    assert (result.code, result.out) == (5, "")
    assert result.err == (f"msgsvc: campaign {qe} has a status msgsvc does not know (verified): waiting on until "
                          "VERIFIED or FAILED, or --timeout\n"
                          f"msgsvc: campaign {qe} of {sid} (Alerts) is still verified after 0.3s\n"
                          f"hint: wait longer: msgsvc campaigns wait {sid} --timeout 1h\n")


def test_wait_for_review_ends_only_on_a_final_status():
    from msgsvc.api.a2p import wait_for_review

    answers = iter([{}, {"campaign_status": "verified"}, {"campaign_status": "IN_PROGRESS"},
                    {"campaign_status": "VERIFIED"}])
    now = [0.0]
    campaign = wait_for_review(lambda: next(answers), timeout=100, interval=1,
                               sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0])
    assert campaign == {"campaign_status": "VERIFIED"} and now[0] == 3
