"""The journal of moves in flight, as a command uses it: the journal of its account
(msgsvc/local/journal.py), and saying what moves an msgsvc that stopped left unfinished
(msgsvc/jobs/unfinished.py) before the command's own work. Nothing here makes a command
fail: a journal or an API that cannot answer is said once, on stderr."""

from __future__ import annotations

from typing import Any


def journal(state: Any) -> Any:
    """The journal of the account and API this command's client talks to."""
    return _journal(state.client())


def _journal(client: Any) -> Any:
    from msgsvc.local.journal import Journal

    return Journal(client.account_sid, api(client))


def api(client: Any) -> str:
    """Which API a record is about: Twilio's, whatever its region or edge (an account is
    the same account through each), else the base URL (a local server, the emulator)."""
    if client.settings.base_url:
        return client.base()
    return "twilio"


def check(state: Any, *, concurrency: int, warn: bool = True) -> list[Any]:
    """Look at the moves that msgsvc runs no longer running left in the journal: a record
    whose sender is in a service again is dropped quietly; one in no service is kept, and
    said on stderr (`warn`) as a warning with the command that puts it where it was going;
    those the API could not answer for are kept and said once. The ones in no service
    (jobs.unfinished.Unfinished), for doctor's findings."""
    from msgsvc.cli import output

    term = state.term
    client = state.client()  # no credentials: the command's own error, not the journal's
    try:
        from msgsvc.jobs import unfinished
        book = _journal(client)
        found = unfinished.look(client, book.left(), concurrency=concurrency)
        for item in found:
            if item.where in unfinished.PLACED:
                book.drop(item.record)
        lost = [item for item in found if item.where == unfinished.NOWHERE]
        if warn:
            for item in lost:
                output.report(term, f"warning: {unfinished.warning(item)}",
                              hint=f"put it where it was going with: {unfinished.fix(item.fields)}")
        unsure = [item for item in found if item.where == unfinished.UNANSWERED]
        if unsure:
            output.report(term, f"warning: {unfinished.unanswered(unsure)}")
        return lost
    except Exception as error:  # noqa: BLE001 - the journal must never make a command fail
        output.report(term, f"warning: could not check the journal of moves in flight: {error}")
        return []
