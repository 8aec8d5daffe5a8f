"""msgsvc profiles: named credentials and settings in the config file."""

import re
from functools import partial
from typing import Annotated, Any, Callable, Optional

import typer

from msgsvc.cli.complete import complete_profiles
from msgsvc.errors import UsageError
from msgsvc.cli.options import JqOpt, JsonOpt, ProfileOpt, QuietOpt, YesOpt, columns_help, fields_option, invalid, use
from msgsvc.api.resources import KEEP, WRAP, Column
from msgsvc.api.settings import MAX_RETRIES_RANGE, TIMEOUT_RANGE
from msgsvc.words import counted

app = typer.Typer(
    help="Manage credential profiles.\n\nAdd, list, choose, remove and inspect credential profiles.\n\nExample:\n\n\b\n"
    "    msgsvc profiles add prod --account-sid AC0123456789abcdef0123456789abcdef\n    msgsvc profiles list",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# `profiles test`: one row per profile checked.
TEST_COLUMNS = (Column("PROFILE", "profile"), Column("STATUS", "status"), Column("SECRET IN", "storage"),
                Column("DETAIL", "detail"))
TEST_KEYS = tuple(c.key for c in TEST_COLUMNS)
TestFieldsOpt = fields_option(TEST_KEYS)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The profile's name.", autocompletion=complete_profiles, show_default=False)]

# On a narrow terminal EDGE is hidden first, then REGION, then AUTH, then BASE URL (cut
# with an ellipsis before that); names and SIDs are whole.
PROFILE_COLUMNS = (
    Column("ACTIVE", "active_mark", fit=KEEP),
    Column("NAME", "name", fit=KEEP),
    Column("ACCOUNT SID", "account_sid", fit=KEEP),
    Column("AUTH", "auth", fit=KEEP, drop=3),
    Column("SECRET IN", "storage", fit=KEEP, drop=1),  # where the secret lives: shown the longest
    Column("REGION", "region", fit=KEEP, drop=4),
    Column("EDGE", "edge", fit=KEEP, drop=5),
    Column("BASE URL", "base_url", drop=2),
)
# Every field of a row: what --fields takes and what --json gives, every column among them.
PROFILE_KEYS = ("name", "active", "active_mark", "account_sid", "api_key", "auth", "storage", "region", "edge", "base_url")
SHOW_KEYS = ("setting", "value", "source")
ListFieldsOpt, ShowFieldsOpt = fields_option(PROFILE_KEYS), fields_option(SHOW_KEYS)
# Values are SIDs, URLs and masked secrets: never cut; on a narrow terminal SOURCE gives way.
SHOW_COLUMNS = (Column("SETTING", "setting", fit=KEEP), Column("VALUE", "value", fit=KEEP),
                Column("SOURCE", "source", fit=WRAP, drop=1))  # where it came from: wrapped, never cut


def _mask_stored(term: Any, data: dict) -> None:
    """Every secret the config file holds (each profile's auth token or API secret) and the
    environment's are masked in what this run shows, as a command's own credentials are: a
    profile named with (or after) its token, pasted in the wrong place, is *** in every
    view. A secret in the keyring is not read for this (`profiles list` never opens it)."""
    import os

    from msgsvc.local.config import SECRET_KEYS
    from msgsvc.local.resolution import ENV_CREDENTIALS

    for stored in (data.get("profiles") or {}).values():
        if isinstance(stored, dict):
            term.secrets.update(v for k, v in stored.items() if k in SECRET_KEYS and isinstance(v, str))
    term.secrets.update(os.environ[var] for key, var in ENV_CREDENTIALS.items() if key in SECRET_KEYS and os.environ.get(var))


def _check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise UsageError(
            f"invalid profile name {name!r}: use up to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def _check(option: str, check, value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    try:
        return check(value)
    except ValueError as exc:
        raise invalid(option, str(exc)) from None


def _read_secret(term, label: str) -> str:
    """The secret: a hidden prompt in a terminal, else the first line of stdin. Never a flag."""
    if term.stdin_tty:
        secret = typer.prompt(label, hide_input=True, err=True)
    else:
        secret = term.stdin.readline()
    secret = secret.strip()
    if not secret:
        raise UsageError(
            f"no {label.lower()} given",
            hint="type it at the prompt, or pipe it on standard input: "
            "printf '%s\\n' \"$TOKEN\" | msgsvc profiles add NAME --account-sid AC...",
        )
    return secret


@app.command("add")
def profiles_add(
    ctx: typer.Context,
    name: NameArg,
    account_sid: Annotated[str, typer.Option("--account-sid", metavar="AC...", help="The Twilio Account SID.", show_default=False)],
    api_key: Annotated[Optional[str], typer.Option("--api-key", metavar="SK...", help="Authenticate with this API key (its secret is asked) instead of the auth token.", show_default=False)] = None,
    region: Annotated[Optional[str], typer.Option("--region", metavar="REGION", help="Twilio region, e.g. ie1, au1 (messaging.{edge}.{region}.twilio.com).", show_default=False)] = None,
    edge: Annotated[Optional[str], typer.Option("--edge", metavar="EDGE", help="Twilio edge location, e.g. dublin, sydney.", show_default=False)] = None,
    base_url: Annotated[Optional[str], typer.Option("--base-url", metavar="URL", help="Send every request here instead (a local server, the emulator).", show_default=False)] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", metavar="SECONDS", min=TIMEOUT_RANGE[0], max=TIMEOUT_RANGE[1], help="Connect and read timeout for this profile.", show_default=False)] = None,
    max_retries: Annotated[Optional[int], typer.Option("--max-retries", metavar="N", min=MAX_RETRIES_RANGE[0], max=MAX_RETRIES_RANGE[1], help="Retries for this profile.", show_default=False)] = None,
    ca_bundle: Annotated[Optional[str], typer.Option("--ca-bundle", metavar="FILE", help="Trust this PEM file of certificate authorities (a corporate proxy's).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a profile of the same name (this also moves a secret from the config file into the keyring).")] = False,
    insecure_storage: Annotated[bool, typer.Option("--insecure-storage", help="Keep the secret in the config file (mode 0600), not in the system keyring.")] = False,
    no_verify: Annotated[bool, typer.Option("--no-verify", help="Save without checking the credentials with Twilio first (offline set-up, CI images).")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Check and store credentials as a profile.

    One request to Twilio checks them; they are stored as a named profile. The
    first profile becomes the active one.

    The secret (auth token, or the API key's secret) is asked with a hidden prompt in a
    terminal and read from the first line of standard input otherwise; it is never a flag,
    so it stays out of shell history and process lists. It goes into the system keyring
    (macOS Keychain, Windows Credential Locker, the Secret Service on Linux desktops) when
    one is usable, else into the config file (mode 0600), and msgsvc says which. Credentials
    Twilio refuses are not saved (exit 4); when Twilio cannot be reached nothing is saved
    either (exit 1) unless --no-verify is given.

    Example:

    \b
        msgsvc profiles add prod --account-sid AC0123456789abcdef0123456789abcdef
        printf '%s\\n' "$TWILIO_AUTH_TOKEN" |
            msgsvc profiles add ci --account-sid AC... --no-verify
    """
    from msgsvc.local import config
    from msgsvc.api import validate
    from msgsvc.cli.output import note, warning

    term = use(ctx, quiet=quiet).term
    _check_name(name)
    if timeout is not None and not validate.finite(timeout):  # NaN passes Click's range check
        raise invalid("--timeout", "nan is not a number of seconds")
    account_sid = _check("--account-sid", lambda v: validate.sid(v, "AC"), account_sid)  # as Twilio writes it
    api_key = _check("--api-key", lambda v: validate.sid(v, "SK"), api_key)
    base_url = _check("--base-url", validate.base_url, base_url)
    region = _check("--region", validate.host_label, region)
    edge = _check("--edge", validate.host_label, edge)
    if ca_bundle is not None:
        from pathlib import Path

        path = Path(ca_bundle).expanduser()
        if not path.is_file():
            raise invalid("--ca-bundle", f"{ca_bundle!r} is not a file")
        ca_bundle = str(path.resolve())
    data = config.read_config(warn=partial(warning, term))  # a broken file is reported before any question
    _mask_stored(term, data)
    existing = data.get("profiles", {})
    if not force and name in existing:
        raise UsageError(f"a profile named {name!r} exists already", hint="add --force to replace it")

    secret = _read_secret(term, "API key secret" if api_key else "Auth token")
    term.secrets.add(secret)  # masked from here on, as every command's credentials are
    from msgsvc.cli.terminal import MIN_SECRET

    if len(secret) >= MIN_SECRET and secret.lower() in name.lower():
        # A name is shown everywhere (lists, prompts, the keyring's entry), a secret nowhere.
        raise UsageError("the profile name holds its own secret: was the token pasted in the wrong place?",
                         hint="choose another name; nothing was saved")
    profile: dict[str, Any] = {"account_sid": account_sid}
    if api_key:
        profile["api_key"] = api_key
        profile["api_secret"] = secret
    else:
        profile["auth_token"] = secret
    for key, value in (("region", region), ("edge", edge), ("base_url", base_url), ("timeout", timeout), ("max_retries", max_retries), ("ca_bundle", ca_bundle)):
        if value is not None:
            profile[key] = value

    if not no_verify:
        note(term, _verified(ctx, name, profile))
    keyring_backend = None
    if not insecure_storage:
        from msgsvc.local import keystore

        keyring_backend = keystore.backend(name, keystore.STORE_FIX)[0]
    from msgsvc.local import profiles as stored_profiles

    added = stored_profiles.add(name, profile, in_keyring=keyring_backend is not None, force=force,
                                warn=partial(warning, term))
    active = added.active
    if keyring_backend is not None:
        where = "its secret is in the system keyring"
    elif insecure_storage:
        where = "its secret is in that file (--insecure-storage)"
    else:
        where = "its secret is in that file: no usable system keyring"
    if added.old_entry_deleted:
        where += "; its old secret was deleted from the system keyring"
    note(term, f"Saved profile {name!r}" + (" (active)" if active else "") + f" in {config.config_path()}; {where}")


def _verified(ctx: typer.Context, name: str, profile: dict[str, Any]) -> str:
    """Check the new profile's credentials as a command would use them now (with the global
    flags and the environment's settings); raise when Twilio refuses them or cannot be asked."""
    from msgsvc.local import verify
    from msgsvc.errors import CredentialsError, MsgsvcError, NetworkError

    state = use(ctx)
    found = verify.check_profile(name, flags=state.flags(), data={"profiles": {name: profile}})
    if found.credentials is not None:  # a server may echo them in what it answers
        state.term.add_credentials(*found.credentials)
    result = found.check
    if result.ok:
        return f"Checked: {result.detail}"
    unsaved = f"; profile {name!r} was not saved"
    if result.status == verify.BAD_CREDENTIALS:
        raise CredentialsError(f"Twilio refused these credentials: {result.detail}{unsaved}", hint="check the Account SID, API key and secret, and type the secret again")
    hint = "check the network and the profile's settings, or save it unchecked with --no-verify"
    if result.status == verify.UNREACHABLE:
        raise NetworkError(f"cannot check the credentials: {result.detail}{unsaved}", hint=hint)
    raise MsgsvcError(f"cannot check the credentials: {result.detail}{unsaved}", hint=hint)


@app.command("list")
def profiles_list(ctx: typer.Context, fields: ListFieldsOpt = None, jq: JqOpt = None, json_: JsonOpt = False) -> None:
    """List the profiles; the active one is marked. Secrets are never shown; SECRET IN says
    where each one lives: the system keyring, or the config file.

    {columns} --json gives each of them.

    Example:

    \b
        msgsvc profiles list
        msgsvc profiles list --jq '.[] | select(.active) | .name'
    """
    state = use(ctx, json_=json_, fields=fields, valid=PROFILE_KEYS, jq=jq)
    from msgsvc.local import config
    from msgsvc.cli.output import emit_records, warning

    data = config.read_config(warn=partial(warning, state.term))
    _mask_stored(state.term, data)
    active = data.get("active")
    rows = []
    for name, stored in sorted(data.get("profiles", {}).items()):
        rows.append(
            {  # PROFILE_KEYS, in their order: --json gives each, as --fields takes each
                "name": name,
                "active": name == active,
                "active_mark": "*" if name == active else "",
                "account_sid": stored.get("account_sid"),
                "api_key": stored.get("api_key"),
                "auth": f"api key {stored['api_key']}" if stored.get("api_key") else "auth token",
                "storage": config.storage(stored),
                "region": stored.get("region"),
                "edge": stored.get("edge"),
                "base_url": stored.get("base_url"),
            }
        )
    emit_records(state.term, rows, PROFILE_COLUMNS, as_json=state.json, fields=state.fields, jq=state.jq,
                 empty="No profiles yet: msgsvc profiles add NAME --account-sid AC...")


@app.command("use")
def profiles_use(ctx: typer.Context, name: NameArg, quiet: QuietOpt = False) -> None:
    """Make NAME the active profile.

    It is used when no --profile or environment says otherwise.

    Example:

    \b
        msgsvc profiles use staging
    """
    from msgsvc.local import config, resolution
    from msgsvc.cli.output import note, warning

    term = use(ctx, quiet=quiet).term
    with config.locked_config(warn=partial(warning, term)) as data:
        _mask_stored(term, data)
        if name not in data.get("profiles", {}):
            raise resolution.unknown_profile(name, data.get("profiles", {}))
        data["active"] = name
    note(term, f"Active profile: {name}")
    resolved = resolution.resolve(data={"active": name, "profiles": {name: {}}}, require_credentials=False, secrets=False)
    still = resolution.override_warning(resolved)
    if still is not None:  # the environment still wins over what was just chosen
        warning(term, still)


@app.command("remove")
def profiles_remove(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(metavar="NAME...", help="The profiles to remove.", autocompletion=complete_profiles, show_default=False)],
    yes: YesOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Delete profiles and their secrets.

    Each NAME's secret goes from the config file or the system keyring, and a secret
    removed is lost: asks for confirmation in a terminal; needs --yes otherwise. Every NAME
    is checked first: one that names no profile removes none (exit 4). Each removal is said
    on a line of its own; when the keyring cannot delete a secret (locked, not answering),
    that profile and those after it are left as they were, and the error says which.

    Example:

    \b
        msgsvc profiles remove old-account
        msgsvc profiles remove staging test --yes
    """
    from msgsvc.local import config, resolution
    from msgsvc.errors import MsgsvcError
    from msgsvc.cli.jobs import consent
    from msgsvc.cli.output import note, remark, warning

    state = use(ctx, quiet=quiet)
    term = state.term
    from msgsvc.local import profiles as stored_profiles

    chosen = list(dict.fromkeys(names))
    data = config.read_config(warn=partial(warning, term))
    _mask_stored(term, data)
    known = data.get("profiles", {})
    for name in chosen:  # a typo is said as one (exit 4) before any question or refusal
        if name not in known:
            raise resolution.unknown_profile(name, known)
    # As every delete: --yes goes ahead, a terminal is asked, anything else is refused (exit 2).
    ask = consent(state, yes, "remove", what=counted(len(chosen), "profile") if len(chosen) > 1 else "a profile",
                  dry_run=False)
    if len(chosen) == 1:
        stored = known[chosen[0]]
        where = "the system keyring" if config.storage(stored) == config.KEYRING else "the config file"
        ask(f"Remove profile {chosen[0]!r} (account {stored.get('account_sid')}) and its secret, in {where}?")
    else:
        ask(f"Remove these {len(chosen)} profiles and their secrets: {', '.join(repr(n) for n in chosen)}?")
    for index, name in enumerate(chosen):
        try:
            removed = stored_profiles.remove(name, warn=partial(warning, term))
        except MsgsvcError:
            left = chosen[index + 1:]
            if left:
                remark(term, "not removed: " + ", ".join(repr(n) for n in [name, *left]))
            raise
        note(term, f"Removed profile {name!r}" + (" and its secret from the system keyring" if removed.keyring_entry_deleted else "")
             + ("; no profile is active now (msgsvc profiles use NAME)" if removed.was_active else ""))


profiles_list.__doc__ = profiles_list.__doc__.replace("{columns}", columns_help(PROFILE_COLUMNS, PROFILE_KEYS))

def _defaults() -> dict[str, str]:
    from msgsvc.api.settings import DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_READ_TIMEOUT

    return {"timeout": f"{DEFAULT_CONNECT_TIMEOUT:g} (connect), {DEFAULT_READ_TIMEOUT:g} (read)",
            "max_retries": str(DEFAULT_MAX_RETRIES)}


@app.command("show")
def profiles_show(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Argument(metavar="[NAME]", help="A profile to show instead of the one in effect.", autocompletion=complete_profiles, show_default=False)] = None,
    fields: ShowFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Show each setting a command would use.

    Masked, and where it came from: a flag, the
    environment, the config file or the system keyring. The `secret_storage` row says where
    the secret lives: keyring, file or environment.

    Columns (the TSV's order, no header): setting, value, source; --fields takes any of
    them. --json is one object: {setting: {value, source}}.

    Example:

    \b
        msgsvc profiles show
        MSGSVC_PROFILE=ci msgsvc profiles show --json
    """
    state = use(ctx, json_=json_, profile=name or profile, fields=fields, valid=SHOW_KEYS, jq=jq)
    from msgsvc.local import config
    from msgsvc.cli.output import emit_jq, emit_json, emit_records

    resolved = state.resolve(require_credentials=False)
    state.term.secrets.update(v for v in map(resolved.get, config.SECRET_KEYS) if isinstance(v, str))  # masked, as everywhere
    rows = []
    profile = resolved.profile
    rows.append({"setting": "profile", "value": profile.value if profile else None, "source": profile.source if profile else "none (environment credentials)" if resolved.has_credentials else "none"})
    rows.append({"setting": "secret_storage", "value": resolved.storage, "source": _storage_source(resolved)})
    defaults = _defaults()
    for key in config.PROFILE_KEYS:
        setting = resolved.settings.get(key)
        if setting is None:
            rows.append({"setting": key, "value": None, "source": "default: " + defaults[key] if key in defaults else "not set"})
            continue
        value = config.mask(str(setting.value)) if key in config.SECRET_KEYS else setting.value
        rows.append({"setting": key, "value": value, "source": setting.source})
    if state.json and not state.fields:
        shown = {row["setting"]: {"value": row["value"], "source": row["source"]} for row in rows}
        if state.jq:
            emit_jq(state.term, shown, state.jq)
        else:
            emit_json(state.term, shown)
    else:
        emit_records(state.term, rows, SHOW_COLUMNS, as_json=state.json, fields=state.fields, jq=state.jq)


def _storage_source(resolved) -> str:
    if resolved.storage is None:
        return "not set"
    if resolved.storage == "environment":
        return "env " + ", ".join(s.source[4:] for k, s in resolved.settings.items() if k in ("auth_token", "api_secret") and s.source.startswith("env "))
    return f"file profile '{resolved.profile.value}'"


@app.command("test")
def profiles_test(
    ctx: typer.Context,
    names: Annotated[Optional[list[str]], typer.Argument(metavar="[NAME]...", help="Profiles to check [default: the one in effect].", autocompletion=complete_profiles, show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", help="Check every profile.")] = False,
    fields: TestFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Check that profiles work.

    One request to Twilio per profile, one line each (ok, bad
    credentials, unreachable, secret missing from keyring, keyring unavailable, no
    credentials). Exit 0 only when every one passes; 4 when any has bad or missing
    credentials; 1 when the others failed for another reason (unreachable).

    Example:

    \b
        msgsvc profiles test
        msgsvc profiles test --all --json
    """
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=TEST_KEYS, jq=jq)
    from msgsvc.local import config, resolution, verify
    from msgsvc.errors import CredentialsError, MsgsvcError
    from msgsvc.cli.output import emit_records, warning

    data = config.read_config(warn=partial(warning, state.term))
    _mask_stored(state.term, data)
    known = data.get("profiles", {})
    if all_ and names:
        raise UsageError("give profile names or --all, not both")
    chosen: list[str | None] = list(known) if all_ else list(names or [state.profile])
    if all_ and not chosen:
        raise UsageError("there are no profiles to check", hint=_known(data))
    for name in chosen:
        if name is not None and name not in known:
            raise resolution.unknown_profile(name, known)
    rows = []
    for name in chosen:
        found = verify.check_profile(name, flags=state.flags(), data=data)
        if found.credentials is not None:  # a server may echo them in what it answers
            state.term.add_credentials(*found.credentials)
        rows.append({"profile": found.profile, "status": found.check.status, "storage": found.storage, "detail": found.check.detail})
    shown = rows if state.json else [{**row, "profile": row["profile"] or "(environment)"} for row in rows]
    emit_records(state.term, shown, TEST_COLUMNS, as_json=state.json, fields=state.fields, jq=state.jq)
    failed = [row for row in rows if row["status"] != verify.OK]
    if failed:
        names_failed = ", ".join(row["profile"] or "(environment)" for row in failed)
        message = f"{len(failed)} of {counted(len(rows), 'profile')} failed the check: {names_failed}"
        if any(row["status"] in verify.CREDENTIAL_FAILURES for row in failed):
            raise CredentialsError(message, hint="msgsvc profiles add NAME --force --account-sid AC... stores new credentials")
        raise MsgsvcError(message)


NO_KEYRING_FIX = ("nothing was changed; start or unlock the system keyring (on Linux a Secret Service such as GNOME "
                  "Keyring or KWallet), or choose a backend with PYTHON_KEYRING_BACKEND, then run it again; on a "
                  "machine without one (a server, CI) the secrets stay in the config file, mode 0600, or come from "
                  "TWILIO_* variables")


@app.command("migrate")
def profiles_migrate(
    ctx: typer.Context,
    names: Annotated[Optional[list[str]], typer.Argument(metavar="[NAME]...", help="Profiles to move [default: every profile whose secret is in the file].", autocompletion=complete_profiles, show_default=False)] = None,
) -> None:
    """Move secrets from the config to the keyring.

    From the config file into the system keyring. Nothing is checked with
    Twilio; a profile whose secret is in the keyring already is left alone. Where there is
    no usable keyring (a server, a container, CI) nothing is changed: exit 2, with what to do.

    Example:

    \b
        msgsvc profiles migrate
        msgsvc profiles migrate prod staging
    """
    from msgsvc.local import config, keystore
    from msgsvc.cli.output import note, warning

    term = use(ctx).term
    chosen, why = keystore.backend()
    if chosen is None:  # no credential is wrong and nothing was asked of Twilio: not exit 4
        raise UsageError(f"there is no usable system keyring here ({why}): the secrets stay in the config file",
                         hint=NO_KEYRING_FIX)
    from msgsvc.local import profiles as stored_profiles

    moved = stored_profiles.migrate(names, warn=partial(warning, term))
    if moved:
        note(term, f"Moved the secret of {', '.join(repr(n) for n in moved)} into the system keyring; {config.config_path()} holds none of them now")
    else:
        note(term, "No secret to move: no profile keeps its secret in the config file")


def _known(data: dict) -> str:
    names = sorted(data.get("profiles", {}))
    return "profiles: " + ", ".join(names) if names else "add one with: msgsvc profiles add NAME --account-sid AC..."
