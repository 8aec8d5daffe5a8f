"""Test support for the emulator: an in-process emulator fixture whose every answer is checked,
at teardown, against the response schema of its operation in Twilio's official OpenAPI
definition (../shared/twilio-spec), and the checker itself."""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from conftest import SPEC_DIR, need_spec
# (file, the paths read from it, a prefix for their operationIds). The 2010 extract's
# SMS/ShortCodes operations are known as "api.v2010.<operationId>": its ListShortCode (the
# account's short codes) is not the Messaging v1 ListShortCode (a service's short codes).
SPEC_FILES = (
    ("twilio_messaging_v1.json", "/v1/", ""),
    ("twilio_api_v2010_numbers_and_short_codes.json", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers", ""),
    ("twilio_api_v2010_numbers_and_short_codes.json", "/2010-04-01/Accounts/{AccountSid}/SMS/ShortCodes", "api.v2010."),
    ("twilio_api_v2010_messages.json", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/TollFree.json", ""),
    ("twilio_monitor_v1.json", "/v1/Alerts", ""),
    ("twilio_messaging_v2.json", "/v2/Channels/Senders", ""),
    ("twilio_api_v2010_messages.json", "/2010-04-01/Accounts/{AccountSid}/Messages", ""),
)
EMU_ACCOUNT = "AC" + "e" * 32
EMU_TOKEN = "emulator-token-0123456789abcdef"

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "detail": {"type": "string", "minLength": 1},  # Twilio adds it to some errors (401)
        "message": {"type": "string", "minLength": 1},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer"},
    },
    "required": ["code", "message", "more_info", "status"],
    "additionalProperties": False,
}

_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_RFC2822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$")
_ABSOLUTE = re.compile(r"^https?://[^/\s]+(/\S*)?$")


def _format_checker():
    """Strict checks for the formats these responses use. `uri` also accepts a path starting
    with / (the 2010 API's `*_uri` are relative to https://api.twilio.com) and "" (the 2010
    API's unset URLs, e.g. `sms_url`, as in the spec's own example)."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("date-time")(lambda v: not isinstance(v, str) or bool(_ISO.match(v)))
    checker.checks("date-time-rfc-2822")(lambda v: not isinstance(v, str) or bool(_RFC2822.match(v)))
    checker.checks("uri")(lambda v: not isinstance(v, str) or v == "" or v.startswith("/") or bool(_ABSOLUTE.match(v)))
    checker.checks("phone-number")(lambda v: not isinstance(v, str) or bool(re.match(r"^\+[1-9]\d{1,14}$", v)))
    checker.checks("uri-map")(lambda v: not isinstance(v, dict) or all(isinstance(u, str) and (u.startswith("/") or _ABSOLUTE.match(u)) for u in v.values()))
    return checker


def _convert(schema: Any, doc: dict) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: resolve $ref, `nullable` -> null allowed, and close
    every object that lists its properties (each must be present, nothing else allowed), so
    a missing or extra field fails as surely as a wrong type."""
    if isinstance(schema, list):
        return [_convert(s, doc) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target: Any = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _convert(target, doc)
    out = {k: _convert(v, doc) for k, v in schema.items() if not k.startswith("x-") and k not in ("nullable", "examples", "example", "description", "properties")}
    if isinstance(schema.get("properties"), dict):  # property names are kept, even `description`
        out["properties"] = {name: _convert(v, doc) for name, v in schema["properties"].items()}
    if "properties" in out:
        out["required"] = sorted(out["properties"])
        out["additionalProperties"] = False
    if schema.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


class SpecChecker:
    def __init__(self) -> None:
        from jsonschema import Draft7Validator

        self.schemas: dict[tuple[str, int], Any] = {}
        for name, paths, prefix in SPEC_FILES:
            doc = json.loads((SPEC_DIR / name).read_text(encoding="utf-8"))
            for path, item in doc["paths"].items():
                if not path.startswith(paths):
                    continue
                for method, op in item.items():
                    if method not in ("get", "post", "delete"):
                        continue
                    operation = op["operationId"]
                    if (operation, 200) in self.schemas and "v2010" in name:
                        operation = "api.v2010." + operation  # the 2010 API's ShortCodes, as the emulator names it
                    for status, response in op["responses"].items():
                        content = response.get("content", {}).get("application/json")
                        key = (prefix + op["operationId"], int(status))
                        self.schemas[key] = _convert(content["schema"], doc) if content else None
        self.format_checker = _format_checker()
        self.validator = Draft7Validator
        self.error_validator = Draft7Validator(ERROR_SCHEMA, format_checker=self.format_checker)

    def problems(self, operation: str | None, status: int, body: Any) -> list[str]:
        if status >= 400:
            found = [f"error body: {e.message}" for e in self.error_validator.iter_errors(body)]
            if isinstance(body, dict) and body.get("status") != status:
                found.append(f"error body says status {body.get('status')}, the answer was {status}")
            return found
        if (operation, status) not in self.schemas:
            return [f"{operation} has no {status} response in the OpenAPI definition"]
        schema = self.schemas[(operation, status)]
        if schema is None:
            return [] if body is None else [f"{operation} {status} must have no body"]
        validator = self.validator(schema, format_checker=self.format_checker)
        return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in validator.iter_errors(body)]


_checker: SpecChecker | None = None


def spec_checker() -> SpecChecker:
    global _checker
    need_spec("so responses cannot be checked against them")
    if _checker is None:
        _checker = SpecChecker()
    return _checker


def check_records(records: list[dict]) -> None:
    checker = spec_checker()
    failures = []
    for record in records:
        for problem in checker.problems(record["operation"], record["status"], record["body"]):
            failures.append(f"{record['operation']} -> {record['status']}: {problem}")
    assert not failures, "answers that do not match Twilio's OpenAPI definition:\n" + "\n".join(failures[:30])


@dataclass
class Emulator:
    base_url: str
    store: Any
    server: Any
    records: list[dict] = field(default_factory=list)
    account_sid: str = EMU_ACCOUNT
    auth_token: str = EMU_TOKEN

    def __post_init__(self) -> None:
        self.http = requests.Session()
        self.http.auth = (self.account_sid, self.auth_token)

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.base_url + path, timeout=10, **kwargs)

    @property
    def operations(self) -> set[str]:
        return {r["operation"] for r in self.records if r["operation"]}

    def number(self, phone_number: str) -> dict:
        return next(r for r in self.store.data["numbers"].values() if r["phone_number"] == phone_number)

    def sids(self, table: str) -> list[str]:
        return list(self.store.data[table])

    def register_campaign(self, service_sid: str) -> dict:
        """A US A2P 10DLC campaign on the service, for the account's approved brand: the
        service is then registered (us_app_to_person_registered), as Twilio sets it."""
        brand = next(sid for sid, b in self.store.data["brands"].items() if b["status"] == "APPROVED")
        answer = self.call("POST", f"/v1/Services/{service_sid}/Compliance/Usa2p", data=[
            ("BrandRegistrationSid", brand), ("UsAppToPersonUsecase", "ACCOUNT_NOTIFICATION"),
            ("Description", "Account alerts for customers of Example Corp who opted in."),
            ("MessageFlow", "Customers opt in on example.com/alerts by ticking an unticked box."),
            ("MessageSamples", "Example Corp: your password was changed."),
            ("MessageSamples", "Example Corp: a new device signed in."),
            ("HasEmbeddedLinks", "false"), ("HasEmbeddedPhone", "false")])
        assert answer.status_code == 201, answer.text
        return answer.json()

    def incoming(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers.json"

    def incoming_one(self, sid: str) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json"


def record_requests(monkeypatch, entry) -> list[tuple]:
    """Every request any in-process emulator of the test answers, as entry(request) makes it
    into a tuple, in the order answered (emulator threads append under a lock)."""
    from msgsvc.emulator import routing

    seen: list[tuple] = []
    lock = threading.Lock()
    handle = routing.handle

    def logged(store, request):
        with lock:
            seen.append(entry(request))
        return handle(store, request)

    monkeypatch.setattr(routing, "handle", logged)
    return seen


def start_emulator(numbers: int = 30, path=None, pool_limit: int | None = None, unhealthy: bool = False,
                   **options: Any) -> Emulator:
    from msgsvc.emulator.server import make_server
    from msgsvc.emulator.seed import seed
    from msgsvc.emulator.model import DEFAULT_POOL_LIMIT
    from msgsvc.emulator.store import Store

    data = seed(EMU_ACCOUNT, EMU_TOKEN, numbers)
    if unhealthy:  # msgsvc emulator --unhealthy
        from msgsvc.emulator.unhealthy import seed_unhealthy

        seed_unhealthy(data)
    store = Store(data, path, pool_limit or DEFAULT_POOL_LIMIT)
    records: list[dict] = []
    lock = threading.Lock()

    def record(operation, status, body):
        with lock:
            records.append({"operation": operation, "status": status, "body": body})

    server = make_server("127.0.0.1", 0, store, recorder=record, **options)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return Emulator(f"http://127.0.0.1:{server.server_address[1]}", store, server, records)


def stop_emulator(emulator: Emulator) -> None:
    emulator.http.close()
    emulator.server.shutdown()
    emulator.server.server_close()
    emulator.store.close()


def checked_emulator(**options: Any):
    """An in-process emulator; every answer it sent is checked against the spec at the end."""
    emu = start_emulator(**options)
    try:
        yield emu
    finally:
        stop_emulator(emu)
    if SPEC_DIR.is_dir():  # without it, test_answers_match_the_openapi_definition says why it skipped
        check_records(emu.records)


@pytest.fixture
def emulator():
    """An in-process emulator (30 numbers); every answer it sent is checked against the spec."""
    yield from checked_emulator()


@pytest.fixture
def small_pool():
    """An emulator whose services hold at most 3 phone numbers and short codes; checked too."""
    yield from checked_emulator(pool_limit=3)
