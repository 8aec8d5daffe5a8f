"""The run's Terminal (msgsvc/cli/terminal.py): the only module that touches the process's
streams; tests build a fake one instead of patching, so that table layout is checked in-process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import OTHER_SID, SERVICE_SID, page, service
from test_senders import PN2, expect_listing, number

from msgsvc.cli.terminal import Terminal

PACKAGE = Path(__file__).resolve().parents[1] / "msgsvc"
STREAMS = re.compile(r"\bsys\.(stdin|stdout|stderr|__stdin__|__stdout__|__stderr__)\b|\bisatty\b")


def test_only_terminal_py_touches_the_process_streams():
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py")) if path.name != "terminal.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if STREAMS.search(line)
    ]
    assert found == []


def test_the_stream_check_can_fail():
    assert STREAMS.search("print(x, file=sys.stderr)") and STREAMS.search("sys.stdin.isatty()")
    assert STREAMS.search((PACKAGE / "cli" / "terminal.py").read_text(encoding="utf-8"))


LONG_NAME = "A rather long friendly name that will need to wrap in a narrow terminal"

# In 80 columns (NO_COLOR; no colour on a fake terminal): nothing is folded; the friendly
# name is cut with an ellipsis; CREATED is hidden (said once on stderr); capabilities wrap
# between items.
SERVICES_80 = (
    "SID                                 FRIENDLY NAME           USECASE        A2P\n"
    "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  A rather long friendl…  notifications  false\n"
    "MGbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb  Second                  marketing      false\n"
)
NUMBERS_80 = (
    "SID                                 PHONE NUMBER   COUNTRY  CAPABILITIES\n"
    "PN11111111111111111111111111111111  +15017122661   US       SMS, MMS\n"
    "PN22222222222222222222222222222222  +447700900123  US       SMS, MMS, Voice, Fax\n"
)


def test_services_list_table_in_80_columns(msgsvc, profile, httpserver):
    services = [service(name=LONG_NAME, usecase="notifications"), service(OTHER_SID, "Second")]
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=50").respond_with_json(page("services", services))
    result = msgsvc("services", "list", tty=True, width=80)
    assert (result.code, result.err, result.out) == (0, "", SERVICES_80)  # CREATED alone hidden: no note
    assert max(len(line) for line in result.out.splitlines()) == 80


def test_numbers_list_table_in_80_columns(msgsvc, profile, httpserver):
    many = number(PN2, "+447700900123")
    many["capabilities"] = ["SMS", "MMS", "Voice", "Fax"]
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number(), many], query="PageSize=50")
    result = msgsvc("numbers", "list", SERVICE_SID, tty=True, width=80)
    assert (result.code, result.err, result.out) == (0, "", NUMBERS_80)


def test_the_same_list_in_a_pipe_is_tab_separated(msgsvc, profile, httpserver):
    expect_listing(httpserver, "PhoneNumbers", "phone_numbers", [number()], query="PageSize=50")
    result = msgsvc("numbers", "list", SERVICE_SID, tty=False, width=80)
    assert result.out == f"{number()['sid']}\t+15017122661\tUS\tSMS,MMS\t2015-07-30T20:12:31Z\n"


def test_a_fake_terminal_captures_bytes_and_reads_its_stdin():
    term = Terminal.fake(tty=True, stdin="y\n")
    term.stdout.write("é\n")
    term.stdout.buffer.write(b"raw\n")
    term.stderr.write("note\n")
    assert term.out_bytes == "é\nraw\n".encode() and term.err == "note\n"
    assert term.stdin.readline() == "y\n"
    assert (term.stdout_tty, term.stdin_tty, term.stderr_tty, term.width) == (True, False, False, 80)


def test_the_console_follows_the_terminal():
    term = Terminal.fake(tty=True, width=33)
    console = term.console()
    assert (console.width, console.is_terminal, console.color_system, console.file) == (33, True, None, term.stdout)
    err = term.console(stderr=True)
    assert (err.is_terminal, err.file) == (False, term.stderr)


@pytest.mark.parametrize("text, shown", [
    ("token s3cr3t-token in a message", "token *** in a message"),
    ("short abc stays", "short abc stays"),  # not a real token: would mangle every message
])
def test_redact(text, shown):
    term = Terminal.fake()
    term.secrets |= {"s3cr3t-token", "abc", ""}
    assert term.redact(text) == shown


def test_escape_keeps_one_record_on_one_line():
    assert Terminal.fake().escape("a\tb\r\nc") == "a\\tb\\r\\nc"


def test_a_run_writes_only_to_its_terminal(msgsvc, capsys):
    from msgsvc import __version__

    result = msgsvc("--version")
    assert (result.code, result.out, result.err) == (0, f"msgsvc {__version__}\n", "")
    result = msgsvc("services", "list", "--limit", "0")
    assert result.code == 2 and "msgsvc: " in result.err and result.out == ""
    assert capsys.readouterr() == ("", "")
