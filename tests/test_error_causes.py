"""Errors that name their cause: TLS not spoken, a refused connection and where its URL came
from, retry notes on a terminal, a /v1 base URL, a config dir that cannot be made, a SERVICE
that is a SID of another kind, service names in messages."""

from __future__ import annotations

import re

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, OTHER_SID, SERVICE_SID, base_url_of, page, run_installed, service
from corehelp import refusing_port
from faults import clock  # noqa: F401 (fixture)
from test_senders import PN, expect_listing, number

from msgsvc.local import config


def test_a_plain_http_server_behind_https_did_not_speak_tls(msgsvc, profile, httpserver):
    result = msgsvc("services", "list", "--base-url", f"https://localhost:{httpserver.port}")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: the server at localhost:{httpserver.port} did not speak TLS (the URL is from --base-url)\n"
        f"hint: is it a plain-HTTP server? then the base URL should start with http://localhost:{httpserver.port}\n"
    )
    assert httpserver.log == []  # nothing it could understand reached it


def test_debug_shows_the_tls_librarys_reason(msgsvc, profile, httpserver):
    result = msgsvc("--debug", "services", "list", "--base-url", f"https://localhost:{httpserver.port}")
    assert result.code == 1
    assert re.search(r"debug: TLS error talking to localhost:\d+: \[SSL: WRONG_VERSION_NUMBER\]", result.err)


@pytest.mark.parametrize("where, origin", [
    ("flag", "--base-url"), ("env", "$MSGSVC_BASE_URL"), ("profile", "base_url of profile 'emu'"),
])
def test_a_refused_connection_names_where_the_url_came_from(msgsvc, isolated, monkeypatch, where, origin):
    with refusing_port() as port:
        url = f"http://127.0.0.1:{port}"
        profile = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "max_retries": 0}
        if where == "profile":
            profile["base_url"] = url
        config.write_config({"active": "emu", "profiles": {"emu": profile}})
        if where == "env":
            monkeypatch.setenv("MSGSVC_BASE_URL", url)
        result = msgsvc("services", "list", *(["--base-url", url] if where == "flag" else []))
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"msgsvc: cannot connect to 127.0.0.1:{port} (connection refused) (the URL is from {origin})\n"
                          f"hint: is the emulator running on 127.0.0.1:{port}? start it with: msgsvc emulator --port {port}\n")


def test_retries_are_said_on_a_terminal_only(msgsvc, isolated, clock):  # noqa: F811
    with refusing_port() as port:
        config.write_config({"active": "emu", "profiles": {"emu": {
            "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "base_url": f"http://127.0.0.1:{port}", "max_retries": 2}}})
        seen = msgsvc("services", "list", stderr_tty=True)
        piped = msgsvc("services", "list")
    lines = seen.err.splitlines()  # loopback: retried once, whatever max_retries says
    assert re.fullmatch(r"retrying in (0\.\d|1) s \(connection refused\)", lines[0]), seen.err
    assert lines[1].startswith(f"msgsvc: cannot connect to 127.0.0.1:{port}")
    assert not piped.err.startswith("retrying")


def test_a_base_url_ending_in_v1_hints_to_drop_it(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/v1/Services").respond_with_json(
        {"code": 20404, "message": "The requested resource /v1/Services was not found", "status": 404}, status=404)
    result = msgsvc("services", "list", "--base-url", base_url_of(httpserver) + "/v1")
    assert result.code == 3
    assert result.err.endswith(f"hint: the base URL {base_url_of(httpserver)}/v1 ends in /v1, and msgsvc adds /v1 "
                               "itself: drop it from --base-url\n")


def test_a_base_url_ending_in_v1_hints_to_drop_it_against_the_emulator(msgsvc, emulator, monkeypatch):
    """The newcomer's mistake, met where a newcomer meets it: the emulator answers /v1/v1/...
    with Twilio's 404, so the hint fires there too (it used to answer 501)."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    result = msgsvc("services", "list", "--base-url", emulator.base_url + "/v1")
    assert (result.code, result.out) == (3, "")
    assert result.err == ("msgsvc: HTTP 404 (Twilio error 20404): The requested resource /v1/Services was not found "
                          "(see https://www.twilio.com/docs/errors/20404)\n"
                          f"hint: the base URL {emulator.base_url}/v1 ends in /v1, and msgsvc adds /v1 itself: "
                          "drop it from --base-url\n")


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self"), reason="needs /proc, where no directory can be made")
def test_a_config_dir_that_cannot_be_created_is_one_line(msgsvc, isolated, monkeypatch):
    # /proc refuses new directories even to root (a permission test would not fail as root).
    monkeypatch.setenv("MSGSVC_CONFIG_DIR", "/proc/self/msgsvc/config")
    result = msgsvc("profiles", "add", "p", "--account-sid", ACCOUNT_SID, "--no-verify", stdin="token-123456\n")
    assert (result.code, result.out) == (1, "")  # the machine refused: not a usage error
    assert result.err == ("msgsvc: cannot create the directory /proc/self/msgsvc/config: No such file or directory; "
                          "nothing was changed\n"
                          "hint: free some disk space, or point MSGSVC_CONFIG_DIR to a writable directory\n")


def test_a_file_in_the_way_of_the_config_dir(tmp_path):
    from msgsvc.errors import ConfigError

    (tmp_path / "afile").write_text("")
    with pytest.raises(ConfigError, match="cannot create the config directory .*/afile/config: a file is in the way"):
        config.ensure_private_dir(tmp_path / "afile" / "config")


@pytest.mark.parametrize("value, message", [
    ("PN" + "0" * 32, f"'PN{'0' * 32}' is a phone number SID, not a Messaging Service SID (MG...)"),
    ("pn" + "0" * 32, f"'pn{'0' * 32}' is a phone number SID, not a Messaging Service SID (MG...)"),  # any case: one rule
    ("AC" + "a" * 32, f"'AC{'a' * 32}' is an Account SID, not a Messaging Service SID (MG...)"),
    ("SC" + "a" * 32, f"'SC{'a' * 32}' is a short code SID, not a Messaging Service SID (MG...)"),
])
def test_a_service_that_is_a_sid_of_another_kind_says_what_it_is(msgsvc, profile, httpserver, value, message):
    for args in (["services", "get", value], ["numbers", "list", value]):
        result = msgsvc(*args)
        assert (result.code, result.out) == (2, "")
        assert f"msgsvc: Invalid value for 'SERVICE': {message}\n" in result.err
    assert httpserver.log == []


def test_messages_name_the_service_as_the_user_did(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service(), service(OTHER_SID, "Marketing")]))
    httpserver.expect_request(f"/v1/Services/{OTHER_SID}/PhoneNumbers/{PN}").respond_with_json(
        {"code": 20404, "message": "not found", "status": 404}, status=404)
    result = msgsvc("numbers", "get", "Marketing", PN)
    assert (result.code, result.out) == (3, "")
    assert result.err == (f"msgsvc: {PN} is not attached to Marketing ({OTHER_SID})\n"
                          "hint: list them with: msgsvc numbers list Marketing\n")
    by_sid = msgsvc("numbers", "get", OTHER_SID, PN)
    assert by_sid.err.startswith(f"msgsvc: {PN} is not attached to {OTHER_SID}\n")


def test_a_number_without_plus_suggests_e164(msgsvc, profile, httpserver):
    result = msgsvc("numbers", "attach", SERVICE_SID, "15550000003")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("msgsvc: '15550000003' is not an E.164 number: they begin with '+' (did you mean +15550000003?)")
    assert httpserver.log == []


def test_errors_installed(isolated):
    with refusing_port() as port:
        proc = run_installed("services", "list", "--base-url", f"http://127.0.0.1:{port}", "--max-retries", "0",
                             env={"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (f"msgsvc: cannot connect to 127.0.0.1:{port} (connection refused) (the URL is from --base-url)\n"
                           f"hint: is the emulator running on 127.0.0.1:{port}? start it with: msgsvc emulator --port {port}\n")


def test_a_note_during_a_progress_bar_is_printed_above_it():
    from msgsvc.cli import output
    from msgsvc.cli.terminal import Terminal

    term = Terminal.fake(stderr_tty=True)
    with output.progress(term, "Attaching", 20) as advance:
        assert term.live is not None
        output.note(term, "retrying in 2 s (HTTP 429)")
        advance()
    assert term.live is None
    assert "retrying in 2 s (HTTP 429)\n" in term.err
    output.note(term, "after")
    assert term.err.endswith("after\n")
