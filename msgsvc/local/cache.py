"""A small per-profile cache of service SIDs and friendly names, for tab completion only.

Completion never touches the network, so `services list/get/create/update` record what they
saw and `services delete` prunes. One small text file per profile (or per account, for
credentials from the environment) in `config.cache_dir()`: a header line, then one
`SID<TAB>friendly name` line per service. Plain lines rather than JSON because a Tab reads it
and importing json costs more than parsing them. Written atomically (temporary file, then
rename), mode 0600. The cache is a convenience: nothing here ever makes a command fail, and a
missing or corrupt file reads as empty. Nor does it hold a secret: what a Tab offers is
output too, so a command's scope (`Scope`) masks what it records as the command's own output
is masked (a token pasted into a friendly name becomes ***).
"""

from __future__ import annotations

import os
import re
TYPE_CHECKING = False  # a Tab press imports this module: typing's names only for the checker
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

HEADER = "msgsvc services cache 1"
MAX_ENTRIES = 5000  # a Tab never needs more, and the file stays small


SCOPES = "scopes.tsv"
SCOPES_HEADER = "msgsvc scopes cache 1"
MAX_SCOPES = 16


class Scope(str):
    """A scope's name (as scope_of gives it), with `mask`: what a command records in it is
    masked so first (Terminal.redact, the run's secrets)."""

    mask: Any

    def __new__(cls, name: str, mask: Any) -> Scope:
        made = super().__new__(cls, name)
        made.mask = mask
        return made


def scope(profile: str | None = None) -> str | None:
    """Whose services, for a Tab press (which has no command's settings): the config read
    here, without printing anything and never the keyring. See scope_of.

    The answer is remembered (SCOPES) for this version of the config file, told by its inode,
    size and modification time, with --profile and $MSGSVC_PROFILE: a Tab press then parses no
    TOML (tomllib and what it imports cost some 7 ms, a third of the whole answer). Not when
    one of Twilio's variables is set: credentials from the environment decide the scope then,
    and no credential is ever written here."""
    if any(name.startswith("TWILIO_") for name in os.environ):
        return _resolved_scope(profile)
    from msgsvc.local.paths import config_path_text

    config = config_path_text()
    try:
        found = os.stat(config)
        version = f"{found.st_ino}:{found.st_size}:{found.st_mtime_ns}"
    except OSError:
        version = "none"
    key = "\t".join((config, version, profile or "", os.environ.get("MSGSVC_PROFILE", "")))
    if "\n" in key or key.count("\t") != 3:
        return _resolved_scope(profile)
    path = _in_cache(SCOPES)
    remembered = _scopes(_read(path))
    if key in remembered:
        return remembered[key] or None
    answer = _resolved_scope(profile)
    remembered.pop(key, None)
    remembered[key] = answer or ""
    try:
        _write(path, SCOPES_HEADER + "\n" + "".join(f"{k}\t{v}\n" for k, v in list(remembered.items())[-MAX_SCOPES:]))
    except Exception:  # noqa: BLE001 - a cache must never make a Tab fail
        pass
    return answer


def _resolved_scope(profile: str | None) -> str | None:
    from msgsvc.local import config, resolution

    return scope_of(resolution.resolve(
        profile_flag=profile, data=config.read_config(), require_credentials=False,
        secrets=False,  # never the keyring: tab completion reads this
    ))


def _in_cache(name: str) -> str:
    """The path of file `name` of the cache folder, as text (see local/paths.py)."""
    from msgsvc.local.paths import cache_dir_text  # not config: a Tab press that knows its scope reads no config

    return os.path.join(cache_dir_text(), name)


def _scopes(text: str | None) -> dict[str, str]:
    """{config file, version, --profile, $MSGSVC_PROFILE (tab-separated): scope or ''}."""

    def row(line: str) -> tuple[str, str] | None:
        fields = line.split("\t")
        return ("\t".join(fields[:4]), fields[4]) if len(fields) == 5 else None

    return _rows(text, SCOPES_HEADER, row)


def _rows(text: str | None, header: str, row: Any) -> dict[str, str]:
    """The (key, value) of each line of a cache file after its `header`, as `row(line)` reads
    it; empty when the header is not ours or a line is not one we wrote (None): a file that is
    not ours is trusted in nothing."""
    lines = (text or "").split("\n")
    if lines[0] != header:
        return {}
    rows = {}
    for line in lines[1:]:
        found = row(line) if line else None
        if found is None:
            if line:
                return {}
            continue
        rows[found[0]] = found[1]
    return rows


def scope_of(resolved: Any) -> str | None:
    """Whose services, from the settings a command resolved (msgsvc.local.resolution.Resolved):
    'profile-NAME', or 'account-AC...' for credentials from the environment; None when no
    credentials apply. A command resolves its config once and hands the result here."""
    if resolved is None:
        return None
    if resolved.profile is not None:
        return f"profile-{resolved.profile.value}"
    account = resolved.get("account_sid")
    return f"account-{account}" if account else None


def path_for(scope_name: str) -> Path:
    from pathlib import Path

    return Path(_services_file(scope_name))


def _services_file(scope_name: str) -> str:
    return _in_cache(f"services-{re.sub(r'[^A-Za-z0-9._-]', '_', scope_name)}.tsv")


def load(scope_name: str | None) -> dict[str, str]:
    """{sid: friendly_name}; empty when there is no cache or it cannot be read."""
    return _services(_read(_services_file(scope_name))) if scope_name else {}


def _read(path: str | Path) -> str | None:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except (OSError, ValueError):
        return None


def _services(text: str | None) -> dict[str, str]:
    def row(line: str) -> tuple[str, str] | None:
        sid, tab, name = line.partition("\t")
        return (sid, name) if tab and len(sid) == 34 and sid.startswith("MG") and sid.isalnum() else None

    return _rows(text, HEADER, row)


def _services_text(services: dict[str, str]) -> str:
    if len(services) > MAX_ENTRIES:  # keep the most recently seen (insertion order)
        services = dict(list(services.items())[-MAX_ENTRIES:])
    return HEADER + "\n" + "".join(f"{sid}\t{' '.join(name.split())}\n" for sid, name in services.items())


def _save(scope_name: str, services: dict[str, str]) -> None:
    _write(_services_file(scope_name), _services_text(services))


def _write(path: str | Path, text: str, old: str | None = None) -> None:
    """`text` into `path`, private, unless the file says so already (a list of the same
    services again writes nothing)."""
    import stat
    from pathlib import Path

    if text == old:
        try:
            found = os.stat(path)
            if stat.S_ISREG(found.st_mode) and stat.S_IMODE(found.st_mode) == 0o600:
                return
        except OSError:
            pass
    from msgsvc.local import config
    from msgsvc.atomic import write_private

    path = Path(path)
    config.ensure_private_dir(path.parent)
    # No fsync: the cache only helps completion, and a lost write is repaired by the next list.
    write_private(path, text, fsync=False)


def _update(name: str | None, change: Any, kind: str | None = None) -> None:
    """Apply `change(entries) -> entries` to the cache of scope `name` (see scope_of; None:
    nothing to do): its services, or the table `kind` (see load_table); a dict instead of
    `change` is the new entries, whatever the file held. Never raises."""
    try:
        if name is None:
            return
        path = _services_file(name) if kind is None else _table_file(name, kind)
        old = _read(path)
        if kind is None:
            text = _services_text(change if isinstance(change, dict) else change(_services(old)))
        else:
            text = _table_text(kind, change if isinstance(change, dict) else change(_table(old, kind)))
        if isinstance(name, Scope):
            text = name.mask(text)
        _write(path, text, old)
    except Exception:  # noqa: BLE001 - a cache must never make a command fail
        pass


def _entries(records: Any) -> dict[str, str]:
    """{sid: name} of the records that are services, in their order (one loop, no call per
    record: a list of 10,000 services records 5,000 of them)."""
    found: dict[str, str] = {}
    for record in records:
        if isinstance(record, dict):
            sid = record.get("sid")
            if isinstance(sid, str):
                found[sid] = str(record.get("friendly_name") or "")
    return found


def remember(scope_name: str | None, record: dict) -> dict:
    """Record one service the API returned (get, create, update); return it unchanged."""
    for sid, name in _entries((record,)).items():

        def change(services: dict[str, str]) -> dict[str, str]:
            services.pop(sid, None)
            services[sid] = name
            return services

        _update(scope_name, change)
    return record


def forget(scope_name: str | None, sid: str) -> None:
    """Drop a deleted service."""

    def change(services: dict[str, str]) -> dict[str, str]:
        services.pop(sid, None)
        return services

    _update(scope_name, change)


def remember_listing(scope_name: str | None, records: list[dict], *, limit: int | None) -> None:
    """Record a listing that was shown: a complete one (no limit, or fewer records than the
    limit) replaces the cache, a partial one is merged. Only the newest MAX_ENTRIES count."""
    complete = limit is None or len(records) < limit
    seen = _entries(records[-MAX_ENTRIES:])

    def change(services: dict[str, str]) -> dict[str, str]:
        for sid, name in seen.items():
            services.pop(sid, None)
            services[sid] = name
        return services

    _update(scope_name, seen if complete else change)


# --- other small tables for completion: brands, use cases -----------------------------------

_TABLE_KEY = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def table_path(scope_name: str, kind: str) -> Path:
    from pathlib import Path

    return Path(_table_file(scope_name, kind))


def _table_file(scope_name: str, kind: str) -> str:
    return _in_cache(f"{kind}-{re.sub(r'[^A-Za-z0-9._-]', '_', scope_name)}.tsv")


def load_table(scope_name: str | None, kind: str) -> dict[str, str]:
    """{key: description} of one table (`brands`, `campaign-usecases`, `service-usecases`),
    as the commands that list them last saw them; empty when missing or not ours."""
    return _table(_read(_table_file(scope_name, kind)), kind) if scope_name else {}


def _table(text: str | None, kind: str) -> dict[str, str]:
    def row(line: str) -> tuple[str, str] | None:
        key, tab, description = line.partition("\t")
        return (key, description) if tab and _TABLE_KEY.match(key) else None

    return _rows(text, f"msgsvc {kind} cache 1", row)


def _table_text(kind: str, table: dict[str, str]) -> str:
    table = dict(list(table.items())[-MAX_ENTRIES:])
    return f"msgsvc {kind} cache 1\n" + "".join(f"{key}\t{text}\n" for key, text in table.items())


def _save_table(scope_name: str, kind: str, table: dict[str, str]) -> None:
    _write(_table_file(scope_name, kind), _table_text(kind, table))


def remember_table(scope_name: str | None, kind: str, entries: dict[str, str], *, replace: bool = True) -> None:
    """Record what a command listed: the whole table (`replace`), or entries merged in.
    Never raises."""

    def change(table: dict[str, str]) -> dict[str, str]:
        table = {} if replace else table
        for key, text in entries.items():
            if _TABLE_KEY.match(key):
                table.pop(key, None)
                table[key] = " ".join(text.split())
        return table

    _update(scope_name, change, kind)


# --- the senders attached to one service, for `detach` -------------------------------------


def senders_table(noun: str, service_sid: str) -> str:
    """The table of one kind of sender (`numbers`, ...) attached to one service: the sender's
    SID, its number or text as description; kept by `list`, `attach` and `detach`."""
    return f"senders-{noun}-{service_sid}"


def forget_table(scope_name: str | None, kind: str, keys: list[str]) -> None:
    """Drop entries (detached senders) from a table. Never raises."""

    def change(table: dict[str, str]) -> dict[str, str]:
        for key in keys:
            table.pop(key, None)
        return table

    _update(scope_name, change, kind)
