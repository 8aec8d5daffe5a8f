"""A demanding newcomer's findings, round 8: help that describes another command's results,
a --since that takes days in one command and not in the other, toll-free numbers read more
strictly than the same numbers elsewhere, a dry run that said 'failed', and Tab that offered
nothing for a fixed list of choices."""

from __future__ import annotations

import json

import pytest
from factories import create_service


@pytest.fixture
def emu(emulator, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", emulator.base_url)
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "0")
    return emulator


def one_paragraph(text: str) -> str:
    return " ".join(text.split())


# --- detach's help describes detach's dry run ---------------------------------------------------

NOUNS = ["numbers", "short-codes", "alpha-senders", "channel-senders", "destination-alpha-senders"]


@pytest.mark.parametrize("noun", NOUNS)
def test_detach_help_names_the_results_detach_gives(msgsvc, noun):
    text = one_paragraph(msgsvc(noun, "detach", "--help").out)
    assert ("--dry-run reports the same, one result per value ('would detach' with the request as its "
            "message, 'not attached', 'would fail' for a value the account does not hold, ...)") in text
    assert "would attach" not in text and "already attached" not in text


@pytest.mark.parametrize("noun", NOUNS)
def test_attach_help_still_names_the_results_attach_gives(msgsvc, noun):
    text = one_paragraph(msgsvc(noun, "attach", "--help").out)
    assert ("--dry-run reports the same, one result per value ('would attach' with the request as its "
            "message, 'already attached', 'would fail' for what Twilio would refuse, ...)") in text


def test_detach_dry_run_gives_what_its_help_says(msgsvc, emu):
    create_service(emu, "Alerts")
    result = msgsvc("numbers", "detach", "Alerts", "+15550000001", "+15559999999", "--dry-run")
    sid = next(r["sid"] for r in emu.store.data["numbers"].values() if r["phone_number"] == "+15550000001")
    assert result.code == 1
    assert result.out == (f"+15550000001\t{sid}\tnot attached\t\t\n"
                          "+15559999999\t\twould fail\t\tnot on this account\n")
# --- messages failures --since takes days, as doctor --since does -------------------------------


def test_messages_failures_since_takes_days(msgsvc, emu):
    create_service(emu, "Alerts")
    result = msgsvc("messages", "failures", "Alerts", "--since", "7d")
    assert result.code == 0, result.err
    assert result.out == ""
    assert result.err.startswith("0 failed or undelivered in 0 messages sent in the last 168h; ")


@pytest.mark.parametrize("since, message", [
    ("401d", "Invalid value for '--since': '401d' is not between 0s and 400d (Twilio keeps messages 400 days)"),
    ("soon", "Invalid value for '--since': 'soon' is not a duration such as 7d, 24h, 30m or 1h30m"),
    ("0d", "Invalid value for '--since': '0d' is not between 0s and 400d (Twilio keeps messages 400 days)"),
])
def test_messages_failures_since_says_what_it_takes(msgsvc, since, message):
    result = msgsvc("messages", "failures", "MG0123456789abcdef0123456789abcdef", "--since", since)
    assert result.code == 2
    assert message in result.err


def test_messages_failures_help_gives_days_as_doctor_does(msgsvc):
    text = one_paragraph(msgsvc("messages", "failures", "--help").out)
    assert "--since DURATION How far back: 30m, 24h, 7d (at most 400d). [default: 24h]" in text


# --- a toll-free number is read as every other number is ---------------------------------------


@pytest.mark.parametrize("typed", ["+1 800 555 0100", "+1 (800) 555-0100", " +18005550100 "])
def test_tollfree_reads_a_number_written_with_spaces_as_numbers_does(msgsvc, emu, typed):
    result = msgsvc("tollfree", "get", typed)
    assert (result.code, result.out) == (3, "")
    assert result.err == ("msgsvc: +18005550100 has no toll-free verification: it cannot send to the US and Canada (30032)\n"
                          "hint: submit one: msgsvc tollfree create +18005550100 --from-file verification.toml\n")


def test_tollfree_takes_a_sid_in_any_case_as_numbers_does(msgsvc, emu):
    pn = next(r["sid"] for r in emu.store.data["numbers"].values() if r["phone_number"] == "+18005550100")
    result = msgsvc("tollfree", "get", pn.lower())
    assert (result.code, result.out) == (3, "")
    assert result.err.startswith("msgsvc: +18005550100 has no toll-free verification")
    missing = msgsvc("tollfree", "get", "hh" + "0" * 32)
    assert missing.code == 3
    assert f"/Verifications/HH{'0' * 32}" in missing.err


@pytest.mark.parametrize("args, message", [
    (("get", "owl"), "msgsvc: 'owl' is not an HH... verification SID, a toll-free number in E.164 form "
                     "(+18005550100) or its PN... SID\n"),
    (("wait", "owl"), "msgsvc: 'owl' is not an HH... verification SID, a toll-free number in E.164 form "
                      "(+18005550100) or its PN... SID\n"),
    (("get", "18005550100"), "msgsvc: '18005550100' is not an E.164 number: they begin with '+' "
                             "(did you mean +18005550100?)\n"),
    (("list", "--number", "owl"), "msgsvc: 'owl' is not a toll-free number in E.164 form (+18005550100) "
                                  "or its PN... SID\n"),
])
def test_tollfree_says_every_form_it_takes(msgsvc, emu, args, message):
    result = msgsvc("tollfree", *args)
    assert (result.code, result.out, result.err) == (2, "", message)


# --- tollfree create --dry-run says 'would fail', as every other dry run ------------------------

VERIFICATION_TOML = """\
business-name = "Owl, Inc."
business-website = "https://owl.example.com"
notification-email = "tfv@owl.example.com"
use-case-category = ["ACCOUNT_NOTIFICATIONS"]
use-case-summary = "Account notices for customers who signed up."
production-message-sample = "Owl: your order 1234 shipped."
opt-in-image-url = "https://owl.example.com/optin.png"
opt-in-type = "WEB_FORM"
message-volume = "1,000"
"""


def test_tollfree_create_dry_run_says_would_fail_for_what_would_fail(msgsvc, emu, tmp_path):
    details = tmp_path / "verification.toml"
    details.write_text(VERIFICATION_TOML)
    result = msgsvc("tollfree", "create", "+15550000001", "--from-file", str(details), "--dry-run")
    assert (result.code, result.out) == (1, "+15550000001\t\twould fail\t\t+15550000001 is not a toll-free number (+1 followed by "
                                            "800, 833, 844, 855, 866, 877, 888)\n")
    assert result.err == "Dry run: 0 requests not sent; 1 would fail\n"
    assert not emu.store.data.get("tollfree_verifications")


# --- Tab offers the values of a fixed list of choices -------------------------------------------


@pytest.mark.parametrize("line, offered, path", [
    ("msgsvc doctor --fail-on ", ["error", "warning", "info"], "fast"),
    ("msgsvc doctor --fail-on ", ["error", "warning", "info"], "app"),
    ("msgsvc doctor --fail-on w", ["warning"], "app"),
    ("msgsvc doctor --fail-on W", ["warning"], "fast"),  # what a Tab press runs: any case, as the option takes
    ("msgsvc tollfree list --status ", ["PENDING_REVIEW", "IN_REVIEW", "TWILIO_APPROVED", "TWILIO_REJECTED"], "fast"),
    ("msgsvc tollfree list --status ", ["PENDING_REVIEW", "IN_REVIEW", "TWILIO_APPROVED", "TWILIO_REJECTED"], "app"),
    ("msgsvc tollfree list --status TWILIO_R", ["TWILIO_REJECTED"], "app"),
    ("msgsvc tollfree list --status twilio_r", ["TWILIO_REJECTED"], "fast"),
])
def test_tab_offers_the_choices_of_fail_on_and_status(isolated, monkeypatch, capsys, line, offered, path):
    from msgsvc.cli import app as cli
    from msgsvc.cli import fast

    monkeypatch.setenv("_MSGSVC_COMPLETE", "complete_zsh")
    monkeypatch.setenv("_TYPER_COMPLETE_ARGS", line)
    code = fast.answer([]) if path == "fast" else cli.run([])
    out = capsys.readouterr().out
    assert code == 0
    assert out.split("\n")[1::3] == offered


# --- a campaign file that is not text is said so, as a toll-free file is ------------------------


@pytest.mark.parametrize("verb", ["create", "update"])
def test_a_campaign_file_that_is_not_utf8_is_said_so(msgsvc, tmp_path, verb):
    path = tmp_path / "campaign.toml"
    path.write_bytes(b'description = "caf\xe9"\n')
    result = msgsvc("campaigns", verb, "MG0123456789abcdef0123456789abcdef", "--from-file", str(path))
    assert (result.code, result.out, result.err) == (2, "", f"msgsvc: {path} is not UTF-8 text\n")


# --- --wait's exit status in the help says what the README and the code say ---------------------


@pytest.mark.parametrize("command", [("send",), ("messages", "get")])
def test_wait_help_says_read_is_0_and_canceled_is_1(msgsvc, command):
    text = one_paragraph(msgsvc(*command, "--help").out)
    assert ("0 delivered or read (or still sent when --timeout runs out: no delivery receipt came), "
            "1 failed, undelivered or canceled, 5 timed out.") in text


def test_waiting_on_a_canceled_message_is_exit_1_as_the_help_says(msgsvc, emu):
    from datetime import datetime, timedelta, timezone

    from factories import attach

    sid = create_service(emu, "Alerts")
    number = next(r["sid"] for r in emu.store.data["numbers"].values() if r["phone_number"] == "+15550000001")
    attach(emu, sid, "PhoneNumbers", PhoneNumberSid=number)
    at = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sent = msgsvc("send", "Alerts", "--to", "+442071838750", "--body", "Reminder", "--schedule", at, "--yes", "--json")
    assert sent.code == 0, sent.err
    message = json.loads(sent.out)["sid"]
    assert msgsvc("messages", "cancel", message).code == 0
    result = msgsvc("messages", "get", message, "--wait", "--fields", "status")
    assert (result.code, result.out) == (1, "status\tcanceled\n")
