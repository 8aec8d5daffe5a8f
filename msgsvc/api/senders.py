"""The one description of the kinds of sender a Messaging Service holds.

Each kind is a `Resource` under the service (path segment, list key, SID prefix, the form
field an attach sends, columns) plus what a user may type for it. The commands
(`msgsvc/cli/sender_commands.py`), the client's calls, the planner and the emulator all follow
from these records: a new kind is one entry in `KINDS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from msgsvc.api import validate
from msgsvc.api.resources import CREATED, KEEP, SERVICE, SID, WRAP, Column, Field, Resource, register, sid_what


# Twilio's channel addresses: whatsapp:+15017122661, messenger:104794531907950, rcs:brand_agent.
CHANNEL_ADDRESS = re.compile(r"[a-z]+:\S+")


@dataclass(frozen=True)
class Ref:
    """What one input names: a SID, an E.164 number, or an alpha sender's text."""

    raw: str  # as the user typed it (after trimming), shown in results
    sid: str | None = None
    e164: str | None = None  # an E.164 number, or a short code's digits: looked up on the account
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
    by_number: bool = False  # a short code's digits (55501) are resolved like an E.164 number
    by_address: bool = False  # detach/get also find a sender by its address (whatsapp:+1...)
    # The account's list of this kind in the 2010 API, where a number is resolved to its SID:
    # (path under /2010-04-01/Accounts/{AC}/, list key, filter parameter, value field).
    account_list: tuple[str, str, str, str] | None = None
    by_text: bool = False  # attach sends the text; detach/get also find a sender by its text
    country: bool = False  # --country (IsoCountryCode) on attach, list, detach and get

    def parse(self, raw: str, *, attach: bool, listed: bool = False) -> Ref:
        """Check one input before anything is sent; raise ValueError with a sentence.

        The one rule for what names a sender, on the command line and in a setup file
        (`listed`: an entry of a file's list, which is what attach takes, plus a channel
        sender's address, since the file finds it among the account's services). A SID is
        matched whatever the case of its letters and kept as Twilio writes it (PN + lower-case
        hex); a channel address is a lower-case channel name without hyphens (whatsapp:,
        messenger:, rcs:), a colon and the channel's identifier."""
        value = raw.strip()
        if not value:
            raise ValueError("is empty")
        if listed:
            attach = not self.by_address
        sid = validate.canonical_sid(value, self.prefix)
        if self.by_text:
            if sid is not None and not attach:
                return Ref(value, sid=sid)
            return Ref(value, text=validate.alpha_sender(value))
        if sid is not None:
            return Ref(value, sid=sid)
        if self.by_e164 and value.startswith("+"):  # "+1 (501) 712-2661" is +15017122661
            return Ref(value, e164=validate.phone_number(value))
        if self.by_number and re.fullmatch(r"[0-9]{3,8}", value):
            return Ref(value, e164=value)  # looked up among the account's short codes
        if self.by_address and CHANNEL_ADDRESS.fullmatch(value):
            if attach:
                raise ValueError(f"{value!r}: attach takes the {self.prefix}... SID of the {self.what} "
                                 "(detach and get also take its address)")
            return Ref(value, text=value)
        if self.by_address and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*:\S+", value):
            channel, _, rest = value.partition(":")
            hint = f" (did you mean {channel.lower()}:{rest}?)" if channel.isalpha() else ""
            raise ValueError(f"{value!r} is not a channel sender address: the channel is written in lower-case "
                             f"letters without hyphens, such as whatsapp:+15017122661{hint}")
        if self.by_e164:
            validate.typed_number(value)  # a number without its '+': the spelling to use
            raise ValueError(
                f"{value!r} is neither a phone number SID (PN followed by 32 hexadecimal "
                "digits) nor an E.164 number such as +15017122661"
            )
        if validate.TYPED_SID.fullmatch(value) and value[:2].upper() != self.prefix:
            raise ValueError(f"{value!r} is {sid_what(value[:2].upper())}, not {sid_what(self.prefix)}")
        raise ValueError(
            f"{value!r} is not {sid_what(self.prefix)} "
            f"({self.prefix} followed by 32 hexadecimal digits{self._or(listed)})"
        )

    def _or(self, listed: bool) -> str:
        if self.by_number:
            return f", or the {self.what} itself such as 55501"
        if self.by_address and listed:
            return ", or its address such as whatsapp:+15017122661"
        if self.by_address:
            return ", or, for detach and get, its address such as whatsapp:+15017122661"
        return ""

    def not_on_account(self, value: str) -> str:
        """The sentence for a number the account's list does not hold."""
        return f"{value} is not a {'number' if self.by_e164 else self.what} on this account"

    @property
    def form_field(self) -> str:
        """The field an attach names the sender with: "PhoneNumberSid"."""
        return self.fields[0].wire

    def attach_form(self, sid_or_text: str, country: str | None) -> list[tuple[str, str]]:
        values = {self.fields[0].param: sid_or_text}
        if self.country and country:
            values[COUNTRY.param] = country
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


# The 2010 API's capabilities of a phone number ({"sms": true, ...}) as Messaging v1 names them.
CAPABILITY_NAMES = (("MMS", "mms"), ("SMS", "sms"), ("Voice", "voice"), ("Fax", "fax"))


def capability_names(capabilities: object) -> list[str] | None:
    """`["MMS", "SMS", "Voice"]` for an IncomingPhoneNumber's capabilities object; None when
    it has none."""
    if not isinstance(capabilities, dict):
        return None
    return [name for name, key in CAPABILITY_NAMES if capabilities.get(key) is True]


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 country code, upper-cased."""
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError(f"{value!r} is not a two-letter ISO country code such as GB")
    return value.upper()


# On a narrow terminal a sender list hides CREATED first, then CAPABILITIES (or TYPE), then
# COUNTRY; SIDs, numbers, short codes and addresses are never cut.
COUNTRY_COLUMN = Column("COUNTRY", "country_code", fit=KEEP, drop=1)
CAPABILITIES_COLUMN = Column("CAPABILITIES", "capabilities", fit=WRAP, drop=2)

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
    columns=(SID, Column("PHONE NUMBER", "phone_number", fit=KEEP),
             COUNTRY_COLUMN, CAPABILITIES_COLUMN, CREATED),
    keys=("sid", "account_sid", "service_sid", "date_created", "date_updated", "phone_number",
          "country_code", "capabilities", "url"),
    accepts="A PN... phone number SID, or the number itself in E.164 form (+15017122661).",
    examples=("+15017122661", "PN0123456789abcdef0123456789abcdef"),
    by_e164=True,
    account_list=("IncomingPhoneNumbers.json", "incoming_phone_numbers", "PhoneNumber", "phone_number"),
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
    columns=(SID, Column("SHORT CODE", "short_code", fit=KEEP),
             COUNTRY_COLUMN, CAPABILITIES_COLUMN, CREATED),
    keys=("sid", "account_sid", "service_sid", "date_created", "date_updated", "short_code",
          "country_code", "capabilities", "url"),
    accepts="An SC... short code SID, or the short code itself (55501).",
    examples=("55501", "SC0123456789abcdef0123456789abcdef"),
    by_number=True,
    account_list=("SMS/ShortCodes.json", "short_codes", "ShortCode", "short_code"),
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
    columns=(SID, Column("ALPHA SENDER", "alpha_sender", fit=KEEP),
             CAPABILITIES_COLUMN, CREATED),
    keys=("sid", "account_sid", "service_sid", "date_created", "date_updated", "alpha_sender",
          "capabilities", "url"),
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
    columns=(SID, Column("SENDER", "sender", fit=KEEP),
             Column("TYPE", "sender_type", fit=KEEP, drop=2), COUNTRY_COLUMN, CREATED),
    keys=("account_sid", "messaging_service_sid", "sid", "sender", "sender_type", "country_code",
          "date_created", "date_updated", "url"),
    accepts="An XE... channel sender SID (a WhatsApp, RCS or Messenger sender); detach and get "
            "also take its address (whatsapp:+15017122661).",
    examples=("XE0123456789abcdef0123456789abcdef",),
    by_address=True,
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
    columns=(SID, Column("ALPHA SENDER", "alpha_sender", fit=KEEP),
             Column("COUNTRY", "iso_country_code", fit=KEEP, drop=1),
             CAPABILITIES_COLUMN, CREATED),
    keys=("sid", "account_sid", "service_sid", "date_created", "date_updated", "alpha_sender",
          "capabilities", "url", "iso_country_code"),
    accepts="The alpha sender ID: 1 to 11 characters from A-Z a-z 0-9, space, - + _ &, not "
            "digits only. Detach and get also take its AI... SID.",
    examples=("MyCompany --country GB",),
    by_text=True,
    country=True,
)

KINDS: tuple[SenderKind, ...] = (NUMBERS, SHORT_CODES, ALPHA_SENDERS, CHANNEL_SENDERS, DESTINATION_ALPHA_SENDERS)
register(*KINDS)
