"""schemathesis, a tool we did not write, against `msgsvc emulator`: property-based requests
generated from Twilio's official OpenAPI definitions (../shared/twilio-spec) for every operation
the emulator serves, in every phase (the definition's examples, coverage of its boundaries,
fuzzing, and stateful sequences along the links it infers: create a service, then attach to
it, fetch, delete), with every check it has. Fixed seed, few examples: well under a minute.

The definition has quirks that make schemathesis report what is not a fault of the emulator.
Each is in QUIRKS below with its reason and a test of exactly which failures it covers; any
other failure fails this test. Every answer the emulator sent is also checked against the
definition's schemas (emulator_helpers.check_records).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from emulator_helpers import SPEC_DIR, check_records, need_spec
from test_emulator import ALL_OPERATIONS

# US A2P 10DLC (emulator/a2p.py): brands read only, a service's campaign, use cases.
A2P_OPERATIONS = {"ListBrandRegistrations", "FetchBrandRegistrations", "FetchUsecase", "FetchUsAppToPersonUsecase",
                  "CreateUsAppToPerson", "ListUsAppToPerson", "FetchUsAppToPerson", "UpdateUsAppToPerson", "DeleteUsAppToPerson"}


SEED = 20261129
EXAMPLES = 8  # per operation and phase
SERVED = re.compile(
    r"^/v1/Services(/\{Sid\})?$"
    r"|^/v1/Services/\{(Service|MessagingService)Sid\}/(PhoneNumbers|ShortCodes|AlphaSenders|ChannelSenders|DestinationAlphaSenders)(/\{Sid\})?$"
    r"|^/2010-04-01/Accounts/\{AccountSid\}/IncomingPhoneNumbers(/\{Sid\})?\.json$"
)
# US A2P 10DLC, in a run of its own (its operations would change the other run's random draws).
SERVED_A2P = re.compile(
    r"^/v1/Services/\{MessagingServiceSid\}/Compliance/Usa2p(/\{Sid\}|/Usecases)?$|^/v1/Services/Usecases$"
    r"|^/v1/a2p/BrandRegistrations(/\{Sid\})?$"
)
# Toll-free verification (emulator/tollfree.py), in a run of its own.
SERVED_TOLLFREE = re.compile(r"^/v1/Tollfree/Verifications(/\{Sid\})?$")
TOLLFREE_OPERATIONS = {"CreateTollfreeVerification", "ListTollfreeVerification", "FetchTollfreeVerification",
                       "UpdateTollfreeVerification", "DeleteTollfreeVerification"}
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@dataclass(frozen=True)
class Scope:
    """One schemathesis run: the paths it covers, their operations, and those that may never
    succeed in it (their SIDs or valid bodies are out of random data's reach)."""

    served: re.Pattern[str]
    operations: frozenset[str]
    may_not_succeed: frozenset[str]
    links: bool = True  # the stateful phase follows a create's links (False: creates rarely succeed)


SCOPES = {
    # Fetching and deleting alpha senders: their SIDs exist only after a create, reached
    # through links in a few stateful steps.
    "services-and-senders": Scope(SERVED, frozenset(ALL_OPERATIONS), frozenset(
        {"FetchAlphaSender", "DeleteAlphaSender", "FetchDestinationAlphaSender", "DeleteDestinationAlphaSender"})),
    # A campaign needs texts of 40 and more characters and samples of 20: random data (and the
    # definition's examples, whose brand is not the account's) rarely registers one, so what
    # needs a campaign may not succeed here; tests/test_emulator_a2p.py covers it.
    "a2p": Scope(SERVED_A2P, frozenset(A2P_OPERATIONS), frozenset(
        {"CreateUsAppToPerson", "FetchUsAppToPerson", "UpdateUsAppToPerson", "DeleteUsAppToPerson"})),
    # A verification needs an e-mail address, https URLs, a message volume of Twilio's list and
    # a toll-free number of the account at once: random data rarely files one, so what needs
    # a record may not succeed here; tests/test_emulator_tollfree.py covers it.
    "tollfree": Scope(SERVED_TOLLFREE, frozenset(TOLLFREE_OPERATIONS), frozenset(
        {"CreateTollfreeVerification", "FetchTollfreeVerification", "UpdateTollfreeVerification",
         "DeleteTollfreeVerification"}), links=False),
}


@dataclass
class Failure:
    check: str
    code: str  # schemathesis' failure code, e.g. ST103
    operation: str
    status: int | None
    body: Any
    request: str
    message: str = ""  # schemathesis' explanation
    sent: Any = None  # the request's form body as schemathesis generated it (None: no body)


@dataclass
class Quirk:
    """Failures that come from the definition, not from the emulator: which, and why."""

    reason: str
    covers: Callable[[Failure], bool]


def _error_code(f: Failure) -> int | None:
    return f.body.get("code") if isinstance(f.body, dict) else None


def _twilio_error(f: Failure) -> bool:
    b = f.body
    return (isinstance(b, dict) and f.status is not None and 400 <= f.status < 500 and b.get("status") == f.status
            and isinstance(b.get("code"), int) and isinstance(b.get("message"), str)
            and b.get("more_info") == f"https://www.twilio.com/docs/errors/{b['code']}")


def _mutations(f: Failure) -> set[str]:
    """The parts schemathesis made invalid, from its explanation ("Invalid component:" list)."""
    _, _, listed = f.message.partition("Invalid component:")
    return {line.strip()[2:] for line in listed.splitlines() if line.strip().startswith("- ")}


def _tollfree(f: Failure) -> bool:
    return f.operation.split(" ", 1)[-1].startswith("/v1/Tollfree/")


def _rejected(*codes: int, message: str = "") -> Callable[[Failure], bool]:
    """A schema-valid request refused with one of Twilio's codes (and, given, this message)."""
    pattern = re.compile(message)
    return lambda f: (f.check == "positive_data_acceptance" and _twilio_error(f) and _error_code(f) in codes
                      and bool(pattern.search(f.body["message"])))


QUIRKS = [
    Quirk("The definition declares no error responses at all (only 200/201/204), so every Twilio error "
          "answer is 'undocumented'; those answers are checked against Twilio's error shape instead",
          lambda f: f.check == "status_code_conformance" and _twilio_error(f)),
    Quirk("A SID that matches the definition's pattern but is not a sender of this account: Twilio "
          "refuses it with 21421 (its error dictionary), whatever the schema says",
          _rejected(21421, message=r"^Invalid (Phone Number|Short Code) Sid ")),
    Quirk("A channel sender SID (pattern-valid) that is not the account's: refused as an invalid parameter",
          _rejected(20001, message=r"^Sid XE[0-9a-fA-F]{32} is not a channel sender of this account$")),
    Quirk("The seeded account holds voice-only numbers, which Twilio refuses from a service (21715)",
          _rejected(21715)),
    Quirk("Limits stated only in the definition's prose: FriendlyName up to 64 characters, "
          "ValidityPeriod 1 to 36000, the Usecase values (21713), the AlphaSender characters (21709)",
          lambda f: _rejected(21713, 21709)(f) or _rejected(
              20001, message=r"^(FriendlyName is \d+ characters long; the limit is 64|FriendlyName must not be empty"
                             r"|ValidityPeriod must be between 1 and 36000)$")(f)),
    Quirk("The definition's request bodies are not marked required, so a POST without any body is "
          "'valid'; Twilio refuses it for the field inside that is required (20001)",
          lambda f: f.sent is None and _rejected(20001, message=r"^Missing required parameter \w+ in the post body$")(f)),
    Quirk("The 2010 API's `uri`, `*_page_uri` and unset webhook URLs are relative paths or \"\" in Twilio's "
          "answers (and the definition's own examples), but typed `format: uri`",
          lambda f: (f.check == "response_schema_conformance" and f.operation.startswith("GET /2010-04-01/")
                     and bool(re.match(r'^("/2010-04-01/.*is not a "uri"|"" is not a "uri"|"" is not valid under any of the '
                                       r"schemas listed in the 'anyOf' keyword)$", f.message.split("\n")[0]))
                     and bool(re.search(r"Schema at (/components/schemas/api\.v2010\.account\.incoming_phone_number)?/properties/\w*(uri|url|callback):", f.message)))),
    Quirk("Twilio ignores query parameters it does not know (the definition lists its own, and says nothing "
          "of others): a request whose only 'invalid' part is an extra query parameter is answered. (The "
          "missing Authorization that schemathesis pairs with it is put back by the credentials it is given.)",
          lambda f: f.check == "negative_data_rejection" and f.status is not None and 200 <= f.status < 300
          and _mutations(f) >= {"query: violates `additionalProperties`"}
          and _mutations(f) <= {"query: violates `additionalProperties`", "header: violates `required` (was Authorization)"}),
    Quirk("PageToken is typed as any string, but is 'provided by the API': a made-up one is 21481",
          _rejected(21481)),
    Quirk("URLs: the definition's `uri` format admits any scheme; Twilio's webhooks are http(s) URLs",
          _rejected(20001, message=r"^(InboundRequestUrl|FallbackUrl|StatusCallback) is not a valid URL: ")),
    Quirk("IsoCountryCode is any string in the definition; it is a two-letter ISO 3166 code",
          _rejected(20001, message=r"^IsoCountryCode '.*' is not a two-letter ISO country code$")),
    Quirk("One alpha sender per service (per country for destination ones), a rule of state the "
          "definition cannot say",
          _rejected(20001, message=r"^The Messaging Service MG[0-9a-f]{32} already has an alpha sender")),
    Quirk("US A2P 10DLC limits stated only in the definition's prose (lengths, 2 to 5 samples, "
          "alphanumeric keywords, use case codes; an empty MessageSamples array sends no key at all)",
          _rejected(20001, message=r"^((Description|MessageFlow|MessageSamples|OptInMessage|OptOutMessage|HelpMessage"
                                   r"|OptInKeywords|OptOutKeywords|HelpKeywords|UsAppToPersonUsecase"
                                   r"|PrivacyPolicyUrl|TermsAndConditionsUrl) must be "
                                   r"|Missing required parameter MessageSamples in the post body$)")),
    Quirk("Toll-free verification rules stated only in Twilio's documentation, not in the definition's "
          "schema: required fields not empty, https URLs, e-mail addresses, E.164 numbers, ISO country codes, "
          "the monthly volumes, no public URL shortener in the samples; and the number must be a "
          "toll-free number of the account",
          lambda f: _tollfree(f) and _rejected(20001, message=r"^(Missing required parameter \w+ in the post body$|(TollfreePhoneNumberSid|BusinessWebsite"
                                   r"|OptInImageUrls|PrivacyPolicyUrl|TermsAndConditionsUrl|NotificationEmail"
                                   r"|BusinessContactEmail|BusinessContactPhone|BusinessRegistrationPhoneNumber|BusinessCountry"
                                   r"|BusinessRegistrationCountry|MessageVolume|CustomerProfileSid) must be "
                                   r"|(ProductionMessageSample|HelpMessageSample|OptInConfirmationMessage) links to the public "
                                   r"URL shortener |TollfreePhoneNumberSid PN[0-9a-fA-F]{32} is not a (phone number of this "
                                   r"account|toll-free number)|Phone number \+\d+ already has a toll-free verification )")(f)),
    Quirk("Toll-free verification rules of state: only a rejected record, within its edit window, is "
          "edited (30437)",
          lambda f: _tollfree(f) and _rejected(30437)(f)),
    Quirk("TrustProductSid is an array in the query; one value of it, even an empty one, reads as a string",
          lambda f: f.check == "negative_data_rejection" and f.status == 200
          and _mutations(f) and all("TrustProductSid" in m for m in _mutations(f))),
    Quirk("US A2P 10DLC rules of state: a brand SID (pattern-valid) that is not the account's, a brand "
          "not APPROVED, a use case the brand may not register, a second campaign on a service, an "
          "update while the campaign is in review",
          _rejected(20001, message=r"^(BrandRegistrationSid BN[0-9a-fA-F]{32} is not a brand registration of this account"
                                   r"|Brand BN[0-9a-f]{32} is FAILED, not APPROVED"
                                   r"|UsAppToPersonUsecase .* is not available to brand "
                                   r"|The Messaging Service MG[0-9a-f]{32} already has a US A2P campaign "
                                   r"|Campaign QE[0-9a-f]{32} is (PENDING|IN_PROGRESS): )")),
]


def _definition(tmp: Path, served: re.Pattern[str] = SERVED) -> Path:
    """One OpenAPI document with the operations the emulator serves: Messaging v1 and the 2010
    API's IncomingPhoneNumbers (the 2010 extract's ShortCodes are not served). Nothing in the
    definitions is changed; OpenAPI links are added from each sender's create to its fetch and
    delete (the definition has none, and schemathesis' inferred links carry the service's
    SID but not the new sender's)."""
    messaging = json.loads((SPEC_DIR / "twilio_messaging_v1.json").read_text(encoding="utf-8"))
    core = json.loads((SPEC_DIR / "twilio_api_v2010_numbers_and_short_codes.json").read_text(encoding="utf-8"))
    document = dict(messaging)
    document["paths"] = {p: v for doc in (messaging, core) for p, v in doc["paths"].items() if served.match(p)}
    for path in ("/v1/a2p/BrandRegistrations", "/v1/a2p/BrandRegistrations/{Sid}"):  # brands are read only here
        if path in document["paths"]:
            document["paths"][path] = {k: v for k, v in document["paths"][path].items() if k != "post"}
    document["components"] = {**messaging["components"],
                              "schemas": {**messaging["components"]["schemas"], **core["components"]["schemas"]}}
    for path, item in document["paths"].items():
        create = item.get("post")
        instance = document["paths"].get(path + "/{Sid}")
        if create is None or instance is None or path == "/v1/Services":
            continue
        parent = re.search(r"\{(\w+)\}", path)  # none for a top-level collection (Tollfree/Verifications)
        parameters = {"Sid": "$response.body#/sid"}
        if parent is not None:
            parameters[parent.group(1)] = f"$request.path.{parent.group(1)}"
        links = {f"{instance[m]['operationId']}Created": {"operationId": instance[m]["operationId"], "parameters": parameters}
                 for m in ("get", "delete")}
        created = "201"
        create["responses"][created] = {**create["responses"][created], "links": links}
    path = tmp / "twilio-served.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _failures(events: list[dict]) -> tuple[list[Failure], dict[str, str]]:
    failures, phases = [], {}
    for event in events:
        if "PhaseFinished" in event:
            phase = event["PhaseFinished"]
            phases[phase["phase"]["name"]] = phase["status"]
        if "ScenarioFinished" not in event:
            continue
        scenario = event["ScenarioFinished"]
        recorder = scenario.get("recorder") or {}
        cases = recorder.get("cases") or {}
        for case_id, checks in (recorder.get("checks") or {}).items():
            interaction = (recorder.get("interactions") or {}).get(case_id) or {}
            response = interaction.get("response") or {}
            content = (response.get("content") or {}).get("$base64")
            try:
                body = json.loads(base64.b64decode(content)) if content else None
            except ValueError:
                body = base64.b64decode(content).decode("utf-8", "replace")
            request = interaction.get("request") or {}
            sent = (cases.get(case_id) or {}).get("value", {}).get("body")
            for check in checks:
                if check["status"] != "failure":
                    continue
                info = check["failure_info"]["failure"]
                failures.append(Failure(check["name"], info["code"], info["operation"], response.get("status_code"), body,
                                        f"{request.get('method')} {request.get('uri')} ({sent})", info.get("message", ""), sent))
    return failures, phases


def _config(emu, account: str, token: str) -> str:
    """schemathesis' settings: the account's own SID in the 2010 paths (any other is a 401), and
    SIDs that exist (a service; the account's numbers, short codes, channel senders) drawn for
    most generated cases, so that creates, fetches and deletes succeed too. The other cases
    keep generated values (random SIDs, boundaries, invalid data)."""
    import requests

    state = json.loads((emu.tmp / "state.json").read_text())
    service = requests.post(f"{emu.info['MSGSVC_BASE_URL']}/v1/Services", data={"FriendlyName": "schemathesis"},
                            auth=(account, token), timeout=10).json()["sid"]
    dictionaries = {"services": [service], "numbers": list(state["numbers"]),
                    "short_codes": list(state["short_codes"]), "channel_senders": list(state["channel_senders"]),
                    "alpha": ["Acme", "Shop 24", "A-B_C&D+1"],  # the prose's rules, which random text rarely meets
                    "brands": list(state["brands"])}
    lines = ["[parameters]", f'AccountSid = "{account}"']
    for key, dictionary in (("path.ServiceSid", "services"), ("path.MessagingServiceSid", "services"),
                            ("body.PhoneNumberSid", "numbers"), ("body.ShortCodeSid", "short_codes"), ("body.AlphaSender", "alpha"),
                            ("body.BrandRegistrationSid", "brands"), ("query.BrandRegistrationSid", "brands")):
        lines.append(f'"{key}" = {{ dictionary = "{dictionary}", probability = 0.8 }}')
    for operation, dictionary in (("CreateChannelSender", "channel_senders"), ("FetchIncomingPhoneNumber", "numbers"),
                                  ("FetchPhoneNumber", "numbers"), ("DeletePhoneNumber", "numbers"),
                                  ("FetchShortCode", "short_codes"), ("DeleteShortCode", "short_codes"),
                                  ("FetchChannelSender", "channel_senders"), ("DeleteChannelSender", "channel_senders"),
                                  ("FetchBrandRegistrations", "brands")):
        where = "body" if operation.startswith("Create") else "path"
        lines += ["[[operations]]", f'include-operation-id = "{operation}"',
                  f'parameters = {{ "{where}.Sid" = {{ dictionary = "{dictionary}", probability = 0.8 }} }}']
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("scope", list(SCOPES))
def test_schemathesis_finds_nothing_but_the_listed_quirks_of_the_definition(tmp_path, scope):
    scope = SCOPES[scope]
    need_spec("so schemathesis has nothing to generate requests from")
    from test_emulator_e2e import RunningEmulator, _env

    emu = RunningEmulator(tmp_path / "emu", "--numbers", "30", "--state", str(tmp_path / "emu" / "state.json"))
    account, token = emu.info["TWILIO_ACCOUNT_SID"], emu.info["TWILIO_AUTH_TOKEN"]
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(emu, account, token), encoding="utf-8")
    report = tmp_path / "events.ndjson"
    try:
        run = subprocess.run(
            [str(SCHEMATHESIS), "--config-file", str(config), "run", str(_definition(tmp_path, scope.served)),
             "--url", emu.info["MSGSVC_BASE_URL"], "--auth", f"{account}:{token}",
             "--seed", str(SEED), "--max-examples", str(EXAMPLES), "--checks", "all", "--workers", "1",
             "--report", "ndjson", "--report-ndjson-path", str(report), "--no-color"],
            capture_output=True, text=True, timeout=300, env=_env(tmp_path), cwd=tmp_path,
        )
    finally:
        assert emu.stop() == 0
    assert report.exists(), f"schemathesis did not run:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    events = [json.loads(line) for line in report.read_text().splitlines()]
    failures, phases = _failures(events)
    cases = [case for event in events if "ScenarioFinished" in event
             for case in ((event["ScenarioFinished"].get("recorder") or {}).get("cases") or {}).values()]
    tested = {f"{case['value']['method']} {case['value']['path']}" for case in cases}
    linked = sum(1 for case in cases if case.get("is_transition_applied"))

    ran = {name: phases.get(name) for name in ("examples", "coverage", "fuzzing", "stateful")}
    assert all(status in ("success", "failure") for status in ran.values()), f"a phase did not run: {ran}"
    unexplained = [f for f in failures if not any(q.covers(f) for q in QUIRKS)]
    assert not unexplained, "schemathesis found what no quirk of the definition explains:\n" + "\n".join(
        f"{f.check} ({f.code}) {f.operation} -> {f.status} {json.dumps(f.body)[:300]}\n    {f.request[:300]}\n    {f.message[:600]}" for f in unexplained[:20])
    check_records(emu.answers())
    assert len(tested) == len(scope.operations), sorted(tested)  # every operation the emulator serves
    assert linked > 0 or not scope.links, "the stateful phase followed no link"
    # Every operation also succeeded at least once, but those the scope names (see SCOPES).
    succeeded = {r["operation"] for r in emu.answers() if r["operation"]}
    assert scope.operations - succeeded <= scope.may_not_succeed, sorted(scope.operations - succeeded)


def test_each_quirk_covers_only_its_own_failures():
    """The quirks are not a blanket: a wrong status, a body not in Twilio's shape, a 20001 of
    another message, another check, each stays a failure."""
    def failure(check="positive_data_acceptance", status=400, sent=None, **body):
        full = {"code": 20001, "message": "x", "status": status, **body}
        full["more_info"] = f"https://www.twilio.com/docs/errors/{full['code']}"
        return Failure(check, "ST202", "POST /v1/Services", status, full, "POST /v1/Services", sent=sent or {"Usecase": "poll"})

    def covered(f: Failure) -> list[str]:
        return [q.reason[:40] for q in QUIRKS if q.covers(f)]

    assert covered(failure(code=21713)) and covered(failure(code=21421, message="Invalid Phone Number Sid PN1"))
    assert covered(failure(message="FriendlyName is 65 characters long; the limit is 64"))
    assert covered(failure("status_code_conformance", 404, code=20404))
    missing = "Missing required parameter FriendlyName in the post body"
    assert not covered(failure(message=missing))  # a body was sent: FriendlyName is required in it
    assert covered(dataclasses.replace(failure(message=missing), sent=None))  # no body at all
    assert not covered(failure(code=21713, status=500))  # the body's status differs from the answer's
    assert not covered(failure("response_schema_conformance", code=21713))
    assert not covered(failure(code=21421, message="anything else"))
    assert not covered(Failure("status_code_conformance", "ST103", "GET /v1/Services", 200, {"services": []}, ""))
    assert not covered(Failure("status_code_conformance", "ST103", "GET /v1/Services", 404, "<html>", ""))
    extra = "Invalid data should have been rejected\nInvalid component:\n  - query: violates `additionalProperties`\n"
    assert covered(Failure("negative_data_rejection", "ST201", "GET /v1/Services", 200, {}, "", extra))
    wrong_type = extra + "  - query: violates `type` (PageSize)\n"
    assert not covered(Failure("negative_data_rejection", "ST201", "GET /v1/Services", 200, {}, "", wrong_type))
