"""doctor's finding for a sender that a move msgsvc did not finish left in no service (the
journal of moves in flight, msgsvc/jobs/unfinished.py): an error of the service it was going
to, whose fix is the attach that finishes the move."""

from __future__ import annotations

from typing import Any, Sequence

from msgsvc.jobs.doctor.finding import Finding, finding


def left_in_no_service(lost: Sequence[Any]) -> list[Finding]:
    """One finding per sender in no service (jobs.unfinished.Unfinished, NOWHERE)."""
    from msgsvc.jobs.unfinished import fix, when

    found = []
    for item in lost:
        f = item.fields
        service = {"sid": f["target"], "friendly_name": f.get("target_name")}
        found.append(finding("sender-left-in-no-service", service, [
            ("sender", f.get("sender") or f["sid"]), ("sid", f["sid"]), ("left", f.get("source_name") or f["source"]),
            ("started", when(f)), ("pid", f.get("pid"))], fix(f)))
    return found
