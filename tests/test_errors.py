"""Every error class of issue 2: its exit code and its exact message on stderr, nothing on
stdout, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID, page, run_installed, service
from corehelp import refusing_port, sent, silent_port
from faults import HANG, Respond, fault_server  # noqa: F401 (fixture)

from msgsvc.local import config


def twilio_error(status: int, code: int, message: str) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


def use_base_url(url: str, **extra) -> None:
    """Point the test profile somewhere else (a closed or silent port)."""
    data = config.read_config()
    data["profiles"]["test"].update(base_url=url, **extra)
    config.write_config(data)


def test_a_twilio_error_body_shows_code_message_and_more_info(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(
        twilio_error(400, 21701, "The Messaging Service does not exist"), status=400)
    result = msgsvc("services", "update", SERVICE_SID, "--usecase", "poll")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "msgsvc: HTTP 400 (Twilio error 21701): The Messaging Service does not exist "
        "(see https://www.twilio.com/docs/errors/21701)\n"
    )


def test_a_twilio_error_without_code_or_more_info(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services", method="GET").respond_with_json(page("services", []))
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(
        {"message": "Something is wrong", "status": 400}, status=400)
    result = msgsvc("services", "create", "--friendly-name", "A")
    assert (result.code, result.err) == (1, "msgsvc: HTTP 400: Something is wrong\n")


def test_401_is_exit_4_with_a_hint(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(twilio_error(401, 20003, "Authenticate"), status=401)
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: HTTP 401 (Twilio error 20003): Authenticate (see https://www.twilio.com/docs/errors/20003)\n"
        "hint: the credentials were refused: check them with 'msgsvc profiles test'\n"
    )
    assert AUTH_TOKEN not in result.err


def test_403_is_exit_4_with_a_hint(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(twilio_error(403, 20403, "Forbidden"), status=403)
    result = msgsvc("services", "get", SERVICE_SID)
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: HTTP 403 (Twilio error 20403): Forbidden (see https://www.twilio.com/docs/errors/20403)\n"
        "hint: the credentials are valid but not allowed to do this (account suspended, or a restricted API key)\n"
    )


@pytest.mark.parametrize("command", [["get", SERVICE_SID], ["delete", SERVICE_SID, "--yes"], ["update", SERVICE_SID, "--usecase", "poll"]])
def test_404_is_exit_3(msgsvc, profile, httpserver, command):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(
        twilio_error(404, 20404, f"The requested resource /Services/{SERVICE_SID} was not found"), status=404)
    result = msgsvc("services", *command)
    assert (result.code, result.out) == (3, "")
    assert result.err == (
        f"msgsvc: HTTP 404 (Twilio error 20404): The requested resource /Services/{SERVICE_SID} was not found "
        "(see https://www.twilio.com/docs/errors/20404)\n"
    )
    assert len(sent(httpserver)) == 1  # delete: no DELETE after the failed fetch


def test_an_html_502_page_keeps_the_status_and_a_short_excerpt(msgsvc, profile, httpserver):
    html = "<html><head><title>502 Bad Gateway</title></head><body>" + "<p>nginx</p>" * 500 + "</body></html>"
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_data(html, status=502, content_type="text/html")
    result = msgsvc("services", "get", SERVICE_SID)
    assert (result.code, result.out) == (1, "")
    assert result.err == "msgsvc: HTTP 502: BAD GATEWAY: 502 Bad Gateway\n"


def test_a_non_json_error_without_title_is_cut_short(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_data("oops " * 100, status=500, content_type="text/plain")
    result = msgsvc("services", "list")
    assert result.code == 1
    message = result.err.removeprefix("msgsvc: HTTP 500: INTERNAL SERVER ERROR: ").rstrip("\n")
    assert message == ("oops " * 32).strip()[:160] + "…"
    assert result.err.count("\n") == 1


def test_a_success_that_is_not_json(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_data("<html>hello</html>", status=200)
    result = msgsvc("services", "get", SERVICE_SID)
    assert result.code == 1
    assert result.err.startswith(f"msgsvc: GET http://localhost:{httpserver.port}/v1/Services/{SERVICE_SID} answered HTTP 200 with something that is not JSON")


def test_a_refused_connection_names_the_host(msgsvc, profile):
    with refusing_port() as port:
        use_base_url(f"http://127.0.0.1:{port}")
        result = msgsvc("services", "list")
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"msgsvc: cannot connect to 127.0.0.1:{port} (connection refused) (the URL is from base_url of profile 'test')\n"
                          f"hint: is the emulator running on 127.0.0.1:{port}? start it with: msgsvc emulator --port {port}\n")


def test_a_refused_connection_on_create_is_not_outcome_unknown(msgsvc, profile):
    with refusing_port() as port:
        use_base_url(f"http://127.0.0.1:{port}")
        result = msgsvc("services", "create", "--friendly-name", "A")
    assert result.code == 1
    assert result.err.startswith(f"msgsvc: cannot connect to 127.0.0.1:{port} (connection refused) (the URL is from base_url of profile 'test')\n")


@pytest.mark.parametrize("retries", ["0", "1"])
def test_a_read_timeout_names_the_host(msgsvc, profile, retries):
    with silent_port() as port:
        use_base_url(f"http://127.0.0.1:{port}")
        result = msgsvc("--timeout", "0.2", "--max-retries", retries, "services", "get", SERVICE_SID)
    assert (result.code, result.out) == (1, "")
    assert result.err == f"msgsvc: 127.0.0.1:{port} did not answer in time\nhint: raise --timeout, or try again later\n"


def test_a_timeout_after_a_post_says_the_outcome_is_unknown(msgsvc, profile, fault_server):
    # The services are listed (the name is free); the POST and the look for it go unanswered.
    fault_server.script("GET", "/v1/Services", Respond(200, json=page("services", [])), HANG)
    fault_server.script("POST", "/v1/Services", HANG)
    port = fault_server.httpd.server_address[1]
    use_base_url(fault_server.url, timeout=0.2)
    result = msgsvc("services", "create", "--friendly-name", "A")
    assert [(r.method, r.path) for r in fault_server.seen()] == [("GET", "/v1/Services"), ("POST", "/v1/Services"),
                                                                ("GET", "/v1/Services")]
    assert result.code == 1
    assert result.err == (
        f"msgsvc: 127.0.0.1:{port} did not answer in time after the request was sent: "
        f"POST http://127.0.0.1:{port}/v1/Services may or may not have taken effect; "
        f"checking failed too: 127.0.0.1:{port} did not answer in time\n"
        "hint: the service may or may not have been created; check before creating it again: "
        "msgsvc services list --all, and look for the friendly name 'A'\n"
    )


def test_no_credentials_is_exit_4_with_the_hint(msgsvc, httpserver):
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: no credentials: no profile is set up and TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN "
        "(or TWILIO_API_KEY and TWILIO_API_SECRET) are not set\n"
        "hint: run: msgsvc profiles add NAME --account-sid AC...\n"
    )
    assert sent(httpserver) == []


def test_half_the_environment_credentials_is_no_credentials(msgsvc, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_API_KEY", "SK" + "1" * 32)  # and no secret
    result = msgsvc("services", "list")
    assert result.code == 4
    warning, hint, error, _ = result.err.split("\n", 3)
    assert warning == ("msgsvc: warning: TWILIO_ACCOUNT_SID and TWILIO_API_KEY are set without the rest of a credential "
                       "(TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or with TWILIO_API_KEY and TWILIO_API_SECRET): "
                       "Twilio's variables were ignored, and no profile is active")
    assert hint == "hint: set the missing variable, or unset these"
    assert error.startswith("msgsvc: no credentials:")


@pytest.mark.parametrize("variable", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_half_the_environment_credentials_warns_which_profile_was_used(msgsvc, profile, httpserver, monkeypatch, variable):
    monkeypatch.setenv(variable, ACCOUNT_SID if variable == "TWILIO_ACCOUNT_SID" else "a-token-123")
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", []))
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (0, "")
    assert result.err == (
        f"msgsvc: warning: {variable} is set without the rest of a credential (TWILIO_ACCOUNT_SID with "
        "TWILIO_AUTH_TOKEN, or with TWILIO_API_KEY and TWILIO_API_SECRET): Twilio's variables were ignored, "
        "using profile 'test' instead\n"
        "hint: set the missing variable, or unset these\n"
    )
    assert len(httpserver.log) == 1
    assert msgsvc("-p", "test", "services", "list").err == ""  # a profile asked for: nothing was ignored


def test_profiles_but_none_active(msgsvc, profile):
    msgsvc("profiles", "remove", "test", "--yes")
    config.write_config({"profiles": {"a": {"account_sid": ACCOUNT_SID, "auth_token": "x"}}})
    result = msgsvc("services", "list")
    assert result.code == 4
    assert result.err == (
        "msgsvc: no credentials: no profile is active and TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN "
        "(or TWILIO_API_KEY and TWILIO_API_SECRET) are not set\n"
        "hint: choose one with: msgsvc profiles use NAME (profiles: a)\n"
    )


def test_an_unknown_profile_from_the_flag(msgsvc, profile, httpserver):
    result = msgsvc("services", "list", "--profile", "nope")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: there is no profile named 'nope' (from flag --profile)\n"
        "hint: profiles: test; add one with: msgsvc profiles add nope --account-sid AC...\n"
    )
    assert sent(httpserver) == []


def test_an_unknown_profiles_hint_quotes_its_name_for_a_shell(msgsvc, profile, httpserver):
    result = msgsvc("services", "list", "--profile", "my staging")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: there is no profile named 'my staging' (from flag --profile)\n"
        "hint: profiles: test; add one with: msgsvc profiles add 'my staging' --account-sid AC...\n"
    )
    assert sent(httpserver) == []


def test_a_profile_without_credentials_is_named_quoted_in_its_hint(msgsvc, isolated):
    from msgsvc.local import config

    config.write_config({"active": "my staging", "profiles": {"my staging": {"account_sid": "AC" + "a" * 32}}})
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: profile 'my staging' has no complete credentials\n"
        "hint: add them again: msgsvc profiles add 'my staging' --force --account-sid AC...\n"
    )


def test_an_unknown_profile_from_the_environment(msgsvc, profile, monkeypatch):
    monkeypatch.setenv("MSGSVC_PROFILE", "staging")
    result = msgsvc("services", "list")
    assert result.code == 4
    assert result.err.startswith("msgsvc: there is no profile named 'staging' (from env MSGSVC_PROFILE)\n")


def test_an_unreadable_config_file_is_reported_and_kept(msgsvc, isolated):
    path = isolated / "config" / "config.toml"
    path.parent.mkdir(mode=0o700)
    path.write_text("active = [broken\n")
    path.chmod(0o600)
    result = msgsvc("services", "list")
    assert result.code == 2
    assert result.err.startswith(f"msgsvc: {path} is not valid TOML: ")
    assert "hint: fix the file by hand, or move it away" in result.err
    assert path.read_text() == "active = [broken\n"


def test_an_unexpected_error_is_one_line_with_the_way_to_see_more(msgsvc, profile, monkeypatch):
    from msgsvc.api import client

    def broken(self, sid):
        raise RuntimeError("a bug")

    monkeypatch.setattr(client.Client, "get_service", broken)
    result = msgsvc("services", "get", SERVICE_SID)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "msgsvc: unexpected error: RuntimeError: a bug\n"
        "hint: run again with --debug (or MSGSVC_DEBUG=1) to see the details\n"
    )


def test_errors_installed_in_a_subprocess(profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(
        twilio_error(404, 20404, "Not found"), status=404)
    proc = run_installed("services", "get", SERVICE_SID)
    assert (proc.returncode, proc.stdout) == (3, "")
    assert proc.stderr == "msgsvc: HTTP 404 (Twilio error 20404): Not found (see https://www.twilio.com/docs/errors/20404)\n"
    nothing = run_installed("services", "list", env={"MSGSVC_CONFIG_DIR": str(profile and "/nonexistent/msgsvc-test")})
    assert nothing.returncode == 4
    assert "Traceback" not in nothing.stderr


def test_a_reader_that_goes_away_is_exit_141_and_silent(profile, httpserver):
    """msgsvc ... | head: typer catches EPIPE itself and would exit 1; we exit 141, quietly.
    The JSON (about 2 MB) is larger than any pipe buffer, so writing it must fail."""
    import subprocess

    from conftest import MSGSVC, page

    services = [service(f"MG{n:032x}", f"Service {n}") for n in range(2000)]
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", services))
    child = subprocess.Popen([MSGSVC, "services", "list", "--all", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.read(1) == b"["
    child.stdout.close()
    assert child.wait(timeout=60) == 141
    assert child.stderr.read() == b""
    child.stderr.close()


def test_ctrl_c_is_exit_130_without_a_traceback(msgsvc, profile, monkeypatch):
    from msgsvc.api import client

    def interrupted(self, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(client.Client, "list_services", interrupted)
    result = msgsvc("services", "list")
    # typer turns KeyboardInterrupt into a silent exit 130; the user is still told why
    assert (result.code, result.out, result.err) == (130, "", "\nmsgsvc: interrupted\n")


def test_a_group_alone_prints_its_help_on_stdout_and_exits_0(msgsvc):
    """`msgsvc`, `msgsvc services`, every group alone: help asked by omission, the same help as
    --help, on stdout, exit 0 (as gh and kubectl do)."""
    from conftest import command_tree

    groups = [[]] + [path for path, command in command_tree(include_groups=True) if hasattr(command, "list_commands")]
    assert ["services"] in groups and ["numbers"] in groups and len(groups) > 10
    for path in groups:
        alone, asked = msgsvc(*path), msgsvc(*path, "--help")
        assert (alone.code, alone.err) == (0, ""), path
        assert alone.out == asked.out and alone.out.startswith(f"Usage: {' '.join(['msgsvc', *path])} [OPTIONS] COMMAND"), path


def test_a_wrong_command_in_a_group_is_still_a_usage_error(msgsvc):
    result = msgsvc("services", "bogus")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("Usage: msgsvc services [OPTIONS] COMMAND [ARGS]...\nmsgsvc: No such command 'bogus'.\n"
                          "hint: see 'msgsvc services --help'\n")


def test_the_installed_msgsvc_alone_prints_its_help_and_exits_0():
    from conftest import run_installed

    alone = run_installed()
    assert (alone.returncode, alone.stderr) == (0, "")
    assert alone.stdout.startswith("Usage: msgsvc [OPTIONS] COMMAND [ARGS]...\n")
