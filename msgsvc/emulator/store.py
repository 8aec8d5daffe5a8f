"""The emulated account: its services, senders and phone numbers, the API's rules, and the
JSON state file.

Every public method takes the one lock, so concurrent requests (a bulk attach from many
threads) see and leave a consistent state; a change is written to the state file, atomically,
behind the request (within SAVE_DELAY seconds) and again on exit. Records are plain JSON-able dicts; `api.py` renders them.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from msgsvc.atomic import write_private
from msgsvc.api.resources import SERVICE, Field
from msgsvc.api.senders import KINDS as SENDER_KINDS
from msgsvc.api.validate import is_sid

STATE_VERSION = 1
MORE_INFO = "https://www.twilio.com/docs/errors/{code}"

METHODS = ("GET", "POST")
ALPHA_SENDER = re.compile(r"[A-Za-z0-9 +\-_&]{1,11}")

# Twilio's error codes for the sender rules (its error dictionary); HTTP statuses as published
# fixtures and client code show them (409 for "already in a service", 412 for a full pool).
ALREADY_IN_SERVICE = 21710
IN_ANOTHER_SERVICE = 21712
POOL_FULL = 21714
INVALID_USECASE = 21713
INVALID_ALPHA_SENDER = 21709
FIELD_ERROR_CODES = {"Usecase": INVALID_USECASE}  # a bad value of any other field: 20001
DEFAULT_POOL_LIMIT = 400  # phone numbers and short codes in one service
POOL_TABLES = ("numbers", "short_codes")  # what counts towards that limit

# Seconds a new or updated A2P campaign stays in review (the emulator's --a2p-review).
A2P_REVIEW_SECONDS = 5.0


class Fault(Exception):
    """An error answer of the API: HTTP status and Twilio's error code and message."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None,
                 detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.detail = detail  # Twilio adds one to some errors (401)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code}
        if self.detail is not None:
            body["detail"] = self.detail
        body.update(message=self.message, more_info=MORE_INFO.format(code=self.code), status=self.status)
        return body


def not_found(path: str) -> Fault:
    """20404, naming the path as Twilio does: without the Messaging API's `/v1` (its host
    carries the product); the 2010 API's paths keep `/2010-04-01`."""
    shown = path[3:] if path.startswith("/v1/") else path
    return Fault(404, 20404, f"The requested resource {shown} was not found")


def invalid(message: str, code: int = 20001) -> Fault:
    return Fault(400, code, message)


def missing(name: str) -> Fault:
    return invalid(f"Missing required parameter {name} in the post body")


SAVE_DELAY = 0.1  # seconds between a change and its write to the state file
WRITE_RETRY = 1.0  # seconds between attempts when the state file cannot be written


class StateFileError(Exception):
    """The state file cannot be read or is not an emulator state; it is never overwritten."""


def new_sid(prefix: str, rng: random.Random | None = None) -> str:
    if rng is None:
        return prefix + secrets.token_hex(16)
    return prefix + "%032x" % rng.getrandbits(128)


# --- the service's writable fields, parsed as the resource declaration says ------------------


def _text(field: Field) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        if field.check is not None:
            try:
                field.check(value)
            except ValueError as exc:  # "it is 70 characters long; ..." -> "FriendlyName is 70 ..."
                raise invalid(f"{name} {str(exc).removeprefix('it ')}") from None
        return value

    return parse


def _url(name: str, value: str) -> str | None:
    if value == "":
        return None  # an empty value clears the URL
    if not re.match(r"^https?://[^/\s?#]+[^\s]*$", value):
        raise invalid(f"{name} is not a valid URL: {value}")
    return value


def _method(name: str, value: str) -> str:
    if value.upper() not in METHODS:
        raise invalid(f"{name} must be one of GET, POST")
    return value.upper()


def _bool(name: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise invalid(f"{name} must be true or false")
    return value.lower() == "true"


def _choice(field: Field) -> Callable[[str, str], str]:
    code = FIELD_ERROR_CODES.get(field.wire, 20001)

    def parse(name: str, value: str) -> str:
        if value not in field.choices:
            raise invalid(f"{name} must be one of {', '.join(field.choices)}", code)
        return value

    return parse


def _int(field: Field) -> Callable[[str, str], int]:
    def parse(name: str, value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise invalid(f"{name} must be an integer") from None
        if not field.minimum <= number <= field.maximum:
            raise invalid(f"{name} must be between {field.minimum} and {field.maximum}")
        return number

    return parse


_PARSERS: dict[str, Callable[[Field], Callable[[str, str], Any]]] = {
    "text": _text,
    "url": lambda field: _url,
    "method": lambda field: _method,
    "bool": lambda field: _bool,
    "choice": _choice,
    "int": _int,
}

SERVICE_FIELDS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    **{f.wire: (f.key, _PARSERS[f.kind](f)) for f in SERVICE.fields},
}

SERVICE_DEFAULTS: dict[str, Any] = {
    "friendly_name": None,
    "inbound_request_url": None,
    "inbound_method": "POST",
    "fallback_url": None,
    "fallback_method": "POST",
    "status_callback": None,
    "sticky_sender": True,
    "mms_converter": True,
    "smart_encoding": True,
    "scan_message_content": "inherit",
    "fallback_to_long_code": False,
    "area_code_geomatch": True,
    "synchronous_validation": False,
    "validity_period": 36000,
    "usecase": "undeclared",
    "us_app_to_person_registered": False,
    "use_inbound_webhook_on_number": False,
}


def parse_service_form(form: dict[str, str]) -> dict[str, Any]:
    """The changes a create/update form asks for, validated; unknown fields are ignored."""
    changes = {}
    for wire, (key, parse) in SERVICE_FIELDS.items():
        if wire in form:
            changes[key] = parse(wire, form[wire])
    return changes


# --- the kinds of sender a service holds -------------------------------------------------------


class Kind:
    """One sender subresource: where its records live and how a create form names one.

    Pooled kinds (phone numbers, short codes, channel senders) are account resources that a
    service borrows; deleting the service returns them. Owned kinds (alpha senders) are
    created in the service and die with it."""

    def __init__(self, name: str, path: str, list_key: str, prefix: str, form_field: str, pooled: bool) -> None:
        self.name = name  # key in the state
        self.path = path  # URL segment
        self.list_key = list_key
        self.prefix = prefix
        self.form_field = form_field
        self.pooled = pooled


# Which kinds are pooled: the rest are owned. Everything else comes from msgsvc/api/senders.py.
POOLED = {"PN", "SC", "XE"}

KINDS = {
    k.path: Kind(re.sub(r"(?<!^)(?=[A-Z])", "_", k.path).lower(), k.path, k.list_key, k.prefix, k.form_field, k.prefix in POOLED)
    for k in SENDER_KINDS
}


def _in_pool(kind: Kind) -> bool:
    """Whether a sender of this kind counts towards the service's pool limit (21714)."""
    return kind.name in ("phone_numbers", "short_codes")


# --- seeding ----------------------------------------------------------------------------------


def seeded_number(index: int) -> str:
    """The E.164 form of seeded number `index` (1-based): +15550000001, +15550000002, ..."""
    return f"+1555{index:07d}"


def number_capabilities(index: int) -> dict[str, bool]:
    """Varied: every 5th number is voice only (no SMS/MMS, so it cannot join a service),
    every 5th + 4 has no MMS, every 5th + 3 no voice, every 7th can fax."""
    caps = {"voice": True, "sms": True, "mms": True, "fax": index % 7 == 0}
    if index % 5 == 0:
        caps.update(sms=False, mms=False)
    elif index % 5 == 4:
        caps["mms"] = False
    elif index % 5 == 3:
        caps["voice"] = False
    return caps


def seed(account_sid: str, auth_token: str, numbers: int, now: float | None = None) -> dict[str, Any]:
    """A fresh account: `numbers` phone numbers, three short codes, three channel senders and
    one API key. SIDs follow from the account SID, so the same account seeds the same SIDs."""
    now = time.time() if now is None else now
    rng = random.Random(account_sid)
    data: dict[str, Any] = {
        "version": STATE_VERSION,
        "account_sid": account_sid,
        "auth_token": auth_token,
        "api_keys": {},
        "seq": 0,
        "services": {},
        "numbers": {},
        "short_codes": {},
        "channel_senders": {},
        "alpha_senders": {},
        "destination_alpha_senders": {},
    }
    data["api_keys"][new_sid("SK", rng)] = secrets.token_hex(16)

    def add(table: str, record: dict[str, Any]) -> None:
        data["seq"] += 1
        record.update(seq=data["seq"], created=now, updated=now, service_sid=None, attached=None)
        data[table][record["sid"]] = record

    for index in range(1, numbers + 1):
        number = seeded_number(index)
        add("numbers", {
            "sid": new_sid("PN", rng),
            "phone_number": number,
            "friendly_name": f"({number[2:5]}) {number[5:8]}-{number[8:]}",
            "country_code": "US",
            "capabilities": number_capabilities(index),
            "origin": "hosted" if index % 10 == 9 else "twilio",
        })
    for code in ("55501", "55502", "55503"):
        add("short_codes", {"sid": new_sid("SC", rng), "short_code": code, "country_code": "US", "capabilities": ["SMS", "MMS"]})
    for sender, sender_type, country in (
        (f"whatsapp:{seeded_number(1)}", "WhatsApp", "US"),
        ("messenger:101234567890123", "Messenger", None),
        ("rcs:msgsvc_emulator_agent", "RCS", None),
    ):
        add("channel_senders", {"sid": new_sid("XE", rng), "sender": sender, "sender_type": sender_type, "country_code": country})
    from msgsvc.emulator.a2p import seed_brands

    data.update(brands=seed_brands(account_sid, now), campaigns={})  # US A2P 10DLC (emulator/a2p.py)
    return data


# --- the store ---------------------------------------------------------------------------------


class Store:
    def __init__(self, data: dict[str, Any], path: Path | None = None, pool_limit: int = DEFAULT_POOL_LIMIT) -> None:
        self.data = data
        self.path = path
        self.a2p_review = A2P_REVIEW_SECONDS  # see emulator/a2p.py
        self.pool_limit = pool_limit  # a server option (--pool-limit), not part of the state
        # Phone numbers and short codes per service, kept up to date: a bulk attach to a
        # 100,000-number account does not count the account's numbers for every POST.
        self._pool: Counter[str] = Counter(
            r["service_sid"] for table in POOL_TABLES for r in data[table].values() if r["service_sid"]
        )
        self.lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._dirty = False
        self._closed = False
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._write_failed = False
        self.log: Callable[[str], None] = lambda line: None  # the server's log (stderr)

    @property
    def account_sid(self) -> str:
        return self.data["account_sid"]

    @property
    def auth_token(self) -> str:
        return self.data["auth_token"]

    @property
    def api_key(self) -> tuple[str, str]:
        return next(iter(self.data["api_keys"].items()))

    # --- persistence ---------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path, pool_limit: int = DEFAULT_POOL_LIMIT) -> Store:
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise StateFileError(f"cannot read the state file {path}: {exc.strerror}") from None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise StateFileError(f"the state file {path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION or not isinstance(data.get("account_sid"), str):
            raise StateFileError(f"{path} is not a msgsvc emulator state file (version {STATE_VERSION})")
        return cls(data, path, pool_limit)

    def save(self) -> None:
        """Write the state file now, atomically: temporary file in the same folder, fsync,
        rename. A reader sees the old file or the new one, never half of one."""
        if self.path is None:
            return
        with self.lock:
            text = json.dumps(self.data, separators=(",", ":"))
            self._dirty = False
        with self._write_lock:
            write_private(self.path, text)

    def changed(self) -> None:
        """Note a change (the lock is held). The writer thread saves within SAVE_DELAY, so a
        burst of changes (a bulk attach of 1,000 numbers) costs a few writes, not 1,000."""
        if self.path is None:
            return
        self._dirty = True
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_behind, name="state-writer", daemon=True)
            self._writer.start()
        self._wake.set()

    def _write_behind(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            time.sleep(SAVE_DELAY)
            if self._dirty:
                self._save_or_retry()

    def _save_or_retry(self) -> None:
        """A full disk must not stop the writer: the state stays in memory, is written again
        every WRITE_RETRY seconds until it lands, and the server says so once."""
        try:
            self.save()
        except OSError as exc:
            with self.lock:
                self._dirty = True
            if not self._write_failed:
                self._write_failed = True
                self.log(f"msgsvc emulator: cannot write the state file {self.path}: {exc.strerror or exc}; "
                         f"retrying every {WRITE_RETRY:g} s (the state is kept in memory meanwhile)")
            time.sleep(WRITE_RETRY)
            self._wake.set()
            return
        if self._write_failed:
            self._write_failed = False
            self.log(f"msgsvc emulator: the state file {self.path} is written again")

    def close(self) -> None:
        """Stop the writer thread and write what is not written yet (on shutdown)."""
        self._closed = True
        self._wake.set()
        if self._writer is not None:
            self._writer.join(5)
        if self._dirty:
            self.save()

    def _next_seq(self) -> int:
        self.data["seq"] += 1
        return self.data["seq"]

    # --- auth ----------------------------------------------------------------------------

    def knows(self, username: str) -> bool:
        """Whether `username` is the account's SID or one of its API keys."""
        with self.lock:
            return username == self.account_sid or username in self.data["api_keys"]

    def authenticate(self, username: str, password: str) -> bool:
        with self.lock:
            # As bytes: compare_digest refuses str that is not ASCII (a 500, not a 401).
            if username == self.account_sid:
                return secrets.compare_digest(password.encode(), self.auth_token.encode())
            secret = self.data["api_keys"].get(username)
            return secret is not None and secrets.compare_digest(password.encode(), secret.encode())

    # --- services ------------------------------------------------------------------------

    def _service(self, sid: str, path: str) -> dict[str, Any]:
        service = self.data["services"].get(sid)
        if service is None:
            raise not_found(path)
        return service

    def create_service(self, form: dict[str, str]) -> dict[str, Any]:
        if not form.get("FriendlyName"):
            raise missing("FriendlyName")
        changes = parse_service_form(form)
        with self.lock:
            now = time.time()
            service = {"sid": new_sid("MG"), **SERVICE_DEFAULTS, **changes, "seq": self._next_seq(), "created": now, "updated": now}
            self.data["services"][service["sid"]] = service
            self.changed()
            return dict(service)

    def get_service(self, sid: str, path: str) -> dict[str, Any]:
        with self.lock:
            return dict(self._service(sid, path))

    def list_services(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(s) for s in self.data["services"].values()]

    def update_service(self, sid: str, form: dict[str, str], path: str) -> dict[str, Any]:
        changes = parse_service_form(form)
        with self.lock:
            service = self._service(sid, path)
            service.update(changes)
            service["updated"] = time.time()
            self.changed()
            return dict(service)

    def delete_service(self, sid: str, path: str) -> None:
        with self.lock:
            self._service(sid, path)
            del self.data["services"][sid]
            self._pool.pop(sid, None)
            from msgsvc.emulator import a2p

            a2p.service_deleted(self, sid)  # its campaign goes with it
            for table in ("numbers", "short_codes", "channel_senders"):  # back to the account
                for record in self.data[table].values():
                    if record["service_sid"] == sid:
                        record.update(service_sid=None, attached=None)
            for table in ("alpha_senders", "destination_alpha_senders"):  # gone with it
                for key in [k for k, r in self.data[table].items() if r["service_sid"] == sid]:
                    del self.data[table][key]
            self.changed()

    # --- senders -------------------------------------------------------------------------

    def _table(self, kind: Kind) -> dict[str, dict[str, Any]]:
        return self.data["numbers" if kind.name == "phone_numbers" else kind.name]

    def add_sender(self, kind: Kind, service_sid: str, form: dict[str, str], path: str) -> dict[str, Any]:
        with self.lock:
            self._service(service_sid, path)
            if kind.pooled:
                return self._attach(kind, service_sid, form)
            return self._create_alpha(kind, service_sid, form)

    def _attach(self, kind: Kind, service_sid: str, form: dict[str, str]) -> dict[str, Any]:
        value = form.get(kind.form_field)
        if not value:
            raise missing(kind.form_field)
        what = {"PN": "Phone Number", "SC": "Short Code", "XE": "Channel Sender"}[kind.prefix]
        record = self._table(kind).get(value) if is_sid(value, kind.prefix) else None
        if record is None:
            if kind.prefix == "XE":
                raise invalid(f"{kind.form_field} {value} is not a channel sender of this account")
            raise invalid(f"Invalid {what} Sid {value}: it is not a {what.lower()} of this account", 21421)
        if record["service_sid"] == service_sid:
            raise Fault(409, ALREADY_IN_SERVICE, f"{what} {value} is already in the Messaging Service {service_sid}")
        if record["service_sid"] is not None:
            raise Fault(
                409, IN_ANOTHER_SERVICE,
                f"{what} {value} is already associated with another Messaging Service "
                f"({record['service_sid']}); a sender can belong to only one",
            )
        if kind.prefix == "PN" and not (record["capabilities"]["sms"] or record["capabilities"]["mms"]):
            raise invalid(f"Phone Number {record['phone_number']} ({value}) has no SMS or MMS capability and cannot be added to a Messaging Service", 21715)
        if _in_pool(kind) and self._pool_size(service_sid) >= self.pool_limit:
            raise Fault(
                412, POOL_FULL,
                f"Number Pool size limit reached: the Messaging Service {service_sid} already holds "
                f"{self.pool_limit} phone numbers and short codes",
            )
        now = time.time()
        record.update(service_sid=service_sid, attached=now, attach_seq=self._next_seq())
        if _in_pool(kind):
            self._pool[service_sid] += 1
        self.changed()
        return dict(record)

    def _pool_size(self, service_sid: str) -> int:
        """The phone numbers and short codes in the service (channel senders do not count)."""
        return self._pool[service_sid]

    def _create_alpha(self, kind: Kind, service_sid: str, form: dict[str, str]) -> dict[str, Any]:
        value = form.get("AlphaSender")
        if not value:
            raise missing("AlphaSender")
        if not ALPHA_SENDER.fullmatch(value) or value.isdigit():
            raise invalid(
                f"AlphaSender {value!r} is invalid: 1 to 11 characters from A-Z a-z 0-9, space, "
                "- + _ &, and not digits only", INVALID_ALPHA_SENDER,
            )
        country = ""
        if kind.name == "destination_alpha_senders":
            country = form.get("IsoCountryCode", "")
            if country and not re.match(r"^[A-Za-z]{2}$", country):
                raise invalid(f"IsoCountryCode {country!r} is not a two-letter ISO country code")
            country = country.upper()
        for other in self._table(kind).values():  # one per service (per country for destination ones)
            if other["service_sid"] == service_sid and other.get("iso_country_code", "") == country:
                where = f" for {country}" if country else ""
                raise invalid(f"The Messaging Service {service_sid} already has an alpha sender{where} ({other['alpha_sender']})")
        now = time.time()
        record = {
            "sid": new_sid("AI"),
            "service_sid": service_sid,
            "alpha_sender": value,
            "capabilities": ["SMS"],
            "created": now,
            "updated": now,
            "seq": self._next_seq(),
        }
        if kind.name == "destination_alpha_senders":
            record["iso_country_code"] = country
        self._table(kind)[record["sid"]] = record
        self.changed()
        return dict(record)

    def get_sender(self, kind: Kind, service_sid: str, sid: str, path: str) -> dict[str, Any]:
        with self.lock:
            self._service(service_sid, path)
            record = self._table(kind).get(sid)
            if record is None or record["service_sid"] != service_sid:
                raise not_found(path)
            return dict(record)

    def list_senders(self, kind: Kind, service_sid: str, path: str, country: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            self._service(service_sid, path)
            records = [dict(r) for r in self._table(kind).values() if r["service_sid"] == service_sid]
        if country is not None:
            records = [r for r in records if r.get("iso_country_code", "").upper() == country.upper()]
        key = "attach_seq" if kind.pooled else "seq"
        return sorted(records, key=lambda r: r[key])

    def remove_sender(self, kind: Kind, service_sid: str, sid: str, path: str) -> None:
        with self.lock:
            self._service(service_sid, path)
            record = self._table(kind).get(sid)
            if record is None or record["service_sid"] != service_sid:
                raise not_found(path)
            if kind.pooled:
                record.update(service_sid=None, attached=None)
                if _in_pool(kind):
                    self._pool[service_sid] -= 1
            else:
                del self._table(kind)[sid]
            self.changed()

    # --- the 2010 API's IncomingPhoneNumbers ----------------------------------------------

    def incoming_numbers(self, phone_number: str | None = None, friendly_name: str | None = None, origin: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            records = [dict(r) for r in self.data["numbers"].values()]
        if phone_number:
            match = phone_number_matcher(phone_number)
            records = [r for r in records if match(r["phone_number"])]
        if friendly_name is not None:
            records = [r for r in records if r["friendly_name"] == friendly_name]
        if origin:
            records = [r for r in records if r["origin"] == origin]
        return records

    def incoming_number(self, sid: str, path: str) -> dict[str, Any]:
        with self.lock:
            record = self.data["numbers"].get(sid)
            if record is None:
                raise not_found(path)
            return dict(record)

    def account_short_codes(self, short_code: str | None = None, friendly_name: str | None = None) -> list[dict[str, Any]]:
        """The 2010 API's SMS/ShortCodes of the account; ShortCode matches as PhoneNumber does."""
        with self.lock:
            records = [dict(r) for r in self.data["short_codes"].values()]
        if short_code:
            match = phone_number_matcher(short_code)
            records = [r for r in records if match(r["short_code"])]
        if friendly_name is not None:
            records = [r for r in records if r["short_code"] == friendly_name]
        return records

    def senders(self) -> dict[str, list[dict[str, Any]]]:
        """The account's short codes and channel senders, SID and what a user types, for the banner."""
        with self.lock:
            return {
                "short_codes": [{"sid": r["sid"], "short_code": r["short_code"]} for r in self.data["short_codes"].values()],
                "channel_senders": [{"sid": r["sid"], "sender": r["sender"]} for r in self.data["channel_senders"].values()],
            }

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {t: len(self.data[t]) for t in ("services", "numbers", "short_codes", "channel_senders")}


def phone_number_matcher(pattern: str) -> Callable[[str], bool]:
    """The 2010 API's PhoneNumber filter: partial numbers match anywhere, '*' stands for any
    one digit, and a leading '+' anchors at the start. Punctuation such as '(415) 555-' is
    ignored, and so is a '+' that arrived as a space (an unencoded '+' in a query string)."""
    anchored = pattern.strip().startswith("+")
    digits = re.sub(r"[^0-9*]", "", pattern)
    if not digits:
        return lambda number: True
    regex = re.compile(("^\\+" if anchored else "") + "".join("[0-9]" if c == "*" else c for c in digits))
    return lambda number: bool(regex.search(number))
