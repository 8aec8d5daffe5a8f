"""--debug / MSGSVC_DEBUG=1 show every request, response and retry on stderr; no secret
ever appears in any output, in any mode."""

from __future__ import annotations

import base64
import json
import re

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, BASIC_AUTH, SERVICE_SID, base_url_of, page, run_installed, service
from faults import DROP, Respond, clock, fault_server  # noqa: F401 (fixtures)
from factories import save_profile
from test_retries import TOO_MANY

SECRETS = (AUTH_TOKEN, BASIC_AUTH.split()[1], base64.b64encode(AUTH_TOKEN.encode()).decode())


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_debug_shows_request_response_and_form(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services", method="GET").respond_with_json(page("services", []))
    httpserver.expect_request("/v1/Services", method="POST").respond_with_json(service(), status=201)
    base = base_url_of(httpserver)

    result = msgsvc("--debug", "services", "create", "--friendly-name", "Alerts", "--sticky-sender", "--json")

    assert result.code == 0
    assert json.loads(result.out) == service()
    lines = result.err.splitlines()
    # The services are listed first: the name must be free.
    assert lines[0] == f"debug: request: GET {base}/v1/Services?PageSize=1000 (Authorization: Basic {ACCOUNT_SID}:***)"
    assert re.fullmatch(rf"debug: response: GET {re.escape(base)}/v1/Services\?PageSize=1000 -> HTTP 200 in \d+ ms",
                        lines[1])
    assert lines[2] == (
        f"debug: request: POST {base}/v1/Services form={{'FriendlyName': 'Alerts', 'StickySender': 'true'}} "
        f"(Authorization: Basic {ACCOUNT_SID}:***)"
    )
    assert re.fullmatch(rf"debug: response: POST {re.escape(base)}/v1/Services -> HTTP 201 in \d+ ms", lines[3])
    assert len(lines) == 4
    assert_no_secret(result.out + result.err)


def test_msgsvc_debug_environment_variable(msgsvc, profile, httpserver, monkeypatch):
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", []))
    monkeypatch.setenv("MSGSVC_DEBUG", "1")
    result = msgsvc("services", "list")
    assert result.code == 0
    assert result.err.startswith(f"debug: request: GET {base_url_of(httpserver)}/v1/Services?PageSize=50 (Authorization: Basic {ACCOUNT_SID}:***)\n")
    assert "debug: response: GET" in result.err


def test_no_debug_output_without_debug(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", []))
    assert msgsvc("--debug", "services", "list").err != ""
    result = msgsvc("services", "list")  # the previous in-process run left nothing behind
    assert (result.code, result.out, result.err) == (0, "", "")


def test_debug_logs_every_retry_decision(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("POST", "/v1/Services", Respond(429, json=TOO_MANY, headers={"Retry-After": "3"}), Respond(201, json=service()))
    fault_server.script("GET", "/v1/Services", Respond(200, json=page("services", [])),  # create: is the name free?
                        DROP, Respond(200, json=page("services", [])))

    create = msgsvc("--debug", "services", "create", "--friendly-name", "Alerts")
    listing = msgsvc("--debug", "services", "list")

    assert create.code == 0 and listing.code == 0
    assert "debug: retry: POST /v1/Services after HTTP 429; waiting 3.00 s (3 retries left)\n" in create.err
    assert re.search(r"debug: retry: GET /v1/Services\?PageSize=50 after ProtocolError; waiting \d\.\d\d s \(3 retries left\)\n", listing.err)
    assert_no_secret(create.err + listing.err)


def test_a_secret_echoed_by_the_server_is_masked(msgsvc, profile, httpserver):
    """Even if the server repeats the token, neither the error line nor the debug log shows it."""
    httpserver.expect_request("/v1/Services").respond_with_json(
        {"code": 20003, "message": f"Authenticate: bad token {AUTH_TOKEN}", "status": 401}, status=401
    )
    for args in (["services", "create", "--friendly-name", "Alerts"], ["--debug", "services", "create", "--friendly-name", "Alerts"]):
        result = msgsvc(*args)
        assert result.code == 4
        assert "msgsvc: HTTP 401 (Twilio error 20003): Authenticate: bad token ***\n" in result.err
        assert_no_secret(result.out + result.err)


def test_unexpected_error_with_debug_prints_the_traceback_without_secrets(msgsvc, profile, httpserver, monkeypatch):
    from msgsvc.api import client

    def broken(*args, **kwargs):
        raise RuntimeError(f"boom {AUTH_TOKEN}")

    monkeypatch.setattr(client.Client, "list_services", broken)
    result = msgsvc("services", "list")
    assert result.code == 1
    assert result.err == (
        "msgsvc: unexpected error: RuntimeError: boom ***\n"
        "hint: run again with --debug (or MSGSVC_DEBUG=1) to see the details\n"
    )
    result = msgsvc("--debug", "services", "list")
    assert result.code == 1
    assert "Traceback (most recent call last):" in result.err and "RuntimeError: boom ***\n" in result.err
    assert result.err.endswith("msgsvc: unexpected error: RuntimeError: boom ***\n")
    assert_no_secret(result.out + result.err)


@pytest.mark.parametrize("where", ["profile", "environment"])
def test_a_secret_given_where_a_value_goes_is_masked_in_the_usage_error(msgsvc, profile, monkeypatch, where):
    # A script's slip (--limit "$TWILIO_AUTH_TOKEN"): the usage error comes before the
    # credentials are read, yet it is output a CI log keeps.
    secret = AUTH_TOKEN if where == "profile" else "env-secret-0123456789"
    if where == "environment":
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", secret)
    result = msgsvc("services", "list", "--limit", secret)
    assert result.code == 2
    assert result.err == ("Usage: msgsvc services list [OPTIONS]\n"
                          "msgsvc: Invalid value for '--limit' / '-n': '***' is not a valid int range\n"
                          "hint: see 'msgsvc services list --help'\n")
    for code, args in ((2, ("services", "list", "--fields", secret)), (4, ("--profile", secret, "services", "list")),
                       (2, ("numbers", "attach", SERVICE_SID, secret)), (2, ("services", "list", "--jq", secret))):
        result = msgsvc(*args)
        assert result.code == code and "***" in result.err, args
        assert secret not in result.err, args


# --- a whole session with --debug, through the installed program ----------------------------


class FakeTwilio:
    """Just enough of the Services API, with state, to run a session against."""

    def __init__(self) -> None:
        self.services: dict[str, dict] = {}
        self.authorizations: set[str] = set()

    def handle(self, request):
        from werkzeug import Response

        self.authorizations.add(request.headers.get("Authorization", ""))
        parts = request.path.strip("/").split("/")
        sid = parts[2] if len(parts) > 2 else None
        if request.method == "GET" and sid is None:
            return Response(json.dumps(page("services", list(self.services.values()))), content_type="application/json")
        if request.method == "POST" and sid is None:
            new = service("MG%032x" % (len(self.services) + 1), request.form["FriendlyName"])
            self.services[new["sid"]] = new
            return Response(json.dumps(new), status=201, content_type="application/json")
        if sid not in self.services:
            return Response(json.dumps({"code": 20404, "message": "not found", "status": 404}), status=404, content_type="application/json")
        if request.method == "GET":
            return Response(json.dumps(self.services[sid]), content_type="application/json")
        if request.method == "POST":
            self.services[sid]["validity_period"] = int(request.form.get("ValidityPeriod", 0))
            return Response(json.dumps(self.services[sid]), content_type="application/json")
        del self.services[sid]
        return Response("", status=204)


# One step per line: (arguments, expected exit code). "{base}" is the local server.
SESSION = [
    (["profiles", "add", "session", "--account-sid", ACCOUNT_SID, "--base-url", "{base}"], 0),
    (["profiles", "list"], 0),
    (["profiles", "use", "session"], 0),
    (["profiles", "show"], 0),
    (["profiles", "show", "--json"], 0),
    (["services", "create", "--friendly-name", "Session"], 0),
    (["services", "create", "--friendly-name", "Session", "--dry-run"], 2),  # the name is taken now
    (["services", "create", "--friendly-name", "Session", "--allow-duplicate-name", "--dry-run"], 0),
    (["services", "list"], 0),
    (["services", "list", "--json"], 0),
    (["services", "get", "Session"], 0),
    (["services", "update", "Session", "--validity-period", "600"], 0),
    (["services", "update", "Session", "--validity-period", "60", "--dry-run", "--json"], 0),
    (["services", "delete", "Session", "--dry-run"], 0),
    (["services", "delete", "Session", "--yes"], 0),
    (["services", "get", "Session"], 3),
    (["services", "update", "Missing", "--validity-period", "5"], 3),
    (["profiles", "remove", "session", "--yes"], 0),
]


def test_a_whole_session_with_debug_never_prints_the_secret(httpserver):
    fake = FakeTwilio()
    httpserver.expect_request(re.compile(r"^/v1/Services")).respond_with_handler(fake.handle)
    base = base_url_of(httpserver)
    printed = []
    for number, (args, code) in enumerate(SESSION):
        args = [arg.replace("{base}", base) for arg in args]
        # Every other step turns debug on through the environment instead of the flag.
        argv, env = (["--debug", *args], {}) if number % 2 == 0 else (args, {"MSGSVC_DEBUG": "1"})
        proc = run_installed(*argv, env=env, input=AUTH_TOKEN + "\n" if args[:2] == ["profiles", "add"] else None)
        assert proc.returncode == code, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        printed.append(proc.stdout + proc.stderr)
    everything = "".join(printed)

    assert fake.authorizations == {BASIC_AUTH}  # the secret was in use all along...
    assert everything.count("debug: request:") >= 10  # ...debug was on...
    for secret in SECRETS:  # ...and it never appeared
        assert everything.count(secret) == 0
    assert fake.services == {}
