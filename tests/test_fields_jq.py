"""--fields, --jq and --quiet, and the notes a list leaves on a terminal (empty, cut by its
limit): exact requests, stdout, stderr and exit codes."""

from __future__ import annotations

import json

import pytest
from conftest import OTHER_SID, SERVICE_SID, page, run_installed, service
from test_senders import INCOMING, PN, E164, expect_listing, incoming, number, sent

from msgsvc.api.resources import SERVICE


def two(httpserver, query="PageSize=50"):
    httpserver.expect_oneshot_request("/v1/Services", query_string=query).respond_with_json(
        page("services", [service(), service(OTHER_SID, "Second", usecase=None)]))


def test_fields_choose_and_order_the_tsv_columns(msgsvc, profile, httpserver):
    two(httpserver)
    result = msgsvc("services", "list", "--fields", "friendly_name,sid,status_callback")
    assert (result.code, result.err) == (0, "")
    assert result.out == f"Alerts\t{SERVICE_SID}\thttps://www.example.com\nSecond\t{OTHER_SID}\thttps://www.example.com\n"


def test_fields_choose_the_keys_of_each_json_object(msgsvc, profile, httpserver):
    two(httpserver)
    result = msgsvc("services", "list", "--fields", "sid, usecase", "--json")
    assert (result.code, result.err) == (0, "")
    assert result.out == f'[{{"sid":"{SERVICE_SID}","usecase":"marketing"}},{{"sid":"{OTHER_SID}","usecase":null}}]\n'


def test_fields_on_a_terminal_are_the_table_columns(msgsvc, profile, httpserver):
    two(httpserver)
    result = msgsvc("services", "list", "--fields", "sid,date_updated,sticky_sender", tty=True, width=80)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "SID                                 DATE UPDATED      STICKY SENDER",
        f"{SERVICE_SID}  2015-07-30 20:12  true",
        f"{OTHER_SID}  2015-07-30 20:12  true",
    ]


@pytest.mark.parametrize("args", [
    ["services", "list"], ["services", "get", SERVICE_SID], ["numbers", "list", SERVICE_SID],
    ["numbers", "get", SERVICE_SID, PN],
])
def test_an_unknown_field_is_a_usage_error_listing_the_valid_ones(msgsvc, profile, httpserver, args):
    result = msgsvc(*args, "--fields", "sid,friendlyname")
    assert (result.code, result.out) == (2, "")
    valid = SERVICE.keys if args[0] == "services" else ("sid", "account_sid", "service_sid", "date_created",
                                                          "date_updated", "phone_number", "country_code", "capabilities", "url")
    meant = "; did you mean 'friendly_name'?" if args[0] == "services" else ""  # msgsvc/suggest.py
    assert result.err == f"msgsvc: --fields: unknown field 'friendlyname'{meant}\nhint: valid fields: {','.join(valid)}\n"
    assert httpserver.log == []  # checked before anything is sent


def test_get_with_fields(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    piped = msgsvc("services", "get", SERVICE_SID, "--fields", "usecase,friendly_name")
    assert (piped.code, piped.out, piped.err) == (0, "usecase\tmarketing\nfriendly_name\tAlerts\n", "")
    as_json = msgsvc("services", "get", SERVICE_SID, "--fields", "links,sid", "--json")
    assert json.loads(as_json.out) == {"links": service()["links"], "sid": SERVICE_SID}


def test_jq_filters_the_json_and_prints_strings_raw(msgsvc, profile, httpserver):
    two(httpserver)
    result = msgsvc("services", "list", "--jq", ".[] | .sid, .sticky_sender, {n: .friendly_name}")
    assert (result.code, result.err) == (0, "")
    assert result.out == f'{SERVICE_SID}\ntrue\n{{"n":"Alerts"}}\n{OTHER_SID}\ntrue\n{{"n":"Second"}}\n'


def test_jq_after_fields(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    result = msgsvc("services", "get", SERVICE_SID, "--fields", "sid,usecase", "--jq", "keys")
    assert (result.code, result.out) == (0, '["sid","usecase"]\n')


def test_a_bad_jq_expression_is_a_usage_error_before_any_request(msgsvc, profile, httpserver):
    result = msgsvc("services", "list", "--jq", ".[")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("msgsvc: invalid --jq expression: jq: error: syntax error")
    assert result.err.endswith("hint: the expression is jq's language, as in 'jq -r EXPR'\n")
    assert httpserver.log == []


def test_a_jq_error_at_run_time_is_a_usage_error(msgsvc, profile, httpserver):
    two(httpserver)
    result = msgsvc("services", "list", "--jq", ".sid")
    assert (result.code, result.out) == (2, "")
    assert result.err == ('msgsvc: --jq: Cannot index array with string ("sid")\n'
                          "hint: the expression ran on the command's --json output\n")


def test_bulk_results_take_fields_and_jq(msgsvc, profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number()])
    result = msgsvc("numbers", "attach", SERVICE_SID, PN, "--fields", "status,input")
    assert (result.code, result.out, result.err) == (0, f"already attached\t{PN}\n", "1 already attached\n")
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number()])
    result = msgsvc("numbers", "attach", SERVICE_SID, PN, "--jq", ".[].status", "-q")
    assert (result.code, result.out, result.err) == (0, "already attached\n", "")


def test_quiet_leaves_only_data_and_errors(msgsvc, profile, httpserver):
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}", method="POST").respond_with_json(service())
    loud = msgsvc("services", "update", SERVICE_SID, "--usecase", "marketing")
    quiet = msgsvc("services", "update", SERVICE_SID, "--usecase", "marketing", "--quiet")
    assert loud.err == f"Updated {SERVICE_SID} (usecase)\n"
    assert (quiet.code, quiet.out, quiet.err) == (0, loud.out, "")
    httpserver.expect_oneshot_request(f"/v1/Services/{OTHER_SID}", method="POST").respond_with_json(
        {"code": 20404, "message": "not found", "status": 404}, status=404)
    failed = msgsvc("services", "update", OTHER_SID, "--usecase", "marketing", "-q")
    assert failed.code == 3 and failed.err.startswith("msgsvc: HTTP 404 (Twilio error 20404): not found")


def test_quiet_on_a_bulk_failure_still_exits_1(msgsvc, profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [])
    httpserver.expect_oneshot_request(INCOMING).respond_with_json(incoming([]))
    result = msgsvc("numbers", "attach", SERVICE_SID, E164, "-q")
    assert (result.code, result.err) == (1, "")
    assert result.out == f"{E164}\t\tfailed\t\tnot on this account\n"


def test_quiet_profiles(msgsvc, isolated):
    added = msgsvc("profiles", "add", "a", "--account-sid", "AC" + "1" * 32, "-q", "--no-verify", stdin="token-123456\n")
    used = msgsvc("profiles", "use", "a", "--quiet")
    removed = msgsvc("profiles", "remove", "a", "-q", "--yes")
    assert [(r.code, r.out, r.err) for r in (added, used, removed)] == [(0, "", "")] * 3


def test_an_empty_list_says_so_on_a_terminal_only(msgsvc, profile, httpserver):
    for tty in (True, False):
        expect_listing(httpserver, "ShortCodes", "short_codes", [], query="PageSize=50")
        result = msgsvc("short-codes", "list", SERVICE_SID, tty=tty)
        assert (result.code, result.out) == (0, "")
        assert result.err == (f"No short codes in '{SERVICE_SID}'.\n" if tty else "")


def test_no_profiles_yet(msgsvc, isolated):
    result = msgsvc("profiles", "list", tty=True)
    assert (result.code, result.out, result.err) == (0, "", "No profiles yet: msgsvc profiles add NAME --account-sid AC...\n")


@pytest.mark.parametrize("items, next_url, more", [
    (3, None, True),  # the page holds more than the limit
    (2, "/v1/Services?PageSize=2&Page=1&PageToken=x", True),  # exactly the limit, and a next page
    (2, None, False),  # exactly the limit, and no next page: nothing more
])
def test_a_list_cut_by_its_limit_says_so_on_a_terminal(msgsvc, profile, httpserver, items, next_url, more):
    services = [service(f"MG{n:032x}", f"S{n}") for n in range(items)]
    httpserver.expect_request("/v1/Services", query_string="PageSize=2").respond_with_json(page("services", services, next_url))
    httpserver.expect_request("/v1/Services", query_string="PageSize=1").respond_with_json(page("services", services[:1], next_url))
    result = msgsvc("services", "list", "--limit", "2", tty=True)
    assert result.code == 0 and len(result.out.splitlines()) == 3
    assert result.err == ("Showing 2 services; there are more: --all or --limit N\n" if more else "")
    assert len(httpserver.log) == 1  # no extra request to find out
    piped = msgsvc("services", "list", "--limit", "2")
    assert piped.err == ""
    one = msgsvc("services", "list", "--limit", "1", tty=True)
    assert one.err == ("Showing 1 service; there are more: --all or --limit N\n" if next_url else "")


def test_fields_and_jq_installed(profile, httpserver):
    two(httpserver)
    proc = run_installed("services", "list", "--jq", "map(.friendly_name) | join(\",\")")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "Alerts,Second\n", "")
