"""The one description of each resource msgsvc works with.

A `Resource` says where it lives on the wire (path, list key, SID prefix, parent), which
fields a create or update may send (`Field`), and which columns a list shows (`Column`).
Create and update options, their validation and completion, the form body, the table
columns, the man pages, the emulator's field parsing and the SID checks all follow from
these declarations: adding a field is one line in a resource's `fields`, adding a resource
under a service is one declaration here (or in `senders.py`) plus its commands.

The kinds of sender are declared in `msgsvc/api/senders.py` (`SenderKind`, a `Resource` with
what a user may type for it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Callable, Iterable

from msgsvc.api import validate

METHODS = ("GET", "POST")
USECASES = ("notifications", "marketing", "verification", "discussion", "poll", "undeclared")
SCAN_MESSAGE_CONTENT = ("inherit", "enable", "disable")
KINDS_OF_FIELD = ("text", "url", "method", "choice", "bool", "int")


@dataclass(frozen=True)
class Field:
    """A writable field: its wire name, its kind, and the help for its option.

    `many` fields are lists, sent as one form key per item (`MessageSamples=a&MessageSamples=b`)
    and given as a repeated option (`--sample a --sample b`)."""

    wire: str  # PascalCase form name, as sent: "FriendlyName"
    kind: str  # one of KINDS_OF_FIELD
    help: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None  # int: the range; text: the length of the text (of each item)
    maximum: int | None = None
    check: Callable[[str], str] | None = None
    many: bool = False
    count: tuple[int, int] | None = None  # many: how many items, from and to
    joined_max: int | None = None  # many: characters of all the items joined by commas, at most
    name: str | None = None  # the option's name when it is not the key's: "sample"
    json_key: str | None = None  # the key in the API's JSON when it is not snake_case of wire
    complete: str | None = None  # Tab completion: a function of msgsvc.cli.complete (a CLI module)

    def __post_init__(self) -> None:
        if self.kind not in KINDS_OF_FIELD:
            raise ValueError(f"field {self.wire}: unknown kind {self.kind!r}")

    @cached_property  # a bulk job's form asks it of each of 1,000 changes
    def key(self) -> str:
        """snake_case key of the API's JSON answer: friendly_name."""
        return self.json_key or re.sub(r"(?<!^)(?=[A-Z])", "_", self.wire).lower()

    @property
    def option(self) -> str:
        """kebab-case option name: --friendly-name."""
        return "--" + (self.name or self.key).replace("_", "-")

    @cached_property
    def param(self) -> str:
        """Python parameter name used by the generated command signature."""
        return (self.name or self.key).replace("-", "_")

    def to_wire(self, value: Any) -> list[str]:
        """The form values: one per item of a `many` field, booleans as true/false,
        integers as decimal strings."""
        items = list(value) if self.many else [value]
        return [validate.as_text(v) for v in items]

    def clean(self, value: Any) -> Any:
        """Validate a value given by the user (each item of a `many` field); raise ValueError
        with a sentence that names the value but not the option."""
        if self.many:
            return [self._clean_one(item) for item in value]
        return self._clean_one(value)

    def _clean_one(self, value: Any) -> Any:
        if self.kind in ("method", "choice"):
            text = str(value)
            folded = {c.lower(): c for c in self.choices}
            if text.lower() not in folded:
                raise ValueError(f"{text!r} is not one of {', '.join(self.choices)}")
            return folded[text.lower()]
        if self.kind == "int":
            number = int(value)
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                raise ValueError(f"{number} is not in the range {self.minimum} to {self.maximum}")
            return number
        if self.kind == "bool":
            return bool(value)
        if self.kind == "url":
            return validate.url(value)
        if self.kind == "text" and (self.minimum is not None or self.maximum is not None):
            validate.length(value, self.minimum, self.maximum)
        if self.check is not None:
            return self.check(value)
        return value


# How a column gives way when a table does not fit the terminal (see Column.fit).
KEEP = "keep"  # never cut or folded: SIDs, E.164 numbers, short codes, enums, booleans, numbers, timestamps
TRUNCATE = "truncate"  # free text (names, messages, URLs): cut with an ellipsis to fit
WRAP = "wrap"  # a list of short words (capabilities), or a sentence (a result's message): wrapped
# between words; only a word wider than the column (a URL) is broken, after a '/' or the like
FITS = (KEEP, TRUNCATE, WRAP)


@dataclass(frozen=True)
class Column:
    """A column of a list: its header, the key it reads from each record (also its name for
    --fields), and how it may give way on a narrow terminal.

    `fit` is KEEP, TRUNCATE or WRAP (above). `drop` is the column's place in the order in
    which columns are hidden when even their narrowest widths do not fit: the highest goes
    first, 0 is never hidden. A `timestamp` is shown as `2026-11-29 11:27` in a table (never
    shortened in TSV or JSON). A `spare` column is one a person can do without (when it was
    made, a code the message repeats): hiding it is not worth a note."""

    header: str
    key: str
    fit: str = TRUNCATE
    drop: int = 0
    timestamp: bool = False
    least: int | None = None  # TRUNCATE, WRAP: the fewest cells it keeps before others are hidden (default 20)
    spare: bool = False

    def __post_init__(self) -> None:
        if self.fit not in FITS:
            raise ValueError(f"column {self.header}: unknown fit {self.fit!r}")


def column_for(key: str, columns: Iterable[Column] = (), fields: Iterable[Field] = ()) -> Column:
    """The column that shows `key` (for --fields): the declared one, or one made for it: SIDs,
    dates and the values of bool, int and choice fields are never cut; the rest is text."""
    for column in columns:
        if column.key == key:
            return replace(column, drop=0)  # chosen by the user: never hidden
    kinds = {f.key: f.kind for f in fields}
    header = key.upper().replace("_", " ")
    if key.startswith("date_"):
        return Column(header, key, fit=KEEP, timestamp=True)
    if key == "sid" or key.endswith("_sid") or kinds.get(key) in ("bool", "int", "choice", "method"):
        return Column(header, key, fit=KEEP)
    return Column(header, key)


CREATED = Column("CREATED", "date_created", fit=KEEP, drop=3, timestamp=True, spare=True)
SID = Column("SID", "sid", fit=KEEP)  # first in every list: copied whole, never cut


@dataclass(frozen=True, kw_only=True)
class Resource:
    """One kind of object of the API."""

    name: str  # singular, unique: "service", "phone-number"
    noun: str  # the CLI noun: "services", "numbers"
    what: str  # for sentences: "Messaging Service", "phone number"
    path: str  # the collection's segment: "Services", or "PhoneNumbers" under a service
    list_key: str  # the array of a list page: "services"
    prefix: str  # SID prefix: "MG"
    fields: tuple[Field, ...] = ()  # what a create or update may send
    columns: tuple[Column, ...] = ()  # what a list shows, in order
    keys: tuple[str, ...] = ()  # every key of the API's object, in its order: what --fields takes
    parent: Resource | None = None  # the resource it lives under (a service), or None
    updatable: tuple[str, ...] | None = None  # wire names an update may send (None: every field)
    product: str = "messaging"  # the host it lives on (transport.py's MESSAGING, MONITOR, ...)
    version: str = "v1"  # the API version of its path: /v1/Services, /v2/Channels/Senders

    @cached_property
    def wires(self) -> frozenset[str]:
        """The wire names of its fields: what a change's form may hold."""
        return frozenset(f.wire for f in self.fields)

    @property
    def update_fields(self) -> tuple[Field, ...]:
        return self.fields if self.updatable is None else tuple(f for f in self.fields if f.wire in self.updatable)

    @property
    def plural(self) -> str:
        return self.what + "s"

    def collection_path(self, parent_sid: str | None = None) -> str:
        """/v1/Services, or /v1/Services/MG.../PhoneNumbers."""
        if self.parent is None:
            return f"/{self.version}/{self.path}"
        if parent_sid is None:
            raise ValueError(f"a {self.what} lives under a {self.parent.what}: give its SID")
        return f"{self.parent.instance_path(parent_sid)}/{self.path}"

    def instance_path(self, sid: str, parent_sid: str | None = None) -> str:
        return f"{self.collection_path(parent_sid)}/{sid}"

    def field(self, param: str) -> Field:
        return _by_param(self)[param]

    def form(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        """The form body from {param: value}: only the fields given (not None), in the
        declaration's order, a `many` field as one pair per item."""
        pairs = []
        for f in self.fields:
            value = values.get(f.param)
            if value is not None:
                pairs.extend((f.wire, text) for text in f.to_wire(value))
        return pairs


def form_dict(data: Any) -> dict[str, Any]:
    """A form body (a dict, or (name, value) pairs with repeated names) as one dict: a
    repeated name's values as a list."""
    if isinstance(data, dict):
        return dict(data)
    grouped: dict[str, Any] = {}
    for name, value in data:
        if name in grouped:
            previous = grouped[name]
            grouped[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            grouped[name] = value
    return grouped


def _by_param(resource: Resource, cache: dict[int, dict[str, Field]] = {}) -> dict[str, Field]:  # noqa: B006
    table = cache.get(id(resource))
    if table is None:
        table = cache[id(resource)] = {f.param: f for f in resource.fields}
    return table


SERVICE = Resource(
    name="service",
    noun="services",
    what="Messaging Service",
    path="Services",
    list_key="services",
    prefix="MG",
    fields=(
        Field("FriendlyName", "text", "A name for the service, up to 64 characters.",
              check=validate.friendly_name),
        Field("InboundRequestUrl", "url",
              "URL called when a message arrives at any sender of the service (empty clears it "
              "and disables inbound messages)."),
        Field("InboundMethod", "method", "HTTP method for the inbound request URL.", METHODS),
        Field("FallbackUrl", "url",
              "URL called if the inbound request URL fails (empty clears it)."),
        Field("FallbackMethod", "method", "HTTP method for the fallback URL.", METHODS),
        Field("StatusCallback", "url",
              "URL that receives message delivery status updates (empty clears it)."),
        Field("StickySender", "bool", "Send to a recipient from the same sender every time."),
        Field("MmsConverter", "bool", "Convert MMS to SMS with a link where MMS is not supported."),
        Field("SmartEncoding", "bool", "Replace Unicode look-alikes so messages stay GSM-7."),
        Field("ScanMessageContent", "choice", "Reserved by Twilio.", SCAN_MESSAGE_CONTENT),
        Field("FallbackToLongCode", "bool",
              "Obsolete: fall back to a long code after short code failures."),
        Field("AreaCodeGeomatch", "bool", "Send from a number with the recipient's area code."),
        Field("ValidityPeriod", "int",
              "Seconds a message may wait in the queue before it is dropped (1 to 36000).",
              minimum=1, maximum=36000),
        Field("SynchronousValidation", "bool", "Reserved by Twilio."),
        Field("Usecase", "choice", "What the service is used for.", USECASES, complete="complete_service_usecases"),
        Field("UseInboundWebhookOnNumber", "bool",
              "Use each number's own webhook instead of the service's inbound and fallback URLs."),
    ),
    # On a narrow terminal CREATED is hidden first, then A2P, then USECASE; the friendly
    # name is cut with an ellipsis; the SID is always whole.
    columns=(
        SID,
        Column("FRIENDLY NAME", "friendly_name", fit=TRUNCATE),
        Column("USECASE", "usecase", fit=KEEP, drop=1),
        Column("A2P", "us_app_to_person_registered", fit=KEEP, drop=2),
        CREATED,
    ),
    keys=(
        "sid", "account_sid", "friendly_name", "date_created", "date_updated", "inbound_request_url",
        "inbound_method", "fallback_url", "fallback_method", "status_callback", "sticky_sender",
        "mms_converter", "smart_encoding", "scan_message_content", "fallback_to_long_code",
        "area_code_geomatch", "synchronous_validation", "validity_period", "url", "links", "usecase",
        "us_app_to_person_registered", "use_inbound_webhook_on_number",
    ),
)

def _keyword(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9]+", value):
        raise ValueError(f"{value!r} is not an alphanumeric keyword (A-Z, a-z, 0-9)")
    return value


def _brand_sid(value: str) -> str:
    return validate.sid(value, "BN")


def _usecase_code(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", value):
        raise ValueError(f"{value!r} is not a use case code such as MARKETING or 2FA")
    return value.upper()


# A service's US A2P 10DLC campaign (`msgsvc campaigns`). Its fields' rules are declared here
# once (lengths, how many samples, keyword lists within 255 characters); msgsvc/api/a2p.py
# derives its checks of a whole campaign (also one read from a file) from them.
CAMPAIGN = Resource(
    name="campaign",
    noun="campaigns",
    what="A2P 10DLC campaign",
    path="Compliance/Usa2p",
    list_key="compliance",
    prefix="QE",
    parent=SERVICE,
    updatable=("HasEmbeddedLinks", "HasEmbeddedPhone", "MessageSamples", "MessageFlow", "Description",
               "AgeGated", "DirectLending", "PrivacyPolicyUrl", "TermsAndConditionsUrl"),
    fields=(
        Field("BrandRegistrationSid", "text", "The brand registration (BN...) the campaign is for: see 'msgsvc brands list'.",
              name="brand", check=_brand_sid, complete="complete_brands"),
        Field("UsAppToPersonUsecase", "text", "The campaign's use case code (MARKETING, 2FA, ...): see 'msgsvc campaigns usecases'.",
              name="usecase", check=_usecase_code, complete="complete_campaign_usecases"),
        Field("Description", "text", "What the campaign sends, 40 to 4096 characters.", minimum=40, maximum=4096),
        Field("MessageFlow", "text", "How recipients opt in (every way), 40 to 2048 characters.", minimum=40, maximum=2048),
        Field("MessageSamples", "text", "A sample message, 20 to 1024 characters; 2 to 5 of them.",
              many=True, count=(2, 5), name="sample", minimum=20, maximum=1024),
        Field("HasEmbeddedLinks", "bool", "Messages contain links."),
        Field("HasEmbeddedPhone", "bool", "Messages contain phone numbers."),
        Field("OptInMessage", "text", "The reply to an opt-in keyword, 20 to 320 characters.", minimum=20, maximum=320),
        Field("OptOutMessage", "text", "The reply to an opt-out keyword, 20 to 320 characters.", minimum=20, maximum=320),
        Field("HelpMessage", "text", "The reply to a help keyword, 20 to 320 characters.", minimum=20, maximum=320),
        Field("OptInKeywords", "text", "A keyword that opts in (alphanumeric; all of them within 255 characters).",
              many=True, joined_max=255, name="opt-in-keyword", check=_keyword),
        Field("OptOutKeywords", "text", "A keyword that opts out (alphanumeric; all of them within 255 characters).",
              many=True, joined_max=255, name="opt-out-keyword", check=_keyword),
        Field("HelpKeywords", "text", "A keyword that asks for help (alphanumeric; all of them within 255 characters).",
              many=True, joined_max=255, name="help-keyword", check=_keyword),
        Field("SubscriberOptIn", "bool", "Recipients opt in to the campaign."),
        Field("AgeGated", "bool", "The content is age gated (federally legal, for adults)."),
        Field("DirectLending", "bool", "The campaign offers direct lending."),
        Field("PrivacyPolicyUrl", "url", "The campaign's privacy policy."),
        Field("TermsAndConditionsUrl", "url", "The campaign's terms and conditions."),
    ),
    columns=(
        SID,
        Column("STATUS", "campaign_status", fit=KEEP),
        Column("USECASE", "us_app_to_person_usecase", fit=KEEP, drop=1),
        Column("BRAND", "brand_registration_sid", fit=KEEP, drop=2),
        CREATED,
    ),
    keys=(
        "sid", "account_sid", "brand_registration_sid", "messaging_service_sid", "description",
        "message_samples", "us_app_to_person_usecase", "has_embedded_links", "has_embedded_phone",
        "subscriber_opt_in", "age_gated", "direct_lending", "campaign_status", "campaign_id",
        "is_externally_registered", "rate_limits", "message_flow", "opt_in_message", "opt_out_message",
        "help_message", "opt_in_keywords", "opt_out_keywords", "help_keywords", "date_created",
        "date_updated", "url", "mock", "errors", "privacy_policy_url", "terms_and_conditions_url",
    ),
)

# The account's brand registrations (read only: registered in Twilio's Console).
BRAND = Resource(
    name="brand",
    noun="brands",
    what="brand registration",
    path="a2p/BrandRegistrations",
    list_key="data",
    prefix="BN",
    columns=(  # what fits 80 columns; `brands get` shows every field
        SID,
        Column("STATUS", "status", fit=KEEP),
        Column("TYPE", "brand_type", fit=KEEP, drop=1),  # what a person picks a brand by: kept at 80
        Column("FAILURE REASON", "failure_reason", fit=WRAP),
    ),
    keys=(
        "sid", "account_sid", "customer_profile_bundle_sid", "a2p_profile_bundle_sid", "date_created",
        "date_updated", "brand_type", "status", "tcr_id", "failure_reason", "errors", "url", "brand_score",
        "brand_feedback", "identity_status", "russell_3000", "government_entity", "tax_exempt_status",
        "skip_automatic_sec_vet", "mock", "links",
    ),
)


RESOURCES: dict[str, Resource] = {}


def register(*resources: Resource) -> None:
    """Add resources to the registry (SID checks and the emulator learn their prefixes)."""
    for resource in resources:
        RESOURCES[resource.name] = resource
        article = "an" if resource.what[0].lower() in "aeiou" else "a"
        validate.SID_NAMES.setdefault(resource.prefix, f"{article} {resource.what} SID")


def sid_what(prefix: str) -> str:
    """validate.sid_what, once every declaring module has registered its resources."""
    all_resources()
    return validate.sid_what(prefix)


def sid_prefixes() -> tuple[str, ...]:
    """Every SID prefix msgsvc knows, resources first."""
    return tuple(dict.fromkeys([r.prefix for r in all_resources()] + list(validate.SID_NAMES)))


# The modules that declare resources beyond this one's; each registers its own on import.
DECLARING_MODULES = ("msgsvc.api.senders", "msgsvc.api.tollfree")


def all_resources() -> Iterable[Resource]:
    """Every declared resource (importing the modules that declare them)."""
    import importlib

    for module in DECLARING_MODULES:
        importlib.import_module(module)
    return RESOURCES.values()


register(SERVICE, CAMPAIGN, BRAND)
