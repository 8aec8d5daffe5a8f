"""Checks on user input, made before any request is sent. Each returns the clean value or
raises ValueError with a sentence that the caller prefixes with the option's name."""

from __future__ import annotations

import re
from typing import Any
from msgsvc.words import counted

# Any two capital letters and 32 hexadecimal digits: which prefixes name what is said by the
# resource declarations (msgsvc/api/resources.py), not here. A SID a server sends is checked
# with this as it is (is_sid); a SID a person types is read by canonical_sid.
SID = re.compile(r"([A-Z]{2})[0-9a-fA-F]{32}")
# A SID as a person may type it: two letters and 32 hexadecimal digits, in any case.
TYPED_SID = re.compile(r"[A-Za-z]{2}[0-9a-fA-F]{32}")

E164 = re.compile(r"\+[1-9][0-9]{1,14}")
ALPHA_SENDER = re.compile(r"[A-Za-z0-9 +\-_&]{1,11}")


# What a SID of each prefix names, for sentences: the resource declarations add theirs as they
# register (resources.register); these two are identifiers msgsvc does not manage.
SID_NAMES: dict[str, str] = {"AC": "an Account SID", "SK": "an API Key SID"}


def sid_what(prefix: str) -> str:
    """'a Messaging Service SID' for MG: what a SID of this prefix names, for sentences."""
    return SID_NAMES.get(prefix) or f"a {prefix} SID"


def finite(value: float) -> bool:
    """Whether a number is an ordinary one: not NaN, not infinite (NaN passes every range
    check, since it compares false to everything). The one home of that check."""
    import math

    return math.isfinite(value)


def as_text(value: Any) -> str:
    """A scalar as Twilio's forms and msgsvc's views write it: booleans as true/false, numbers
    in decimal. The one home of that rule (forms, tables, TSV, the executor's checks)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_sid(value: str, prefix: str) -> bool:
    """Whether the whole of `value` is a SID with this prefix (a trailing newline is not)."""
    match = SID.fullmatch(value)
    return match is not None and match.group(1) == prefix


# --- what a hint may paste into the command it offers --------------------------------------
# A hint's command (`msgsvc services get MG...`) is copied into a shell as it is: a value put
# in it must have the shape it should, since a server's "sid" may be `x; curl ...|sh`. That is
# a SID as Twilio writes one (its prefix and 32 lower-case hexadecimal digits) or an E.164
# number; anything else is named by a placeholder (SERVICE, NUMBER) for the person to fill in.
# The one home of that rule: every hint that names a value it did not check builds on it.
_PASTEABLE_SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


def pasteable_sid(value: object, *prefixes: str) -> bool:
    """Whether `value` is a SID of one of `prefixes` that a hint may paste into a command."""
    return isinstance(value, str) and _PASTEABLE_SID.fullmatch(value) is not None and value[:2] in prefixes


def pasteable_number(value: object) -> bool:
    """Whether `value` is an E.164 number that a hint may paste into a command."""
    return isinstance(value, str) and E164.fullmatch(value) is not None


def sid_to_paste(value: object, *prefixes: str, placeholder: str = "SID") -> str:
    """`value` for a hint's command when it is a SID of one of `prefixes`, else `placeholder`."""
    return value if pasteable_sid(value, *prefixes) else placeholder  # type: ignore[return-value]


def number_to_paste(value: object, placeholder: str = "NUMBER") -> str:
    """`value` for a hint's command when it is an E.164 number, else `placeholder`."""
    return value if pasteable_number(value) else placeholder  # type: ignore[return-value]


def canonical_sid(value: str, prefix: str) -> str | None:
    """`value` as a SID of this prefix in Twilio's spelling (the prefix in upper case, the 32
    hexadecimal digits in lower case), or None when it is not one.

    The one rule for a SID a person types, on the command line or in a file: it is read
    whatever the case of its letters (`mg0123...`, `MG0123...ABCD`) and sent as Twilio writes
    it, since Twilio's paths do not match another spelling. A SID a server sends is checked
    as it is (is_sid)."""
    if TYPED_SID.fullmatch(value) and value[:2].upper() == prefix:
        return prefix + value[2:].lower()
    return None


def sid(value: str, prefix: str) -> str:
    """A SID of this prefix that a person typed, in Twilio's spelling (canonical_sid)."""
    found = canonical_sid(value, prefix)
    if found is None:
        raise ValueError(
            f"{value!r} is not {sid_what(prefix)} ({prefix} followed by 32 hexadecimal digits)"
        )
    return found


def length(value: str, minimum: int | None, maximum: int | None) -> str:
    """A text of `minimum` to `maximum` characters."""
    if minimum is not None and len(value) < minimum:
        raise ValueError(f"it is {counted(len(value), 'character')} long; it must have at least {minimum}")
    if maximum is not None and len(value) > maximum:
        raise ValueError(f"it is {counted(len(value), 'character')} long; the limit is {maximum}")
    return value


def url(value: str) -> str:
    """An absolute http(s) URL. The empty string is allowed: it clears the field."""
    if value == "":
        return value
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an absolute http:// or https:// URL")
    if any(c.isspace() for c in value):
        raise ValueError(f"{value!r} contains white space")
    return value


# The password in a URL's user info ("https://twilio:S3cret@hooks.example.com/sms", as Twilio's
# HTTP-auth webhooks are set up): up to the last "@" before the path, as urlsplit reads it.
# A quote, a bracket or a backslash ends the URL: in JSON or a sentence, the text after it is
# another value, not the URL's password.
_URL_PASSWORD = r"([a-z][a-z0-9+.\-]*://[^/?#\s@:\"'<>\\]*:)([^/?#\s\"'<>\\]+)@"
# The same rule for a URL nested in another one's query or fragment, percent-encoded once
# (https%3A%2F%2Fuser%3Apw%40inner) or more (%253A, %25253A, ...): its delimiters are read at
# the depth its "://" has (`d`: the 25s after each %), so a %2540 inside a once-encoded
# password is part of it, not its end. It ends where the outer URL's value does (&, a raw
# / ? # @, white space, a quote), so an ordinary URL in a query is left alone. The scheme is
# only looked behind at (one character of it): a leading [a-z]+ makes the search of a 10 MB
# page four times slower.
_NESTED_PASSWORD = (
    r"((?<=[a-z0-9+.\-])%(?P<d>(?:25)*)3A%(?P=d)2F%(?P=d)2F"  # (scheme)://
    r"(?:[^%/?#&\s@:\"'<>\\]|%(?!(?P=d)(?:3A|40|2F|3F|23))[0-9a-f]{2})*%(?P=d)3A)"  # user:
    r"(?P<pw>(?:[^%/?#&\s@\"'<>\\]|%(?!(?P=d)(?:2F|3F|23))[0-9a-f]{2})+)%(?P=d)40"  # password@ (the last)
)
URL_PASSWORD = re.compile(_URL_PASSWORD, re.IGNORECASE)
URL_PASSWORD_BYTES = re.compile(_URL_PASSWORD.encode(), re.IGNORECASE)
NESTED_PASSWORD = re.compile(_NESTED_PASSWORD, re.IGNORECASE)
NESTED_PASSWORD_BYTES = re.compile(_NESTED_PASSWORD.encode(), re.IGNORECASE)
# What every nested match holds (its %40, at some depth): a plain search, before the regex.
_NESTED_AT = re.compile(r"%(?:25)*40")
_NESTED_AT_BYTES = re.compile(rb"%(?:25)*40")
MASKED_PASSWORD = "***"


def _nested_password_end(match: re.Match) -> str:
    """The masked form of a nested match: the password gone, its %40 (at its depth) kept."""
    return f"{match.group(1)}{MASKED_PASSWORD}%{match.group('d')}{match.group(0)[-2:]}"


def mask_url_passwords(text: str) -> str:
    """`text` with the password of every URL in it replaced by *** (the user name stays),
    a URL nested percent-encoded in another one's query or fragment included (its *** is
    written as is, at every depth): the one rule for export files, plan lines, tables,
    --debug and errors."""
    if "@" in text:
        text = URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASKED_PASSWORD}@", text)
    if "%" in text and _NESTED_AT.search(text):
        text = NESTED_PASSWORD.sub(_nested_password_end, text)
    return text


def _passwords(value: str) -> list[str]:
    """The password of every URL in `value`, nested ones included, as written."""
    found = [m.group(2) for m in URL_PASSWORD.finditer(value)] if "@" in value else []
    if "%" in value:
        found += [m.group("pw") for m in NESTED_PASSWORD.finditer(value)]
    return found


def has_url_password(data: str | bytes) -> bool:
    """Whether `data` holds a URL with a password in its user info (a masked one included),
    plain or nested percent-encoded (mask_url_passwords)."""
    if isinstance(data, str):
        if "@" in data and URL_PASSWORD.search(data) is not None:
            return True
        return "%" in data and _NESTED_AT.search(data) is not None and NESTED_PASSWORD.search(data) is not None
    if b"@" in data and URL_PASSWORD_BYTES.search(data) is not None:
        return True
    return b"%" in data and _NESTED_AT_BYTES.search(data) is not None and NESTED_PASSWORD_BYTES.search(data) is not None


def has_masked_password(value: object) -> bool:
    """Whether `value` is a URL whose password (or a nested URL's) is the *** placeholder
    export writes."""
    return isinstance(value, str) and MASKED_PASSWORD in value and MASKED_PASSWORD in _passwords(value)


def base_url(value: str) -> str:
    """A base URL for every API host: scheme, host, an optional port and path prefix; no
    query, fragment or user name (the API's paths are appended to it)."""
    if value == "":
        raise ValueError("is empty")
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
    except ValueError:  # "https://[::1": url() below says what it is
        parts = None
    if parts is not None and "@" in parts.netloc:  # never echoed: what precedes the @ may be a password
        shown = f"{parts.scheme}://***@{parts.netloc.rpartition('@')[2]}{parts.path}"
        raise ValueError(f"{shown!r} carries a user name or password; credentials come from the profile")
    url(value)
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:  # "abc", 99999
        port = 0
    if port == 0:
        raise ValueError(f"{value!r} has a port that is not a number from 1 to 65535")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(f"{value!r} has a query or fragment; give only scheme, host, port and path")
    # urlsplit reads hosts that urllib3, which sends, refuses ([::1]x, [v1.x], %00, a name that
    # is not IDNA): read here as urllib3 reads it, nothing went out, so the URL is to blame.
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    try:
        parse_url(value)
    except LocationParseError:
        raise ValueError(f"{value!r} has a host that is not a valid name or address") from None
    return value.rstrip("/")


HOST_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def host_label(value: str) -> str:
    """A Twilio region or edge (ie1, us1, dublin): one DNS label, since it becomes part of
    the host that receives the credentials. Returned lower-cased (DNS ignores case)."""
    if not HOST_LABEL.fullmatch(value.lower()):
        raise ValueError(f"{value!r} is not a region or edge name (letters, digits and '-')")
    return value.lower()


def friendly_name(value: str) -> str:
    if not value.strip():
        raise ValueError("it must not be empty")
    if len(value) > 64:
        raise ValueError(f"it is {counted(len(value), 'character')} long; the limit is 64")
    return value


def e164(value: str) -> str:
    if not E164.fullmatch(value):
        raise ValueError(f"{value!r} is not an E.164 phone number such as +15017122661")
    return value


# What a person may write between the digits of a phone number: "+1 (415) 555-0100".
NUMBER_SEPARATORS = re.compile(r"[\s().\-]")


def typed_number(value: str) -> str | None:
    """The E.164 number in what a person typed, or None when it is not written as a phone
    number at all (a SID, a name, a short code's few digits).

    The one rule for a phone number a person types, on the command line or in a file:
    surrounding white space is dropped, and so are spaces, dashes, dots and parentheses after
    the '+' ("+1 (415) 555-0100" is +14155550100). A number without its '+' (8 to 15 digits)
    is refused with the E.164 spelling to use, and so is a '+' and what is no E.164 number."""
    text = value.strip()
    digits = NUMBER_SEPARATORS.sub("", text)
    if text.startswith("+"):
        if not E164.fullmatch(digits):
            raise ValueError(f"{text!r} is not an E.164 phone number such as +15017122661")
        return digits
    if re.fullmatch(r"[0-9]{8,15}", digits):
        # Ten digits shaped as a North American number (415 555 0100) lack their country code, 1.
        meant = f"+1{digits}" if re.fullmatch(r"[2-9][0-9]{2}[2-9][0-9]{6}", digits) else f"+{digits}"
        raise ValueError(f"{text!r} is not an E.164 number: they begin with '+' (did you mean {meant}?)")
    return None


def phone_number(value: str) -> str:
    """A phone number a person typed (typed_number), as E.164; ValueError when it is none."""
    number = typed_number(value)
    if number is None:
        raise ValueError(f"{value.strip()!r} is not an E.164 phone number such as +15017122661")
    return number


def alpha_sender(value: str) -> str:
    if not ALPHA_SENDER.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid alpha sender ID: 1 to 11 characters from "
            "A-Z a-z 0-9, space, - + _ &"
        )
    if value.isdigit():
        raise ValueError(f"{value!r} is not a valid alpha sender ID: it cannot be digits only")
    return value
