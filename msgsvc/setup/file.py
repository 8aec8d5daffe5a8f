"""A messaging setup as a file: its format, its complete validation, and the export document.

The file (TOML, or the same document as JSON) holds a list of services:

    version = 1

    [[services]]
    friendly_name = "Alerts"          # how the service is matched (or by `sid`, when given)
    validity_period = 600             # any writable field, by the API's snake_case name
    inbound_request_url = ""          # "" clears a URL field; an absent key is left alone

    [services.senders]                # an absent list is left alone; a present one is exact
    numbers = ["+15017122661"]        # E.164, or a PN... SID
    short-codes = ["55501"]           # the number, or an SC... SID
    alpha-senders = ["MyCompany"]
    destination-alpha-senders = ["MyCo", { alpha_sender = "MyCoUK", iso_country_code = "GB" }]
    channel-senders = ["whatsapp:+15017122661"]   # the address, or an XE... SID

`load()` checks everything before any request is sent and reports every problem with the
file and line (tomllib gives no positions: msgsvc/setup/lines.py finds them in the text). A
sender's value is checked by the command line's own rule (SenderKind.parse). The export
document, the same format written from the API's records, is msgsvc/setup/export.py.

Library code: no typer, no rich, no printing.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Mapping, Sequence

from msgsvc.api import validate
from msgsvc.errors import UsageError
from msgsvc.api.resources import SERVICE, Field
from msgsvc.api.senders import KINDS, SenderKind, country_code
from msgsvc.setup.lines import Lines, json_scan, locate

VERSION = 1
FIELDS: dict[str, Field] = {f.key: f for f in SERVICE.fields}
KIND_BY_NOUN: dict[str, SenderKind] = {k.noun: k for k in KINDS}
# Senders that belong to the account and are lent to one service at a time: they can move.
# Alpha senders are created in a service and exist once per service.
POOLED = frozenset({"numbers", "short-codes", "channel-senders"})
# Fields of the API's service JSON that Twilio sets: never in a file.
READ_ONLY = ("account_sid", "date_created", "date_updated", "url", "links", "us_app_to_person_registered")
# Twilio allows one alpha sender per service, and one destination alpha sender per country
# (the default one, for every country, counts as one).
ONE_PER_COUNTRY = frozenset({"alpha-senders", "destination-alpha-senders"})

# --- what a valid file says ------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """One sender named in a file: its kind (the CLI noun), what identifies it, and where."""

    kind: str
    value: str  # E.164 / short code / text / address as written (normalised), or a SID
    sid: str | None = None  # the SID when the file gave one instead of a value
    country: str | None = None  # destination alpha senders: "" is the default sender
    line: int = 0

    @property
    def key(self) -> tuple:
        """What tells two senders of a kind apart (see setup_diff.sender_keys)."""
        if self.sid is not None:
            return ("sid", self.sid)
        return ("value", self.value, self.country or "")

    def shown(self) -> str:
        return f"{self.value} ({self.country})" if self.country else self.value


@dataclass
class DesiredService:
    friendly_name: str
    sid: str | None
    fields: dict[str, Any]  # snake_case key -> clean value, friendly_name included
    senders: dict[str, tuple[Sender, ...]]  # only the kinds the file lists (exact lists)
    line: int = 0
    field_lines: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return json.dumps(self.friendly_name, ensure_ascii=False)


@dataclass
class Desired:
    name: str  # the file's name, for messages
    services: list[DesiredService]


@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str


class SetupFileError(UsageError):
    """A file that cannot be applied; every problem with its line. Nothing was sent."""

    def __init__(self, name: str, problems: Sequence[Problem], *,
                 hint: str = "nothing was sent; fix the file and run again") -> None:
        self.name = name
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.message))
        where = [f"{name}:{p.line}: {p.message}" if p.line else f"{name}: {p.message}" for p in self.problems]
        if len(where) == 1:
            super().__init__(where[0], hint=hint)
        else:
            super().__init__(f"{len(where)} problems in {name}:", hint=hint, details=tuple("  " + w for w in where))


# --- validation ------------------------------------------------------------------------------


def _suggest(word: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    folded = {re.sub(r"[-_ ]", "", a.lower()): a for a in allowed}
    same = folded.get(re.sub(r"[-_ ]", "", word.lower()))
    close = [same] if same else difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


TYPE_NAMES = ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
              (list, "an array"), (dict, "a table"))


def _type_name(value: Any) -> str:
    return next((name for kind, name in TYPE_NAMES if isinstance(value, kind)), f"a {type(value).__name__}")


def clean_field(f: Field, value: Any) -> Any:
    """A field's value from a file, checked as the command-line option would be; ValueError."""
    if f.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {_type_name(value)}")
        return value
    if f.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be an integer, not {_type_name(value)}")
        return f.clean(value)
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {_type_name(value)}")
    if value == "" and f.kind in ("method", "choice"):
        raise ValueError("cannot be cleared; only URL fields take \"\"")
    return f.clean(value)


def parse_sender(kind: SenderKind, raw: Any, line: int = 0) -> Sender:
    """One entry of a sender list; ValueError with a sentence when it is not valid. The value
    is checked by the command line's rule (SenderKind.parse); the file adds its types."""
    noun = kind.noun
    country: str | None = "" if kind.country else None
    if kind.country and isinstance(raw, dict):
        unknown = sorted(set(raw) - {"alpha_sender", "iso_country_code"})
        if unknown:
            raise ValueError(f"unknown key '{unknown[0]}'" + _suggest(unknown[0], ("alpha_sender", "iso_country_code")))
        if "alpha_sender" not in raw:
            raise ValueError("needs alpha_sender")
        text, country = raw["alpha_sender"], raw.get("iso_country_code", "")
        if not isinstance(text, str) or not isinstance(country, str):
            raise ValueError("alpha_sender and iso_country_code must be strings")
        raw, country = text, country_code(country) if country else ""
    if isinstance(raw, int) and not isinstance(raw, bool) and kind.by_number:
        raise ValueError(f'write the short code as a string: "{raw}"')
    if not isinstance(raw, str):
        raise ValueError(f"must be a string, not {_type_name(raw)}")
    ref = kind.parse(raw, attach=True, listed=True)
    if ref.sid is not None:
        return Sender(noun, ref.sid, sid=ref.sid, line=line)
    return Sender(noun, ref.e164 if ref.e164 is not None else str(ref.text), country=country, line=line)


def check(data: Any, name: str, lines: Mapping[tuple, int] | None = None) -> Desired:
    """A parsed document (from TOML or JSON) as a Desired setup, or SetupFileError with every
    problem found, each with its line when `lines` (from locate()) has one."""
    at = Lines(lines)
    problems: list[Problem] = []

    def problem(path: tuple, message: str) -> None:
        problems.append(Problem(at(path), message))

    if not isinstance(data, dict):
        raise SetupFileError(name, [Problem(None, "the document must be a table (a JSON object)")])
    for key in data:
        if key not in ("version", "services"):
            problem((key,), f"unknown key '{key}'" + _suggest(key, ("version", "services")))
    if "version" in data and (isinstance(data["version"], bool) or data["version"] != VERSION):
        problem(("version",), f"version must be {VERSION} (this msgsvc reads version {VERSION} files)")
    raw_services = data.get("services", [])
    if not isinstance(raw_services, list):
        problem(("services",), "services must be an array of tables ([[services]])")
        raw_services = []
    services: list[DesiredService] = []
    for index, raw in enumerate(raw_services):
        path = ("services", index)
        if not isinstance(raw, dict):
            problem(path, f"each service must be a table, not {_type_name(raw)}")
            continue
        service = _check_service(raw, path, problem, at)
        if service is not None:
            services.append(service)
    _check_unique(services, problems)
    if problems:
        raise SetupFileError(name, problems)
    return Desired(name, services)


def _check_service(raw: dict, path: tuple, problem, at: Lines) -> DesiredService | None:
    allowed = ("sid", *FIELDS, "senders")
    fields: dict[str, Any] = {}
    field_lines: dict[str, int] = {}
    count = 0
    sid = None
    for key, value in raw.items():
        where = path + (key,)
        if key == "senders":
            continue
        if key == "sid":
            typed = validate.canonical_sid(value, "MG") if isinstance(value, str) else None
            if typed is None:
                problem(where, f"sid: {value!r} is not a Messaging Service SID (MG followed by 32 hexadecimal digits)")
            else:
                sid = typed  # in any case, as a SID a person types is read (validate.canonical_sid)
            continue
        if key in READ_ONLY:
            problem(where, f"'{key}' is set by Twilio and cannot be managed; remove it")
            count += 1
            continue
        f = FIELDS.get(key)
        if f is None:
            problem(where, f"unknown key '{key}' in a service" + _suggest(key, allowed))
            count += 1
            continue
        try:
            fields[key] = clean_field(f, value)
            field_lines[key] = at(where) or 0
        except ValueError as exc:
            problem(where, f"{key}: {exc}")
            count += 1
    if "friendly_name" not in raw:
        problem(path, "a service needs friendly_name (it is how the service is matched and created)")
    senders: dict[str, tuple[Sender, ...]] = {}
    if "senders" in raw:
        senders = _check_senders(raw["senders"], path + ("senders",), problem, at)
    if "friendly_name" not in fields:
        return None
    return DesiredService(fields["friendly_name"], sid, fields, senders, at(path) or 0, field_lines)


def _check_senders(raw: Any, path: tuple, problem, at: Lines) -> dict[str, tuple[Sender, ...]]:
    if not isinstance(raw, dict):
        problem(path, f"senders must be a table of lists ([services.senders]), not {_type_name(raw)}")
        return {}
    senders: dict[str, tuple[Sender, ...]] = {}
    for noun, entries in raw.items():
        where = path + (noun,)
        kind = KIND_BY_NOUN.get(noun)
        if kind is None:
            problem(where, f"unknown kind of sender '{noun}'" + _suggest(noun, KIND_BY_NOUN))
            continue
        if not isinstance(entries, list):
            problem(where, f"{noun} must be an array, not {_type_name(entries)}")
            continue
        parsed: list[Sender] = []
        seen: dict[tuple, int] = {}
        for index, entry in enumerate(entries):
            line = at(where + (index,)) or 0
            try:
                sender = parse_sender(kind, entry, line)
            except ValueError as exc:
                problem(where + (index,), f"{noun}: {exc}")
                continue
            if sender.key in seen:
                problem(where + (index,), f"{noun}: {sender.shown()} is listed twice in this service")
                continue
            if noun in ONE_PER_COUNTRY:
                clash = next((s for s in parsed if (s.country or "") == (sender.country or "")), None)
                if clash is not None:
                    country = f" for {sender.country}" if sender.country else ""
                    problem(where + (index,), f"{noun}: a service has one alpha sender{country}: "
                                              f"{clash.value} and {sender.value}")
                    continue
            seen[sender.key] = index
            parsed.append(sender)
        senders[noun] = tuple(parsed)
    return senders


def _check_unique(services: list[DesiredService], problems: list[Problem]) -> None:
    """A service named twice, or a pooled sender in two services, cannot be applied."""
    by_sid: dict[str, DesiredService] = {}
    by_name: dict[str, DesiredService] = {}
    for service in services:
        if service.sid is not None:
            if service.sid in by_sid:
                problems.append(Problem(service.line, f"service {service.sid} is in the file twice "
                                                      f"(also on line {by_sid[service.sid].line})"))
            by_sid.setdefault(service.sid, service)
        else:
            first = by_name.get(service.friendly_name)
            if first is not None:
                problems.append(Problem(service.line, f"two services are named {service.label} (also on line "
                                                      f"{first.line}); give each its sid to tell them apart"))
            by_name.setdefault(service.friendly_name, service)
    holders: dict[tuple, DesiredService] = {}
    for service in services:
        for noun, senders in service.senders.items():
            if noun not in POOLED:
                continue
            for sender in senders:
                key = (noun, sender.key)
                if key in holders and holders[key] is not service:
                    problems.append(Problem(sender.line, f"{noun}: {sender.shown()} is also listed in "
                                                         f"{holders[key].label}; a sender belongs to one service"))
                holders.setdefault(key, service)


def _where(path: tuple) -> str:
    """A path as a person reads it: services[2].senders."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def load_text(text: str, name: str, *, json_format: bool | None = None) -> Desired:
    """Parse and check a file's text (JSON when it says so or when the name ends in .json)."""
    from msgsvc.atomic import BOM, MAX_NESTING, depth

    text = text.removeprefix(BOM)
    if json_format is None:
        json_format = name.endswith(".json")
    too_deep = SetupFileError(name, [Problem(None, f"nested more than {MAX_NESTING} levels deep, the most msgsvc reads")])
    if json_format:
        try:
            data = json.loads(text)
        except RecursionError:
            raise too_deep from None
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            raise SetupFileError(name, [Problem(line, f"not valid JSON: {getattr(exc, 'msg', exc)}")]) from None
        if depth(data) > MAX_NESTING:
            raise too_deep
        lines, duplicates = json_scan(text)
        if duplicates:  # json reads them last-wins: `"services": []` after the list would prune all
            raise SetupFileError(name, [Problem(line, f"duplicate key '{path[-1]}'"
                                                      f"{' in ' + _where(path[:-1]) if path[:-1] else ''}: "
                                                      "a JSON object names each key once")
                                        for path, line in duplicates])
        return check(data, name, lines)
    import tomllib

    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise too_deep from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)$", message)
        line = int(found.group(1)) if found else None
        message = message[: found.start()].rstrip() if found else message
        raise SetupFileError(name, [Problem(line, f"not valid TOML: {message}")]) from None
    if depth(data) > MAX_NESTING:
        raise too_deep
    return check(data, name, locate(text))


def load(path: str, *, stdin: IO[str]) -> Desired:
    """Read and check a setup file ('-' is `stdin`, read as TOML)."""
    from msgsvc.atomic import read_text

    text, name = read_text(path, stdin=stdin)
    return load_text(text, name, json_format=None if path != "-" else False)
