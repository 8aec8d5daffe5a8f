"""Toll-free verification: the record Twilio keeps per toll-free number, and what it means.

Since 31 January 2024 Twilio blocks traffic from a US or Canadian toll-free number (8XX)
without an approved verification (error 30032). A verification is filed per number; it moves
PENDING_REVIEW -> IN_REVIEW -> TWILIO_APPROVED or TWILIO_REJECTED. A rejected record may be
edited and resubmitted while `edit_allowed` is true, until `edit_expiration` (seven days,
error 30437 after it); past that it must be deleted and filed again.

This module is the one home of those rules: which numbers are toll-free, which statuses let a
number send, and what to do next. The commands (`msgsvc tollfree`), `doctor` and `send` ask it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Mapping

from msgsvc.api.resources import CREATED, KEEP, SID, TRUNCATE, Column, Field, Resource, register

PENDING_REVIEW = "PENDING_REVIEW"
IN_REVIEW = "IN_REVIEW"
APPROVED = "TWILIO_APPROVED"
REJECTED = "TWILIO_REJECTED"
STATUSES = (PENDING_REVIEW, IN_REVIEW, APPROVED, REJECTED)
PENDING_STATES = (PENDING_REVIEW, IN_REVIEW)
FINAL_STATES = (APPROVED, REJECTED)

# The North American toll-free area codes in service (822, 880-887 and 889 are reserved).
TOLL_FREE_AREA_CODES = ("800", "833", "844", "855", "866", "877", "888")
_TOLL_FREE = re.compile(r"^\+1(" + "|".join(TOLL_FREE_AREA_CODES) + r")\d{7}$")

# What to do next, as `tollfree status` shows it (stable words: scripts match on them).
SUBMIT = "submit"
WAIT = "wait"
NOTHING = "none"
RESUBMIT = "delete and submit again"
EDIT_BY = "edit by"  # followed by the date: "edit by 2026-12-13 10:00 UTC"

# The window Twilio leaves to edit a rejected record; `tollfree wait` warns when less is left.
EDIT_WINDOW_DAYS = 7
EDIT_WARNING_HOURS = 48

USE_CASE_CATEGORIES = (
    "TWO_FACTOR_AUTHENTICATION", "ACCOUNT_NOTIFICATIONS", "CUSTOMER_CARE", "CHARITY_NONPROFIT",
    "DELIVERY_NOTIFICATIONS", "FRAUD_ALERT_MESSAGING", "EVENTS", "HIGHER_EDUCATION", "K12", "MARKETING",
    "POLLING_AND_VOTING_NON_POLITICAL", "POLITICAL_ELECTION_CAMPAIGNS", "PUBLIC_SERVICE_ANNOUNCEMENT",
    "SECURITY_ALERT",
)
OPT_IN_TYPES = ("VERBAL", "WEB_FORM", "PAPER_FORM", "VIA_TEXT", "MOBILE_QR_CODE", "IMPORT", "IMPORT_PLEASE_REPLACE")
BUSINESS_TYPES = ("PRIVATE_PROFIT", "PUBLIC_PROFIT", "SOLE_PROPRIETOR", "NON_PROFIT", "GOVERNMENT")
REGISTRATION_AUTHORITIES = (
    "EIN", "CBN", "CRN", "PROVINCIAL_NUMBER", "VAT", "ACN", "ABN", "BRN", "SIREN", "SIRET", "NZBN",
    "USt-IdNr", "CIF", "NIF", "CNPJ", "UID", "NEQ", "OTHER",
)
VETTING_PROVIDERS = ("CAMPAIGN_VERIFY",)

# The definition's `required` list for a create, as wire names.
CREATE_REQUIRED = (
    "BusinessName", "BusinessWebsite", "NotificationEmail", "UseCaseCategories", "UseCaseSummary",
    "ProductionMessageSample", "OptInImageUrls", "OptInType", "MessageVolume", "TollfreePhoneNumberSid",
)


def _text(wire: str, help: str, **kw: Any) -> Field:
    return Field(wire, "text", help, **kw)


# `EditReason` is update's own (no create sends it): the last field, updatable, never in a file.
EDIT_REASON = Field("EditReason", "text", "Why the record is edited (required to resubmit a rejection).")

VERIFICATION = Resource(
    name="tollfree-verification",
    noun="tollfree",
    what="toll-free verification",
    path="Tollfree/Verifications",
    list_key="verifications",
    prefix="HH",
    # What an update may send, as the definition lists it (neither the number, the customer
    # profile nor the external reference can change).
    updatable=tuple(w for w in (
        "BusinessName", "BusinessWebsite", "NotificationEmail", "UseCaseCategories", "UseCaseSummary",
        "ProductionMessageSample", "OptInImageUrls", "OptInType", "MessageVolume", "BusinessStreetAddress",
        "BusinessStreetAddress2", "BusinessCity", "BusinessStateProvinceRegion", "BusinessPostalCode",
        "BusinessCountry", "AdditionalInformation", "BusinessContactFirstName", "BusinessContactLastName",
        "BusinessContactEmail", "BusinessContactPhone", "BusinessRegistrationNumber",
        "BusinessRegistrationAuthority", "BusinessRegistrationCountry", "BusinessType",
        "BusinessRegistrationPhoneNumber", "DoingBusinessAs", "OptInConfirmationMessage", "HelpMessageSample",
        "PrivacyPolicyUrl", "TermsAndConditionsUrl", "AgeGatedContent", "OptInKeywords", "VettingProvider",
        "VettingId", "EditReason",
    )),
    fields=(
        _text("TollfreePhoneNumberSid", "The toll-free number's SID (PN...).", name="tollfree-phone-number-sid"),
        _text("BusinessName", "The business's legal name."),
        Field("BusinessWebsite", "url", "The business's website (https)."),
        _text("NotificationEmail", "Where Twilio sends news of the review."),
        Field("UseCaseCategories", "choice", "A use case category; as many as apply.", USE_CASE_CATEGORIES,
              many=True, name="use-case-category"),
        _text("UseCaseSummary", "What the messages are for and who receives them."),
        _text("ProductionMessageSample", "A message as it will be sent."),
        Field("OptInImageUrls", "url", "An image or page showing how recipients opt in; one or more.",
              many=True, name="opt-in-image-url"),
        Field("OptInType", "choice", "How recipients opt in.", OPT_IN_TYPES),
        _text("MessageVolume", "Expected messages a month (10, 100, 1,000, ... 10,000,000+)."),
        _text("CustomerProfileSid", "The Customer Profile (BU...) of the business, if any."),
        _text("BusinessStreetAddress", "Street address."),
        _text("BusinessStreetAddress2", "Street address, second line."),
        _text("BusinessCity", "City."),
        _text("BusinessStateProvinceRegion", "State, province or region."),
        _text("BusinessPostalCode", "Postal code."),
        _text("BusinessCountry", "Country, as an ISO 3166-1 alpha-2 code."),
        _text("AdditionalInformation", "Anything else the reviewer should know."),
        _text("BusinessContactFirstName", "The contact's first name."),
        _text("BusinessContactLastName", "The contact's last name."),
        _text("BusinessContactEmail", "The contact's e-mail address."),
        _text("BusinessContactPhone", "The contact's phone number (E.164)."),
        _text("ExternalReferenceId", "Your own reference for the record."),
        _text("BusinessRegistrationNumber", "The business registration number (EIN, ...)."),
        Field("BusinessRegistrationAuthority", "choice", "Who issued the registration number.", REGISTRATION_AUTHORITIES),
        _text("BusinessRegistrationCountry", "Country of the registration, ISO 3166-1 alpha-2."),
        Field("BusinessType", "choice", "The kind of business.", BUSINESS_TYPES),
        _text("BusinessRegistrationPhoneNumber", "The phone number on the registration (E.164)."),
        _text("DoingBusinessAs", "The name the business trades under."),
        _text("OptInConfirmationMessage", "The message sent when a recipient opts in."),
        _text("HelpMessageSample", "The reply to HELP."),
        Field("PrivacyPolicyUrl", "url", "The privacy policy."),
        Field("TermsAndConditionsUrl", "url", "The terms and conditions."),
        Field("AgeGatedContent", "bool", "The content is age gated."),
        _text("OptInKeywords", "A keyword that opts in.", many=True, name="opt-in-keyword"),
        Field("VettingProvider", "choice", "The political vetting provider.", VETTING_PROVIDERS),
        _text("VettingId", "The vetting provider's ID."),
        EDIT_REASON,
    ),
    columns=(
        SID,
        Column("NUMBER", "tollfree_phone_number", fit=KEEP),
        Column("STATUS", "status", fit=KEEP),
        Column("BUSINESS", "business_name", fit=TRUNCATE, drop=1),
        CREATED,
    ),
    keys=(
        "sid", "account_sid", "customer_profile_sid", "trust_product_sid", "date_created", "date_updated",
        "regulated_item_sid", "business_name", "business_street_address", "business_street_address2",
        "business_city", "business_state_province_region", "business_postal_code", "business_country",
        "business_website", "business_contact_first_name", "business_contact_last_name",
        "business_contact_email", "business_contact_phone", "notification_email", "use_case_categories",
        "use_case_summary", "production_message_sample", "opt_in_image_urls", "opt_in_type", "message_volume",
        "additional_information", "tollfree_phone_number_sid", "tollfree_phone_number", "status", "url",
        "rejection_reason", "error_code", "edit_expiration", "edit_allowed", "business_registration_number",
        "business_registration_authority", "business_registration_country", "business_type",
        "business_registration_phone_number", "doing_business_as", "opt_in_confirmation_message",
        "help_message_sample", "privacy_policy_url", "terms_and_conditions_url", "age_gated_content",
        "opt_in_keywords", "rejection_reasons", "resource_links", "external_reference_id", "vetting_id",
        "vetting_provider", "vetting_id_expiration",
    ),
)


# --- the rules of a verification's fields, checked before anything is sent -------------------
#
# The definition's required list and enums, and what reviewers reject on sight: URLs that are
# not https, e-mail and phone numbers that are not such, countries that are not ISO codes, a
# public URL shortener in the message samples. `verification_problems` is the one home of
# these rules: the command reports them with file and line, the emulator answers with them.

# The monthly volumes Twilio's Console offers and its API accepts.
MESSAGE_VOLUMES = (
    "10", "100", "1,000", "10,000", "100,000", "250,000", "500,000", "750,000", "1,000,000", "5,000,000",
    "10,000,000+",
)
# Public URL shorteners: carriers filter their links, and reviewers reject samples that use them.
URL_SHORTENERS = (
    "bit.ly", "bitly.com", "tinyurl.com", "goo.gl", "t.co", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
    "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "bl.ink", "t.ly", "s.id", "v.gd", "shorte.st", "adf.ly",
)
# ISO 3166-1 alpha-2, the officially assigned codes.
ISO_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI
FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN
IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE
YT ZA ZM ZW
""".split())
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_URL_IN_TEXT = re.compile(r"(?:https?://)?((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?:/\S*)?")
EMAILS = ("NotificationEmail", "BusinessContactEmail")
PHONES = ("BusinessContactPhone", "BusinessRegistrationPhoneNumber")
COUNTRIES = ("BusinessCountry", "BusinessRegistrationCountry")
SAMPLES = ("ProductionMessageSample", "HelpMessageSample", "OptInConfirmationMessage")
_BY_WIRE = {f.wire: f for f in VERIFICATION.fields}
LISTS = tuple(f.wire for f in VERIFICATION.fields if f.many)
BOOLEANS = tuple(f.wire for f in VERIFICATION.fields if f.kind == "bool")
SIDS = {"TollfreePhoneNumberSid": "PN", "CustomerProfileSid": "BU"}
VETTING_ID_MAX = 500  # the definition's maxLength


def shortener_in(text: str) -> str | None:
    """The public URL shortener a text links to, if any (bit.ly, tinyurl.com, ...)."""
    for match in _URL_IN_TEXT.finditer(text):
        host = match.group(1).lower().removeprefix("www.")
        if host in URL_SHORTENERS:
            return host
    return None


def _https_problem(value: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        return f"must be an absolute https:// URL; {value!r} is not"
    return None


def verification_problems(values: Mapping[str, Any], *, required: tuple[str, ...] = ()) -> list[Any]:
    """Every rule that `values` (wire name -> str, bool, or list of str for the list fields)
    break, as a2p.Problem(wire name, phrase), in a stable order; [] when none."""
    from msgsvc.api.a2p import Problem
    from msgsvc.api.validate import is_sid

    found: list[Problem] = []
    for name in required:
        value = values.get(name)
        if value is None or value == "" or value == []:
            found.append(Problem(name, "is required"))
    given = {k: v for k, v in values.items() if v is not None and v != "" and v != []}
    for name, value in given.items():
        field = _BY_WIRE.get(name)
        if field is None:
            continue
        items = value if isinstance(value, list) else [value]
        if field.kind == "bool":
            if not isinstance(value, bool):
                found.append(Problem(name, f"must be true or false; {value!r} is not"))
            continue
        if any(not isinstance(item, str) for item in items):
            found.append(Problem(name, "must be text" if not field.many else "must be a list of texts"))
            continue
        if field.kind == "choice":
            bad = [item for item in items if item not in field.choices]
            if bad:
                found.append(Problem(name, f"must be one of {', '.join(field.choices)}; {', '.join(map(repr, bad))} is not"))
        elif field.kind == "url":
            for item in items:
                problem = _https_problem(item)
                if problem:
                    found.append(Problem(name, problem))
        if name in SIDS and not is_sid(value, SIDS[name]):
            found.append(Problem(name, f"must be {SIDS[name]} followed by 32 hexadecimal digits; {value!r} is not"))
        elif name in EMAILS and not _EMAIL.match(value):
            found.append(Problem(name, f"must be an e-mail address; {value!r} is not"))
        elif name in PHONES and not _E164.match(value):
            found.append(Problem(name, f"must be an E.164 phone number such as +15017122661; {value!r} is not"))
        elif name in COUNTRIES and value not in ISO_COUNTRIES:
            hint = f" (did you mean {value.upper()}?)" if value.upper() in ISO_COUNTRIES else ""
            found.append(Problem(name, f"must be an ISO 3166-1 alpha-2 country code such as US or CA; {value!r} is not{hint}"))
        elif name == "MessageVolume" and value not in MESSAGE_VOLUMES:
            found.append(Problem(name, f"must be one of {', '.join(MESSAGE_VOLUMES)}; {value!r} is not"))
        elif name in SAMPLES and (host := shortener_in(value)):
            found.append(Problem(name, f"links to the public URL shortener {host}, which reviewers reject; "
                                       "use a link on the business's own domain"))
        elif name == "VettingId" and len(value) > VETTING_ID_MAX:
            found.append(Problem(name, f"must be at most {VETTING_ID_MAX} characters long; it is {len(value)}"))
    return found


# --- a verification from a file ---------------------------------------------------------------

# The keys of a verification file: the options' names (business-name, use-case-category, ...).
# The numbers are the command's arguments, never the file's.
FILE_FIELDS = tuple(f for f in VERIFICATION.fields if f.wire not in ("TollfreePhoneNumberSid", EDIT_REASON.wire))
FILE_KEYS = {f.option[2:]: f.wire for f in FILE_FIELDS}


def _as_typed(wire: str, value: Any) -> Any:
    """A value a person typed in the file, read as msgsvc reads it on the command line: a SID
    in any case, sent as Twilio writes it (validate.canonical_sid); a phone number with spaces,
    dashes or parentheses as E.164 (validate.typed_number). A value that is neither is left
    to the rules, which say what it should be."""
    from msgsvc.api.validate import canonical_sid, typed_number

    if wire in SIDS and isinstance(value, str):
        return canonical_sid(value, SIDS[wire]) or value
    if wire in PHONES and isinstance(value, str):
        try:
            return typed_number(value) or value
        except ValueError:
            return value
    return value


def file_problems(data: Mapping[str, Any], *, create: bool = True) -> tuple[dict[str, Any], list[tuple[str | None, str]]]:
    """({wire name: value}, [(the file's key or None, phrase)]) of a verification file's table:
    every unknown key, value of the wrong type and broken rule at once (for a create, the
    required ones but the number, which the command names). A list field also takes one string."""
    values: dict[str, Any] = {}
    problems: list[tuple[str | None, str]] = []
    options = {wire: key for key, wire in FILE_KEYS.items()}
    for key, value in data.items():
        wire = FILE_KEYS.get(key)
        if wire is None:
            from msgsvc.suggest import did_you_mean

            near = did_you_mean(key, FILE_KEYS)
            problems.append((key, f"unknown key {key!r}" + (f" ({near})" if near else "")))
            continue
        if wire in LISTS and isinstance(value, str):
            value = [value]
        if wire in LISTS and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append((key, f"{key} must be a list of strings"))
        elif wire in BOOLEANS and not isinstance(value, bool):
            problems.append((key, f"{key} must be true or false"))
        elif wire not in LISTS and wire not in BOOLEANS and not isinstance(value, str):
            problems.append((key, f"{key} must be a string"))
        else:
            values[wire] = _as_typed(wire, value)
    required = tuple(w for w in CREATE_REQUIRED if w != "TollfreePhoneNumberSid") if create else ()
    for problem in verification_problems(values, required=required):
        key = options[problem.field]
        problems.append((key if problem.field in values else None, f"{key} {problem.message}"))
    return values, problems


def is_toll_free(number: str | None) -> bool:
    """A North American toll-free number in E.164 (+1 8XX ...)."""
    return bool(number) and _TOLL_FREE.match(number) is not None


def approved(record: Mapping[str, Any] | None) -> bool:
    return record is not None and record.get("status") == APPROVED


def blocks_sending(record: Mapping[str, Any] | None) -> bool:
    """Whether Twilio blocks the number's traffic (30032): anything but an approved record."""
    return not approved(record)


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def edit_deadline(record: Mapping[str, Any]) -> datetime | None:
    """When the edit window of a rejected record closes, if it is open at all."""
    if record.get("status") != REJECTED or record.get("edit_allowed") is not True:
        return None
    return _when(record.get("edit_expiration"))


def can_edit(record: Mapping[str, Any], now: datetime) -> bool:
    deadline = edit_deadline(record)
    return deadline is not None and now < deadline


def format_moment(moment: datetime) -> str:
    """2026-12-13 10:00 UTC: minutes, in UTC, the same on every machine."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def next_step(record: Mapping[str, Any] | None, now: datetime) -> str:
    """What to do next for a number with this verification record (None: no record)."""
    if record is None:
        return SUBMIT
    status = record.get("status")
    if status == APPROVED:
        return NOTHING
    if status == REJECTED:
        deadline = edit_deadline(record)
        if deadline is not None and now < deadline:
            return f"{EDIT_BY} {format_moment(deadline)}"
        return RESUBMIT
    return WAIT  # PENDING_REVIEW, IN_REVIEW, and a status Twilio may add: the review goes on


def rejection_reasons(record: Mapping[str, Any]) -> list[str]:
    """Each reason of a rejection as one line: `30445: Website ... (fix: ...)` where known."""
    lines = []
    reasons = record.get("rejection_reasons")
    if isinstance(reasons, list):
        for reason in reasons:
            if isinstance(reason, Mapping):
                code = reason.get("code") or reason.get("error_code")
                text = reason.get("description") or reason.get("reason") or ""
                lines.append(f"{code}: {text}".strip(": ") if code else str(text))
            elif reason:
                lines.append(str(reason))
    if not lines and record.get("rejection_reason"):
        code = record.get("error_code")
        lines.append(f"{code}: {record['rejection_reason']}" if code else str(record["rejection_reason"]))
    return lines


def latest_by_number(records: list[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The record that counts for each number (by its PN SID): the newest by date_created, as
    a number may have an old rejected record beside its resubmission."""
    best: dict[str, Mapping[str, Any]] = {}
    for record in records:
        sid = record.get("tollfree_phone_number_sid")
        if not isinstance(sid, str):
            continue
        current = best.get(sid)
        if current is None or (_when(record.get("date_created")) or datetime.min.replace(tzinfo=timezone.utc)) >= (
            _when(current.get("date_created")) or datetime.min.replace(tzinfo=timezone.utc)
        ):
            best[sid] = record
    return best


register(VERIFICATION)
