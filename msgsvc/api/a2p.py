"""US A2P 10DLC campaigns: the rules Twilio's definition states for a campaign's fields.

A pure library module (no typer, no rich, no I/O): `campaign_problems()` checks the values
of a create or update request, keyed by wire name (`Description`, `MessageSamples`, ...),
before anything is sent; the CLI names the options, the emulator answers Twilio-style errors
from the same list. The rules are those of `CreateUsAppToPersonRequest` and
`UpdateUsAppToPersonRequest` in Twilio's OpenAPI definition (twilio_messaging_v1.json), and
each field's are declared once, in resources.CAMPAIGN: lengths, how many MessageSamples, the
keyword lists (each keyword alphanumeric, all of them joined by commas within a limit), the
URLs, the booleans. This module derives its tables from that declaration and adds what
concerns the whole request: what create and update require.

Lengths count characters (code points), as the definition states them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from msgsvc.api.resources import CAMPAIGN
from msgsvc.api import validate
from msgsvc.api.validate import is_sid

_FIELDS = {field.wire: field for field in CAMPAIGN.fields}

CREATE_REQUIRED = (
    "BrandRegistrationSid", "Description", "MessageFlow", "MessageSamples",
    "UsAppToPersonUsecase", "HasEmbeddedLinks", "HasEmbeddedPhone",
)
URLS = tuple(f.wire for f in CAMPAIGN.fields if f.kind == "url")
UPDATABLE = CAMPAIGN.updatable
UPDATE_REQUIRED = tuple(wire for wire in UPDATABLE if wire not in URLS)  # the API requires all but the URLs

LENGTHS = {  # wire name -> (minimum, maximum) characters, of the single-valued texts
    f.wire: (f.minimum, f.maximum) for f in CAMPAIGN.fields
    if f.kind == "text" and not f.many and f.minimum is not None and f.maximum is not None
}
SAMPLES = _FIELDS["MessageSamples"].count  # how many MessageSamples
SAMPLE_LENGTH = (_FIELDS["MessageSamples"].minimum, _FIELDS["MessageSamples"].maximum)
KEYWORD_LISTS = tuple(f.wire for f in CAMPAIGN.fields if f.joined_max is not None)
BOOLEANS = tuple(f.wire for f in CAMPAIGN.fields if f.kind == "bool")
LISTS = tuple(f.wire for f in CAMPAIGN.fields if f.many)

USECASE = re.compile(r"^[A-Z0-9_]{1,64}$")

# Where a campaign stands: still in review, or settled.
PENDING_STATES = ("PENDING", "IN_PROGRESS")
VERIFIED = "VERIFIED"
FAILED = "FAILED"


@dataclass(frozen=True)
class Problem:
    """One broken rule: the wire name of the field and what is wrong, as a phrase that
    follows the field's name ("must be 40 to 4096 characters long; it is 12")."""

    field: str
    message: str


def _url_problem(value: str) -> str | None:
    from msgsvc.api import validate

    try:
        validate.url(value)
    except ValueError:
        return f"must be an absolute http:// or https:// URL; {value!r} is not"
    return None if value else "must be an absolute http:// or https:// URL, not empty"


def _passes(field: Any, value: str) -> bool:
    """Whether one item passes the field's declared check."""
    try:
        field.clean([value] if field.many else value)
    except ValueError:
        return False
    return True


def _length(text: str, low: int, high: int, what: str = "") -> str | None:
    if low <= len(text) <= high:
        return None
    return f"must be {low} to {high} characters long{what}; it is {len(text)}"


def campaign_problems(values: Mapping[str, Any], *, required: Iterable[str] = ()) -> list[Problem]:
    """Every rule of the definition that `values` break, in a stable order; [] when none.

    `values` maps wire names to str (text fields), bool (booleans) or a list of str
    (MessageSamples and the keyword lists); a key absent or None was not given."""
    found: list[Problem] = []
    for name in required:
        if values.get(name) is None:
            found.append(Problem(name, "is required"))
    given = {k: v for k, v in values.items() if v is not None}

    brand = given.get("BrandRegistrationSid")
    if brand is not None and not is_sid(str(brand), "BN"):
        found.append(Problem("BrandRegistrationSid", f"must be BN followed by 32 hexadecimal digits; {brand!r} is not"))
    usecase = given.get("UsAppToPersonUsecase")
    if usecase is not None and not USECASE.match(str(usecase)):
        found.append(Problem("UsAppToPersonUsecase", f"must be a use case code such as MARKETING or 2FA; {usecase!r} is not"))
    for name, (low, high) in LENGTHS.items():
        if name in given:
            problem = _length(str(given[name]), low, high)
            if problem:
                found.append(Problem(name, problem))

    samples = given.get("MessageSamples")
    if samples is not None:
        low, high = SAMPLES
        if not low <= len(samples) <= high:
            found.append(Problem("MessageSamples", f"must be {low} to {high} samples; {len(samples)} given"))
        for number, sample in enumerate(samples, 1):
            problem = _length(str(sample), *SAMPLE_LENGTH, what=f" (sample {number})")
            if problem:
                found.append(Problem("MessageSamples", problem))

    for name in KEYWORD_LISTS:
        keywords = given.get(name)
        if keywords is None:
            continue
        bad = [k for k in keywords if not _passes(_FIELDS[name], str(k))]
        if bad:
            found.append(Problem(name, f"must be alphanumeric keywords (A-Z, a-z, 0-9); {', '.join(repr(k) for k in bad)} is not"))
        joined = ",".join(str(k) for k in keywords)
        most = _FIELDS[name].joined_max
        if most is not None and len(joined) > most:
            found.append(Problem(name, f"must be at most {most} characters in all (joined by commas); they are {len(joined)}"))

    for name in URLS:
        if name in given:
            problem = _url_problem(str(given[name]))
            if problem:
                found.append(Problem(name, problem))
    for name in BOOLEANS:
        if name in given and not isinstance(given[name], bool):
            found.append(Problem(name, f"must be true or false; {given[name]!r} is not"))
    return found


def campaign_form(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The form body of a create or update: one pair per value given, a list-valued field
    as one pair per item (`MessageSamples=a&MessageSamples=b`), in the order of `values`."""
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((name, validate.as_text(item)) for item in value)
        else:
            pairs.append((name, validate.as_text(value)))
    return pairs


def update_values(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The full body of an update: the API requires every field of UPDATE_REQUIRED, so the
    values not changed are taken from the campaign as it is (`current`, the API's snake_case
    object); optional fields are sent only when changed."""
    from msgsvc.api.resources import CAMPAIGN

    from_current = {f.wire: f.key for f in CAMPAIGN.fields}
    values: dict[str, Any] = {}
    for wire in UPDATE_REQUIRED:
        value = changes.get(wire)
        values[wire] = value if value is not None else current.get(from_current[wire])
    for wire in URLS:
        if changes.get(wire) is not None:
            values[wire] = changes[wire]
    return values


# Twilio's final statuses of a campaign's review: `campaigns wait` ends only on these (or its
# timeout); a status it does not know (none, "verified") is waited on.
FINAL_STATES = frozenset({"VERIFIED", "FAILED"})


def is_pending(campaign: Mapping[str, Any]) -> bool:
    """Not yet at a final status (VERIFIED, FAILED): PENDING, IN_PROGRESS, or a status this
    msgsvc does not know (waited on, never taken for the end of the review)."""
    return campaign.get("campaign_status") not in FINAL_STATES


def is_known(campaign: Mapping[str, Any]) -> bool:
    """A status this msgsvc knows: a pending or a final one."""
    return campaign.get("campaign_status") in (*PENDING_STATES, *FINAL_STATES)


def describe_errors(campaign: Mapping[str, Any]) -> list[str]:
    """One line per entry of a campaign's `errors`: code, fields and description."""
    lines = []
    for error in campaign.get("errors") or []:
        if not isinstance(error, dict):
            lines.append(str(error))
            continue
        code = error.get("error_code")
        fields = ", ".join(str(f) for f in error.get("fields") or [])
        text = error.get("description") or "no description"
        parts = [f"error {code}" if code is not None else "error"]
        if fields:
            parts.append(f"({fields})")
        lines.append(" ".join(parts) + f": {text}")
    return lines


# --- waiting for the review ----------------------------------------------------------------

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$")


def parse_duration(text: str) -> float:
    """Seconds from `90`, `90s`, `30m`, `1h`, `1h30m`, `2m30s`, `0.5s`; ValueError otherwise."""
    match = _DURATION.match(text)
    if not text.strip() or not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration such as 30s, 10m, 1h or 1h30m")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_look_back(text: str) -> float:
    """Seconds from `7d` (whole days), or from a duration as parse_duration reads it: how far
    back a --since looks (doctor's Monitor alerts, messages failures); ValueError otherwise."""
    days = re.fullmatch(r"\s*(\d+)d\s*", text)
    if days:
        return int(days.group(1)) * 86400.0
    try:
        return parse_duration(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a duration such as 7d, 24h, 30m or 1h30m") from None


def format_duration(seconds: float) -> str:
    """`0.5s`, `45s`, `2m30s`, `1h5m`: how long, for people."""
    if seconds < 59.95:
        return f"{seconds:.1f}".rstrip("0").rstrip(".") + "s"
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds}s" if seconds else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes}m" if minutes else f"{hours}h"


class StillPending(Exception):
    """The campaign was still in review when the time was up (`campaign` as last seen)."""

    def __init__(self, campaign: dict) -> None:
        super().__init__(campaign.get("campaign_status"))
        self.campaign = campaign


def wait_for_review(
    fetch: Callable[[], dict],
    *,
    timeout: float,
    interval: float,
    on_poll: Callable[[dict, float], None] = lambda campaign, elapsed: None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    final: Iterable[str] = FINAL_STATES,
    status: str = "campaign_status",
) -> dict:
    """Fetch the campaign until it reaches a final status (VERIFIED, FAILED) and return it: a
    status this msgsvc does not know is waited on, never taken for the end of the review;
    raise StillPending once `timeout` seconds have passed. One fetch at once, every
    `interval` seconds (the last sleep is cut to what is left of the timeout). Any record
    under review waits so: `final` are its review's last states, `status` the key that has
    them (a toll-free verification: TWILIO_APPROVED, TWILIO_REJECTED in `status`)."""
    import time

    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    started = clock()
    final = tuple(final)
    while True:
        campaign = fetch()
        elapsed = clock() - started
        on_poll(campaign, elapsed)
        if campaign.get(status) in final:
            return campaign
        left = timeout - elapsed
        if left <= 0:
            raise StillPending(campaign)
        sleep(min(interval, left))


# --- a campaign from a file ----------------------------------------------------------------


def values_from_file(data: Mapping[str, Any], names: Mapping[str, str], lists: Iterable[str], booleans: Iterable[str]) -> dict[str, Any]:
    """{param: value} from a parsed TOML table whose keys are option names (`message-flow`,
    `sample`). `names` maps each accepted key to its param; list-valued keys take an array of
    strings (or one string), booleans true/false, the rest a string. ValueError names the
    first key that is unknown or of the wrong type."""
    lists, booleans = set(lists), set(booleans)
    values: dict[str, Any] = {}
    for key, value in data.items():
        param = names.get(key)
        if param is None:
            raise ValueError(f"unknown key {key!r}; the keys are: {', '.join(names)}")
        if param in lists:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{key} must be a list of strings")
        elif param in booleans:
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
        elif not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
        values[param] = value
    return values
