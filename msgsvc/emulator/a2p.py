"""US A2P 10DLC in the emulator: the account's brands, each service's campaign, use cases.

Serves, with the shapes of Twilio's definition (twilio_messaging_v1.json):
- `/v1/a2p/BrandRegistrations` (list) and `/{BN...}` (fetch): read only; a new account holds
  three brands: an APPROVED standard brand, an APPROVED sole proprietor brand and a FAILED
  standard brand with a failure reason and errors;
- `/v1/Services/{MG}/Compliance/Usa2p` (create, list) and `/{QE...}` (fetch, update, delete);
- `/v1/Services/{MG}/Compliance/Usa2p/Usecases[?BrandRegistrationSid=BN...]`;
- `/v1/Services/Usecases`: the values of a service's own `usecase` field.

The review, deterministic: a campaign is PENDING when created, IN_PROGRESS from half its
review time, and settled once `store.a2p_review` seconds (the emulator's --a2p-review) have
passed since it was created or last updated: FAILED, with error 30897 (Disallowed Content)
naming DESCRIPTION and/or MESSAGE_FLOW, when its description or message flow contains the
marker REJECT (upper case); VERIFIED otherwise. Status moves when the campaign is read, so
no thread is needed and a state file keeps it across restarts.

Creating a campaign sets the service's `us_app_to_person_registered`; deleting it (or the
service) clears it. Where Twilio's sources are silent, the errors are assumptions, listed in
the README's emulator section: 20001 (400) for an invalid field, an unknown or unapproved
brand, a use case the brand may not register, a second campaign on a service, or an update
while in review; 20404 for an unknown campaign, brand or path.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any

from msgsvc.api.a2p import CREATE_REQUIRED, LISTS, UPDATABLE, UPDATE_REQUIRED, campaign_problems
from msgsvc.api.resources import CAMPAIGN
from msgsvc.api.validate import is_sid
from msgsvc.emulator.errors import invalid, missing, not_found
from msgsvc.emulator.model import form_values, new_sid
from msgsvc.emulator.routing import Call, Response, iso, page_window, route, v1_page

if TYPE_CHECKING:
    from msgsvc.emulator.store import Store

REJECT_MARKER = "REJECT"
REJECTED = {
    "error_code": 30897,
    "url": "https://www.twilio.com/docs/api/errors/30897",
    "description": "The campaign submission has been reviewed and it was rejected due to Disallowed Content.",
}


# The campaign use cases of a standard brand: codes, names and descriptions from the
# definition's example of FetchUsAppToPersonUsecase.
STANDARD_USECASES = (
    ("2FA", "Two-Factor authentication (2FA)", "Two-Factor authentication, one-time use password, password reset", False),
    ("ACCOUNT_NOTIFICATION", "Account Notification", "All reminders, alerts, and notifications. (Examples include: flight delayed, hotel booked, appointment reminders.)", False),
    ("AGENTS_FRANCHISES", "Agents and Franchises", "For brands that have multiple agents, franchises or offices in the same brand vertical, but require individual localised numbers per agent/location/office.", True),
    ("CHARITY", "Charity", "Includes:  5013C Charity\nDoes not include: Religious organizations", False),
    ("PROXY", "Proxy", "Peer-to-peer app-based group messaging with proxy/pooled numbers (For example: GroupMe)\nSupporting personalized services and non-exposure of personal numbers for enterprise or A2P communications. (Examples include: Uber and AirBnb.)", True),
    ("CUSTOMER_CARE", "Customer Care", "All customer care messaging, including account management and support", False),
    ("DELIVERY_NOTIFICATION", "Delivery Notification", "Information about the status of the delivery of a product or service", False),
    ("EMERGENCY", "Emergency", "Notification services designed to support public safety / health during natural disasters, armed conflicts, pandemics and other national or regional emergencies", True),
    ("FRAUD_ALERT", "Fraud Alert Messaging", "Fraud alert notification", False),
    ("HIGHER_EDUCATION", "Higher Education", "For campaigns created on behalf of Colleges or Universities and will also include School Districts etc that fall outside of any \"free to the consumer\" messaging model", False),
    ("K12_EDUCATION", "K-12 Education", "Campaigns created for messaging platforms that support schools from grades K-12 and distance learning centers. This is not for Post-Secondary schools.", True),
    ("LOW_VOLUME", "Low Volume Mixed", "Low throughput, any combination of use-cases. Examples include:  test, demo accounts", False),
    ("MARKETING", "Marketing", "Any communication with marketing and/or promotional content", False),
    ("MIXED", "Mixed", "Mixed messaging reserved for specific consumer service industry", False),
    ("POLITICAL", "Political", "Part of organized effort to influence decision making of specific group. All campaigns to be verified", False),
    ("POLLING_VOTING", "Polling and voting", "Polling and voting", False),
    ("PUBLIC_SERVICE_ANNOUNCEMENT", "Public Service Announcement", "An informational message that is meant to raise the audience awareness about an important issue", False),
    ("SECURITY_ALERT", "Security Alert", "A notification that the security of a system, either software or hardware, has been compromised in some way and there is an action you need to take", False),
    ("SOCIAL", "Social", "Communication within or between closed communities (For example: influencers alerts)", True),
    ("SWEEPSTAKE", "Sweepstake", "Sweepstake", True),
)
# A sole proprietor brand registers one use case (an assumption: the definition's examples
# show SOLE_PROPRIETOR campaigns but no use case list for such a brand).
SOLE_PROPRIETOR_USECASES = (
    ("SOLE_PROPRIETOR", "Sole Proprietor", "Messaging from a sole proprietor: any use case, low volume", False),
)

# A service's own `usecase` values. The first two are the definition's example; the other
# descriptions and purposes are the emulator's own words.
SERVICE_USECASES = (
    ("notifications", "Transactional notifications and Alerts for any Delivery, Account, Reminder, Order, Fraud, Security, Public Service, or Emergency announcements.", "Notify my users."),
    ("marketing", "Marketing messages may contain product information, offers, and calls to action to engage with your organization.", "Market my services."),
    ("verification", "One-time passwords and codes that verify a user's identity or a transaction.", "Verify my users."),
    ("discussion", "Two-way conversations between your organization and its users, such as customer care.", "Talk with my users."),
    ("poll", "Surveys, polls and votes that ask users for their answers.", "Poll my users."),
    ("undeclared", "A use case that is not declared; Twilio treats the service's traffic as mixed.", "Not declared."),
)

RATE_LIMITS = {
    "STANDARD": {"att": {"mps": 600, "msg_class": "A"}, "tmobile": {"brand_tier": "TOP"}},
    "SOLE_PROPRIETOR": {"att": {"mps": 0.25, "msg_class": "A"}, "tmobile": {"brand_tier": "LOW"}},
}


# --- state ----------------------------------------------------------------------------------


def _bundle(rng: random.Random) -> str:
    return new_sid("BU", rng)


def seed_brands(account_sid: str, now: float) -> dict[str, dict[str, Any]]:
    """The brands of a new account; their SIDs follow from the account SID."""
    rng = random.Random(account_sid + ":a2p-brands")
    brands = [
        {"brand_type": "STANDARD", "status": "APPROVED", "tcr_id": "BEMU001", "failure_reason": None,
         "brand_score": 80, "identity_status": "VERIFIED", "russell_3000": False, "tax_exempt_status": None,
         "government_entity": False, "errors": []},
        {"brand_type": "SOLE_PROPRIETOR", "status": "APPROVED", "tcr_id": "BEMU002", "failure_reason": None,
         "brand_score": None, "identity_status": "SELF_DECLARED", "russell_3000": None, "tax_exempt_status": None,
         "government_entity": None, "errors": []},
        {"brand_type": "STANDARD", "status": "FAILED", "tcr_id": None,
         "failure_reason": "Registration error: the brand's address could not be verified",
         "brand_score": None, "identity_status": "UNVERIFIED", "russell_3000": False, "tax_exempt_status": None,
         "government_entity": False,
         "errors": [{
             "url": "https://www.twilio.com/docs/api/errors/30701",
             "error_code": 30701,
             "description": "Invalid State/Region/Province. please check the input field value [Max length 20, For The United States, please use 2 character codes. E.g. 'CA' for California] and retry.",
             "fields": ["region"],
         }]},
    ]
    out = {}
    for seq, brand in enumerate(brands, 1):
        sid = new_sid("BN", rng)
        out[sid] = {"sid": sid, "customer_profile_bundle_sid": _bundle(rng), "a2p_profile_bundle_sid": _bundle(rng),
                    "seq": seq, "created": now, "updated": now, **brand}
    return out


def tables(store: Store) -> tuple[dict[str, dict], dict[str, dict]]:
    """(brands, campaigns) of the account; a state file from before A2P gets its brands now.
    The caller holds the store's lock."""
    data = store.data
    if "brands" not in data:
        data["brands"] = seed_brands(data["account_sid"], time.time())
        data["campaigns"] = {}
        store.changed()
    return data["brands"], data["campaigns"]


def install(store: Store) -> None:
    """Follow the store's changes that A2P cares about (the server does this when it is built)."""
    if service_deleted not in store.on_service_deleted:
        store.on_service_deleted.append(service_deleted)


def service_deleted(store: Store, service_sid: str) -> None:
    """Deleting a service deletes its campaign (the caller holds the lock)."""
    _, campaigns = tables(store)
    for sid in [sid for sid, c in campaigns.items() if c["service_sid"] == service_sid]:
        del campaigns[sid]


def _settle(store: Store, campaign: dict[str, Any], now: float) -> None:
    """Move a campaign in review on, by the documented rule (see the module docstring)."""
    if campaign["campaign_status"] not in ("PENDING", "IN_PROGRESS"):
        return
    start, end = campaign["review_start"], campaign["review_end"]
    if now >= end:
        fields = [name for name, key in (("DESCRIPTION", "description"), ("MESSAGE_FLOW", "message_flow"))
                  if REJECT_MARKER in (campaign[key] or "")]
        campaign["campaign_status"] = "FAILED" if fields else "VERIFIED"
        campaign["errors"] = [{**REJECTED, "fields": fields}] if fields else []
        campaign["updated"] = end
        store.changed(("campaigns", campaign["sid"]))
    elif now >= start + (end - start) / 2 and campaign["campaign_status"] == "PENDING":
        campaign["campaign_status"] = "IN_PROGRESS"
        store.changed(("campaigns", campaign["sid"]))


def _values(request: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The form's campaign fields: lists for list-valued ones (repeated keys), booleans parsed."""
    from msgsvc.api.a2p import BOOLEANS

    return form_values(request, allowed, LISTS, BOOLEANS)


def _check(values: dict[str, Any], required: tuple[str, ...]) -> None:
    problems = campaign_problems(values, required=required)
    if problems:
        first = problems[0]
        if first.message == "is required":
            raise missing(first.field)
        raise invalid(f"{first.field} {first.message}")


# The campaign's fields, from its declaration: wire name -> the key of the campaign record.
CREATE_FIELDS = tuple(f.wire for f in CAMPAIGN.fields)
_KEYS = {f.wire: f.key for f in CAMPAIGN.fields}


def _usecases_of(brand: dict[str, Any]) -> tuple:
    return SOLE_PROPRIETOR_USECASES if brand["brand_type"] == "SOLE_PROPRIETOR" else STANDARD_USECASES


def _service(store: Store, sid: str, path: str) -> dict[str, Any]:
    if not is_sid(sid, "MG"):
        raise not_found(path)
    service = store.data["services"].get(sid)
    if service is None:
        raise not_found(path)
    return service


def create_campaign(store: Store, service_sid: str, request: Any) -> dict[str, Any]:
    values = _values(request, CREATE_FIELDS)
    with store.lock:
        service = _service(store, service_sid, request.path)
        brands, campaigns = tables(store)
        _check(values, CREATE_REQUIRED)
        brand_sid = values["BrandRegistrationSid"]
        brand = brands.get(brand_sid)
        if brand is None:
            raise invalid(f"BrandRegistrationSid {brand_sid} is not a brand registration of this account")
        if brand["status"] != "APPROVED":
            raise invalid(f"Brand {brand_sid} is {brand['status']}, not APPROVED: a campaign can only be registered for an approved brand")
        usecase = values["UsAppToPersonUsecase"]
        if usecase not in [code for code, *_ in _usecases_of(brand)]:
            raise invalid(f"UsAppToPersonUsecase {usecase} is not available to brand {brand_sid}; "
                          f"see /v1/Services/{service_sid}/Compliance/Usa2p/Usecases?BrandRegistrationSid={brand_sid}")
        existing = next((c for c in campaigns.values() if c["service_sid"] == service_sid), None)
        if existing is not None:
            raise invalid(f"The Messaging Service {service_sid} already has a US A2P campaign ({existing['sid']}); delete it before registering another")
        now = time.time()
        sid = new_sid("QE")
        campaign = {
            "sid": sid, "service_sid": service_sid, "brand_registration_sid": brand_sid,
            "brand_type": brand["brand_type"],
            **{key: None for key in _KEYS.values()},
            "subscriber_opt_in": False, "age_gated": False, "direct_lending": False,
            **{_KEYS[name]: value for name, value in values.items() if name in _KEYS},
            "campaign_status": "PENDING", "campaign_id": "C" + sid[2:8].upper(), "errors": [],
            "created": now, "updated": now, "review_start": now, "review_end": now + store.a2p_review,
            "seq": store._next_seq(),
        }
        campaigns[sid] = campaign
        service["us_app_to_person_registered"] = True
        service["updated"] = now
        store.changed(("campaigns", sid), ("services", service_sid))
        return dict(campaign)


def _campaign(store: Store, service_sid: str, sid: str, path: str) -> dict[str, Any]:
    _service(store, service_sid, path)
    _, campaigns = tables(store)
    campaign = campaigns.get(sid)
    if campaign is None or campaign["service_sid"] != service_sid:
        raise not_found(path)
    _settle(store, campaign, time.time())
    return campaign


def get_campaign(store: Store, service_sid: str, sid: str, path: str) -> dict[str, Any]:
    with store.lock:
        return dict(_campaign(store, service_sid, sid, path))


def list_campaigns(store: Store, service_sid: str, path: str) -> list[dict[str, Any]]:
    with store.lock:
        _service(store, service_sid, path)
        _, campaigns = tables(store)
        now = time.time()
        found = [c for c in campaigns.values() if c["service_sid"] == service_sid]
        for campaign in found:
            _settle(store, campaign, now)
        return sorted((dict(c) for c in found), key=lambda c: c["seq"])


def update_campaign(store: Store, service_sid: str, sid: str, request: Any) -> dict[str, Any]:
    values = _values(request, UPDATABLE)
    with store.lock:
        campaign = _campaign(store, service_sid, sid, request.path)
        _check(values, UPDATE_REQUIRED)
        if campaign["campaign_status"] in ("PENDING", "IN_PROGRESS"):
            raise invalid(f"Campaign {sid} is {campaign['campaign_status']}: it can be updated once its review is over (VERIFIED or FAILED)")
        now = time.time()
        campaign.update({_KEYS[name]: value for name, value in values.items()})
        campaign.update(campaign_status="PENDING", errors=[], updated=now, review_start=now, review_end=now + store.a2p_review)
        store.changed(("campaigns", sid))
        return dict(campaign)


def delete_campaign(store: Store, service_sid: str, sid: str, path: str) -> None:
    with store.lock:
        _campaign(store, service_sid, sid, path)
        _, campaigns = tables(store)
        del campaigns[sid]
        service = store.data["services"][service_sid]
        service["us_app_to_person_registered"] = False
        service["updated"] = time.time()
        store.changed(("campaigns", sid), ("services", service_sid))


def brand_list(store: Store) -> list[dict[str, Any]]:
    with store.lock:
        brands, _ = tables(store)
        return sorted((dict(b) for b in brands.values()), key=lambda b: b["seq"])


def brand(store: Store, sid: str, path: str) -> dict[str, Any]:
    with store.lock:
        brands, _ = tables(store)
        found = brands.get(sid)
        if found is None:
            raise not_found(path)
        return dict(found)


# --- rendering ----------------------------------------------------------------------------


def render_campaign(c: dict[str, Any], account_sid: str, base: str) -> dict[str, Any]:
    """A campaign as the definition's us_app_to_person_v2 schema (with the two URLs)."""
    return {
        "sid": c["sid"],
        "account_sid": account_sid,
        "brand_registration_sid": c["brand_registration_sid"],
        "messaging_service_sid": c["service_sid"],
        "description": c["description"],
        "message_samples": list(c["message_samples"] or []),
        "us_app_to_person_usecase": c["us_app_to_person_usecase"],
        "has_embedded_links": c["has_embedded_links"],
        "has_embedded_phone": c["has_embedded_phone"],
        "subscriber_opt_in": c["subscriber_opt_in"],
        "age_gated": c["age_gated"],
        "direct_lending": c["direct_lending"],
        "campaign_status": c["campaign_status"],
        "campaign_id": c["campaign_id"],
        "is_externally_registered": False,
        "rate_limits": RATE_LIMITS.get(c.get("brand_type"), RATE_LIMITS["STANDARD"]),
        "message_flow": c["message_flow"],
        "opt_in_message": c["opt_in_message"],
        "opt_out_message": c["opt_out_message"],
        "help_message": c["help_message"],
        "opt_in_keywords": c["opt_in_keywords"],
        "opt_out_keywords": c["opt_out_keywords"],
        "help_keywords": c["help_keywords"],
        "date_created": iso(c["created"]),
        "date_updated": iso(c["updated"]),
        "url": f"{base}/v1/Services/{c['service_sid']}/Compliance/Usa2p/{c['sid']}",
        "mock": False,
        "errors": [dict(e) for e in c["errors"]],
        "privacy_policy_url": c["privacy_policy_url"],
        "terms_and_conditions_url": c["terms_and_conditions_url"],
    }


def render_brand(b: dict[str, Any], account_sid: str, base: str) -> dict[str, Any]:
    url = f"{base}/v1/a2p/BrandRegistrations/{b['sid']}"
    return {
        "sid": b["sid"],
        "account_sid": account_sid,
        "customer_profile_bundle_sid": b["customer_profile_bundle_sid"],
        "a2p_profile_bundle_sid": b["a2p_profile_bundle_sid"],
        "date_created": iso(b["created"]),
        "date_updated": iso(b["updated"]),
        "brand_type": b["brand_type"],
        "status": b["status"],
        "tcr_id": b["tcr_id"],
        "failure_reason": b["failure_reason"],
        "url": url,
        "brand_score": b["brand_score"],
        "brand_feedback": None,
        "identity_status": b["identity_status"],
        "russell_3000": b["russell_3000"],
        "tax_exempt_status": b["tax_exempt_status"],
        "government_entity": b["government_entity"],
        "skip_automatic_sec_vet": False,
        "errors": [dict(e) for e in b["errors"]],
        "mock": False,
        "links": {"brand_vettings": f"{url}/Vettings", "brand_registration_otps": f"{url}/SmsOtp"},
    }


def _usecase(code: str, name: str, description: str, post_approval: bool) -> dict[str, Any]:
    return {"code": code, "name": name, "description": description, "post_approval_required": post_approval}


# --- routing: entries of routing.ROUTES ------------------------------------------------------


def register_routes() -> None:
    """Add A2P's paths to the emulator's table; routes.py calls this before `/v1/Services/{Sid}`,
    which would otherwise take `Usecases` for a service SID."""
    route(r"^/v1/Services/Usecases$", {"GET": _service_usecases})
    route(r"^/v1/a2p/BrandRegistrations$", {"GET": _list_brands}, ("POST",))  # read only here
    route(r"^/v1/a2p/BrandRegistrations/(?P<brand>[^/]+)$", {"GET": _fetch_brand}, ("POST",))
    compliance = r"^/v1/Services/(?P<sid>[^/]+)/Compliance/Usa2p"
    route(compliance + r"/Usecases$", {"GET": _campaign_usecases})
    route(compliance + r"$", {"GET": _list_campaigns, "POST": _create_campaign})
    route(compliance + r"/(?P<item>[^/]+)$", {"GET": _fetch_campaign, "POST": _update_campaign, "DELETE": _delete_campaign})


def _service_usecases(call: Call) -> Response:
    values = [{"usecase": u, "description": d, "purpose": p} for u, d, p in SERVICE_USECASES]
    return Response(200, {"usecases": values}, "FetchUsecase")


def _list_brands(call: Call) -> Response:
    window = page_window(call.request.query, brand_list(call.store), lambda b: b["seq"])
    rendered = [render_brand(b, call.account, call.base) for b in window.items]
    return Response(200, v1_page("data", rendered, window, call.base, call.request.path, []), "ListBrandRegistrations")


def _fetch_brand(call: Call) -> Response:
    sid, path = call.match.group("brand"), call.request.path
    if not is_sid(sid, "BN"):
        raise not_found(path)
    return Response(200, render_brand(brand(call.store, sid, path), call.account, call.base), "FetchBrandRegistrations")


def _campaign_usecases(call: Call) -> Response:
    found = usecases(call.store, call.match.group("sid"), call.request)
    return Response(200, {"us_app_to_person_usecases": found}, "FetchUsAppToPersonUsecase")


def _list_campaigns(call: Call) -> Response:
    path = call.request.path
    window = page_window(call.request.query, list_campaigns(call.store, call.match.group("sid"), path), lambda c: c["seq"])
    rendered = [render_campaign(c, call.account, call.base) for c in window.items]
    return Response(200, v1_page("compliance", rendered, window, call.base, path, []), "ListUsAppToPerson")


def _create_campaign(call: Call) -> Response:
    record = create_campaign(call.store, call.match.group("sid"), call.request)
    return Response(201, render_campaign(record, call.account, call.base), "CreateUsAppToPerson")


def _campaign_sid(call: Any) -> str:
    sid = call.match.group("item")
    if not is_sid(sid, "QE"):
        raise not_found(call.request.path)
    return sid


def _fetch_campaign(call: Call) -> Response:
    record = get_campaign(call.store, call.match.group("sid"), _campaign_sid(call), call.request.path)
    return Response(200, render_campaign(record, call.account, call.base), "FetchUsAppToPerson")


def _update_campaign(call: Call) -> Response:
    record = update_campaign(call.store, call.match.group("sid"), _campaign_sid(call), call.request)
    return Response(200, render_campaign(record, call.account, call.base), "UpdateUsAppToPerson")


def _delete_campaign(call: Call) -> Response:
    delete_campaign(call.store, call.match.group("sid"), _campaign_sid(call), call.request.path)
    return Response(204, None, "DeleteUsAppToPerson")


def usecases(store: Store, service_sid: str, request: Any) -> list[dict[str, Any]]:
    brand_sid = request.query.get("BrandRegistrationSid") or None
    with store.lock:
        _service(store, service_sid, request.path)
        brands, _ = tables(store)
        if brand_sid is None:
            return [_usecase(*u) for u in STANDARD_USECASES]
        if not is_sid(brand_sid, "BN"):
            raise invalid(f"BrandRegistrationSid must be BN followed by 32 hexadecimal digits; {brand_sid!r} is not")
        found = brands.get(brand_sid)
        if found is None:
            raise not_found(f"/v1/a2p/BrandRegistrations/{brand_sid}")
        return [_usecase(*u) for u in _usecases_of(found)]



def has_verified_campaign(store: Store, service_sid: str) -> bool:
    """Whether the service's campaign is VERIFIED (its review settled first); lock held.
    What emulator/messages.py asks before a US message from a 10DLC number (30034)."""
    _, campaigns = tables(store)
    now = time.time()
    for campaign in campaigns.values():
        if campaign["service_sid"] == service_sid:
            _settle(store, campaign, now)
            return campaign["campaign_status"] == "VERIFIED"
    return False
