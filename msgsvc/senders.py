"""The one description of the kinds of sender a Messaging Service holds.

Each kind is a `Resource` under the service (path segment, list key, SID prefix, the form
field an attach sends, columns) plus what a user may type for it. The commands
(`msgsvc/commands/senders.py`), the client's calls, the planner and the emulator all follow
from these records: a new kind is one entry in `KINDS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from msgsvc import validate
from msgsvc.resources import CREATED, SERVICE, Column, Field, Resource, register, sid_what


@dataclass(frozen=True)
class Ref:
    """What one input names: a SID, an E.164 number, or an alpha sender's text."""

    raw: str  # as the user typed it (after trimming), shown in results
    sid: str | None = None
    e164: str | None = None
    text: str | None = None


@dataclass(frozen=True, kw_only=True)
class SenderKind(Resource):
    """A kind of sender: a resource under a service that attach/detach move in and out."""

    parent: Resource | None = SERVICE
    metavar: str  # "NUMBER"
    value_key: str  # the human-readable field of a record: "phone_number"
    accepts: str  # what NUMBER may be, for the help
    examples: tuple[str, ...]  # one argument example per line, for the help
    by_e164: bool = False  # an E.164 number is resolved through IncomingPhoneNumbers
    by_text: bool = False  # attach sends the text; detach/get also find a sender by its text
    country: bool = False  # --country (IsoCountryCode) on attach, list, detach and get

    def parse(self, raw: str, *, attach: bool) -> Ref:
        """Check one input before anything is sent; raise ValueError with a sentence."""
        value = raw.strip()
        if not value:
            raise ValueError("is empty")
        if self.by_text:
            if attach:
                return Ref(value, text=validate.alpha_sender(value))
            if validate.is_sid(value, self.prefix):
                return Ref(value, sid=value)
            return Ref(value, text=validate.alpha_sender(value))
        if validate.is_sid(value, self.prefix):
            return Ref(value, sid=value)
        if self.by_e164 and value.startswith("+"):
            number = re.sub(r"[\s().\-]", "", value)  # "+1 (501) 712-2661" is +15017122661
            return Ref(value, e164=validate.e164(number))
        if self.by_e164:
            raise ValueError(
                f"{value!r} is neither a phone number SID (PN followed by 32 hexadecimal "
                "digits) nor an E.164 number such as +15017122661"
            )
        raise ValueError(
            f"{value!r} is not {sid_what(self.prefix)} "
            f"({self.prefix} followed by 32 hexadecimal digits)"
        )

    @property
    def form_field(self) -> str:
        """The field an attach names the sender with: "PhoneNumberSid"."""
        return self.fields[0].wire

    def attach_form(self, sid_or_text: str, country: str | None) -> list[tuple[str, str]]:
        values = {self.fields[0].param: sid_or_text}
        if self.country and country:
            values["iso_country_code"] = country
        return self.form(values)

    def matches(self, record: dict, ref: Ref, country: str | None) -> bool:
        """Whether a record of the service's list is the sender `ref` names."""
        if ref.sid is not None:
            return record.get("sid") == ref.sid
        value = ref.e164 if ref.e164 is not None else ref.text
        if record.get(self.value_key) != value:
            return False
        if self.country and country is not None:
            return (record.get("iso_country_code") or "") == country
        return True

    def ambiguity(self, text: str, found: list[dict]) -> str:
        """The sentence for a value that names several senders (one per country)."""
        where = ", ".join(f"{r.get('sid')} ({r.get('iso_country_code') or 'default'})" for r in found)
        return f"{text!r} names {len(found)} {self.plural}: {where}"


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 country code, upper-cased."""
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError(f"{value!r} is not a two-letter ISO country code such as GB")
    return value.upper()


COUNTRY = Field("IsoCountryCode", "text", "ISO country code of the destination.", check=country_code)

NUMBERS = SenderKind(
    name="phone-number",
    noun="numbers",
    path="PhoneNumbers",
    list_key="phone_numbers",
    fields=(Field("PhoneNumberSid", "text", "The PN... SID of the phone number."),),
    prefix="PN",
    what="phone number",
    metavar="NUMBER",
    value_key="phone_number",
    columns=(Column("SID", "sid", wrap=False), Column("PHONE NUMBER", "phone_number", wrap=False),
             Column("COUNTRY", "country_code"), Column("CAPABILITIES", "capabilities"), CREATED),
    accepts="A PN... phone number SID, or the number itself in E.164 form (+15017122661).",
    examples=("+15017122661", "PN0123456789abcdef0123456789abcdef"),
    by_e164=True,
)

SHORT_CODES = SenderKind(
    name="short-code",
    noun="short-codes",
    path="ShortCodes",
    list_key="short_codes",
    fields=(Field("ShortCodeSid", "text", "The SC... SID of the short code."),),
    prefix="SC",
    what="short code",
    metavar="SHORT_CODE",
    value_key="short_code",
    columns=(Column("SID", "sid", wrap=False), Column("SHORT CODE", "short_code", wrap=False),
             Column("COUNTRY", "country_code"), Column("CAPABILITIES", "capabilities"), CREATED),
    accepts="An SC... short code SID.",
    examples=("SC0123456789abcdef0123456789abcdef",),
)

ALPHA_SENDERS = SenderKind(
    name="alpha-sender",
    noun="alpha-senders",
    path="AlphaSenders",
    list_key="alpha_senders",
    fields=(Field("AlphaSender", "text", "The alpha sender ID.", check=validate.alpha_sender),),
    prefix="AI",
    what="alpha sender",
    metavar="ALPHA_SENDER",
    value_key="alpha_sender",
    columns=(Column("SID", "sid", wrap=False), Column("ALPHA SENDER", "alpha_sender"),
             Column("CAPABILITIES", "capabilities"), CREATED),
    accepts="The alpha sender ID: 1 to 11 characters from A-Z a-z 0-9, space, - + _ &, not "
            "digits only. Detach and get also take its AI... SID.",
    examples=("MyCompany",),
    by_text=True,
)

CHANNEL_SENDERS = SenderKind(
    name="channel-sender",
    noun="channel-senders",
    path="ChannelSenders",
    list_key="senders",
    fields=(Field("Sid", "text", "The XE... SID of the channel sender."),),
    prefix="XE",
    what="channel sender",
    metavar="SENDER",
    value_key="sender",
    columns=(Column("SID", "sid", wrap=False), Column("SENDER", "sender"), Column("TYPE", "sender_type"),
             Column("COUNTRY", "country_code"), CREATED),
    accepts="An XE... channel sender SID (a WhatsApp, RCS or Messenger sender).",
    examples=("XE0123456789abcdef0123456789abcdef",),
)

DESTINATION_ALPHA_SENDERS = SenderKind(
    name="destination-alpha-sender",
    noun="destination-alpha-senders",
    path="DestinationAlphaSenders",
    list_key="alpha_senders",
    fields=(Field("AlphaSender", "text", "The alpha sender ID.", check=validate.alpha_sender),
            COUNTRY,),
    prefix="AI",
    what="destination alpha sender",
    metavar="ALPHA_SENDER",
    value_key="alpha_sender",
    columns=(Column("SID", "sid", wrap=False), Column("ALPHA SENDER", "alpha_sender"),
             Column("COUNTRY", "iso_country_code"), Column("CAPABILITIES", "capabilities"), CREATED),
    accepts="The alpha sender ID: 1 to 11 characters from A-Z a-z 0-9, space, - + _ &, not "
            "digits only. Detach and get also take its AI... SID.",
    examples=("MyCompany --country GB",),
    by_text=True,
    country=True,
)

KINDS: tuple[SenderKind, ...] = (NUMBERS, SHORT_CODES, ALPHA_SENDERS, CHANNEL_SENDERS, DESTINATION_ALPHA_SENDERS)
register(*KINDS)
