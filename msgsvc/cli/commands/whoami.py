"""msgsvc whoami: which account a command would touch, and with which credentials."""

from typing import Annotated

import typer

from msgsvc.cli.options import JsonOpt, ProfileOpt, use
from msgsvc.api.resources import KEEP, Column

WHOAMI_COLUMNS = (Column("SETTING", "setting", fit=KEEP), Column("VALUE", "value", fit=KEEP))


def whoami(
    ctx: typer.Context,
    no_check: Annotated[bool, typer.Option("--no-check", help="Do not send the one read that checks the credentials.")] = False,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Say which account a command would touch.

    The Account SID, where the credentials come
    from (a --profile flag, $MSGSVC_PROFILE, Twilio's environment variables, or the active
    profile), the base URL and the region; then check the credentials with one read
    (GET /v1/Services?PageSize=1). Twilio's TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN (or an
    API key) win over the active profile, and every command that changes the account says
    so once on standard error. Exit 4 when Twilio refuses the credentials.

    Columns (the TSV's order, no header): setting, value. --json is one object.

    Example:

    \b
        msgsvc whoami
        msgsvc --profile staging whoami --json
    """
    state = use(ctx, json_=json_, profile=profile)
    from msgsvc.local import resolution
    from msgsvc.errors import ApiError, CredentialsError
    from msgsvc.cli.output import emit_json, emit_records, note

    client = state.client()
    resolved = state.resolved
    settings = client.settings
    source = _source(resolved)
    record = {
        "account_sid": client.account_sid if settings.account_sid or settings.username.startswith("AC") else None,
        "credentials": source,
        "auth": f"api key {settings.username}" if settings.username.startswith("SK") else "auth token",
        "base_url": client.base(),
        "base_url_source": resolved.settings["base_url"].source if "base_url" in resolved.settings else "default",
        "region": settings.region or "us1 (default)",
        "edge": settings.edge,
    }
    if resolved.overridden is not None:
        record["overrides"] = f"active profile {resolved.overridden!r}"
    checked = None
    if not no_check:
        try:
            client.request("GET", "/v1/Services", params={"PageSize": 1})
        except ApiError as error:
            if error.status in (401, 403):
                raise CredentialsError(f"Twilio refused the credentials of {source} for account {record['account_sid']}: {error}",
                                       hint="store them again: msgsvc profiles add NAME --force --account-sid AC...") from None
            raise
        checked = "ok (one read answered)"
    record["check"] = checked or "not checked (--no-check)"
    if state.json:
        emit_json(state.term, record)
        return
    emit_records(state.term, [{"setting": key, "value": value} for key, value in record.items() if value is not None],
                 WHOAMI_COLUMNS, as_json=False)
    if resolved.overridden is not None:
        note(state.term, resolution.override_warning(resolved).message)


def _source(resolved) -> str:
    """Where the credentials came from, as a person would look for them."""
    if resolved.profile is None:
        return "environment (" + ", ".join(s.source[4:] for s in resolved.settings.values()
                                            if s.source.startswith("env TWILIO_") and s.source[4:] in
                                            ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET")) + ")"
    where = {"flag --profile": "flag --profile", "env MSGSVC_PROFILE": "$MSGSVC_PROFILE"}.get(resolved.profile.source, "active profile")
    secret = {"keyring": "secret in the system keyring", "file": "secret in the config file"}.get(resolved.storage or "", "no secret")
    return f"profile {resolved.profile.value!r} ({where}; {secret})"
