"""Where a toll-free verification's review stands, as msgsvc says it: following the review
(`tollfree wait`: a line on stderr for each status change, in a terminal), how it ended, where
one stands and what to do next (`tollfree get` in a terminal), and why an edit is refused and
what to do instead (`tollfree update`).

Exit status of a wait: 1 when a verification was rejected (its reasons and the time left to
edit it, with a warning when fewer than 48 hours are left); 5 when the time ran out first,
as `campaigns wait` and `messages get --wait`.

The rules (what is final, the edit window, the next step) are msgsvc/api/tollfree.py's.
"""

from __future__ import annotations

from typing import Any

from msgsvc.api.tollfree import VERIFICATION
from msgsvc.cli.options import as_typed
from msgsvc.errors import ExitCode, MsgsvcError


class VerificationRejected(MsgsvcError):
    """A verification's review ended in TWILIO_REJECTED: exit 1."""


class WaitTimedOut(MsgsvcError):
    """A verification was still in review when --timeout ran out: exit 5."""

    exit_code = ExitCode.WAIT_TIMEOUT


def utc_now() -> Any:
    """The time the rules judge a record at (an edit window, the next step)."""
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def explain(term: Any, record: dict, typed: str) -> None:
    """On a terminal, where the record stands and what to do (its reasons when rejected); the
    command it gives names the verification as the user did (`typed`)."""
    from msgsvc.api import tollfree as rules
    from msgsvc.cli.output import note

    number, status = record.get("tollfree_phone_number"), record.get("status")
    step = rules.next_step(record, utc_now())
    if status in rules.PENDING_STATES:
        note(term, f"{number} is {status}: in review. Follow it with: msgsvc tollfree wait {as_typed(typed)}")
    elif status == rules.REJECTED:
        note(term, f"{number} was rejected:")
        for line in rules.rejection_reasons(record):
            note(term, f"  {term.escape(line)}")
        note(term, f"Next: {step}")


def after_create(outcomes: list[Any], existing: dict[str, Any]) -> list[str]:
    """What `tollfree create` says to do next, one line per kind of next step, naming the
    numbers as the user did: follow the review of those created and of those whose record is
    in review; nothing for those approved; fix and resubmit a rejection whose edit window is
    open; delete and file again one whose window is closed (api.tollfree.next_step)."""
    from msgsvc.api import tollfree as rules
    from msgsvc.jobs.changes import CREATED
    from msgsvc.jobs.tollfree import EXISTS

    now = utc_now()
    wait, done, edit, again = [], [], [], []
    for outcome in outcomes:
        if outcome.status == CREATED:
            wait.append(outcome.input)
        elif outcome.status == EXISTS:
            step = rules.next_step(existing.get(outcome.input), now)
            record = existing.get(outcome.input) or {}
            if step == rules.WAIT:
                wait.append(outcome.input)
            elif record.get("status") == rules.APPROVED:
                done.append(outcome.input)
            elif step == rules.RESUBMIT:
                again.append(outcome.input)
            elif record.get("status") == rules.REJECTED:
                edit.append(outcome.input)
    lines = []
    if wait:
        lines.append("Follow the review with: msgsvc tollfree wait " + " ".join(map(as_typed, wait)))
    if done:
        lines.append("Approved already, nothing to do: " + " ".join(map(as_typed, done)))
    for ref in edit:
        lines.append("Rejected, and may be edited until its window closes: fix the file, then: "
                     f"msgsvc tollfree update {as_typed(ref)} --from-file FILE --edit-reason TEXT")
    for ref in again:
        lines.append(f"Rejected, and too late to edit: msgsvc tollfree delete {as_typed(ref)}, then create it again: "
                     f"msgsvc tollfree create {as_typed(ref)} --from-file FILE")
    return lines


def why_not_editable(record: dict, now: Any) -> str:
    from msgsvc.api import tollfree as rules

    status = record.get("status")
    if status != rules.REJECTED:
        return f"it is {status}; only a rejected verification is edited"
    if record.get("edit_allowed") is not True:
        return "Twilio does not allow editing it (edit_allowed is false)"
    deadline = rules.edit_deadline(record)
    return f"its edit window closed at {rules.format_moment(deadline)}" if deadline else "it has no edit window"


def instead_of_editing(record: dict, sid: str, number: Any, typed: str) -> str:
    """What to do instead of an edit, naming the verification as the user did (`typed`), and
    the record's SID and number only when they are ones (validate.sid_to_paste)."""
    from msgsvc.api import tollfree as rules
    from msgsvc.api.validate import number_to_paste, sid_to_paste

    if record.get("status") in rules.PENDING_STATES:
        return f"wait for the review: msgsvc tollfree wait {as_typed(typed)}"
    if record.get("status") == rules.APPROVED:
        return "it is approved: nothing to fix"
    return (f"delete it and submit again: msgsvc tollfree delete {sid_to_paste(sid, VERIFICATION.prefix, placeholder='VERIFICATION')}"
            f" && msgsvc tollfree create {number_to_paste(number)} --from-file FILE")


def wait_for_reviews(state: Any, client: Any, refs: list[str], *, timeout: float, interval: float) -> list[dict]:
    """The verification each of `refs` names (each once), looked at every `interval` until it
    leaves review, `timeout` for them all; on a terminal, a line on stderr for each status
    change. WaitTimedOut (exit 5) when one is still in review when the time runs out."""
    import time

    from msgsvc.api import tollfree as rules
    from msgsvc.api.a2p import StillPending, format_duration, wait_for_review
    from msgsvc.cli.output import note
    from msgsvc.jobs.tollfree import find_record

    started = time.monotonic()
    records = [find_record(client, ref) for ref in dict.fromkeys(refs)]
    settled = []
    for record in records:
        sid, number = str(record.get("sid")), record.get("tollfree_phone_number")
        seen: list[str] = []

        def progress(current: dict, elapsed: float, sid: str = sid, seen: list = seen) -> None:
            status = str(current.get("status"))
            if state.term.stderr_tty and (not seen or seen[-1] != status):
                note(state.term, f"{format_duration(int(time.monotonic() - started)):>6}  verification {sid}: {status}")
            seen.append(status)

        left = max(timeout - (time.monotonic() - started), 0.0)
        try:
            settled.append(wait_for_review(lambda sid=sid: client.fetch(VERIFICATION, sid), timeout=left,
                                           interval=interval, on_poll=progress, final=rules.FINAL_STATES, status="status"))
        except StillPending as pending:
            raise WaitTimedOut(f"verification {sid} of {number} is still {pending.campaign.get('status')} "
                               f"after {format_duration(timeout)}",
                               hint=f"wait longer: msgsvc tollfree wait {' '.join(map(as_typed, refs))} --timeout 24h") from None
    return settled


def ending(term: Any, settled: list[dict]) -> None:
    """How a wait ended: a warning for each rejected verification with fewer than 48 hours
    left to edit it, and VerificationRejected (exit 1) when one was rejected; None when every
    one is approved."""
    from msgsvc.api import tollfree as rules
    from msgsvc.api.a2p import format_duration
    from msgsvc.cli.output import remark

    rejected = [r for r in settled if r.get("status") != rules.APPROVED]
    now = utc_now()
    for record in rejected:
        deadline = rules.edit_deadline(record)
        if deadline is not None and now < deadline and (deadline - now).total_seconds() < rules.EDIT_WARNING_HOURS * 3600:
            remark(term, f"warning: fewer than {rules.EDIT_WARNING_HOURS} hours left to edit verification "
                         f"{record.get('sid')} of {record.get('tollfree_phone_number')}: until {rules.format_moment(deadline)}")
    if rejected:
        lines = []
        for record in rejected:
            reasons = "; ".join(term.escape(line) for line in rules.rejection_reasons(record)) or "no reasons given"
            step = rules.next_step(record, now)
            deadline = rules.edit_deadline(record)
            left = f" ({format_duration((deadline - now).total_seconds())} left)" if deadline and now < deadline else ""
            lines.append(f"{record.get('tollfree_phone_number')} ({record.get('sid')}): {reasons}; next: {step}{left}")
        raise VerificationRejected(
            f"{len(rejected)} of {len(settled)} verification{'s' if len(settled) != 1 else ''} rejected",
            hint="fix the details within the edit window: msgsvc tollfree update NUMBER --from-file FILE --edit-reason TEXT; "
                 "past it: msgsvc tollfree delete NUMBER, then create it again",
            details=tuple("  " + line for line in lines))
