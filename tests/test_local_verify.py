"""profiles add checks the credentials with one request before saving anything, and
profiles test checks saved profiles: against the emulator (right and wrong credentials, an
API key) and against local servers for the exact request and the failures."""

from __future__ import annotations

import base64
import json
import re
import tomllib

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, base_url_of, page, run_installed
from corehelp import assert_request, refusing_port, sent
from emulator_helpers import EMU_ACCOUNT, EMU_TOKEN

NOT_SAVED = "; profile 'emu' was not saved\n"
NO_VERIFY_HINT = "hint: check the network and the profile's settings, or save it unchecked with --no-verify\n"


def config_file(isolated):
    return isolated / "config" / "config.toml"


def profiles_saved(isolated) -> dict:
    path = config_file(isolated)
    return tomllib.loads(path.read_text()).get("profiles", {}) if path.exists() else {}


def add(msgsvc, name: str, base_url: str, secret: str, *args: str, account: str = EMU_ACCOUNT):
    return msgsvc("profiles", "add", name, "--account-sid", account, "--base-url", base_url, "--max-retries", "0", *args, stdin=secret + "\n")


def saved_note(isolated, name: str = "emu") -> str:
    return f"Saved profile {name!r} (active) in {config_file(isolated)}; its secret is in that file: no usable system keyring\n"


# --- profiles add, against the emulator --------------------------------------------------------


def test_right_credentials_are_checked_then_saved(msgsvc, isolated, emulator):
    result = add(msgsvc, "emu", emulator.base_url, EMU_TOKEN)
    assert (result.code, result.out) == (0, "")
    assert result.err == (
        f"Checked: account {EMU_ACCOUNT} can use the Messaging API at {emulator.base_url}\n" + saved_note(isolated)
    )
    assert [(r["operation"], r["status"]) for r in emulator.records] == [("ListService", 200)]  # one request
    assert profiles_saved(isolated)["emu"]["auth_token"] == EMU_TOKEN


def test_a_wrong_token_saves_nothing_and_exits_4(msgsvc, isolated, emulator):
    result = add(msgsvc, "emu", emulator.base_url, "wrong-token-0123456789")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: Twilio refused these credentials: HTTP 401 (Twilio error 20003): Authenticate" + NOT_SAVED
        + "hint: check the Account SID, API key and secret, and type the secret again\n"
    )
    assert "wrong-token" not in result.err
    assert [(r["operation"], r["status"]) for r in emulator.records] == [(None, 401)]
    assert profiles_saved(isolated) == {}


def test_a_wrong_token_keeps_the_profile_it_would_replace(msgsvc, isolated, emulator):
    assert add(msgsvc, "emu", emulator.base_url, EMU_TOKEN).code == 0
    before = config_file(isolated).read_bytes()
    assert add(msgsvc, "emu", emulator.base_url, "wrong-token-0123456789", "--force").code == 4
    assert config_file(isolated).read_bytes() == before


def test_an_api_key_is_checked_against_the_messaging_api(msgsvc, isolated, emulator):
    key, secret = emulator.store.api_key
    result = add(msgsvc, "emu", emulator.base_url, secret, "--api-key", key)
    assert result.code == 0, result.err
    assert result.err.startswith(f"Checked: API key {key} can use the Messaging API at {emulator.base_url}\n")
    assert profiles_saved(isolated)["emu"]["api_secret"] == secret


def test_an_unreachable_url_saves_nothing_and_exits_1(msgsvc, isolated):
    with refusing_port() as port:
        result = add(msgsvc, "emu", f"http://127.0.0.1:{port}", EMU_TOKEN)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: cannot check the credentials: cannot connect to 127.0.0.1:{port} (connection refused) "
        "(the URL is from base_url of profile 'emu')" + NOT_SAVED + NO_VERIFY_HINT
    )
    assert profiles_saved(isolated) == {}


def test_no_verify_saves_without_a_request(msgsvc, isolated):
    with refusing_port() as port:
        result = add(msgsvc, "emu", f"http://127.0.0.1:{port}", EMU_TOKEN, "--no-verify")
    assert (result.code, result.out, result.err) == (0, "", saved_note(isolated))
    assert profiles_saved(isolated)["emu"]["auth_token"] == EMU_TOKEN


def test_no_verify_against_the_emulator_sends_nothing(msgsvc, isolated, emulator):
    assert add(msgsvc, "emu", emulator.base_url, "anything-at-all-0123", "--no-verify").code == 0
    assert emulator.records == []


# --- the exact request, and the other answers ---------------------------------------------------


def test_the_check_is_one_get_of_one_service(msgsvc, isolated, httpserver):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", [], page_size=1))
    result = add(msgsvc, "p", base_url_of(httpserver), AUTH_TOKEN, account=ACCOUNT_SID)
    assert result.code == 0, result.err
    (request,) = sent(httpserver)
    assert_request(request, "GET", "/v1/Services", query="PageSize=1")


def test_a_restricted_api_key_is_told_it_cannot_use_the_messaging_api(msgsvc, isolated, httpserver):
    key = "SK" + "5" * 32
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(
        {"code": 20403, "message": "Forbidden", "more_info": "https://www.twilio.com/docs/errors/20403", "status": 403}, status=403)
    result = add(msgsvc, "p", base_url_of(httpserver), "key-secret-0123456789", "--api-key", key, account=ACCOUNT_SID)
    assert (result.code, result.out) == (4, "")
    assert result.err.startswith(
        "msgsvc: Twilio refused these credentials: the API key cannot use the Messaging API "
        "(HTTP 403 (Twilio error 20403): Forbidden); profile 'p' was not saved\n"
    )
    assert sent(httpserver)[0].headers["Authorization"] == "Basic " + base64.b64encode(f"{key}:key-secret-0123456789".encode()).decode()
    assert profiles_saved(isolated) == {}


def test_a_server_error_saves_nothing_and_exits_1(msgsvc, isolated, httpserver):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(
        {"code": 20500, "message": "Internal Server Error", "more_info": "https://www.twilio.com/docs/errors/20500", "status": 500}, status=500)
    result = add(msgsvc, "p", base_url_of(httpserver), AUTH_TOKEN, account=ACCOUNT_SID)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "msgsvc: cannot check the credentials: HTTP 500 (Twilio error 20500): Internal Server Error; profile 'p' was not saved\n"
        + NO_VERIFY_HINT
    )
    assert profiles_saved(isolated) == {}


# --- profiles test ------------------------------------------------------------------------------


@pytest.fixture
def four_profiles(msgsvc, isolated, emulator, keyring_file):
    """good (keyring), wrong (file, refused), gone (keyring entry deleted), down (unreachable)."""
    assert add(msgsvc, "good", emulator.base_url, EMU_TOKEN).code == 0
    assert add(msgsvc, "wrong", emulator.base_url, "wrong-token-0123456789", "--no-verify", "--insecure-storage").code == 0
    assert add(msgsvc, "gone", emulator.base_url, EMU_TOKEN, "--no-verify").code == 0
    with refusing_port() as port:
        assert add(msgsvc, "down", f"http://127.0.0.1:{port}", EMU_TOKEN, "--no-verify").code == 0
        entries = json.loads(keyring_file.read_text())
        from msgsvc.local import keystore

        del entries["msgsvc"][keystore.user("gone", EMU_ACCOUNT)]
        keyring_file.write_text(json.dumps(entries))
        emulator.records.clear()
        yield port


def test_profiles_test_all_one_line_each(msgsvc, four_profiles, emulator):
    port = four_profiles
    result = msgsvc("profiles", "test", "--all")
    assert result.code == 4
    assert result.out == (
        f"good\tok\tkeyring\taccount {EMU_ACCOUNT} can use the Messaging API at {emulator.base_url}\n"
        "wrong\tbad credentials\tfile\tHTTP 401 (Twilio error 20003): Authenticate\n"
        "gone\tsecret missing from keyring\tkeyring\tthe system keyring has no secret for profile 'gone' (was it deleted outside msgsvc?)\n"
        f"down\tunreachable\tkeyring\tcannot connect to 127.0.0.1:{port} (connection refused) (the URL is from base_url of profile 'down')\n"
    )
    assert result.err == (
        "msgsvc: 3 of 4 profiles failed the check: wrong, gone, down\n"
        "hint: msgsvc profiles add NAME --force --account-sid AC... stores new credentials\n"
    )
    assert [(r["operation"], r["status"]) for r in emulator.records] == [("ListService", 200), (None, 401)]


def test_profiles_test_json(msgsvc, four_profiles):
    result = msgsvc("profiles", "test", "good", "down", "--json")
    assert result.code == 1
    assert [(row["profile"], row["status"], row["storage"]) for row in json.loads(result.out)] == [
        ("good", "ok", "keyring"), ("down", "unreachable", "keyring"),
    ]
    assert sorted(json.loads(result.out)[0]) == ["detail", "profile", "status", "storage"]
    assert result.err == "msgsvc: 1 of 2 profiles failed the check: down\n"


def test_profiles_test_takes_fields_and_jq(msgsvc, four_profiles):
    result = msgsvc("profiles", "test", "good", "down", "--fields", "profile,status")
    assert (result.code, result.out) == (1, "good\tok\ndown\tunreachable\n")
    result = msgsvc("profiles", "test", "good", "down", "--jq", ".[] | .profile + \" \" + .status")
    assert (result.code, result.out) == (1, "good ok\ndown unreachable\n")
    result = msgsvc("profiles", "test", "good", "--fields", "nme")
    assert (result.code, result.out) == (2, "")


def test_profiles_test_exits_0_only_when_all_pass(msgsvc, four_profiles, emulator):
    result = msgsvc("profiles", "test", "good")
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith("good\tok\tkeyring\t")
    active = msgsvc("profiles", "test")  # the active profile: the first one added
    assert (active.code, active.out) == (0, result.out)
    table = msgsvc("profiles", "test", "good", tty=True).out.splitlines()
    assert [re.split(r"  +", line.rstrip()) for line in table] == [
        ["PROFILE", "STATUS", "SECRET IN", "DETAIL"],
        ["good", "ok", "keyring", f"account {EMU_ACCOUNT} can use the Messaging API at {emulator.base_url}"],
    ]


def test_profiles_test_environment_credentials(msgsvc, isolated, emulator, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", EMU_ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", EMU_TOKEN)
    monkeypatch.setenv("MSGSVC_BASE_URL", emulator.base_url)
    result = msgsvc("profiles", "test", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == [{
        "profile": None, "status": "ok", "storage": "environment",
        "detail": f"account {EMU_ACCOUNT} can use the Messaging API at {emulator.base_url}",
    }]
    assert msgsvc("profiles", "test").out.startswith("(environment)\tok\tenvironment\t")


def test_profiles_test_with_no_credentials_at_all(msgsvc, isolated):
    result = msgsvc("profiles", "test")
    assert result.code == 4
    assert result.out.startswith("(environment)\tno credentials\t\tno credentials: no profile is set up")


@pytest.mark.parametrize("args,err", [
    (["a", "--all"], "msgsvc: give profile names or --all, not both\n"),
    (["nope"], "msgsvc: there is no profile named 'nope'\nhint: add one with: msgsvc profiles add nope --account-sid AC...\n"),
    (["--all"], "msgsvc: there are no profiles to check\nhint: add one with: msgsvc profiles add NAME --account-sid AC...\n"),
])
def test_profiles_test_usage_errors(msgsvc, isolated, args, err):
    result = msgsvc("profiles", "test", *args)
    unknown_profile = args == ["nope"]  # exit 4, as an unknown profile is everywhere
    assert (result.code, result.out, result.err) == (4 if unknown_profile else 2, "", err)


def test_profiles_test_installed(isolated, emulator):
    added = run_installed("profiles", "add", "emu", "--account-sid", EMU_ACCOUNT, "--base-url", emulator.base_url, input=EMU_TOKEN + "\n")
    assert added.returncode == 0, added.stderr
    tested = run_installed("profiles", "test", "--all")
    assert (tested.returncode, tested.stderr) == (0, "")
    assert tested.stdout == f"emu\tok\tfile\taccount {EMU_ACCOUNT} can use the Messaging API at {emulator.base_url}\n"


def test_a_server_that_echoes_the_checked_secret_never_shows_it(msgsvc, isolated, httpserver):
    """profiles add and profiles test send a profile's secret that the run's own credentials
    are not: a 401 that repeats it is masked in every output all the same."""
    token = "echoed-token-0123456789abcdef"
    httpserver.expect_request("/v1/Services").respond_with_json(
        {"code": 20003, "message": f"Authenticate: creds {ACCOUNT_SID}:{token}", "status": 401}, status=401)
    base = httpserver.url_for("/").rstrip("/")
    added = msgsvc("profiles", "add", "h", "--account-sid", ACCOUNT_SID, "--base-url", base, stdin=token + "\n")
    assert added.code == 4 and token not in added.err and "***" in added.err
    saved = msgsvc("profiles", "add", "h", "--account-sid", ACCOUNT_SID, "--base-url", base, "--no-verify",
                   "--insecure-storage", stdin=token + "\n")
    assert saved.code == 0
    for args in ((), ("--json",)):
        tested = msgsvc("profiles", "test", "h", *args)
        assert tested.code == 4
        assert token not in tested.out + tested.err and "***" in tested.out
