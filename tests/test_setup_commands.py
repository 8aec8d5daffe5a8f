"""msgsvc export | plan | apply and numbers find, against the emulator (a real stateful
server): exact output, exit codes, what was sent, and convergence."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_installed
from factories import attach, create_service as create
from emulator_helpers import EMU_TOKEN, SPEC_DIR, Emulator, check_records, record_requests, start_emulator, stop_emulator

OTHER_ACCOUNT = "AC" + "f" * 32


@pytest.fixture
def requests_log(monkeypatch):
    """Every request any emulator of the test answered: (method, path, form items)."""
    return record_requests(monkeypatch, lambda request: (request.method, request.path, tuple(sorted(request.form.items()))))


def writes(log: list[tuple]) -> list[tuple]:
    return [entry for entry in log if entry[0] != "GET"]


def use(monkeypatch, emu: Emulator) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emu.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emu.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", emu.base_url)
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "0")


@pytest.fixture
def emu(emulator, monkeypatch, requests_log):
    use(monkeypatch, emulator)
    return emulator


def second_emulator() -> Emulator:
    """Another, empty account: its numbers have the same E.164 values and other SIDs."""
    from msgsvc.emulator.server import make_server
    from msgsvc.emulator.seed import seed
    from msgsvc.emulator.store import Store

    records: list[dict] = []
    lock = threading.Lock()

    def record(operation, status, body):
        with lock:
            records.append({"operation": operation, "status": status, "body": body})

    store = Store(seed(OTHER_ACCOUNT, EMU_TOKEN, 30))
    server = make_server("127.0.0.1", 0, store, recorder=record)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return Emulator(f"http://127.0.0.1:{server.server_address[1]}", store, server, records, account_sid=OTHER_ACCOUNT)


def pool(emu: Emulator, service: str, segment: str, key: str) -> list:
    answer = emu.call("GET", f"/v1/Services/{service}/{segment}")
    return sorted(r[key] for r in answer.json()[answer.json()["meta"]["key"]])


def populate(emu: Emulator) -> dict:
    alerts = create(emu, "Alerts", ValidityPeriod="600", StatusCallback="https://example.com/status",
                    Usecase="notifications")
    otp = create(emu, "OTP", StickySender="false")
    for number in ("+15550000001", "+15550000002"):
        attach(emu, alerts, "PhoneNumbers", PhoneNumberSid=emu.number(number)["sid"])
    attach(emu, otp, "PhoneNumbers", PhoneNumberSid=emu.number("+15550000003")["sid"])
    attach(emu, alerts, "ShortCodes", ShortCodeSid=emu.sids("short_codes")[1])
    attach(emu, alerts, "AlphaSenders", AlphaSender="MyCo")
    attach(emu, otp, "DestinationAlphaSenders", AlphaSender="MyCo", IsoCountryCode="GB")
    attach(emu, otp, "DestinationAlphaSenders", AlphaSender="Any")
    attach(emu, otp, "ChannelSenders", Sid=emu.sids("channel_senders")[0])
    return {"alerts": alerts, "otp": otp}


FIELDS_AS_CREATED = '''inbound_request_url = ""
inbound_method = "POST"
fallback_url = ""
fallback_method = "POST"
status_callback = "{status_callback}"
sticky_sender = {sticky}
mms_converter = true
smart_encoding = true
scan_message_content = "inherit"
fallback_to_long_code = false
area_code_geomatch = true
validity_period = {validity}
synchronous_validation = false
usecase = "{usecase}"
use_inbound_webhook_on_number = false
'''

EXPORTED = ('''# A Messaging Services setup, written by `msgsvc export`.
# Review changes with `msgsvc plan FILE`; converge an account with `msgsvc apply FILE`.

version = 1

[[services]]
friendly_name = "Alerts"
''' + FIELDS_AS_CREATED.format(status_callback="https://example.com/status", sticky="true", validity=600,
                               usecase="notifications") + '''
[services.senders]
numbers = [
    "+15550000001",
    "+15550000002",
]
short-codes = [
    "55502",
]
alpha-senders = [
    "MyCo",
]
channel-senders = []
destination-alpha-senders = []

[[services]]
friendly_name = "OTP"
''' + FIELDS_AS_CREATED.format(status_callback="", sticky="false", validity=36000, usecase="undeclared") + '''
[services.senders]
numbers = [
    "+15550000003",
]
short-codes = []
alpha-senders = []
channel-senders = [
    "whatsapp:+15550000001",
]
destination-alpha-senders = [
    "Any",
    { alpha_sender = "MyCo", iso_country_code = "GB" },
]
''')


# --- export -----------------------------------------------------------------------------------


def test_export_writes_every_service_field_and_sender_deterministically(msgsvc, emu, requests_log):
    populate(emu)
    requests_log.clear()
    first = msgsvc("export")
    assert (first.code, first.err) == (0, "")
    assert first.out == EXPORTED
    # One listing of the services, one of each kind of sender per service; nothing else.
    assert sorted(path.rsplit("/", 1)[-1] for method, path, _ in requests_log) == sorted(
        ["Services"] + [s for s in ("PhoneNumbers", "ShortCodes", "AlphaSenders", "ChannelSenders",
                                    "DestinationAlphaSenders") for _ in range(2)])
    assert writes(requests_log) == []
    assert msgsvc("export").out == first.out  # an unchanged account: the same bytes


def test_export_of_named_services_as_json_with_sids(msgsvc, emu):
    sids = populate(emu)
    result = msgsvc("export", "OTP", "--json", "--with-sids")
    assert (result.code, result.err) == (0, "")
    doc = json.loads(result.out)
    assert [s["friendly_name"] for s in doc["services"]] == ["OTP"]
    assert doc["services"][0]["sid"] == sids["otp"]
    assert doc["services"][0]["senders"]["numbers"] == ["+15550000003"]
    assert result.out.startswith('{\n  "version": 1,\n')


@pytest.mark.parametrize("form", [[], ["--json"]])
def test_export_shows_a_servers_control_and_bidi_characters_escaped_and_reads_them_back(msgsvc, emu, tmp_path, form):
    name = "Evil\u009b2J\u202e\u2066\x7f"
    create(emu, name)
    result = msgsvc("export", *form, tty=True)
    assert (result.code, result.err) == (0, "")
    assert not any(ch in result.out for ch in "\u009b\u202e\u2066\x7f")
    assert 'friendly_name = "Evil\\u009b2J\\u202e\\u2066\\u007f"' in result.out if not form else \
        '"friendly_name": "Evil\\u009b2J\\u202e\\u2066\\u007f"' in result.out
    path = tmp_path / ("services.json" if form else "services.toml")
    path.write_text(result.out)
    again = msgsvc("plan", str(path))
    assert (again.code, again.out, again.err) == (0, f"No changes: the account matches {path}.\n", "")


def test_export_to_a_file(msgsvc, emu, tmp_path):
    populate(emu)
    target = tmp_path / "services.toml"
    result = msgsvc("export", "-o", str(target))
    assert (result.code, result.out, result.err) == (0, "", f"Wrote 2 services to {target}\n")
    assert target.read_text() == EXPORTED


@pytest.mark.parametrize("there", [
    "",  # empty
    "# A Messaging Services setup, written by `msgsvc export`.\nversion = 1\n",  # an earlier export
    '[[services]]\nfriendly_name = "Hand written"\n',  # a setup file written by hand
    '{"version": 1, "services": []}',  # one in JSON
])
def test_export_replaces_a_setup_file_or_an_empty_one(msgsvc, emu, tmp_path, there):
    populate(emu)
    target = tmp_path / "services.toml"
    target.write_text(there)
    result = msgsvc("export", "-o", str(target))
    assert (result.code, result.out, result.err) == (0, "", f"Wrote 2 services to {target}\n")
    assert target.read_text() == EXPORTED


@pytest.mark.parametrize("there", [
    "active = \"prod\"\n[profiles.prod]\nauth_token = \"s3cr3t\"\n",  # msgsvc's own config: every profile's secret
    "my notes\n",
    "[tool.poetry]\nname = \"app\"\n",  # TOML, but not a setup file
    "\xe9t\xe9",  # not UTF-8
])
def test_export_never_replaces_a_file_that_is_not_a_setup_file(msgsvc, emu, tmp_path, there, requests_log):
    # A typo, or a Tab that completed the wrong name: -o must not destroy what it would overwrite.
    populate(emu)
    target = tmp_path / "config.toml"
    target.write_bytes(there.encode("latin-1"))
    requests_log.clear()
    result = msgsvc("export", "-o", str(target))
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"msgsvc: refusing to replace {target}: it is not a setup file\n"
                          "hint: nothing was written; give -o a new file, or a setup file to replace\n")
    assert target.read_bytes() == there.encode("latin-1")
    assert requests_log == []  # refused before the account is read


def test_export_never_replaces_the_config_of_msgsvc_itself(msgsvc, emu, isolated):
    from msgsvc.local import config

    populate(emu)
    config.write_config({"active": "t", "profiles": {"t": {"account_sid": "AC" + "a" * 32, "auth_token": "s3cr3t-tok"}}})
    path = isolated / "config" / "config.toml"
    before = path.read_text()
    result = msgsvc("export", "-o", str(path))
    assert result.code == 2 and "refusing to replace" in result.err
    assert path.read_text() == before


def test_export_to_a_full_disk_is_exit_1_and_keeps_the_file(msgsvc, emu, tmp_path, monkeypatch):
    # README, Exit codes: a write the machine refuses is 1 (as for the config and stdout), not a usage error.
    import errno
    import os

    from msgsvc import atomic

    def full(path, text, *, private=False, fsync=True):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    populate(emu)
    target = tmp_path / "services.toml"
    target.write_text("version = 1  # kept\n")
    monkeypatch.setattr(atomic, "write_file", full)
    result = msgsvc("export", "-o", str(target))
    assert (result.code, result.out, result.err) == (1, "", f"msgsvc: cannot write {target}: No space left on device\n")
    assert target.read_text() == "version = 1  # kept\n"


def test_export_of_services_sharing_a_name_pins_them(msgsvc, emu):
    one, two = create(emu, "Same"), create(emu, "Same")
    result = msgsvc("export", "--json")
    assert result.err == "msgsvc: several services are named 'Same': they are written with their sid\n"
    assert sorted(s["sid"] for s in json.loads(result.out)["services"]) == sorted([one, two])


def test_export_of_an_unknown_service_is_not_found(msgsvc, emu):
    result = msgsvc("export", "Nope")
    assert (result.code, result.out) == (3, "")
    assert result.err == "msgsvc: no service is named 'Nope'\nhint: list the services with: msgsvc services list --all\n"


# --- the round trip ---------------------------------------------------------------------------


def test_export_then_apply_to_an_empty_account_then_plan_shows_no_changes(msgsvc, emu, monkeypatch, tmp_path, requests_log):
    populate(emu)
    # The file is portable as exported: the channel sender is written as its address, and the
    # empty account, where it is in no service, finds it through Messaging v2 Channels Senders.
    target = second_emulator()
    try:
        text = msgsvc("export").out
        assert 'channel-senders = [\n    "whatsapp:+15550000001",\n]' in text
        path = tmp_path / "services.toml"
        path.write_text(text)
        use(monkeypatch, target)
        requests_log.clear()
        applied = msgsvc("apply", str(path), "--yes")
        assert applied.code == 0, applied.err
        assert applied.err.endswith("\n2 created, 8 attached\n")
        assert len(writes(requests_log)) == 10
        assert ("GET", "/v2/Channels/Senders", ()) in requests_log
        otp = next(s["sid"] for s in target.call("GET", "/v1/Services").json()["services"] if s["friendly_name"] == "OTP")
        assert ("POST", f"/v1/Services/{otp}/ChannelSenders", (("Sid", target.sids("channel_senders")[0]),)) in requests_log
        plan = msgsvc("plan", str(path), "--detailed-exitcode")
        assert (plan.code, plan.out, plan.err) == (0, f"No changes: the account matches {path}.\n", "")
        # Exported from the second account, the setup reads the same as from the first.
        use(monkeypatch, emu)
        first = msgsvc("export").out
        use(monkeypatch, target)
        assert msgsvc("export").out == first
    finally:
        stop_emulator(target)
    if SPEC_DIR.is_dir():
        check_records(target.records)


def test_applying_a_file_that_matches_sends_no_write(msgsvc, emu, tmp_path, requests_log):
    populate(emu)
    path = tmp_path / "services.toml"
    path.write_text(msgsvc("export").out)
    requests_log.clear()
    result = msgsvc("apply", str(path))  # no --yes needed: nothing to confirm
    assert (result.code, result.out, result.err) == (0, "", f"No changes: the account matches {path}.\n")
    assert writes(requests_log) == []


# --- plan -------------------------------------------------------------------------------------


def test_plan_shows_each_change_and_counts_them(msgsvc, emu, tmp_path, requests_log):
    sids = populate(emu)
    create(emu, "Legacy")
    path = tmp_path / "services.toml"
    path.write_text('''version = 1
[[services]]
friendly_name = "Alerts"
validity_period = 60
status_callback = ""
[services.senders]
numbers = ["+15550000001", "+15550000003", "+15550000004"]
short-codes = []

[[services]]
friendly_name = "OTP"

[[services]]
friendly_name = "New"
usecase = "marketing"
senders.alpha-senders = ["NewCo"]
''')
    requests_log.clear()
    result = msgsvc("plan", str(path), "--prune", "--detailed-exitcode")
    assert (result.code, result.err) == (6, "")
    assert result.out == '''+ create service "New"
    usecase = "marketing"
~ update "Alerts": status_callback "https://example.com/status" -> ""
~ update "Alerts": validity_period 600 -> 60
- detach +15550000002 from "Alerts"
> move +15550000003 from "OTP" to "Alerts"
+ attach +15550000004 to "Alerts"
- detach 55502 from "Alerts"
+ attach NewCo to "New"
- delete service "Legacy" (--prune)
Plan: 1 to create, 1 to update, 2 to attach, 2 to detach, 1 to move, 1 to delete.
'''
    assert writes(requests_log) == []
    assert msgsvc("plan", str(path), "--prune").code == 0  # changes pending are not an error without the flag
    data = json.loads(msgsvc("plan", str(path), "--json").out)
    assert data["summary"] == {"create": 1, "update": 1, "attach": 2, "detach": 2, "move": 1, "delete": 0}
    assert data["changes"][1] == {"action": "update", "kind": "service", "service": "Alerts", "service_sid": sids["alerts"],
                                  "before": {"status_callback": "https://example.com/status", "validity_period": 600},
                                  "after": {"status_callback": "", "validity_period": 60}}
    move = next(c for c in data["changes"] if c["action"] == "move")
    assert move == {"action": "move", "kind": "numbers", "service": "Alerts", "service_sid": sids["alerts"],
                    "sender": "+15550000003", "sender_sid": emu.number("+15550000003")["sid"],
                    "from": "OTP", "from_sid": sids["otp"]}


def test_a_sender_in_an_unmanaged_service_is_a_conflict(msgsvc, emu, tmp_path, requests_log):
    sids = populate(emu)
    path = tmp_path / "services.toml"
    path.write_text('[[services]]\nfriendly_name = "Alerts"\n[services.senders]\nnumbers = ["+15550000003"]\n')
    requests_log.clear()
    for command in (["plan"], ["apply", "--yes"]):
        result = msgsvc(*command, str(path))
        assert (result.code, result.out) == (2, "")
        assert result.err == (
            f'msgsvc: {path}:4: numbers: +15550000003 is in "OTP" ({sids["otp"]}), which the file does not manage; '
            "add that service to the file, or take it with --move-from-unmanaged\n"
            "hint: nothing was sent; fix the file and run again\n")
    assert writes(requests_log) == []
    result = msgsvc("apply", str(path), "--yes", "--move-from-unmanaged")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == (f"move\tAlerts\t+15550000003\t{emu.number('+15550000003')['sid']}\tmoved\t\t")
    assert pool(emu, sids["alerts"], "PhoneNumbers", "phone_number") == ["+15550000003"]
    assert pool(emu, sids["otp"], "PhoneNumbers", "phone_number") == []


def test_senders_the_account_does_not_own_are_errors_before_anything_is_sent(msgsvc, emu, tmp_path, requests_log):
    create(emu, "Alerts")
    path = tmp_path / "services.toml"
    stranger_pn, stranger_sc, stranger_xe = "PN" + "0" * 32, "SC" + "0" * 32, "XE" + "0" * 32
    path.write_text('[[services]]\nfriendly_name = "Alerts"\n[services.senders]\n'
                    f'numbers = ["+15559999999", "{stranger_pn}"]\n'
                    f'short-codes = ["55509", "{stranger_sc}"]\n'
                    f'channel-senders = ["whatsapp:+15559999999", "{stranger_xe}", "messenger:101234567890123"]\n')
    requests_log.clear()
    result = msgsvc("apply", str(path), "--yes")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: 6 problems in {path}:\n"
        f"  {path}:4: numbers: +15559999999 is not a phone number of this account\n"
        f"  {path}:4: numbers: {stranger_pn} is not a phone number of this account\n"
        f"  {path}:5: short-codes: 55509 is not a short code of this account\n"
        f"  {path}:5: short-codes: {stranger_sc} is not a short code of this account\n"
        f"  {path}:6: channel-senders: messenger:101234567890123 is in no service of this account, and Messaging v2 "
        "lists WhatsApp and RCS senders only: attach it to a service first, then export again\n"
        f"  {path}:6: channel-senders: whatsapp:+15559999999 is not a channel sender of this account\n"
        "hint: nothing was sent; fix the file and run again\n")
    assert writes(requests_log) == []


def test_validation_errors_name_the_file_and_line_and_send_nothing(msgsvc, emu, tmp_path, requests_log):
    path = tmp_path / "bad.toml"
    path.write_text('[[services]]\nfriendly_name = "Alerts"\nvalidity_periode = 600\n\n'
                    '[services.senders]\nnumbers = [\n  "+15550000001",\n  "5550000002",\n]\n')
    for command in ("plan", "apply"):
        result = msgsvc(command, str(path))
        assert (result.code, result.out) == (2, "")
        assert result.err == (
            f"msgsvc: 2 problems in {path}:\n"
            f"  {path}:3: unknown key 'validity_periode' in a service; did you mean 'validity_period'?\n"
            f"  {path}:8: numbers: '5550000002' is not an E.164 number: they begin with '+' (did you mean +5550000002?)\n"
            "hint: nothing was sent; fix the file and run again\n")
    assert requests_log == []  # not even a read
    result = msgsvc("plan", str(tmp_path / "missing.toml"))
    assert (result.code, result.err) == (2, f"msgsvc: cannot read {tmp_path / 'missing.toml'}: No such file or directory\n")


def test_plan_reads_a_file_from_standard_input(msgsvc, emu):
    create(emu, "Alerts")
    result = msgsvc("plan", "-", stdin='[[services]]\nfriendly_name = "Alerts"\nvalidity_period = 5\n')
    assert (result.code, result.out) == (0, '~ update "Alerts": validity_period 36000 -> 5\n'
                                            "Plan: 0 to create, 1 to update, 0 to attach, 0 to detach, 0 to move, 0 to delete.\n")
    result = msgsvc("plan", "-", stdin='[[services]]\nfriendly_name = "Alerts"\nvalidity_period = "5"\n')
    assert result.err.startswith("msgsvc: standard input:3: validity_period: must be an integer, not a string\n")


def test_a_name_of_several_services_is_an_error(msgsvc, emu, tmp_path):
    one, two = sorted([create(emu, "Dup"), create(emu, "Dup")])
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "Dup"\nvalidity_period = 5\n')
    result = msgsvc("plan", str(path))
    assert (result.code, result.err) == (2, f'msgsvc: {path}:1: 2 services are named "Dup": {one}, {two}; pin the one '
                                            f'you mean in the file by its sid, e.g. sid = "{one}"\n'
                                            "hint: nothing was sent; fix the file and run again\n")
    as_json = tmp_path / "s.json"
    as_json.write_text('{"services": [{"friendly_name": "Dup", "validity_period": 5}]}')
    result = msgsvc("apply", str(as_json), "--yes")
    assert (result.code, result.err) == (2, f'msgsvc: {as_json}:1: 2 services are named "Dup": {one}, {two}; pin the '
                                            f'one you mean in the file by its sid, e.g. "sid": "{one}"\n'
                                            "hint: nothing was sent; fix the file and run again\n")
    path.write_text(f'[[services]]\nfriendly_name = "Dup"\nsid = "{one}"\nvalidity_period = 5\n')  # pinned: it plans
    result = msgsvc("plan", str(path))
    assert (result.code, result.out) == (0, '~ update "Dup": validity_period 36000 -> 5\n'
                                            "Plan: 0 to create, 1 to update, 0 to attach, 0 to detach, 0 to move, 0 to delete.\n")


# --- apply ------------------------------------------------------------------------------------


def test_apply_moves_senders_between_services_in_the_file(msgsvc, emu, tmp_path, requests_log):
    sids = populate(emu)
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = ["+15550000003"]\n'
                    '[[services]]\nfriendly_name = "OTP"\nsenders.numbers = ["+15550000001", "+15550000002"]\n')
    requests_log.clear()
    result = msgsvc("apply", str(path), "--yes")
    assert result.code == 0, result.err
    pn = {n: emu.number(n)["sid"] for n in ("+15550000001", "+15550000002", "+15550000003")}
    assert result.out == (
        f"move\tAlerts\t+15550000003\t{pn['+15550000003']}\tmoved\t\t\n"
        f"move\tOTP\t+15550000001\t{pn['+15550000001']}\tmoved\t\t\n"
        f"move\tOTP\t+15550000002\t{pn['+15550000002']}\tmoved\t\t\n")
    assert result.err == ('> move +15550000003 from "OTP" to "Alerts"\n> move +15550000001 from "Alerts" to "OTP"\n'
                          '> move +15550000002 from "Alerts" to "OTP"\n'
                          "Plan: 0 to create, 0 to update, 0 to attach, 0 to detach, 3 to move, 0 to delete.\n3 moved\n")
    # Every detach ran before any attach.
    methods = [m for m, _, _ in writes(requests_log)]
    assert methods == ["DELETE"] * 3 + ["POST"] * 3
    assert pool(emu, sids["alerts"], "PhoneNumbers", "phone_number") == ["+15550000003"]
    assert pool(emu, sids["otp"], "PhoneNumbers", "phone_number") == ["+15550000001", "+15550000002"]


def test_prune_deletes_unmentioned_services_but_not_a2p_ones_without_force(msgsvc, emu, tmp_path, requests_log):
    keep = create(emu, "Keep")
    legacy = create(emu, "Legacy")
    emu.register_campaign(legacy)
    old = create(emu, "Old")
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "Keep"\n')
    assert msgsvc("plan", str(path), "--prune").out == (
        '- delete service "Legacy" (--prune; registered for US A2P 10DLC: needs --force)\n'
        '- delete service "Old" (--prune)\n'
        "Plan: 0 to create, 0 to update, 0 to attach, 0 to detach, 0 to move, 2 to delete.\n")
    requests_log.clear()
    result = msgsvc("apply", str(path), "--prune", "--yes")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: {legacy} (Legacy) is registered for US A2P 10DLC: deleting it deletes its A2P campaign and "
        "immediately halts all US A2P 10DLC messaging through it; a new campaign must be created and registered "
        "again, which can take several days\nhint: nothing was sent; if that is really what you want, add --force\n")
    assert writes(requests_log) == []
    result = msgsvc("apply", str(path), "--prune", "--yes", "--force")
    assert result.code == 0, result.err
    assert result.out == f"delete\tLegacy\tLegacy\t{legacy}\tdeleted\t\t\ndelete\tOld\tOld\t{old}\tdeleted\t\t\n"
    assert [s["sid"] for s in emu.call("GET", "/v1/Services").json()["services"]] == [keep]


def test_apply_asks_in_a_terminal_and_needs_yes_otherwise(msgsvc, emu, tmp_path, requests_log):
    create(emu, "Alerts")
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "Alerts"\nvalidity_period = 5\n')
    requests_log.clear()
    result = msgsvc("apply", str(path))
    assert (result.code, result.out) == (2, "")
    assert result.err == "msgsvc: refusing to apply without confirmation\nhint: add --yes to apply from a script\n"
    result = msgsvc("apply", str(path), stdin="n\n", stdin_tty=True)
    assert (result.code, result.out) == (2, "")
    assert result.err == ('~ update "Alerts": validity_period 36000 -> 5\n'
                          "Plan: 0 to create, 1 to update, 0 to attach, 0 to detach, 0 to move, 0 to delete.\n"
                          "Apply this change to the account? [y/N]: Nothing applied.\n")
    assert writes(requests_log) == []
    result = msgsvc("apply", str(path), stdin="y\n", stdin_tty=True, tty=True)
    assert result.code == 0 and "updated" in result.out
    assert len(writes(requests_log)) == 1
    assert msgsvc("apply", str(path), "--dry-run").out == f"No changes: the account matches {path}.\n"


def test_apply_json_results(msgsvc, emu, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "New"\nsenders.numbers = ["+15550000001"]\n')
    result = msgsvc("apply", str(path), "--yes", "--json")
    assert result.code == 0, result.err
    created, attached = json.loads(result.out)
    assert created["action"] == "create" and created["status"] == "created" and created["sid"].startswith("MG")
    assert attached == {"action": "attach", "kind": "numbers", "service": "New", "target": "+15550000001",
                        "sid": emu.number("+15550000001")["sid"], "status": "attached", "code": None, "message": None}


def test_a_partial_failure_reports_every_change_and_a_second_apply_completes(msgsvc, emu, tmp_path, monkeypatch, requests_log):
    sids = populate(emu)
    path = tmp_path / "s.toml"
    numbers = [f"+155500000{n:02d}" for n in range(4, 20) if n % 5]  # SMS-capable numbers
    path.write_text('[[services]]\nfriendly_name = "Alerts"\nvalidity_period = 7\n[services.senders]\n'
                    f'numbers = {json.dumps(numbers)}\n[[services]]\nfriendly_name = "Bulk"\n')
    from msgsvc.setup import apply as setup_apply

    run = setup_apply.Applier.run

    def failing(self, diff):  # the emulator starts refusing half of the requests once the plan is made
        emu.server.fail_rate = 0.5
        emu.server._random = random.Random(7)
        try:
            return run(self, diff)
        finally:
            emu.server.fail_rate = 0.0

    monkeypatch.setattr(setup_apply.Applier, "run", failing)
    first = msgsvc("apply", str(path), "--yes", "--json")
    assert first.code == 1
    results = json.loads(first.out)
    assert len(results) == 1 + 1 + 2 + len(numbers)  # create, update, 2 detaches, attaches: one result each
    statuses = {r["status"] for r in results}
    assert "failed" in statuses and statuses <= {"created", "updated", "attached", "detached", "failed", "unknown",
                                                 "not sent"}
    failed = [r for r in results if r["status"] in ("failed", "unknown")]
    # A 429 is refused before processing; a 503 may come after it, so what it did is checked.
    assert all(r["code"] == 20429 or "may or may not have taken effect; " in r["message"] for r in failed)
    monkeypatch.setattr(setup_apply.Applier, "run", run)
    second = msgsvc("apply", str(path), "--yes", "--json")
    assert second.code == 0, second.err
    # The second apply sends exactly what did not succeed the first time, nothing twice.
    done = {(r["action"], r["service"], r["target"]) for r in results if r["status"] not in ("failed", "unknown")}
    redone = [(r["action"], r["service"], r["target"]) for r in json.loads(second.out)]
    assert sorted(redone) == sorted((r["action"], r["service"], r["target"]) for r in failed)
    assert not done & set(redone)
    assert msgsvc("plan", str(path), "--detailed-exitcode").code == 0
    assert pool(emu, sids["alerts"], "PhoneNumbers", "phone_number") == numbers


# --- random desired states: apply, then nothing is left to do ---------------------------------

NAMES = ("Alpha", "Beta", "Gamma")
NUMBERS = [f"+155500000{n:02d}" for n in range(1, 13) if n % 5]  # not the voice-only ones


@st.composite
def setups(draw):
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3))
    owner = {number: draw(st.sampled_from([None, *names])) for number in NUMBERS}
    services = []
    for name in names:
        entry = {"friendly_name": name}
        entry.update(draw(st.fixed_dictionaries({}, optional={
            "validity_period": st.integers(1, 36000), "sticky_sender": st.booleans(),
            "fallback_url": st.sampled_from(["", "https://example.com/f"]),
            "inbound_method": st.sampled_from(["GET", "POST"])})))
        senders = {}
        if draw(st.booleans()):
            senders["numbers"] = [n for n in NUMBERS if owner[n] == name]
        if draw(st.booleans()):
            senders["short-codes"] = draw(st.lists(st.sampled_from(["55501", "55502", "55503"]), unique=True, max_size=1))
        if draw(st.booleans()):
            senders["alpha-senders"] = draw(st.lists(st.sampled_from(["MyCo", "Other"]), max_size=1))
        if senders:
            entry["senders"] = senders
        services.append(entry)
    return {"version": 1, "services": services}


def _unique_short_codes(doc: dict) -> dict:
    seen = set()
    for service in doc["services"]:
        codes = service.get("senders", {}).get("short-codes")
        if codes is not None:
            service["senders"]["short-codes"] = [c for c in codes if c not in seen]
            seen.update(codes)
    return doc


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=setups(), second=setups(), prune=st.booleans())
def test_random_setups_converge_and_no_write_is_sent_twice(msgsvc, monkeypatch, tmp_path, requests_log, first, second, prune):
    emu = start_emulator()
    try:
        use(monkeypatch, emu)
        starts = [create(emu, "Start0"), create(emu, "Start1")]  # a starting account with some pools filled
        for index, number in enumerate(NUMBERS[:4]):
            attach(emu, starts[index % 2], "PhoneNumbers", PhoneNumberSid=emu.number(number)["sid"])
        for doc in (first, second):
            path = tmp_path / "setup.json"
            path.write_text(json.dumps(_unique_short_codes(doc)))
            requests_log.clear()
            flags = ["--prune", "--force", "--allow-empty"] if prune else ["--move-from-unmanaged"]
            result = msgsvc("apply", str(path), "--yes", *flags)
            assert result.code == 0, result.err
            sent = writes(requests_log)
            assert len(sent) == len(set(sent)), "a write was sent twice"
            requests_log.clear()
            plan = msgsvc("plan", str(path), "--detailed-exitcode", *(["--prune", "--allow-empty"] if prune else []))
            assert (plan.code, plan.err) == (0, ""), plan.out
            assert writes(requests_log) == []
    finally:
        stop_emulator(emu)


# --- numbers find -----------------------------------------------------------------------------


def test_numbers_find_says_which_service_holds_each_number(msgsvc, emu):
    sids = populate(emu)
    pn = emu.number("+15550000003")["sid"]
    result = msgsvc("numbers", "find", "+15550000001", pn, "+1 555 000 0009", "+15559999999")
    assert result.code == 3
    assert result.out == (
        f"+15550000001\t{emu.number('+15550000001')['sid']}\t+15550000001\t{sids['alerts']}\tAlerts\n"
        f"{pn}\t{pn}\t+15550000003\t{sids['otp']}\tOTP\n"
        f"+1 555 000 0009\t{emu.number('+15550000009')['sid']}\t+15550000009\t\t\n"
        "+15559999999\t\t+15559999999\t\t\n")
    assert result.err == "msgsvc: +15559999999 is not a number on this account\n"
    result = msgsvc("numbers", "find", "+15550000001", "--json")
    assert json.loads(result.out) == [{"input": "+15550000001", "sid": emu.number("+15550000001")["sid"],
                                       "phone_number": "+15550000001", "service_sid": sids["alerts"],
                                       "service_name": "Alerts"}]
    result = msgsvc("numbers", "find", "5550000001")
    assert (result.code, result.out) == (2, "")
    assert result.err == "msgsvc: '5550000001' is not an E.164 number: they begin with '+' (did you mean +5550000001?)\nhint: nothing was sent\n"
    result = msgsvc("numbers", "find", "+15550000001", pn, "--fields", "service_name,phone_number")
    assert (result.code, result.out) == (0, "Alerts\t+15550000001\nOTP\t+15550000003\n")
    result = msgsvc("numbers", "find", "+15550000001", pn, "--jq", ".[].service_sid")
    assert (result.code, result.out) == (0, f"{sids['alerts']}\n{sids['otp']}\n")
    result = msgsvc("numbers", "find", "+15550000001", "--fields", "nope")
    assert result.code == 2 and "service_name" in result.err


def test_apply_results_take_fields_jq_and_quiet(msgsvc, emu, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = ["+15550000001"]\n')
    result = msgsvc("apply", str(path), "--yes", "-q", "--fields", "action,status,target")
    assert (result.code, result.out, result.err) == (0, "create\tcreated\tAlerts\nattach\tattached\t+15550000001\n", "")
    path.write_text('[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = ["+15550000002"]\n')
    result = msgsvc("apply", str(path), "--yes", "--jq", "[.[] | .status] | join(\",\")")
    assert (result.code, result.out) == (0, "detached,attached\n")
    bad = msgsvc("apply", str(path), "--yes", "--fields", "nope")
    assert bad.code == 2 and "message" in bad.err


# --- as a user --------------------------------------------------------------------------------


def test_the_installed_msgsvc_plans_and_applies(emulator, tmp_path):
    env = {"TWILIO_ACCOUNT_SID": emulator.account_sid, "TWILIO_AUTH_TOKEN": emulator.auth_token,
           "MSGSVC_BASE_URL": emulator.base_url}
    path = tmp_path / "services.toml"
    path.write_text('[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = ["+15550000001"]\n')
    plan = run_installed("plan", str(path), "--detailed-exitcode", env=env)
    assert (plan.returncode, plan.stderr) == (6, "")
    assert plan.stdout == ('+ create service "Alerts"\n+ attach +15550000001 to "Alerts"\n'
                           "Plan: 1 to create, 0 to update, 1 to attach, 0 to detach, 0 to move, 0 to delete.\n")
    applied = run_installed("apply", str(path), env=env)
    assert (applied.returncode, applied.stdout) == (2, "")
    applied = run_installed("apply", str(path), "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    assert applied.stderr.endswith("1 created, 1 attached\n")
    again = run_installed("plan", str(path), "--detailed-exitcode", env=env)
    assert (again.returncode, again.stdout) == (0, f"No changes: the account matches {path}.\n")
    exported = run_installed("export", env=env)
    assert exported.returncode == 0 and '"+15550000001"' in exported.stdout


def test_ctrl_c_during_apply_leaves_the_later_phases_not_sent(msgsvc, emu, tmp_path, monkeypatch, requests_log):
    """Ctrl-C in the executor (the attaches here): what it finished is reported, the rest of
    the plan is `not sent`, exit 130; the same apply again finishes the job."""
    sids = populate(emu)
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "Alerts"\nvalidity_period = 9\n'
                    'senders.numbers = ["+15550000004", "+15550000006"]\n[[services]]\nfriendly_name = "Zed"\n')
    from msgsvc.jobs import executor
    from msgsvc.jobs.changes import ATTACH, NOT_SENT, Outcome

    run = executor.Executor.run

    def interrupted_at_attach(self, changes):
        if changes and changes[0].action == ATTACH:  # as if Ctrl-C came before any attach was sent
            self.interrupted = True
            return [Outcome(c.shown, c.target, NOT_SENT) for c in changes]
        return run(self, changes)

    monkeypatch.setattr(executor.Executor, "run", interrupted_at_attach)
    result = msgsvc("apply", str(path), "--yes", "--prune", "--json")
    assert result.code == 130
    assert [(r["action"], r["target"], r["status"]) for r in json.loads(result.out)] == [
        ("create", "Zed", "created"), ("update", "Alerts", "updated"), ("detach", "+15550000001", "detached"), ("detach", "+15550000002", "detached"),
        ("attach", "+15550000004", "not sent"), ("attach", "+15550000006", "not sent"), ("delete", "OTP", "not sent")]
    assert result.err.endswith(
        "msgsvc: interrupted: the changes marked 'not sent' were left as they were\n"
        "hint: run the same apply again to finish: it plans against what the account has become\n")
    assert [m for m, _, _ in writes(requests_log)].count("DELETE") == 2  # the detaches; OTP is still there
    monkeypatch.setattr(executor.Executor, "run", run)
    again = msgsvc("apply", str(path), "--yes", "--prune", "--json")
    assert again.code == 0, again.err
    assert [(r["action"], r["target"], r["status"]) for r in json.loads(again.out)] == [
        ("attach", "+15550000004", "attached"), ("attach", "+15550000006", "attached"), ("delete", "OTP", "deleted")]
    assert pool(emu, sids["alerts"], "PhoneNumbers", "phone_number") == ["+15550000004", "+15550000006"]


def test_tables_on_an_80_column_terminal_keep_sids_whole(msgsvc, emu, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "Alerts with a rather long name"\n'
                    'senders.numbers = ["+15550000001"]\n')
    result = msgsvc("apply", str(path), "--yes", tty=True, width=80)
    assert result.code == 0, result.err
    assert result.out == (
        "ACTION  SERVICE                 TARGET                   STATUS    CODE  MESSAGE\n"
        "create  Alerts with a rather\u2026   Alerts with a rather l\u2026  created\n"
        "attach  Alerts with a rather\u2026   +15550000001             attached\n")
    assert result.err.endswith("to delete.\n1 created, 1 attached\n")  # the SID hidden: no note
    (service,) = emu.call("GET", "/v1/Services").json()["services"]
    result = msgsvc("numbers", "find", "+15550000001", "+15550000002", tty=True, width=80)
    assert result.out == (
        "NUMBER        SERVICE SID                         SERVICE NAME\n"
        f"+15550000001  {service['sid']}  Alerts with a rather long name\n"
        "+15550000002\n")


def test_sigterm_during_apply_finishes_what_is_in_flight_then_dies_by_sigterm(emu, tmp_path, requests_log):
    """A cancelled CI job: the installed msgsvc gets SIGTERM while attaching; the request in
    flight finishes, the rest are `not sent`, msgsvc dies by SIGTERM; the same apply again finishes."""
    import os
    import signal
    import subprocess
    import time

    from conftest import MSGSVC

    sids = populate(emu)
    numbers = ["+15550000004", "+15550000006", "+15550000007", "+15550000008", "+15550000009", "+15550000011"]
    path = tmp_path / "s.toml"
    path.write_text(f'[[services]]\nfriendly_name = "OTP"\nsenders.numbers = {json.dumps(numbers)}\n')
    env = {**os.environ, "TWILIO_ACCOUNT_SID": emu.account_sid, "TWILIO_AUTH_TOKEN": emu.auth_token,
           "MSGSVC_BASE_URL": emu.base_url}
    requests_log.clear()
    emu.server.latency_ms = 300
    proc = subprocess.Popen([MSGSVC, "apply", str(path), "--yes", "--json", "--concurrency", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 30
    while not any(m == "POST" for m, _, _ in requests_log) and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    emu.server.latency_ms = 0
    assert proc.returncode == -signal.SIGTERM, err
    results = json.loads(out)
    statuses = [r["status"] for r in results]
    assert [r["action"] for r in results] == ["detach"] + ["attach"] * len(numbers)
    assert statuses[0] == "detached" and "attached" in statuses and "not sent" in statuses
    attached = [r["target"] for r in results if r["status"] == "attached"]
    assert statuses[1:] == ["attached"] * len(attached) + ["not sent"] * (len(numbers) - len(attached))
    assert pool(emu, sids["otp"], "PhoneNumbers", "phone_number") == attached
    assert err.endswith("msgsvc: terminated: the changes marked 'not sent' were left as they were\n"
                        "hint: run the same apply again to finish: it plans against what the account has become\n")
    again = run_installed("apply", str(path), "--yes", env=env)
    assert again.returncode == 0, again.stderr
    assert pool(emu, sids["otp"], "PhoneNumbers", "phone_number") == numbers


def test_a_plan_on_a_colour_terminal_is_coloured_by_change(emu, tmp_path, monkeypatch):
    from msgsvc.cli import app as cli
    from msgsvc.cli.terminal import Terminal

    monkeypatch.delenv("NO_COLOR")
    create(emu, "Old")
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "New"\nsenders.numbers = ["+15550000001"]\n')
    term = Terminal.fake(tty=True, width=40, color=True)
    assert cli.run(["plan", str(path), "--prune"], term=term) == 0
    assert term.out == (
        '\x1b[32m+ create service "New"\x1b[0m\n'
        '\x1b[32m+ attach +15550000001 to "New"\x1b[0m\n'
        '\x1b[31m- delete service "Old" (--prune)\x1b[0m\n'
        "Plan: 1 to create, 0 to update,\n"  # folded between its items to the terminal's 40 columns
        "      1 to attach, 0 to detach,\n"
        "      0 to move, 1 to delete.\n")


def test_a_401_stops_apply_across_its_phases_and_says_why(msgsvc, emu, monkeypatch, requests_log, tmp_path):
    """Credentials revoked while apply runs: the change that met the 401 fails, everything after
    it, in this phase and the later ones, is `not sent`, every result is shown, then exit 4."""
    from msgsvc.emulator import routing as api

    handle = api.handle
    refused = []

    def revoke_after_first_write(store, request):
        if request.method != "GET" and any(entry[0] != "GET" for entry in requests_log):
            refused.append((request.method, request.path))
            return api.Response(401, {"code": 20003, "message": "Authenticate", "status": 401,
                                      "more_info": "https://www.twilio.com/docs/errors/20003"}, None, {})
        return handle(store, request)

    monkeypatch.setattr(api, "handle", revoke_after_first_write)
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "C"\n\n[[services]]\nfriendly_name = "D"\n'
                    'senders.numbers = ["+15550000001", "+15550000002"]\n')
    result = msgsvc("apply", str(path), "--yes", "-q", "--concurrency", "1")
    assert result.code == 4, result.err
    statuses = [line.split("\t")[4] for line in result.out.splitlines()]
    assert statuses == ["created", "failed", "not sent", "not sent"]
    assert len(refused) == 1  # nothing was sent after the 401
    assert result.err.startswith("msgsvc: HTTP 401 (Twilio error 20003): Authenticate")


def test_apply_tells_the_completion_cache_what_it_made_of_the_services(msgsvc, emu, tmp_path):
    # Tab offers the services from the cache: after apply, the new name, not the old one.
    from msgsvc.local import cache

    old, kept = create(emu, "Old"), create(emu, "Kept")
    scope = f"account-{emu.account_sid}"
    assert msgsvc("services", "list").code == 0
    assert cache.load(scope) == {old: "Old", kept: "Kept"}
    path = tmp_path / "services.toml"
    path.write_text(f'[[services]]\nfriendly_name = "Renamed"\nsid = "{kept}"\n[[services]]\nfriendly_name = "New"\n')
    result = msgsvc("apply", str(path), "--prune", "--yes", "--json")
    assert result.code == 0, result.err
    made = {r["service"]: r["sid"] for r in json.loads(result.out) if r["status"] == "created"}
    assert cache.load(scope) == {kept: "Renamed", made["New"]: "New"}


def test_apply_tells_detachs_completion_what_it_moved(msgsvc, emu, tmp_path):
    from msgsvc.local import cache

    alerts, otp = create(emu, "Alerts"), create(emu, "OTP")
    pn = emu.number("+15550000001")["sid"]
    attach(emu, alerts, "PhoneNumbers", PhoneNumberSid=pn)
    scope = f"account-{emu.account_sid}"
    assert msgsvc("numbers", "list", alerts).code == 0
    assert cache.load_table(scope, cache.senders_table("numbers", alerts)) == {pn: "+15550000001"}
    path = tmp_path / "services.toml"
    path.write_text('[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = []\n'
                    '[[services]]\nfriendly_name = "OTP"\nsenders.numbers = ["+15550000001"]\n')
    result = msgsvc("apply", str(path), "--yes")
    assert result.code == 0, result.err
    assert cache.load_table(scope, cache.senders_table("numbers", alerts)) == {}
    assert cache.load_table(scope, cache.senders_table("numbers", otp)) == {pn: "+15550000001"}
