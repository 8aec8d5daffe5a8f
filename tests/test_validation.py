"""Every validation rule of issue 2: exit 2, a message naming the option, nothing sent."""

from __future__ import annotations

import pytest
from conftest import ACCOUNT_SID, SERVICE_SID, run_installed, service
from corehelp import sent
from factories import assert_service_list, expect_service_list

URL_OPTIONS = ["--inbound-request-url", "--fallback-url", "--status-callback"]
BAD_URLS = ["ftp://example.com/sms", "example.com/sms", "/sms", "http://", "https:///path", "mailto:a@example.com", "https://exa mple.com/"]


def refused(msgsvc, httpserver, *args: str, stdin: str | None = None):
    result = msgsvc(*args, stdin=stdin)
    assert result.code == 2, result.err
    assert result.out == ""
    assert sent(httpserver) == []
    return result.err


@pytest.mark.parametrize("command", [["create", "--friendly-name", "A"], ["update", SERVICE_SID]])
@pytest.mark.parametrize("option", URL_OPTIONS)
@pytest.mark.parametrize("value", BAD_URLS)
def test_urls_must_be_absolute_http_or_https(msgsvc, profile, httpserver, command, option, value):
    err = refused(msgsvc, httpserver, "services", *command, option, value)
    assert f"msgsvc: Invalid value for '{option}': {value!r} " in err
    assert "hint: see 'msgsvc services " in err


@pytest.mark.parametrize("option, wire", list(zip(URL_OPTIONS, ["InboundRequestUrl", "FallbackUrl", "StatusCallback"])))
def test_an_empty_url_clears_the_field(msgsvc, profile, httpserver, option, wire):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    assert msgsvc("services", "update", SERVICE_SID, option, "").code == 0
    assert sent(httpserver)[0].get_data(as_text=True) == f"{wire}="


@pytest.mark.parametrize("value", ["http://127.0.0.1:8080/hook", "https://example.com/sms?a=1#frag"])
def test_good_urls_are_sent_as_given(msgsvc, profile, httpserver, value):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    assert msgsvc("services", "update", SERVICE_SID, "--status-callback", value).code == 0
    from urllib.parse import parse_qs

    assert parse_qs(sent(httpserver)[0].get_data(as_text=True)) == {"StatusCallback": [value]}


def test_friendly_name_of_65_characters_is_refused(msgsvc, profile, httpserver):
    err = refused(msgsvc, httpserver, "services", "create", "--friendly-name", "x" * 65)
    assert "msgsvc: Invalid value for '--friendly-name': it is 65 characters long; the limit is 64\n" in err


@pytest.mark.parametrize("value", ["", "   "])
def test_friendly_name_must_not_be_empty(msgsvc, profile, httpserver, value):
    err = refused(msgsvc, httpserver, "services", "update", SERVICE_SID, "--friendly-name", value)
    assert "msgsvc: Invalid value for '--friendly-name': it must not be empty\n" in err


def test_friendly_name_of_64_characters_is_sent(msgsvc, profile, httpserver):
    expect_service_list(httpserver)
    httpserver.expect_oneshot_request("/v1/Services", method="POST").respond_with_json(service(), status=201)
    assert msgsvc("services", "create", "--friendly-name", "y" * 64).code == 0
    listing, create = sent(httpserver)
    assert_service_list(listing)
    assert create.get_data(as_text=True) == "FriendlyName=" + "y" * 64


def test_create_requires_a_friendly_name(msgsvc, profile, httpserver):
    err = refused(msgsvc, httpserver, "services", "create", "--usecase", "poll")
    assert "msgsvc: Missing option '--friendly-name'.\n" in err


@pytest.mark.parametrize("value", ["0", "36001", "-5"])
def test_validity_period_out_of_range(msgsvc, profile, httpserver, value):
    err = refused(msgsvc, httpserver, "services", "update", SERVICE_SID, "--validity-period", value)
    assert f"msgsvc: Invalid value for '--validity-period': {value} is not in the range 1 to 36000\n" in err


def test_validity_period_not_a_number(msgsvc, profile, httpserver):
    err = refused(msgsvc, httpserver, "services", "update", SERVICE_SID, "--validity-period", "ten")
    assert "Invalid value for '--validity-period': 'ten' is not a valid int.\n" in err


@pytest.mark.parametrize("value", ["1", "36000"])
def test_validity_period_bounds_are_sent(msgsvc, profile, httpserver, value):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    assert msgsvc("services", "update", SERVICE_SID, "--validity-period", value).code == 0
    assert sent(httpserver)[0].get_data(as_text=True) == f"ValidityPeriod={value}"


USECASES = ["notifications", "marketing", "verification", "discussion", "poll", "undeclared"]


def test_usecase_outside_the_enum(msgsvc, profile, httpserver):
    err = refused(msgsvc, httpserver, "services", "create", "--friendly-name", "A", "--usecase", "spam")
    assert (
        "msgsvc: Invalid value for '--usecase': 'spam' is not one of "
        "notifications, marketing, verification, discussion, poll, undeclared\n"
    ) in err


@pytest.mark.parametrize("value", USECASES)
def test_every_usecase_is_accepted(msgsvc, profile, httpserver, value):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    assert msgsvc("services", "update", SERVICE_SID, "--usecase", value.upper()).code == 0
    assert sent(httpserver)[0].get_data(as_text=True) == f"Usecase={value}"


@pytest.mark.parametrize("option", ["--inbound-method", "--fallback-method"])
@pytest.mark.parametrize("value", ["PUT", "DELETE", "", "GETS"])
def test_methods_are_get_or_post(msgsvc, profile, httpserver, option, value):
    err = refused(msgsvc, httpserver, "services", "update", SERVICE_SID, option, value)
    meant = "; did you mean 'GET'?" if value == "GETS" else ""  # msgsvc/suggest.py
    assert f"msgsvc: Invalid value for '{option}': {value!r} is not one of GET, POST{meant}\n" in err


@pytest.mark.parametrize("option, wire", [("--inbound-method", "InboundMethod"), ("--fallback-method", "FallbackMethod")])
@pytest.mark.parametrize("value, sent_as", [("get", "GET"), ("POST", "POST"), ("Post", "POST")])
def test_methods_are_sent_upper_case(msgsvc, profile, httpserver, option, wire, value, sent_as):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    assert msgsvc("services", "update", SERVICE_SID, option, value).code == 0
    assert sent(httpserver)[0].get_data(as_text=True) == f"{wire}={sent_as}"


def test_scan_message_content_outside_the_enum(msgsvc, profile, httpserver):
    err = refused(msgsvc, httpserver, "services", "update", SERVICE_SID, "--scan-message-content", "maybe")
    assert "msgsvc: Invalid value for '--scan-message-content': 'maybe' is not one of inherit, enable, disable\n" in err


@pytest.mark.parametrize("value", ["inherit", "enable", "disable"])
def test_scan_message_content_values(msgsvc, profile, httpserver, value):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    assert msgsvc("services", "update", SERVICE_SID, "--scan-message-content", value).code == 0
    assert sent(httpserver)[0].get_data(as_text=True) == f"ScanMessageContent={value}"


def test_update_without_any_option_is_a_usage_error(msgsvc, profile, httpserver):
    err = refused(msgsvc, httpserver, "services", "update", SERVICE_SID)
    assert err == (
        "msgsvc: nothing to change: give at least one field option\n"
        "hint: see 'msgsvc services update --help' for the options\n"
    )


@pytest.mark.parametrize("command", [["get"], ["delete", "--yes"], ["update", "--usecase", "poll"]])
@pytest.mark.parametrize("value", ["MG" + "z" * 32, "MG" + "a" * 31, "MG" + "a" * 33])
def test_service_sid_pattern(msgsvc, profile, httpserver, command, value):
    verb, *rest = command
    err = refused(msgsvc, httpserver, "services", verb, value, *rest)
    argument = "SERVICE..." if verb == "delete" else "SERVICE"  # delete takes many, as its usage line says
    assert (
        f"msgsvc: Invalid value for '{argument}': {value!r} is not a Messaging Service SID "
        "(MG followed by 32 hexadecimal digits)\n"
    ) in err


def test_account_sid_pattern(msgsvc, httpserver):
    err = refused(msgsvc, httpserver, "profiles", "add", "p", "--account-sid", "AC123", stdin="token\n")
    assert err == (
        "Usage: msgsvc profiles add [OPTIONS] NAME\n"
        "msgsvc: Invalid value for '--account-sid': 'AC123' is not an Account SID "
        "(AC followed by 32 hexadecimal digits)\n"
        "hint: see 'msgsvc profiles add --help'\n"
    )


def test_api_key_sid_pattern(msgsvc, httpserver):
    err = refused(msgsvc, httpserver, "profiles", "add", "p", "--account-sid", ACCOUNT_SID,
                  "--api-key", "AC" + "a" * 32, stdin="secret\n")
    assert err == (
        "Usage: msgsvc profiles add [OPTIONS] NAME\n"
        f"msgsvc: Invalid value for '--api-key': 'AC{'a' * 32}' is not an API Key SID "
        "(SK followed by 32 hexadecimal digits)\n"
        "hint: see 'msgsvc profiles add --help'\n"
    )


@pytest.mark.parametrize("value", ["ftp://x", "127.0.0.1:8080", ""])
def test_base_url_flag_is_checked(msgsvc, profile, httpserver, value):
    err = refused(msgsvc, httpserver, "--base-url", value, "services", "list")
    assert "msgsvc: Invalid value for '--base-url'" in err


def test_validation_installed_in_a_subprocess(profile, httpserver):
    proc = run_installed("services", "update", SERVICE_SID, "--validity-period", "36001")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        "Usage: msgsvc services update [OPTIONS] SERVICE\n"
        "msgsvc: Invalid value for '--validity-period': 36001 is not in the range 1 to 36000\n"
        "hint: see 'msgsvc services update --help'\n"
    )
    assert sent(httpserver) == []


@pytest.mark.parametrize(
    "value, why",
    [
        ("http://127.0.0.1:8080/?x=1", "has a query or fragment"),
        ("http://127.0.0.1:8080/#frag", "has a query or fragment"),
        ("http://user:pw@127.0.0.1:8080", "carries a user name"),
    ],
)
def test_base_url_takes_no_query_fragment_or_user(msgsvc, profile, httpserver, value, why):
    result = msgsvc("--base-url", value, "services", "list")
    assert result.code == 2 and why in result.err
    assert sent(httpserver) == []


@pytest.mark.parametrize("value, why", [
    ("http://127.0.0.1:99999", "has a port that is not a number from 1 to 65535"),
    ("http://127.0.0.1:80x", "has a port that is not a number from 1 to 65535"),
    ("http://127.0.0.1:0", "has a port that is not a number from 1 to 65535"),
    ("https://[::1", "is not an absolute http:// or https:// URL"),
    # urlsplit reads these; urllib3, which sends, does not (LocationParseError): before, "the
    # connection was lost", and for a POST "may or may not have taken effect".
    ("https://[::1]x:8443", "has a host that is not a valid name or address"),
    ("http://[::1]]:8080", "has a host that is not a valid name or address"),
    ("https://[v1.x]:8443", "has a host that is not a valid name or address"),
    ("https://127.0.0.1%00:8443", "has a host that is not a valid name or address"),
    ("https://api.\u2603.example", "has a host that is not a valid name or address"),
])
def test_a_base_url_no_request_can_go_to_is_a_usage_error(msgsvc, profile, monkeypatch, value, why):
    """Not "the connection was lost" after a try: the URL is wrong before anything is sent."""
    monkeypatch.setenv("MSGSVC_BASE_URL", value)
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (2, "")
    assert result.err == f"msgsvc: base_url from env MSGSVC_BASE_URL {value!r} {why}\n"


def test_a_post_to_a_base_url_urllib3_cannot_read_is_not_sent(msgsvc, profile, httpserver):
    result = msgsvc("--base-url", "https://[::1]x:8443", "services", "update", SERVICE_SID, "--usecase", "poll")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("Usage: msgsvc [OPTIONS] COMMAND [ARGS]...\n"
                          "msgsvc: Invalid value for '--base-url': 'https://[::1]x:8443' has a host that is not a valid name "
                          "or address\nhint: see 'msgsvc --help'\n")
    assert sent(httpserver) == []


@pytest.mark.parametrize("option, value", [("--region", "attacker.example/x?"), ("--edge", "dub lin"), ("--region", ""), ("--region", "ie1\n")])
def test_region_and_edge_are_single_host_labels(msgsvc, isolated, option, value):
    result = msgsvc("profiles", "add", "p", "--no-verify", "--account-sid", ACCOUNT_SID, option, value, stdin="token-123456\n")
    assert result.code == 2
    assert f"msgsvc: Invalid value for '{option}': {value!r} is not a region or edge name (letters, digits and '-')\n" in result.err


def test_a_region_from_the_environment_cannot_redirect_credentials(msgsvc, profile, httpserver, monkeypatch):
    monkeypatch.delenv("MSGSVC_BASE_URL", raising=False)
    from msgsvc.local import config

    data = config.read_config()
    del data["profiles"]["test"]["base_url"]
    config.write_config(data)
    monkeypatch.setenv("TWILIO_REGION", "evil.example/x?")
    result = msgsvc("services", "list")
    assert result.code == 2
    assert result.err.startswith("msgsvc: region from env TWILIO_REGION: 'evil.example/x?' is not a region")


def test_region_and_edge_are_lower_cased_and_ignored_under_a_base_url(msgsvc, isolated):
    from msgsvc.local import config
    from msgsvc.local.resolution import resolve
    from msgsvc.local.resolution import client_settings

    result = msgsvc("profiles", "add", "p", "--no-verify", "--account-sid", ACCOUNT_SID, "--region", "IE1", "--edge", "Dublin",
                    stdin="token-123456\n")
    assert result.code == 0, result.err
    stored = config.read_config()["profiles"]["p"]
    assert (stored["region"], stored["edge"]) == ("ie1", "dublin")
    settings = client_settings(resolve(profile_flag="p", env={"TWILIO_EDGE": "not a label"},
                                     flags={"base_url": "http://127.0.0.1:9"}))
    assert (settings.base_url, settings.region, settings.edge) == ("http://127.0.0.1:9", None, None)  # unused there
