"""apply that cannot destroy what it manages (issue 20): against the emulator behind the tests'
own fault proxy (tests/faults.py), which answers a given method and path with a status, a reset
or a delay, before or after forwarding (then the emulator has processed the request)."""

from __future__ import annotations

import json

import pytest

from factories import attach, create_service as create
from faults import FaultProxy, clock  # noqa: F401 (fixture)

MG = r"/v1/Services/MG[0-9a-f]{32}"


@pytest.fixture
def proxy(emulator, monkeypatch):
    """The emulator behind a fault proxy; msgsvc talks to the proxy."""
    front = FaultProxy(emulator.base_url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", front.url)
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "0")
    yield front
    front.stop()


@pytest.fixture
def emu(emulator, proxy):
    return emulator


def names(emu) -> list[str]:
    return sorted(s["friendly_name"] for s in emu.call("GET", "/v1/Services").json()["services"])


def numbers_of(emu, service: str) -> list[str]:
    return sorted(r["phone_number"] for r in emu.call("GET", f"/v1/Services/{service}/PhoneNumbers").json()["phone_numbers"])


def write(tmp_path, text: str, name: str = "s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# --- prune that needs evidence ----------------------------------------------------------------

REFUSED_EMPTY = ("msgsvc: refusing to prune from {name}: it lists no services, so every service of the account "
                 "would be deleted\nhint: nothing was sent; if that is really what you want, add --allow-empty\n")


@pytest.mark.parametrize("text", ["", "{}", "version = 1\n", "services = []\n"])
def test_prune_from_a_document_without_services_is_refused(msgsvc, emu, proxy, tmp_path, text):
    for name in ("Alerts", "OTP", "Legacy"):
        create(emu, name)
    path = write(tmp_path, text, "s.json" if text == "{}" else "s.toml")
    for args in (("plan", path, "--prune"), ("apply", path, "--prune", "--yes")):
        result = msgsvc(*args)
        assert (result.code, result.out, result.err) == (2, "", REFUSED_EMPTY.format(name=path))
    assert proxy.seen == []  # refused before any request
    result = msgsvc("apply", "-", "--prune", "--yes", stdin="")
    assert (result.code, result.err) == (2, REFUSED_EMPTY.format(name="standard input"))
    assert names(emu) == ["Alerts", "Legacy", "OTP"]
    result = msgsvc("apply", path, "--prune", "--allow-empty", "--yes")
    assert result.code == 0, result.err
    assert result.err.endswith("3 deleted\n") and names(emu) == []


def test_a_rename_whose_create_fails_keeps_the_old_service(msgsvc, emu, proxy, tmp_path):
    old = create(emu, "Alerts")
    attach(emu, old, "PhoneNumbers", PhoneNumberSid=emu.number("+15550000001")["sid"])
    path = write(tmp_path, '[[services]]\nfriendly_name = "Alerts 2"\nsenders.numbers = ["+15550000001"]\n')
    proxy.add("POST", "/v1/Services", status=400, code=21610, after=False)
    result = msgsvc("apply", path, "--prune", "--yes")
    assert result.code == 1
    pn = emu.number("+15550000001")["sid"]
    assert result.out == (
        "create\tAlerts 2\tAlerts 2\t\tfailed\t21610\tunsubscribed recipient (21610): fault proxy: HTTP 400\n"
        f'move\tAlerts 2\t+15550000001\t{pn}\tnot sent\t\tservice "Alerts 2" was not created\n'
        f'delete\tAlerts\tAlerts\t{old}\tnot sent\t\tkept: the create of "Alerts 2" was not done\n')
    assert proxy.sent("DELETE") == [] and names(emu) == ["Alerts"]
    assert numbers_of(emu, old) == ["+15550000001"]


def test_a_rename_whose_create_answer_is_lost_adopts_it_and_then_deletes(msgsvc, emu, proxy, tmp_path):
    old = create(emu, "Alerts")
    attach(emu, old, "PhoneNumbers", PhoneNumberSid=emu.number("+15550000001")["sid"])
    path = write(tmp_path, '[[services]]\nfriendly_name = "Alerts 2"\nsenders.numbers = ["+15550000001"]\n')
    proxy.add("POST", "/v1/Services", reset=True)  # processed, then the connection reset
    result = msgsvc("apply", path, "--prune", "--yes")
    assert result.code == 0, result.err
    assert [line.split("\t")[4] for line in result.out.splitlines()] == ["created", "moved", "deleted"]
    assert len(proxy.sent("POST", "/v1/Services")) == 1  # never sent again
    assert names(emu) == ["Alerts 2"]


def test_a_service_registered_while_apply_waits_is_not_deleted(msgsvc, emu, proxy, tmp_path, monkeypatch):
    create(emu, "Keep")
    legacy = create(emu, "Legacy")
    path = write(tmp_path, '[[services]]\nfriendly_name = "Keep"\n')
    from msgsvc.cli import output

    confirm = output.confirm

    def registered_meanwhile(term, question):  # the campaign is registered while the prompt waits
        emu.register_campaign(legacy)
        return confirm(term, question)

    monkeypatch.setattr(output, "confirm", registered_meanwhile)
    result = msgsvc("apply", path, "--prune", stdin="y\n", stdin_tty=True)
    assert result.code == 1
    assert result.out == (f"delete\tLegacy\tLegacy\t{legacy}\tnot sent\t\tkept: it is registered for US A2P 10DLC "
                          "now; deleting it deletes its campaign (add --force)\n")
    assert proxy.sent("DELETE") == [] and names(emu) == ["Keep", "Legacy"]



@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_on_the_re_read_before_a_delete_stop_apply_and_delete_nothing(msgsvc, emu, proxy, tmp_path,
                                                                                           status):
    """The A2P registration read right before a delete answered 401/403 (the first read
    only): the run stops as any 401 stops it (exit 4), and no service is deleted, not even
    the one whose read would have been answered."""
    create(emu, "Keep")
    legacy, old = create(emu, "Legacy"), create(emu, "Old")
    path = write(tmp_path, '[[services]]\nfriendly_name = "Keep"\n')
    proxy.add("GET", rf"/v1/Services/({legacy}|{old})", status=status, code=20003, after=False)  # once
    result = msgsvc("apply", path, "--prune", "--yes")
    hint = {401: "the credentials were refused: check them with 'msgsvc profiles test'",
            403: "the credentials are valid but not allowed to do this (account suspended, or a restricted API key)"}
    assert (result.code, result.out) == (4, f"delete\tLegacy\tLegacy\t{legacy}\tnot sent\t\t\n"
                                            f"delete\tOld\tOld\t{old}\tnot sent\t\t\n")
    assert result.err.endswith(f"\n2 not sent\nmsgsvc: HTTP {status} (Twilio error 20003): fault proxy: HTTP {status}\n"
                               f"hint: {hint[status]}\n")
    assert proxy.sent("DELETE") == [] and names(emu) == ["Keep", "Legacy", "Old"]


@pytest.mark.parametrize("status", [401, 403])
def test_services_delete_whose_read_is_refused_is_exit_4_and_deletes_nothing(msgsvc, emu, proxy, status):
    legacy, old = create(emu, "Legacy"), create(emu, "Old")
    proxy.add("GET", rf"/v1/Services/({legacy}|{old})", status=status, code=20003, after=False, skip=1)  # Old's
    result = msgsvc("services", "delete", legacy, old, "--yes")
    assert (result.code, result.out) == (4, "")
    assert result.err.startswith(f"msgsvc: HTTP {status} (Twilio error 20003): fault proxy: HTTP {status}\nhint: ")
    assert proxy.sent("DELETE") == [] and names(emu) == ["Legacy", "Old"]

# --- identity before rules --------------------------------------------------------------------


def two_ways(emu):
    """Alerts holds +15550000001, its short code 55502 and a WhatsApp sender; OTP is empty."""
    alerts, otp = create(emu, "Alerts"), create(emu, "OTP")
    pn = attach(emu, alerts, "PhoneNumbers", PhoneNumberSid=emu.number("+15550000001")["sid"])
    sc = attach(emu, alerts, "ShortCodes", ShortCodeSid=emu.sids("short_codes")[1])
    xe = attach(emu, alerts, "ChannelSenders", Sid=emu.sids("channel_senders")[0])
    return alerts, otp, pn, sc, xe


@pytest.mark.parametrize("noun", ["numbers", "short-codes", "channel-senders"])
def test_one_sender_spelled_two_ways_in_two_services_is_an_error(msgsvc, emu, proxy, tmp_path, noun):
    alerts, otp, pn, sc, xe = two_ways(emu)
    value, sid = {"numbers": ("+15550000001", pn), "short-codes": ("55502", sc),
                  "channel-senders": ("whatsapp:+15550000001", xe)}[noun]
    what = {"numbers": "phone number", "short-codes": "short code", "channel-senders": "channel sender"}[noun]
    path = write(tmp_path, f'[[services]]\nfriendly_name = "Alerts"\nsenders.{noun} = ["{value}"]\n'
                           f'[[services]]\nfriendly_name = "OTP"\nsenders.{noun} = ["{sid.upper()[:2] + sid[2:].upper()}"]\n')
    for command in ("plan", "apply"):
        result = msgsvc(command, path, *(["--yes"] if command == "apply" else []))
        assert (result.code, result.out) == (2, "")
        assert result.err == (f'msgsvc: {path}:6: {noun}: {sid} and {value} are one {what} ({sid}), listed in '
                              f'"Alerts" (line 3) and in "OTP"; a sender belongs to one service\n'
                              "hint: nothing was sent; fix the file and run again\n")
    assert proxy.sent("POST") == [] and proxy.sent("DELETE") == []


def test_one_sender_spelled_two_ways_in_one_service_is_an_error(msgsvc, emu, proxy, tmp_path):
    alerts, otp, pn, sc, xe = two_ways(emu)
    path = write(tmp_path, f'[[services]]\nfriendly_name = "OTP"\nsenders.numbers = ["+15550000001", "{pn}"]\n'
                           '[[services]]\nfriendly_name = "Alerts"\n')
    result = msgsvc("plan", path)
    assert (result.code, result.err) == (2, f"msgsvc: {path}:3: numbers: {pn} and +15550000001 are one phone number "
                                            f"({pn}), listed twice in this service\n"
                                            "hint: nothing was sent; fix the file and run again\n")


def test_a_mistyped_channel_sender_sid_does_not_cost_the_real_one(msgsvc, emu, proxy, tmp_path):
    alerts, otp, pn, sc, xe = two_ways(emu)
    typo = "XE" + "0" * 32
    path = write(tmp_path, f'[[services]]\nfriendly_name = "Alerts"\nsenders.channel-senders = ["{typo}"]\n')
    result = msgsvc("apply", path, "--yes")
    # No listing shows it, and the real one would be detached for it: a plan error, nothing sent.
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"msgsvc: {path}:3: channel-senders: {typo} is not a channel sender the account lists "
                          "(Messaging v2 lists WhatsApp and RCS senders; one in no service is listed nowhere), and the "
                          'plan would detach whatsapp:+15550000001 from "Alerts" for it: if it is this account\'s, '
                          f"attach it first (msgsvc channel-senders attach SERVICE {typo})\n"
                          "hint: nothing was sent; fix the file and run again\n")
    assert proxy.sent("DELETE") == [] and proxy.sent("POST") == []
    senders = emu.call("GET", f"/v1/Services/{alerts}/ChannelSenders").json()["senders"]
    assert [s["sid"] for s in senders] == [xe]


def test_a_messenger_sender_a_half_done_move_left_in_no_service_is_attached_by_its_sid(msgsvc, emu, proxy, tmp_path):
    # Messaging v2 lists WhatsApp and RCS senders only: a Messenger sender in no service is
    # listed nowhere. A move whose attach and put-back both failed leaves it so, and the next
    # apply of the same file must still put it where the file says (hypothesis found this).
    alerts, otp = create(emu, "Alerts"), create(emu, "OTP")
    messenger = next(sid for sid, r in emu.store.data["channel_senders"].items() if r["sender"].startswith("messenger:"))
    attach(emu, alerts, "ChannelSenders", Sid=messenger)
    path = write(tmp_path, f'[[services]]\nfriendly_name = "OTP"\nsenders.channel-senders = ["{messenger}"]\n')
    proxy.add("POST", rf"{MG}/ChannelSenders", status=400, code=21610, after=False, times=2)
    first = msgsvc("apply", path, "--yes", "--move-from-unmanaged")
    assert first.code == 1 and "half done" in first.out
    assert emu.store.data["channel_senders"][messenger]["service_sid"] is None
    second = msgsvc("apply", path, "--yes", "--move-from-unmanaged")
    assert second.code == 0, second.err
    assert second.out == f"attach\tOTP\t{messenger}\t{messenger}\tattached\t\t\n"
    assert emu.store.data["channel_senders"][messenger]["service_sid"] == otp
    assert msgsvc("plan", path, "--move-from-unmanaged").out == f"No changes: the account matches {path}.\n"


def test_a_channel_sender_sid_no_listing_shows_is_tried_and_costs_nothing(msgsvc, emu, proxy, tmp_path):
    # It may be a Messenger sender in no service, or a typo: the plan says so, and the attach
    # tells; the service gives nothing up for it.
    alerts, otp, pn, sc, xe = two_ways(emu)
    stranger = "XE" + "0" * 32
    path = write(tmp_path, f'[[services]]\nfriendly_name = "OTP"\nsenders.channel-senders = ["{stranger}"]\n')
    planned = msgsvc("plan", path)
    assert planned.code == 0
    assert planned.err == (f"msgsvc: warning: {path}:3: channel-senders: {stranger} is a channel sender no listing of "
                           "the account shows (Messaging v2 lists WhatsApp and RCS senders; one in no service is "
                           "listed nowhere): the attach will tell whether it is this account's\n")
    assert planned.out == f"+ attach {stranger} to \"OTP\"\nPlan: 0 to create, 0 to update, 1 to attach, 0 to detach, " \
                          "0 to move, 0 to delete.\n"
    result = msgsvc("apply", path, "--yes")
    assert result.code == 1
    assert result.out.startswith(f"attach\tOTP\t{stranger}\t{stranger}\tfailed\t")
    assert [s["sid"] for s in emu.call("GET", f"/v1/Services/{alerts}/ChannelSenders").json()["senders"]] == [xe]


def test_numbers_detach_takes_an_upper_case_sid(msgsvc, emu, proxy):
    alerts, otp, pn, sc, xe = two_ways(emu)
    result = msgsvc("numbers", "detach", alerts, "PN" + pn[2:].upper(), "--yes")
    assert result.code == 0, result.err
    assert result.out.split("\t")[:3] == ["PN" + pn[2:].upper(), pn, "detached"]
    assert numbers_of(emu, alerts) == []


# --- moves that end somewhere -----------------------------------------------------------------

MOVE_FILE = ('[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = []\n'
             '[[services]]\nfriendly_name = "OTP"\nsenders.numbers = ["+15550000001"]\n')


def test_a_move_whose_attach_fails_puts_the_number_back(msgsvc, emu, proxy, tmp_path):
    alerts, otp, pn, sc, xe = two_ways(emu)
    proxy.add("POST", f"/v1/Services/{otp}/PhoneNumbers", status=412, code=21714, after=False)
    result = msgsvc("apply", write(tmp_path, MOVE_FILE), "--yes")
    assert result.code == 1
    assert result.out == (f"move\tOTP\t+15550000001\t{pn}\tfailed\t21714\tattach to \"OTP\" failed: the service's pool is full (21714): fault proxy: "
                          f'HTTP 412; put back in "Alerts"\n')
    assert numbers_of(emu, alerts) == ["+15550000001"] and numbers_of(emu, otp) == []


def test_a_move_that_cannot_be_put_back_says_where_the_number_is(msgsvc, emu, proxy, tmp_path):
    alerts, otp, pn, sc, xe = two_ways(emu)
    proxy.add("POST", f"/v1/Services/{otp}/PhoneNumbers", status=412, code=21714, after=False)
    proxy.add("POST", f"/v1/Services/{alerts}/PhoneNumbers", status=400, code=20001, after=False)
    result = msgsvc("apply", write(tmp_path, MOVE_FILE), "--yes")
    assert result.code == 1
    assert result.out == (f"move\tOTP\t+15550000001\t{pn}\thalf done\t21714\tdetached from \"Alerts\"; attach to "
                          '"OTP" failed (21714); the phone number is in no service\n')
    assert result.err.endswith("\n1 half done\n")
    assert numbers_of(emu, alerts) == [] and numbers_of(emu, otp) == []


def test_a_detach_processed_but_answered_502_is_checked_and_the_move_goes_on(msgsvc, emu, proxy, tmp_path):
    alerts, otp, pn, sc, xe = two_ways(emu)
    proxy.add("DELETE", f"/v1/Services/{alerts}/PhoneNumbers/{pn}", status=502)  # after forwarding
    result = msgsvc("apply", write(tmp_path, MOVE_FILE), "--yes")
    assert result.code == 0, result.err
    assert result.out == f"move\tOTP\t+15550000001\t{pn}\tmoved\t\t\n"
    assert len(proxy.sent("DELETE")) == 1 and numbers_of(emu, otp) == ["+15550000001"]


def test_moving_out_of_an_a2p_registered_service_warns_of_re_registration(msgsvc, emu, proxy, tmp_path):
    alerts, otp, pn, sc, xe = two_ways(emu)
    emu.register_campaign(alerts)
    path = write(tmp_path, MOVE_FILE)
    result = msgsvc("plan", path)
    assert result.code == 0
    assert result.err == (f"msgsvc: warning: {path}:6: moving +15550000001 out of \"Alerts\", which is registered for "
                          "US A2P 10DLC, starts a carrier re-registration of the number (messages may fail until it "
                          "completes), and its sticky-sender mappings are lost\n")


# --- no duplicate creates ---------------------------------------------------------------------


def test_a_create_answered_503_after_it_was_processed_is_adopted_not_resent(msgsvc, emu, proxy, tmp_path):
    path = write(tmp_path, '[[services]]\nfriendly_name = "Brand New"\nsenders.numbers = ["+15550000001"]\n')
    proxy.add("POST", "/v1/Services", status=503)  # after forwarding: the emulator created it
    result = msgsvc("apply", path, "--yes", "--json")
    assert result.code == 0, result.err
    created, attached = json.loads(result.out)
    [sid] = [s["sid"] for s in emu.call("GET", "/v1/Services").json()["services"]]
    assert (created["status"], created["sid"]) == ("created", sid)
    assert created["message"] == "the answer was lost; checked: it was made"
    assert attached["status"] == "attached" and numbers_of(emu, sid) == ["+15550000001"]
    assert proxy.sent("POST", "/v1/Services") == ["/v1/Services"]  # sent once
    assert msgsvc("plan", path, "--detailed-exitcode").code == 0


def test_a_create_whose_check_cannot_decide_is_unknown_and_not_resent(msgsvc, emu, proxy, tmp_path):
    path = write(tmp_path, '[[services]]\nfriendly_name = "Brand New"\n')
    proxy.add("POST", "/v1/Services", reset=True)
    proxy.add("GET", "/v1/Services", status=500, after=False, skip=1)  # the plan reads; the check fails
    result = msgsvc("apply", path, "--yes")
    assert result.code == 1
    [line] = result.out.splitlines()
    action, service, target, sid, status, code, message = line.split("\t")
    assert (action, service, sid, status, code) == ("create", "Brand New", "", "unknown", "")
    assert message.endswith("may or may not have taken effect; checking failed too: fault proxy: HTTP 500")
    assert result.err.endswith("\n1 unknown\n")
    assert proxy.sent("POST") == ["/v1/Services"] and names(emu) == ["Brand New"]



@pytest.mark.parametrize("status", [401, 403])
def test_a_create_whose_check_is_refused_is_unknown_and_stops_the_run(msgsvc, emu, proxy, tmp_path, status):
    """A lost create whose check answered 401/403 may have been made: unknown, never 'failed'
    (which says sending it again is safe); the run stops there, as every 401 stops it."""
    path = write(tmp_path, '[[services]]\nfriendly_name = "Brand New"\n\n[[services]]\nfriendly_name = "Other"\n')
    proxy.add("POST", "/v1/Services", reset=True)
    proxy.add("GET", "/v1/Services", status=status, code=20003, after=False, skip=1)  # the plan reads; the check is refused
    result = msgsvc("apply", path, "--yes", "--concurrency", "1")
    port = proxy.url.rsplit(":", 1)[1]
    assert result.code == 4
    assert result.out == (
        f"create\tBrand New\tBrand New\t\tunknown\t\tthe connection to 127.0.0.1:{port} was lost after the request "
        f"was sent: POST {proxy.url}/v1/Services may or may not have taken effect; checking failed too: "
        f"HTTP {status} (Twilio error 20003): fault proxy: HTTP {status}; look before running again\n"
        "create\tOther\tOther\t\tnot sent\t\t\n")
    assert "\n1 unknown, 1 not sent\nmsgsvc: HTTP " in result.err
    assert proxy.sent("POST") == ["/v1/Services"] and names(emu) == ["Brand New"]


@pytest.mark.parametrize("status", [401, 403])
def test_services_create_whose_check_is_refused_says_it_may_have_been_made(msgsvc, emu, proxy, status):
    proxy.add("POST", "/v1/Services", reset=True)
    proxy.add("GET", "/v1/Services", status=status, code=20003, after=False, skip=1)  # the name check reads first
    result = msgsvc("services", "create", "--friendly-name", "Brand New")
    port = proxy.url.rsplit(":", 1)[1]
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        f"msgsvc: the connection to 127.0.0.1:{port} was lost after the request was sent: POST {proxy.url}/v1/Services "
        f"may or may not have taken effect; checking failed too: HTTP {status} (Twilio error 20003): fault proxy: "
        f"HTTP {status}\n"
        "hint: the service may or may not have been created; check before creating it again: msgsvc services list "
        "--all, and look for the friendly name 'Brand New'\n")
    assert proxy.sent("POST") == ["/v1/Services"] and names(emu) == ["Brand New"]

def test_services_create_answered_503_after_processing_is_adopted(msgsvc, emu, proxy):
    proxy.add("POST", "/v1/Services", status=503)
    result = msgsvc("services", "create", "--friendly-name", "Brand New", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["friendly_name"] == "Brand New" and names(emu) == ["Brand New"]
    assert proxy.sent("POST") == ["/v1/Services"]


def test_a_campaign_create_whose_answer_was_lost_is_adopted(msgsvc, emu, proxy, tmp_path):
    from test_campaigns_commands import BRAND, CAMPAIGN_TOML

    sid = create(emu, "Alerts")
    campaign = tmp_path / "campaign.toml"
    campaign.write_text(CAMPAIGN_TOML.replace(BRAND, next(iter(emu.store.data["brands"]))))
    proxy.add("POST", f"{MG}/Compliance/Usa2p", reset=True)
    result = msgsvc("campaigns", "create", sid, "--from-file", str(campaign), "--json")
    assert result.code == 0, result.err
    listed = emu.call("GET", f"/v1/Services/{sid}/Compliance/Usa2p").json()["compliance"]
    assert [c["sid"] for c in listed] == [json.loads(result.out)["sid"]]
    assert len(proxy.sent("POST")) == 1


# --- files that say what they mean ------------------------------------------------------------


def test_a_json_duplicate_key_is_an_error_with_its_line(msgsvc, emu, proxy, tmp_path):
    create(emu, "Alerts")
    path = write(tmp_path, '{\n  "services": [{"friendly_name": "Alerts"}],\n  "services": []\n}\n', "s.json")
    result = msgsvc("apply", path, "--prune", "--yes")
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"msgsvc: {path}:3: duplicate key 'services': a JSON object names each key once\n"
                          "hint: nothing was sent; fix the file and run again\n")
    nested = write(tmp_path, '{"services": [{"friendly_name": "A",\n "friendly_name": "B"}]}', "n.json")
    assert msgsvc("plan", nested).err.startswith(
        f"msgsvc: {nested}:2: duplicate key 'friendly_name' in services[0]: a JSON object names each key once\n")
    assert proxy.seen == [] and names(emu) == ["Alerts"]


def test_names_that_only_look_alike_are_a_warning_naming_both(msgsvc, emu, proxy, tmp_path):
    cafe = create(emu, "Cafe\u0301")  # decomposed (NFD)
    alerts = create(emu, "Alerts\u200b")  # a zero-width space
    path = write(tmp_path, '[[services]]\nfriendly_name = "Caf\u00e9"\n[[services]]\nfriendly_name = "Alerts"\n')
    result = msgsvc("plan", path, "--prune")
    assert result.code == 0
    tail = "differ only by Unicode normalisation or invisible characters: they are two names"
    assert result.err == (
        f'msgsvc: warning: {path}:1: "Caf\\u00e9" and "Cafe\\u0301" (the account\'s {cafe}) {tail}\n'
        f'msgsvc: warning: {path}:3: "Alerts" and "Alerts\\u200b" (the account\'s {alerts}) {tail}\n')
    assert result.out.splitlines()[:1] == ['+ create service "Caf\u00e9"']


def test_plan_and_apply_lines_escape_what_the_server_named(msgsvc, emu, proxy, tmp_path):
    evil = create(emu, "Evil\u009b2J\u202e")
    path = write(tmp_path, '[[services]]\nfriendly_name = "Keep"\n')
    result = msgsvc("plan", path, "--prune", tty=True)
    assert "\u009b" not in result.out and "\u202e" not in result.out
    assert '- delete service "Evil\\u009b2J\\u202e" (--prune)' in result.out
    result = msgsvc("apply", path, "--prune", "--yes", stderr_tty=True)
    assert result.code == 0, result.err
    assert "\u009b" not in result.err + result.out and "\u202e" not in result.err + result.out


# --- signals and statuses ---------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_during_a_move_reports_it_half_done_and_the_rest_not_sent(emulator, tmp_path):
    """A closed SSH session: SIGHUP while the move's detach is on its way (held by the proxy):
    the detach finishes, the move is reported half done (where the number is), then msgsvc
    dies by SIGHUP (a shell shows 129)."""
    import os
    import signal
    import subprocess

    from conftest import MSGSVC

    front = FaultProxy(emulator.base_url)
    try:
        alerts, otp, pn, sc, xe = two_ways(emulator)
        front.add("DELETE", f"/v1/Services/{alerts}/PhoneNumbers/{pn}", delay=30)  # until released
        env = {**os.environ, "TWILIO_ACCOUNT_SID": emulator.account_sid, "TWILIO_AUTH_TOKEN": emulator.auth_token,
               "MSGSVC_BASE_URL": front.url, "MSGSVC_MAX_RETRIES": "0"}
        proc = subprocess.Popen([MSGSVC, "apply", write(tmp_path, MOVE_FILE), "--yes"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        import time

        deadline = time.monotonic() + 30
        while front._counts.get(0, 0) == 0 and time.monotonic() < deadline:  # the DELETE reached the proxy
            time.sleep(0.01)
        proc.send_signal(signal.SIGHUP)
        said = proc.stderr.readline()  # the plan's lines, then what SIGHUP made it say
        while said and not said.startswith("msgsvc: stopping:"):
            said = proc.stderr.readline()
        front.release.set()  # only now may the held DELETE go on
        out, err = proc.communicate(timeout=60)
    finally:
        front.stop()
    assert proc.returncode == -signal.SIGHUP, err
    assert said == "msgsvc: stopping: waiting for the 1 request already sent\n"
    assert out == (f"move\tOTP\t+15550000001\t{pn}\thalf done\t\tdetached from \"Alerts\"; the attach to \"OTP\" was "
                   "not sent; the phone number is in no service\n")
    assert "1 half done\n" in err, err


# --- found by the property test (tests/test_apply_property.py) ---------------------------------


@pytest.mark.parametrize("status, code, exit_code", [(429, 20429, 0), (400, 21610, 0), (401, 20003, 4)])
def test_a_delete_done_then_refused_on_its_retry_is_deleted(msgsvc, emu, proxy, tmp_path, monkeypatch, clock,
                                                            status, code, exit_code):
    """The DELETE is done but answered 500; the client retries it (DELETE is idempotent) and the
    retry is refused (a 429 past the retries, a 400, a 401): the service is gone, and so the
    result says, not `failed` (its numbers went back to the account with it). A 401 still
    stops the job (exit 4)."""
    create(emu, "Keep")
    old = create(emu, "Old")
    attach(emu, old, "PhoneNumbers", PhoneNumberSid=emu.number("+15550000001")["sid"])
    path = write(tmp_path, '[[services]]\nfriendly_name = "Keep"\n')
    proxy.add("DELETE", MG, status=status, code=code, after=False, skip=1)  # the retry
    proxy.add("DELETE", MG, status=500, after=True)  # the first attempt: done, answered 500
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "1")
    result = msgsvc("apply", path, "--prune", "--yes")
    assert result.code == exit_code, result.err
    assert result.out == (f"delete\tOld\tOld\t{old}\tdeleted\t\tfault proxy: HTTP {status}; checked: it is gone (an "
                          "earlier attempt was done)\n")
    assert proxy.sent("DELETE") == [f"/v1/Services/{old}"] and names(emu) == ["Keep"]


def test_a_detach_done_then_refused_on_its_retry_whose_check_fails_is_unknown_not_failed(
        msgsvc, emu, proxy, tmp_path, monkeypatch, clock):
    # Hypothesis found it: the first DELETE is done and answered 500, its retry is refused (400),
    # and the look that would tell fails too. 'failed' said the sender stayed where it was; it
    # is in no service. What an attempt may have done and no look could tell is unknown.
    alerts, otp, pn, sc, xe = two_ways(emu)
    path = write(tmp_path, '[[services]]\nfriendly_name = "Alerts"\nsenders.channel-senders = []\n')
    proxy.add("GET", rf"{MG}/ChannelSenders/\w+", status=400, code=21610, after=False)  # the look
    proxy.add("DELETE", rf"{MG}/ChannelSenders/\w+", status=400, code=21610, after=False, skip=1)  # the retry
    proxy.add("DELETE", rf"{MG}/ChannelSenders/\w+", status=500, after=True)  # the first attempt: done
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "1")
    result = msgsvc("apply", path, "--yes")
    assert result.code == 1, result.err
    assert result.out == (f"detach\tAlerts\twhatsapp:+15550000001\t{xe}\tunknown\t\tfault proxy: HTTP 400, after an "
                          "attempt answered HTTP 500 that may have been done; checking failed too: fault proxy: HTTP 400\n")
    assert emu.store.data["channel_senders"][xe]["service_sid"] is None


@pytest.mark.parametrize("how", [{"status": 500}, {"reset": True}])
def test_a_delete_done_then_found_gone_by_its_retry_is_done_not_already_so(msgsvc, emu, proxy, tmp_path, monkeypatch,
                                                                           clock, how):
    """The DELETE is done but its answer is a 500 or lost; the client retries it (DELETE is
    idempotent) and the retry finds it gone (404). apply did it: `deleted` and `detached`,
    not `not found` and `not attached`, which say the account was so already."""
    alerts, otp, pn, sc, xe = two_ways(emu)
    old = create(emu, "Old")
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "1")
    proxy.add("DELETE", f"/v1/Services/{alerts}/PhoneNumbers/{pn}", **how)  # after forwarding: done
    proxy.add("DELETE", MG, **how)
    path = write(tmp_path, '[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = []\n'
                           '[[services]]\nfriendly_name = "OTP"\n')
    result = msgsvc("apply", path, "--prune", "--yes")
    assert result.code == 0, result.err
    why = "HTTP 500" if "status" in how else "a lost answer"
    assert result.out == (f"detach\tAlerts\t+15550000001\t{pn}\tdetached\t\tretried after {why}: it is gone (an "
                          "earlier attempt was done)\n"
                          f"delete\tOld\tOld\t{old}\tdeleted\t\tretried after {why}: it is gone (an earlier attempt "
                          "was done)\n")
    assert result.err.endswith("\n1 detached, 1 deleted\n")
    assert proxy.sent("DELETE") == [f"/v1/Services/{alerts}/PhoneNumbers/{pn}"] * 2 + [f"/v1/Services/{old}"] * 2
    assert names(emu) == ["Alerts", "OTP"] and numbers_of(emu, alerts) == []


def taken_meanwhile(emu, proxy, otp: str, pn: str) -> str:
    """A service Other, which takes the number as its move's attach to OTP arrives: its SID."""
    other = create(emu, "Other")
    fault = proxy._fault

    def taking(method, path):
        if (method, path) == ("POST", f"/v1/Services/{otp}/PhoneNumbers"):
            attach(emu, other, "PhoneNumbers", PhoneNumberSid=pn)
        return fault(method, path)

    proxy._fault = taking
    return other


def test_a_move_whose_sender_was_taken_meanwhile_says_where_it_is_and_takes_nothing_back(msgsvc, emu, proxy,
                                                                                       tmp_path):
    """Between the move's detach and its attach, someone else attaches the number to service
    Other: the attach is refused with 21712 naming Other. The number is in Other, not in no
    service: the move failed, says so, and is not put back (the put-back would be refused
    the same way, or take the number from Other)."""
    alerts, otp, pn, sc, xe = two_ways(emu)
    other = taken_meanwhile(emu, proxy, otp, pn)
    result = msgsvc("apply", write(tmp_path, MOVE_FILE), "--yes")
    assert result.code == 1
    assert result.out == (f'move\tOTP\t+15550000001\t{pn}\tfailed\t21712\tdetached from "Alerts"; attach to "OTP" '
                          f"failed: in service Other (21712): Phone Number {pn} is already associated with "
                          f"another Messaging Service ({other}); a sender can belong to only one; the phone number "
                          'is in that service now, so it was not put back in "Alerts"\n')
    assert result.err.endswith("\n1 failed\n")
    assert proxy.sent("POST") == [f"/v1/Services/{otp}/PhoneNumbers"]  # no put-back
    assert numbers_of(emu, other) == ["+15550000001"] and numbers_of(emu, alerts) == numbers_of(emu, otp) == []


def test_numbers_move_of_a_number_taken_meanwhile_takes_nothing_back(msgsvc, emu, proxy):
    alerts, otp, pn, sc, xe = two_ways(emu)
    other = taken_meanwhile(emu, proxy, otp, pn)
    result = msgsvc("numbers", "move", "+15550000001", "--to", "OTP", "--yes")
    assert result.code == 1
    assert result.out == (f'+15550000001\t{pn}\tfailed\t21712\tdetached from "Alerts"; attach to "OTP" failed: in '
                          f"service Other (21712): Phone Number {pn} is already associated with another Messaging "
                          f"Service ({other}); a sender can belong to only one; the phone number is in that service "
                          'now, so it was not put back in "Alerts"\n')
    assert proxy.sent("POST") == [f"/v1/Services/{otp}/PhoneNumbers"]
    assert numbers_of(emu, other) == ["+15550000001"]


def test_services_delete_found_gone_by_its_retry_is_deleted(msgsvc, emu, proxy, monkeypatch, clock):
    one, two = create(emu, "One"), create(emu, "Two")
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "1")
    proxy.add("DELETE", f"/v1/Services/{one}", status=503)  # after forwarding: done
    result = msgsvc("services", "delete", one, two, "--yes")
    assert result.code == 0, result.err
    assert result.out == (f"{one}\t{one}\tdeleted\t\tretried after HTTP 503: it is gone (an earlier attempt was done)\n"
                          f"{two}\t{two}\tdeleted\t\t\n")
    assert result.err == "2 deleted\n"
    assert names(emu) == []
