"""Toll-free verification in the emulator: the account's toll-free numbers and their records.

Serves `/v1/Tollfree/Verifications` (create; list, filtered by TollfreePhoneNumberSid, Status
and ExternalReferenceId) and `/{HH...}` (fetch, update, delete), with the shapes of
twilio_messaging_v1.json. The account's toll-free numbers (seed.py) are listed by routes.py
(`IncomingPhoneNumbers/TollFree.json`).

The review, deterministic: a record is PENDING_REVIEW when created (or resubmitted), IN_REVIEW
from half its review time, and settled once `store.tollfree_review` seconds (the emulator's
--tollfree-review) have passed: TWILIO_REJECTED when its business name or production message
sample carries a marker, TWILIO_APPROVED otherwise. The markers (upper case):
- REJECT: rejected with error 30511 (a reason that may be fixed), `edit_allowed` true and a
  seven-day edit window (`edit_expiration`); an update with an EditReason resubmits it;
- FORBIDDEN: rejected with error 30464 (a forbidden category), `edit_allowed` false: the
  record can only be deleted.
Status moves when a record is read, so no thread is needed and a state file keeps it.

The rules of the fields are msgsvc/api/tollfree.py's (`verification_problems`), answered as
Twilio does: 20001 (400) naming the field. Where Twilio's sources are silent, the errors are
assumptions, listed in the README's emulator section: 20001 for a number that is not a
toll-free number of this account, or that already has a record (delete it first); 30437
(400) for an update outside the edit window, or of a record that is not rejected; 20404 for
an unknown record.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from msgsvc.api import tollfree as rules
from msgsvc.api.tollfree import APPROVED, IN_REVIEW, PENDING_REVIEW, REJECTED, VERIFICATION
from msgsvc.api.validate import is_sid
from msgsvc.emulator.errors import invalid, missing, not_found
from msgsvc.emulator.model import form_values, new_sid
from msgsvc.emulator.routing import Call, Response, iso, page_window, route, v1_page

if TYPE_CHECKING:
    from msgsvc.emulator.store import Store

REJECT_MARKER = "REJECT"
FORBIDDEN_MARKER = "FORBIDDEN"
EDITABLE_REJECTION = (30511, "Toll Free verification rejection - Verbal consent script must be provided")
FINAL_REJECTION = (30464, "Toll Free verification rejection - Disallowed: Cryptocurrency")
EDIT_WINDOW = rules.EDIT_WINDOW_DAYS * 86400
EDIT_REFUSED = 30437  # the edit window: an update Twilio will not take

# The wire name -> record key of every field a create or update may send.
_KEYS = {f.wire: f.key for f in VERIFICATION.fields}
_CHECKED_ON = ("business_name", "production_message_sample")


def table(store: Store) -> dict[str, dict[str, Any]]:
    """The account's verification records (a state file from before them gets an empty
    table). The caller holds the store's lock."""
    data = store.data
    if "tollfree_verifications" not in data:
        data["tollfree_verifications"] = {}
        store.changed()
    return data["tollfree_verifications"]


def _settle(store: Store, record: dict[str, Any], now: float) -> None:
    """Move a record in review on, by the documented rule (see the module docstring)."""
    if record["status"] not in rules.PENDING_STATES:
        return
    start, end = record["review_start"], record["review_end"]
    if now >= end:
        text = " ".join(str(record.get(key) or "") for key in _CHECKED_ON)
        rejection = FINAL_REJECTION if FORBIDDEN_MARKER in text else EDITABLE_REJECTION if REJECT_MARKER in text else None
        record["updated"] = end
        if rejection is None:
            record.update(status=APPROVED, rejection_reason=None, error_code=None, rejection_reasons=None,
                          edit_allowed=None, edit_expiration=None)
        else:
            code, reason = rejection
            editable = rejection is EDITABLE_REJECTION
            record.update(status=REJECTED, rejection_reason=reason, error_code=code,
                          rejection_reasons=[{"code": code, "description": reason}],
                          edit_allowed=editable, edit_expiration=end + EDIT_WINDOW if editable else None)
        store.changed()
    elif now >= start + (end - start) / 2 and record["status"] == PENDING_REVIEW:
        record["status"] = IN_REVIEW
        store.changed()


def _values(request: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    return form_values(request, allowed, rules.LISTS, rules.BOOLEANS)


def _check(values: dict[str, Any], required: tuple[str, ...]) -> None:
    problems = rules.verification_problems(values, required=required)
    if problems:
        first = problems[0]
        if first.message == "is required":
            raise missing(first.field)
        raise invalid(f"{first.field} {first.message}")


CREATE_FIELDS = tuple(wire for wire in _KEYS if wire != rules.EDIT_REASON.wire)  # update's own
UPDATE_FIELDS = VERIFICATION.updatable


def create(store: Store, request: Any) -> dict[str, Any]:
    values = _values(request, CREATE_FIELDS)
    _check(values, rules.CREATE_REQUIRED)
    with store.lock:
        records = table(store)
        number_sid = values["TollfreePhoneNumberSid"]
        number = store.data["numbers"].get(number_sid)
        if number is None:
            raise invalid(f"TollfreePhoneNumberSid {number_sid} is not a phone number of this account")
        if not rules.is_toll_free(number["phone_number"]):
            raise invalid(f"TollfreePhoneNumberSid {number_sid} ({number['phone_number']}) is not a toll-free number")
        existing = next((r for r in records.values() if r["tollfree_phone_number_sid"] == number_sid), None)
        if existing is not None:
            raise invalid(f"Phone number {number['phone_number']} already has a toll-free verification "
                          f"({existing['sid']}); edit it, or delete it before submitting again")
        now = time.time()
        sid = new_sid("HH")
        record = {
            "sid": sid, **{key: None for key in _KEYS.values()},
            **{_KEYS[name]: value for name, value in values.items()},
            "tollfree_phone_number": number["phone_number"], "status": PENDING_REVIEW,
            "rejection_reason": None, "error_code": None, "rejection_reasons": None,
            "edit_allowed": None, "edit_expiration": None,
            "created": now, "updated": now, "review_start": now, "review_end": now + store.tollfree_review,
            "seq": store._next_seq(),
        }
        records[sid] = record
        store.changed()
        return dict(record)


def _record(store: Store, sid: str, path: str) -> dict[str, Any]:
    record = table(store).get(sid) if is_sid(sid, "HH") else None
    if record is None:
        raise not_found(path)
    _settle(store, record, time.time())
    return record


def fetch(store: Store, sid: str, path: str) -> dict[str, Any]:
    with store.lock:
        return dict(_record(store, sid, path))


def listing(store: Store, query: dict[str, str]) -> list[dict[str, Any]]:
    number, status, reference = (query.get(k) or None for k in ("TollfreePhoneNumberSid", "Status", "ExternalReferenceId"))
    if status is not None and status not in rules.STATUSES:
        raise invalid(f"Status must be one of {', '.join(rules.STATUSES)}")
    if number is not None and not is_sid(number, "PN"):
        raise invalid(f"TollfreePhoneNumberSid must be PN followed by 32 hexadecimal digits; {number!r} is not")
    subaccounts = query.get("IncludeSubAccounts")
    if subaccounts is not None and subaccounts.lower() not in ("true", "false"):
        raise invalid("IncludeSubAccounts must be true or false")  # the account has no subaccounts
    with store.lock:
        now = time.time()
        found = []
        for record in table(store).values():
            _settle(store, record, now)
            if number is not None and record["tollfree_phone_number_sid"] != number:
                continue
            if status is not None and record["status"] != status:
                continue
            if reference is not None and record["external_reference_id"] != reference:
                continue
            found.append(dict(record))
    return sorted(found, key=lambda r: r["seq"])


def update(store: Store, sid: str, request: Any) -> dict[str, Any]:
    values = _values(request, UPDATE_FIELDS)
    _check(values, ())
    with store.lock:
        record = _record(store, sid, request.path)
        now = time.time()
        if record["status"] != REJECTED:
            raise invalid(f"Toll-free verification {sid} is {record['status']}: only a rejected verification "
                          "can be edited and resubmitted", EDIT_REFUSED)
        if not record["edit_allowed"]:
            raise invalid(f"Toll-free verification {sid} cannot be edited (edit_allowed is false): delete it and "
                          "submit a new one", EDIT_REFUSED)
        if record["edit_expiration"] is not None and now >= record["edit_expiration"]:
            raise invalid(f"The edit window of toll-free verification {sid} closed at {iso(record['edit_expiration'])}: "
                          "delete it and submit a new one", EDIT_REFUSED)
        if not values.get("EditReason"):
            raise missing("EditReason")
        record.update({_KEYS[name]: value for name, value in values.items() if name != rules.EDIT_REASON.wire})
        record.update(status=PENDING_REVIEW, rejection_reason=None, error_code=None, rejection_reasons=None,
                      edit_allowed=None, edit_expiration=None, updated=now, review_start=now,
                      review_end=now + store.tollfree_review)
        store.changed()
        return dict(record)


def delete(store: Store, sid: str, path: str) -> None:
    with store.lock:
        _record(store, sid, path)
        del table(store)[sid]
        store.changed()


# --- rendering ----------------------------------------------------------------------------


def render(r: dict[str, Any], account_sid: str, base: str) -> dict[str, Any]:
    """A record as the definition's messaging.v1.tollfree_verification (every key, its order)."""
    url = f"{base}/v1/Tollfree/Verifications/{r['sid']}"
    made = {
        "account_sid": account_sid, "trust_product_sid": None, "regulated_item_sid": None,
        "date_created": iso(r["created"]), "date_updated": iso(r["updated"]), "url": url,
        "use_case_categories": list(r["use_case_categories"] or []),
        "opt_in_image_urls": list(r["opt_in_image_urls"] or []),
        "opt_in_keywords": list(r["opt_in_keywords"]) if r["opt_in_keywords"] is not None else None,
        "edit_expiration": iso(r["edit_expiration"]),
        "rejection_reasons": [dict(x) for x in r["rejection_reasons"]] if r["rejection_reasons"] else None,
        "resource_links": {"customer_profile": None, "trust_product": None, "channel_endpoint_assignment": None},
        "vetting_id_expiration": None,
    }
    return {key: made[key] if key in made else r.get(key) for key in VERIFICATION.keys}


# --- routing: entries of routing.ROUTES ------------------------------------------------------


def register_routes() -> None:
    """Add the Tollfree Verifications paths to the emulator's table (routes.py calls this)."""
    route(r"^/v1/Tollfree/Verifications$", {"GET": _list, "POST": _create})
    route(r"^/v1/Tollfree/Verifications/(?P<item>[^/]+)$", {"GET": _fetch, "POST": _update, "DELETE": _delete})


def _list(call: Call) -> Response:
    query = call.request.query
    window = page_window(query, listing(call.store, query), lambda r: r["seq"])
    rendered = [render(r, call.account, call.base) for r in window.items]
    filters = [(k, query[k]) for k in ("TollfreePhoneNumberSid", "Status", "ExternalReferenceId") if query.get(k)]
    return Response(200, v1_page(VERIFICATION.list_key, rendered, window, call.base, call.request.path, filters),
                    "ListTollfreeVerification")


def _create(call: Call) -> Response:
    return Response(201, render(create(call.store, call.request), call.account, call.base), "CreateTollfreeVerification")


def _fetch(call: Call) -> Response:
    record = fetch(call.store, call.match.group("item"), call.request.path)
    return Response(200, render(record, call.account, call.base), "FetchTollfreeVerification")


def _update(call: Call) -> Response:
    record = update(call.store, call.match.group("item"), call.request)
    return Response(202, render(record, call.account, call.base), "UpdateTollfreeVerification")


def _delete(call: Call) -> Response:
    delete(call.store, call.match.group("item"), call.request.path)
    return Response(204, None, "DeleteTollfreeVerification")
