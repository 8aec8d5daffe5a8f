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


@pytest.mark.parametrize("out", [None, "-", "services.toml"])
def test_export_of_a_field_holding_this_runs_auth_token_writes_nothing(msgsvc, emu, tmp_path, out):
    """A webhook with the run's auth token in it (`?token=...`, where *** would not mean "the
    account's password" and would be sent as it is): the export is refused as a saved plan is,
    nothing is written, and the file that was there is kept. The token is in no output."""
    create(emu, "Hooks", StatusCallback=f"https://hooks.example.com/sms?token={emu.auth_token}")
    target = tmp_path / "services.toml"
    target.write_text("kept\n")
    args = ("export",) if out is None else ("export", "-o", str(target) if out != "-" else out)
    result = msgsvc(*args)
    assert (result.code, result.out) == (2, "")
    assert result.err == ('msgsvc: the export holds this run\'s auth token or secret (service "Hooks", status_callback, '
                          'read from the account, has it) and is not written: an exported file never holds a secret\n'
                          "hint: nothing was written; take the secret out of that field ('msgsvc services get Hooks' "
                          "shows it, masked as ***)\n")
    assert target.read_text() == "kept\n"


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
