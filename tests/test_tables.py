"""Tables at 60, 80, 120 and 200 columns, for every list and object view: no cell folded
inside a word; SIDs, E.164 numbers, short codes, enum values, booleans and timestamps never
cut; free text cut with an ellipsis (word-wrapped in the object view); columns hidden in the
declared order, said once on stderr. Long names, wide Unicode (CJK, emoji), longest enums."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from msgsvc.cli import layout, output
from msgsvc.cli.commands.profiles import PROFILE_COLUMNS, SHOW_COLUMNS
from msgsvc.jobs.changes import RESULT_COLUMNS
from msgsvc.api.resources import KEEP, SERVICE, TRUNCATE, WRAP, Column
from msgsvc.api.senders import KINDS
from msgsvc.cli.terminal import Terminal

WIDTHS = (60, 80, 120, 200)


def hidden_note(width: int, *headers: str) -> str:
    """The note after a table that hid columns a person may need, naming them."""
    return f"{', '.join(headers)} hidden at {width} columns; widen the terminal, or use --fields or --json\n"

WHEN = "2026-11-29T11:27:04Z"
SHORT = "2026-11-29 11:27"
LONG = "A rather long friendly name for the marketing notifications of the spring campaign"
CJK = "短信服务通知短信服务通知短信服务通知 📨📨📨 emoji 🎉"


def sid(prefix: str, n: int) -> str:
    return f"{prefix}{n:032x}"


def record_for(columns, n: int) -> dict:
    """A record with the widest values each column may meet."""
    values = {
        "sid": sid("MG", n), "friendly_name": LONG if n % 2 else CJK, "usecase": "notifications",
        "us_app_to_person_registered": bool(n % 2), "date_created": WHEN, "phone_number": "+447700900123",
        "country_code": "GB", "capabilities": ["SMS", "MMS", "Voice", "Fax"], "short_code": "55501",
        "alpha_sender": "MyCompany12", "sender": "whatsapp:+15550001234", "sender_type": "WhatsApp",
        "iso_country_code": "GB", "input": "+15559999999", "status": "already attached", "code": 21712,
        "message": "The phone number is already associated with another Messaging Service: Marketing (MG…)",
        "active_mark": "*", "name": "production-eu", "account_sid": sid("AC", n), "auth": f"api key {sid('SK', n)}",
        "region": "ie1", "edge": "dublin", "base_url": "https://messaging.dublin.ie1.twilio.com/a/long/path",
        "storage": "keyring",
        "setting": "base_url", "value": "http://127.0.0.1:8080/a/long/path/to/an/emulator", "source": "env MSGSVC_BASE_URL",
    }
    return {c.key: values[c.key] for c in columns}


TABLES = {
    "services": SERVICE.columns,
    **{kind.noun: kind.columns for kind in KINDS},
    "results": RESULT_COLUMNS,
    "profiles": PROFILE_COLUMNS,
    "profiles show": SHOW_COLUMNS,
}


def render(columns, records, width):
    term = Terminal.fake(tty=True, width=width)
    output.emit_records(term, records, columns, as_json=False)
    return term.out, term.err


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", TABLES)
def test_every_table_fits_and_cuts_nothing_it_must_not(name, width):
    columns = TABLES[name]
    records = [record_for(columns, 1), record_for(columns, 2)]
    out, err = render(columns, records, width)
    lines = out.splitlines()
    header = lines[0]
    shown = [c for c in columns if c.header in header]
    assert all(cell_len(line) <= width for line in lines), out
    missed = [c.header for c in columns if c not in shown and not c.spare]  # CREATED, a result's SID: no note
    assert err == (hidden_note(width, *missed) if missed else "")
    # Hidden in the declared order: a column is hidden only if every one dropped before it is.
    hidden = [c for c in columns if c not in shown]
    assert all(c.drop for c in hidden)
    assert all(c.drop <= min(h.drop for h in hidden) for c in shown if c.drop) if hidden else True
    for record in records:
        for column in shown:
            text = output._table_cell(Terminal.fake(), column, record[column.key])
            if column.timestamp:
                assert text == SHORT
            if column.fit == KEEP:
                assert sum(text in line for line in lines) >= 1, (column, text, out)
            elif column.fit == WRAP and isinstance(record[column.key], list):
                for item in record[column.key]:
                    assert any(f" {item}" in line or f"{item}," in line for line in lines), (item, out)
            elif column.fit == WRAP:  # a sentence: every word whole, on some line
                for word in record[column.key].split():
                    assert any(word in line for line in lines), (word, out)
    assert not any(line.startswith(" ") for line in lines[1:]) or any(c.fit == WRAP for c in shown)


@pytest.mark.parametrize("width", WIDTHS)
def test_free_text_is_cut_with_an_ellipsis_never_folded(width):
    out, _ = render(SERVICE.columns, [record_for(SERVICE.columns, 1), record_for(SERVICE.columns, 2)], width)
    lines = out.splitlines()
    assert len(lines) == 3  # one line per service: nothing folded
    name = [line.split("  ")[1].rstrip() for line in lines[1:]]
    if width >= 200:
        assert name[0] == LONG and name[1].strip() == CJK
    else:
        assert name[0].endswith("…") and LONG.startswith(name[0][:-1])
        assert name[1].rstrip().endswith("…") and CJK.startswith(name[1].rstrip()[:-1].rstrip())


def test_services_at_each_width_exactly():
    records = [record_for(SERVICE.columns, 1)]
    expected = {
        60: ["SID                                 FRIENDLY NAME",
             f"{sid('MG', 1)}  A rather long friendly…"],
        80: ["SID                                 FRIENDLY NAME            USECASE        A2P",
             f"{sid('MG', 1)}  A rather long friendly…  notifications  true"],
        120: ["SID                                 FRIENDLY NAME                                  USECASE        A2P   CREATED",
              f"{sid('MG', 1)}  A rather long friendly name for the marketin…  notifications  true  {SHORT}"],
        200: ["SID                                 FRIENDLY NAME" + " " * (len(LONG) - 13) + "  USECASE        A2P   CREATED",
              f"{sid('MG', 1)}  {LONG}  notifications  true  {SHORT}"],
    }
    for width, lines in expected.items():
        out, err = render(SERVICE.columns, records, width)
        assert out.splitlines() == lines, width
        # CREATED alone hidden (at 80) is no loss worth a note; USECASE and A2P are (at 60).
        assert err == (hidden_note(60, "USECASE", "A2P") if width == 60 else "")


def test_wide_unicode_is_measured_in_cells():
    out, _ = render((Column("NAME", "name"), Column("SID", "sid", fit=KEEP)),
                    [{"name": "短信📨", "sid": sid("MG", 1)}, {"name": "ab", "sid": sid("MG", 2)}], 80)
    assert out.splitlines() == ["NAME    SID", f"短信📨  {sid('MG', 1)}", f"ab      {sid('MG', 2)}"]


def test_capabilities_wrap_between_items_when_they_must():
    columns = (Column("SID", "sid", fit=KEEP), Column("CAPABILITIES", "capabilities", fit=WRAP))
    out, _ = render(columns, [{"sid": sid("PN", 1), "capabilities": ["SMS", "MMS", "Voice", "Fax"]}], 50)
    assert out.splitlines() == [f"{'SID':34}  CAPABILITIES", f"{sid('PN', 1)}  SMS, MMS,", f"{'':34}  Voice, Fax"]


def test_keep_columns_are_never_cut_even_when_nothing_else_fits():
    columns = (Column("SID", "sid", fit=KEEP), Column("OTHER", "other_sid", fit=KEEP))
    out, err = render(columns, [{"sid": sid("MG", 1), "other_sid": sid("PN", 1)}], 60)
    assert out.splitlines()[1] == f"{sid('MG', 1)}  {sid('PN', 1)}"  # wider than 60: the terminal wraps it
    assert err == ""


@pytest.mark.parametrize("width", WIDTHS)
def test_the_object_view_wraps_at_word_boundaries(width):
    record = {"sid": sid("MG", 1), "friendly_name": LONG, "date_created": WHEN,
              "inbound_request_url": "https://example.com/" + "a" * 70, "usecase": "notifications",
              "use_inbound_webhook_on_number": False}
    term = Terminal.fake(tty=True, width=width)
    output.emit_record(term, record, as_json=False)
    lines = term.out.splitlines()
    assert lines[0].split() == ["FIELD", "VALUE"]
    keys = len("use_inbound_webhook_on_number") + 2
    values = {}
    key = None
    for line in lines[1:]:
        if line[:keys].strip():
            key = line[:keys].strip()
            values[key] = [line[keys:]]
        else:
            values[key].append(line[keys:])
    assert " ".join(values["friendly_name"]) == LONG  # only ever broken at spaces
    assert values["sid"] == [sid("MG", 1)]
    assert values["date_created"] == [SHORT]
    # A URL wider than the room is broken after a '/', never folded by the terminal mid-word;
    # a word with nowhere to break (here 70 a's) stays whole on its own line.
    room = width - keys
    url = "https://example.com/" + "a" * 70
    assert values["inbound_request_url"] == ([url] if len(url) <= room else ["https://example.com/", "a" * 70])
    assert all(cell_len(line) <= width for key, parts in values.items() for line in parts if line != "a" * 70)


def test_timestamps_are_shortened_only_in_tables():
    assert layout.short_time("2026-11-29T11:27:04Z") == SHORT
    assert layout.short_time("Sun, 29 Nov 2026 11:27:04 +0000") == SHORT  # the 2010 API's dates
    assert layout.short_time("2026-11-29T12:27:04+01:00") == SHORT
    assert layout.short_time("not a date") == "not a date"
    term = Terminal.fake(tty=False)
    output.emit_records(term, [{"date_created": WHEN}], (Column("CREATED", "date_created", fit=KEEP, timestamp=True),), as_json=False)
    assert term.out == WHEN + "\n"


def test_a_column_declaration_says_how_it_gives_way():
    with pytest.raises(ValueError):
        Column("X", "x", fit="squash")
    assert Column("X", "x").fit == TRUNCATE
    for columns in TABLES.values():
        for column in columns:
            if column.key == "sid" or column.key.endswith(("_sid", "phone_number", "short_code", "status")) or column.timestamp:
                assert column.fit == KEEP, column


def test_bulk_results_at_80_columns_keep_the_reason_readable():
    # The message is wrapped between words, never cut or hidden: the SID and the CODE give
    # way first, and say nothing (the INPUT names the sender, the reason repeats the code).
    records = [{"input": "+15559999999", "sid": None, "status": "failed", "code": 21712,
                "message": "in service Marketing notifications (21712): Phone Number +15559999999 is already associated "
                           "with another Messaging Service"},
               {"input": "+15550000001", "sid": sid("PN", 1), "status": "would attach", "code": None,
                "message": "POST http://127.0.0.1:8080/v1/Services/MG0123456789abcdef0123456789abcdef/PhoneNumbers "
                           "PhoneNumberSid=PN..."}]
    out, err = render(RESULT_COLUMNS, records, 80)
    assert err == ""
    assert out.splitlines() == [
        "INPUT         STATUS        CODE   MESSAGE",
        "+15559999999  failed        21712  in service Marketing notifications (21712):",
        "                                   Phone Number +15559999999 is already",
        "                                   associated with another Messaging Service",
        "+15550000001  would attach         POST http://127.0.0.1:8080/v1/Services/",
        "                                   MG0123456789abcdef0123456789abcdef/",
        "                                   PhoneNumbers PhoneNumberSid=PN...",
    ]
    out, err = render(RESULT_COLUMNS, records, 160)
    assert err == "" and out.splitlines()[0].split() == ["INPUT", "SID", "STATUS", "CODE", "MESSAGE"]


def test_a_failure_reason_is_read_before_a_sid_is_copied_at_80_columns():
    """Bulk results on a narrow terminal: the short reason leads, the whole message is
    wrapped, and the SID column gives way (the SID stays in TSV and --json)."""
    records = [{"input": "PN" + "c" * 32, "sid": "PN" + "c" * 32, "status": "failed", "code": 21715,
                "message": "no SMS capability (21715): Phone Number +15550000005 has no SMS or MMS capability and "
                           "cannot be added to a Messaging Service"}]
    out, err = render(RESULT_COLUMNS, records, 80)
    assert out.splitlines() == [
        "INPUT                               STATUS  MESSAGE",
        "PNcccccccccccccccccccccccccccccccc  failed  no SMS capability (21715): Phone",
        "                                            Number +15550000005 has no SMS or",
        "                                            MMS capability and cannot be added",
        "                                            to a Messaging Service",
    ]
    assert err == ""
