"""msgsvc export | plan | apply: the messaging setup as code.

Each command parses, calls the library (setup_file, setup_read, setup_diff, setup_apply) and
renders through msgsvc/cli/output.py.
"""

from typing import Annotated, List, Optional

import typer

from msgsvc.errors import ExitCode, UsageError
from msgsvc.cli.jobs import A2P_WARNING, consent, finish, library_note, run
from msgsvc.cli.options import DEFAULT_CONCURRENCY, ConcurrencyOpt, FieldsOpt, JqOpt, JsonOpt, ProfileOpt, QuietOpt, YesOpt, use

FileArg = Annotated[
    str,
    typer.Argument(metavar="FILE", help="The setup file: TOML, or JSON when its name ends in .json ('-' is "
                                        "TOML on standard input).", show_default=False),
]
PruneOpt = Annotated[bool, typer.Option("--prune", help="Delete the services of the account that the file does not mention.")]
AllowEmptyOpt = Annotated[
    bool,
    typer.Option("--allow-empty", help="With --prune: accept a file that lists no services (deleting every service)."),
]
MoveOpt = Annotated[
    bool,
    typer.Option("--move-from-unmanaged",
                 help="Take senders the file wants from services it does not mention (otherwise a conflict)."),
]


def export(
    ctx: typer.Context,
    services: Annotated[
        Optional[List[str]],
        typer.Argument(metavar="[SERVICE]...", help="Only these services (MG... SIDs or exact friendly names).",
                       show_default=False),
    ] = None,
    out: Annotated[
        Optional[str],
        typer.Option("--output", "-o", metavar="FILE", help="Write the document to FILE instead of standard output "
                                                            "('-' is standard output): a regular file is replaced atomically "
                                                            "(a symlink's target, its mode kept), a device or FIFO written in place.",
                       show_default=False),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Write the same document as JSON instead of TOML.")] = False,
    with_sids: Annotated[bool, typer.Option("--with-sids", help="Pin each service by its SID (not portable to another account).")] = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    profile: ProfileOpt = None,
) -> None:
    """Export services and senders as a setup file.

    The services, their fields and their senders, as TOML.

    Every writable field with a value and every sender: phone numbers as E.164, short codes
    as their number, alpha senders as text, channel senders as their address. Portable (no
    SIDs unless --with-sids) and deterministic: an unchanged account exports to the same
    bytes. Apply the file with 'msgsvc apply FILE'.

    Example:

    \b
        msgsvc export -o services.toml
        msgsvc export Alerts OTP --json
    """
    state = use(ctx, profile=profile)
    as_json = json_ or state.json
    from msgsvc.cli import output
    from msgsvc.setup import export as setup_export, read as setup_read

    term = state.term
    current = setup_read.read_account(state.client(), only=services or (), concurrency=concurrency,
                                      progress=_progress(term))
    doc, shared = setup_export.document(((c.record, c.senders) for c in current), with_sids=with_sids)
    for name in shared:
        output.remark(term, f"several services are named {term.escape(repr(name))}: they are written with their sid")
    text = setup_export.render(doc, as_json=as_json)
    if out is not None and out != "-":
        from pathlib import Path

        from msgsvc.atomic import write_file

        try:
            write_file(Path(out), text)
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
        count = len(doc["services"])
        output.note(term, f"Wrote {count} service{'s' if count != 1 else ''} to {out}")
        return
    output.write(term, text)


def _progress(term):
    """The progress callback the library takes, drawn on this run's terminal."""
    import functools

    from msgsvc.cli import output

    return functools.partial(output.progress, term)


def _plan(state, file: str, *, prune: bool, move: bool, concurrency: int, allow_empty: bool):
    """The checked file and its diff against the account; blockers are an error (exit 2)."""
    from msgsvc.setup import file as setup_file, plan as setup_plan

    desired = setup_file.load(file, stdin=state.term.stdin)
    result = setup_plan.plan(state.client(), desired, prune=prune, move_from_unmanaged=move, allow_empty=allow_empty,
                             concurrency=concurrency, progress=_progress(state.term))
    return desired, result


def _show_plan(term, desired, result, *, as_json: bool, to_stderr: bool = False) -> None:
    from msgsvc.cli import output

    for line, text in result.warnings:  # on stderr, before the plan: said once, never data
        output.report(term, f"warning: {desired.name}:{line}: {text}" if line else f"warning: {text}")

    if as_json:
        from msgsvc.setup import diff as setup_diff

        output.emit_json(term, setup_diff.as_data(result))
        return
    output.emit_setup_plan(term, result, desired.name, stderr=to_stderr)


def plan(
    ctx: typer.Context,
    file: FileArg,
    prune: PruneOpt = False,
    allow_empty: AllowEmptyOpt = False,
    move_from_unmanaged: MoveOpt = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option("--detailed-exitcode", help="Exit 0 when there are no changes, 6 when there are (for drift checks)."),
    ] = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Show what 'msgsvc apply FILE' would change.

    Sends no change (only reads).

    One line per change (+ create, ~ update, + attach, - detach, > move, - delete), then a
    count. The file is checked completely first; conflicts with services the file does not
    mention and senders the account does not own are errors (exit 2). With
    --detailed-exitcode: 0 no changes, 6 changes pending, other codes errors.

    Example:

    \b
        msgsvc plan services.toml
        msgsvc plan services.toml --detailed-exitcode || echo "drift"
    """
    state = use(ctx, json_=json_, profile=profile)
    desired, result = _plan(state, file, prune=prune, move=move_from_unmanaged, concurrency=concurrency,
                            allow_empty=allow_empty)
    _show_plan(state.term, desired, result, as_json=state.json)
    if detailed_exitcode and not result.empty:
        raise typer.Exit(ExitCode.CHANGES_PENDING)


def apply(
    ctx: typer.Context,
    file: FileArg,
    prune: PruneOpt = False,
    allow_empty: AllowEmptyOpt = False,
    force: Annotated[bool, typer.Option("--force", help="With --prune: delete even services registered for US A2P 10DLC.")] = False,
    move_from_unmanaged: MoveOpt = False,
    yes: YesOpt = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan and send nothing (as 'msgsvc plan').")] = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    fields: FieldsOpt = None,
    jq: JqOpt = None,
    quiet: QuietOpt = False,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Converge the account to a setup file.

    Create, update, attach, detach, move, delete.

    Shows the plan (on stderr) and asks in a terminal; needs --yes otherwise. Changes run
    in order: creates, updates, detaches and moves out, attaches, deletes; each gets one
    result. When some fail, the others still run and the exit status is 1: run apply
    again to finish. A file that matches the account sends no change at all.

    Example:

    \b
        msgsvc apply services.toml
        msgsvc -p production apply services.toml --prune --yes
    """
    from msgsvc.cli import output
    from msgsvc.setup import apply as setup_apply

    if dry_run and (fields is not None or jq is not None):  # they choose from results, and a dry run has none
        raise UsageError(f"{'--fields' if fields is not None else '--jq'} is for apply's results; --dry-run shows the plan",
                         hint="the plan as JSON: msgsvc plan FILE --json")
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=setup_apply.RESULT_FIELDS, jq=jq, quiet=quiet)
    term = state.term
    desired, result = _plan(state, file, prune=prune, move=move_from_unmanaged, concurrency=concurrency,
                            allow_empty=allow_empty)
    if dry_run:
        _show_plan(term, desired, result, as_json=state.json)
        return
    guarded = [a for a in result.services if a.action == "delete" and a.a2p]
    if guarded and not force:
        first = guarded[0].service
        more = f" (and {len(guarded) - 1} more)" if len(guarded) > 1 else ""
        raise UsageError(A2P_WARNING.format(sid=first.sid, name=first.name) + more,
                         hint="nothing was sent; if that is really what you want, add --force")
    if result.empty:
        output.note(term, f"No changes: the account matches {desired.name}.")
        if state.json:
            output.emit_json(term, [])
        return
    ask = consent(state, yes, "apply", dry_run=False)
    if not yes or not term.quiet:  # -q --yes: nothing but the results; a question shows what it asks about
        _show_plan(term, desired, result, as_json=False, to_stderr=True)
    count = sum(result.counts().values())
    ask(f"Apply {'this change' if count == 1 else f'these {count} changes'} to the account?")
    applier = setup_apply.Applier(state.client(), concurrency=concurrency, progress=_progress(term),
                                  note=library_note(term), force=force)
    results, terminated = run(lambda: applier.run(result))
    from msgsvc.jobs import changes

    finish(state, [r.record() for r in results], setup_apply.RESULT_COLUMNS, summary=changes.summary(results),
           failed=any(r.undone for r in results), stopped_by=applier.stopped_by,
           interrupted=applier.interrupted, terminated=terminated, left="changes",
           again="run the same apply again to finish: it plans against what the account has become")
