"""Following a message (`send --wait`, `messages get --wait`) and saying how it ended: a line
on stderr for each status change (the sender Twilio picked, segments, price), the message on
stdout, and for an error its code, its known cause and the msgsvc command that addresses it.

Exit status: 0 delivered or read (or sent when the time runs out: no delivery receipt came);
1 failed, undelivered or canceled; 5 when the time ran out first, as `campaigns wait`.
"""

from __future__ import annotations

from typing import Any

from msgsvc.errors import ExitCode, MsgsvcError

DEFAULT_TIMEOUT = "10m"


class MessageFailed(MsgsvcError):
    """The message ended failed, undelivered or canceled: exit 1."""


class MessageTimedOut(MsgsvcError):
    """The message had not settled when the time ran out: exit 5."""

    exit_code = ExitCode.WAIT_TIMEOUT


def status_line(message: dict, elapsed: float) -> str:
    """`   2s  SM...  sent  from +15550000001  1 segment  price -0.00790 USD`."""
    from msgsvc.api.a2p import format_duration

    parts = [f"{format_duration(elapsed):>6}", str(message.get("sid")), str(message.get("status"))]
    if message.get("from"):
        parts.append(f"from {message['from']}")
    segments = message.get("num_segments")
    if segments not in (None, "", "0"):
        parts.append(f"{segments} segment{'' if str(segments) == '1' else 's'}")
    if message.get("price") not in (None, ""):
        parts.append(f"price {message['price']} {message.get('price_unit') or ''}".rstrip())
    if message.get("error_code"):
        parts.append(f"error {message['error_code']}")
    return "  ".join(parts)


def ending(message: dict) -> None:
    """Raise MessageFailed for a message that failed (its error explained); None otherwise."""
    from msgsvc.api.messages import explain, outcome

    if outcome(message) != "failed":
        return
    from msgsvc.api.validate import sid_to_paste

    sid, status, code = message.get("sid"), message.get("status"), message.get("error_code")
    service = sid_to_paste(message.get("messaging_service_sid"), "MG", placeholder="SERVICE")  # the remedy's command
    if not code:
        raise MessageFailed(f"message {sid} is {status}")
    known = explain(code, service)
    text = message.get("error_message")
    if known is None:
        said = f": {text}" if text else ""
        raise MessageFailed(f"message {sid} is {status}: error {code}{said}",
                            hint=f"see https://www.twilio.com/docs/api/errors/{code}")
    cause, remedy = known
    raise MessageFailed(f"message {sid} is {status}: error {code}, {cause}", hint=remedy)


def show(state: Any, message: dict) -> None:
    from msgsvc.cli.output import emit_record

    emit_record(state.term, message, as_json=state.json, fields=state.fields, jq=state.jq, skip=("subresource_uris",))


def follow(state: Any, client: Any, message: dict, timeout: float) -> None:
    """Wait for the message to settle, a line on stderr per status change; print it; end as
    the module docstring says."""
    from msgsvc.api.messages import SENT, StillWaiting, fetch_message, wait_for_message
    from msgsvc.api.a2p import format_duration
    from msgsvc.cli.output import note

    from msgsvc.api.validate import sid_to_paste

    sid = message["sid"]
    pasted = sid_to_paste(sid, "SM")  # what the hints' commands name: a server's sid only when it is one
    first = [message]

    def fetch() -> dict:
        return first.pop() if first else fetch_message(client, sid)

    try:
        final = wait_for_message(fetch, timeout=timeout, on_change=lambda m, elapsed: note(state.term, status_line(m, elapsed)))
    except KeyboardInterrupt:  # the message is Twilio's now: only the waiting stops
        from msgsvc.errors import Interrupted

        raise Interrupted(f"interrupted while waiting: message {sid} was sent and goes on without msgsvc",
                          hint=f"follow it again with: msgsvc messages get {pasted} --wait") from None
    except StillWaiting as waiting:
        last = waiting.message
        if last.get("status") == SENT:
            show(state, last)
            note(state.term, f"Message {sid} is sent; no delivery receipt came within {format_duration(timeout)} "
                             "(some carriers send none)")
            return
        raise MessageTimedOut(f"message {sid} is still {last.get('status')} after {format_duration(timeout)}",
                              hint=f"wait longer: msgsvc messages get {pasted} --wait --timeout 1h") from None
    show(state, final)
    ending(final)


def duration_parser(maximum: float, shown: str, *, days: bool = False) -> Any:
    """The parser of a DURATION option (`90s`, `10m`, `1h30m`, as `campaigns wait` reads them;
    `7d` too with `days`, as a --since reads it): seconds, more than 0 and at most `maximum`
    (`shown`: that maximum for people)."""

    def parse(value: Any) -> float:
        import typer

        from msgsvc.api.a2p import parse_duration, parse_look_back

        if isinstance(value, float):
            return value
        try:
            seconds = (parse_look_back if days else parse_duration)(str(value))
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        if not 0 < seconds <= maximum:
            raise typer.BadParameter(f"{value!r} is not between 0s and {shown}")
        return seconds

    return parse


duration = duration_parser(24 * 3600, "24h")  # --timeout of a wait (api.messages.MAX_WAIT)
