"""A password in a URL's user info (Twilio's HTTP-auth webhooks: https://twilio:S3cret@host/sms)
is never shown: export writes ***, plan lines, tables, --debug and errors mask it. A *** in a
setup file means "the password the account has"; apply never sends it."""

from __future__ import annotations

import json

import pytest

from factories import create_service as create
from test_setup_commands import emu, requests_log, writes  # noqa: F401 - fixtures

SECRET_URL = "https://twilio:S3cretPass@hooks.example.com/sms"
MASKED_URL = "https://twilio:***@hooks.example.com/sms"


def test_mask_url_passwords_up_to_the_last_at_sign_of_the_authority():
    from msgsvc.api.validate import mask_url_passwords

    assert mask_url_passwords(f"see {SECRET_URL} and http://u:p@ss@h:8/x?a=b@c") == \
        f"see {MASKED_URL} and http://u:***@h:8/x?a=b@c"
    assert mask_url_passwords("mail me: a@b.example, https://user@host/") == "mail me: a@b.example, https://user@host/"


def test_export_writes_the_password_masked_in_files_and_on_stdout(msgsvc, emu, tmp_path):
    create(emu, "Hooks", StatusCallback=SECRET_URL)
    target = tmp_path / "services.toml"
    assert msgsvc("export", "-o", str(target)).code == 0
    stdout = msgsvc("export", "--json").out
    for text in (target.read_text(), stdout):
        assert "S3cretPass" not in text
    assert f'status_callback = "{MASKED_URL}"' in target.read_text()
    assert json.loads(stdout)["services"][0]["status_callback"] == MASKED_URL


def test_an_exported_masked_password_plans_no_change(msgsvc, emu, tmp_path, requests_log):
    create(emu, "Hooks", StatusCallback=SECRET_URL)
    target = tmp_path / "services.toml"
    msgsvc("export", "-o", str(target))
    requests_log.clear()
    result = msgsvc("apply", str(target), "--yes")
    assert result.code == 0, result.err
    assert writes(requests_log) == []
    assert emu.call("GET", "/v1/Services").json()["services"][0]["status_callback"] == SECRET_URL


def test_a_masked_password_that_would_be_sent_is_a_blocker(msgsvc, emu, tmp_path, requests_log):
    create(emu, "Hooks", StatusCallback="https://twilio:S3cretPass@old.example.com/sms")
    requests_log.clear()
    target = tmp_path / "services.toml"
    target.write_text(f'version = 1\n\n[[services]]\nfriendly_name = "Hooks"\nstatus_callback = "{MASKED_URL}"\n\n'
                      f'[[services]]\nfriendly_name = "New"\nfallback_url = "{MASKED_URL}"\n')
    for command in ("plan", "apply"):
        result = msgsvc(command, str(target), "--yes") if command == "apply" else msgsvc(command, str(target))
        assert result.code == 2, result.err
        why = ("has the password *** (export's placeholder for the password the account has), and the account "
               "has no such URL to keep it from; write the password itself in the file")
        assert result.err == (f"msgsvc: 2 problems in {target}:\n  {target}:5: \"Hooks\": status_callback {why}\n"
                              f"  {target}:9: \"New\": fallback_url {why}\nhint: nothing was sent; fix the file and run again\n")
        assert "S3cretPass" not in result.err + result.out
    assert writes(requests_log) == []


def test_plan_lines_mask_a_real_password_that_apply_sends(msgsvc, emu, tmp_path, requests_log):
    create(emu, "Hooks")
    target = tmp_path / "services.toml"
    target.write_text(f'version = 1\n\n[[services]]\nfriendly_name = "Hooks"\nstatus_callback = "{SECRET_URL}"\n')
    planned = msgsvc("plan", str(target))
    assert "S3cretPass" not in planned.out + planned.err
    assert MASKED_URL in planned.out + planned.err
    applied = msgsvc("apply", str(target), "--yes")
    assert applied.code == 0, applied.err
    assert "S3cretPass" not in applied.out + applied.err
    assert emu.call("GET", "/v1/Services").json()["services"][0]["status_callback"] == SECRET_URL


def test_tables_json_debug_and_errors_mask_the_password(msgsvc, emu):
    sid = create(emu, "Hooks", StatusCallback=SECRET_URL)
    for args in (("services", "get", sid), ("services", "get", sid, "--json"), ("services", "list", "--fields", "sid,status_callback"),
                 ("--debug", "services", "update", sid, "--fallback-url", SECRET_URL)):
        result = msgsvc(*args)
        assert result.code == 0, result.err
        assert "S3cretPass" not in result.out + result.err, args
        assert "twilio:***@hooks.example.com" in result.out + result.err, args
    bad = msgsvc("services", "update", sid, "--fallback-url", "https://twilio:S3cretPass@hooks example/sms")
    assert bad.code == 2
    assert "S3cretPass" not in bad.err and "twilio:***@hooks example/sms" in bad.err


def test_a_quote_ends_a_url_so_json_after_it_is_not_a_password():
    """A JSON record with a URL, then an e-mail address: nothing between them is masked."""
    from msgsvc.api.validate import mask_url_passwords

    text = '{"website":"https://owl.example.com","first":null,"email":"tfv@owl.example.com"}'
    assert mask_url_passwords(text) == text
    assert mask_url_passwords('["https://u:p@h/x", "y@z"]') == '["https://u:***@h/x", "y@z"]'


@pytest.mark.parametrize("out", ["file", "-", None])
@pytest.mark.parametrize("as_json", [False, True])
def test_an_export_that_would_hold_the_auth_token_is_not_written(msgsvc, emu, tmp_path, out, as_json):
    # Twilio keeps what a service was given: a webhook that checks requests by the account's
    # own token in its query, a token pasted into a name. The file would be committed, shared.
    create(emu, "Hooks", StatusCallback=f"https://hooks.example.com/sms?auth={emu.auth_token}")
    create(emu, f"pasted {emu.auth_token} here")
    create(emu, "Clean")
    target = tmp_path / "services.toml"
    target.write_text("version = 1  # what was there\n")
    args = ["export", *(["-o", str(target)] if out == "file" else ["-o", "-"] if out == "-" else []),
            *(["--json"] if as_json else [])]
    result = msgsvc(*args)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "msgsvc: the export holds this run's auth token or secret, read from the account ('Hooks' status_callback, "
        "'pasted *** here' friendly_name) and is not written: an exported file never holds a secret\n"
        "hint: nothing was written; take the secret out of those values (msgsvc services get SERVICE shows them, "
        "masked as ***), or export the other services by name\n")
    assert target.read_text() == "version = 1  # what was there\n"
    assert msgsvc("export", "Clean", "-o", str(target)).code == 0
    assert emu.auth_token not in target.read_text()


def test_an_export_names_the_first_five_values_holding_the_token(msgsvc, emu):
    for n in range(7):
        create(emu, f"Hooks {n}", StatusCallback=f"https://hooks.example.com/sms?auth={emu.auth_token}")
    result = msgsvc("export")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(
        "msgsvc: the export holds this run's auth token or secret, read from the account ('Hooks 0' status_callback, "
        "'Hooks 1' status_callback, 'Hooks 2' status_callback, 'Hooks 3' status_callback, 'Hooks 4' status_callback "
        "and 2 more) and is not written: an exported file never holds a secret\n")


# --- a URL nested in another one's query or fragment, percent-encoded -------------------------
# A relay webhook carries the real one in its query: the password of the inner URL is as
# secret as a plain one, written %3A / %40 (encoded once) or %253A / %2540 (twice).

NESTED = {
    1: ("https://hooks.example.com/relay?target=https%3A%2F%2Fuser%3As3cretpw%40inner.example.com%2Fsms",
        "https://hooks.example.com/relay?target=https%3A%2F%2Fuser%3A***%40inner.example.com%2Fsms"),
    2: ("https://hooks.example.com/relay?target=https%253A%252F%252Fuser%253As3cretpw%2540inner.example.com%252Fsms",
        "https://hooks.example.com/relay?target=https%253A%252F%252Fuser%253A***%2540inner.example.com%252Fsms"),
}


@pytest.mark.parametrize("depth", [1, 2])
def test_a_password_of_a_url_nested_percent_encoded_is_masked(depth):
    from msgsvc.api.validate import has_masked_password, has_url_password, mask_url_passwords

    secret, masked = NESTED[depth]
    assert mask_url_passwords(secret) == masked
    assert mask_url_passwords(masked) == masked
    assert has_url_password(secret) and has_url_password(secret.encode())
    assert has_masked_password(masked) and not has_masked_password(secret)
    # In a fragment, in lower-case hex, up to the last %40 of the inner authority, in JSON.
    fragment = secret.replace("?target=", "#target=")
    assert mask_url_passwords(fragment) == masked.replace("?target=", "#target=")
    assert mask_url_passwords(secret.lower()) == masked.lower()
    enc = "%" + "25" * (depth - 1)
    tricky = f"https://h.example/r?to=https{enc}3A{enc}2F{enc}2Fu{enc}3Ap{enc}40ss{enc}40inner{enc}2Fx{enc}40y&n=1"
    assert mask_url_passwords(tricky) == f"https://h.example/r?to=https{enc}3A{enc}2F{enc}2Fu{enc}3A***{enc}40inner{enc}2Fx{enc}40y&n=1"
    assert mask_url_passwords(json.dumps({"a": secret, "b": "x@y"})) == json.dumps({"a": masked, "b": "x@y"})


def test_ordinary_urls_with_an_encoded_url_in_their_query_are_left_alone():
    from msgsvc.api.validate import has_masked_password, has_url_password, mask_url_passwords

    for text in (
        "https://hooks.example.com/relay?target=https%3A%2F%2Finner.example.com%2Fsms",  # no user info
        "https://hooks.example.com/relay?target=https%3A%2F%2Fuser%40inner.example.com%2Fsms",  # a user, no password
        "https://h.example/r?next=https%3A%2F%2Fexample.com%3A8443%2Fpath%3Fmail%3Da%40b.example",  # a port, @ in its query
        "https://h.example/r?next=https%3A%2F%2Fexample.com%2Fa%3Ab%40c",  # ':' and '@' in its path
        "https://h.example/r?a=x%3Ay%40z&mail=mailto%3Aa%40b.example",  # no scheme://
        "https://h.example/r?next=https%253A%252F%252Fexample.com%253A8443%252Fp%2540q",  # twice, a port
        "https://h.example/r?next=https%3A%2F%2Fu%253Ap%2540inner",  # depths mixed: not one URL's user info
    ):
        assert mask_url_passwords(text) == text, text
        assert not has_url_password(text) and not has_url_password(text.encode()), text
        assert not has_masked_password(text)


@pytest.mark.parametrize("depth", [1, 2])
def test_export_masks_a_nested_password_and_it_plans_no_change(msgsvc, emu, tmp_path, requests_log, depth):
    secret, masked = NESTED[depth]
    create(emu, "Hooks", StatusCallback=secret)
    target = tmp_path / "services.toml"
    assert msgsvc("export", "-o", str(target)).code == 0
    stdout = msgsvc("export", "--json").out
    assert "s3cretpw" not in target.read_text() + stdout
    assert f'status_callback = "{masked}"' in target.read_text()
    assert json.loads(stdout)["services"][0]["status_callback"] == masked
    requests_log.clear()
    result = msgsvc("apply", str(target), "--yes")
    assert (result.code, result.out, result.err) == (0, "", f"No changes: the account matches {target}.\n")
    assert writes(requests_log) == []
    assert emu.call("GET", "/v1/Services").json()["services"][0]["status_callback"] == secret


@pytest.mark.parametrize("depth", [1, 2])
def test_a_masked_nested_password_that_would_be_sent_is_a_blocker(msgsvc, emu, tmp_path, requests_log, depth):
    secret, masked = NESTED[depth]
    create(emu, "Hooks", StatusCallback=secret.replace("inner.example.com", "old.example.com"))
    requests_log.clear()
    target = tmp_path / "services.toml"
    target.write_text(f'version = 1\n\n[[services]]\nfriendly_name = "Hooks"\nstatus_callback = "{masked}"\n')
    for args in (("plan", str(target)), ("apply", str(target), "--yes")):
        result = msgsvc(*args)
        assert (result.code, result.out) == (2, "")
        assert result.err == (
            f"msgsvc: {target}:5: \"Hooks\": status_callback has the password *** (export's placeholder for the "
            "password the account has), and the account has no such URL to keep it from; write the password itself "
            "in the file\nhint: nothing was sent; fix the file and run again\n")
    assert writes(requests_log) == []


@pytest.mark.parametrize("depth", [1, 2])
def test_plan_and_a_saved_plan_mask_a_nested_password_that_apply_sends(msgsvc, emu, tmp_path, monkeypatch, depth):
    secret, masked = NESTED[depth]
    monkeypatch.chdir(tmp_path)
    sid = create(emu, "Hooks")
    (tmp_path / "services.toml").write_text(f'version = 1\n\n[[services]]\nfriendly_name = "Hooks"\nstatus_callback = "{secret}"\n')
    planned = msgsvc("plan", "services.toml")
    assert (planned.code, planned.err) == (0, "")
    assert planned.out == (f'~ update "Hooks": status_callback null -> "{masked}"\n'
                           "Plan: 0 to create, 1 to update, 0 to attach, 0 to detach, 0 to move, 0 to delete.\n")
    # A saved plan never holds the password: it names the field, and apply takes it from the file.
    saved = msgsvc("plan", "services.toml", "-o", "services.plan")
    assert saved.code == 0, saved.err
    body = json.loads((tmp_path / "services.plan").read_text())
    assert "s3cretpw" not in json.dumps(body)
    assert body["changes"][0]["after"] == {"status_callback": masked}
    assert body["changes"][0]["secrets"] == ["status_callback"]
    applied = msgsvc("apply", "services.plan", "--yes")
    assert applied.code == 0, applied.err
    assert "s3cretpw" not in applied.out + applied.err
    assert emu.call("GET", f"/v1/Services/{sid}").json()["status_callback"] == secret


@pytest.mark.parametrize("depth", [1, 2])
def test_every_view_masks_a_nested_password(msgsvc, emu, depth):
    secret, masked = NESTED[depth]
    sid = create(emu, "Hooks", StatusCallback=secret)
    assert msgsvc("services", "get", sid, "--jq", ".status_callback").out == masked + "\n"
    assert msgsvc("services", "list", "--fields", "sid,status_callback").out == f"{sid}\t{masked}\n"
    assert [s["status_callback"] for s in json.loads(msgsvc("services", "list", "--json").out)] == [masked]
    assert json.loads(msgsvc("services", "get", sid, "--json").out)["status_callback"] == masked
    table = msgsvc("services", "get", sid, tty=True, width=300)
    assert f"\nstatus_callback                {masked}\n" in table.out and "s3cretpw" not in table.out
    debug = msgsvc("--debug", "services", "update", sid, "--fallback-url", secret)
    assert debug.code == 0, debug.err
    assert debug.err.splitlines()[0] == (f"debug: request: POST {emu.base_url}/v1/Services/{sid} form={{'FallbackUrl': "
                                         f"'{masked}'}} (Authorization: Basic {emu.account_sid}:***)")
    assert "s3cretpw" not in debug.out + debug.err
    bad = msgsvc("services", "update", sid, "--fallback-url", secret.replace("hooks.example.com", "hooks example"))
    assert (bad.code, bad.out) == (2, "")
    assert bad.err == ("Usage: msgsvc services update [OPTIONS] SERVICE\nmsgsvc: Invalid value for '--fallback-url': "
                       f"{masked.replace('hooks.example.com', 'hooks example')!r} contains white space\n"
                       "hint: see 'msgsvc services update --help'\n")


@pytest.mark.parametrize(("args", "option", "value"), [
    (["services", "update", "Alerts"], "--status-callback", "https://u:***@hooks.example.com/s"),
    (["services", "create", "--friendly-name", "B"], "--inbound-request-url",
     "https://hooks.example.com/x?t=https%3A%2F%2Fu%3A***%40in.example.com"),
])
def test_a_url_typed_with_the_mask_for_its_password_is_refused(msgsvc, httpserver, profile, args, option, value):
    """A URL copied from msgsvc's output has *** where its password was: sent, it would put
    three stars in place of the real password. Refused before any request (exit 2)."""
    result = msgsvc(*args, option, value)
    command = " ".join(args[:2])
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"Usage: msgsvc {command} [OPTIONS]{' SERVICE' if args[1] == 'update' else ''}\n"
                          f"msgsvc: Invalid value for '{option}': {value!r} has *** for its password, which is how "
                          "msgsvc shows every password, not the password itself: give the real one\n"
                          f"hint: see 'msgsvc {command} --help'\n")
    assert httpserver.log == []


def test_a_url_whose_password_only_holds_stars_is_taken(msgsvc, httpserver, profile):
    """Only the mask itself is refused: a password of four stars, or one with stars in it, is a password."""
    from conftest import SERVICE_SID, page, service

    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()]))
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    result = msgsvc("services", "update", "Alerts", "--status-callback", "https://u:****@hooks.example.com/s")
    assert result.code == 0, result.err
    assert [r.form["StatusCallback"] for r, _ in httpserver.log if r.method == "POST"] == ["https://u:****@hooks.example.com/s"]
