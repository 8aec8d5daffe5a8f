"""msgsvc export | plan | apply, and msgsvc numbers find: the messaging setup as code.

Each command parses, calls the library (setup_file, setup_read, setup_diff, setup_apply) and
renders through msgsvc/cli/output.py.
"""

from typing import Annotated, List, Optional

import typer

from msgsvc.errors import ExitCode, UsageError
from msgsvc.cli.options import DEFAULT_CONCURRENCY, ConcurrencyOpt, FieldsOpt, JqOpt, JsonOpt, ProfileOpt, QuietOpt, YesOpt, use

FileArg = Annotated[
    str,
    typer.Argument(metavar="FILE", help="The setup file: TOML, or JSON when its name ends in .json ('-' is "
                                        "TOML on standard input).", show_default=False),
]
PruneOpt = Annotated[bool, typer.Option("--prune", help="Delete the services of the account that the file does not mention.")]
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
        typer.Option("--output", "-o", metavar="FILE", help="Write the document to FILE (atomically) instead of "
                                                            "standard output.", show_default=False),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Write the same document as JSON instead of TOML.")] = False,
    with_sids: Annotated[bool, typer.Option("--with-sids", help="Pin each service by its SID (not portable to another account).")] = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    profile: ProfileOpt = None,
) -> None:
    """Export services, their fields and their senders as a setup file (TOML).

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
        output.note(term, f"msgsvc: several services are named {term.escape(repr(name))}: they are written with their sid")
    text = setup_export.render(doc, as_json=as_json)
    if out is not None:
        from pathlib import Path

        from msgsvc.atomic import write_private

        try:
            write_private(Path(out), text)
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


def _plan(state, file: str, *, prune: bool, move: bool, concurrency: int):
    """The checked file and its diff against the account; blockers are an error (exit 2)."""
    from msgsvc.setup import file as setup_file, plan as setup_plan

    desired = setup_file.load(file, stdin=state.term.stdin)
    result = setup_plan.plan(state.client(), desired, prune=prune, move_from_unmanaged=move,
                             concurrency=concurrency, progress=_progress(state.term))
    return desired, result


def _show_plan(term, desired, result, *, as_json: bool, to_stderr: bool = False) -> None:
    from msgsvc.cli import output
    from msgsvc.setup import diff as setup_diff

    if as_json:
        output.emit_json(term, setup_diff.as_data(result))
        return
    if result.empty:
        lines = [f"No changes: the account matches {desired.name}."]
    else:
        lines = [*setup_diff.describe(result), setup_diff.summary(result)]
    output.emit_diff(term, lines, stderr=to_stderr)


def plan(
    ctx: typer.Context,
    file: FileArg,
    prune: PruneOpt = False,
    move_from_unmanaged: MoveOpt = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option("--detailed-exitcode", help="Exit 0 when there are no changes, 6 when there are (for drift checks)."),
    ] = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Show what 'msgsvc apply FILE' would change; send no change (only reads).

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
    desired, result = _plan(state, file, prune=prune, move=move_from_unmanaged, concurrency=concurrency)
    _show_plan(state.term, desired, result, as_json=state.json)
    if detailed_exitcode and not result.empty:
        raise typer.Exit(ExitCode.CHANGES_PENDING)


def apply(
    ctx: typer.Context,
    file: FileArg,
    prune: PruneOpt = False,
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
    """Converge the account to a setup file: create, update, attach, detach, move, delete.

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

    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=setup_apply.RESULT_FIELDS, jq=jq, quiet=quiet)
    term = state.term
    desired, result = _plan(state, file, prune=prune, move=move_from_unmanaged, concurrency=concurrency)
    if dry_run:
        _show_plan(term, desired, result, as_json=state.json)
        return
    guarded = [a for a in result.services if a.action == "delete" and a.a2p]
    if guarded and not force:
        from msgsvc.cli.commands.services import A2P_WARNING

        first = guarded[0].service
        more = f" (and {len(guarded) - 1} more)" if len(guarded) > 1 else ""
        raise UsageError(A2P_WARNING.format(sid=first.sid, name=first.name) + more,
                         hint="nothing was sent; if that is really what you want, add --force")
    if result.empty:
        output.note(term, f"No changes: the account matches {desired.name}.")
        if state.json:
            output.emit_json(term, [])
        return
    if not yes and not term.stdin_tty:
        raise UsageError("refusing to apply without confirmation", hint="add --yes to apply from a script")
    if not yes or not term.quiet:  # -q --yes: nothing but the results; a question shows what it asks about
        _show_plan(term, desired, result, as_json=False, to_stderr=True)
    if not yes:
        count = sum(result.counts().values())
        if not output.confirm(term, f"Apply {'this change' if count == 1 else f'these {count} changes'} to the account?"):
            output.note(term, "Nothing applied.")
            raise typer.Exit(ExitCode.USAGE)
    import functools

    applier = setup_apply.Applier(state.client(), concurrency=concurrency, progress=_progress(term),
                                  note=functools.partial(output.note, term))
    from msgsvc.cli.app import sigterm_as_ctrl_c

    with sigterm_as_ctrl_c() as terminated:
        results = applier.run(result)
    columns = setup_apply.RESULT_COLUMNS
    output.emit_records(term, [r.record() for r in results], columns, as_json=state.json, fields=state.fields, jq=state.jq)
    from msgsvc.jobs.changes import summary

    output.note(term, summary(results))
    if applier.stopped_by is not None:  # a 401/403: every result is shown, then the error
        raise applier.stopped_by
    if applier.interrupted:
        from msgsvc.errors import Interrupted, Terminated

        raise (Terminated if terminated[0] else Interrupted)(
            f"{'terminated' if terminated[0] else 'interrupted'}: the changes marked 'not sent' were left as they were",
            hint="run the same apply again to finish: it plans against what the account has become")
    if any(r.status == setup_apply.FAILED for r in results):
        raise typer.Exit(ExitCode.ERROR)


def numbers_find(
    ctx: typer.Context,
    values: Annotated[List[str], typer.Argument(metavar="NUMBER...", help="E.164 numbers (+15017122661) or PN... SIDs.",
                                                show_default=False)],
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    fields: FieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Find which service holds each phone number, if any.

    The API has no reverse look-up: this lists the services and their phone numbers,
    concurrently. Prints input, number SID, phone number, service SID and service name
    (empty for a number in no service). A number the account does not own is reported on
    stderr and the exit status is 3.

    Example:

    \b
        msgsvc numbers find +15017122661 PN0123456789abcdef0123456789abcdef
    """
    from msgsvc.setup import read as setup_read
    from msgsvc.api.senders import NUMBERS

    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=[c.key for c in setup_read.FIND_COLUMNS], jq=jq)
    refs = []
    for value in values:
        try:
            refs.append(NUMBERS.parse(value, attach=False))
        except ValueError as exc:
            text = str(exc)
            raise UsageError(text if repr(value.strip()) in text else f"{value!r} {text}",
                             hint="nothing was sent") from None
    from msgsvc.cli import output

    term = state.term
    rows, missing = setup_read.find_numbers(state.client(), refs, concurrency=concurrency, progress=_progress(term))
    columns = setup_read.FIND_COLUMNS
    output.emit_records(term, rows, columns, as_json=state.json, fields=state.fields, jq=state.jq)
    for ref in missing:
        output.note(term, f"msgsvc: {term.escape(ref.raw)} is not a number on this account")
    if missing:
        raise typer.Exit(ExitCode.NOT_FOUND)
