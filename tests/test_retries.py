"""Retries that never duplicate, and timeouts: each fault with its exit code, its message and
the exact number of requests the server saw. Waits are recorded by a fake clock, not slept."""

from __future__ import annotations

import email.utils
import json
import re
import time

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, OTHER_SID, SERVICE_SID, page, run_installed, service
from factories import save_profile
from faults import DROP, HANG, BreakOff, Respond, clock, fault_server  # noqa: F401 (fixtures)

SID3 = "MG" + "c" * 32
TOO_MANY = {"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}
UNAVAILABLE = Respond(503, body="<html><head><title>503 Service Unavailable</title></head></html>", headers={"Content-Type": "text/html"})
# The look for a lost create against a server that answers nothing to it: the outcome stays unknown.
CHECK_UNDECIDED = "; checking failed too: nothing scripted for GET /v1/Services?PageSize=1000\n"
CREATE_UNKNOWN_HINT = (
    "hint: the service may or may not have been created; check before creating it again: "
    "msgsvc services list --all, and look for the friendly name 'Alerts'\n"
)


# The listing `services create` reads first: no service has the name yet.
NAME_FREE = Respond(200, json=page("services", []))


def created(**extra) -> Respond:
    return Respond(201, json=service(**extra))


# --- 429 and 503: retried for every method, POST included ----------------------------------


def test_429_on_create_is_retried_after_retry_after_seconds(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", NAME_FREE)
    fault_server.script("POST", "/v1/Services", Respond(429, json=TOO_MANY, headers={"Retry-After": "7"}), created())

    result = msgsvc("services", "create", "--friendly-name", "Alerts", "--json")

    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == service()
    assert [r.form for r in fault_server.seen("POST")] == [[("FriendlyName", "Alerts")]] * 2
    assert len(fault_server.seen()) == 3
    assert clock.sleeps == [7]  # Retry-After honoured exactly, not the backoff


def test_429_retry_after_as_an_http_date(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    fault_server.script("GET", "/v1/Services", Respond(429, json=TOO_MANY, headers={"Retry-After": when}), Respond(200, json=page("services", [service()])))

    result = msgsvc("services", "list")

    assert (result.code, result.err) == (0, "")
    assert result.out.startswith(SERVICE_SID + "\t")
    assert len(fault_server.seen("GET")) == 2
    assert len(clock.sleeps) == 1 and 17 <= clock.sleeps[0] <= 20


def test_429_retry_after_is_capped(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", Respond(429, json=TOO_MANY, headers={"Retry-After": "86400"}), Respond(200, json=page("services", [])))
    assert msgsvc("services", "list").code == 0
    assert clock.sleeps == [120]


def test_429_until_retries_run_out(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", NAME_FREE)
    fault_server.script("POST", "/v1/Services", *[Respond(429, json=TOO_MANY, headers={"Retry-After": "0"})] * 3)

    result = msgsvc("--max-retries", "2", "services", "create", "--friendly-name", "Alerts")

    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "msgsvc: HTTP 429 (Twilio error 20429): Too Many Requests (see https://www.twilio.com/docs/errors/20429)\n"
        "hint: Twilio is rate-limiting this account; try again later or raise --max-retries\n"
    )
    assert len(fault_server.seen("POST")) == 3


def test_503_with_retry_after_is_retried_for_get(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", Respond(503, body="", headers={"Retry-After": "4"}),
                        Respond(200, json=page("services", [])))
    result = msgsvc("services", "list", "--json")
    assert (result.code, result.out, result.err) == (0, "[]\n", "")
    assert len(fault_server.seen("GET")) == 2
    assert clock.sleeps == [4]


def test_503_without_retry_after_backs_off_exponentially_with_jitter(msgsvc, fault_server, clock):
    save_profile(fault_server.url, max_retries=3)
    fault_server.script("GET", "/v1/Services", UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, Respond(200, json=page("services", [])))

    result = msgsvc("services", "list")

    assert result.code == 0, result.err
    assert len(fault_server.seen("GET")) == 4
    first, second, third = clock.sleeps
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 1.5 and 2.0 <= third <= 2.5


def test_a_post_answered_503_is_never_sent_again(msgsvc, fault_server, clock):
    """A gateway may answer 503 after Twilio processed the POST: not retried (issue 20)."""
    save_profile(fault_server.url, max_retries=3)
    fault_server.script("POST", "/v1/Services", Respond(503, body="", headers={"Retry-After": "1"}))
    fault_server.script("GET", "/v1/Services", NAME_FREE, Respond(200, json=page("services", [])))  # then the check
    result = msgsvc("services", "create", "--friendly-name", "Alerts")
    assert result.code == 1
    assert result.err.endswith("; checked: it was not made\nhint: nothing was created: the same command may be run again\n")
    assert len(fault_server.seen("POST")) == 1 and clock.sleeps == []


def test_503_until_retries_run_out_reports_the_html_title(msgsvc, fault_server, clock):
    save_profile(fault_server.url, max_retries=1)
    fault_server.script("GET", "/v1/Services", UNAVAILABLE, UNAVAILABLE)

    result = msgsvc("services", "list")

    assert (result.code, result.out) == (1, "")
    assert result.err == "msgsvc: HTTP 503: Service Unavailable: 503 Service Unavailable\n"
    assert len(fault_server.seen()) == 2


# --- 500, 502, 504: retried for GET and DELETE, never for POST -----------------------------


@pytest.mark.parametrize("status", [500, 502, 504])
def test_5xx_on_get_is_retried(msgsvc, fault_server, clock, status):
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", Respond(status, json={"message": "oops", "status": status}), Respond(200, json=page("services", [service()])))

    result = msgsvc("services", "list")

    assert (result.code, result.err) == (0, "")
    assert len(fault_server.seen("GET")) == 2


@pytest.mark.parametrize("status", [500, 502, 504])
def test_5xx_on_create_is_never_sent_twice(msgsvc, fault_server, clock, status):
    save_profile(fault_server.url)
    fault_server.script("POST", "/v1/Services", Respond(status, json={"message": "gateway trouble", "status": status}), created())
    fault_server.script("GET", "/v1/Services", NAME_FREE, Respond(200, json=page("services", [])))  # the check: not created

    result = msgsvc("services", "create", "--friendly-name", "Alerts")

    assert (result.code, result.out) == (1, "")
    assert result.err == (f"msgsvc: POST {fault_server.url}/v1/Services answered HTTP {status} (gateway trouble): it may "
                          "or may not have taken effect; checked: it was not made\n"
                          "hint: nothing was created: the same command may be run again\n")
    assert len(fault_server.seen("POST")) == 1
    assert clock.sleeps == []


def test_502_on_update_is_not_retried_and_says_how_to_check(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("POST", f"/v1/Services/{SERVICE_SID}", Respond(502, body="Bad Gateway", headers={"Content-Type": "text/plain"}))

    result = msgsvc("services", "update", SERVICE_SID, "--validity-period", "600")

    assert result.code == 1
    assert result.err == (
        "msgsvc: HTTP 502: Bad Gateway: Bad Gateway\n"
        f"hint: the change may or may not have been made; check with: msgsvc services get {SERVICE_SID}\n"
    )
    assert len(fault_server.seen("POST")) == 1


def test_502_on_delete_is_retried(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", f"/v1/Services/{SERVICE_SID}", Respond(200, json=service()))
    fault_server.script("DELETE", f"/v1/Services/{SERVICE_SID}", Respond(502, body=""), DROP, Respond(204, body=""))

    result = msgsvc("services", "delete", SERVICE_SID, "--yes")

    assert (result.code, result.out) == (0, "")
    assert result.err == f"Deleted {SERVICE_SID} (Alerts)\n"
    assert len(fault_server.seen("DELETE")) == 3


def test_delete_refused_on_its_retry_is_checked_and_gone_is_deleted(msgsvc, fault_server, clock):
    """The first DELETE may have been done (502); its retry is refused (429, no retries left):
    the service is looked for, and gone means deleted."""
    save_profile(fault_server.url, max_retries=1)
    fault_server.script("GET", f"/v1/Services/{SERVICE_SID}", Respond(200, json=service()),
                        Respond(404, json={"code": 20404, "message": "not found", "status": 404}))
    fault_server.script("DELETE", f"/v1/Services/{SERVICE_SID}", Respond(502, body=""),
                        Respond(429, json=TOO_MANY, headers={"Retry-After": "0"}))
    result = msgsvc("services", "delete", SERVICE_SID, "--yes")
    assert (result.code, result.out) == (0, "")
    assert result.err == (f"Deleted {SERVICE_SID} (Alerts); Too Many Requests; checked: it is gone (an earlier "
                          "attempt was done)\n")
    assert [r.method for r in fault_server.seen()] == ["GET", "DELETE", "DELETE", "GET"]


def test_delete_refused_on_its_retry_and_still_there_is_the_refusal(msgsvc, fault_server, clock):
    save_profile(fault_server.url, max_retries=1)
    fault_server.script("GET", f"/v1/Services/{SERVICE_SID}", Respond(200, json=service()), Respond(200, json=service()))
    fault_server.script("DELETE", f"/v1/Services/{SERVICE_SID}", Respond(502, body=""),
                        Respond(429, json=TOO_MANY, headers={"Retry-After": "0"}))
    result = msgsvc("services", "delete", SERVICE_SID, "--yes")
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith("msgsvc: HTTP 429 (Twilio error 20429): Too Many Requests")
    assert [r.method for r in fault_server.seen()] == ["GET", "DELETE", "DELETE", "GET"]


# --- a connection dropped after the request was sent --------------------------------------


def test_dropped_connection_on_get_is_retried(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", f"/v1/Services/{SERVICE_SID}", DROP, Respond(200, json=service()))

    result = msgsvc("services", "get", SERVICE_SID, "--json")

    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == service()
    assert len(fault_server.seen()) == 2


def test_dropped_connection_on_create_is_never_sent_again(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", NAME_FREE)
    fault_server.script("POST", "/v1/Services", DROP, created())

    result = msgsvc("services", "create", "--friendly-name", "Alerts")

    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: the connection to {fault_server.netloc} was lost after the request was sent: "
        f"POST {fault_server.url}/v1/Services may or may not have taken effect" + CHECK_UNDECIDED + CREATE_UNKNOWN_HINT
    )
    assert len(fault_server.seen("POST")) == 1


def test_dropped_connection_on_create_installed(fault_server):
    """The installed program: one POST, exit 1, and nothing else on stderr (no urllib3 warning)."""
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", NAME_FREE)
    fault_server.script("POST", "/v1/Services", DROP, created())

    proc = run_installed("services", "create", "--friendly-name", "Alerts")

    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        f"msgsvc: the connection to {fault_server.netloc} was lost after the request was sent: "
        f"POST {fault_server.url}/v1/Services may or may not have taken effect" + CHECK_UNDECIDED + CREATE_UNKNOWN_HINT
    )
    assert len(fault_server.seen("POST")) == 1


# --- read timeouts ---------------------------------------------------------------------


def test_create_that_timed_out_is_sent_exactly_once(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", NAME_FREE)
    fault_server.script("POST", "/v1/Services", HANG, created())

    result = msgsvc("--timeout", "0.2", "services", "create", "--friendly-name", "Alerts")

    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: {fault_server.netloc} did not answer in time after the request was sent: "
        f"POST {fault_server.url}/v1/Services may or may not have taken effect" + CHECK_UNDECIDED + CREATE_UNKNOWN_HINT
    )
    assert len(fault_server.seen("POST")) == 1
    assert clock.sleeps == []


def test_get_that_timed_out_is_retried(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", HANG, Respond(200, json=page("services", [service()])))

    result = msgsvc("--timeout", "0.2", "services", "list")

    assert (result.code, result.err) == (0, "")
    assert len(fault_server.seen("GET")) == 2


def test_get_that_keeps_timing_out(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", HANG, HANG)

    result = msgsvc("--timeout", "0.2", "--max-retries", "1", "services", "list")

    assert (result.code, result.out) == (1, "")
    assert result.err == f"msgsvc: {fault_server.netloc} did not answer in time\nhint: raise --timeout, or try again later\n"
    assert len(fault_server.seen("GET")) == 2


def test_profile_timeout_and_max_retries_apply(msgsvc, fault_server, clock):
    save_profile(fault_server.url, timeout=0.2, max_retries=2)
    fault_server.script("GET", "/v1/Services", HANG, HANG, HANG)

    result = msgsvc("services", "list")

    assert result.code == 1
    assert "did not answer in time" in result.err
    assert len(fault_server.seen("GET")) == 3  # the profile's max_retries=2


def test_global_flags_beat_the_profile(msgsvc, fault_server, clock):
    save_profile(fault_server.url, timeout=30, max_retries=4)
    fault_server.script("GET", "/v1/Services", HANG, HANG, HANG)

    result = msgsvc("--timeout", "0.2", "--max-retries", "0", "services", "list")

    assert result.code == 1
    assert len(fault_server.seen("GET")) == 1


def test_environment_max_retries_beats_the_profile(msgsvc, fault_server, clock, monkeypatch):
    save_profile(fault_server.url, max_retries=0)
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "2")
    fault_server.script("GET", "/v1/Services", UNAVAILABLE, UNAVAILABLE, UNAVAILABLE)

    assert msgsvc("services", "list").code == 1
    assert len(fault_server.seen("GET")) == 3


def test_global_options_are_accepted_before_the_command_installed(fault_server):
    save_profile(fault_server.url, max_retries=0)
    fault_server.script("GET", "/v1/Services", Respond(503, body=""), Respond(200, json=page("services", [service()])))

    proc = run_installed("--timeout", "5", "--max-retries", "1", "services", "list", env={"MSGSVC_DEBUG": ""})

    # Real backoff here (one retry, under a second): the flag really reached the adapter.
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith(SERVICE_SID + "\t")
    assert len(fault_server.seen("GET")) == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--timeout", "0", "services", "list"], "Invalid value for '--timeout': 0.0 is not in the range 0.001 to 86400"),
        (["--timeout", "nan", "services", "list"], "Invalid value for '--timeout': nan is not a number of seconds"),
        (["--timeout", "1e300", "services", "list"], "Invalid value for '--timeout': 1e+300 is not in the range 0.001 to 86400"),
        (["--max-retries", "-1", "services", "list"], "Invalid value for '--max-retries': -1 is not in the range 0 to 100"),
    ],
)
def test_bad_timeout_or_retries_flag_is_a_usage_error(msgsvc, fault_server, args, message):
    save_profile(fault_server.url)
    result = msgsvc(*args)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"Usage: msgsvc [OPTIONS] COMMAND [ARGS]...\nmsgsvc: {message}\nhint: see 'msgsvc --help'\n"
    assert fault_server.seen() == []


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"timeout": "soon"}, "timeout from file profile 'test' is not a number: 'soon'"),
        ({"timeout": float("inf")}, "timeout from file profile 'test' must be at most 86400: inf"),
        ({"max_retries": 1000}, "max_retries from file profile 'test' must be at most 100: 1000"),
        ({"region": 5}, "region from file profile 'test' must be a string: 5"),
    ],
)
def test_bad_timeout_or_retries_in_the_profile_is_a_config_error(msgsvc, fault_server, settings, message):
    save_profile(fault_server.url, **settings)
    result = msgsvc("services", "list")
    assert (result.code, result.err) == (2, f"msgsvc: {message}\n")
    assert fault_server.seen() == []


# --- a list interrupted mid-way ------------------------------------------------------------


@pytest.mark.parametrize("fault", [DROP, UNAVAILABLE, Respond(500, json={"message": "boom"})], ids=["dropped", "503", "500"])
def test_list_retries_the_failed_page_only(msgsvc, fault_server, clock, fault):
    save_profile(fault_server.url)
    base = fault_server.url
    page2 = f"{base}/v1/Services?PageSize=1&Page=1&PageToken=PA2"
    page3 = f"{base}/v1/Services?PageSize=1&Page=2&PageToken=PA3"
    fault_server.script(
        "GET", "/v1/Services",
        Respond(200, json=page("services", [service(SERVICE_SID, "One")], page2, 0, 1)),
        fault,
        Respond(200, json=page("services", [service(OTHER_SID, "Two")], page3, 1, 1)),
        Respond(200, json=page("services", [service(SID3, "Three")], None, 2, 1)),
    )

    result = msgsvc("services", "list", "--all", "--page-size", "1", "--json")

    assert (result.code, result.err) == (0, "")
    assert [s["sid"] for s in json.loads(result.out)] == [SERVICE_SID, OTHER_SID, SID3]
    assert [dict(r.query).get("PageToken") for r in fault_server.seen()] == [None, "PA2", "PA2", "PA3"]


def test_list_whose_page_breaks_off_mid_body_retries_that_page(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    page2 = f"{fault_server.url}/v1/Services?PageSize=1&Page=1&PageToken=PA2"
    second = page("services", [service(OTHER_SID, "Two")], None, 1, 1)
    fault_server.script(
        "GET", "/v1/Services",
        Respond(200, json=page("services", [service()], page2, 0, 1)),
        BreakOff(200, second),
        Respond(200, json=second),
    )

    result = msgsvc("--debug", "services", "list", "--all", "--page-size", "1", "--json")

    assert result.code == 0, result.err
    assert [s["sid"] for s in json.loads(result.out)] == [SERVICE_SID, OTHER_SID]
    assert [dict(r.query).get("PageToken") for r in fault_server.seen()] == [None, "PA2", "PA2"]
    assert re.search(rf"debug: retry: GET {re.escape(page2)} after the answer broke off \(\w+\); waiting \d\.\d\d s \(3 retries left\)\n", result.err)


def test_create_whose_answer_breaks_off_is_not_sent_again(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", "/v1/Services", NAME_FREE)
    fault_server.script("POST", "/v1/Services", BreakOff(201, service()), created())

    result = msgsvc("services", "create", "--friendly-name", "Alerts")

    assert (result.code, result.out) == (1, "")
    assert result.err.startswith(f"msgsvc: the connection to {fault_server.netloc} was lost after the request was sent: ")
    assert result.err.endswith(CREATE_UNKNOWN_HINT)
    assert len(fault_server.seen("POST")) == 1


def test_answers_that_stall_mid_body(msgsvc, fault_server, clock):
    save_profile(fault_server.url)
    fault_server.script("GET", f"/v1/Services/{SERVICE_SID}", BreakOff(200, service(), stall=True), Respond(200, json=service()))
    fault_server.script("GET", "/v1/Services", NAME_FREE)
    fault_server.script("POST", "/v1/Services", BreakOff(201, service(), stall=True), created())

    got = msgsvc("--timeout", "0.2", "services", "get", SERVICE_SID, "--json")
    create = msgsvc("--timeout", "0.2", "services", "create", "--friendly-name", "Alerts")

    assert (got.code, got.err) == (0, "")
    assert json.loads(got.out) == service()
    # The create's listing (is the name free?), then its check, last.
    assert [s.path for s in fault_server.seen("GET")] == [f"/v1/Services/{SERVICE_SID}"] * 2 + ["/v1/Services"] * 2
    assert (create.code, create.out) == (1, "")
    assert create.err == (
        f"msgsvc: {fault_server.netloc} did not answer in time after the request was sent: "
        f"POST {fault_server.url}/v1/Services may or may not have taken effect" + CHECK_UNDECIDED + CREATE_UNKNOWN_HINT
    )
    assert len(fault_server.seen("POST")) == 1


def test_list_failing_mid_way_prints_nothing_twice_and_says_so(msgsvc, fault_server, clock):
    save_profile(fault_server.url, max_retries=1)
    page2 = f"{fault_server.url}/v1/Services?PageSize=1&Page=1&PageToken=PA2"
    fault_server.script("GET", "/v1/Services", Respond(200, json=page("services", [service()], page2, 0, 1)), DROP, DROP)

    result = msgsvc("services", "list", "--all", "--page-size", "1")

    assert (result.code, result.out) == (1, "")
    assert result.err == f"msgsvc: the connection to {fault_server.netloc} was lost\n"
    assert [dict(r.query).get("PageToken") for r in fault_server.seen()] == [None, "PA2", "PA2"]


# --- connection refused: nothing was sent, so retried even for POST -------------------------


def test_a_connection_refused_on_loopback_is_retried_once_and_reported(msgsvc, clock):
    """Nothing was sent, so even a POST is retried; but this machine refusing (the emulator not
    running) is retried once, not for --max-retries' whole backoff."""
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from msgsvc.local import config

    config.write_config({"active": "t", "profiles": {"t": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "base_url": f"http://127.0.0.1:{port}", "max_retries": 2}}})

    result = msgsvc("services", "update", SERVICE_SID, "--usecase", "poll")  # a POST, nothing read first

    assert (result.code, result.out) == (1, "")
    assert result.err == (f"msgsvc: cannot connect to 127.0.0.1:{port} (connection refused) (the URL is from base_url of profile 't')\n"
                          f"hint: is the emulator running on 127.0.0.1:{port}? start it with: msgsvc emulator --port {port}\n")
    assert len(clock.sleeps) == 1  # once, though max_retries is 2: nothing comes up here meanwhile


def test_throttle_holds_every_thread_of_a_client(clock):
    from msgsvc.api.retry import Throttle

    throttle = Throttle()
    throttle.hold(5)
    throttle.hold(2)  # a shorter pause never shortens the longer one
    throttle.wait()
    assert clock.sleeps == [5]
    throttle.wait()
    assert clock.sleeps == [5]


@pytest.mark.parametrize("var, value", [
    ("TWILIO_EDGE", "evil.example#"),  # would send the credentials to messaging.evil.example
    ("TWILIO_REGION", "ie1/"),
    ("TWILIO_EDGE", "syd ney"),
])
def test_region_or_edge_that_is_not_a_host_label_is_refused_before_sending(msgsvc, monkeypatch, var, value):
    from urllib3 import PoolManager

    from conftest import ACCOUNT_SID, AUTH_TOKEN

    def sent(*args, **kwargs):
        raise AssertionError("a request was sent")

    monkeypatch.setattr(PoolManager, "urlopen", sent)  # what every request goes through (api/connections.py)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv(var, value)
    result = msgsvc("services", "list")
    setting = var.removeprefix("TWILIO_").lower()
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: {setting} from env {var}: {value!r} is not a region or edge name "
        "(letters, digits and '-')\n"
    )


@pytest.mark.parametrize(("delay", "shown"), [(0.25, "0.2"), (0.5, "0.5"), (0.94, "0.9"), (0.97, "1"), (1.0, "1"), (2.4, "2")])
def test_a_retry_note_rounds_once(delay, shown):
    """0.97 s is "1 s", never "1.0 s": the note is rounded once, then chosen by its size."""
    from msgsvc.api.retry import retry_note

    assert retry_note(delay, "timed out") == f"retrying in {shown} s (timed out)"


def test_booleans_are_written_true_and_false_everywhere():
    """One rule (api.validate.as_text) for the form, the executor's check and the views."""
    from msgsvc.api.resources import SERVICE
    from msgsvc.api.validate import as_text

    assert [as_text(True), as_text(False), as_text(3), as_text("x")] == ["true", "false", "3", "x"]
    assert SERVICE.form({"sticky_sender": False, "validity_period": 5}) == [("StickySender", "false"), ("ValidityPeriod", "5")]


def test_a_refused_connection_elsewhere_is_retried_up_to_max_retries():
    """Only loopback gives up after one retry: a refused connect to a remote host (a load
    balancer between two backends) is retried as --max-retries says. Decided without a socket."""
    from urllib3.connectionpool import HTTPConnectionPool
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    from msgsvc.api.retry import make_retry

    def refused(pool):
        error = NewConnectionError(pool, "Failed to establish a new connection: [Errno 111] Connection refused")
        error.__cause__ = ConnectionRefusedError(111, "Connection refused")
        return error

    for host, tries in (("203.0.113.7", 3), ("127.0.0.1", 1), ("localhost", 1), ("::1", 1)):
        pool = HTTPConnectionPool(host, 8080)
        retry, made = make_retry(3), 0
        with pytest.raises((NewConnectionError, MaxRetryError)):
            while True:
                retry = retry.increment("GET", "/v1/Services", error=refused(pool), _pool=pool)
                made += 1
        assert made == tries, host
