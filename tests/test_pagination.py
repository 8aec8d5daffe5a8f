"""services list over several pages: next_page_url followed verbatim, --limit stops before a
page that is not needed, --all follows every page, --page-size bounds."""

from __future__ import annotations

import json

import pytest
from conftest import page, run_installed, service
from corehelp import assert_request, sent


def sid(n: int) -> str:
    return f"MG{n:032x}"


def serve_pages(httpserver, sizes: list[int], page_size: int, first_query: str) -> list[dict]:
    """Pages of `sizes` services; each names the next by an absolute URL with a PageToken.
    Every page may be fetched at most once (oneshot): a second fetch would be a 500."""
    services, start = [], 0
    for number, size in enumerate(sizes):
        items = [service(sid(start + i), f"Service {start + i}") for i in range(size)]
        services += items
        start += size
        query = first_query if number == 0 else f"PageSize={page_size}&Page={number}&PageToken=PT{number}"
        last = number + 1 == len(sizes)
        next_url = None if last else httpserver.url_for("/v1/Services") + f"?PageSize={page_size}&Page={number + 1}&PageToken=PT{number + 1}"
        httpserver.expect_oneshot_request("/v1/Services", query_string=query).respond_with_json(
            page("services", items, next_url=next_url, page_no=number, page_size=page_size))
    return services


def queries(httpserver) -> list[str]:
    return [r.query_string.decode() for r in sent(httpserver)]


def test_limit_stops_before_the_page_it_does_not_need(msgsvc, profile, httpserver):
    services = serve_pages(httpserver, [2, 2, 2], 2, "PageSize=2")
    result = msgsvc("services", "list", "--limit", "4", "--page-size", "2", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == services[:4]
    assert queries(httpserver) == ["PageSize=2", "PageSize=2&Page=1&PageToken=PT1"]  # never page 2


def test_limit_in_the_middle_of_a_page(msgsvc, profile, httpserver):
    services = serve_pages(httpserver, [2, 2, 2], 2, "PageSize=2")
    result = msgsvc("services", "list", "-n", "3", "--page-size", "2", "--json")
    assert json.loads(result.out) == services[:3]
    assert len(sent(httpserver)) == 2


def test_default_page_size_is_the_limit(msgsvc, profile, httpserver):
    services = serve_pages(httpserver, [3, 3], 3, "PageSize=3")
    result = msgsvc("services", "list", "--limit", "3")
    assert result.code == 0
    assert result.out.count("\n") == 3
    assert queries(httpserver) == ["PageSize=3"]
    assert services


def test_all_follows_every_next_page_url_verbatim(msgsvc, profile, httpserver):
    services = serve_pages(httpserver, [2, 2, 1], 2, "PageSize=1000")
    result = msgsvc("services", "list", "--all", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == services  # one array across the pages
    requests = sent(httpserver)
    assert_request(requests[0], "GET", "/v1/Services", query="PageSize=1000")
    assert_request(requests[1], "GET", "/v1/Services", query="PageSize=2&Page=1&PageToken=PT1")
    assert_request(requests[2], "GET", "/v1/Services", query="PageSize=2&Page=2&PageToken=PT2")


def test_all_with_page_size_in_a_pipe(msgsvc, profile, httpserver):
    serve_pages(httpserver, [2, 2, 2], 2, "PageSize=2")
    result = msgsvc("services", "list", "-a", "--page-size", "2")
    assert result.code == 0
    assert [line.split("\t")[0] for line in result.out.splitlines()] == [sid(n) for n in range(6)]


def test_limit_larger_than_the_list(msgsvc, profile, httpserver):
    services = serve_pages(httpserver, [2, 1], 2, "PageSize=1000")
    result = msgsvc("services", "list", "--limit", "5000", "--json")
    assert json.loads(result.out) == services
    assert len(sent(httpserver)) == 2


@pytest.mark.parametrize("size", ["1", "1000"])
def test_page_size_bounds_accepted(msgsvc, profile, httpserver, size):
    httpserver.expect_oneshot_request("/v1/Services", query_string=f"PageSize={size}").respond_with_json(page("services", []))
    assert msgsvc("services", "list", "--page-size", size).code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--page-size", "0"], "Invalid value for '--page-size': 0 is not in the range 1 to 1000"),
        (["--page-size", "1001"], "Invalid value for '--page-size': 1001 is not in the range 1 to 1000"),
        (["--limit", "0"], "Invalid value for '--limit' / '-n': 0 is not in the range 1 or more"),
        (["--limit", "3", "--all"], "--limit and --all cannot be used together"),
        (["--all", "-n", "50"], "--limit and --all cannot be used together"),
    ],
)
def test_list_usage_errors_send_nothing(msgsvc, profile, httpserver, args, message):
    result = msgsvc("services", "list", *args)
    assert (result.code, result.out) == (2, "")
    assert f"msgsvc: {message}\n" in result.err
    assert sent(httpserver) == []


def test_a_repeated_next_page_url_stops_with_an_error(msgsvc, profile, httpserver):
    again = httpserver.url_for("/v1/Services") + "?PageSize=2&Page=1&PageToken=PT1"
    httpserver.expect_request("/v1/Services", query_string="PageSize=1000").respond_with_json(
        page("services", [service()], next_url=again))
    httpserver.expect_request("/v1/Services", query_string="PageSize=2&Page=1&PageToken=PT1").respond_with_json(
        page("services", [service()], next_url=again))
    result = msgsvc("services", "list", "--all", "--json")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: the API pointed again to a page it already sent ({again}); "
        "stopping so that no item is listed twice\n"
    )
    assert len(sent(httpserver)) == 2


def test_a_next_page_on_another_host_gets_no_credentials(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(
        page("services", [service()], next_url="https://evil.example/v1/Services?Page=1"))
    result = msgsvc("services", "list", "--all")
    assert result.code == 1
    assert result.err.startswith("msgsvc: refusing to send credentials to https://evil.example: ")
    assert len(sent(httpserver)) == 1


def test_pagination_installed_in_a_subprocess(profile, httpserver):
    services = serve_pages(httpserver, [2, 2, 2], 2, "PageSize=2")
    proc = run_installed("services", "list", "--limit", "3", "--page-size", "2", "--json")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert json.loads(proc.stdout) == services[:3]
    assert len(sent(httpserver)) == 2


def test_pages_told_apart_by_page_alone_are_all_followed(msgsvc, profile, httpserver):
    """A server that pages with Page=n and no PageToken: page 2 is not 'the same page again'."""
    base = httpserver.url_for("/v1/Services")
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=1000").respond_with_json(
        page("services", [service("MG" + "1" * 32)], next_url=f"{base}?PageSize=1000&Page=1"))
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=1000&Page=1").respond_with_json(
        page("services", [service("MG" + "2" * 32)], next_url=f"{base}?PageSize=1000&Page=2"))
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=1000&Page=2").respond_with_json(
        page("services", [service("MG" + "3" * 32)], next_url=f"{base}?PageSize=1000&Page=0"))
    result = msgsvc("services", "list", "--all")
    assert result.code == 1  # ...but a next URL back to page 0 is a repeat
    assert "pointed again to a page it already sent" in result.err
    assert len(sent(httpserver)) == 3
