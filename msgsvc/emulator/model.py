"""The emulated account's data model: what a service's form may say (parsed as the resource
declaration in msgsvc/api/resources.py says), the kinds of sender a service holds (from
msgsvc/api/senders.py), Twilio's error codes for the sender rules, SIDs and number filters.
Records are plain JSON-able dicts; store.py keeps them, routes.py renders them."""

from __future__ import annotations

import random
import re
import secrets
from typing import Any, Callable, Iterable

from msgsvc.api.resources import SERVICE, Field
from msgsvc.api.senders import KINDS as SENDER_KINDS
from msgsvc.emulator.errors import invalid

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


def form_values(request: Any, allowed: Iterable[str], lists: Iterable[str], booleans: Iterable[str]) -> dict[str, Any]:
    """A form's fields of a resource (A2P campaigns, toll-free verifications), by wire name:
    the `allowed` ones only; `lists` from their repeated keys, `booleans` parsed (20001 else)."""
    allowed, lists, booleans = set(allowed), set(lists), set(booleans)
    pairs = request.pairs if request.pairs is not None else list(request.form.items())
    values: dict[str, Any] = {}
    for name, value in pairs:
        if name not in allowed:
            continue
        if name in lists:
            values.setdefault(name, []).append(value)
        elif name in booleans:
            values[name] = _bool(name, value)
        else:
            values[name] = value
    return values


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


def in_pool(kind: Kind) -> bool:
    """Whether a sender of this kind counts towards the service's pool limit (21714)."""
    return kind.name in ("phone_numbers", "short_codes")


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
