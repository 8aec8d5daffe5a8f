"""US A2P 10DLC in the emulator, over HTTP: brands, a service's campaign and its review, use
cases, errors, and us_app_to_person_registered set and cleared for real. Every answer is also
checked against Twilio's OpenAPI definition by the `emulator` fixture."""

from __future__ import annotations

import pytest

from emulator_helpers import EMU_ACCOUNT
from factories import form_pairs

DESCRIPTION = "Send order and delivery updates to customers who opted in."
FLOW = "Customers opt in at checkout on example.com by ticking an unticked box."
SAMPLES = ["Your order 1234 has shipped.", "Your order 1234 was delivered today."]


def error(code: int, message: str, status: int = 400) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


def brands(emu) -> dict[str, dict]:
    """The seeded brands by role: approved, sole (proprietor) and failed."""
    data = emu.call("GET", "/v1/a2p/BrandRegistrations").json()["data"]
    return {"approved": data[0], "sole": data[1], "failed": data[2]}


def service(emu, name="Alerts") -> str:
    return emu.call("POST", "/v1/Services", data={"FriendlyName": name}).json()["sid"]


def form(brand: str, **change) -> list[tuple[str, str]]:
    values = {"BrandRegistrationSid": brand, "Description": DESCRIPTION, "MessageFlow": FLOW, "MessageSamples": SAMPLES,
              "UsAppToPersonUsecase": "DELIVERY_NOTIFICATION", "HasEmbeddedLinks": "false", "HasEmbeddedPhone": "true", **change}
    return form_pairs(values)


def create(emu, mg: str, brand: str, **change):
    return emu.call("POST", f"/v1/Services/{mg}/Compliance/Usa2p", data=form(brand, **change))


def registered(emu, mg: str) -> bool:
    return emu.call("GET", f"/v1/Services/{mg}").json()["us_app_to_person_registered"]


def test_a_new_account_holds_an_approved_a_sole_proprietor_and_a_failed_brand(emulator):
    emu = emulator
    listing = emu.call("GET", "/v1/a2p/BrandRegistrations").json()
    assert listing["meta"]["key"] == "data" and listing["meta"]["next_page_url"] is None
    found = brands(emu)
    assert [(b["status"], b["brand_type"]) for b in found.values()] == [("APPROVED", "STANDARD"), ("APPROVED", "SOLE_PROPRIETOR"), ("FAILED", "STANDARD")]
    failed = found["failed"]
    assert failed["failure_reason"] == "Registration error: the brand's address could not be verified"
    assert [e["error_code"] for e in failed["errors"]] == [30701] and failed["errors"][0]["fields"] == ["region"]
    one = emu.call("GET", f"/v1/a2p/BrandRegistrations/{failed['sid']}")
    assert one.status_code == 200 and one.json() == failed
    assert failed["url"] == f"{emu.base_url}/v1/a2p/BrandRegistrations/{failed['sid']}" and failed["account_sid"] == EMU_ACCOUNT
    # The same account seeds the same brands; they are read only.
    from msgsvc.emulator.a2p import seed_brands

    assert [b["sid"] for b in found.values()] == list(seed_brands(EMU_ACCOUNT, 0))
    unknown = "BN" + "0" * 32
    assert emu.call("GET", f"/v1/a2p/BrandRegistrations/{unknown}").json() == error(20404, f"The requested resource /a2p/BrandRegistrations/{unknown} was not found", 404)
    refused = emu.call("POST", "/v1/a2p/BrandRegistrations", data={"CustomerProfileBundleSid": "BU" + "0" * 32})
    assert (refused.status_code, refused.json()["code"]) == (501, 20501)  # Twilio's, not emulated


def test_create_registers_the_service_and_answers_the_campaign(emulator):
    emu = emulator
    mg, brand = service(emu), brands(emu)["approved"]["sid"]
    assert registered(emu, mg) is False
    response = create(emu, mg, brand, OptInKeywords=["START", "YES"], SubscriberOptIn="true", PrivacyPolicyUrl="https://example.com/p")
    assert response.status_code == 201
    body = response.json()
    qe = body["sid"]
    assert body == {
        "sid": qe, "account_sid": EMU_ACCOUNT, "brand_registration_sid": brand, "messaging_service_sid": mg,
        "description": DESCRIPTION, "message_samples": SAMPLES, "us_app_to_person_usecase": "DELIVERY_NOTIFICATION",
        "has_embedded_links": False, "has_embedded_phone": True, "subscriber_opt_in": True, "age_gated": False,
        "direct_lending": False, "campaign_status": "PENDING", "campaign_id": "C" + qe[2:8].upper(),
        "is_externally_registered": False, "rate_limits": {"att": {"mps": 600, "msg_class": "A"}, "tmobile": {"brand_tier": "TOP"}},
        "message_flow": FLOW, "opt_in_message": None, "opt_out_message": None, "help_message": None,
        "opt_in_keywords": ["START", "YES"], "opt_out_keywords": None, "help_keywords": None,
        "date_created": body["date_created"], "date_updated": body["date_created"],
        "url": f"{emu.base_url}/v1/Services/{mg}/Compliance/Usa2p/{qe}", "mock": False, "errors": [],
        "privacy_policy_url": "https://example.com/p", "terms_and_conditions_url": None,
    }
    assert registered(emu, mg) is True
    listing = emu.call("GET", f"/v1/Services/{mg}/Compliance/Usa2p").json()
    assert listing["compliance"] == [body] and listing["meta"]["key"] == "compliance"
    assert emu.call("GET", f"/v1/Services/{mg}/Compliance/Usa2p/{qe}").json() == body


def settle(emu, qe: str, fraction: float) -> None:
    """Move a campaign's review window so that `fraction` of it has passed (no waiting)."""
    import time

    record = emu.store.data["campaigns"][qe]
    length = 100.0
    record["review_start"] = time.time() - fraction * length
    record["review_end"] = record["review_start"] + length


def test_review_moves_pending_in_progress_verified(emulator):
    emu = emulator
    emu.store.a2p_review = 3600
    mg = service(emu)
    qe = create(emu, mg, brands(emu)["approved"]["sid"]).json()["sid"]
    path = f"/v1/Services/{mg}/Compliance/Usa2p/{qe}"
    assert emu.call("GET", path).json()["campaign_status"] == "PENDING"
    settle(emu, qe, 0.6)
    assert emu.call("GET", path).json()["campaign_status"] == "IN_PROGRESS"
    settle(emu, qe, 1.0)
    verified = emu.call("GET", path).json()
    assert (verified["campaign_status"], verified["errors"]) == ("VERIFIED", [])
    assert registered(emu, mg) is True


def test_a_review_time_of_zero_settles_at_the_first_read(emulator):
    emu = emulator
    emu.store.a2p_review = 0
    mg = service(emu)
    created = create(emu, mg, brands(emu)["approved"]["sid"]).json()
    assert created["campaign_status"] == "PENDING"  # the create answer, as Twilio's example
    assert emu.call("GET", f"/v1/Services/{mg}/Compliance/Usa2p").json()["compliance"][0]["campaign_status"] == "VERIFIED"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"Description": DESCRIPTION + " REJECT"}, ["DESCRIPTION"]),
        ({"MessageFlow": "REJECT " + FLOW}, ["MESSAGE_FLOW"]),
        ({"Description": "REJECT " + DESCRIPTION, "MessageFlow": FLOW + " REJECT"}, ["DESCRIPTION", "MESSAGE_FLOW"]),
    ],
)
def test_the_reject_marker_fails_review_with_30897(emulator, change, fields):
    emu = emulator
    emu.store.a2p_review = 0
    mg = service(emu)
    qe = create(emu, mg, brands(emu)["approved"]["sid"], **change).json()["sid"]
    failed = emu.call("GET", f"/v1/Services/{mg}/Compliance/Usa2p/{qe}").json()
    assert failed["campaign_status"] == "FAILED"
    assert failed["errors"] == [{
        "error_code": 30897, "url": "https://www.twilio.com/docs/api/errors/30897", "fields": fields,
        "description": "The campaign submission has been reviewed and it was rejected due to Disallowed Content.",
    }]
    # The marker is upper case only: 'rejected' in ordinary text passes.
    other = service(emu, "Other")
    passed = create(emu, other, brands(emu)["approved"]["sid"], Description=DESCRIPTION + " Never rejected.").json()["sid"]
    assert emu.call("GET", f"/v1/Services/{other}/Compliance/Usa2p/{passed}").json()["campaign_status"] == "VERIFIED"


def test_update_is_refused_in_review_and_resubmits_a_failed_campaign(emulator):
    emu = emulator
    emu.store.a2p_review = 3600
    mg = service(emu)
    qe = create(emu, mg, brands(emu)["approved"]["sid"], Description=DESCRIPTION + " REJECT").json()["sid"]
    path = f"/v1/Services/{mg}/Compliance/Usa2p/{qe}"
    fix = [("HasEmbeddedLinks", "true"), ("HasEmbeddedPhone", "false"), ("MessageSamples", SAMPLES[0]), ("MessageSamples", SAMPLES[1]),
           ("MessageSamples", "A third sample, long enough."), ("MessageFlow", FLOW), ("Description", DESCRIPTION),
           ("AgeGated", "false"), ("DirectLending", "true"), ("TermsAndConditionsUrl", "https://example.com/t")]
    assert emu.call("POST", path, data=fix).json() == error(20001, f"Campaign {qe} is PENDING: it can be updated once its review is over (VERIFIED or FAILED)")
    settle(emu, qe, 1.0)
    assert emu.call("GET", path).json()["campaign_status"] == "FAILED"
    response = emu.call("POST", path, data=fix)
    assert response.status_code == 200
    updated = response.json()
    assert (updated["campaign_status"], updated["errors"], updated["description"]) == ("PENDING", [], DESCRIPTION)
    assert updated["message_samples"] == [*SAMPLES, "A third sample, long enough."]
    assert (updated["has_embedded_links"], updated["direct_lending"], updated["terms_and_conditions_url"]) == (True, True, "https://example.com/t")
    settle(emu, qe, 1.0)
    assert emu.call("GET", path).json()["campaign_status"] == "VERIFIED"
    missing = emu.call("POST", path, data=fix[1:])
    assert missing.json() == error(20001, "Missing required parameter HasEmbeddedLinks in the post body")


def test_deleting_the_campaign_clears_the_registration(emulator):
    emu = emulator
    mg = service(emu)
    qe = create(emu, mg, brands(emu)["approved"]["sid"]).json()["sid"]
    path = f"/v1/Services/{mg}/Compliance/Usa2p/{qe}"
    deleted = emu.call("DELETE", path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert registered(emu, mg) is False
    assert emu.call("GET", path).json() == error(20404, f"The requested resource {path.removeprefix('/v1')} was not found", 404)
    assert emu.call("GET", f"/v1/Services/{mg}/Compliance/Usa2p").json()["compliance"] == []
    assert create(emu, mg, brands(emu)["approved"]["sid"]).status_code == 201  # a new one may follow


def test_deleting_the_service_deletes_its_campaign(emulator):
    emu = emulator
    mg = service(emu)
    create(emu, mg, brands(emu)["approved"]["sid"])
    assert emu.call("DELETE", f"/v1/Services/{mg}").status_code == 204
    assert emu.store.data["campaigns"] == {}


def test_campaign_errors(emulator):
    emu = emulator
    found = brands(emu)
    mg = service(emu)
    compliance = f"/v1/Services/{mg}/Compliance/Usa2p"
    unknown_brand = "BN" + "0" * 32
    cases = [
        (form(found["approved"]["sid"], Description=None), error(20001, "Missing required parameter Description in the post body")),
        (form(found["approved"]["sid"], MessageSamples=SAMPLES[:1]), error(20001, "MessageSamples must be 2 to 5 samples; 1 given")),
        (form(found["approved"]["sid"], Description="too short"), error(20001, "Description must be 40 to 4096 characters long; it is 9")),
        (form(found["approved"]["sid"], OptInKeywords=["GO ON"]), error(20001, "OptInKeywords must be alphanumeric keywords (A-Z, a-z, 0-9); 'GO ON' is not")),
        (form(found["approved"]["sid"], HasEmbeddedLinks="maybe"), error(20001, "HasEmbeddedLinks must be true or false")),
        (form(unknown_brand), error(20001, f"BrandRegistrationSid {unknown_brand} is not a brand registration of this account")),
        (form(found["failed"]["sid"]), error(20001, f"Brand {found['failed']['sid']} is FAILED, not APPROVED: a campaign can only be registered for an approved brand")),
        (form(found["sole"]["sid"]), error(20001, f"UsAppToPersonUsecase DELIVERY_NOTIFICATION is not available to brand {found['sole']['sid']}; "
                                              f"see {compliance}/Usecases?BrandRegistrationSid={found['sole']['sid']}")),
    ]
    for data, expected in cases:
        response = emu.call("POST", compliance, data=data)
        assert (response.status_code, response.json()) == (400, expected), data
    assert registered(emu, mg) is False and emu.store.data["campaigns"] == {}
    first = create(emu, mg, found["approved"]["sid"]).json()["sid"]
    second = create(emu, mg, found["approved"]["sid"])
    assert second.json() == error(20001, f"The Messaging Service {mg} already has a US A2P campaign ({first}); delete it before registering another")
    unknown_mg = "MG" + "0" * 32
    for method, path in (("POST", f"/v1/Services/{unknown_mg}/Compliance/Usa2p"), ("GET", f"/v1/Services/{unknown_mg}/Compliance/Usa2p/Usecases"),
                         ("GET", f"{compliance}/QE{'0' * 32}"), ("DELETE", f"{compliance}/QE{'0' * 32}"), ("GET", f"{compliance}/nope")):
        response = emu.call(method, path, data=form(found["approved"]["sid"]) if method == "POST" else None)
        assert response.json() == error(20404, f"The requested resource {path.removeprefix('/v1')} was not found", 404)
    assert emu.call("PUT", compliance).status_code == 405


def test_use_cases_per_brand_and_of_the_service(emulator):
    emu = emulator
    found = brands(emu)
    mg = service(emu)
    path = f"/v1/Services/{mg}/Compliance/Usa2p/Usecases"
    standard = emu.call("GET", path, params={"BrandRegistrationSid": found["approved"]["sid"]}).json()["us_app_to_person_usecases"]
    assert len(standard) == 20 and standard[0] == {
        "code": "2FA", "name": "Two-Factor authentication (2FA)",
        "description": "Two-Factor authentication, one-time use password, password reset", "post_approval_required": False}
    assert emu.call("GET", path).json()["us_app_to_person_usecases"] == standard
    sole = emu.call("GET", path, params={"BrandRegistrationSid": found["sole"]["sid"]}).json()["us_app_to_person_usecases"]
    assert [u["code"] for u in sole] == ["SOLE_PROPRIETOR"]
    assert create(emu, mg, found["sole"]["sid"], UsAppToPersonUsecase="SOLE_PROPRIETOR").json()["rate_limits"]["tmobile"] == {"brand_tier": "LOW"}
    bad = emu.call("GET", path, params={"BrandRegistrationSid": "BN1"})
    assert bad.json() == error(20001, "BrandRegistrationSid must be BN followed by 32 hexadecimal digits; 'BN1' is not")
    service_usecases = emu.call("GET", "/v1/Services/Usecases").json()["usecases"]
    assert [u["usecase"] for u in service_usecases] == ["notifications", "marketing", "verification", "discussion", "poll", "undeclared"]
    assert service_usecases[1] == {"usecase": "marketing", "purpose": "Market my services.",
                                   "description": "Marketing messages may contain product information, offers, and calls to action to engage with your organization."}


def test_the_emulator_only_registration_field_is_gone(emulator):
    emu = emulator
    sid = emu.call("POST", "/v1/Services", data={"FriendlyName": "x", "EmulatorUsAppToPersonRegistered": "true"}).json()["sid"]
    assert registered(emu, sid) is False


def test_campaigns_and_their_review_survive_a_restart(tmp_path):
    from emulator_helpers import start_emulator, stop_emulator

    path = tmp_path / "state.json"
    emu = start_emulator(numbers=1, path=path)
    try:
        emu.store.a2p_review = 0
        mg = service(emu)
        qe = create(emu, mg, brands(emu)["approved"]["sid"]).json()["sid"]
    finally:
        stop_emulator(emu)
    from msgsvc.emulator.store import Store

    store = Store.load(path)
    assert store.data["campaigns"][qe]["service_sid"] == mg and store.data["services"][mg]["us_app_to_person_registered"] is True


def test_an_old_state_file_gets_its_brands(tmp_path):
    from msgsvc.emulator import a2p
    from msgsvc.emulator.seed import seed
    from msgsvc.emulator.store import Store

    data = seed(EMU_ACCOUNT, "t", 0)
    assert len(data.pop("brands")) == 3 and data.pop("campaigns") == {}  # a new account has them
    store = Store(data)
    with store.lock:
        seeded, campaigns = a2p.tables(store)
    assert len(seeded) == 3 and campaigns == {}
    assert list(seeded) == list(a2p.seed_brands(EMU_ACCOUNT, 0))
