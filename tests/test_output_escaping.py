"""Text from a hostile server never reaches a person's terminal raw, TSV stays one
record per line and one field per tab, --json stays valid and escaped, and secrets never
show in any encoding a server can echo. Every server here is a local one (127.0.0.1)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID, page, service

# What a stranger can put in a friendly_name: OSC 52 (write the clipboard), OSC 8 (a hidden
# link), erase the screen, erase and rewrite the line above, a one-byte CSI (U+009B), line
# and paragraph separators, NUL, \v, \f, \x1c, NEL (U+0085), a lone surrogate.
HOSTILE = ("evil\x1b]52;c;aGk=\x07\x1b]8;;http://x.example/\x07link\x1b[2J\x1b[1A\x1b[2K"
           "\x9b31m\u2028\u2029\x00\v\f\x1c\x85\ud800end")
SHOWN = ("evil\\x1b]52;c;aGk=\\x07\\x1b]8;;http://x.example/\\x07link\\x1b[2J\\x1b[1A\\x1b[2K"
         "\\u009b31m\\u2028\\u2029\\x00\\x0b\\x0c\\x1c\\u0085\\ud800end")
RAW = [chr(c) for c in [*range(0x20), 0x7f, *range(0x80, 0xa0), 0x2028, 0x2029, 0xd800]]
PN = "PN" + "1" * 32


def raw_json(value) -> bytes:
    """JSON as a careless server writes it: UTF-8, C1 and U+2028 raw, surrogates as escapes."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def clean(text: str, *, newlines: bool = True) -> bool:
    allowed = {"\n", "\t"} if newlines else set()
    return not any(ch in text for ch in RAW if ch not in allowed)


def test_escape_shows_every_control_visibly():
    from msgsvc.cli.terminal import escape

    assert escape(HOSTILE) == SHOWN
    assert escape("a\\b\tc\nd") == "a\\b\\tc\\nd"
    assert escape("a\\b\tc\nd", tsv=True) == "a\\\\b\\tc\\nd"


@pytest.mark.parametrize("tty", [True, False])
def test_list_and_get_show_hostile_names_escaped(msgsvc, profile, httpserver, tty):
    record = service(name=HOSTILE)
    httpserver.expect_request("/v1/Services").respond_with_data(raw_json(page("services", [record])),
                                                                content_type="application/json")
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_data(raw_json(record),
                                                                             content_type="application/json")
    for args in (["services", "list"], ["services", "get", SERVICE_SID]):
        result = msgsvc(*args, tty=tty, width=400)
        assert result.code == 0, result.err
        assert clean(result.out, newlines=True) and clean(result.err)
        assert SHOWN in result.out
    if not tty:
        assert msgsvc("services", "list").out == (
            f"{SERVICE_SID}\t{SHOWN}\tmarketing\tfalse\t2015-07-30T20:12:31Z\n")


def test_tsv_escapes_keys_and_values_one_record_per_line(msgsvc, profile, httpserver):
    record = {"sid": SERVICE_SID, "we\tird\nkey": "a\\b\tc\r\nd", "friendly_name": "x\\ty"}
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(record)
    result = msgsvc("services", "get", SERVICE_SID)
    assert result.code == 0, result.err
    assert result.out == (f"sid\t{SERVICE_SID}\n"
                          "we\\tird\\nkey\ta\\\\b\\tc\\r\\nd\n"
                          "friendly_name\tx\\\\ty\n")


def test_errors_and_html_titles_are_escaped(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_data(
        raw_json({"code": 20001, "message": HOSTILE, "status": 400}), status=400, content_type="application/json")
    result = msgsvc("services", "get", SERVICE_SID)
    assert result.code == 1
    assert result.err == f"msgsvc: HTTP 400 (Twilio error 20001): {SHOWN}\n"
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_data(
        "<html><title>Bad\x1b[2J\x9bgateway</title></html>".encode(), status=502, content_type="text/html")
    result = msgsvc("services", "get", SERVICE_SID)
    assert result.err == "msgsvc: HTTP 502: BAD GATEWAY: Bad\\x1b[2J\\u009bgateway\n"


# A server's 100 KB text: a person's view shows its first 4,096 characters and how many more.
LONG = "".join(f"{n:09d} " for n in range(10_000))  # 100,000 characters
LONG_SHOWN = LONG[:4096] + "… (95,904 more characters)"


def test_a_very_long_text_is_cut_in_a_persons_view_and_whole_for_programs(msgsvc, profile, httpserver):
    record = service(name=LONG)
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [record]))
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(record)
    shown = msgsvc("services", "get", SERVICE_SID, "--fields", "friendly_name", tty=True, width=5000)
    assert (shown.code, shown.err) == (0, "")
    assert shown.out == f"FIELD          VALUE\nfriendly_name  {LONG_SHOWN}\n"
    listed = msgsvc("services", "list", "--fields", "sid,friendly_name", tty=True, width=5000)
    assert (listed.code, listed.err) == (0, "")
    assert listed.out == f"{'SID':<34}  FRIENDLY NAME\n{SERVICE_SID}  {LONG_SHOWN}\n"
    piped = msgsvc("services", "list", "--fields", "sid,friendly_name")
    assert (piped.code, piped.out, piped.err) == (0, f"{SERVICE_SID}\t{LONG}\n", "")
    as_json = msgsvc("services", "get", SERVICE_SID, "--json")
    assert (as_json.code, json.loads(as_json.out)["friendly_name"], as_json.err) == (0, LONG, "")


def test_a_very_long_error_message_is_cut(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(
        {"code": 20001, "message": LONG, "more_info": "https://www.twilio.com/docs/errors/20001", "status": 400}, status=400)
    line = f"msgsvc: HTTP 400 (Twilio error 20001): {LONG} (see https://www.twilio.com/docs/errors/20001)"
    result = msgsvc("services", "get", SERVICE_SID)
    assert (result.code, result.out) == (1, "")
    assert result.err == f"{line[:4096]}… ({len(line) - 4096:,} more characters)\n"
    assert result.err.startswith(f"msgsvc: HTTP 400 (Twilio error 20001): {LONG[:4000]}")
    on_a_terminal = msgsvc("services", "get", SERVICE_SID, stderr_tty=True, width=80)
    assert on_a_terminal.err.endswith(f"000000404 0000004… ({len(line) - 4096:,} more characters)\n")
    assert all(len(part) <= 80 for part in on_a_terminal.err.splitlines())


def test_the_delete_prompt_shows_the_name_escaped(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_data(
        raw_json(service(name="Alerts\x1b[1A\x1b[2KDelete nothing")), content_type="application/json")
    result = msgsvc("services", "delete", SERVICE_SID, stdin="n\n", stdin_tty=True)
    assert result.code == 2
    assert result.err == (f"Delete {SERVICE_SID} (Alerts\\x1b[1A\\x1b[2KDelete nothing)? [y/N]: "
                          "Nothing deleted.\n")


@pytest.mark.parametrize("tty", [True, False])
def test_bulk_result_messages_are_escaped(msgsvc, profile, httpserver, tty):
    path = f"/v1/Services/{SERVICE_SID}/PhoneNumbers"
    httpserver.expect_oneshot_request(path, method="GET").respond_with_json(page("phone_numbers", []))
    httpserver.expect_oneshot_request(path, method="POST").respond_with_data(
        raw_json({"code": 21421, "message": HOSTILE, "status": 400}), status=400, content_type="application/json")
    result = msgsvc("numbers", "attach", SERVICE_SID, PN, tty=tty, width=400)
    assert result.code == 1
    assert clean(result.out) and clean(result.err)
    assert SHOWN in result.out


def test_completion_descriptions_are_escaped_in_every_shell(isolated, monkeypatch, capsys):
    from msgsvc.local import cache, config
    from msgsvc.cli import app as cli

    config.write_config({"active": "test", "profiles": {"test": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}}})
    cache._save("profile-test", {SERVICE_SID: "Alerts\x1b]52;c;aGk=\x07\x9b2J"})
    answers = {}
    for shell in ("bash", "zsh", "fish"):
        with monkeypatch.context() as m:
            m.setenv("_MSGSVC_COMPLETE", f"complete_{shell}")
            m.setenv("COMP_WORDS", "msgsvc\nservices\nget\n")
            m.setenv("COMP_CWORD", "3")
            m.setenv("_TYPER_COMPLETE_ARGS", "msgsvc services get ")
            m.setenv("_TYPER_COMPLETE_FISH_ACTION", "get-args")
            capsys.readouterr()
            cli.run([])
            answers[shell] = capsys.readouterr().out
    assert answers["zsh"] == f"plain\n{SERVICE_SID}\nAlerts\\x1b]52;c;aGk=\\x07\\u009b2J\n"
    assert answers["fish"] == f"plain\t{SERVICE_SID}\tAlerts\\x1b]52;c;aGk=\\x07\\u009b2J\n"
    assert answers["bash"] == f"plain,{SERVICE_SID}\n"


# --- JSON -------------------------------------------------------------------------------------


@pytest.mark.parametrize("tty", [True, False])
def test_json_escapes_c0_c1_and_separators_on_a_terminal_and_in_a_pipe(msgsvc, profile, httpserver, tty):
    records = [service(name=HOSTILE), service("MG" + "b" * 32, name="plain")]
    httpserver.expect_request("/v1/Services").respond_with_data(raw_json(page("services", records)),
                                                                content_type="application/json")
    result = msgsvc("services", "list", "--json", tty=tty)
    assert result.code == 0, result.err
    assert clean(result.out)
    assert json.loads(result.out)[0]["friendly_name"] == HOSTILE
    assert "\\u009b" in result.out and "\\u2028" in result.out and "\\ud800" in result.out


BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.mark.parametrize("tty", [True, False])
def test_json_escapes_the_bidi_controls_on_a_terminal_and_in_a_pipe(msgsvc, profile, httpserver, tty):
    # "gpj.exe" shown reversed by U+202E: a name that reads as another one. In a pipe the
    # page as sent is not passed on (its UTF-8 holds them); on a terminal dumps escapes them.
    name = "Alerts\u202egpj.exe" + BIDI
    httpserver.expect_request("/v1/Services").respond_with_data(raw_json(page("services", [service(name=name)])),
                                                                content_type="application/json")
    result = msgsvc("services", "list", "--json", tty=tty)
    assert result.code == 0, result.err
    assert not any(ch in result.out for ch in BIDI)
    assert "Alerts\\u202egpj.exe\\u200e\\u200f\\u202a" in result.out
    assert json.loads(result.out)[0]["friendly_name"] == name


def test_json_of_a_get_with_a_lone_surrogate_does_not_crash(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_data(
        b'{"sid": "' + SERVICE_SID.encode() + b'", "friendly_name": "a\\udc00b"}', content_type="application/json")
    for tty in (True, False):
        result = msgsvc("services", "get", SERVICE_SID, "--json", tty=tty)
        assert result.code == 0, result.err
        assert json.loads(result.out)["friendly_name"] == "a\udc00b"
        assert "\\udc00" in result.out
    assert "a\\udc00b" in msgsvc("services", "get", SERVICE_SID).out


@pytest.mark.parametrize("body", [b'NaN', b'Infinity', b'-Infinity', b'1e999'])
@pytest.mark.parametrize("command", ["get", "list"])
def test_nan_and_infinity_from_a_server_are_refused_not_printed(msgsvc, profile, httpserver, body, command):
    if command == "get":
        httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_data(
            b'{"sid": "' + SERVICE_SID.encode() + b'", "validity_period": ' + body + b"}", content_type="application/json")
        result = msgsvc("services", "get", SERVICE_SID, "--json")
    else:
        text = json.dumps(page("services", [service()])).replace('"validity_period": 600', '"validity_period": VALUE')
        httpserver.expect_request("/v1/Services").respond_with_data(
            text.replace("VALUE", body.decode()), content_type="application/json")
        result = msgsvc("services", "list", "--json")
    assert result.code == 1
    assert result.out == ""
    assert "answered HTTP 200 with something that is not JSON" in result.err


def test_deeply_nested_json_is_a_clear_error(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_data(
        b'{"sid": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", content_type="application/json")
    result = msgsvc("services", "get", SERVICE_SID)
    assert result.code == 1
    assert result.err.startswith(f"msgsvc: GET {httpserver.url_for('/').rstrip('/')}/v1/Services/{SERVICE_SID} "
                                 "answered HTTP 200 with something that is not JSON (it is nested too deeply)")
    assert "unexpected" not in result.err


# --- secrets ---------------------------------------------------------------------------------

BASIC = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
ECHOES = [AUTH_TOKEN, AUTH_TOKEN.upper(), quote(AUTH_TOKEN + "/&", safe=""), quote_plus(AUTH_TOKEN + " x"),
          "Basic " + BASIC, "basic " + BASIC.lower()]


@pytest.mark.parametrize("echo", ECHOES)
def test_a_secret_echoed_in_any_encoding_never_shows(msgsvc, profile, httpserver, echo):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(
        service(name=f"name {echo} name"))
    httpserver.expect_request("/v1/Services/MG" + "c" * 32).respond_with_json(
        {"code": 20001, "message": f"you sent {echo}", "status": 400}, status=400)
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service(name=echo)]))
    outputs = [msgsvc("services", "get", SERVICE_SID), msgsvc("services", "get", SERVICE_SID, tty=True),
               msgsvc("services", "get", SERVICE_SID, "--json"), msgsvc("services", "list", "--json"),
               msgsvc("services", "list"), msgsvc("--debug", "services", "get", "MG" + "c" * 32)]
    for result in outputs:
        text = result.out + result.err
        for form in (AUTH_TOKEN, BASIC.rstrip("="), quote(AUTH_TOKEN, safe="")):
            assert form.lower() not in text.lower()
    assert "***" in outputs[0].out and "***" in outputs[5].err


def test_a_secret_of_the_wrong_type_in_the_config_is_not_echoed(msgsvc, isolated):
    from msgsvc.local import config

    config.write_config({"active": "t", "profiles": {"t": {"account_sid": ACCOUNT_SID, "auth_token": 987654321012}}})
    result = msgsvc("services", "list")
    assert result.code == 2
    assert "987654321012" not in result.err
    assert result.err.startswith("msgsvc: auth_token from ")
    assert result.err.split("\n")[0].endswith(" must be a string")


@pytest.mark.parametrize("where", ["option", "environment", "profile"])
def test_a_base_url_with_credentials_is_refused_and_masked(msgsvc, isolated, monkeypatch, where):
    from msgsvc.local import config

    url = "https://AC123:hunter2-secret-pw@gateway.example/twilio"
    args = ["services", "list"]
    if where == "option":
        args = ["--base-url", url, *args]
    elif where == "environment":
        monkeypatch.setenv("MSGSVC_BASE_URL", url)
    profile = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    if where == "profile":
        profile["base_url"] = url
    config.write_config({"active": "t", "profiles": {"t": profile}})
    result = msgsvc(*args)
    assert result.code == 2
    assert "hunter2" not in result.err and "AC123" not in result.err
    assert "'https://***@gateway.example/twilio' carries a user name or password" in result.err


def test_credentials_never_go_over_plain_http_to_another_host(msgsvc, isolated, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    result = msgsvc("--base-url", "http://gateway.example:8080", "services", "list")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "msgsvc: refusing to send credentials over plain http:// to gateway.example:8080: anyone on the way could read them\n"
        "hint: use an https:// base URL (plain http:// is only for a server on this machine, such as the emulator)\n")


def test_credentials_never_go_through_a_plain_http_proxy(msgsvc, profile, httpserver, monkeypatch):
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", []))
    for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://user:proxypw@127.0.0.1:9")
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: refusing to send credentials for http://localhost:{httpserver.port} through the plain-HTTP proxy "
        "http://***@127.0.0.1:9: the proxy could read them\n"
        "hint: exempt the local server from the proxy: NO_PROXY=localhost\n")
    assert len(httpserver.log) == 0
    monkeypatch.setenv("NO_PROXY", "localhost")
    assert msgsvc("services", "list").code == 0


@pytest.mark.parametrize("proxy, shown", [
    ("user:proxypw@127.0.0.1:9", "***@127.0.0.1:9"),  # no scheme: requests reads it as http://
    ("http://user:proxy/pw@127.0.0.1:9", "http://***@127.0.0.1:9"),  # a password with / ? # not percent-encoded
    ("http://user:proxy?pw@127.0.0.1:9", "http://***@127.0.0.1:9"),
    ("http://user:proxy#pw@127.0.0.1:9", "http://***@127.0.0.1:9"),
    ("http://user:proxypw@[::1:9", "http://***@[::1:9"),  # not even a URL
])
def test_a_proxy_password_is_never_shown_however_the_url_is_written(msgsvc, profile, httpserver, monkeypatch, proxy, shown):
    for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: refusing to send credentials for http://localhost:{httpserver.port} through the plain-HTTP proxy "
        f"{shown}: the proxy could read them\n"
        "hint: exempt the local server from the proxy: NO_PROXY=localhost\n")
    assert "pw" not in result.err
    assert len(httpserver.log) == 0


def _escaped_every_letter(text: str) -> str:
    """`text` as JSON may spell it inside a string: every letter as a \\uXXXX escape."""
    return "".join(f"\\u{ord(ch):04x}" if ch.isalpha() else ch for ch in text)


@pytest.mark.parametrize("spelled", [
    _escaped_every_letter(AUTH_TOKEN),  # \u0073 3\u0063...: the token, letter by letter
    "\\u" + f"{ord(AUTH_TOKEN[0]):04x}" + AUTH_TOKEN[1:],  # one escape is enough to hide it from a search
    AUTH_TOKEN[:10] + "\\/" + AUTH_TOKEN[10:],  # not the token: a "/" inside it (shown as it is, below)
])
def test_a_secret_spelled_with_json_escapes_is_not_passed_on_by_json(msgsvc, profile, httpserver, spelled):
    # --json prints a page's text as the server sent it (test_json_pages.py); JSON lets a
    # server write any character as an escape, so a search of that text cannot see a secret
    # that a reader of the output gets back by decoding it.
    body = ('{"services": [{"sid": "%s", "friendly_name": "name %s name"}], '
            '"meta": {"key": "services", "next_page_url": null}}' % (SERVICE_SID, spelled))
    httpserver.expect_request("/v1/Services").respond_with_data(body.encode(), content_type="application/json")
    result = msgsvc("services", "list", "--json")
    assert (result.code, result.err) == (0, "")
    name = json.loads(result.out)[0]["friendly_name"]
    decoded = json.loads(f'"{spelled}"')
    if decoded == AUTH_TOKEN:
        assert name == "name *** name"
    else:
        assert name == f"name {decoded} name"


def test_a_webhook_password_behind_escaped_slashes_is_masked_by_json(msgsvc, profile, httpserver):
    # Some JSON encoders (PHP's, by default) write every "/" as "\/": https:\/\/user:pw@host.
    body = ('{"services": [{"sid": "%s", "status_callback": "https:\\/\\/hooks:hunter22@example.com\\/status"}], '
            '"meta": {"key": "services", "next_page_url": null}}' % SERVICE_SID)
    httpserver.expect_request("/v1/Services").respond_with_data(body.encode(), content_type="application/json")
    result = msgsvc("services", "list", "--json")
    assert (result.code, result.err) == (0, "")
    assert "hunter22" not in json.loads(result.out)[0]["status_callback"]
    assert "hunter22" not in result.out


def test_harmless_escapes_still_pass_the_page_on_as_sent(msgsvc, profile, httpserver):
    items = '{"sid": "%s", "friendly_name": "caf\\u00e9 \\"quoted\\" a\\/b"}' % SERVICE_SID
    body = '{"services": [%s], "meta": {"key": "services", "next_page_url": null}}' % items
    httpserver.expect_request("/v1/Services").respond_with_data(body.encode(), content_type="application/json")
    result = msgsvc("services", "list", "--json")
    assert (result.code, result.err, result.out) == (0, "", f"[{items}]\n")


def test_a_secret_holding_json_special_characters_is_masked_in_json_output():
    from msgsvc.cli.terminal import Terminal

    term = Terminal.system()
    term.add_credentials(ACCOUNT_SID, 'to"ken\\with-quotes')
    text = json.dumps({"friendly_name": 'x to"ken\\with-quotes y'}, ensure_ascii=False)
    assert term.holds_secret(text) and term.holds_secret(text.encode())
    assert term.redact(text) == '{"friendly_name": "x *** y"}'


def test_a_secret_with_non_ascii_capitals_is_found_in_bytes_too():
    from msgsvc.cli.terminal import Terminal

    term = Terminal.system()
    term.add_credentials(ACCOUNT_SID, "ÄBCDEFGH-token")
    for text in ("x ÄBCDEFGH-token y", "x äbcdefgh-TOKEN y"):
        assert term.holds_secret(text) and term.holds_secret(text.encode("utf-8")), text


@pytest.mark.parametrize("expression", [".[] | .friendly_name | @base64", ".[] | .friendly_name | explode",
                                        ".[] | .status_callback | @uri", ".[] | .friendly_name | explode | reverse | implode"])
def test_a_jq_expression_cannot_turn_a_secret_into_another_form(msgsvc, profile, httpserver, expression):
    # Output is masked line by line; what jq makes of a value (base64, code points, an
    # encoding) would hide a secret from that. So jq is given the values as --json shows them.
    record = service(name=f"name {AUTH_TOKEN} name")
    record["status_callback"] = "https://hooks:hunter22@example.com/status"
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [record]))
    result = msgsvc("services", "list", "--jq", expression)
    assert result.code == 0, result.err
    decodings = [decoded for line in result.out.splitlines() for decoded in _decodings(line)]
    for decoded in decodings:
        assert AUTH_TOKEN.lower() not in decoded.lower() and "hunter22" not in decoded, (expression, decoded)
    assert any("***" in decoded for decoded in decodings)  # what jq was given: the masked value


def _decodings(line: str) -> list[str]:
    """`line` and what it may be read back as: reversed, base64, code points, URL-decoding."""
    from urllib.parse import unquote

    found = [line, line[::-1], unquote(line)]
    try:
        found.append(base64.b64decode(line).decode("utf-8", "replace"))
    except ValueError:
        pass
    try:
        found.append("".join(map(chr, json.loads(line))))
    except (ValueError, TypeError):
        pass
    return found
