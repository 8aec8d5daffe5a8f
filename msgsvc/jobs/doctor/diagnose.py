"""The whole of `msgsvc doctor` without the terminal: read (read.py), check (checks.py), order."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Sequence

from msgsvc.jobs.doctor.checks import service_findings
from msgsvc.jobs.doctor.finding import Finding, ordered
from msgsvc.jobs.doctor.moves import left_in_no_service
from msgsvc.jobs.doctor.read import read_account
from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, no_progress

if TYPE_CHECKING:
    from msgsvc.api.client import Client


def diagnose(client: Client, refs: list[str], *, now: datetime, since: timedelta | None = None,
             since_text: str | None = None, concurrency: int = DEFAULT_CONCURRENCY,
             progress: Progress = no_progress, lost: Sequence[Any] = ()) -> tuple[list[Finding], int]:
    """Every finding about the services `refs` name (all when empty), by service in the
    order listed, then from the worst; and how many services were checked. `lost`: the
    senders moves msgsvc did not finish left in no service (jobs.unfinished), found for the
    service each was going to or left, when that one is checked."""
    facts, account = read_account(client, refs, now=now, since=since, since_text=since_text,
                                  concurrency=concurrency, progress=progress)
    found = [f for s in facts for f in service_findings(s, account)]
    checked = {s.sid for s in facts}
    found += left_in_no_service([u for u in lost if not refs or {u.fields["target"], u.fields["source"]} & checked])
    return ordered(found, [s.sid for s in facts]), len(facts)
