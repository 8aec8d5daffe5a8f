"""msgsvc services: the exact request of each command and its output in every mode."""

from __future__ import annotations

import json

from conftest import BASIC_AUTH, OTHER_SID, SERVICE_SID, page, service
from factories import expect_service_list


def test_create_sends_only_given_fields_in_wire_form(msgsvc, profile, httpserver):
    expect_service_list(httpserver)  # the name is free
    httpserver.expect_oneshot_request(
        "/v1/Services",
        method="POST",
        headers={"Authorization": BASIC_AUTH, "Content-Type": "application/x-www-form-urlencoded"},
        data="FriendlyName=Alerts&InboundMethod=GET&StickySender=true&SmartEncoding=false&ValidityPeriod=600&Usecase=notifications",
    ).respond_with_json(service(), status=201)

    result = msgsvc(
        "services", "create", "--friendly-name", "Alerts", "--inbound-method", "get",
        "--sticky-sender", "--no-smart-encoding", "--validity-period", "600", "--usecase", "notifications",
        "--json",
    )

    assert result.code == 0, result.err
    assert json.loads(result.out) == service()
    assert result.err == ""
    httpserver.check_assertions()
    assert [r.method for r, _ in httpserver.log] == ["GET", "POST"]


def test_list_in_a_pipe_is_tsv_without_header(msgsvc, profile, httpserver):
    httpserver.expect_request("/v1/Services", query_string="PageSize=50").respond_with_json(
        page("services", [service(), service(OTHER_SID, "Two words\tand a tab", usecase=None)])
    )
    result = msgsvc("services", "list")
    assert result.code == 0, result.err
    assert result.out == (
        f"{SERVICE_SID}\tAlerts\tmarketing\tfalse\t2015-07-30T20:12:31Z\n"
        f"{OTHER_SID}\tTwo words\\tand a tab\t\tfalse\t2015-07-30T20:12:31Z\n"
    )
