"""One rule for what names a sender: the command line and a setup file accept and refuse the
same values and spell them the same way, for every sender kind (README, "Senders").

The command line is `msgsvc/cli/sender_commands.py`'s parsing of an argument; the file is
`setup_file.parse_sender` on one entry of a sender list. A file's list holds what attach takes,
and for channel senders also the address that detach and get take (the file finds it among the
account's services)."""

from __future__ import annotations

import re

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

from msgsvc.api.senders import CHANNEL_SENDERS, KINDS, NUMBERS, SHORT_CODES, SenderKind  # noqa: E402
from msgsvc.cli.sender_commands import _parse_one  # noqa: E402
from msgsvc.errors import UsageError  # noqa: E402
from msgsvc.setup.file import parse_sender  # noqa: E402

HEX = "0123456789abcdefABCDEF"
PREFIXES = sorted({k.prefix for k in KINDS} | {"MG", "pn", "Xe"})


def sids() -> st.SearchStrategy[str]:
    return st.builds(lambda p, h: p + h, st.sampled_from(PREFIXES), st.text(HEX, min_size=31, max_size=33))


def numbers() -> st.SearchStrategy[str]:
    return st.builds(lambda plus, digits, sep: plus + sep.join(digits), st.sampled_from(["", "+", " +"]),
                     st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=1, max_size=4),
                     st.sampled_from(["", " ", "-", "."]))


def addresses() -> st.SearchStrategy[str]:
    channel = st.sampled_from(["whatsapp", "messenger", "rcs", "WhatsApp", "RCS", "face-book", "x1", "", "telegram"])
    return st.builds(lambda c, rest: f"{c}:{rest}", channel, st.sampled_from(["+15017122661", "brand_agent", "", " x"]))


VALUES = st.one_of(
    st.text(max_size=14),
    st.text("AZaz09 +-_&!", max_size=13),
    sids(),
    numbers(),
    addresses(),
    st.sampled_from(["", " ", "55501", "+15017122661", "15017122661", "MyCompany", "12345", " MyCo "]),
)


def command_line(kind: SenderKind, value: str, *, attach: bool):
    """The Ref the command line makes of `value`, or the sentence it refuses it with."""
    try:
        return _parse_one(kind, value, attach=attach)
    except UsageError as exc:
        return str(exc.args[0] if exc.args else exc)


def spelled(ref) -> tuple:
    return (ref.sid, ref.sid or (ref.e164 if ref.e164 is not None else ref.text))


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.noun)
@settings(max_examples=300, deadline=None)
@given(value=VALUES)
def test_the_command_line_and_the_file_agree(kind: SenderKind, value: str) -> None:
    attach = command_line(kind, value, attach=True)
    named = command_line(kind, value, attach=False) if kind.by_address else attach
    try:
        sender = parse_sender(kind, value)
    except ValueError as exc:
        assert isinstance(attach, str) and isinstance(named, str), (value, attach, named)
        if not kind.by_address:  # the same sentence (the command line names the value when it does not)
            assert attach.endswith(str(exc)), (attach, str(exc))
        return
    ref = attach if not isinstance(attach, str) else named
    assert not isinstance(ref, str), (value, sender, ref)
    assert (sender.sid, sender.value) == spelled(ref)
    assert sender.country == ("" if kind.country else None)


@pytest.mark.parametrize(("kind", "typed", "stored"), [
    (NUMBERS, "PN0123456789ABCDEF0123456789ABCDEF", "PN0123456789abcdef0123456789abcdef"),
    (NUMBERS, "pn0123456789abcdef0123456789abcdef", "PN0123456789abcdef0123456789abcdef"),
    (SHORT_CODES, "sc0123456789ABCDEF0123456789abcdef", "SC0123456789abcdef0123456789abcdef"),
    (CHANNEL_SENDERS, "Xe0123456789abcdef0123456789ABCDEF", "XE0123456789abcdef0123456789abcdef"),
])
def test_a_sid_is_matched_in_any_case_and_kept_as_twilio_writes_it(kind, typed, stored) -> None:
    assert kind.parse(typed, attach=True).sid == stored
    assert parse_sender(kind, typed).sid == stored
    assert parse_sender(kind, typed).key == parse_sender(kind, stored).key


@pytest.mark.parametrize(("value", "message"), [
    ("whatsapp:+15017122661", None),
    ("messenger:104794531907950", None),
    ("rcs:brand_agent", None),
    ("face-book:123", "'face-book:123' is not a channel sender address: the channel is written in lower-case "
                      "letters without hyphens, such as whatsapp:+15017122661"),
    ("WhatsApp:+15017122661", "'WhatsApp:+15017122661' is not a channel sender address: the channel is written in "
                              "lower-case letters without hyphens, such as whatsapp:+15017122661 (did you mean "
                              "whatsapp:+15017122661?)"),
])
def test_a_channel_address_is_a_lower_case_channel_without_hyphens(value, message) -> None:
    if message is None:
        assert parse_sender(CHANNEL_SENDERS, value).value == value
        assert CHANNEL_SENDERS.parse(value, attach=False).text == value
        return
    with pytest.raises(ValueError) as file_error:
        parse_sender(CHANNEL_SENDERS, value)
    with pytest.raises(ValueError) as cli_error:
        CHANNEL_SENDERS.parse(value, attach=False)
    assert str(file_error.value) == str(cli_error.value) == message


def test_a_number_without_its_plus_gets_the_same_hint_on_both_paths() -> None:
    message = "'15017122661' is not an E.164 number: they begin with '+' (did you mean +15017122661?)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_sender(NUMBERS, "15017122661")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        NUMBERS.parse("15017122661", attach=True)
