"""msgsvc messages: one message (see it, follow it, cancel it), and a service's failures."""

from typing import Annotated, List

import typer

from msgsvc.cli.complete import complete_services
from msgsvc.api.messages import KEYS
from msgsvc.cli.follow import DEFAULT_TIMEOUT, duration, duration_parser
from msgsvc.cli.options import DEFAULT_CONCURRENCY, ConcurrencyOpt, JqOpt, JsonOpt, ProfileOpt, QuietOpt, fields_option, use

app = typer.Typer(
    help="Messages: see, follow, cancel; failures.\n\nSee one message, follow it until it settles, cancel a scheduled one; a service's failures.\n\n"
    "Example:\n\n\b\n"
    "    msgsvc messages get SM0123456789abcdef0123456789abcdef --wait\n"
    "    msgsvc messages failures Alerts --since 24h",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _check_message(value: str) -> str:
    from msgsvc.api import validate

    try:
        return validate.sid(value, "SM")
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


MessageArg = Annotated[str, typer.Argument(metavar="SID", help="An SM... message SID.", callback=_check_message,
                                           show_default=False)]
MessageFieldsOpt = fields_option(KEYS)
WaitOpt = Annotated[bool, typer.Option("--wait", help="Follow the message until it settles: each status, the sender, segments, price, and why it failed.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", metavar="DURATION", parser=duration,
                                           help="How long --wait waits: 90s, 10m, 1h (at most 24h).")]


@app.command("get")
def messages_get(ctx: typer.Context, sid: MessageArg, wait: WaitOpt = False,
                 timeout: TimeoutOpt = DEFAULT_TIMEOUT,  # type: ignore[assignment]
                 fields: MessageFieldsOpt = None, jq: JqOpt = None, json_: JsonOpt = False, quiet: QuietOpt = False,
                 profile: ProfileOpt = None) -> None:
    """Show a message: status, sender, error code.

    The sender is the one Twilio picked (from); segments too.

    For a failed message, its error's known cause and the command that addresses it (exit
    1). --wait follows it until it settles, as 'msgsvc send --wait' does: exit 0 delivered
    or read (or still sent when --timeout runs out: no delivery receipt came), 1 failed,
    undelivered or canceled, 5 timed out.

    Example:

    \b
        msgsvc messages get SM0123456789abcdef0123456789abcdef
        msgsvc messages get SM0123456789abcdef0123456789abcdef --wait --timeout 5m
    """
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=KEYS, jq=jq, quiet=quiet)
    from msgsvc.api.messages import fetch_message
    from msgsvc.cli.follow import ending, follow, show

    client = state.client()
    message = fetch_message(client, sid)
    if wait:
        follow(state, client, message, timeout)
        return
    show(state, message)
    ending(message)


@app.command("cancel")
def messages_cancel(ctx: typer.Context, sid: MessageArg, json_: JsonOpt = False, quiet: QuietOpt = False,
                    profile: ProfileOpt = None) -> None:
    """Cancel a scheduled message; print it.

    One sent with --schedule that is not due yet.

    Only a scheduled message can be canceled: Twilio refuses the rest (exit 1).

    Example:

    \b
        msgsvc messages cancel SM0123456789abcdef0123456789abcdef
    """
    state = use(ctx, json_=json_, profile=profile, quiet=quiet)
    from msgsvc.cli.follow import show
    from msgsvc.cli.options import outcome_unknown_hint
    from msgsvc.cli.output import note
    from msgsvc.jobs.send import cancel_message

    with outcome_unknown_hint(f"the message may or may not have been canceled; check with: msgsvc messages get {sid}"):
        message = cancel_message(state.client(), sid)
    show(state, message)
    note(state.term, f"Canceled message {sid}")


MAX_SINCE = 400 * 86400  # Twilio keeps messages 400 days
# --since: 7d, 24h, 30m, 1h30m (as doctor's --since reads it), more than 0 and at most 400 days.
_since = duration_parser(MAX_SINCE, "400d (Twilio keeps messages 400 days)", days=True)


@app.command("failures")
def messages_failures(
    ctx: typer.Context,
    services: Annotated[List[str], typer.Argument(metavar="SERVICE...", help="MG... service SIDs or exact friendly names.",
                                                  autocompletion=complete_services, show_default=False)],
    since: Annotated[float, typer.Option("--since", metavar="DURATION", parser=_since,
                                         help="How far back: 30m, 24h, 7d (at most 400d).")] = "24h",  # type: ignore[assignment]
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Failed and undelivered messages of services.

    Grouped by error code, country and sender.

    One line per group: the service, the error code, the destination country, the sender
    (from), how many, and three sample SIDs (what Twilio support asks for); most first. It
    also warns of outbound messages from the services' numbers sent without the service
    (From instead of MessagingServiceSid: unregistered traffic). --json gives both lists.

    No API filters messages by service. msgsvc reads the first page of the account's
    messages since then (one request); when it holds the whole window, that is all. If not,
    it estimates from that page's rate how many pages the whole window takes, and reads
    whichever costs fewer requests: the account-wide listing by DateSent, or one listing per
    sender filtered by From (concurrently, --concurrency at once, a progress bar on a
    terminal). At most 500 pages (500,000 messages) in all.

    Example:

    \b
        msgsvc messages failures Alerts --since 24h
        msgsvc messages failures Alerts OTP --since 1h --json |
            jq '.failures[] | select(.error_code == 30034)'
    """
    state = use(ctx, json_=json_, profile=profile, quiet=quiet)
    import time

    from msgsvc.api.a2p import format_duration
    from msgsvc.api.messages import FAILURE_COLUMNS
    from msgsvc.api.resources import KEEP, Column
    from msgsvc.cli.output import emit_json, emit_records, note, progress, remark
    from msgsvc.jobs.failures import PER_SENDER, collect, service_senders
    from msgsvc.jobs.resolve import resolve_service

    client = state.client()
    sids = list(dict.fromkeys(resolve_service(client, ref) for ref in services))
    senders = {sid: service_senders(client, sid) for sid in sids}
    now = time.time()
    report = collect(client, senders, since=now - since, now=now, concurrency=concurrency,
                     progress=lambda label, total: progress(state.term, label, total))
    failures = [g.record() for g in report.failures]
    without = [g.record() for g in report.without_service]
    if state.json:
        emit_json(state.term, {"failures": failures, "without_service": without,
                               "read": {"strategy": report.strategy, "requests": report.requests,
                                        "messages": report.messages, "senders": report.senders}})
        return  # the warning and the summary are in the document
    emit_records(state.term, failures, (Column("SERVICE", "service", fit=KEEP), *FAILURE_COLUMNS), as_json=False)
    for group in report.without_service:
        remark(state.term, f"warning: {group.count} message{'' if group.count == 1 else 's'} from {group.sender} of {group.service} "
                           f"went out without the service (From, not MessagingServiceSid: unregistered traffic), "
                           f"e.g. {', '.join(group.samples)}")
    how = (f"one listing per sender ({report.senders}), cheaper than the account's messages at their rate"
           if report.strategy == PER_SENDER else f"the account's messages by DateSent, cheaper than {report.senders} per-sender listing{'' if report.senders == 1 else 's'}")
    total = sum(g.count for g in report.failures)
    note(state.term, f"{total} failed or undelivered in {report.messages} message{'' if report.messages == 1 else 's'} sent in the last {format_duration(since)}; "
                     f"read in {report.requests} request{'' if report.requests == 1 else 's'}: {how}")
