"""--dry-run: the requests that would change something are printed, none is sent, exit 0;
read-only look-ups (name resolution) still run."""

from __future__ import annotations

import json

from conftest import BASIC_AUTH, SERVICE_SID, base_url_of, page, run_installed, service
from corehelp import sent
from factories import assert_service_list, expect_service_list

# Verbs that change something on Twilio must offer --dry-run, in every group except those
# that only touch local files. Extend CHANGING_VERBS when a new kind of change appears.
CHANGING_VERBS = {"create", "update", "delete", "add", "remove", "attach", "detach", "set", "unset",
                  "enable", "disable", "move", "rename", "import", "sync", "apply", "release", "assign"}
LOCAL_GROUPS = {"profiles", "completion", "completions", "man", "config", "cache"}


def leaf_commands():
    from conftest import command_tree

    return command_tree()


def test_every_command_that_changes_something_has_dry_run():
    assert len(leaf_commands()) > 20  # the walk reaches the lazily built nouns
    missing = [
        " ".join(path)
        for path, command in leaf_commands()
        if path[0] not in LOCAL_GROUPS and path[-1] in CHANGING_VERBS
        and not any("--dry-run" in param.opts for param in command.params)
    ]
    assert missing == []


def test_create_dry_run_prints_the_request_and_sends_nothing(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service(name="Other"))  # the name is free
    result = msgsvc("services", "create", "--friendly-name", "Alerts", "--usecase", "notifications", "--no-sticky-sender", "--dry-run")
    assert result.code == 0
    assert result.out == (
        f"POST {base_url_of(httpserver)}/v1/Services\n"
        "  FriendlyName=Alerts\n"
        "  StickySender=false\n"
        "  Usecase=notifications\n"
    )
    assert result.err == "Dry run: 1 request not sent.\n"
    (listing,) = sent(httpserver)  # the read only
    assert_service_list(listing)


def test_create_dry_run_of_a_name_taken_is_refused_as_the_create_is(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service())
    result = msgsvc("services", "create", "--friendly-name", "Alerts", "--dry-run")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"msgsvc: a service is already named 'Alerts': {SERVICE_SID} (created 2015-07-30T20:12:31Z)\n"
        f"hint: nothing was sent; use it (msgsvc services get {SERVICE_SID}), or add --allow-duplicate-name to "
        "create another with that name\n")
    (listing,) = sent(httpserver)
    assert_service_list(listing)


def test_create_dry_run_with_allow_duplicate_name_prints_the_request(msgsvc, profile, httpserver):
    expect_service_list(httpserver, service())
    result = msgsvc("services", "create", "--friendly-name", "Alerts", "--allow-duplicate-name", "--dry-run")
    assert (result.code, result.err) == (0, "Dry run: 1 request not sent.\n")
    assert result.out == f"POST {base_url_of(httpserver)}/v1/Services\n  FriendlyName=Alerts\n"
    (listing,) = sent(httpserver)
    assert_service_list(listing)


def test_create_dry_run_as_json(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services", method="GET").respond_with_json(page("services", []))
    for args in (["services", "create", "--friendly-name", "Alerts", "--dry-run", "--json"],
                 ["--json", "services", "create", "--dry-run", "--friendly-name", "Alerts"]):
        result = msgsvc(*args)
        assert (result.code, result.err) == (0, "")
        assert json.loads(result.out) == [{"method": "POST", "url": f"{base_url_of(httpserver)}/v1/Services", "form": {"FriendlyName": "Alerts"}}]
    for request in sent(httpserver):
        assert_service_list(request)
    assert len(sent(httpserver)) == 2


def test_update_by_name_dry_run_still_looks_the_name_up(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services", method="GET").respond_with_json(page("services", [service()]))
    result = msgsvc("services", "update", "Alerts", "--validity-period", "600", "--fallback-url", "", "--dry-run", "--json")
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == [
        {"method": "POST", "url": f"{base_url_of(httpserver)}/v1/Services/{SERVICE_SID}", "form": {"FallbackUrl": "", "ValidityPeriod": "600"}}
    ]
    assert [(r.method, r.path) for r, _ in httpserver.log] == [("GET", "/v1/Services")]


def test_update_dry_run_with_an_unknown_name_is_not_found(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services", method="GET").respond_with_json(page("services", [service()]))
    result = msgsvc("services", "update", "Nope", "--validity-period", "600", "--dry-run")
    assert (result.code, result.out) == (3, "")
    assert result.err.startswith("msgsvc: no service is named 'Nope'\n")


def test_delete_dry_run_needs_no_yes_and_deletes_nothing(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services", method="GET").respond_with_json(page("services", [service()]))
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    result = msgsvc("services", "delete", "Alerts", "--dry-run")
    assert result.code == 0
    assert result.out == f"DELETE {base_url_of(httpserver)}/v1/Services/{SERVICE_SID}\n"
    assert result.err == "Dry run: 1 request not sent.\n"
    assert [(r.method, r.path) for r, _ in httpserver.log] == [("GET", "/v1/Services"), ("GET", f"/v1/Services/{SERVICE_SID}")]


def test_dry_run_installed(profile, httpserver):
    httpserver.expect_request("/v1/Services", method="GET").respond_with_json(page("services", [service()]))
    proc = run_installed("--debug", "services", "update", "Alerts", "--sticky-sender", "--dry-run")
    assert proc.returncode == 0
    assert proc.stdout == f"POST {base_url_of(httpserver)}/v1/Services/{SERVICE_SID}\n  StickySender=true\n"
    assert f"debug: dry run: not sending POST {base_url_of(httpserver)}/v1/Services/{SERVICE_SID} form={{'StickySender': 'true'}}\n" in proc.stderr
    assert proc.stderr.endswith("Dry run: 1 request not sent.\n")
    assert [(r.method, r.headers["Authorization"]) for r, _ in httpserver.log] == [("GET", BASIC_AUTH)]
