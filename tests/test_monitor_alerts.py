"""Monitor alerts: the declaration against Twilio's definition, the client's account-wide
listing (exact request, the monitor host), and the emulator's alerts (record_alert, list with
its filters, fetch), every answer checked against the definition."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from conftest import ACCOUNT_SID, base_url_of, load_spec, page
from corehelp import assert_request, sent
from emulator_helpers import emulator  # noqa: F401 (fixture)

from msgsvc.api.client import MONITOR, Client, ClientSettings, host_url
from msgsvc.api.monitor import ALERT, since, start_date

NO = "NO" + "1" * 32
SERVICE = "MG" + "2" * 32


def alert(**fields) -> dict:
    record = {
        "account_sid": ACCOUNT_SID, "alert_text": "Message from an Unregistered Number", "api_version": "2010-04-01",
        "date_created": "2026-12-01T10:00:00Z", "date_generated": "2026-12-01T10:00:00Z",
        "date_updated": "2026-12-01T10:00:00Z", "error_code": "30034", "log_level": "error",
        "more_info": "https://www.twilio.com/docs/api/errors/30034", "request_method": None, "request_url": None,
        "resource_sid": "SM" + "3" * 32, "sid": NO, "url": f"https://monitor.twilio.com/v1/Alerts/{NO}",
        "service_sid": SERVICE,
    }
    record.update(fields)
    return record


def test_the_declaration_keys_are_the_definitions():
    spec = load_spec("twilio_monitor_v1.json")
    assert list(ALERT.keys) == list(spec["components"]["schemas"]["monitor.v1.alert"]["properties"])
    listing = spec["paths"]["/v1/Alerts"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ALERT.list_key in listing["properties"]
    assert all(c.key in ALERT.keys for c in ALERT.columns)
    assert spec["paths"]["/v1/Alerts"]["servers"] == [{"url": host_url(MONITOR, None, None)}]
    assert ALERT.collection_path() == "/v1/Alerts"


def test_the_monitor_host_follows_region_and_edge():
    client = Client(ClientSettings(username=ACCOUNT_SID, password="t", region="ie1", edge="dublin"))
    assert client.base(MONITOR) == "https://monitor.dublin.ie1.twilio.com"


def test_list_alerts_sends_the_start_date_and_reads_every_page(httpserver):
    second = base_url_of(httpserver) + "/v1/Alerts?StartDate=2026-12-01T00%3A00%3A00Z&PageSize=1000&Page=1&PageToken=PA1"
    httpserver.expect_ordered_request("/v1/Alerts", query_string={"StartDate": "2026-12-01T00:00:00Z", "PageSize": "1000"}).respond_with_json(
        page("alerts", [alert()], next_url=second))
    httpserver.expect_ordered_request("/v1/Alerts").respond_with_json(page("alerts", [alert(sid="NO" + "4" * 32)]))
    client = Client(ClientSettings(username=ACCOUNT_SID, password="s3cr3t-auth-token-0123456789abcdef",
                                   base_url=base_url_of(httpserver), max_retries=0))
    found = list(client.list_alerts(datetime(2026, 12, 1, tzinfo=timezone.utc)))
    assert [a["sid"] for a in found] == [NO, "NO" + "4" * 32]
    requests = sent(httpserver)
    assert_request(requests[0], "GET", "/v1/Alerts", query="StartDate=2026-12-01T00%3A00%3A00Z&PageSize=1000")
    assert_request(requests[1], "GET", "/v1/Alerts",
                   query="StartDate=2026-12-01T00%3A00%3A00Z&PageSize=1000&Page=1&PageToken=PA1")


def test_start_date_is_gmt_and_the_look_back_is_at_most_thirty_days():
    moment = datetime(2026, 12, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert start_date(moment) == "2026-12-01T10:30:00Z"
    assert since(moment, timedelta(days=1)) == moment - timedelta(days=1)
    with pytest.raises(ValueError, match="Monitor keeps alerts for 30 days; look back at most 30d"):
        since(moment, timedelta(days=31))


# --- the emulator -------------------------------------------------------------------------------


def test_recorded_alerts_are_listed_filtered_and_fetched(emulator):
    from msgsvc.emulator.monitor import record_alert

    old = record_alert(emulator.store, 30034, service_sid=SERVICE, resource_sid="SM" + "5" * 32,
                       when=datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp())
    new = record_alert(emulator.store, "11200", service_sid=SERVICE, request_url="https://example.com/in",
                       log_level="warning", when=datetime(2026, 12, 2, 8, tzinfo=timezone.utc).timestamp())
    answer = emulator.call("GET", "/v1/Alerts").json()
    assert [a["sid"] for a in answer["alerts"]] == [old["sid"], new["sid"]]
    first = answer["alerts"][0]
    assert (first["error_code"], first["service_sid"], first["resource_sid"], first["date_generated"]) == (
        "30034", SERVICE, "SM" + "5" * 32, "2026-11-01T00:00:00Z")
    assert first["more_info"] == "https://www.twilio.com/docs/api/errors/30034"
    since_dec = emulator.call("GET", "/v1/Alerts", params={"StartDate": "2026-12-01"}).json()
    assert [a["sid"] for a in since_dec["alerts"]] == [new["sid"]]
    assert since_dec["meta"]["url"].endswith("/v1/Alerts?StartDate=2026-12-01&PageSize=50&Page=0")
    until = emulator.call("GET", "/v1/Alerts", params={"EndDate": "2026-11-01"}).json()
    assert [a["sid"] for a in until["alerts"]] == [old["sid"]]
    warnings = emulator.call("GET", "/v1/Alerts", params={"LogLevel": "warning"}).json()
    assert [a["sid"] for a in warnings["alerts"]] == [new["sid"]]
    fetched = emulator.call("GET", f"/v1/Alerts/{new['sid']}").json()
    assert (fetched["request_url"], fetched["request_method"], fetched["log_level"]) == ("https://example.com/in", "POST", "warning")
    assert {"ListAlert", "FetchAlert"} <= emulator.operations


def test_the_emulator_refuses_a_bad_date_and_an_unknown_alert(emulator):
    bad = emulator.call("GET", "/v1/Alerts", params={"StartDate": "yesterday"})
    assert (bad.status_code, bad.json()["code"]) == (400, 20001)
    assert bad.json()["message"] == "StartDate must be a date (YYYY-MM-DD) or a time (YYYY-MM-DDThh:mm:ssZ) in GMT: 'yesterday'"
    missing = emulator.call("GET", f"/v1/Alerts/{NO}")
    assert (missing.status_code, missing.json()["code"]) == (404, 20404)


def test_alerts_are_kept_in_the_state_file(tmp_path):
    from emulator_helpers import start_emulator, stop_emulator
    from msgsvc.emulator.monitor import record_alert
    from msgsvc.emulator.store import Store

    path = tmp_path / "state.json"
    emu = start_emulator(path=path)
    try:
        kept = record_alert(emu.store, "30032", service_sid=SERVICE)
    finally:
        stop_emulator(emu)
    assert Store.load(path).data["alerts"][kept["sid"]]["error_code"] == "30032"
