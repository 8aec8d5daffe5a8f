"""msgsvc messages: one message (see it, follow it, cancel it), and a service's failures."""

from typing import Annotated

import typer

from msgsvc.api.messages import KEYS
from msgsvc.cli.follow import DEFAULT_TIMEOUT, duration
from msgsvc.cli.options import FieldsOpt, JqOpt, JsonOpt, ProfileOpt, QuietOpt, use

app = typer.Typer(
    help="Messages: see one, follow it until it settles, cancel a scheduled one; a service's failures.\n\n"
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
WaitOpt = Annotated[bool, typer.Option("--wait", help="Follow the message until it settles: each status, the sender, segments, price, and why it failed.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", metavar="DURATION", parser=duration,
                                           help="How long --wait waits: 90s, 10m, 1h (at most 24h).")]


@app.command("get")
def messages_get(ctx: typer.Context, sid: MessageArg, wait: WaitOpt = False,
                 timeout: TimeoutOpt = DEFAULT_TIMEOUT,  # type: ignore[assignment]
                 fields: FieldsOpt = None, jq: JqOpt = None, json_: JsonOpt = False, quiet: QuietOpt = False,
                 profile: ProfileOpt = None) -> None:
    """Show a message: status, the sender Twilio picked (from), segments, price, error code.

    For a failed message, its error's known cause and the command that addresses it (exit
    1). --wait follows it until it settles, as 'msgsvc send --wait' does: exit 0 delivered
    (or still sent when --timeout runs out: no delivery receipt came), 1 failed or
    undelivered, 5 timed out.

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
    """Cancel a scheduled message (one sent with --schedule that is not due yet); print it.

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
