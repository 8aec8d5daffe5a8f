"""The emulator where it could mislead: the sender pool limit (21714), chunked request bodies on
a keep-alive connection, paths it does not serve (501, never a 404), `Page` as client state,
and methods it does not serve (JSON errors, never http.server's HTML). Every answer of the
`emulator` and `small_pool` fixtures is also checked against Twilio's OpenAPI definition."""

from __future__ import annotations

import http.client
import json
import socket

import pytest
import requests

from conftest import MSGSVC
from emulator_helpers import EMU_ACCOUNT, SPEC_DIR, check_records
from test_emulator import NOT_EMULATED, attach, create_service, error


def _raw(emu, data: bytes, *, reads: int = 1) -> list[tuple[int, dict[str, str], bytes]]:
    """Send raw bytes on one connection and read `reads` answers from it, in order."""
    port = int(emu.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        stream = sock.makefile("rb")
        answers = []
        for _ in range(reads):
            status = int(stream.readline().split()[1])
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            answers.append((status, headers, stream.read(int(headers.get("content-length", 0)))))
        answers_closed = stream.read() == b""  # what is left: nothing, and the server hung up?
        answers.append((0, {"closed": str(answers_closed)}, b""))
    return answers


def _auth(emu) -> bytes:
    return f"Authorization: {requests.auth._basic_auth_str(emu.account_sid, emu.auth_token)}\r\n".encode()


# --- 2. the pool limit: 21714 ---------------------------------------------------------------


def test_a_full_service_refuses_the_next_number_or_short_code_with_21714(small_pool):
    emu = small_pool
    sid = create_service(emu)["sid"]
    for number in ("+15550000001", "+15550000002"):
        assert attach(emu, sid, number).status_code == 201
    short_code = emu.sids("short_codes")[0]
    assert emu.call("POST", f"/v1/Services/{sid}/ShortCodes", data={"ShortCodeSid": short_code}).status_code == 201
    full = error(21714, f"Number Pool size limit reached: the Messaging Service {sid} already holds 3 phone numbers and short codes", 412)
    refused = attach(emu, sid, "+15550000003")
    assert (refused.status_code, refused.json()) == (412, full)
    refused = emu.call("POST", f"/v1/Services/{sid}/ShortCodes", data={"ShortCodeSid": emu.sids("short_codes")[1]})
    assert (refused.status_code, refused.json()) == (412, full)
    assert attach(emu, sid, "+15550000001").status_code == 409  # already there: 21710 before 21714
    channel = emu.call("POST", f"/v1/Services/{sid}/ChannelSenders", data={"Sid": emu.sids("channel_senders")[0]})
    assert channel.status_code == 201  # channel senders are not in the number pool
    # Room again after a detach, and a service of its own for each pool.
    assert emu.call("DELETE", f"/v1/Services/{sid}/ShortCodes/{short_code}").status_code == 204
    assert attach(emu, sid, "+15550000003").status_code == 201
    other = create_service(emu, "Other")["sid"]
    assert attach(emu, other, "+15550000004").status_code == 201
    # Deleting a full service empties its pool; a new service starts from zero.
    assert emu.call("DELETE", f"/v1/Services/{sid}").status_code == 204
    third = create_service(emu, "Third")["sid"]
    assert [attach(emu, third, f"+155500000{i:02d}").status_code for i in (1, 2, 3, 6)] == [201, 201, 201, 412]


def test_the_pool_limit_counts_a_reloaded_state(tmp_path):
    from msgsvc.emulator.seed import seed
    from msgsvc.emulator.errors import Fault
    from msgsvc.emulator.model import KINDS
    from msgsvc.emulator.store import Store

    store = Store(seed(EMU_ACCOUNT, "t", 5), tmp_path / "state.json", pool_limit=2)
    service = store.create_service({"FriendlyName": "Kept"})["sid"]
    numbers = list(store.data["numbers"])
    for pn in numbers[:2]:
        store.add_sender(KINDS["PhoneNumbers"], service, {"PhoneNumberSid": pn}, "/x")
    store.close()
    store.save()
    reloaded = Store.load(tmp_path / "state.json", pool_limit=2)
    with pytest.raises(Fault) as caught:
        reloaded.add_sender(KINDS["PhoneNumbers"], service, {"PhoneNumberSid": numbers[2]}, "/x")
    assert (caught.value.status, caught.value.code) == (412, 21714)


@pytest.fixture
def full_pool_emulator(tmp_path):
    from test_emulator_e2e import RunningEmulator

    emu = RunningEmulator(tmp_path / "emu", "--numbers", "12", "--pool-limit", "3")
    yield emu
    assert emu.stop() == 0
    if SPEC_DIR.is_dir():
        check_records(emu.answers())


def _cli(emu, tmp_path, *args: str):
    """The installed msgsvc, credentials and base URL from the environment."""
    import subprocess

    from test_emulator_e2e import _env

    env = _env(tmp_path, TWILIO_ACCOUNT_SID=emu.info["TWILIO_ACCOUNT_SID"], TWILIO_AUTH_TOKEN=emu.info["TWILIO_AUTH_TOKEN"],
               MSGSVC_BASE_URL=emu.info["MSGSVC_BASE_URL"])
    return subprocess.run([MSGSVC, *args], env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_bulk_attach_stops_at_a_full_pool_and_reports_the_rest_not_sent(full_pool_emulator, tmp_path):
    emu = full_pool_emulator
    state = json.loads(_cli(emu, tmp_path, "services", "create", "--friendly-name", "Full", "--json").stdout)
    service = state["sid"]
    numbers = [f"+155500000{i:02d}" for i in (1, 2, 3, 4, 6, 7, 8, 9)]  # every 5th cannot join a service
    before = len(emu.answers())
    result = _cli(emu, tmp_path, "numbers", "attach", service, *numbers, "--concurrency", "1")

    sids = {n: _number_sid(emu, tmp_path, n) for n in numbers}
    refused = (f"the service's pool is full (21714): Number Pool size limit reached: the Messaging Service {service} already holds 3 phone numbers "
               "and short codes")
    assert result.stdout == "".join(
        [f"{n}\t{sids[n]}\tattached\t\t\n" for n in numbers[:3]]
        + [f"{numbers[3]}\t{sids[numbers[3]]}\tfailed\t21714\t{refused}\n"]
        + [f"{n}\t{sids[n]}\tnot sent\t21714\tthe service's pool is full (21714)\n" for n in numbers[4:]]
    )
    assert result.stderr == (
        "3 attached, 1 failed, 4 not sent\n"
        "msgsvc: the service's pool is full (21714): 4 phone numbers not sent\n"
        f"hint: detach phone numbers {service} no longer needs, or attach the rest to another service; "
        "then run the same command again\n"
    )
    assert result.returncode == 1
    # The emulator saw exactly four attaches: three accepted, one refused; nothing after it.
    posts = [a for a in emu.answers()[before:] if a["operation"] == "CreatePhoneNumber" or a["status"] == 412]
    assert [a["status"] for a in posts] == [201, 201, 201, 412]

    # Already full before the command: one refusal, the rest held back, at any concurrency.
    again = _cli(emu, tmp_path, "numbers", "attach", service, *numbers[3:], "--concurrency", "1", "--json")
    outcomes = json.loads(again.stdout)
    assert [(o["status"], o["code"]) for o in outcomes] == [("failed", 21714)] + [("not sent", 21714)] * 4
    assert again.returncode == 1 and again.stderr.startswith("1 failed, 4 not sent\nmsgsvc: the service's pool is full (21714): 4 phone numbers not sent\n")

    single = _cli(emu, tmp_path, "numbers", "attach", service, numbers[3])  # nothing left to hold back
    assert (single.returncode, single.stderr) == (1, "1 failed\nmsgsvc: the service's pool is full (21714)\n"
                                                     f"hint: detach phone numbers {service} no longer needs, or attach the "
                                                     "rest to another service; then run the same command again\n")

    # Concurrently (2 at once): the attaches in flight when the pool fills are refused by the
    # emulator; every one after that is held back. Each refusal is one failure, never more.
    other = json.loads(_cli(emu, tmp_path, "services", "create", "--friendly-name", "Other", "--json").stdout)["sid"]
    free = [f"+15550000{i:03d}" for i in (4, 6, 7, 8, 9, 11, 12)]
    before = len(emu.answers())
    busy = _cli(emu, tmp_path, "numbers", "attach", other, *free, "--concurrency", "2", "--json")
    outcomes = json.loads(busy.stdout)
    statuses = [(o["status"], o["code"]) for o in outcomes]
    refusals = [a for a in emu.answers()[before:] if a["status"] == 412]
    assert statuses.count(("attached", None)) == 3 and statuses.count(("failed", 21714)) == len(refusals) >= 1
    assert len(statuses) == 7 and set(statuses) <= {("attached", None), ("failed", 21714), ("not sent", 21714)}
    held = statuses.count(("not sent", 21714))
    left = "" if not held else f": {held} phone number{'s' if held > 1 else ''} not sent"
    assert busy.returncode == 1 and f"\nmsgsvc: the service's pool is full (21714){left}\nhint: " in busy.stderr


def _number_sid(emu, tmp_path, e164: str) -> str:
    page = requests.get(
        f"{emu.info['MSGSVC_BASE_URL']}/2010-04-01/Accounts/{emu.info['TWILIO_ACCOUNT_SID']}/IncomingPhoneNumbers.json",
        params={"PhoneNumber": e164}, auth=(emu.info["TWILIO_ACCOUNT_SID"], emu.info["TWILIO_AUTH_TOKEN"]), timeout=10,
    ).json()
    return page["incoming_phone_numbers"][0]["sid"]


# --- 3. chunked request bodies ---------------------------------------------------------------


def test_a_chunked_body_is_read_whole_and_the_connection_goes_on(emulator):
    port = int(emulator.base_url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": requests.auth._basic_auth_str(EMU_ACCOUNT, emulator.auth_token),
               "Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/v1/Services", body=iter([b"FriendlyName=Chun", b"ked&Usecase=poll"]), headers=headers, encode_chunked=True)
    created = conn.getresponse()
    body = json.loads(created.read())
    sock = conn.sock
    assert (created.status, body["friendly_name"], body["usecase"]) == (201, "Chunked", "poll")
    conn.request("GET", f"/v1/Services/{body['sid']}", headers=headers)  # the same connection
    fetched = conn.getresponse()
    assert (fetched.status, json.loads(fetched.read())["sid"]) == (200, body["sid"]) and conn.sock is sock
    conn.close()


def test_chunk_extensions_and_trailers_are_consumed(emulator):
    form = b"FriendlyName=Trailed"
    request = (
        b"POST /v1/Services HTTP/1.1\r\nHost: x\r\n" + _auth(emulator)
        + b"Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
        + b"%x;ext=1\r\n" % len(form) + form + b"\r\n0\r\nX-Trailer: yes\r\n\r\n"
        + b"GET /v1/Services HTTP/1.1\r\nHost: x\r\n" + _auth(emulator) + b"Connection: close\r\n\r\n"
    )
    (created, _, body), (listed, _, listing), _ = _raw(emulator, request, reads=2)
    assert (created, json.loads(body)["friendly_name"]) == (201, "Trailed")
    assert (listed, [s["friendly_name"] for s in json.loads(listing)["services"]]) == (200, ["Trailed"])


@pytest.mark.parametrize(
    ("framing", "status", "message"),
    [
        (b"Transfer-Encoding: chunked\r\n\r\nzz\r\nFriendlyName=x\r\n0\r\n\r\n", 400,
         "Bad chunked request body: the chunk size line b'zz\\r\\n' is not hexadecimal"),
        (b"Transfer-Encoding: chunked\r\n\r\n4\r\nFriendlyName=x\r\n0\r\n\r\n", 400,
         "Bad chunked request body: a chunk does not end where its size says"),
        (b"Content-Length: ten\r\n\r\nFriendlyName=x", 400, "Bad Content-Length: 'ten'"),
        (b"Content-Length: 2000000\r\n\r\n", 413, "Request body too large: the limit is 1048576 bytes"),
    ],
)
def test_a_body_that_cannot_be_framed_is_a_json_error_and_the_connection_closes(emulator, framing, status, message):
    request = b"POST /v1/Services HTTP/1.1\r\nHost: x\r\n" + _auth(emulator) + framing
    (got, headers, body), (_, closed, _) = _raw(emulator, request)
    assert (got, json.loads(body)) == (status, error(20000 + status, message, status))
    assert headers["connection"] == "close" and closed == {"closed": "True"}
    assert emulator.store.list_services() == []


# --- 4. what is not emulated is never a 404 ---------------------------------------------------


def test_a_single_incoming_phone_number_is_served(emulator):
    number = emulator.number("+15550000004")
    one = emulator.call("GET", emulator.incoming_one(number["sid"]))
    listed = emulator.call("GET", emulator.incoming(), params={"PhoneNumber": "+15550000004"}).json()
    assert one.status_code == 200 and one.json() == listed["incoming_phone_numbers"][0]
    unknown = "PN" + "0" * 32
    missing = emulator.call("GET", emulator.incoming_one(unknown))
    assert (missing.status_code, missing.json()) == (404, error(
        20404, f"The requested resource /2010-04-01/Accounts/{EMU_ACCOUNT}/IncomingPhoneNumbers/{unknown}.json was not found", 404))
    other = emulator.call("GET", f"/2010-04-01/Accounts/{'AC' + 'f' * 32}/IncomingPhoneNumbers/{number['sid']}.json")
    assert (other.status_code, other.json()["code"]) == (401, 20003)


def test_paths_and_methods_twilio_serves_but_the_emulator_does_not_answer_501(emulator):
    service = create_service(emulator)
    pn = emulator.number("+15550000001")["sid"]
    paths = [("GET", url.replace(emulator.base_url, "")) for name, url in service["links"].items() if name == "messages"]
    brand = next(iter(emulator.store.data["brands"]))  # A2P brands are served read only (emulator/a2p.py)
    paths += [("POST", "/v1/Services/PreregisteredUsa2p"), ("POST", emulator.incoming().replace(".json", "/TollFree.json")),
              ("POST", "/v1/a2p/BrandRegistrations"), ("GET", f"/v1/a2p/BrandRegistrations/{brand}/Vettings"),
              ("POST", emulator.incoming()), ("POST", emulator.incoming_one(pn)), ("DELETE", emulator.incoming_one(pn)),
              ("GET", f"/2010-04-01/Accounts/{EMU_ACCOUNT}/SMS/ShortCodes/{'SC' + '0' * 32}.json")]
    for method, path in paths:
        response = emulator.call(method, path)
        assert (response.status_code, response.json()) == (501, error(20501, NOT_EMULATED.format(f"{method} {path}"), 501)), path
    assert emulator.number("+15550000001")["service_sid"] is None  # nothing changed


def test_a_method_twilio_does_not_serve_on_a_path_is_405_with_allow(emulator):
    sid = create_service(emulator)["sid"]
    for method, path, allow in (
        ("PUT", "/v1/Services", "GET, POST"),
        ("PATCH", f"/v1/Services/{sid}", "GET, POST, DELETE"),
        ("POST", f"/v1/Services/{sid}/PhoneNumbers/PN{'0' * 32}", "GET, DELETE"),
        ("DELETE", emulator.incoming(), "GET"),
    ):
        response = emulator.call(method, path)
        assert (response.status_code, response.json()) == (405, error(20004, f"Method not allowed: {method} {path}", 405))
        assert response.headers["Allow"] == allow


# --- 5. Page is client state ------------------------------------------------------------------


def test_page_without_a_page_token_selects_nothing(emulator):
    sids = [create_service(emulator, f"S{i}")["sid"] for i in range(5)]
    third = emulator.call("GET", "/v1/Services", params={"PageSize": 2, "Page": 2}).json()
    assert [s["sid"] for s in third["services"]] == sids[:2]  # not sids[4:]: offset paging fails as at Twilio
    assert third["meta"]["page"] == 2 and third["meta"]["previous_page_url"] is None
    assert third["meta"]["next_page_url"].startswith(f"{emulator.base_url}/v1/Services?PageSize=2&Page=3&PageToken=PA")
    core = emulator.call("GET", emulator.incoming(), params={"PageSize": 10, "Page": 1}).json()
    assert [n["phone_number"] for n in core["incoming_phone_numbers"]][:2] == ["+15550000001", "+15550000002"]
    assert (core["page"], core["start"], core["end"]) == (1, 0, 9)


# --- 7. every method gets Twilio's JSON ------------------------------------------------------


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE", "BREW"])
def test_other_methods_get_a_json_405(emulator, method):
    response = emulator.call(method, "/v1/Services")
    body = error(20004, f"Method not allowed: {method} /v1/Services", 405)
    assert response.status_code == 405 and response.headers["Allow"] == "GET, POST"
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    if method == "HEAD":  # the headers of the body, without the body
        assert response.content == b"" and int(response.headers["Content-Length"]) == len(json.dumps(body))
    else:
        assert response.json() == body


def test_an_unauthenticated_head_is_a_401_without_a_body(emulator):
    response = requests.head(emulator.base_url + "/v1/Services", timeout=10)
    assert (response.status_code, response.content) == (401, b"")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'


def test_a_malformed_request_line_is_a_json_400(emulator):
    (status, headers, body), (_, closed, _) = _raw(emulator, b"GET /v1/Services HTTP/1.1 extra\r\n\r\n")
    assert status == 400 and headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(body) == error(20400, "Bad request version ('extra')", 400)
    assert closed == {"closed": "True"}
