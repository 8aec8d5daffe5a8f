"""msgsvc doctor: will this service deliver? Every known reason it will not, read-only."""

from __future__ import annotations

from typing import Annotated, Any, List, Optional

import typer

from msgsvc.cli.complete import Choices, complete_services
from msgsvc.cli.options import DEFAULT_CONCURRENCY, ConcurrencyOpt, JsonOpt, ProfileOpt, check_service_ref, use

FAIL_ON = ("error", "warning", "info")


def _services(values: Optional[List[str]]) -> Optional[List[str]]:
    return [check_service_ref(v) for v in values] if values else values


def _look_back(value: Any) -> Any:
    if value is None:
        return None
    from msgsvc.api.monitor import parse_look_back

    try:
        parse_look_back(str(value))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return str(value)


def _fail_on(value: str) -> str:
    if value.lower() not in FAIL_ON:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(FAIL_ON)}")
    return value.lower()


def doctor(
    ctx: typer.Context,
    services: Annotated[
        Optional[List[str]],
        typer.Argument(metavar="[SERVICE]...", help="MG... service SIDs or exact friendly names [default: every service].",
                       callback=_services, autocompletion=complete_services, show_default=False),
    ] = None,
    since: Annotated[
        Optional[str],
        typer.Option("--since", metavar="DURATION", callback=_look_back, show_default=False,
                     help="Also count the services' Monitor alerts (30034, 30032, 30007, 21610, 11200) of this "
                          "look back: 24h, 7d, 90m; at most 30d."),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option("--fail-on", metavar="SEVERITY", callback=_fail_on, autocompletion=Choices(FAIL_ON).complete,
                     help="Exit 9 when a finding is this bad or worse: error, warning or info."),
    ] = "error",
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Check that services will deliver.

    Every known reason they will not, read-only.

    One finding per line on stdout, tab-separated: severity (error: messages will fail;
    warning: degraded or at risk; info), service SID, check id, evidence (field=value),
    fix (the msgsvc command, - when there is none) and the Twilio page that states the
    rule. The checks and their ids are in the README ("Will it deliver?"). --json prints
    an array of {severity, service, service_name, check, title, evidence, fix, source}.
    Nothing is written to the account.

    Exit status 0 when no finding is as bad as --fail-on (error by default), 9 when one is,
    other codes for errors.

    Example:

    \b
        msgsvc doctor
        msgsvc doctor Alerts --since 24h
        msgsvc doctor --fail-on warning --json | jq -r '.[] | .check'
    """
    state = use(ctx, json_=json_, profile=profile)
    from datetime import datetime, timezone

    from msgsvc.api.monitor import parse_look_back
    from msgsvc.cli import output
    from msgsvc.errors import ExitCode
    from msgsvc.jobs.doctor.diagnose import diagnose
    from msgsvc.jobs.doctor.finding import RANK

    from msgsvc.cli import journal

    _orphan_secrets(state.term)
    lost = journal.check(state, concurrency=concurrency, warn=False)  # said as findings
    findings, checked = diagnose(
        state.client(), list(services or []), now=datetime.now(timezone.utc),
        since=parse_look_back(since) if since else None, since_text=since, concurrency=concurrency,
        progress=lambda label, total: output.progress(state.term, label, total), lost=lost,
    )
    output.emit_findings(state.term, findings, checked, as_json=state.json)
    if any(RANK[f.severity] <= RANK[fail_on] for f in findings):
        raise typer.Exit(ExitCode.FINDINGS)


def _orphan_secrets(term) -> None:
    """Say the keyring entries an interrupted `profiles add` (or migrate) may have left that
    no profile names, from the record beside the config file: no keyring call (it may
    prompt or hang), and nothing deleted (doctor is read-only; add, remove and migrate do)."""
    from functools import partial

    from msgsvc.cli.output import warning
    from msgsvc.errors import MsgsvcError, MsgsvcWarning
    from msgsvc.local import config, profiles

    try:
        orphans = profiles.pending_orphans(config.read_config(warn=partial(warning, term)))
    except MsgsvcError:  # a broken config file: the command says it when it reads its credentials
        return
    for name, account_sid in orphans:
        whose = f"profile {name!r}" + (f" ({account_sid})" if account_sid else "")
        warning(term, MsgsvcWarning(f"the system keyring may hold a secret of {whose} that no profile uses, left by "
                                    "an interrupted msgsvc", hint="msgsvc profiles add, remove or migrate deletes it"))
