"""msgsvc send: send one message through a service (it is billed), and follow it."""

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from msgsvc.api.messages import KEYS, SEND_BY_WIRE
from msgsvc.cli.follow import DEFAULT_TIMEOUT, duration
from msgsvc.cli.options import DryRunOpt, JqOpt, JsonOpt, ProfileOpt, QuietOpt, ServiceArg, YesOpt, as_typed, check, fields_option, invalid, use
from msgsvc.errors import MsgsvcError, UsageError


def _option(wire: str, *names: str, metavar: str, required: bool = False):
    field = SEND_BY_WIRE[wire]
    kind = Optional[List[str]] if field.many else Optional[int] if field.kind == "int" else Optional[str]
    return Annotated[kind, typer.Option(*(names or (field.option,)), metavar=metavar, callback=check(field),
                                        help=field.help + (" Give it once per item." if field.many else ""),
                                        show_default=False)]


ToOpt = Annotated[str, typer.Option("--to", metavar="E.164", callback=check(SEND_BY_WIRE["To"]), show_default=False,
                                    help=SEND_BY_WIRE["To"].help)]
BodyOpt = _option("Body", "--body", metavar="TEXT")
BodyFileOpt = Annotated[Optional[Path], typer.Option("--body-file", metavar="FILE", dir_okay=False, show_default=False,
                                                     help="Read the body from FILE (UTF-8; '-' is standard input).")]
MediaOpt = _option("MediaUrl", metavar="URL")
ContentSidOpt = _option("ContentSid", "--content-sid", metavar="HX...")
ContentVariablesOpt = _option("ContentVariables", "--content-variables", metavar="JSON")
ValidityOpt = _option("ValidityPeriod", "--validity-period", metavar="SECONDS")
ShortenOpt = Annotated[bool, typer.Option("--shorten-urls", help=SEND_BY_WIRE["ShortenUrls"].help)]
ScheduleOpt = Annotated[Optional[str], typer.Option(
    "--schedule", metavar="AT", show_default=False,
    help="Schedule the message for AT, an ISO 8601 time (2026-12-08T09:00:00Z; UTC without an offset), "
         "15 minutes to 35 days ahead; 'msgsvc messages cancel SID' cancels it.")]
MessageFieldsOpt = fields_option(KEYS)
WaitOpt = Annotated[bool, typer.Option("--wait", help="Follow the message until it settles: each status, the sender, segments, price, and why it failed.")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", metavar="DURATION", parser=duration,
                                           help="How long --wait waits: 90s, 10m, 1h (at most 24h).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Send even when a pre-send check finds that the destination will refuse it.")]


def _body(body: str | None, body_file: Path | None, state) -> str | None:
    if body is not None and body_file is not None:
        raise UsageError("give --body or --body-file, not both")
    if body_file is None:
        return body
    try:
        text = state.term.stdin.read() if str(body_file) == "-" else body_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {body_file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{body_file} is not UTF-8 text") from None
    text = text[:-1] if text.endswith("\n") else text
    try:
        return SEND_BY_WIRE["Body"].clean(text)
    except ValueError as exc:
        raise UsageError(f"--body-file {body_file}: {exc}") from None


def send(
    ctx: typer.Context,
    service: ServiceArg,
    to: ToOpt,
    body: BodyOpt = None,
    body_file: BodyFileOpt = None,
    media_url: MediaOpt = None,
    content_sid: ContentSidOpt = None,
    content_variables: ContentVariablesOpt = None,
    validity_period: ValidityOpt = None,
    shorten_urls: ShortenOpt = False,
    schedule: ScheduleOpt = None,
    wait: WaitOpt = False,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,  # type: ignore[assignment]
    force: ForceOpt = False,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    fields: MessageFieldsOpt = None,
    jq: JqOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Send one message through a service; print it.

    MessagingServiceSid: Twilio picks the sender.

    It is billed (Twilio's test credentials do not take a service): on a terminal it says
    what it will send from which account and asks; in a script it needs --yes. Before
    sending it runs the checks of 'msgsvc doctor' that decide this destination (for a US
    number: a verified A2P 10DLC campaign for the service's long codes, approved toll-free
    verifications for its toll-free numbers) and stops with the finding (exit 1) unless
    --force. Give --body, --body-file, --media-url or --content-sid. --dry-run prints the
    request (after the checks) and sends nothing.

    --wait follows it until it is delivered, undelivered, failed, read or canceled: one
    line per status change on stderr; for an error its code, its known cause and the
    command that addresses it. Exit status with --wait: 0 delivered or read (or still sent
    when --timeout runs out: no delivery receipt came), 1 failed, undelivered or canceled,
    5 timed out.

    Example:

    \b
        msgsvc send Alerts --to +14155550100 --body "Test from msgsvc" --wait
        msgsvc send MG0123456789abcdef0123456789abcdef --to +14155550100 \\
            --body-file note.txt --yes
        msgsvc send Alerts --to +14155550100 --body "Reminder" \\
            --schedule 2026-12-08T09:00:00Z
    """
    state = use(ctx, json_=json_, profile=profile, fields=fields, valid=KEYS, jq=jq, quiet=quiet, dry_run=dry_run)
    text = _body(body, body_file, state)
    if content_variables is not None and content_sid is None:
        raise UsageError("--content-variables needs --content-sid")
    from msgsvc.api.messages import MAX_MEDIA

    if media_url and len(media_url) > MAX_MEDIA:
        raise UsageError(f"--media-url is given {len(media_url)} times: a message takes at most {MAX_MEDIA}")
    if not text and not media_url and not content_sid:
        raise UsageError("nothing to send: give --body, --body-file, --media-url or --content-sid")
    values = {"To": to, "Body": text, "MediaUrl": media_url, "ContentSid": content_sid,
              "ContentVariables": content_variables, "ValidityPeriod": validity_period,
              "ShortenUrls": True if shorten_urls else None}
    if schedule is not None:
        from msgsvc.api.messages import schedule_time

        try:
            values.update(SendAt=schedule_time(schedule), ScheduleType="fixed")
        except ValueError as exc:
            raise invalid("--schedule", str(exc)) from None
    from msgsvc.cli.jobs import consent

    ask = consent(state, yes, "send", what="a message (it is billed)")
    from msgsvc.api.messages import send_form
    from msgsvc.cli.follow import follow, show
    from msgsvc.cli.options import outcome_unknown_hint
    from msgsvc.cli.output import note
    from msgsvc.jobs.resolve import resolve_service
    from msgsvc.jobs.send import send_message

    client = state.client()
    sid = resolve_service(client, service)
    name = service if sid != service else str(client.get_service(sid).get("friendly_name") or "")
    if not force:
        _pre_send_checks(client, sid, name, to)
    if state.dry_run:  # the request it would send, and nothing sent (the checks above did run)
        from msgsvc.api.messages import messages_path
        from msgsvc.api.resources import form_dict
        from msgsvc.api.transport import CORE
        from msgsvc.cli.output import emit_plan

        url = client.base(CORE) + messages_path(client.account_sid)
        emit_plan(state.term, [{"method": "POST", "url": url, "form": form_dict(send_form(sid, values))}], as_json=state.json)
        return
    ask(_question(state, client, sid, name, values))
    with outcome_unknown_hint(f"the message may have been sent (and billed): look for it before sending again, "
                              f"e.g. msgsvc messages failures {as_typed(service)} --since 1h, or the Console's messaging logs"):
        message = send_message(client, send_form(sid, values))
    from msgsvc.api.validate import sid_to_paste

    pasted = sid_to_paste(message.get("sid"), "SM")  # what the notes' commands name: a server's sid only when it is one
    if schedule is not None:
        show(state, message)
        if not state.json:
                note(state.term, f"Scheduled message {message.get('sid')} for {values['SendAt']}; "
                             f"cancel it with: msgsvc messages cancel {pasted}")
        return
    if wait:
        follow(state, client, message, timeout)
        return
    show(state, message)
    if not state.json:
        note(state.term, f"Sent message {message.get('sid')}: {message.get('status')}. "
                         f"Follow it with: msgsvc messages get {pasted} --wait")


def _question(state, client, sid: str, name: str, values: dict) -> str:
    from msgsvc.api.messages import segments

    what = "a message"
    if values.get("Body"):
        counted = segments(values["Body"])
        what = f"a message of {counted.count} segment{'' if counted.count == 1 else 's'} ({counted.encoding})"
    if values.get("MediaUrl"):
        what += f" with {len(values['MediaUrl'])} media"
    if values.get("ContentSid"):
        what = f"the content template {values['ContentSid']}"
    profile = state._resolved.profile.value if state._resolved is not None and state._resolved.profile else None
    account = client.account_sid + (f" (profile {profile})" if profile else "")
    when = f", scheduled for {values['SendAt']}" if values.get("SendAt") else ""
    service = f"{sid} ({name})" if name else sid
    return f"Send {what} to {values['To']} through {service}, billed to account {account}{when}?"


class Refused(MsgsvcError):
    """A pre-send check found that the destination will refuse the message: exit 1."""


def _pre_send_checks(client, service_sid: str, name: str, to: str) -> None:
    """The doctor's checks that decide this destination (jobs.doctor.destination); a finding
    stops the send before it is billed (exit 1)."""
    from msgsvc.jobs.doctor.destination import destination_findings
    from msgsvc.jobs.doctor.finding import CHECKS

    findings = destination_findings(client, service_sid, to)
    if not findings:
        return
    lines = tuple(f"  {f.check}: {CHECKS[f.check].title}: {f.evidence_text()}" for f in findings)
    fixes = "; ".join(dict.fromkeys(f.fix for f in findings if f.fix))
    raise Refused(f"not sent: a message to {to} through {service_sid} ({name}) would be refused:",
                  details=lines, hint=(f"{fixes}; " if fixes else "") + "or send anyway with --force")
