"""A list command run without typer (msgsvc/cli/direct.py) against the typer app it stands in
for: every line it runs ends exactly as the typer app ends it (output, exit status, the
requests sent), every line it cannot read is left to the app untouched, and it imports no
typer. The committed msgsvc/cli/tree_run.py is checked with the tree's other files
(tests/test_fast_path.py)."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import ACCOUNT_SID, AUTH_TOKEN, OTHER_SID, SERVICE_SID, base_url_of, page, service
from test_consistency import emu  # noqa: F401  (the emulator, msgsvc's variables pointing at it)
from test_imports import STARTUP, imported_by_main

SERVICES = [service(SERVICE_SID, "Alerts"), service(OTHER_SID, "OTP", usecase="2fa")]


@pytest.fixture
def server(httpserver, profile):
    """Two services, on one page whatever the page size asked."""
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", SERVICES))
    return httpserver


def requests_of(httpserver) -> list[tuple]:
    sent = [(r.method, r.path, r.query_string.decode(), r.headers.get("Authorization"), r.get_data()) for r, _ in httpserver.log]
    httpserver.clear_log()
    return sent


def run_both(httpserver, argv: list[str]) -> tuple[tuple | None, tuple]:
    """(how the line ends run without typer, or None when direct.py leaves it; how it ends in
    the typer app): (exit status, stdout, stderr, the requests sent)."""
    from msgsvc.cli import app, direct
    from msgsvc.cli.terminal import Terminal

    term = Terminal.fake(width=80)
    code = direct.run(list(argv), term=term)
    ran = None if code is None else (code, term.out, term.err, requests_of(httpserver))
    if code is None:
        assert (term.out, term.err, requests_of(httpserver)) == ("", "", [])  # nothing done before it left the line
    term = Terminal.fake(width=80)
    code = app.run(list(argv), term=term)
    return ran, (code, term.out, term.err, requests_of(httpserver))


READ = [
    ["services", "list"],
    ["services", "list", "--json"],
    ["--json", "services", "list"],
    ["services", "list", "--all", "--json"],
    ["services", "list", "-a"],
    ["services", "list", "-n", "1"],
    ["services", "list", "--limit=1", "--fields", "sid,friendly_name"],
    ["services", "list", "--limit", " 2", "--page-size", "1000"],
    ["services", "list", "--fields", "sid,nope"],  # refused by the body: a usage error, exit 2
    ["services", "list", "--fields", ","],
    ["services", "list", "--all", "--limit", "3"],
    ["services", "list", "-a", "-n", "50"],
    ["services", "list", "--jq", ".[].sid"],
    ["services", "list", "--jq", ".["],
    ["-p", "test", "services", "list"],
    ["services", "list", "--profile", "nope"],
    ["--profile", "nope", "services", "list", "--profile", "test"],
    ["services", "list", "--timeout", "5", "--max-retries", "0"],
    ["--timeout", "0.5", "services", "list", "--timeout", "2"],
    ["services", "list", "--no-debug"],
    ["services", "list", "--json", "--json"],  # the root's --json? no: the command's, twice: left to Click
]


@pytest.mark.parametrize("argv", [a for a in READ if a.count("--json") < 2], ids=" ".join)
def test_a_line_it_reads_ends_as_in_the_typer_app(server, argv):
    ran, typer_app = run_both(server, argv)
    assert ran is not None, "direct.py left a line it should read"
    assert ran == typer_app
    assert typer_app[0] in (0, 2, 4)  # done, a usage error, or credentials it cannot find


def test_a_list_says_exactly_what_the_typer_app_says(server):
    """The comparison above compares something: the output of a list, and its request."""
    ran, typer_app = run_both(server, ["services", "list", "--json", "--fields", "sid"])
    assert ran == typer_app
    code, out, err, sent = ran
    assert (code, json.loads(out), err) == (0, [{"sid": SERVICE_SID}, {"sid": OTHER_SID}], "")
    assert [(method, path, query) for method, path, query, _, _ in sent] == [("GET", "/v1/Services", "PageSize=50")]
    import base64

    assert sent[0][3] == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


def test_the_base_url_and_the_global_options_given_after_the_command(server, isolated):
    """--base-url before or after the command, and the same State either way."""
    (isolated / "config" / "config.toml").unlink()
    for argv in (["--base-url", base_url_of(server), "services", "list"],
                 ["services", "list", "--base-url", base_url_of(server)]):
        ran, typer_app = run_both(server, argv)
        assert ran is not None and ran == typer_app
        assert ran[0] == 4  # no credentials: said as the app says it


def test_a_base_url_the_root_refuses_is_refused_whatever_follows_the_command(server):
    """The root callback checks its --base-url although the one after the command overrides it."""
    for argv in (["--base-url", "ftp://example.com", "services", "list", "--base-url", base_url_of(server)],
                 ["--base-url=", "services", "list", "--base-url", base_url_of(server)]):
        ran, typer_app = run_both(server, argv)
        assert ran is None
        assert typer_app[0] == 2 and "Invalid value for '--base-url'" in typer_app[2]


def test_max_retries_0_after_the_command_overrides_the_root(httpserver, profile):
    """0 is a value, not an option left out (msgsvc.cli.app._set_global tests `is False`):
    --max-retries 0 after the command means no retry, whatever the root said."""
    httpserver.expect_request("/v1/Services").respond_with_json(
        {"code": 20500, "message": "busy", "status": 503}, status=503, headers={"Retry-After": "0"})
    ran, typer_app = run_both(httpserver, ["--max-retries", "1", "services", "list", "--max-retries", "0"])
    assert ran == typer_app
    assert ran[0] == 1 and len(ran[3]) == 1  # the one request, not retried


def test_an_error_of_the_server_ends_as_in_the_typer_app(httpserver, profile):
    httpserver.expect_request("/v1/Services").respond_with_json(
        {"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}, status=401)
    ran, typer_app = run_both(httpserver, ["services", "list"])
    assert ran == typer_app and ran[0] == 4
    assert "credentials were refused" in ran[2]


LEFT = [
    ["services", "list", "-n5"],  # Click takes it; direct.py reads only spelled-out options
    ["services", "list", "-an", "3"],
    ["services", "list", "--limit"],
    ["services", "list", "--limit", "x"],
    ["services", "list", "--limit", "0"],
    ["services", "list", "--limit", "-5"],
    ["services", "list", "--page-size", "1001"],
    ["services", "list", "--bogus"],
    ["services", "list", "Alerts"],
    ["services", "list", "--"],
    ["services", "list", "--help"],
    ["services", "list", "-h"],
    ["--version", "services", "list"],
    ["services", "--json", "list"],
    ["--timeout", "nan", "services", "list"],
    ["services", "list", "--timeout", "inf"],
    ["services", "list", "--json=1"],
    ["services", "list", "--limit", "1", "--limit", "2"],
    ["services", "list", "--json", "--json"],
    ["--base-url", "ftp://example.com", "services", "list"],
    ["services", "lis"],
    ["services list"],  # one word: Click finds no such command, although RUNS is keyed by the words joined
    ["services list", "--json"],
    ["Services", "list"],
    ["services"],
    [],
    ["services", "get", "Alerts"],  # a command whose body needs typer
]


@pytest.mark.parametrize("argv", LEFT, ids=lambda a: " ".join(a) or "(nothing)")
def test_a_line_it_cannot_read_is_left_to_the_typer_app(server, argv):
    """Every usage error is Click's to say: direct.py does nothing with such a line."""
    ran, typer_app = run_both(server, argv)
    assert ran is None
    assert typer_app[0] in (0, 1, 2, 4)


WORDS = ["services", "list", "get", "--json", "--all", "-a", "--limit", "-n", "--limit=2", "1", "0", "50", "x", "-5",
         "--page-size", "1000", "--fields", "sid", "sid,friendly_name", "nope", "--jq", ".[].sid", "-p", "--profile", "test",
         "--timeout", "2", "nan", "--max-retries", "--debug", "--no-debug", "--", "-", "-n5", "--base-url", "Alerts", "-h"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True)
@given(st.lists(st.sampled_from(WORDS), max_size=9))
@example(["services", "list", "-n", "1", "--all"])
@example(["services", "list", "--fields", "-"])
def test_any_line_ends_as_in_the_typer_app_or_is_left_to_it(server, argv):
    if "--debug" in argv:
        argv = [w for w in argv if w != "--debug"]  # its log lines say how long each request took
    ran, typer_app = run_both(server, argv)
    assert ran is None or ran == typer_app


def test_some_of_the_random_lines_are_read(server):
    """The property above would hold for a direct.py that reads nothing: it reads these."""
    from msgsvc.cli import direct

    assert direct.parse(["services", "list", "-n", "1", "--all"]) is not None
    assert direct.parse(["services", "list", "--json", "--fields", "sid", "-p", "test"]) is not None


def test_what_the_body_gets():
    """The parse itself: defaults, converted values, the State's settings and which options were given."""
    from msgsvc.cli import direct

    body, _, settings, arguments, given_ = direct.parse(
        ["--json", "--timeout", "2", "services", "list", "-n", "7", "--max-retries", "1", "--no-debug"])
    assert body == ("msgsvc.cli.listing:services_list", ())
    assert settings == {"json": True, "timeout": 2.0, "max_retries": 1}
    assert arguments == {"limit": 7, "all_": False, "page_size": None, "fields": None, "jq": None, "json_": False, "profile": None}
    assert given_ == {"limit", "max_retries", "debug"}


def test_the_invocation_answers_as_clicks_context():
    from msgsvc.cli.direct import Invocation
    from msgsvc.cli.invocation import given

    ctx = Invocation(object(), {"limit"}, {"limit", "all_"})
    assert ctx.find_root() is ctx
    assert (given(ctx, "limit"), given(ctx, "all_"), ctx.get_parameter_source("nothing")) == (True, False, None)


def test_a_list_imports_no_typer(server, tmp_path):
    """The point of it all: a list's start-up without typer, Click or rich (the probe runs the
    entry point in a fresh interpreter)."""
    out, modules = imported_by_main(["services", "list", "--json"], {})
    assert json.loads(out)[0]["sid"] == SERVICE_SID
    assert not {m for m in modules if m.split(".")[0] in ("typer", "click", "rich", "requests")}
    assert {"msgsvc.cli.direct", "msgsvc.cli.listing", "urllib3"} <= modules - STARTUP


def test_the_import_probe_sees_typer_past_direct_py(server):
    server.expect_request("/v1/Services/Usecases").respond_with_json({"usecases": [{"usecase": "2fa", "purpose": "codes"}]})
    out, modules = imported_by_main(["services", "usecases", "--json"], {})
    assert out and "typer" in modules


def test_a_declared_body_must_be_given_each_option():
    from msgsvc.cli import listing
    from msgsvc.cli.options import JsonOpt, declared

    with pytest.raises(TypeError, match="declare exactly its options"):
        declared(listing.services_list, json_=JsonOpt)


def test_the_generator_refuses_an_option_direct_py_cannot_read():
    """An option with a callback (or another type) in a command run without typer stops the
    generator, rather than being read without its check."""
    from typer._click.types import INT, DateTime
    from typer.core import TyperOption

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "scripts"))
    import gen_tree

    with pytest.raises(SystemExit, match="callback"):
        gen_tree._run_param(TyperOption(param_decls=["--limit"], type=INT, callback=lambda ctx, param, value: value), "body")
    with pytest.raises(SystemExit, match="cannot read"):
        gen_tree._run_param(TyperOption(param_decls=["--when"], type=DateTime()), "body")
    assert gen_tree._run_param(TyperOption(param_decls=["--limit"], type=INT, default=5), "body")[4:] == (("int", None, None, False, False), 5, "body")
    # what Click checks, asks for or reads first: direct.py would not
    from typer._click.types import STRING

    for made in ({"required": True}, {"prompt": True}, {"is_eager": True}, {"default": lambda: "x"}):
        with pytest.raises(SystemExit, match="cannot read"):
            gen_tree._run_param(TyperOption(param_decls=["--to"], type=STRING, **made), "global")


def test_the_generator_refuses_a_command_click_reads_otherwise():
    """A command run without typer is read as direct.py reads it: no unknown options let
    through, no options after its first argument only, no case-folding of option names."""
    from typer._click import Context
    from typer.core import TyperCommand

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "scripts"))
    import gen_tree

    for settings_ in ({"ignore_unknown_options": True}, {"allow_interspersed_args": False}, {"token_normalize_func": str.lower}):
        command = TyperCommand("list", context_settings=settings_)
        with pytest.raises(SystemExit, match="context settings"):
            gen_tree._run_params(command, Context(command, info_name="list"))
    command = TyperCommand("list")
    assert [param[0] for param in gen_tree._run_params(command, Context(command, info_name="list"))] == ["help"]


def test_the_state_is_the_one_the_root_callback_makes(monkeypatch):
    """What the options said goes to the run's State as msgsvc.cli.app.root puts it there."""
    from msgsvc.cli import direct
    from msgsvc.cli.state import State
    from msgsvc.cli.terminal import Terminal

    made = {}
    monkeypatch.setattr(State, "client", lambda self: made.setdefault("state", self) and (_ for _ in ()).throw(KeyboardInterrupt))
    argv = ["-p", "x", "--timeout", "2", "services", "list", "--max-retries", "1", "--base-url", "http://127.0.0.1:9/"]
    for run in (direct.run, __import__("msgsvc.cli.app", fromlist=["run"]).run):
        term = Terminal.fake()
        assert run(list(argv), term=term) == 130  # stopped where it would have sent the request
        state = made.pop("state")
        # (the typer app leaves json None, Click's default for a flag not given: both are false)
        assert (state.profile, bool(state.json), state.timeout, state.max_retries, state.base_url, state.debug) == (
            "x", False, 2.0, 1, "http://127.0.0.1:9", False)


BRANDS = [{"sid": "BN" + "1" * 32, "status": "APPROVED", "brand_type": "STANDARD", "failure_reason": None},
          {"sid": "BN" + "2" * 32, "status": "FAILED", "brand_type": "STARTER", "failure_reason": "TCR: tax id mismatch"}]


@pytest.mark.parametrize("argv", [["brands", "list"], ["brands", "list", "--json", "-n", "1"], ["brands", "list", "--all", "--fields", "sid,status"],
                                  ["brands", "list", "--fields", "name"], ["--json", "brands", "list", "--jq", ".[].sid"]],
                         ids=" ".join)
def test_a_brands_list_ends_as_in_the_typer_app(httpserver, profile, isolated, argv):
    """brands list runs without typer too, and tells the completion cache the same."""
    httpserver.expect_request("/v1/a2p/BrandRegistrations").respond_with_json(page("data", BRANDS))
    cache = isolated / "cache"
    from msgsvc.cli import app, direct
    from msgsvc.cli.terminal import Terminal

    ends = []
    for run in (direct.run, app.run):
        term = Terminal.fake(width=80)
        code = run(list(argv), term=term)
        ends.append((code, term.out, term.err, requests_of(httpserver),
                     {p.name: p.read_text() for p in cache.glob("*")} if cache.exists() else {}))
    assert ends[0][0] is not None and ends[0] == ends[1]
    assert ends[0][0] in (0, 2)


# --- the lists of a service's senders, and numbers list --account, against the emulator ----


@pytest.fixture
def senders(emu):
    """The emulator, with "Alerts" holding two numbers and an alpha sender, and "OTP" one number."""
    from factories import attach, create_service

    emulator = emu
    alerts, otp = create_service(emulator, "Alerts"), create_service(emulator, "OTP")
    for number, service in (("+15550000001", alerts), ("+15550000002", alerts), ("+15550000003", otp)):
        attach(emulator, service, "PhoneNumbers", PhoneNumberSid=emulator.number(number)["sid"])
    attach(emulator, alerts, "AlphaSenders", AlphaSender="Acme")
    emulator.alerts = alerts
    return emulator


def ends_both_ways(argv: list[str], cache) -> list[tuple]:
    """How `argv` ends without typer (or None, left to the app) and in the typer app: exit
    status, stdout, stderr, and the completion cache it leaves."""
    from msgsvc.cli import app, direct
    from msgsvc.cli.terminal import Terminal

    ends = []
    for run in (direct.run, app.run):
        term = Terminal.fake(width=80)
        code = run(list(argv), term=term)
        ends.append(None if code is None else (code, term.out, term.err, {p.name: p.read_text() for p in sorted(cache.glob("*"))}))
    return ends


SENDER_LINES = [
    ["numbers", "list", "Alerts"],
    ["numbers", "list", "Alerts", "--json", "-n", "1"],
    ["numbers", "list", "--json", "OTP"],
    ["numbers", "list", "alerts"],  # no such service (names are exact): exit 3 either way
    ["numbers", "list", "--account"],
    ["numbers", "list", "--free", "--json", "-c", "2"],
    ["numbers", "list", "--account", "Alerts"],
    ["numbers", "list"],
    ["numbers", "list", "Alerts", "-c", "4"],
    ["numbers", "list", "Alerts", "--page-size", "1", "--all"],
    ["alpha-senders", "list", "Alerts", "--fields", "alpha_sender"],
    ["short-codes", "list", "OTP"],
    ["destination-alpha-senders", "list", "Alerts", "--country", "gb"],
    ["channel-senders", "list", "Alerts", "--jq", "length"],
]


@pytest.mark.parametrize("argv", SENDER_LINES, ids=" ".join)
def test_a_senders_list_ends_as_in_the_typer_app(senders, isolated, argv):
    """A service's senders and the account's numbers, run without typer: the same output, exit
    status and table of attached senders for detach's Tab (tests/test_detach_completion.py reads it)."""
    without, with_typer = ends_both_ways(argv, isolated / "cache")
    assert without is not None, "direct.py left a line it should read"
    assert without == with_typer
    assert without[0] in (0, 2, 3)


def test_the_senders_comparison_compares_something(senders, isolated):
    code, out, err, cache = ends_both_ways(["numbers", "list", "Alerts"], isolated / "cache")[0]
    assert (code, err) == (0, "")
    assert [line.split("\t")[1] for line in out.splitlines()] == ["+15550000001", "+15550000002"]
    assert any(senders.alerts in name and "+15550000002" in text for name, text in cache.items())


SENDERS_LEFT = [
    ["numbers", "list", "MG" + "z" * 32],  # refused by SERVICE's check: Click says it
    ["numbers", "list", "PN" + "1" * 32],
    ["destination-alpha-senders", "list", "Alerts", "--country", "Britain"],
    ["short-codes", "list"],  # SERVICE is required
    ["short-codes", "list", "Alerts", "--country", "GB"],  # short codes have no --country
    ["numbers", "list", "Alerts", "OTP"],
    ["numbers", "list", "-c", "33", "--account"],
    ["numbers", "list", "--account", "--free", "--free"],  # a flag twice: Click takes it, direct.py leaves it
]


@pytest.mark.parametrize("argv", SENDERS_LEFT, ids=" ".join)
def test_a_senders_line_it_cannot_read_is_left_to_the_typer_app(senders, isolated, argv):
    without, with_typer = ends_both_ways(argv, isolated / "cache")
    assert without is None
    assert with_typer[0] == (0 if argv.count("--free") == 2 else 2)


SENDER_WORDS = ["numbers", "alpha-senders", "destination-alpha-senders", "list", "Alerts", "OTP", "MG123", "MG" + "z" * 32, "-", "--account",
                "--free", "-c", "2", "33", "--country", "GB", "x", "--json", "-n", "1", "--all", "--page-size", "--fields",
                "sid", "phone_number", "-p", "--base-url"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True)
@given(st.lists(st.sampled_from(SENDER_WORDS), max_size=8))
@example(["numbers", "list", "Alerts", "--country", "GB"])
@example(["destination-alpha-senders", "list", "OTP", "--country", "x"])
def test_any_senders_line_ends_as_in_the_typer_app_or_is_left_to_it(senders, isolated, argv):
    without, with_typer = ends_both_ways(argv, isolated / "cache")
    assert without is None or without == with_typer


def test_a_senders_list_imports_no_typer(senders):
    out, modules = imported_by_main(["numbers", "list", "Alerts", "--json"], {})
    assert [n["phone_number"] for n in json.loads(out)] == ["+15550000001", "+15550000002"]
    assert not {m for m in modules if m.split(".")[0] in ("typer", "click", "rich", "requests")}
