"""A slow, endless or flooding server cannot hang msgsvc or fill its memory; a base
URL's path prefix stays on every page. Hand-written servers on 127.0.0.1 only."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID, page, run_installed, service
from faults import SocketServer, read_head

CREDENTIALS = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}


class RawServer(SocketServer):
    """Each connection: read the request head, then `answer(conn)`."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.requests: list[str] = []
        super().__init__(self._one)

    def _one(self, conn: socket.socket) -> None:
        with conn:
            head, _ = read_head(conn)
            if not head:
                return
            self.requests.append(head.split(b"\r\n")[0].decode())
            try:
                self.answer(conn)
            except OSError:
                pass


@pytest.fixture
def raw_server():
    servers = []

    def make(answer) -> RawServer:
        servers.append(RawServer(answer))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


def trickle(data: bytes, stop: threading.Event, conn: socket.socket) -> None:
    for byte in data:
        if stop.is_set():
            return
        conn.sendall(bytes([byte]))
        time.sleep(0.1)


def msgsvc_at(server: RawServer, *args: str, timeout: float = 60):
    return run_installed("--base-url", server.url, "--max-retries", "2", *args, env=CREDENTIALS, timeout=timeout)


BODY = json.dumps(page("services", [service()])).encode()
EMPTY = json.dumps(page("services", [])).encode()
# RawServer answers one request per connection and closes it, so it says so: without
# `Connection: close` the client may send its next request on the closing connection.
EMPTY_LIST = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(EMPTY)}\r\n"
              "Connection: close\r\n\r\n").encode() + EMPTY


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_server_sending_a_byte_at_a_time_is_an_error_after_the_deadline(raw_server, where):
    stop = threading.Event()

    def slow(conn):
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n".encode()
        if where == "headers":
            trickle(head + BODY, stop, conn)
        else:
            conn.sendall(head)
            trickle(BODY, stop, conn)

    server = raw_server(slow)
    try:
        result = msgsvc_at(server, "--timeout", "1", "services", "list")
    finally:
        stop.set()
    assert (result.returncode, result.stdout) == (1, "")
    host = server.url.removeprefix("http://")
    assert result.stderr == (
        f"msgsvc: {host} did not send its whole answer within 2 s\n"
        "hint: raise --timeout (each request gets connect + read timeout in all), or try again later\n")
    assert len(server.requests) == 1  # an answer that outlived its deadline is not asked again


def test_a_post_whose_answer_trickles_may_have_taken_effect(raw_server):
    stop = threading.Event()
    answers = iter([lambda conn: conn.sendall(EMPTY_LIST)])  # the name is free; then every answer trickles
    server = raw_server(lambda conn: next(answers, lambda conn: trickle(
        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}", stop, conn))(conn))
    try:
        result = msgsvc_at(server, "--timeout", "0.5", "services", "create", "--friendly-name", "Alerts")
    finally:
        stop.set()
    assert result.returncode == 1
    first, hint = result.stderr.splitlines()
    host = server.url.removeprefix('http://')
    assert first == (f"msgsvc: {host} did not send its whole answer within 1 s: "
                     f"POST {server.url}/v1/Services may or may not have taken effect; checking failed too: "
                     f"{host} did not send its whole answer within 1 s")
    assert hint.startswith("hint: the service may or may not have been created")
    assert [r.split()[0] for r in server.requests] == ["GET", "POST", "GET"]  # the POST once, then the look for it


def endless(conn: socket.socket, head: str, chunk: bytes, stop: threading.Event) -> None:
    conn.sendall(head.encode())
    while not stop.is_set():
        conn.sendall(chunk)


@pytest.mark.parametrize("length", ["Content-Length: 500000000\r\n", ""])
def test_an_answer_of_hundreds_of_mb_is_refused_past_the_cap(raw_server, length):
    stop = threading.Event()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n"
    server = raw_server(lambda conn: endless(conn, head, b'{"services": [' + b" " * 65536, stop))
    try:
        result = msgsvc_at(server, "services", "list")
    finally:
        stop.set()
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"msgsvc: GET {server.url}/v1/Services?PageSize=50 answered with more than 32 MB; "
                             "refused (msgsvc reads at most that much of one answer)\n")


def test_a_chunked_answer_that_also_declares_a_small_length_is_refused_past_the_cap(raw_server):
    """Transfer-Encoding: chunked wins over Content-Length (RFC 9112 6.3): the length said
    nothing of how much a read of the whole body would take in. 40 MB are sent, then the
    body ends, so that even a client without the cap finishes (with a wrong answer)."""
    head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b" " * (1 << 20))

    def answer(conn):
        conn.sendall(head + b"1\r\n[\r\n")
        for _ in range(40):
            conn.sendall(chunk)
        conn.sendall(b"1\r\n]\r\n0\r\n\r\n")

    server = raw_server(answer)
    result = msgsvc_at(server, "services", "get", SERVICE_SID)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"msgsvc: GET {server.url}/v1/Services/{SERVICE_SID} answered with more than 32 MB; "
                             "refused (msgsvc reads at most that much of one answer)\n")


def test_a_gzip_bomb_is_refused_past_the_cap(raw_server):
    bomb = gzip.compress(b'{"sid": "' + b"a" * (200 * 1024 * 1024) + b'"}', compresslevel=9)
    head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            f"Content-Length: {len(bomb)}\r\n\r\n").encode()
    server = raw_server(lambda conn: conn.sendall(head + bomb))
    result = msgsvc_at(server, "services", "get", SERVICE_SID)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.endswith("answered with more than 32 MB; refused (msgsvc reads at most that much of one answer)\n")


# --- pages that never end ------------------------------------------------------------------


def test_empty_pages_that_keep_pointing_on_are_an_error(msgsvc, profile, httpserver):
    from werkzeug import Response

    def empty(request):
        number = int(request.args.get("Page", "0"))
        next_url = httpserver.url_for(f"/v1/Services?PageSize=50&Page={number + 1}&PageToken=T{number + 1}")
        return Response(json.dumps(page("services", [], next_url)), content_type="application/json")

    httpserver.expect_request("/v1/Services").respond_with_handler(empty)
    result = msgsvc("services", "list", "--all")
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith("msgsvc: the API sent 3 empty pages in a row, each pointing to another (")
    assert len(httpserver.log) == 3


@pytest.mark.parametrize("command, hint", [
    (["services", "list", "--all"], "hint: list fewer with --limit N\n"),
    (["services", "list", "--all", "--page-size", "10"], "hint: list fewer with --limit N, or larger pages with --page-size 1000\n"),
    (["services", "list", "--limit", "100000", "--page-size", "1000"], "hint: list fewer with --limit N\n"),
    (["services", "get", "No such name"], ""),  # no --limit, no --page-size: nothing to say of them
])
def test_pages_that_never_repeat_stop_at_the_page_bound(msgsvc, profile, httpserver, monkeypatch, command, hint):
    from werkzeug import Response

    from msgsvc.api import pages

    monkeypatch.setattr(pages, "MAX_PAGES", 5)

    def another(request):
        number = int(request.args.get("Page", "0"))
        next_url = httpserver.url_for(f"/v1/Services?PageSize=1000&Page={number + 1}&PageToken=T{number + 1}")
        record = service("MG%032x" % number, name=f"Service {number}")
        return Response(json.dumps(page("services", [record], next_url)), content_type="application/json")

    httpserver.expect_request("/v1/Services").respond_with_handler(another)
    result = msgsvc(*command)
    assert result.code == 1
    assert (result.out, result.err) == ("", "msgsvc: the list at /v1/Services goes on past 5 pages (5 records); stopping: "
                                            "msgsvc follows at most that many pages of one list\n" + hint)
    assert len(httpserver.log) == 5


@pytest.mark.parametrize("command, path, key", [
    (["numbers", "list", SERVICE_SID, "--all", "--page-size", "50"], f"/v1/Services/{SERVICE_SID}/PhoneNumbers", "phone_numbers"),
    (["brands", "list", "--all", "--page-size", "50"], "/v1/a2p/BrandRegistrations", "data"),
    (["tollfree", "list", "--all", "--page-size", "50"], "/v1/Tollfree/Verifications", "verifications"),
])
def test_every_list_command_names_its_own_options_at_the_page_bound(msgsvc, profile, httpserver, monkeypatch, command, path, key):
    from werkzeug import Response

    from msgsvc.api import pages

    monkeypatch.setattr(pages, "MAX_PAGES", 3)

    def another(request):
        number = int(request.args.get("Page", "0"))
        next_url = httpserver.url_for(f"{path}?PageSize=50&Page={number + 1}&PageToken=T{number + 1}")
        return Response(json.dumps(page(key, [{"sid": "XX%032x" % number}], next_url)), content_type="application/json")

    httpserver.expect_request(path).respond_with_handler(another)
    result = msgsvc(*command)
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"msgsvc: the list at {path} goes on past 3 pages (3 records); stopping: msgsvc follows at most "
                          "that many pages of one list\nhint: list fewer with --limit N, or larger pages with --page-size 1000\n")


def test_the_page_bound_of_a_command_without_limit_or_page_size_names_neither(msgsvc, profile, httpserver, monkeypatch):
    from werkzeug import Response

    from msgsvc.api import pages

    monkeypatch.setattr(pages, "MAX_PAGES", 3)
    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json"

    def another(request):
        number = int(request.args.get("Page", "0"))
        record = {"sid": "PN%032x" % number, "phone_number": f"+1501712{number:04d}", "capabilities": {"sms": True}}
        return Response(json.dumps({"incoming_phone_numbers": [record],
                                    "next_page_uri": f"{path}?PageSize=1000&Page={number + 1}&PageToken=T{number + 1}"}),
                        content_type="application/json")

    def services(request):
        number = int(request.args.get("Page", "0"))
        next_url = httpserver.url_for(f"/v1/Services?PageSize=1000&Page={number + 1}&PageToken=T{number + 1}")
        return Response(json.dumps(page("services", [service("MG%032x" % number)], next_url)), content_type="application/json")

    httpserver.expect_request(path).respond_with_handler(another)
    httpserver.expect_request("/v1/Services").respond_with_handler(services)
    for command, listed in ((["numbers", "list", "--account"], path), (["numbers", "find", "+15017120000"], "/v1/Services")):
        result = msgsvc(*command)
        assert (result.code, result.out) == (1, ""), command
        assert result.err == (f"msgsvc: the list at {listed} goes on past 3 pages (3 records); stopping: "
                              "msgsvc follows at most that many pages of one list\n"), command


@pytest.mark.parametrize("link", ["relative", "absolute"])
def test_a_base_url_path_prefix_stays_on_every_page(msgsvc, httpserver, isolated, monkeypatch, link):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    second = "/v1/Services?PageSize=1000&Page=1&PageToken=PT1"
    next_url = second if link == "relative" else httpserver.url_for(second)
    httpserver.expect_ordered_request("/twilio/v1/Services", query_string="PageSize=1000").respond_with_json(
        page("services", [service()], next_url))
    httpserver.expect_ordered_request("/twilio/v1/Services", query_string="PageSize=1000&Page=1&PageToken=PT1"
                                      ).respond_with_json(page("services", [service("MG" + "b" * 32)]))
    result = msgsvc("--base-url", httpserver.url_for("/twilio"), "services", "list", "--all")
    assert result.code == 0, (result.err, [(r.path, r.query_string) for r, _ in httpserver.log])
    assert result.out.count("\n") == 2
    httpserver.check_assertions()


def test_the_deadline_watchdog_is_woken_only_for_a_sooner_deadline(monkeypatch):
    """A bulk job arms a deadline per request, each about as far off as the last: the watchdog
    thread, waiting for the soonest, is not woken for a later one (it would take the
    interpreter from the senders each time), but is for a sooner one."""
    from msgsvc.api import retry

    dog = retry._Watchdog()
    monkeypatch.setattr(retry, "_watchdog", dog)
    dog._thread = threading.current_thread()  # stands for a watchdog thread already running
    woken = []
    monkeypatch.setattr(dog, "_wake", type("Wake", (), {"notify": lambda self: woken.append(dog._wakes_at)})())

    class Connection:
        sock = None

    first = retry.Deadline(60)
    first.arm(Connection())
    assert len(woken) == 1  # nothing was watched: woken to work out when to wake
    dog._wakes_at = first._armed[0]  # what the thread does then
    later = retry.Deadline(120)
    later.arm(Connection())
    assert len(woken) == 1 and dog._watched == {first, later}
    first.disarm()
    assert dog._watched == {later}  # a finished request is not watched any more
    sooner = retry.Deadline(1)
    sooner.arm(Connection())
    assert len(woken) == 2


def test_a_sooner_deadline_armed_after_a_later_one_still_ends_its_read(monkeypatch):
    from msgsvc.api import retry

    monkeypatch.setattr(retry, "_watchdog", retry._Watchdog())
    ours, theirs = socket.socketpair()
    other, _ = socket.socketpair()
    try:
        far, near = type("Far", (), {"sock": other})(), type("Near", (), {"sock": ours})()
        retry.Deadline(3600).arm(far)
        deadline = retry.Deadline(0.05)
        deadline.arm(near)
        ours.settimeout(30)  # a bound for a broken watchdog, not a timing
        assert ours.recv(1) == b""  # shut down by the watchdog
        assert deadline.expired
    finally:
        for sock in (ours, theirs, other, _):
            sock.close()
