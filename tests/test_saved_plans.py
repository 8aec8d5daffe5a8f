"""Saved plans (issue 20): `msgsvc plan FILE -o PLAN` writes the plan with what it read;
`msgsvc apply PLAN` applies exactly it, or refuses (exit 7) when the account changed since,
against the emulator behind the tests' own fault proxy (which records every request)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from factories import attach, create_service as create
from test_apply_safety import emu, numbers_of, proxy  # noqa: F401 (fixtures: the emulator behind the fault proxy)

T0, T1 = 1700000000, 1700000100  # the emulator's date_updated, set by the tests
D0, D1 = "2023-11-14T22:13:20Z", "2023-11-14T22:15:00Z"
REMAKE = "hint: nothing was sent; make the plan again (msgsvc plan FILE -o PLAN), review it, and apply that\n"
STALE_HINT = REMAKE.replace("FILE -o PLAN", "services.toml -o p")
SETUP = ('[[services]]\nfriendly_name = "Alerts"\nvalidity_period = 700\n'
         'inbound_request_url = "https://hooks:S3cretPw@example.com/sms"\n'
         'senders.numbers = ["+15550000002"]\n'
         '[[services]]\nfriendly_name = "OTP"\nsenders.numbers = []\n')


@pytest.fixture
def account(emu, tmp_path, monkeypatch):
    """Alerts holding +15550000001, OTP empty, both last updated at T0; the setup file
    (SETUP) in the working directory, as services.toml."""
    monkeypatch.chdir(tmp_path)
    alerts, otp = create(emu, "Alerts"), create(emu, "OTP")
    pn1 = attach(emu, alerts, "PhoneNumbers", PhoneNumberSid=emu.number("+15550000001")["sid"])
    touch(emu, alerts, T0)
    touch(emu, otp, T0)
    (tmp_path / "services.toml").write_text(SETUP)
    return {"alerts": alerts, "otp": otp, "pn1": pn1, "pn2": emu.number("+15550000002")["sid"]}


def touch(emu, sid: str, when: int) -> None:
    """Set a service's date_updated in the emulator (what Twilio changes on every update)."""
    emu.store.data["services"][sid]["updated"] = when


def make_plan(msgsvc, proxy, *args: str) -> None:
    """`msgsvc plan ARGS...`, which must succeed; then the proxy forgets its reads."""
    result = msgsvc("plan", *args)
    assert result.code == 0, result.err
    proxy.seen.clear()


def writes(proxy) -> list[tuple[str, str]]:
    return [(m, p) for m, p, forwarded in proxy.seen if m != "GET" and forwarded]


def reseal(path, edit) -> None:
    """Edit a saved plan as a program would, checksum made again (so the field checks run)."""
    from msgsvc.setup.saved_format import checksum

    data = json.loads(path.read_text())
    edit(data)
    data["checksum"] = checksum(data)
    path.write_text(json.dumps(data, indent=2))


PLAN_LINES = (
    '~ update "Alerts": inbound_request_url null -> "https://hooks:***@example.com/sms"\n'
    '~ update "Alerts": validity_period 36000 -> 700\n'
    '- detach +15550000001 from "Alerts"\n'
    '+ attach +15550000002 to "Alerts"\n'
    "Plan: 0 to create, 1 to update, 1 to attach, 1 to detach, 0 to move, 0 to delete.\n")


def saved_plan(emu, ids) -> dict:
    """The saved plan of SETUP against `account`, as documented in msgsvc/setup/saved_format.py."""
    from msgsvc.setup.saved_format import checksum, digest

    fields = {"inbound_request_url": None, "inbound_method": "POST", "fallback_url": None,
              "fallback_method": "POST", "status_callback": None, "sticky_sender": True, "mms_converter": True,
              "smart_encoding": True, "scan_message_content": "inherit", "fallback_to_long_code": False,
              "area_code_geomatch": True, "validity_period": 36000, "synchronous_validation": False,
              "usecase": "undeclared", "use_inbound_webhook_on_number": False}
    alerts = {"name": "Alerts", "sid": ids["alerts"], "index": None}
    sender = {"source": None, "text": None, "country": None, "proven": True}
    read = sorted([
        {"sid": ids["alerts"], "friendly_name": "Alerts", "date_updated": D0, "us_app_to_person_registered": False,
         "fields": fields, "senders": {"numbers": [ids["pn1"]]}},
        {"sid": ids["otp"], "friendly_name": "OTP", "date_updated": D0, "us_app_to_person_registered": False,
         "fields": fields, "senders": {"numbers": []}},
    ], key=lambda e: e["sid"])
    body = {
        "format": "msgsvc-plan", "version": 1, "account_sid": emu.account_sid, "profile": None,
        "setup_file": {"name": "services.toml", "sha256": digest(SETUP)},
        "options": {"prune": False, "move_from_unmanaged": False, "allow_empty": False},
        "read": read,
        "changes": [
            {"action": "update", "kind": "service", "service": alerts,
             "after": {"inbound_request_url": "https://hooks:***@example.com/sms", "validity_period": 700},
             "before": {"inbound_request_url": None, "validity_period": 36000}, "a2p": False, "line": 1,
             "secrets": ["inbound_request_url"]},
            {"action": "detach", "kind": "numbers", "shown": "+15550000001", "sid": ids["pn1"], "service": alerts,
             **sender, "line": 1},
            {"action": "attach", "kind": "numbers", "shown": "+15550000002", "sid": ids["pn2"], "service": alerts,
             **sender, "line": 5},
        ],
        "warnings": [],
    }
    for change in body["changes"][1:]:  # in the order the dataclass has them
        order = ("action", "kind", "shown", "sid", "service", "source", "text", "country", "line", "proven")
        change.update({key: change.pop(key) for key in order})
    body["checksum"] = checksum(body)
    return body


# --- plan -o ---------------------------------------------------------------------------------


def test_plan_o_writes_the_plan_with_what_it_read_private_and_without_secrets(msgsvc, emu, proxy, account, tmp_path):
    result = msgsvc("plan", "services.toml", "-o", "services.plan")
    assert (result.code, result.out) == (0, PLAN_LINES)
    assert result.err == "Saved the plan to services.plan: apply exactly this plan with: msgsvc apply services.plan\n"
    path = tmp_path / "services.plan"
    text = path.read_text()
    assert json.loads(text) == saved_plan(emu, account)
    assert list(json.loads(text)) == ["format", "version", "account_sid", "profile", "setup_file", "options", "read",
                                      "changes", "warnings", "checksum"]  # the marker first: how apply knows it
    assert "S3cretPw" not in text and emu.auth_token not in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert writes(proxy) == []  # plan -o only reads
    # The same plan as without -o, and the same reads.
    reads = sorted(p for _, p, _ in proxy.seen)
    proxy.seen.clear()
    again = msgsvc("plan", "services.toml")
    assert (again.code, again.out, again.err) == (0, PLAN_LINES, "")
    assert sorted(p for _, p, _ in proxy.seen) == reads == sorted([
        "/v1/Services", f"/v1/Services/{account['alerts']}/PhoneNumbers", f"/v1/Services/{account['otp']}/PhoneNumbers",
        f"/2010-04-01/Accounts/{emu.account_sid}/IncomingPhoneNumbers.json"])


def test_plan_o_dash_writes_the_plan_on_stdout_and_its_lines_on_stderr(msgsvc, emu, proxy, account):
    result = msgsvc("plan", "services.toml", "-o", "-")
    assert result.code == 0 and result.err == PLAN_LINES
    assert json.loads(result.out) == saved_plan(emu, account)


# --- apply PLAN ------------------------------------------------------------------------------


def test_apply_plan_applies_exactly_the_saved_plan(msgsvc, emu, proxy, account, tmp_path):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    result = msgsvc("apply", "p", "--yes")
    assert result.code == 0, result.err
    alerts, pn1, pn2 = account["alerts"], account["pn1"], account["pn2"]
    assert result.out == (f"update\tAlerts\tAlerts\t{alerts}\tupdated\t\t\n"
                          f"detach\tAlerts\t+15550000001\t{pn1}\tdetached\t\t\n"
                          f"attach\tAlerts\t+15550000002\t{pn2}\tattached\t\t\n")
    assert result.err == PLAN_LINES + "1 updated, 1 attached, 1 detached\n"
    # The account read again as the plan read it (no inventory: the plan has it), then the writes.
    reads = [p for m, p, _ in proxy.seen if m == "GET"]
    assert sorted(reads) == sorted(["/v1/Services", f"/v1/Services/{alerts}/PhoneNumbers",
                                    f"/v1/Services/{account['otp']}/PhoneNumbers"])
    assert writes(proxy) == [("POST", f"/v1/Services/{alerts}"), ("DELETE", f"/v1/Services/{alerts}/PhoneNumbers/{pn1}"),
                             ("POST", f"/v1/Services/{alerts}/PhoneNumbers")]
    record = emu.call("GET", f"/v1/Services/{alerts}").json()
    # The password the plan never held was taken from the setup file, whose digest it checked.
    assert (record["inbound_request_url"], record["validity_period"]) == ("https://hooks:S3cretPw@example.com/sms", 700)
    # Applied once: the account changed, so the same plan is stale now.
    again = msgsvc("apply", "p", "--yes")
    assert again.code == 7 and again.err.startswith(f'msgsvc: p is stale: service "Alerts" ({alerts}) changed since')


def test_a_saved_plan_is_known_by_its_marker_not_its_name(msgsvc, emu, proxy, account, tmp_path):
    make_plan(msgsvc, proxy, "services.toml", "-o", "plan.toml")
    result = msgsvc("apply", "plan.toml", "--yes")
    assert result.code == 0, result.err
    assert result.err.endswith("1 updated, 1 attached, 1 detached\n")


def test_apply_plan_asks_as_apply_file_does(msgsvc, emu, proxy, account):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    result = msgsvc("apply", "p")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("msgsvc: refusing to apply without confirmation\nhint: add --yes to apply from a script\n")
    assert writes(proxy) == []
    result = msgsvc("apply", "p", stdin="n\n", stdin_tty=True)
    assert result.code == 2 and result.err.endswith("Nothing applied.\n") and writes(proxy) == []
    result = msgsvc("apply", "p", "--dry-run")
    assert (result.code, result.out) == (0, PLAN_LINES) and writes(proxy) == []


def test_a_saved_plan_without_changes_applies_as_a_no_op(msgsvc, emu, proxy, account, tmp_path):
    (tmp_path / "same.toml").write_text('[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = ["+15550000001"]\n')
    result = msgsvc("plan", "same.toml", "-o", "p")
    assert (result.code, result.out) == (0, "No changes: the account matches same.toml.\n")
    assert json.loads((tmp_path / "p").read_text())["changes"] == []
    result = msgsvc("apply", "p")  # nothing to confirm
    assert (result.code, result.out, result.err) == (0, "", "No changes: p has none to apply.\n")
    assert writes(proxy) == []


def test_a_failed_change_of_a_saved_plan_is_exit_1_and_says_to_plan_again(msgsvc, emu, proxy, account):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    proxy.add("POST", f"/v1/Services/{account['alerts']}/PhoneNumbers", status=400, code=21610, after=False)
    result = msgsvc("apply", "p", "--yes")
    assert result.code == 1
    assert result.out.splitlines()[2].split("\t")[4] == "failed"
    assert result.err.endswith("1 updated, 1 detached, 1 failed\n")


def test_a_prune_decision_is_the_plans_own(msgsvc, emu, proxy, account, tmp_path):
    legacy = create(emu, "Legacy")
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    for flag, option in (("--prune", "--prune"), ("--allow-empty", "--allow-empty"),
                         ("--move-from-unmanaged", "--move-from-unmanaged")):
        result = msgsvc("apply", "p", flag, "--yes")
        assert (result.code, result.out) == (2, "")
        assert result.err == (f"msgsvc: {option} contradicts p: the plan was made without it, and a saved plan is "
                              "applied as it was made\n"
                              f"hint: nothing was sent; make the plan with it: msgsvc plan services.toml {option} -o p\n")
    assert proxy.seen == []  # refused before any request
    # Made with --prune, the plan deletes Legacy; --prune again agrees with it.
    make_plan(msgsvc, proxy, "services.toml", "--prune", "-o", "pruned")
    result = msgsvc("apply", "pruned", "--prune", "--yes")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == f"delete\tLegacy\tLegacy\t{legacy}\tdeleted\t\t"


# --- stale plans -----------------------------------------------------------------------------


def stale(result, name: str, sid: str, what: str, hint: str = STALE_HINT) -> bool:
    return (result.code, result.out, result.err) == (
        7, "", f"msgsvc: p is stale: service {name} ({sid}) {what}\n" + hint)


def test_a_renamed_service_makes_the_plan_stale(msgsvc, emu, proxy, account):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    emu.call("POST", f"/v1/Services/{account['otp']}", data={"FriendlyName": "OTP 2"})
    touch(emu, account["otp"], T1)
    proxy.seen.clear()
    result = msgsvc("apply", "p", "--yes")
    assert stale(result, '"OTP"', account["otp"], "changed since the plan was made "
                                                  f'(friendly_name "OTP" -> "OTP 2"; date_updated {D0} -> {D1})')
    assert writes(proxy) == []


def test_a_sender_attached_elsewhere_makes_the_plan_stale(msgsvc, emu, proxy, account):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    attach(emu, account["otp"], "PhoneNumbers", PhoneNumberSid=account["pn2"])  # the number the plan attaches
    result = msgsvc("apply", "p", "--yes")
    assert stale(result, '"OTP"', account["otp"], "changed since the plan was made (numbers: +15550000002 attached)")
    assert writes(proxy) == []


def test_a_changed_field_makes_the_plan_stale(msgsvc, emu, proxy, account):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    emu.call("POST", f"/v1/Services/{account['alerts']}", data={"ValidityPeriod": "600"})
    touch(emu, account["alerts"], T0)  # in the same second: the field itself tells
    result = msgsvc("apply", "p", "--yes")
    assert stale(result, '"Alerts"', account["alerts"], "changed since the plan was made (validity_period 36000 -> 600)")
    assert writes(proxy) == []


def test_a_date_updated_alone_makes_the_plan_stale(msgsvc, emu, proxy, account):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    touch(emu, account["alerts"], T1)  # changed in a way the plan does not read: Twilio says so
    result = msgsvc("apply", "p", "--yes")
    assert stale(result, '"Alerts"', account["alerts"], f"changed since the plan was made (date_updated {D0} -> {D1})")


def test_a_campaign_registered_since_makes_the_plan_stale(msgsvc, emu, proxy, account, tmp_path):
    legacy = create(emu, "Legacy")
    touch(emu, legacy, T0)
    make_plan(msgsvc, proxy, "services.toml", "--prune", "-o", "p")
    emu.register_campaign(legacy)
    touch(emu, legacy, T0)
    result = msgsvc("apply", "p", "--prune", "--yes", "--force")
    assert stale(result, '"Legacy"', legacy, "changed since the plan was made (registered for US A2P 10DLC)")
    assert writes(proxy) == [] and len(emu.call("GET", "/v1/Services").json()["services"]) == 3


def test_a_service_created_or_deleted_since_makes_the_plan_stale(msgsvc, emu, proxy, account):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    new = create(emu, "Brand New")
    emu.call("DELETE", f"/v1/Services/{account['otp']}")
    result = msgsvc("apply", "p", "--yes")
    assert (result.code, result.out) == (7, "")
    assert result.err == ("msgsvc: p is stale: the account changed since the plan was made:\n"
                          f'  service "OTP" ({account["otp"]}) was deleted since the plan was made\n'
                          f'  service "Brand New" ({new}) was created since the plan was made\n' + STALE_HINT)
    assert writes(proxy) == []


def test_a_pinned_service_deleted_since_makes_the_plan_stale(msgsvc, emu, proxy, account, tmp_path):
    (tmp_path / "pinned.toml").write_text(f'[[services]]\nfriendly_name = "OTP"\nsid = "{account["otp"]}"\n'
                                          "validity_period = 60\n")
    make_plan(msgsvc, proxy, "pinned.toml", "-o", "p")
    emu.call("DELETE", f"/v1/Services/{account['otp']}")
    result = msgsvc("apply", "p", "--yes")
    assert stale(result, '"OTP"', account["otp"], "was deleted since the plan was made",
                 STALE_HINT.replace("services.toml", "pinned.toml"))
    assert writes(proxy) == []


def test_a_setup_file_changed_since_cannot_give_the_password(msgsvc, emu, proxy, account, tmp_path):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    (tmp_path / "services.toml").write_text(SETUP.replace("S3cretPw", "Other"))
    result = msgsvc("apply", "p", "--yes")
    assert (result.code, result.out) == (7, "")
    assert result.err == ("msgsvc: services.toml changed since p was made, and the plan takes the password it sets "
                          "from it\n" + STALE_HINT)
    assert proxy.seen == []


def test_a_plan_that_sets_a_password_from_standard_input_is_not_saved(msgsvc, emu, proxy, account, tmp_path):
    result = msgsvc("plan", "-", "-o", "p", stdin=SETUP)
    assert result.code == 2
    assert result.err.endswith("msgsvc: a plan read from standard input that sets a URL password cannot be saved: "
                               "the plan never holds a password, and apply would have no file to take it from\n"
                               "hint: nothing was written; give the setup file by its name\n")
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("out", ["p", "-"])
def test_a_plan_that_would_hold_the_auth_token_echoed_by_the_account_is_not_saved(msgsvc, emu, proxy, account,
                                                                                    tmp_path, out):
    # A hostile (or careless) server puts this run's token in a field the plan reads.
    emu.store.data["services"][account["alerts"]]["status_callback"] = f"https://x.example/cb?t={emu.auth_token}"
    result = msgsvc("plan", "services.toml", "-o", out)
    assert result.code == 2
    assert result.err.endswith(
        "msgsvc: the plan holds this run's auth token or secret (a value read from the account or the setup file "
        "has it) and is not saved: a saved plan never holds a secret\n"
        "hint: nothing was written; take the secret out of that value ('msgsvc plan FILE' shows where, masked as "
        "***)\n")
    assert emu.auth_token not in result.out + result.err
    assert result.out == ("" if out == "-" else PLAN_LINES)
    assert not (tmp_path / "p").exists()
    assert writes(proxy) == []


@pytest.mark.parametrize("out", ["p", "-"])
def test_a_saved_plan_holds_no_raw_control_or_bidi_character_a_server_sent(msgsvc, emu, proxy, account, tmp_path,
                                                                          out):
    # A name read for the plan: its file is cat in a terminal, reviewed in a pull request.
    evil = create(emu, "Evil\u009b2J\u202e\u2066\x7f")
    result = msgsvc("plan", "services.toml", "-o", out)
    assert result.code == 0, result.err
    text = result.out if out == "-" else (tmp_path / "p").read_text()
    assert '"friendly_name": "Evil\\u009b2J\\u202e\\u2066\\u007f"' in text
    assert not any(ch in text for ch in "\u009b\u202e\u2066\x7f")
    assert {e["sid"]: e["friendly_name"] for e in json.loads(text)["read"]}[evil] == "Evil\u009b2J\u202e\u2066\x7f"
    if out == "p":
        assert msgsvc("apply", "p", "--yes").code == 0  # the same plan, read back


# --- plans that cannot be applied here ---------------------------------------------------------


def test_a_plan_made_for_another_account_is_refused(msgsvc, emu, proxy, account, tmp_path):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    other = "AC" + "0" * 32
    reseal(tmp_path / "p", lambda data: data.update(account_sid=other, profile="staging"))
    result = msgsvc("apply", "p", "--yes")
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"msgsvc: p was made for account {other} (profile 'staging'), not for {emu.account_sid}\n"
                          "hint: nothing was sent; apply it with the profile it was made with, or make a plan for "
                          "this account\n")
    assert proxy.seen == []


def test_a_plan_made_with_another_profile_of_the_account_is_refused():
    from msgsvc.errors import UsageError
    from msgsvc.setup.diff import Diff
    from msgsvc.setup.saved_checks import refuse_other_account
    from msgsvc.setup.saved_format import SavedPlan

    plan = SavedPlan("p", "AC" + "1" * 32, "staging", "s.toml", "sha256:", {}, [], Diff())
    refuse_other_account(plan, "AC" + "1" * 32, None)  # the environment's credentials: the account decides
    refuse_other_account(plan, "AC" + "1" * 32, "staging")
    with pytest.raises(UsageError, match=r"^p was made for account AC1{32} \(profile 'staging'\), not for AC1{32} "
                                         r"\(profile 'prod'\)$"):
        refuse_other_account(plan, "AC" + "1" * 32, "prod")


def test_a_tampered_plan_is_refused_with_its_line(msgsvc, emu, proxy, account, tmp_path):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    path = tmp_path / "p"
    text = path.read_text()
    path.write_text(text.replace(f'"sid": "{account["pn2"]}"', f'"sid": "{account["pn1"]}"'))
    line = text.splitlines().index('  "checksum": ' + json.dumps(json.loads(text)["checksum"])) + 1
    result = msgsvc("apply", "p", "--yes")
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"msgsvc: p:{line}: checksum: does not match the plan: the file was changed after plan "
                          "wrote it\n" + REMAKE)
    assert proxy.seen == []


def test_a_corrupt_plan_is_refused_with_its_line(msgsvc, emu, proxy, account, tmp_path):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    path = tmp_path / "p"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:40]) + "\n")  # cut short, as a failed upload leaves it
    result = msgsvc("apply", "p", "--yes")
    assert result.code == 2
    assert result.err == "msgsvc: p:41: not valid JSON: Expecting ',' delimiter\n" + REMAKE
    path.write_text(lines[0] + '\n  "format": "msgsvc-plan",\n' + "\n".join(lines[1:]) + "\n")
    result = msgsvc("apply", "p", "--yes")
    assert result.err == "msgsvc: p:3: duplicate key 'format'\n" + REMAKE
    assert proxy.seen == []


def test_a_plan_of_a_newer_version_is_refused(msgsvc, emu, proxy, account, tmp_path):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    reseal(tmp_path / "p", lambda data: data.update(version=2))
    result = msgsvc("apply", "p", "--yes")
    assert (result.code, result.err) == (2, "msgsvc: p:3: version: 2 is newer than this msgsvc reads (version 1 "
                                            "plans): apply it with the msgsvc that made it\n" + REMAKE)
    assert proxy.seen == []


def test_a_plan_with_a_bad_field_names_it_and_its_line(msgsvc, emu, proxy, account, tmp_path):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")

    def edit(data):
        data["changes"][1]["action"] = "frobnicate"
        data["changes"][2]["proven"] = "yes"
        data["changes"][2]["service"]["sid"] = None  # and no create of index 5
        data["changes"][2]["service"]["index"] = 5
        data["changes"][0]["after"]["validity_period"] = 0
        del data["options"]["prune"]

    reseal(tmp_path / "p", edit)
    at = {n + 1: line for n, line in enumerate((tmp_path / "p").read_text().splitlines())}
    found = {"options": '"options"', "frobnicate": '"frobnicate"', "yes": '"yes"', "index": '"index": 5',
             "validity": '"validity_period": 0'}
    line = {name: next(n for n, text in at.items() if key in text) for name, key in found.items()}
    result = msgsvc("apply", "p", "--yes")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "msgsvc: 5 problems in p:\n"
        f"  p:{line['options']}: options.prune: missing (it must be true or false)\n"
        f"  p:{line['validity']}: changes[0].after.validity_period: 0 is not in the range 1 to 36000\n"
        f"  p:{line['frobnicate']}: changes[1].action: must be one of attach, detach, move for a sender\n"
        f"  p:{line['index'] - 3}: changes[2].service: needs the sid of an existing service, or the index of one "
        "the plan creates\n"
        f"  p:{line['yes']}: changes[2].proven: must be true or false, not \"yes\"\n" + REMAKE)
    assert proxy.seen == []


def test_plan_refuses_a_saved_plan_as_its_file(msgsvc, emu, proxy, account):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    result = msgsvc("plan", "p")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("msgsvc: p is a saved plan, not a setup file\n"
                          "hint: show it with: msgsvc apply p --dry-run; apply it with: msgsvc apply p\n")


def test_plan_o_replaces_only_a_saved_plan(msgsvc, emu, proxy, account, tmp_path):
    for target in ("services.toml", "notes.txt"):
        (tmp_path / "notes.txt").write_text("my notes\n")
        result = msgsvc("plan", "services.toml", "-o", target)
        assert result.code == 2
        assert result.err == (f"msgsvc: refusing to replace {target}: it is not a saved plan\n"
                              "hint: nothing was written; give -o a new file, or a saved plan to replace\n")
    assert (tmp_path / "services.toml").read_text() == SETUP
    assert (tmp_path / "notes.txt").read_text() == "my notes\n"
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")  # a saved plan is replaced
    assert json.loads((tmp_path / "p").read_text()) == saved_plan(emu, account)


def test_a_plan_with_blockers_is_not_saved(msgsvc, emu, proxy, account, tmp_path):
    other = create(emu, "Unmanaged")
    attach(emu, other, "PhoneNumbers", PhoneNumberSid=account["pn2"])
    result = msgsvc("plan", "services.toml", "-o", "p")
    assert result.code == 2 and "which the file does not manage" in result.err
    assert not (tmp_path / "p").exists()


# --- the README's CI workflow ------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="the walk-through is a POSIX shell script")
def test_the_readme_ci_workflow_runs_as_written(tmp_path):
    """The README's saved-plan walk-through, run verbatim by bash against the emulator it starts."""
    import re
    import subprocess
    from pathlib import Path

    from conftest import MSGSVC, need_tool

    bash = need_tool("bash")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Saved plans:", 1)[1]
    script = section.split("```sh\n", 1)[1].split("```\n", 1)[0]
    assert script.startswith("msgsvc emulator --port 0")
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(MSGSVC).parent), os.environ["PATH"]])}
    guard = "trap 'kill %1 2> /dev/null' EXIT\n"  # the emulator stops even if a line fails
    done = subprocess.run([bash, "-c", guard + script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    sid = re.search(r"MG[0-9a-f]{32}", done.stdout).group(0)
    assert done.stdout == ('~ update "Alerts": validity_period 36000 -> 600\n'
                           "Plan: 0 to create, 1 to update, 0 to attach, 0 to detach, 0 to move, 0 to delete.\n"
                           f"update\tAlerts\tAlerts\t{sid}\tupdated\t\t\n"
                           "applied what was reviewed\n"
                           "exit 7\n")
    assert re.search(rf'^msgsvc: services.plan is stale: service "Alerts" \({sid}\) changed since the plan was made '
                     r"\(validity_period 36000 -> 600(; date_updated \S+ -> \S+)?\)$", done.stderr, re.M), done.stderr
    assert stat.S_IMODE(os.stat(tmp_path / "services.plan").st_mode) == 0o600


# --- exact requests, against a scripted server ---------------------------------------------------


def test_plan_o_and_apply_plan_send_exactly_these_requests(msgsvc, profile, httpserver, tmp_path, monkeypatch):
    """Against pytest-httpserver, with the profile 'test': the plan reads the services once;
    apply PLAN reads them again, then sends the one update, with the password the plan file
    never held (from the setup file), and nothing else."""
    from conftest import ACCOUNT_SID, SERVICE_SID, page, service
    from corehelp import assert_request, sent

    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('[[services]]\nfriendly_name = "Alerts"\nvalidity_period = 700\n'
                                     'inbound_request_url = "https://hooks:S3cretPw@example.com/sms"\n')
    httpserver.expect_request("/v1/Services", method="GET").respond_with_json(page("services", [service()]))
    updated = service(validity_period=700, inbound_request_url="https://hooks:S3cretPw@example.com/sms")
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(updated)
    result = msgsvc("plan", "s.toml", "-o", "p")
    assert (result.code, result.out) == (0, (
        '~ update "Alerts": inbound_request_url "https://www.example.com/" -> "https://hooks:***@example.com/sms"\n'
        '~ update "Alerts": validity_period 600 -> 700\n'
        "Plan: 0 to create, 1 to update, 0 to attach, 0 to detach, 0 to move, 0 to delete.\n"))
    plan = json.loads((tmp_path / "p").read_text())
    assert (plan["account_sid"], plan["profile"]) == (ACCOUNT_SID, "test")
    assert [entry["senders"] for entry in plan["read"]] == [{}]  # no sender list in the file: none read
    (listing,) = sent(httpserver)
    assert_request(listing, "GET", "/v1/Services", query="PageSize=1000")
    httpserver.clear_log()
    result = msgsvc("apply", "p", "--yes")
    assert (result.code, result.out) == (0, f"update\tAlerts\tAlerts\t{SERVICE_SID}\tupdated\t\t\n")
    listing, update = sent(httpserver)
    assert_request(listing, "GET", "/v1/Services", query="PageSize=1000")
    assert_request(update, "POST", f"/v1/Services/{SERVICE_SID}",
                   form="InboundRequestUrl=https%3A%2F%2Fhooks%3AS3cretPw%40example.com%2Fsms&ValidityPeriod=700")
    assert "S3cretPw" not in result.err + result.out


def test_refused_credentials_while_reading_again_are_exit_4_and_nothing_is_sent(msgsvc, emu, proxy, account):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    proxy.add("GET", "/v1/Services", status=401, code=20003, after=False)
    result = msgsvc("apply", "p", "--yes")
    assert (result.code, result.out) == (4, "")
    assert result.err.startswith("msgsvc: HTTP 401 (Twilio error 20003): fault proxy: HTTP 401\n")
    assert proxy.seen == [("GET", "/v1/Services", False)]


def test_plan_json_with_o_writes_both(msgsvc, emu, proxy, account, tmp_path):
    result = msgsvc("plan", "services.toml", "--json", "-o", "p")
    assert result.code == 0
    assert json.loads(result.out)["summary"] == {"create": 0, "update": 1, "attach": 1, "detach": 1, "move": 0,
                                                 "delete": 0}
    assert json.loads((tmp_path / "p").read_text()) == saved_plan(emu, account)
    proxy.seen.clear()
    result = msgsvc("plan", "services.toml", "--json", "-o", "-")
    assert (result.code, result.out) == (2, "")
    assert result.err == "msgsvc: --json and -o - would both write to standard output\nhint: give -o a file name\n"
    assert proxy.seen == []


def test_a_saved_plan_creates_moves_and_deletes_as_the_file_would(msgsvc, emu, proxy, account, tmp_path):
    """Every kind of change goes through the file and back: a create whose senders wait for
    its SID, a move (with the service it leaves), an alpha sender made by its text, a delete."""
    legacy = create(emu, "Legacy")
    (tmp_path / "new.toml").write_text('[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = []\n'
                                       '[[services]]\nfriendly_name = "Brand New"\n'
                                       'senders.numbers = ["+15550000001"]\nsenders.alpha-senders = ["MyCo"]\n')
    make_plan(msgsvc, proxy, "new.toml", "--prune", "-o", "p")
    result = msgsvc("apply", "p", "--yes")
    assert result.code == 0, result.err
    rows = [line.split("\t") for line in result.out.splitlines()]
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        ("create", "Brand New", "Brand New", "created"), ("move", "Brand New", "+15550000001", "moved"),
        ("attach", "Brand New", "MyCo", "attached"), ("delete", "Legacy", "Legacy", "deleted"),
        ("delete", "OTP", "OTP", "deleted")]
    new, sent = rows[0][3], writes(proxy)
    assert sent[:2] == [("POST", "/v1/Services"), ("DELETE", f"/v1/Services/{account['alerts']}/PhoneNumbers/"
                                                             f"{account['pn1']}")]
    assert sorted(sent[2:4]) == [("POST", f"/v1/Services/{new}/AlphaSenders"), ("POST", f"/v1/Services/{new}/PhoneNumbers")]
    assert sorted(sent[4:]) == sorted([("DELETE", f"/v1/Services/{account['otp']}"), ("DELETE", f"/v1/Services/{legacy}")])
    assert numbers_of(emu, new) == ["+15550000001"] and numbers_of(emu, account["alerts"]) == []


def test_every_field_of_a_plan_made_wrong_is_exit_2_never_a_traceback(msgsvc, emu, proxy, account, tmp_path):
    """Each value of a real saved plan (resealed, so the field checks run) replaced by each of
    a few wrong ones, or removed: the plan is refused as a SetupFileError (exit 2), or it is
    one whose every change the applier can build."""
    import copy

    from msgsvc.setup import saved_checks, saved_format
    from msgsvc.setup.apply import Applier
    from msgsvc.setup.file import SetupFileError

    (tmp_path / "all.toml").write_text('[[services]]\nfriendly_name = "Alerts"\nvalidity_period = 700\n'
                                       'senders.numbers = ["+15550000002"]\nsenders.alpha-senders = ["MyCo"]\n'
                                       '[[services]]\nfriendly_name = "New"\nsenders.numbers = ["+15550000001"]\n')
    make_plan(msgsvc, proxy, "all.toml", "--prune", "-o", "p")
    base = json.loads((tmp_path / "p").read_text())
    assert {c["action"] for c in base["changes"]} == {"create", "update", "attach", "move", "delete"}

    def paths(value, path=()):
        yield path
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, item in items:
            yield from paths(item, path + (key,))

    missing = object()
    for path in [p for p in paths(base) if p and p[0] not in ("format", "checksum")]:
        for wrong in (None, "", 0, -1, True, [], {}, "x", missing):
            data = copy.deepcopy(base)
            parent = data
            for key in path[:-1]:
                parent = parent[key]
            if wrong is missing:
                del parent[path[-1]]
            else:
                parent[path[-1]] = wrong
            data["checksum"] = saved_format.checksum(data)
            try:
                plan = saved_format.parse(json.dumps(data, indent=2), "p")
            except SetupFileError:
                continue
            saved_checks.stale(plan, [])
            applier = Applier(None)
            applier.moves, applier.created = {}, {a.service.index: "MG" + "0" * 32 for a in plan.diff.services
                                                  if a.action == "create"}
            for action in [*plan.diff.services, *plan.diff.senders]:
                applier._move(action).detach() if action.action == "move" else applier._change(action)


def test_plan_o_with_detailed_exitcode_saves_the_plan_and_exits_6(msgsvc, emu, proxy, account, tmp_path):
    result = msgsvc("plan", "services.toml", "-o", "p", "--detailed-exitcode")
    assert (result.code, result.out) == (6, PLAN_LINES)
    assert json.loads((tmp_path / "p").read_text()) == saved_plan(emu, account)


def test_each_service_of_a_one_line_json_file_gets_its_own_password(msgsvc, emu, proxy, account, tmp_path):
    # Every service of a one-line JSON file is on line 1: the line alone does not say whose URL it is.
    one_line = ('{"services": [{"friendly_name": "Alerts", "inbound_request_url": "https://a:PwAlerts@alerts.example.com/"},'
                ' {"friendly_name": "OTP", "inbound_request_url": "https://o:PwOtp@otp.example.com/"},'
                ' {"friendly_name": "New", "status_callback": "https://n:PwNew@new.example.com/"}]}\n')
    (tmp_path / "one.json").write_text(one_line)
    make_plan(msgsvc, proxy, "one.json", "-o", "p")
    assert "Pw" not in (tmp_path / "p").read_text()
    result = msgsvc("apply", "p", "--yes")
    assert result.code == 0, result.err
    urls = {sid: emu.call("GET", f"/v1/Services/{sid}").json()["inbound_request_url"]
            for sid in (account["alerts"], account["otp"])}
    assert urls == {account["alerts"]: "https://a:PwAlerts@alerts.example.com/",
                    account["otp"]: "https://o:PwOtp@otp.example.com/"}
    new = [s for s in emu.call("GET", "/v1/Services").json()["services"] if s["friendly_name"] == "New"]
    assert [s["status_callback"] for s in new] == ["https://n:PwNew@new.example.com/"]


def test_plan_o_to_a_full_disk_is_exit_1(msgsvc, emu, proxy, account, tmp_path, monkeypatch):
    # README, Exit codes: a write the machine refuses is 1, not a usage error (2).
    import errno

    from msgsvc import atomic

    def full(path, text, *, private=False, fsync=True):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic, "write_file", full)
    result = msgsvc("plan", "services.toml", "-o", "p")
    assert (result.code, result.out) == (1, PLAN_LINES)
    assert result.err == "msgsvc: cannot write p: No space left on device\n"
    assert not (tmp_path / "p").exists()


def test_a_stale_plan_read_from_standard_input_says_how_to_make_it_as_typed(msgsvc, emu, proxy, account, tmp_path):
    # Neither `-o standard input` nor `plan standard input`: what a person types.
    setup = SETUP.replace("S3cretPw@", "")  # no password: a plan of standard input may be saved
    result = msgsvc("plan", "-", "-o", "p", stdin=setup)
    assert result.code == 0, result.err
    emu.call("POST", f"/v1/Services/{account['otp']}", data={"FriendlyName": "OTP 2"})
    result = msgsvc("apply", "-", "--yes", stdin=(tmp_path / "p").read_text())
    assert result.code == 7
    assert result.err.endswith("hint: nothing was sent; make the plan again (msgsvc plan - -o PLAN), review it, "
                               "and apply that\n")


def test_a_stale_plans_hint_quotes_its_file_names_for_a_shell(msgsvc, emu, proxy, account, tmp_path):
    (tmp_path / "my services.toml").write_text((tmp_path / "services.toml").read_text())
    saved = msgsvc("plan", "my services.toml", "-o", "plan $(date)")
    assert (saved.code, saved.out) == (0, PLAN_LINES)
    assert saved.err == "Saved the plan to plan $(date): apply exactly this plan with: msgsvc apply 'plan $(date)'\n"
    refused = msgsvc("plan", "plan $(date)")
    assert (refused.code, refused.out) == (2, "")
    assert refused.err == ("msgsvc: plan $(date) is a saved plan, not a setup file\n"
                           "hint: show it with: msgsvc apply 'plan $(date)' --dry-run; apply it with: msgsvc apply 'plan $(date)'\n")
    emu.call("POST", f"/v1/Services/{account['otp']}", data={"FriendlyName": "OTP 2"})
    touch(emu, account["otp"], T1)
    result = msgsvc("apply", "plan $(date)", "--yes")
    assert (result.code, result.out) == (7, "")
    assert result.err.endswith("hint: nothing was sent; make the plan again "
                               "(msgsvc plan 'my services.toml' -o 'plan $(date)'), review it, and apply that\n")


def test_a_setup_file_gone_or_made_invalid_since_is_named_as_such(msgsvc, emu, proxy, account, tmp_path):
    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    (tmp_path / "services.toml").write_text("[[services]\n")  # edited into an invalid file: it changed
    result = msgsvc("apply", "p", "--yes")
    assert (result.code, result.out) == (7, "")
    assert result.err == ("msgsvc: services.toml changed since p was made, and the plan takes the password it sets "
                          "from it\n" + STALE_HINT)
    (tmp_path / "services.toml").unlink()  # or not there: apply runs in another directory
    result = msgsvc("apply", "p", "--yes")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("msgsvc: cannot read services.toml: No such file or directory; p takes the password it sets "
                          "from that setup file\nhint: nothing was sent; apply the plan from the directory it was "
                          "made in\n")
    assert proxy.seen == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_plan_that_sets_a_password_from_a_pipe_is_not_saved(msgsvc, emu, proxy, account, tmp_path):
    # `msgsvc plan <(sops -d services.toml) -o p`: /dev/fd/63 is gone when apply needs the password.
    import threading

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(SETUP,))
    writer.start()
    result = msgsvc("plan", str(fifo), "-o", "p")
    writer.join()
    assert (result.code, result.out) == (2, PLAN_LINES)
    assert result.err == (f"msgsvc: a plan that sets a URL password cannot be saved from {fifo}: it is not a file that "
                          "apply can read again, and the plan never holds a password\n"
                          "hint: nothing was written; give the setup file as a file\n")
    assert not (tmp_path / "p").exists()


def test_a_saved_plan_stopped_before_anything_was_sent_still_applies(msgsvc, emu, proxy, account, monkeypatch):
    # Ctrl-C before the first request (during a 429's pause, say): the account did not change,
    # so the hint must not send the person to make and review the plan again.
    from msgsvc.jobs import executor
    from msgsvc.jobs.changes import NOT_SENT, Outcome

    run = executor.Executor.run

    def interrupted(self, changes):
        self.interrupted = True
        return [Outcome(c.shown, c.target, NOT_SENT) for c in changes]

    make_plan(msgsvc, proxy, "services.toml", "-o", "p")
    monkeypatch.setattr(executor.Executor, "run", interrupted)
    result = msgsvc("apply", "p", "--yes")
    assert result.code == 130
    assert result.err.endswith("msgsvc: interrupted: the changes marked 'not sent' were left as they were\n"
                               "hint: nothing was sent, so p still applies as it is: msgsvc apply p\n")
    assert writes(proxy) == []
    monkeypatch.setattr(executor.Executor, "run", run)
    again = msgsvc("apply", "p", "--yes")
    assert again.code == 0, again.err


def test_a_valid_plan_is_read_without_the_line_scan(msgsvc, emu, proxy, account, monkeypatch):
    # The scan (Python, ~7 s for a plan of 50,000 changes) only places problems on their lines.
    from msgsvc.setup import lines

    make_plan(msgsvc, proxy, "services.toml", "-o", "p")

    def scan(text):
        raise AssertionError("a valid plan was scanned for lines")

    monkeypatch.setattr(lines, "json_scan", scan)
    result = msgsvc("apply", "p", "--dry-run")
    assert (result.code, result.out) == (0, PLAN_LINES)


def test_a_key_twice_is_found_even_spelt_otherwise(tmp_path):
    from msgsvc.setup.saved_format import parse
    from msgsvc.setup.file import SetupFileError

    with pytest.raises(SetupFileError) as caught:
        parse('{"format": "msgsvc-plan", "version": 1, "v\\u0065rsion": 1}\n', "p")
    assert [(p.line, p.message) for p in caught.value.problems] == [(1, "duplicate key 'version'")]
