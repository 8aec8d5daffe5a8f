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
        "VettingId",
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
# `EditReason` is update's own (no create sends it), so it is not one of the fields.
EDIT_REASON = Field("EditReason", "text", "Why the record is edited (required to resubmit a rejection).")


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
