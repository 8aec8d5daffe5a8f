"""Responses the server should not send: each one clear message, exit 1, no traceback."""

from __future__ import annotations

import json

import pytest
from conftest import OTHER_SID, SERVICE_SID, base_url_of, page, service


def url(httpserver, path: str) -> str:
    return base_url_of(httpserver) + path


def test_truncated_json(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_data('{"sid": "MG', content_type="application/json")
    result = msgsvc("services", "get", SERVICE_SID)
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: GET {url(httpserver, '/v1/Services/' + SERVICE_SID)} answered HTTP 200 with something "
        'that is not JSON: {"sid": "MG\n'
    )


def test_html_page_with_status_200(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services").respond_with_data(
        "<html><head><title>Captive portal: please log in</title></head><body>...</body></html>", content_type="text/html"
    )
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: GET {url(httpserver, '/v1/Services')}?PageSize=50 answered HTTP 200 with something "
        "that is not JSON: Captive portal: please log in\n"
    )


def test_list_without_meta(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services").respond_with_json({"services": [service()]})
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (1, "")
    assert result.err == f"msgsvc: the list at {url(httpserver, '/v1/Services')}?PageSize=50 has no paging information ('meta' is missing)\n"


@pytest.mark.parametrize(
    "body, message",
    [
        ({"meta": {"next_page_url": None, "key": "services"}}, "has no 'services' array"),
        ({"services": [1, "two"], "meta": {"next_page_url": None, "key": "services"}}, "has an item in 'services' that is not an object"),
        ({"services": [], "meta": {"next_page_url": 5, "key": ["x"]}}, "has a next page URL that is not a string"),
        ([service()], "is not a JSON object"),
    ],
)
def test_malformed_lists(msgsvc, profile, httpserver, body, message):
    httpserver.expect_request("/v1/Services").respond_with_json(body)
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (1, "")
    assert result.err == f"msgsvc: the list at {url(httpserver, '/v1/Services')}?PageSize=50 {message}\n"


def test_empty_body_where_json_is_expected(msgsvc, profile, httpserver):
    """A 2xx whose body is not the object may have created it: looked for (as apply does), not
    sent again; found, it is the result."""
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    httpserver.expect_ordered_request("/v1/Services", method="GET").respond_with_json(page("services", []))
    httpserver.expect_ordered_request("/v1/Services", method="POST").respond_with_data("", status=201)
    httpserver.expect_ordered_request("/v1/Services", method="GET").respond_with_json(
        page("services", [service(OTHER_SID, "Other", date_created=now), service(date_created=now)]))
    result = msgsvc("services", "create", "--friendly-name", "Alerts", "--json")
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == service(date_created=now)
    assert [r.method for r, _ in httpserver.log] == ["GET", "POST", "GET"]  # the name was free; the POST once


def test_empty_body_and_a_check_that_finds_nothing(msgsvc, profile, httpserver):
    httpserver.expect_ordered_request("/v1/Services", method="GET").respond_with_json(page("services", []))
    httpserver.expect_ordered_request("/v1/Services", method="POST").respond_with_data("", status=201)
    httpserver.expect_ordered_request("/v1/Services", method="GET").respond_with_json(page("services", []))
    result = msgsvc("services", "create", "--friendly-name", "Alerts")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: POST {url(httpserver, '/v1/Services')} answered HTTP 201 with an empty body; it may or may not "
        "have taken effect; checked: it was not made\nhint: nothing was created: the same command may be run again\n")
    assert [r.method for r, _ in httpserver.log] == ["GET", "POST", "GET"]


def test_json_that_is_not_an_object(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(["not", "a", "service"])
    result = msgsvc("services", "get", SERVICE_SID)
    assert (result.code, result.out) == (1, "")
    assert result.err == f"msgsvc: GET {url(httpserver, '/v1/Services/' + SERVICE_SID)} answered with JSON that is not an object (list)\n"


def test_name_lookup_finds_a_service_without_sid(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [{"friendly_name": "Alerts"}]))
    result = msgsvc("services", "get", "Alerts")
    assert (result.code, result.out) == (1, "")
    assert result.err == "msgsvc: the service named 'Alerts' came back without a valid sid: None\n"


def test_next_page_url_that_repeats(msgsvc, profile, httpserver):
    again = url(httpserver, "/v1/Services?PageSize=1&Page=1&PageToken=PA1")
    httpserver.expect_request("/v1/Services", query_string="PageSize=1").respond_with_json(page("services", [service()], again, 0, 1))
    httpserver.expect_request("/v1/Services", query_string="PageSize=1&Page=1&PageToken=PA1").respond_with_json(
        page("services", [service(OTHER_SID, "Two")], again, 1, 1)
    )
    result = msgsvc("services", "list", "--all", "--page-size", "1")
    assert (result.code, result.out) == (1, "")
    assert result.err == f"msgsvc: the API pointed again to a page it already sent ({again}); stopping so that no item is listed twice\n"
    assert len(httpserver.log) == 2


def test_next_page_url_back_to_the_first_page(msgsvc, profile, httpserver):
    first = url(httpserver, "/v1/Services?PageSize=1000&Page=0")
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()], first))
    result = msgsvc("services", "list", "--all")
    assert (result.code, result.out) == (1, "")
    assert "the API pointed again to a page it already sent" in result.err
    assert len(httpserver.log) == 1  # the first page is never fetched (nor printed) twice


def test_next_page_url_on_another_host_gets_no_credentials(msgsvc, profile, httpserver):
    elsewhere = "https://collector.example.net/v1/Services?PageSize=50&Page=1&PageToken=PA1"
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()], elsewhere))
    result = msgsvc("services", "list", "--all")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "msgsvc: refusing to send credentials to https://collector.example.net: "
        f"the API pointed to a host other than {base_url_of(httpserver)}\n"
    )
    assert len(httpserver.log) == 1


def test_next_page_url_on_another_port_of_the_same_host(msgsvc, profile, httpserver):
    elsewhere = "http://127.0.0.1:1/v1/Services?Page=1"
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()], elsewhere))
    result = msgsvc("services", "list", "--all")
    assert result.code == 1
    assert result.err.startswith("msgsvc: refusing to send credentials to http://127.0.0.1:1:")


def test_html_error_page_404(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_data(
        "<html><title>Not Found</title></html>", status=404, content_type="text/html"
    )
    result = msgsvc("services", "get", SERVICE_SID)
    assert (result.code, result.out) == (3, "")
    assert result.err == "msgsvc: HTTP 404: NOT FOUND: Not Found\n"


def test_redirect_is_not_followed(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services").respond_with_data(
        "", status=301, headers={"Location": "https://user:hunter22@evil.example/"})
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "msgsvc: HTTP 301: MOVED PERMANENTLY: a redirect to https://user:***@evil.example/, not followed "
        f"(GET {httpserver.url_for('/v1/Services')}?PageSize=50)\n"
        "hint: Twilio's API does not redirect: check the base URL (msgsvc profiles show), or what stands between (a "
        "proxy, a gateway)\n"
    )
    assert len(httpserver.log) == 1


def test_a_long_redirect_is_cut_after_its_password_is_masked(msgsvc, profile, httpserver):
    # Cut first, the password past the @ would lose the @ that marks it as one, and show.
    password = "p" * 185 + "-hunter22"
    httpserver.expect_request("/v1/Services").respond_with_data(
        "", status=302, headers={"Location": f"https://user:{password}@evil.example/{'x' * 300}"})
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (1, "")
    assert "ppp" not in result.err and "hunter22" not in result.err
    assert result.err.startswith(
        f"msgsvc: HTTP 302: FOUND: a redirect to https://user:***@evil.example/{'x' * 170}, not followed (GET ")


@pytest.mark.parametrize("command", [["services", "create", "--friendly-name", "B"], ["services", "delete", SERVICE_SID, "--yes"]])
def test_a_redirect_without_a_location_is_an_error_for_a_write_too(msgsvc, profile, httpserver, command):
    httpserver.expect_request("/v1/Services", method="GET").respond_with_json(page("services", [service()]))
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    httpserver.expect_request("/v1/Services", method="POST").respond_with_data("", status=302)
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}", method="DELETE").respond_with_data("", status=302)
    result = msgsvc(*command)
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith("msgsvc: HTTP 302: FOUND: a redirect, not followed (")


def test_a_sender_answer_that_is_not_an_object(msgsvc, profile, httpserver):
    pn = "PN" + "c" * 32
    path = f"/v1/Services/{SERVICE_SID}/PhoneNumbers/{pn}"
    httpserver.expect_request(path).respond_with_json([])
    result = msgsvc("numbers", "get", SERVICE_SID, pn)
    assert (result.code, result.out) == (1, "")
    assert result.err == f"msgsvc: GET {url(httpserver, path)} answered with JSON that is not an object (list)\n"
