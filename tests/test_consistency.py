"""The consistency list of issue 25: one way to say a thing everywhere (counts, ranges, invalid
values, did-you-mean, exit codes, option names), one way to take a thing (--fields, --jq, -q,
many names), checked command by command with exact output."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import msgsvc

ROOT = Path(msgsvc.__file__).parent


def test_no_message_counts_with_a_parenthesised_plural():
    """'1 request', '3 requests' (msgsvc/words.py), never 'request(s)', in any string msgsvc has."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"[a-z]\(s\)", node.value.replace("http(s)", "http")):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]}")
    assert found == []


def test_counts_agree_with_their_number():
    from msgsvc.api import validate
    from msgsvc.words import counted

    assert (counted(1, "character"), counted(0, "request"), counted(2, "entry", "entries")) == (
        "1 character", "0 requests", "2 entries")
    for value, low, high, said in (("a", 40, None, "it is 1 character long; it must have at least 40"),
                                   ("ab", None, 1, "it is 2 characters long; the limit is 1")):
        try:
            validate.length(value, low, high)
        except ValueError as error:
            assert str(error) == said
        else:
            raise AssertionError("no error")


# --- against the emulator, in-process -----------------------------------------------------

import pytest  # noqa: E402
from factories import create_service  # noqa: E402


@pytest.fixture
def emu(emulator, isolated, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", emulator.base_url)
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "0")
    return emulator


def usage(command: str, message: str, *, usage_line: str = "[OPTIONS]") -> str:
    """A usage error as Click and msgsvc say every one: usage line, message, hint."""
    return f"Usage: msgsvc {command} {usage_line}\nmsgsvc: {message}\nhint: see 'msgsvc {command} --help'\n"


@pytest.mark.parametrize(("args", "command", "message", "usage_line"), [
    (["services", "list", "--limit", "0"], "services list", "Invalid value for '--limit' / '-n': 0 is not in the range 1 or more", "[OPTIONS]"),
    (["services", "list", "--timeout", "0"], "services list", "Invalid value for '--timeout': 0.0 is not in the range 0.001 to 86400", "[OPTIONS]"),
    (["emulator", "--port", "70000"], "emulator", "Invalid value for '--port': 70000 is not in the range 0 to 65535", "[OPTIONS]"),
    (["services", "update", "Alerts", "--validity-period", "0"], "services update",
     "Invalid value for '--validity-period': 0 is not in the range 1 to 36000", "[OPTIONS] SERVICE"),
    (["numbers", "attach", "Alerts", "x", "-c", "33"], "numbers attach",
     "Invalid value for '--concurrency' / '-c': 33 is not in the range 1 to 32", "[OPTIONS] SERVICE [NUMBER...]"),
])
def test_every_range_error_says_low_to_high(msgsvc, isolated, args, command, message, usage_line):
    result = msgsvc(*args)
    assert (result.code, result.out, result.err) == (2, "", usage(command, message, usage_line=usage_line))


def test_help_says_ranges_as_errors_do(monkeypatch, capsys):
    from msgsvc.cli import app as cli

    monkeypatch.setenv("COLUMNS", "200")
    assert cli.run(["numbers", "attach", "--help"]) == 0
    text = capsys.readouterr().out
    assert "Requests in flight at once.  [default: 8; 1 to 32]" in text  # the range said once, as errors say it
    assert "<=x" not in text and "x>=" not in text


@pytest.mark.parametrize(("args", "command", "usage_line", "message"), [
    (["campaigns", "usecases", "Alerts", "--brand", "BNxx"], "campaigns usecases", "[OPTIONS] SERVICE",
     "Invalid value for '--brand': 'BNxx' is not a brand registration SID (BN followed by 32 hexadecimal digits)"),
    (["tollfree", "list", "--status", "nope"], "tollfree list", "[OPTIONS]",
     "Invalid value for '--status': 'nope' is not one of PENDING_REVIEW, IN_REVIEW, TWILIO_APPROVED, TWILIO_REJECTED"),
    (["emulator", "--account-sid", "x"], "emulator", "[OPTIONS]",
     "Invalid value for '--account-sid': 'x' is not an Account SID (AC followed by 32 hexadecimal digits)"),
    (["services", "create", "--friendly-name", "X", "--usecase", "notification"], "services create", "[OPTIONS]",
     "Invalid value for '--usecase': 'notification' is not one of notifications, marketing, verification, discussion, "
     "poll, undeclared; did you mean 'notifications'?"),
])
def test_invalid_values_are_said_as_click_says_them(msgsvc, emu, args, command, usage_line, message):
    result = msgsvc(*args)
    assert (result.code, result.out, result.err) == (2, "", usage(command, message, usage_line=usage_line))
    assert [r for r in emu.records if r["operation"] != "ListService"] == []  # nothing sent


def test_fields_suggests_what_was_meant(msgsvc, isolated):
    result = msgsvc("services", "list", "--fields", "nme,sid")
    assert result.code == 2
    assert result.err.splitlines()[0] == "msgsvc: --fields: unknown field 'nme'; did you mean 'friendly_name'?"
    result = msgsvc("numbers", "list", "Alerts", "--fields", "phone_numbr")
    assert result.err.splitlines()[0] == "msgsvc: --fields: unknown field 'phone_numbr'; did you mean 'phone_number'?"


def test_an_unknown_brand_is_not_found_exit_3_in_brands_get_and_campaigns_create(msgsvc, emu):
    unknown = "BN" + "0" * 32
    said = f"msgsvc: no brand registration {unknown} on this account\nhint: msgsvc brands list shows the account's brands\n"
    result = msgsvc("brands", "get", unknown)
    assert (result.code, result.out, result.err) == (3, "", said)
    create_service(emu, "Alerts")
    result = msgsvc("campaigns", "create", "Alerts", "--brand", unknown, "--usecase", "ACCOUNT_NOTIFICATION",
                    "--no-has-embedded-links", "--no-has-embedded-phone",
                    "--description", "Account alerts for customers of Example Corp who opted in.",
                    "--message-flow", "Customers opt in on example.com/alerts by ticking an unticked box.",
                    "--sample", "Example Corp: your password was changed.",
                    "--sample", "Example Corp: a new device signed in to your account.")
    assert (result.code, result.out, result.err) == (3, "", said)
    assert emu.store.data["campaigns"] == {}


def test_apply_dry_run_refuses_fields_and_jq(msgsvc, emu, tmp_path):
    setup = tmp_path / "services.toml"
    setup.write_text('[[services]]\nfriendly_name = "Alerts"\n')
    for option, value in (("--fields", "status"), ("--jq", ".[]")):
        result = msgsvc("apply", str(setup), "--dry-run", option, value)
        assert (result.code, result.out, result.err) == (2, "", (
            f"msgsvc: {option} is for apply's results; --dry-run shows the plan\n"
            "hint: the plan as JSON: msgsvc plan FILE --json\n"))
    assert emu.records == []  # refused before anything is read


def test_campaigns_wait_takes_quiet(msgsvc, emu):
    service = create_service(emu, "Alerts")
    campaign = emu.register_campaign(service)["sid"]
    emu.store.data["campaigns"][campaign]["campaign_status"] = "VERIFIED"
    loud = msgsvc("campaigns", "wait", "Alerts", "--fields", "campaign_status")
    assert (loud.code, loud.out, loud.err) == (0, "campaign_status\tVERIFIED\n",
                                               f"Campaign {campaign} of {service} (Alerts) is VERIFIED\n")
    quiet = msgsvc("campaigns", "wait", "Alerts", "--fields", "campaign_status", "-q")
    assert (quiet.code, quiet.out, quiet.err) == (0, "campaign_status\tVERIFIED\n", "")


def test_updates_name_the_options_given_and_hints_the_name_typed(msgsvc, emu):
    service = create_service(emu, "Staging alerts")
    result = msgsvc("services", "update", "Staging alerts", "--fallback-url", "https://example.com/f", "--no-sticky-sender")
    assert (result.code, result.err) == (0, f"Updated {service} (fallback-url, sticky-sender)\n")
    result = msgsvc("campaigns", "get", "Staging alerts")
    assert (result.code, result.err) == (3, (
        f"msgsvc: {service} (Staging alerts) has no US A2P 10DLC campaign: it is not registered\n"
        "hint: register one: msgsvc campaigns create 'Staging alerts' --from-file campaign.toml\n"))


def test_profiles_remove_takes_many_names_each_said(msgsvc, isolated):
    from conftest import ACCOUNT_SID

    for name in ("a", "b", "c"):
        added = msgsvc("profiles", "add", name, "--no-verify", "--account-sid", ACCOUNT_SID, stdin="token-123456\n")
        assert added.code == 0, added.err
    refused = msgsvc("profiles", "remove", "a", "nosuch")
    assert (refused.code, refused.err.splitlines()[0]) == (4, "msgsvc: there is no profile named 'nosuch'")
    assert msgsvc("profiles", "list", "--fields", "name").out == "a\nb\nc\n"  # checked first: none removed
    result = msgsvc("profiles", "remove", "a", "b", "a", "--yes")
    assert (result.code, result.out) == (0, "")
    assert result.err == ("Removed profile 'a'; no profile is active now (msgsvc profiles use NAME)\n"
                          "Removed profile 'b'\n")  # each once, in order
    assert msgsvc("profiles", "list", "--fields", "name").out == "c\n"


def test_services_delete_takes_many_names_with_one_result_each(msgsvc, emu):
    from msgsvc.cli.commands import services
    from msgsvc.jobs.changes import RESULT_KEYS

    assert services.RESULT_KEYS == RESULT_KEYS
    first, second = create_service(emu, "Staging alerts"), create_service(emu, "Old promos")
    kept = create_service(emu, "Kept")
    refused = msgsvc("services", "delete", "Staging alerts", "Nosuch", "--yes")
    assert (refused.code, refused.err.splitlines()[0]) == (3, "msgsvc: no service is named 'Nosuch'")
    assert set(emu.store.data["services"]) == {first, second, kept}  # all found first: none deleted
    dry = msgsvc("services", "delete", "Staging alerts", first, "Old promos", "--dry-run")
    assert (dry.code, dry.out, dry.err) == (0, f"DELETE {emu.base_url}/v1/Services/{first}\n"
                                               f"DELETE {emu.base_url}/v1/Services/{second}\n",
                                            "Dry run: 2 requests not sent.\n")
    result = msgsvc("services", "delete", "Staging alerts", "Old promos", "--yes")
    assert (result.code, result.out, result.err) == (0, f"Staging alerts\t{first}\tdeleted\t\t\n"
                                                        f"Old promos\t{second}\tdeleted\t\t\n", "2 deleted\n")
    assert set(emu.store.data["services"]) == {kept}
    one = msgsvc("services", "delete", "Kept", "--yes")  # one service: its line, as before
    assert (one.code, one.out, one.err) == (0, "", f"Deleted {kept} (Kept)\n")


def test_a_campaign_use_case_the_brand_may_not_register_suggests_what_was_meant(msgsvc, emu):
    create_service(emu, "Alerts")
    approved = next(sid for sid, b in emu.store.data["brands"].items() if b["status"] == "APPROVED")
    result = msgsvc("campaigns", "create", "Alerts", "--brand", approved, "--usecase", "notification",
                    "--no-has-embedded-links", "--no-has-embedded-phone",
                    "--description", "Account alerts for customers of Example Corp who opted in.",
                    "--message-flow", "Customers opt in on example.com/alerts by ticking an unticked box.",
                    "--sample", "Example Corp: your password was changed.",
                    "--sample", "Example Corp: a new device signed in to your account.")
    assert (result.code, result.out, result.err) == (2, "", usage(
        "campaigns create", f"Invalid value for '--usecase': 'NOTIFICATION' is not a use case brand {approved} may "
        "register; did you mean 'ACCOUNT_NOTIFICATION' or 'DELIVERY_NOTIFICATION'?", usage_line="[OPTIONS] SERVICE"))
    assert emu.store.data["campaigns"] == {}  # Twilio refused it: nothing was made
