"""`msgsvc whoami` says which account a command would touch and checks it with one read;
Twilio's environment variables winning over the active profile are said once by every command
that changes the account, and by `profiles use`."""

from __future__ import annotations

import json

from conftest import ACCOUNT_SID, SERVICE_SID, base_url_of, page, service
from corehelp import sent

ENV_SID = "AC" + "e" * 32
ENV_TOKEN = "env-token-0123456789abcdef"
OVERRIDE = (f"msgsvc: warning: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set: account {ENV_SID} from the "
            "environment is used, not the active profile 'test'\nhint: unset them to use the profile, or choose it: --profile test\n")


def test_whoami_of_the_active_profile_checks_with_one_read(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=1").respond_with_json(page("services", []))
    result = msgsvc("whoami")
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        f"account_sid\t{ACCOUNT_SID}\ncredentials\tprofile 'test' (active profile; secret in the config file)\n"
        f"auth\tauth token\nbase_url\t{base_url_of(httpserver)}\nbase_url_source\tfile profile 'test'\n"
        "region\tus1 (default)\ncheck\tok (one read answered)\n")
    assert [(r.method, r.path, r.query_string) for r in sent(httpserver)] == [("GET", "/v1/Services", b"PageSize=1")]


def test_whoami_says_the_environment_wins_over_the_active_profile(msgsvc, profile, httpserver, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ENV_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", ENV_TOKEN)
    monkeypatch.setenv("MSGSVC_BASE_URL", base_url_of(httpserver))
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", []))
    result = msgsvc("whoami", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "account_sid": ENV_SID, "credentials": "environment (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)", "auth": "auth token",
        "base_url": base_url_of(httpserver), "base_url_source": "env MSGSVC_BASE_URL", "region": "us1 (default)",
        "edge": None, "overrides": "active profile 'test'", "check": "ok (one read answered)"}


def test_whoami_with_refused_credentials_exits_4_naming_the_account(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(
        {"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}, status=401)
    result = msgsvc("whoami")
    assert (result.code, result.out) == (4, "")
    assert result.err.startswith(f"msgsvc: Twilio refused the credentials of profile 'test' (active profile; secret in the "
                                 f"config file) for account {ACCOUNT_SID}: HTTP 401")


def test_whoami_no_check_sends_nothing(msgsvc, profile, httpserver):
    result = msgsvc("whoami", "--no-check")
    assert result.code == 0, result.err
    assert "check\tnot checked (--no-check)\n" in result.out
    assert sent(httpserver) == []


def test_a_change_under_overriding_variables_is_said_once(msgsvc, profile, httpserver, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ENV_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", ENV_TOKEN)
    monkeypatch.setenv("MSGSVC_BASE_URL", base_url_of(httpserver))
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    for _ in range(2):
        result = msgsvc("services", "update", SERVICE_SID, "--friendly-name", "X")
        assert result.code == 0, result.err
        assert result.err.count("warning: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set") == 1
        assert result.err.startswith(OVERRIDE)
    assert [r.authorization.username for r in sent(httpserver)] == [ENV_SID, ENV_SID]


def test_a_read_under_overriding_variables_says_nothing(msgsvc, profile, httpserver, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ENV_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", ENV_TOKEN)
    monkeypatch.setenv("MSGSVC_BASE_URL", base_url_of(httpserver))
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    result = msgsvc("services", "get", SERVICE_SID)
    assert (result.code, result.err) == (0, "")


def test_profiles_use_warns_that_the_environment_still_wins(msgsvc, profile, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ENV_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", ENV_TOKEN)
    result = msgsvc("profiles", "use", "test")
    assert (result.code, result.out) == (0, "")
    assert result.err == "Active profile: test\n" + OVERRIDE


def test_the_override_warning_quotes_the_profiles_name_for_a_shell(msgsvc, httpserver, monkeypatch):
    from factories import save_profile

    save_profile(base_url_of(httpserver), name="my staging")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ENV_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", ENV_TOKEN)
    result = msgsvc("profiles", "use", "my staging")
    assert (result.code, result.out) == (0, "")
    assert result.err == ("Active profile: my staging\n" + OVERRIDE.replace("'test'", "'my staging'")
                          .replace("--profile test", "--profile 'my staging'"))
