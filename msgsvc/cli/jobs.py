"""What every command that changes the account shares: the confirm-or-refuse rule of a
destructive command, running a job (SIGTERM and SIGHUP handled as Ctrl-C), and the end of a job (its
results, the summary line, a 401/403, interrupted or terminated, a full pool, the exit code).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from msgsvc.errors import ExitCode, UsageError

T = TypeVar("T")

A2P_WARNING = (
    "{sid} ({name}) is registered for US A2P 10DLC: deleting it deletes its A2P campaign and "
    "immediately halts all US A2P 10DLC messaging through it; a new campaign must be created "
    "and registered again, which can take several days"
)


IRREGULAR = {"send": "sent"}


def _past(verb: str) -> str:
    if verb in IRREGULAR:
        return IRREGULAR[verb]
    return verb + "d" if verb.endswith("e") else verb[:-1] + "ied" if verb.endswith("y") else verb + "ed"


def consent(state: Any, yes: bool, verb: str, *, what: str = "", dry_run: bool | None = None) -> Callable[[str], None]:
    """The rule of a destructive command: --yes (or a dry run) goes ahead, a terminal is
    asked, anything else is refused now, before any request (exit 2). Returns `ask(question)`,
    to call once the command knows what it would do: with --yes it does nothing; declined,
    it says 'Nothing <verb>ed.' and exits 2."""
    dry = state.dry_run if dry_run is None else dry_run
    if not yes and not dry and not state.term.stdin_tty:
        raise UsageError(f"refusing to {verb}{' ' + what if what else ''} without confirmation",
                         hint=f"add --yes to {verb} from a script")

    def ask(question: str) -> None:
        if yes:
            return
        from msgsvc.cli import output

        if not output.confirm(state.term, question):
            output.note(state.term, f"Nothing {_past(verb)}.")
            import typer

            raise typer.Exit(ExitCode.USAGE)

    return ask


def library_note(term: Any) -> Callable[[str], None]:
    """The `note` callback a job takes (executor, applier): what the library says to the
    person while it works (e.g. 'stopping: ...' after Ctrl-C), said as msgsvc says it."""
    import functools

    from msgsvc.cli import output

    return functools.partial(output.remark, term)


def run(work: Callable[[], T]) -> tuple[T, bool]:
    """`work()`'s results, with SIGTERM and SIGHUP handled as Ctrl-C while it runs; and whether
    one of them (not Ctrl-C) came."""
    from msgsvc.cli.signals import signals_as_ctrl_c

    with signals_as_ctrl_c() as stop:
        results = work()
    return results, stop.terminated


def finish(state: Any, records: Sequence[dict], columns: Sequence[Any], *, summary: str, failed: bool,
           stopped_by: Exception | None = None, interrupted: bool = False, terminated: bool = False,
           left: str = "", again: str = "", pool_full: tuple[str, str] | None = None,
           reported: Callable[[], None] | None = None) -> None:
    """The end of a job: every result (table, TSV or JSON), the summary on stderr, then the
    one way it ends: the 401/403 that stopped it; interrupted or terminated (`left`: what
    'not sent' stands for; `again`: how to go on); the pool that was full (message, hint);
    exit 1 when some failed; else 0. `reported()` is called once the results are shown
    (the moves' journal records are removed then, and not when showing them failed)."""
    from msgsvc.cli import output

    output.emit_records(state.term, list(records), columns, as_json=state.json, fields=state.fields, jq=state.jq)
    output.note(state.term, summary)
    if reported is not None:
        reported()
    if stopped_by is not None:  # a 401/403: every result is shown, then the error
        raise stopped_by
    if interrupted:  # every value still has its result: what was done, and 'not sent'
        from msgsvc.errors import Interrupted, Terminated
        from msgsvc.jobs.changes import HALF_DONE

        said = f"the {left} marked 'not sent' were left as they were"
        if any(record.get("status") == HALF_DONE for record in records):  # not "left as they were": in no service
            said = f"the {left} marked 'half done' are in no service, and those marked 'not sent' were left as they were"
        raise (Terminated if terminated else Interrupted)(
            f"{'terminated' if terminated else 'interrupted'}: {said}", hint=again)
    if pool_full is not None:
        from msgsvc.errors import MsgsvcError

        raise MsgsvcError(pool_full[0], hint=pool_full[1])
    if failed:
        import typer

        raise typer.Exit(ExitCode.ERROR)
