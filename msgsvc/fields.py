"""The one description of each resource's writable fields and list columns.

Create and update options, their validation and completion, the form body, the man pages
and the table columns all follow from `SERVICE_FIELDS`: adding a field is one line here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from msgsvc import validate

METHODS = ("GET", "POST")
USECASES = ("notifications", "marketing", "verification", "discussion", "poll", "undeclared")
SCAN_MESSAGE_CONTENT = ("inherit", "enable", "disable")


@dataclass(frozen=True)
class Field:
    """A writable field: its wire name, its kind, and the help for its option."""

    wire: str  # PascalCase form name, as sent: "FriendlyName"
    kind: str  # "text", "url", "method", "choice", "bool", "int"
    help: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    check: Callable[[str], str] | None = None

    @property
    def key(self) -> str:
        """snake_case key of the API's JSON answer: friendly_name."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.wire).lower()

    @property
    def option(self) -> str:
        """kebab-case option name: --friendly-name."""
        return "--" + self.key.replace("_", "-")

    @property
    def param(self) -> str:
        """Python parameter name used by the generated command signature."""
        return self.key

    def to_wire(self, value: Any) -> str:
        """The form value: booleans as true/false, integers as decimal strings."""
        if self.kind == "bool":
            return "true" if value else "false"
        return str(value)

    def clean(self, value: Any) -> Any:
        """Validate a value given on the command line; raise ValueError naming nothing."""
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
        if self.kind == "url":
            return validate.url(value)
        if self.check is not None:
            return self.check(value)
        return value


SERVICE_FIELDS: tuple[Field, ...] = (
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
    Field("FallbackToLongCode", "bool", "Obsolete: fall back to a long code after short code failures."),
    Field("AreaCodeGeomatch", "bool", "Send from a number with the recipient's area code."),
    Field("ValidityPeriod", "int",
          "Seconds a message may wait in the queue before it is dropped (1 to 36000).",
          minimum=1, maximum=36000),
    Field("SynchronousValidation", "bool", "Reserved by Twilio."),
    Field("Usecase", "choice", "What the service is used for.", USECASES),
    Field("UseInboundWebhookOnNumber", "bool",
          "Use each number's own webhook instead of the service's inbound and fallback URLs."),
)

SERVICE_FIELD_BY_PARAM = {f.param: f for f in SERVICE_FIELDS}


@dataclass(frozen=True)
class Column:
    """A column of a list: its header and the key it reads from each record."""

    header: str
    key: str
    wrap: bool = True  # False for SIDs: folded or cut, they cannot be copied whole


SERVICE_COLUMNS = (
    Column("SID", "sid", wrap=False),
    Column("FRIENDLY NAME", "friendly_name"),
    Column("USECASE", "usecase"),
    Column("A2P", "us_app_to_person_registered"),
    Column("CREATED", "date_created", wrap=False),
)


def service_form(values: dict[str, Any]) -> dict[str, str]:
    """Form body from {param: value}; only the fields the user gave (not None)."""
    return {
        SERVICE_FIELD_BY_PARAM[param].wire: SERVICE_FIELD_BY_PARAM[param].to_wire(value)
        for param, value in values.items()
        if value is not None
    }
