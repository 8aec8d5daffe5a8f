"""Object views, lists and help within 80 columns, in a pseudo-terminal of that width, against
the emulator: no `url` row (TSV and --json keep it), rate limits and errors as lines a person
reads, message samples a line each, capabilities spelled as in tables, `brands list` with TYPE,
`campaigns usecases` within 60 columns; TSV writes lists one way."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from corehelp import MSGSVC, Pty
from factories import attach, create_service

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")


from test_newcomer import emu  # noqa: E402,F401  (the pty's environment against the emulator)


def at(columns: int, *args: str) -> tuple[int, list[str]]:
    code, text = Pty(*args, env=dict(os.environ), columns=columns).finish()
    lines = text.splitlines()
    assert all(len(line) <= columns for line in lines), text
    return code, lines


def piped(*args: str) -> str:
    done = subprocess.run([MSGSVC, *args], capture_output=True, text=True, env=dict(os.environ), timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def brand(emu, status: str) -> str:
    return next(sid for sid, b in emu.store.data["brands"].items() if b["status"] == status)


def test_an_object_view_has_no_url_row_tsv_and_json_keep_it(emu):
    sid = create_service(emu, "Alerts")
    code, lines = at(80, "services", "get", "Alerts")
    assert code == 0
    assert [line.split()[0] for line in lines] == [
        "FIELD", "sid", "account_sid", "friendly_name", "date_created", "date_updated", "inbound_request_url",
        "inbound_method", "fallback_url", "fallback_method", "status_callback", "sticky_sender", "mms_converter",
        "smart_encoding", "scan_message_content", "fallback_to_long_code", "area_code_geomatch",
        "synchronous_validation", "validity_period", "usecase", "us_app_to_person_registered",
        "use_inbound_webhook_on_number"]
    url = f"{emu.base_url}/v1/Services/{sid}"
    assert f"url\t{url}\n" in piped("services", "get", "Alerts")
    assert json.loads(piped("services", "get", "Alerts", "--json"))["url"] == url
    code, lines = at(80, "services", "get", "Alerts", "--fields", "sid,url")  # asked for: shown
    assert (code, lines) == (0, ["FIELD  VALUE", f"sid    {sid}", f"url    {url}"])


def test_rate_limits_message_samples_and_errors_read_as_lines(emu):
    service = create_service(emu, "Alerts")
    campaign = emu.register_campaign(service)["sid"]
    code, lines = at(80, "campaigns", "get", "Alerts", "--fields",
                     "sid,message_samples,rate_limits,errors,mock")
    assert (code, lines[:6]) == (0, [
        "FIELD            VALUE",
        f"sid              {campaign}",
        "message_samples  Example Corp: your password was changed.",
        "                 Example Corp: a new device signed in.",
        "rate_limits      att: mps=600, msg_class=A",
        "                 tmobile: brand_tier=TOP",
    ])
    assert lines[6:] == ["errors", "mock             false"]  # no errors: an empty row
    failed = brand(emu, "FAILED")
    code, lines = at(80, "brands", "get", failed, "--fields", "status,errors")
    assert (code, lines) == (0, [
        "FIELD   VALUE",
        "status  FAILED",
        "errors  url=https://www.twilio.com/docs/api/errors/30701, error_code=30701,",
        "        description=Invalid State/Region/Province. please check the input field",
        "        value [Max length 20, For The United States, please use 2 character",
        "        codes. E.g. 'CA' for California] and retry., fields=region",
    ])


def test_tsv_writes_every_list_one_way(emu):
    service = create_service(emu, "Alerts")
    emu.call("POST", f"/v1/Services/{service}/Compliance/Usa2p", data=[
        ("BrandRegistrationSid", brand(emu, "APPROVED")), ("UsAppToPersonUsecase", "ACCOUNT_NOTIFICATION"),
        ("Description", "Account alerts for customers of Example Corp who opted in."),
        ("MessageFlow", "Customers opt in on example.com/alerts by ticking an unticked box."),
        ("MessageSamples", "Example Corp: hello, your password changed."),
        ("MessageSamples", "A back\\slash and a\ttab."),
        ("HasEmbeddedLinks", "false"), ("HasEmbeddedPhone", "false")])
    out = piped("campaigns", "get", "Alerts", "--fields", "message_samples,rate_limits")
    assert out == ("message_samples\tExample Corp: hello\\x2c your password changed.,A back\\\\slash and a\\ttab.\n"
                   'rate_limits\t{"att":{"mps":600,"msg_class":"A"},"tmobile":{"brand_tier":"TOP"}}\n')
    field = out.split("\n")[0].split("\t")[1]
    import codecs

    assert [codecs.decode(item, "unicode_escape") for item in field.split(",")] == [
        "Example Corp: hello, your password changed.", "A back\\slash and a\ttab."]


def test_capabilities_are_spelled_the_same_in_tables_and_object_views(emu):
    service = create_service(emu, "Alerts")
    number = emu.number("+15550000001")["sid"]
    attach(emu, service, "PhoneNumbers", PhoneNumberSid=number)
    code, lines = at(80, "numbers", "list", "Alerts")
    assert lines[1].endswith("  MMS, SMS, Voice")
    code, lines = at(80, "numbers", "get", "Alerts", "+15550000001")
    assert "capabilities  MMS, SMS, Voice" in lines
    assert piped("numbers", "get", "Alerts", "+15550000001", "--fields", "capabilities") == "capabilities\tMMS,SMS,Voice\n"


def test_brands_list_shows_type_at_80_columns(emu):
    code, lines = at(80, "brands", "list")
    approved, sole, failed = emu.store.data["brands"]
    assert (code, lines) == (0, [
        "SID                                 STATUS    TYPE             FAILURE REASON",
        f"{approved}  APPROVED  STANDARD",
        f"{sole}  APPROVED  SOLE_PROPRIETOR",
        f"{failed}  FAILED    STANDARD         Registration",
        "                                                               error: the",
        "                                                               brand's address",
        "                                                               could not be",
        "                                                               verified",
    ])


@pytest.mark.parametrize("columns", [60, 80])
def test_campaign_usecases_fit_60_and_80_columns(emu, columns):
    create_service(emu, "Alerts")
    code, lines = at(columns, "campaigns", "usecases", "Alerts", "--brand", brand(emu, "APPROVED"))
    assert code == 0
    assert lines[0] == "CODE                         POST APPROVAL  DESCRIPTION"
    assert lines[1].startswith("2FA                          false          Two-Factor")
    described = " ".join(line[44:] for line in lines[1:]).replace("/ ", "/")
    assert "per agent/location/office." in described  # broken after a '/' at most, never cut
    assert not any("hidden" in line for line in lines)  # NAME repeats CODE: no note


def test_campaign_usecases_take_fields_and_jq(emu):
    create_service(emu, "Alerts")
    approved = brand(emu, "APPROVED")
    assert piped("campaigns", "usecases", "Alerts", "--brand", approved, "--fields", "code,post_approval_required"
                 ).splitlines()[:2] == ["2FA\tfalse", "ACCOUNT_NOTIFICATION\tfalse"]
    assert piped("campaigns", "usecases", "Alerts", "--brand", approved, "--jq", ".[0].code") == "2FA\n"


def test_notes_on_a_terminal_wrap_between_words_keeping_their_indent(emu):
    failed = brand(emu, "FAILED")
    code, lines = at(80, "brands", "get", failed, "--jq", ".status")  # --jq: no notes; then the view with them
    assert (code, lines) == (0, ["FAILED"])
    code, lines = at(80, "brands", "get", failed)
    assert lines[-5:] == [
        f"Brand {failed} FAILED: Registration error: the brand's",
        "address could not be verified",
        "  error 30701 (region): Invalid State/Region/Province. please check the input",
        "  field value [Max length 20, For The United States, please use 2 character",
        "  codes. E.g. 'CA' for California] and retry.",
    ]


def test_what_a_person_reads_wraps_rather_than_being_cut_at_80_columns(emu):
    code, lines = at(80, "services", "usecases")
    assert (code, lines[:5]) == (0, [
        "USECASE        PURPOSE              DESCRIPTION",
        "notifications  Notify my users.     Transactional notifications and Alerts for",
        "                                    any Delivery, Account, Reminder, Order,",
        "                                    Fraud, Security, Public Service, or",
        "                                    Emergency announcements.",
    ])
    code, lines = at(80, "profiles", "show")
    assert (code, lines[:3]) == (0, [
        "SETTING         VALUE                               SOURCE",
        "profile                                             none (environment",
        "                                                    credentials)",
    ])
    assert not any(line.endswith("…") for line in lines)


def test_the_plan_count_folds_between_its_items_at_80_columns(emu, tmp_path):
    # 'Plan: 0 to create, ... 0 to delete.' is 81 characters: the terminal broke its last word.
    setup = tmp_path / "services.toml"
    setup.write_text('version = 1\n[[services]]\nfriendly_name = "Folded"\n')
    code, lines = at(80, "plan", str(setup))
    assert code == 0
    assert lines[-2:] == ["Plan: 1 to create, 0 to update, 0 to attach, 0 to detach, 0 to move,",
                          "      0 to delete."]
    assert piped("plan", str(setup)).splitlines()[-1] == \
        "Plan: 1 to create, 0 to update, 0 to attach, 0 to detach, 0 to move, 0 to delete."  # a script's one line
