"""Bounded, honest parsing: every file and stdin read is capped (64 MB) and so is nesting (64
levels), each an exit 2 with one clear line; byte-order marks are accepted; every TOML escape
is understood; config values are type-checked; environment credentials are stripped."""

from __future__ import annotations

import base64

import pytest
from conftest import ACCOUNT_SID, SERVICE_SID, base_url_of, page, service
from corehelp import sent
from test_setup_commands import emu, requests_log, writes  # noqa: F401 - fixtures

from msgsvc.atomic import MAX_INPUT_BYTES

TOO_DEEP = "nested more than 64 levels deep, the most msgsvc reads"


def test_plan_of_dev_zero_is_refused_not_read_until_memory_runs_out(msgsvc, emu):
    result = msgsvc("plan", "/dev/zero")
    assert (result.code, result.out) == (2, "")
    assert result.err == "msgsvc: /dev/zero is larger than 64 MB, the most msgsvc reads of one input\nhint: give a smaller file\n"


def test_an_endless_from_file_on_stdin_is_refused(msgsvc, emu):
    result = msgsvc("numbers", "attach", SERVICE_SID, "--from-file", "-", stdin="y\n" * (MAX_INPUT_BYTES // 2 + 1))
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("msgsvc: standard input is larger than 64 MB, the most msgsvc reads of one input\n")


@pytest.mark.parametrize("name,text", [
    ("deep.json", '{"version": 1, "services": ' + "[" * 5000 + "]" * 5000 + "}"),
    ("deep.toml", "version = 1\nservices = " + "[" * 5000 + "]" * 5000 + "\n"),
    ("deep100.json", '{"version": 1, "services": ' + "[" * 100 + "]" * 100 + "}"),
    ("deep100.toml", "version = 1\nx = " + "[" * 100 + "]" * 100 + "\n"),
])
def test_deep_nesting_is_one_clear_line(msgsvc, emu, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    result = msgsvc("plan", str(path))
    assert (result.code, result.out) == (2, "")
    assert f"{TOO_DEEP}" in result.err and "Traceback" not in result.err
    assert result.err.count("\n") <= 3


def test_a_config_file_nested_too_deeply_is_a_config_error(msgsvc, isolated):
    (isolated / "config").mkdir()
    (isolated / "config" / "config.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    (isolated / "config" / "config.toml").chmod(0o600)
    result = msgsvc("profiles", "list")
    assert result.code == 2
    assert result.err.startswith(f"msgsvc: {isolated / 'config' / 'config.toml'} nests more than 64 levels deep")


def test_a_toml_key_with_a_unicode_escape_is_understood(msgsvc, emu, tmp_path, requests_log):
    path = tmp_path / "escaped.toml"
    path.write_text('version = 1\n\n[[services]]\n"friendly\\U0000005Fname" = "Escaped"\n"validity\\u005Fperiod" = 600\n')
    result = msgsvc("plan", str(path), "--json")
    assert result.code == 0, result.err
    assert '"after":{"friendly_name":"Escaped","validity_period":600}' in result.out


def test_a_json_key_with_json_escapes_keeps_its_line(msgsvc, emu, tmp_path):
    path = tmp_path / "escaped.json"
    path.write_text('{"version": 1,\n "services": [\n  {"friendly_name": "A",\n   "bad\\/key": 1}]}\n')
    result = msgsvc("plan", str(path))
    assert result.code == 2
    assert f"{path}:4:" in result.err


@pytest.mark.parametrize("name", ["bom.toml", "bom.json", "-"])
def test_a_byte_order_mark_is_accepted(msgsvc, emu, tmp_path, name):
    body = ('{"version": 1, "services": [{"friendly_name": "Bom"}]}' if name.endswith(".json")
            else 'version = 1\n[[services]]\nfriendly_name = "Bom"\n')
    if name == "-":
        result = msgsvc("plan", "-", "--json", stdin="\ufeff" + body)
    else:
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + body.encode())
        result = msgsvc("plan", str(path), "--json")
    assert result.code == 0, result.err
    assert '"Bom"' in result.out


def test_a_config_file_with_a_byte_order_mark_is_read(msgsvc, isolated):
    (isolated / "config").mkdir()
    (isolated / "config" / "config.toml").write_bytes(
        b'\xef\xbb\xbfactive = "p"\n[profiles.p]\naccount_sid = "' + ACCOUNT_SID.encode() + b'"\nauth_token = "t0123456789"\n')
    result = msgsvc("profiles", "list", "--fields", "name,account_sid")
    assert (result.code, result.out) == (0, f"p\t{ACCOUNT_SID}\n"), result.err


@pytest.mark.parametrize("setting,value,message", [
    ("timeout", "true", "timeout from file profile 'test' must be a number, not a boolean: true"),
    ("max_retries", "2.7", "max_retries from file profile 'test' must be a whole number: 2.7"),
    ("max_retries", "false", "max_retries from file profile 'test' must be a whole number, not a boolean: false"),
    ("timeout", '"soon"', "timeout from file profile 'test' is not a number: 'soon'"),
])
def test_config_numbers_are_type_checked(msgsvc, isolated, httpserver, setting, value, message):
    from factories import save_profile

    save_profile(base_url_of(httpserver))
    path = isolated / "config" / "config.toml"
    path.write_text(path.read_text() + f"{setting} = {value}\n")
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"msgsvc: {message}\n")
    assert sent(httpserver) == []


def test_an_environment_token_with_a_trailing_newline_is_stripped(msgsvc, httpserver, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", f" {ACCOUNT_SID}\n")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "env-token-0123456789\n")
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    result = msgsvc("--base-url", base_url_of(httpserver), "services", "get", SERVICE_SID)
    assert result.code == 0, result.err
    expected = base64.b64encode(f"{ACCOUNT_SID}:env-token-0123456789".encode()).decode()
    assert sent(httpserver)[0].headers["Authorization"] == "Basic " + expected


def test_an_environment_token_with_white_space_inside_is_refused_naming_it(msgsvc, httpserver, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "env-token 0123456789")
    result = msgsvc("--base-url", base_url_of(httpserver), "services", "list")
    assert (result.code, result.out) == (4, "")
    assert result.err == ("msgsvc: TWILIO_AUTH_TOKEN has white space inside its value, which no Twilio credential has\n"
                          "hint: set TWILIO_AUTH_TOKEN again, to the value alone (copy it from the Twilio Console)\n")
    assert sent(httpserver) == []
