"""apply that cannot destroy what it manages (issue 20): against the emulator behind the tests'
own fault proxy (tests/faults.py), which answers a given method and path with a status, a reset
or a delay, before or after forwarding (then the emulator has processed the request)."""

from __future__ import annotations

import json

import pytest

from factories import attach, create_service as create
from faults import FaultProxy

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
        "create\tAlerts 2\tAlerts 2\t\tfailed\t21610\tfault proxy: HTTP 400\n"
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
