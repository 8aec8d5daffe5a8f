"""Toll-free verification rules (msgsvc/api/tollfree.py): which numbers are toll-free, which
records let a number send, and what to do next, against Twilio's definition where it says."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from conftest import load_spec

from msgsvc.api import tollfree
from msgsvc.api.tollfree import APPROVED, IN_REVIEW, PENDING_REVIEW, REJECTED

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def spec() -> dict:
    return load_spec("twilio_messaging_v1.json")


def enum(spec: dict, name: str) -> list[str]:
    schema = spec["components"]["schemas"][f"tollfree_verification_enum_{name}"]
    return schema["enum"] if "enum" in schema else schema["items"]["enum"]


def test_statuses_and_choices_are_the_definitions(spec):
    assert list(tollfree.STATUSES) == enum(spec, "status")
    assert list(tollfree.USE_CASE_CATEGORIES) == enum(spec, "use_case_categories")
    assert list(tollfree.OPT_IN_TYPES) == enum(spec, "opt_in_type")
    assert list(tollfree.BUSINESS_TYPES) == enum(spec, "business_type")
    assert list(tollfree.REGISTRATION_AUTHORITIES) == enum(spec, "business_registration_authority")
    assert list(tollfree.VETTING_PROVIDERS) == enum(spec, "vetting_provider")


def test_create_required_and_keys_are_the_definitions(spec):
    create = spec["paths"]["/v1/Tollfree/Verifications"]["post"]["requestBody"]["content"]
    assert list(tollfree.CREATE_REQUIRED) == create["application/x-www-form-urlencoded"]["schema"]["required"]
    keys = list(spec["components"]["schemas"]["messaging.v1.tollfree_verification"]["properties"])
    assert list(tollfree.VERIFICATION.keys) == keys
    pattern = spec["components"]["schemas"]["messaging.v1.tollfree_verification"]["properties"]["sid"]["pattern"]
    assert pattern.startswith(f"^{tollfree.VERIFICATION.prefix}[")


@pytest.mark.parametrize("number", ["+18005550100", "+18335550100", "+18445550100", "+18555550100",
                                    "+18665550100", "+18775550100", "+18885550100"])
def test_toll_free_numbers(number):
    assert tollfree.is_toll_free(number)


@pytest.mark.parametrize("number", ["+15005550100", "+18225550100", "+18805550100", "+18895550100", "+1800555010",
                                    "+180055501000", "18005550100", "+448005550100", "", None])
def test_not_toll_free(number):
    assert not tollfree.is_toll_free(number)


def rejected(*, allowed=True, expires: datetime | None = NOW + timedelta(days=3), **more):
    record = {"status": REJECTED, "edit_allowed": allowed, **more}
    record["edit_expiration"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ") if expires else None
    return record


@pytest.mark.parametrize(("record", "step"), [
    (None, "submit"),
    ({"status": PENDING_REVIEW}, "wait"),
    ({"status": IN_REVIEW}, "wait"),
    ({"status": "SOMETHING_NEW"}, "wait"),
    ({"status": APPROVED}, "none"),
    (rejected(), "edit by 2026-12-09 12:00 UTC"),
    (rejected(allowed=False), "delete and submit again"),
    (rejected(expires=NOW - timedelta(seconds=1)), "delete and submit again"),
    (rejected(expires=NOW), "delete and submit again"),
    (rejected(expires=None), "delete and submit again"),
    ({"status": REJECTED, "edit_allowed": True, "edit_expiration": "not a date"}, "delete and submit again"),
])
def test_next_step(record, step):
    assert tollfree.next_step(record, NOW) == step


def test_only_an_approved_record_lets_a_number_send():
    assert not tollfree.blocks_sending({"status": APPROVED})
    for record in (None, {"status": PENDING_REVIEW}, {"status": IN_REVIEW}, rejected(), {}):
        assert tollfree.blocks_sending(record), record


def test_edit_window():
    assert tollfree.can_edit(rejected(), NOW)
    assert not tollfree.can_edit(rejected(expires=NOW - timedelta(minutes=1)), NOW)
    assert not tollfree.can_edit({"status": APPROVED, "edit_allowed": True, "edit_expiration": "2027-01-01T00:00:00Z"}, NOW)
    assert tollfree.edit_deadline(rejected(expires=datetime(2026, 12, 9, 12, tzinfo=timezone.utc))) == datetime(
        2026, 12, 9, 12, tzinfo=timezone.utc)


def test_rejection_reasons_as_lines():
    record = rejected(rejection_reasons=[{"code": 30445, "description": "Website not accessible"}, "Opt-in unclear"])
    assert tollfree.rejection_reasons(record) == ["30445: Website not accessible", "Opt-in unclear"]
    assert tollfree.rejection_reasons(rejected(rejection_reason="Business not found", error_code=30446)) == [
        "30446: Business not found"]
    assert tollfree.rejection_reasons({"status": REJECTED}) == []


def test_the_newest_record_of_a_number_counts():
    old = {"sid": "HH1", "tollfree_phone_number_sid": "PN1", "status": REJECTED, "date_created": "2026-11-01T00:00:00Z"}
    new = {"sid": "HH2", "tollfree_phone_number_sid": "PN1", "status": IN_REVIEW, "date_created": "2026-12-01T00:00:00Z"}
    other = {"sid": "HH3", "tollfree_phone_number_sid": "PN2", "status": APPROVED, "date_created": "2026-10-01T00:00:00Z"}
    assert tollfree.latest_by_number([new, old, other, {"sid": "HH4"}]) == {"PN1": new, "PN2": other}
    assert tollfree.latest_by_number([old, new]) == {"PN1": new}
