"""The account's inventory: `numbers list --account` / `--free`, short codes in `numbers find`,
and `numbers move`, against the emulator (3 numbers, 3 toll-free numbers, 3 short codes):
exact requests, exact output at 80 columns, exit codes."""

from __future__ import annotations

import json

import pytest

from emulator_helpers import EMU_ACCOUNT, checked_emulator, record_requests
from factories import attach, create_service as create

CORE = f"/2010-04-01/Accounts/{EMU_ACCOUNT}"
NUMBERS_PATH = f"{CORE}/IncomingPhoneNumbers.json"
SHORT_CODES_PATH = f"{CORE}/SMS/ShortCodes.json"
PAGE = (("PageSize", "1000"),)  # a whole listing: the largest pages


def listing(path: str) -> tuple:
    return ("GET", path, PAGE, ())


@pytest.fixture
def log(monkeypatch):
    """Every request the emulator answered: (method, path, query items, form items)."""
    return record_requests(monkeypatch, lambda request: (request.method, request.path, tuple(sorted(request.query.items())),
                                                         tuple(sorted(request.form.items()))))


@pytest.fixture
def emu(monkeypatch, log):
    for emu in checked_emulator(numbers=3):
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", emu.account_sid)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", emu.auth_token)
        monkeypatch.setenv("MSGSVC_BASE_URL", emu.base_url)
        monkeypatch.setenv("MSGSVC_MAX_RETRIES", "0")
        yield emu


def pn(emu, number: str) -> str:
    return emu.number(number)["sid"]


def sc(emu, index: int) -> str:
    return emu.sids("short_codes")[index]


@pytest.fixture
def held(emu, log):
    """Alerts holds +15550000001, OTP holds short code 55501; the request log starts empty."""
    alerts, otp = create(emu, "Alerts"), create(emu, "OTP")
    attach(emu, alerts, "PhoneNumbers", PhoneNumberSid=pn(emu, "+15550000001"))
    attach(emu, otp, "ShortCodes", ShortCodeSid=sc(emu, 0))
    log.clear()
    return {"alerts": alerts, "otp": otp}


def services_read(held: dict, *segments: str) -> list[tuple]:
    """The listing of the services and one listing per service and kind."""
    return [listing("/v1/Services"),
            *sorted(listing(f"/v1/Services/{sid}/{segment}") for sid in held.values() for segment in segments)]


# --- numbers list --account / --free -----------------------------------------------------------


def test_the_account_inventory_shows_every_number_and_short_code_and_its_service(msgsvc, emu, held, log):
    result = msgsvc("numbers", "list", "--account", tty=True, width=80)
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "NUMBER        KIND          CAPABILITIES     SERVICE\n"
        "+15550000001  phone number  MMS, SMS, Voice  Alerts\n"
        "+15550000002  phone number  MMS, SMS, Voice\n"
        "+15550000003  phone number  MMS, SMS\n"
        "+18005550100  phone number  MMS, SMS, Voice\n"
        "+18885550101  phone number  MMS, SMS, Voice\n"
        "+18445550102  phone number  MMS, SMS, Voice\n"
        "55501         short code    SMS, MMS         OTP\n"
        "55502         short code\n"
        "55503         short code\n")
    assert max(len(line) for line in result.out.splitlines()) <= 80
    # The account's two lists, then the services and each one's numbers and short codes.
    assert log[:2] == [listing(NUMBERS_PATH), listing(SHORT_CODES_PATH)]
    assert sorted(log[2:]) == services_read(held, "PhoneNumbers", "ShortCodes")


def test_the_inventory_in_a_pipe_and_as_json(msgsvc, emu, held):
    result = msgsvc("numbers", "list", "--account")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == f"+15550000001\tphone number\t{pn(emu, '+15550000001')}\tMMS,SMS,Voice\t{held['alerts']}\tAlerts"
    assert lines[2] == f"+15550000003\tphone number\t{pn(emu, '+15550000003')}\tMMS,SMS\t\t"
    assert lines[6] == f"55501\tshort code\t{sc(emu, 0)}\tSMS,MMS\t{held['otp']}\tOTP"
    assert lines[7] == f"55502\tshort code\t{sc(emu, 1)}\t\t\t"
    assert len(lines) == 9
    data = json.loads(msgsvc("numbers", "list", "--account", "--json").out)
    assert data[0] == {"number": "+15550000001", "kind": "phone number", "sid": pn(emu, "+15550000001"),
                       "capabilities": ["MMS", "SMS", "Voice"], "service_sid": held["alerts"],
                       "service_name": "Alerts"}
    assert data[8] == {"number": "55503", "kind": "short code", "sid": sc(emu, 2), "capabilities": None,
                       "service_sid": None, "service_name": None}
    result = msgsvc("numbers", "list", "--account", "--fields", "number,service_name", "--limit", "2")
    assert (result.code, result.out, result.err) == (0, "+15550000001\tAlerts\n+15550000002\t\n", "")
    result = msgsvc("numbers", "list", "--free", "--jq", '[.[] | select(.kind == "short code") | .number] | join(" ")')
    assert (result.code, result.out) == (0, "55502 55503\n")
    result = msgsvc("numbers", "list", "--account", "--fields", "nope")
    assert result.code == 2 and "service_name" in result.err


def test_free_shows_only_what_no_service_holds(msgsvc, emu, held):
    result = msgsvc("numbers", "list", "--free", tty=True, width=80, stderr_tty=True)
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "NUMBER        KIND          CAPABILITIES     SERVICE\n"
        "+15550000002  phone number  MMS, SMS, Voice\n"
        "+15550000003  phone number  MMS, SMS\n"
        "+18005550100  phone number  MMS, SMS, Voice\n"
        "+18885550101  phone number  MMS, SMS, Voice\n"
        "+18445550102  phone number  MMS, SMS, Voice\n"
        "55502         short code\n"
        "55503         short code\n")
    result = msgsvc("numbers", "list", "--free", "--limit", "2", tty=True, width=80)
    assert result.out.count("\n") == 3
    assert result.err == "Showing 2 numbers; there are more: --all or --limit N\n"


def test_an_account_without_short_codes_reads_no_service_short_codes(msgsvc, emu, log):
    alerts = create(emu, "Alerts")
    with emu.store.lock:
        emu.store.data["short_codes"].clear()
    log.clear()
    result = msgsvc("numbers", "list", "--account")
    assert result.code == 0 and len(result.out.splitlines()) == 6
    assert log == [listing(NUMBERS_PATH), listing(SHORT_CODES_PATH), listing("/v1/Services"),
                   listing(f"/v1/Services/{alerts}/PhoneNumbers")]


def test_every_number_in_a_service_leaves_free_empty(msgsvc, emu):
    with emu.store.lock:
        emu.store.data["short_codes"].clear()
        emu.store.data["numbers"].clear()
    result = msgsvc("numbers", "list", "--free", tty=True, width=80)
    assert (result.code, result.out, result.err) == (0, "", "Every number and short code of the account is in a service.\n")
    result = msgsvc("numbers", "list", "--account", tty=True, width=80)
    assert (result.code, result.out, result.err) == (0, "", "The account has no phone numbers or short codes.\n")
    assert msgsvc("numbers", "list", "--account", "--json").out == "[]\n"


@pytest.mark.parametrize("args, message", [
    ((), "msgsvc: give a SERVICE, or --account for the account's numbers and short codes\n"
         "hint: see 'msgsvc numbers list --help'\n"),
    (("Alerts", "--account"), "msgsvc: --account lists the whole account: give it without SERVICE\n"
                              "hint: or list one service's numbers with: msgsvc numbers list Alerts\n"),
    (("Alerts", "--free"), "msgsvc: --free lists the whole account: give it without SERVICE\n"
                           "hint: or list one service's numbers with: msgsvc numbers list Alerts\n"),
    (("Staging alerts; x", "--account"), "msgsvc: --account lists the whole account: give it without SERVICE\n"
                                         "hint: or list one service's numbers with: msgsvc numbers list 'Staging alerts; x'\n"),
    (("--account", "--page-size", "5"), "msgsvc: --page-size is for a service's list, not --account\n"),
    (("Alerts", "--concurrency", "2"), "msgsvc: --concurrency is for --account and --free, which read every service\n"),
])
def test_numbers_list_takes_a_service_or_the_account(msgsvc, emu, log, args, message):
    result = msgsvc("numbers", "list", *args)
    assert (result.code, result.out, result.err) == (2, "", message)
    assert log == []


def test_a_service_list_is_as_before(msgsvc, emu, held, log):
    result = msgsvc("numbers", "list", "Alerts", "--fields", "phone_number")
    assert (result.code, result.out) == (0, "+15550000001\n")
    assert log == [listing("/v1/Services"), ("GET", f"/v1/Services/{held['alerts']}/PhoneNumbers", (("PageSize", "50"),), ())]


# --- numbers find: short codes too ---------------------------------------------------------------


def test_numbers_find_finds_short_codes_by_number_and_sid(msgsvc, emu, held, log):
    result = msgsvc("numbers", "find", "55501", "+15550000002", sc(emu, 1), "55509")
    assert result.code == 3
    assert result.out == (
        f"55501\t{sc(emu, 0)}\t55501\t{held['otp']}\tOTP\n"
        f"+15550000002\t{pn(emu, '+15550000002')}\t+15550000002\t\t\n"
        f"{sc(emu, 1)}\t{sc(emu, 1)}\t55502\t\t\n"
        "55509\t\t55509\t\t\n")
    assert result.err == "msgsvc: 55509 is not a short code on this account\n"
    # The services' numbers and short codes; the account's lists for what no service holds.
    assert sorted(log[:5]) == services_read(held, "PhoneNumbers", "ShortCodes")
    assert log[5:] == [listing(SHORT_CODES_PATH), listing(NUMBERS_PATH)]  # in the order of the inputs
    result = msgsvc("numbers", "find", "55501", tty=True, width=80)
    assert (result.code, result.err) == (0, "SID hidden at 80 columns; widen the terminal, or use --fields or --json\n")
    assert result.out == ("INPUT  NUMBER  SERVICE SID                         SERVICE NAME\n"
                          f"55501  55501   {held['otp']}  OTP\n")


def test_numbers_find_of_phone_numbers_only_reads_no_short_codes(msgsvc, emu, held, log):
    result = msgsvc("numbers", "find", "+15550000001")
    assert (result.code, result.out) == (0, f"+15550000001\t{pn(emu, '+15550000001')}\t+15550000001\t{held['alerts']}\tAlerts\n")
    assert sorted(log) == services_read(held, "PhoneNumbers")


def test_numbers_find_refuses_what_is_neither_before_sending(msgsvc, emu, log):
    result = msgsvc("numbers", "find", "55501", "MyCompany")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("msgsvc: 'MyCompany' is neither a phone number SID (PN followed by 32 hexadecimal digits) "
                          "nor an E.164 number such as +15017122661\nhint: nothing was sent\n")
    assert log == []


# --- numbers move ------------------------------------------------------------------------------


def numbers_of(emu, service: str) -> list[str]:
    answer = emu.call("GET", f"/v1/Services/{service}/PhoneNumbers").json()
    return sorted(r["phone_number"] for r in answer["phone_numbers"])


def writes(log: list[tuple]) -> list[tuple]:
    return [(method, path, form) for method, path, _, form in log if method != "GET"]


def test_numbers_move_moves_attaches_and_says_what_it_could_not(msgsvc, emu, held, log):
    alerts, otp = held["alerts"], held["otp"]
    one, two = pn(emu, "+15550000001"), pn(emu, "+15550000002")
    result = msgsvc("numbers", "move", "+15550000001", "55501", "+15550000002", "+15559999999", "--to", "OTP",
                    "--yes", tty=True, width=80)
    assert result.code == 1
    assert result.out == (
        "INPUT         STATUS            CODE  MESSAGE\n"
        "+15550000001  moved\n"
        "55501         already attached\n"
        "+15550000002  attached\n"
        "+15559999999  failed                  not on this account\n")
    assert result.err == "1 attached, 1 already attached, 1 moved, 1 failed\n"
    # Reads: the services once, their numbers and short codes, and the account's numbers for
    # the two no service holds; then the detach, then the attaches (the move's, the free one's).
    reads = [entry for entry in log if entry[0] == "GET"]
    assert reads[0] == listing("/v1/Services")
    assert sorted(reads[1:5]) == services_read(held, "PhoneNumbers", "ShortCodes")[1:]
    assert reads[5:] == [listing(NUMBERS_PATH)]
    assert writes(log) == [
        ("DELETE", f"/v1/Services/{alerts}/PhoneNumbers/{one}", ()),
        ("POST", f"/v1/Services/{otp}/PhoneNumbers", (("PhoneNumberSid", one),)),
        ("POST", f"/v1/Services/{otp}/PhoneNumbers", (("PhoneNumberSid", two),)),
    ]
    assert numbers_of(emu, otp) == ["+15550000001", "+15550000002"]
    assert numbers_of(emu, alerts) == []
    # Done: the same command again sends nothing more.
    log.clear()
    again = msgsvc("numbers", "move", "+15550000001", "+15550000002", "--to", "OTP", "--yes")
    assert (again.code, again.out) == (0, f"+15550000001\t{one}\talready attached\t\t\n"
                                          f"+15550000002\t{two}\talready attached\t\t\n")
    assert writes(log) == []


def test_numbers_move_of_a_short_code_by_sid_and_json(msgsvc, emu, held, log):
    result = msgsvc("numbers", "move", sc(emu, 0), "--to", held["alerts"], "--yes", "--json")
    assert result.code == 0
    assert json.loads(result.out) == [{"input": sc(emu, 0), "sid": sc(emu, 0), "status": "moved", "code": None,
                                       "message": None}]
    assert writes(log) == [("DELETE", f"/v1/Services/{held['otp']}/ShortCodes/{sc(emu, 0)}", ()),
                           ("POST", f"/v1/Services/{held['alerts']}/ShortCodes", (("ShortCodeSid", sc(emu, 0)),))]


def test_numbers_move_dry_run_sends_nothing_and_knows_what_would_fail(msgsvc, emu, held, log):
    three = pn(emu, "+15550000003")
    with emu.store.lock:
        emu.store.data["numbers"][three]["capabilities"].update(sms=False, mms=False)
    result = msgsvc("numbers", "move", "+15550000001", "55501", "+15550000003", "--to", "OTP",
                    "--dry-run", tty=True, width=80)
    assert result.code == 1
    assert result.out == (
        "INPUT         STATUS            CODE   MESSAGE\n"
        '+15550000001  would move               from "Alerts"\n'
        "55501         already attached\n"
        "+15550000003  would fail        21715  no SMS capability (21715): +15550000003\n"
        "                                       cannot send SMS or MMS, so no service\n"
        "                                       takes it\n")
    assert max(len(line) for line in result.out.splitlines()) <= 80
    assert result.err == "Dry run: 3 requests not sent; 1 already attached, 1 would move, 1 would fail\n"
    assert writes(log) == []
    result = msgsvc("numbers", "move", "+15550000002", "--to", "OTP", "--dry-run")
    assert (result.code, result.out) == (0, f"+15550000002\t{pn(emu, '+15550000002')}\twould attach\t\tPOST "
                                            f"{emu.base_url}/v1/Services/{held['otp']}/PhoneNumbers "
                                            f"PhoneNumberSid={pn(emu, '+15550000002')}\n")
    data = json.loads(msgsvc("numbers", "move", "+15550000001", "--to", "OTP", "--dry-run", "--json").out)
    assert data == [{"input": "+15550000001", "sid": pn(emu, "+15550000001"), "status": "would move", "code": None,
                     "message": 'from "Alerts"', "requests": [
                         {"method": "DELETE", "url": f"{emu.base_url}/v1/Services/{held['alerts']}/PhoneNumbers/"
                                                     f"{pn(emu, '+15550000001')}", "form": {}},
                         {"method": "POST", "url": f"{emu.base_url}/v1/Services/{held['otp']}/PhoneNumbers",
                          "form": {"PhoneNumberSid": pn(emu, "+15550000001")}}]}]
    assert writes(log) == []


@pytest.fixture
def proxy(emu, monkeypatch):
    """The emulator behind the tests' fault proxy (tests/faults.py); msgsvc talks to the proxy."""
    from faults import FaultProxy

    front = FaultProxy(emu.base_url)
    monkeypatch.setenv("MSGSVC_BASE_URL", front.url)
    yield front
    front.stop()


def proxied_writes(proxy) -> list[tuple]:
    """The writes msgsvc sent: (method, path, whether it reached the emulator)."""
    return [seen for seen in proxy.seen if seen[0] != "GET"]


def test_a_failed_attach_is_rolled_back_and_a_full_pool_puts_the_rest_back(msgsvc, emu, held, proxy, log):
    alerts, otp = held["alerts"], held["otp"]
    one, two = pn(emu, "+15550000001"), pn(emu, "+15550000002")
    attach(emu, alerts, "PhoneNumbers", PhoneNumberSid=two)
    log.clear()
    proxy.add("POST", f"/v1/Services/{otp}/PhoneNumbers", status=412, code=21714, after=False)
    result = msgsvc("numbers", "move", "+15550000001", "+15550000002", "--to", "OTP", "--yes", "--concurrency", "1",
                    tty=True, width=80)
    assert result.code == 1
    assert result.out == (
        "INPUT         STATUS  CODE   MESSAGE\n"
        '+15550000001  failed  21714  attach to "OTP" failed: the service\'s pool is full\n'
        "                             (21714): fault proxy: HTTP 412; put back in\n"
        '                             "Alerts"\n'
        '+15550000002  failed  21714  attach to "OTP" not sent: the service\'s pool is\n'
        '                             full (21714); put back in "Alerts"\n')
    assert result.err == "2 failed\n"
    # Both detached, one attach refused (the pool is full: no other is sent), both put back.
    assert proxied_writes(proxy) == [
        ("DELETE", f"/v1/Services/{alerts}/PhoneNumbers/{one}", True),
        ("DELETE", f"/v1/Services/{alerts}/PhoneNumbers/{two}", True),
        ("POST", f"/v1/Services/{otp}/PhoneNumbers", False),
        ("POST", f"/v1/Services/{alerts}/PhoneNumbers", True),
        ("POST", f"/v1/Services/{alerts}/PhoneNumbers", True),
    ]
    assert writes(log)[2:] == [("POST", f"/v1/Services/{alerts}/PhoneNumbers", (("PhoneNumberSid", one),)),
                               ("POST", f"/v1/Services/{alerts}/PhoneNumbers", (("PhoneNumberSid", two),))]
    assert numbers_of(emu, alerts) == ["+15550000001", "+15550000002"]
    assert numbers_of(emu, otp) == []


def test_a_failed_rollback_is_half_done_and_says_where_the_number_is(msgsvc, emu, held, proxy, log):
    alerts, otp = held["alerts"], held["otp"]
    one = pn(emu, "+15550000001")
    proxy.add("POST", f"/v1/Services/{otp}/PhoneNumbers", status=412, code=21714, after=False)
    proxy.add("POST", f"/v1/Services/{alerts}/PhoneNumbers", status=400, code=20001, after=False)
    result = msgsvc("numbers", "move", "+15550000001", "--to", "OTP", "--yes", tty=True, width=80)
    assert result.code == 1
    assert result.out == (
        "INPUT         STATUS     CODE   MESSAGE\n"
        '+15550000001  half done  21714  detached from "Alerts"; attach to "OTP" failed\n'
        "                                (21714); the phone number is in no service\n")
    assert result.err == "1 half done\n"
    assert proxied_writes(proxy) == [("DELETE", f"/v1/Services/{alerts}/PhoneNumbers/{one}", True),
                                     ("POST", f"/v1/Services/{otp}/PhoneNumbers", False),
                                     ("POST", f"/v1/Services/{alerts}/PhoneNumbers", False)]
    assert numbers_of(emu, alerts) == numbers_of(emu, otp) == []
    # In no service now: the same command attaches it.
    proxy.faults.clear()
    again = msgsvc("numbers", "move", "+15550000001", "--to", "OTP", "--yes")
    assert (again.code, again.out) == (0, f"+15550000001\t{one}\tattached\t\t\n")


def test_a_move_into_an_a2p_service_says_what_it_costs_before_anything_is_sent(msgsvc, emu, held, log):
    emu.register_campaign(held["otp"])
    log.clear()
    result = msgsvc("numbers", "move", "+15550000001", "--to", "OTP", "--yes")
    assert (result.code, result.out) == (0, f"+15550000001\t{pn(emu, '+15550000001')}\tmoved\t\t\n")
    assert result.err == (
        'msgsvc: warning: moving +15550000001 into "OTP", which is registered for US A2P 10DLC, starts a carrier '
        "re-registration of the number (messages may fail until it completes), and its sticky-sender mappings "
        "are lost\n1 moved\n")
    result = msgsvc("numbers", "move", "+15550000001", "--to", "Alerts", "--dry-run", "--json")
    assert json.loads(result.out)[0]["status"] == "would move"
    assert result.err.startswith('msgsvc: warning: moving +15550000001 out of "OTP", which is registered')


def test_numbers_move_asks_first_and_refuses_without_a_terminal(msgsvc, emu, held, log):
    result = msgsvc("numbers", "move", "+15550000001", "--to", "OTP")
    assert (result.code, result.out) == (2, "")
    assert result.err == "msgsvc: refusing to move without confirmation\nhint: add --yes to move from a script\n"
    assert log == []
    result = msgsvc("numbers", "move", "+15550000001", "+15550000002", "--to", "OTP", stdin="n\n", stdin_tty=True)
    assert (result.code, result.out) == (2, "")
    assert result.err.endswith("Nothing moved.\n")
    assert f"Move 2 numbers to OTP ({held['otp']})?" in result.err
    assert writes(log) == []


@pytest.mark.parametrize("args, message", [
    (("+15550000001",), "Usage: msgsvc numbers move [OPTIONS] [NUMBER...]\nmsgsvc: Missing option '--to'.\n"
                        "hint: see 'msgsvc numbers move --help'\n"),
    (("--to", "OTP"), "msgsvc: no phone numbers given\nhint: name them as arguments or with --from-file FILE "
                      "(see 'msgsvc numbers --help')\n"),
    (("MyCompany", "--to", "OTP", "--yes"),
     "msgsvc: 'MyCompany' is neither a phone number SID (PN followed by 32 hexadecimal digits) nor an E.164 "
     "number such as +15017122661 (argument)\nhint: nothing was sent; fix the input and run again\n"),
])
def test_numbers_move_checks_its_input_before_sending(msgsvc, emu, log, args, message):
    result = msgsvc("numbers", "move", *args)
    assert (result.code, result.out, result.err) == (2, "", message)
    assert log == []


def test_numbers_move_to_a_service_that_is_not_there(msgsvc, emu, held, log):
    result = msgsvc("numbers", "move", "+15550000001", "--to", "Nope", "--yes")
    assert (result.code, result.out) == (3, "")
    assert result.err == "msgsvc: no service is named 'Nope'\nhint: list the services with: msgsvc services list --all\n"
    assert log == [listing("/v1/Services")]  # found missing before any pool is read


def test_apply_puts_back_the_moves_a_full_pool_left_unsent(msgsvc, emu, held, proxy, tmp_path):
    """The move rule numbers move shares with apply (jobs.moves): once the target's pool is
    full, the executor sends no further attach to it; those senders are put back too."""
    alerts, otp = held["alerts"], held["otp"]
    attach(emu, alerts, "PhoneNumbers", PhoneNumberSid=pn(emu, "+15550000002"))
    path = tmp_path / "s.toml"
    path.write_text('[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = []\n'
                    '[[services]]\nfriendly_name = "OTP"\nsenders.numbers = ["+15550000001", "+15550000002"]\n')
    proxy.add("POST", f"/v1/Services/{otp}/PhoneNumbers", status=412, code=21714, after=False)
    result = msgsvc("apply", str(path), "--yes", "--concurrency", "1")
    assert result.code == 1
    assert result.out == (
        f"move\tOTP\t+15550000001\t{pn(emu, '+15550000001')}\tfailed\t21714\tattach to \"OTP\" failed: the service's "
        'pool is full (21714): fault proxy: HTTP 412; put back in "Alerts"\n'
        f"move\tOTP\t+15550000002\t{pn(emu, '+15550000002')}\tfailed\t21714\tattach to \"OTP\" not sent: the "
        'service\'s pool is full (21714); put back in "Alerts"\n')
    assert numbers_of(emu, alerts) == ["+15550000001", "+15550000002"]


@pytest.mark.parametrize("command", ["list", "find", "move"])
def test_the_help_of_the_inventory_commands_fits_80_columns(msgsvc, monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "80")
    result = msgsvc("numbers", command, "--help", tty=True, width=80)
    assert result.code == 0 and result.out.startswith(f"Usage: msgsvc numbers {command} [OPTIONS]")
    assert max(len(line) for line in result.out.splitlines()) <= 80


def test_a_number_named_twice_is_moved_once(msgsvc, emu, held, log):
    # Sent once, and its result is the first input's, as attach gives it: 'not sent' would say it
    # was left as it was (README: what Ctrl-C leaves).
    two = pn(emu, "+15550000002")
    result = msgsvc("numbers", "move", "+15550000002", "+1 555 000 0002", two, "+15550000002", "--to", "OTP", "--yes")
    assert result.code == 0
    assert result.out == (f"+15550000002\t{two}\tattached\t\t\n"
                          f"+1 555 000 0002\t{two}\tattached\t\tthe same phone number as +15550000002\n"
                          f"{two}\t{two}\tattached\t\tthe same phone number as +15550000002\n")
    assert result.err == "3 attached\n"
    assert writes(log) == [("POST", f"/v1/Services/{held['otp']}/PhoneNumbers", (("PhoneNumberSid", two),))]


def test_a_number_named_twice_that_is_moved_or_would_fail_shares_its_result(msgsvc, emu, held, log):
    one, voice = pn(emu, "+15550000001"), pn(emu, "+15550000003")
    emu.store.data["numbers"][voice]["capabilities"].update(sms=False, mms=False)
    dry = msgsvc("numbers", "move", "+15550000001", one, "+15550000003", voice, "--to", "OTP", "--dry-run")
    assert dry.code == 1
    assert [line.split("\t")[2:] for line in dry.out.splitlines()] == [
        ["would move", "", 'from "Alerts"'], ["would move", "", "the same phone number as +15550000001"],
        ["would fail", "21715", dry.out.splitlines()[2].split("\t")[4]],
        ["would fail", "21715", "the same phone number as +15550000003"]]
    result = msgsvc("numbers", "move", "+15550000001", one, "--to", "OTP", "--yes")
    assert result.code == 0
    assert result.out == (f"+15550000001\t{one}\tmoved\t\t\n"
                          f"{one}\t{one}\tmoved\t\tthe same phone number as +15550000001\n")
    assert result.err == "2 moved\n"


def test_ctrl_c_between_the_detach_and_the_attach_is_half_done_and_exits_130(msgsvc, emu, held, monkeypatch, log):
    from msgsvc.jobs import executor
    from msgsvc.jobs.changes import ATTACH, NOT_SENT, Outcome

    run = executor.Executor.run

    def interrupted_at_attach(self, changes):
        if changes and changes[0].action == ATTACH:  # as if Ctrl-C came before any attach was sent
            self.interrupted = True
            return [Outcome(c.shown, c.target, NOT_SENT) for c in changes]
        return run(self, changes)

    monkeypatch.setattr(executor.Executor, "run", interrupted_at_attach)
    result = msgsvc("numbers", "move", "+15550000001", "--to", "OTP", "--yes")
    assert result.code == 130
    assert result.out == (f"+15550000001\t{pn(emu, '+15550000001')}\thalf done\t\tdetached from \"Alerts\"; the attach "
                          'to "OTP" was not sent; the phone number is in no service\n')
    assert result.err == ("1 half done\n\nmsgsvc: interrupted: the numbers marked 'half done' are in no service, and "
                          "those marked 'not sent' were left as they were\n"
                          "hint: run the same command again to finish: what is done already is reported, not sent twice\n")
    assert writes(log) == [("DELETE", f"/v1/Services/{held['alerts']}/PhoneNumbers/{pn(emu, '+15550000001')}", ())]
    monkeypatch.setattr(executor.Executor, "run", run)
    again = msgsvc("numbers", "move", "+15550000001", "--to", "OTP", "--yes")
    assert (again.code, again.out) == (0, f"+15550000001\t{pn(emu, '+15550000001')}\tattached\t\t\n")
