"""msgsvc export | plan | apply: the messaging setup as code.

Each command parses, calls the library (setup_file, setup_read, setup_diff, setup_apply) and
renders through msgsvc/cli/output.py.
"""

from typing import Annotated, List, Optional

import typer

from msgsvc.errors import ExitCode, UsageError
from msgsvc.cli.jobs import A2P_WARNING, consent, finish, library_note, run
from msgsvc.cli.options import DEFAULT_CONCURRENCY, as_typed, duration, fields_option, ConcurrencyOpt, JqOpt, JsonOpt, ProfileOpt, QuietOpt, YesOpt, use

FileArg = Annotated[
    str,
    typer.Argument(metavar="FILE", help="The setup file: TOML, or JSON when its name ends in .json ('-' is "
                                        "TOML on standard input).", show_default=False),
]
ApplyFileArg = Annotated[
    str,
    typer.Argument(metavar="FILE", help="The setup file (as for plan), or a plan saved by 'msgsvc plan FILE -o PLAN', "
                                        "known by its format marker.", show_default=False),
]
ResultFieldsOpt = fields_option(of="msgsvc.setup.apply:RESULT_FIELDS")  # setup.apply is imported on use only
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
                                                            "(a symlink's target, its mode kept) if it is empty or a setup file, "
                                                            "never anything else; a device or FIFO is written in place.",
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
    if out is not None and out != "-":
        setup_export.refuse_replacing(out)  # before the account is read: a typo is said at once
    current = setup_read.read_account(state.client(), only=services or (), concurrency=concurrency,
                                      progress=_progress(term))
    doc, shared = setup_export.document(((c.record, c.senders) for c in current), with_sids=with_sids)
    for name in shared:
        output.remark(term, f"several services are named {term.escape(repr(name))}: they are written with their sid")
    text = setup_export.render(doc, as_json=as_json)
    if term.redact(text) != text:  # URL passwords are *** already: this run's token, kept by a field
        places = _holding_a_secret(term, doc["services"])
        shown = ", ".join(places[:5]) + (f" and {len(places) - 5:,} more" if len(places) > 5 else "")
        raise UsageError(f"the export holds this run's auth token or secret, read from the account ({shown}) "
                         "and is not written: an exported file never holds a secret",
                         hint="nothing was written; take the secret out of those values (msgsvc services get SERVICE "
                              "shows them, masked as ***), or export the other services by name")
    if out is not None and out != "-":
        setup_export.refuse_replacing(out)  # and again: it may have been replaced while the account was read
        _write(out, text)
        count = len(doc["services"])
        output.note(term, f"Wrote {count} service{'s' if count != 1 else ''} to {out}")
        return
    output.write(term, text)


def _holding_a_secret(term, entries) -> list[str]:
    """Which values of an export's services hold this run's secret: `'Name' field`, masked."""
    import json

    places = []
    for entry in entries:
        name = term.escape(repr(entry.get("friendly_name") or entry.get("sid") or ""))
        for key, value in entry.items():
            text = json.dumps(value, ensure_ascii=False)
            if term.redact(text) != text:
                places.append(f"{name} {key}")
    return places


def _remember_services(state, results) -> None:
    """What apply made of the account's services, for Tab: those created or renamed by their
    name, those deleted forgotten (the cache never makes a command fail: msgsvc.local.cache)."""
    from msgsvc.local import cache

    scope = state.cache_scope()
    for result in results:
        if result.kind != "service" or not result.sid:
            continue
        if result.status in ("created", "updated"):
            cache.remember(scope, {"sid": result.sid, "friendly_name": result.service})
        elif result.status == "deleted":
            cache.forget(scope, result.sid)


def _remember_senders(state, actions, results) -> None:
    """What apply did to the services' senders, for detach's Tab (the tables sender_commands
    keeps): each result beside its plan's action, which knows the services' SIDs."""
    from msgsvc.jobs import changes
    from msgsvc.local import cache

    scope = state.cache_scope()
    for action, done in zip(actions, results):
        if done.kind == "service" or not action.sid:
            continue
        into = action.service.sid
        left = action.source.sid if action.source is not None else None
        if done.status in (changes.ATTACHED, changes.ALREADY_ATTACHED, changes.MOVED) and into:
            cache.remember_table(scope, cache.senders_table(action.kind, into), {action.sid: action.shown}, replace=False)
        if done.status in (changes.MOVED, changes.HALF_DONE) and left:
            cache.forget_table(scope, cache.senders_table(action.kind, left), [action.sid])
        if done.status in (changes.DETACHED, changes.NOT_ATTACHED) and into:
            cache.forget_table(scope, cache.senders_table(action.kind, into), [action.sid])


def _progress(term):
    """The progress callback the library takes, drawn on this run's terminal."""
    import functools

    from msgsvc.cli import output

    return functools.partial(output.progress, term)


def _load(state, file: str):
    """What FILE holds: a saved plan (told by its format marker, whatever its name) or a
    checked setup file; and its text."""
    from msgsvc.atomic import read_text
    from msgsvc.setup import file as setup_file, saved_format

    text, name = read_text(file, stdin=state.term.stdin)
    if saved_format.marked(text):
        return saved_format.parse(text, name), text
    return setup_file.load_text(text, name, json_format=None if file != "-" else False), text


def _plan(state, desired, *, prune: bool, move: bool, concurrency: int, allow_empty: bool):
    """The checked file's diff against the account; blockers are an error (exit 2)."""
    from msgsvc.setup import plan as setup_plan

    return setup_plan.plan(state.client(), desired, prune=prune, move_from_unmanaged=move, allow_empty=allow_empty,
                           concurrency=concurrency, progress=_progress(state.term))


def _profile(state) -> str | None:
    """The name of the profile whose credentials are used (None: from the environment)."""
    resolved = state.resolved
    setting = getattr(resolved, "profile", None)
    return setting.value if setting is not None else None


def _saved_plan(state, plan, *, given: dict, concurrency: int):
    """The Diff of a saved plan, once the account is shown to be what it read: refused when
    apply's flags contradict it or it is for another account (exit 2), stale (exit 7)."""
    from msgsvc.setup import saved_checks

    saved_checks.refuse_contradictions(plan, given)
    client = state.client()
    saved_checks.refuse_other_account(plan, client.account_sid, _profile(state))
    result = saved_checks.with_secrets(plan, lambda name: _setup_file(state, name))
    saved_checks.refuse_stale(plan, saved_checks.reread(client, plan, concurrency=concurrency, progress=_progress(state.term)))
    return result


def _setup_file(state, name: str):
    """The text of the setup file a saved plan was made from, and the name to show."""
    from msgsvc.atomic import read_text

    return read_text(name, stdin=state.term.stdin)


def _save(state, out: str, result, desired, text: str, options: dict) -> None:
    """Write the saved plan to `out` (0600, atomically; '-' is standard output)."""
    from msgsvc.cli import output
    from msgsvc.setup import saved_write

    client = state.client()
    import os

    plan_text = saved_write.render(result, desired, result.read, text=text, account_sid=client.account_sid,
                                   profile=_profile(state), options=options, rereadable=os.path.isfile(desired.name))
    if state.term.redact(plan_text) != plan_text:  # URL passwords are *** already: this run's token, echoed
        raise UsageError("the plan holds this run's auth token or secret (a value read from the account or the "
                         "setup file has it) and is not saved: a saved plan never holds a secret",
                         hint="nothing was written; take the secret out of that value ('msgsvc plan FILE' shows "
                              "where, masked as ***)")
    if out == "-":
        output.write(state.term, plan_text)
        return
    saved_write.refuse_replacing(out)
    _write(out, plan_text, private=True)
    output.note(state.term, f"Saved the plan to {out}: apply exactly this plan with: msgsvc apply {as_typed(out)}")


def _write(out: str, text: str, *, private: bool = False) -> None:
    """Write an -o file (atomically: what was there is kept when it fails). A write the
    machine refuses (a full disk, /dev/full, a read-only or missing directory) is exit 1, as
    every write msgsvc makes (README, Exit codes), not a usage error."""
    from pathlib import Path

    from msgsvc.atomic import write_file
    from msgsvc.errors import MsgsvcError

    try:
        write_file(Path(out), text, private=private)
    except OSError as exc:
        raise MsgsvcError(f"cannot write {out}: {exc.strerror or exc}") from None


def _show_plan(term, name: str, result, *, as_json: bool, to_stderr: bool = False) -> None:
    """The plan of the setup file `name` (its warnings name its lines)."""
    from msgsvc.cli import output

    for line, text in result.warnings:  # on stderr, before the plan: said once, never data
        output.report(term, f"warning: {name}:{line}: {text}" if line else f"warning: {text}")

    if as_json:
        from msgsvc.setup import diff as setup_diff

        output.emit_json(term, setup_diff.as_data(result))
        return
    output.emit_setup_plan(term, result, name, stderr=to_stderr)


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
    out: Annotated[
        Optional[str],
        typer.Option("--output", "-o", metavar="PLAN",
                     help="Also save the plan, with what it read, to PLAN (JSON, 0600; '-' is standard output, "
                          "the plan's lines then go to stderr): 'msgsvc apply PLAN' applies exactly it.",
                     show_default=False),
    ] = None,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Show what 'msgsvc apply FILE' would change.

    Sends no change (only reads).

    One line per change (+ create, ~ update, + attach, - detach, > move, - delete), then a
    count. The file is checked completely first; conflicts with services the file does not
    mention and senders the account does not own are errors (exit 2). With
    --detailed-exitcode: 0 no changes, 6 changes pending, other codes errors. With -o PLAN
    the plan is saved for 'msgsvc apply PLAN', which refuses it (exit 7) once the account
    has changed since.

    Example:

    \b
        msgsvc plan services.toml
        msgsvc plan services.toml --detailed-exitcode || echo "drift"
        msgsvc plan services.toml -o services.plan
    """
    state = use(ctx, json_=json_, profile=profile)
    if out == "-" and state.json:
        raise UsageError("--json and -o - would both write to standard output", hint="give -o a file name")
    desired, text = _load(state, file)
    from msgsvc.setup import saved_format

    if isinstance(desired, saved_format.SavedPlan):
        raise UsageError(f"{desired.name} is a saved plan, not a setup file",
                         hint=f"show it with: msgsvc apply {as_typed(file)} --dry-run; apply it with: msgsvc apply {as_typed(file)}")
    from msgsvc.cli import journal

    journal.check(state, concurrency=concurrency)
    result = _plan(state, desired, prune=prune, move=move_from_unmanaged, concurrency=concurrency,
                   allow_empty=allow_empty)
    _show_plan(state.term, desired.name, result, as_json=state.json, to_stderr=out == "-")
    if out is not None:
        _save(state, out, result, desired, text,
              {"prune": prune, "move_from_unmanaged": move_from_unmanaged, "allow_empty": allow_empty})
    if detailed_exitcode and not result.empty:
        raise typer.Exit(ExitCode.CHANGES_PENDING)


def apply(
    ctx: typer.Context,
    file: ApplyFileArg,
    prune: PruneOpt = False,
    allow_empty: AllowEmptyOpt = False,
    force: Annotated[bool, typer.Option("--force", help="With --prune: delete even services registered for US A2P 10DLC.")] = False,
    move_from_unmanaged: MoveOpt = False,
    yes: YesOpt = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan and send nothing (as 'msgsvc plan').")] = False,
    lock_timeout: Annotated[
        float,
        typer.Option("--lock-timeout", metavar="DURATION", parser=duration,
                     help="Wait this long for another apply of the same account on this machine to finish: 30s, "
                          "10m [default: refuse at once, exit 8].", show_default=False),
    ] = "0s",  # type: ignore[assignment]
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    fields: ResultFieldsOpt = None,
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

    FILE may be a plan saved by 'msgsvc plan FILE -o PLAN': exactly that plan is applied,
    after the account is read again; when it changed since the plan was made, nothing is
    sent (exit 7). The plan's --prune, --allow-empty and --move-from-unmanaged are its
    own: one given here that the plan was made without is refused (exit 2).

    Two applies of one account never interleave on one machine: each holds a lock from
    its first read of the account to its last write, and a second one is refused (exit 8,
    naming the pid of the first) unless --lock-timeout lets it wait. --dry-run and
    'msgsvc plan' only read, and take no lock.

    Example:

    \b
        msgsvc apply services.toml
        msgsvc -p production apply services.toml --prune --yes
        msgsvc -p production apply services.plan --yes
    """
    from msgsvc.cli import output
    from msgsvc.setup import apply as setup_apply, saved_format

    if dry_run and (fields is not None or jq is not None):  # they choose from results, and a dry run has none
        raise UsageError(f"{'--fields' if fields is not None else '--jq'} is for apply's results; --dry-run shows the plan",
                         hint="the plan as JSON: msgsvc plan FILE --json")
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=setup_apply.RESULT_FIELDS, jq=jq, quiet=quiet)
    if lock_timeout > MAX_LOCK_WAIT:
        raise UsageError("--lock-timeout must be at most 30 days (720h)")
    desired, _ = _load(state, file)
    if dry_run:  # only reads: no lock, as plan takes none
        return _apply(state, desired, prune=prune, allow_empty=allow_empty, force=force, move=move_from_unmanaged,
                      yes=yes, dry_run=True, concurrency=concurrency)
    with _apply_lock(state, lock_timeout):
        _apply(state, desired, prune=prune, allow_empty=allow_empty, force=force, move=move_from_unmanaged,
               yes=yes, dry_run=False, concurrency=concurrency)


MAX_LOCK_WAIT = 30 * 86400  # seconds, as a wait's longest (cli.options.MAX_WAIT)


def _apply_lock(state, wait: float):
    """The apply lock of the account and API this run's client talks to (msgsvc/local/locks.py),
    said once on stderr while it waits for another apply."""
    from msgsvc.cli import journal, output
    from msgsvc.local import locks

    client = state.client()  # no credentials: the command's own error, before any lock

    def waiting(holder) -> None:
        who = f"another msgsvc apply (pid {holder['pid']})" if holder else "another msgsvc apply"
        from msgsvc.api.a2p import format_duration

        output.note(state.term, f"Waiting for {who} of account {client.account_sid} to finish "
                                f"(--lock-timeout {format_duration(wait)})...")

    return locks.apply_lock(client.account_sid, journal.api(client), wait=wait, waiting=waiting)


def _apply(state, desired, *, prune: bool, allow_empty: bool, force: bool, move: bool, yes: bool, dry_run: bool,
           concurrency: int) -> None:
    """apply's work once its lock is held (or, for --dry-run, without one)."""
    from msgsvc.cli import output
    from msgsvc.setup import apply as setup_apply, saved_format

    term = state.term
    move_from_unmanaged = move
    from msgsvc.cli import journal

    journal.check(state, concurrency=concurrency)
    if isinstance(desired, saved_format.SavedPlan):
        plan = desired
        result = _saved_plan(state, plan, given={"prune": prune, "allow_empty": allow_empty,
                                                 "move_from_unmanaged": move_from_unmanaged}, concurrency=concurrency)
        name = plan.setup_name  # the plan's warnings name lines of its setup file
        nothing = f"No changes: {plan.name} has none to apply."
        again = (f"the account has changed, so {plan.name} is stale now: make the plan again "
                 f"({plan.again()}) and apply that")
    else:
        name = desired.name
        nothing = f"No changes: the account matches {name}."
        again = "run the same apply again to finish: it plans against what the account has become"
        result = _plan(state, desired, prune=prune, move=move_from_unmanaged, concurrency=concurrency,
                       allow_empty=allow_empty)
    if dry_run:
        _show_plan(term, name, result, as_json=state.json)
        return
    guarded = [a for a in result.services if a.action == "delete" and a.a2p]
    if guarded and not force:
        first = guarded[0].service
        more = f" (and {len(guarded) - 1} more)" if len(guarded) > 1 else ""
        raise UsageError(A2P_WARNING.format(sid=first.sid, name=first.name) + more,
                         hint="nothing was sent; if that is really what you want, add --force")
    if result.empty:
        output.note(term, nothing)
        if state.json:
            output.emit_json(term, [])
        return
    ask = consent(state, yes, "apply", dry_run=False)
    if not yes or not term.quiet:  # -q --yes: nothing but the results; a question shows what it asks about
        _show_plan(term, name, result, as_json=False, to_stderr=True)
    count = sum(result.counts().values())
    ask(f"Apply {'this change' if count == 1 else f'these {count} changes'} to the account?")
    book = journal.journal(state)
    applier = setup_apply.Applier(state.client(), concurrency=concurrency, progress=_progress(term),
                                  note=library_note(term), force=force, journal=book)
    results, terminated = run(lambda: applier.run(result))
    _remember_services(state, results)
    _remember_senders(state, result.in_order(), results)
    from msgsvc.jobs import changes

    if isinstance(desired, saved_format.SavedPlan) and all(r.status == changes.NOT_SENT for r in results):
        typed = "-" if plan.name == "standard input" else as_typed(plan.name)
        again = f"nothing was sent, so {plan.name} still applies as it is: msgsvc apply {typed}"
    finish(state, [r.record() for r in results], setup_apply.RESULT_COLUMNS, summary=changes.summary(results),
           failed=any(r.undone for r in results), stopped_by=applier.stopped_by,
           interrupted=applier.interrupted, terminated=terminated, left="changes",
           again=again, reported=book.clear)
