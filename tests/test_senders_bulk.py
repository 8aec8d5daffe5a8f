"""A bulk attach of 1,000 numbers against a local, threaded fake of Twilio that answers some
requests with 429 (with and without Retry-After), some with 21712 or 80104, and is slow on
others: every input gets exactly one result with the right status, and the server sees
exactly one successful POST per attached number."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import ACCOUNT_SID, BASIC_AUTH, OTHER_SID, SERVICE_SID

N = 1000
PREFIX = f"/v1/Services/{SERVICE_SID}/PhoneNumbers"
INCOMING = f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json"


def sid(i: int) -> str:
    return "PN%032x" % i


def e164(i: int) -> str:
    return "+1555%07d" % i


def kind(i: int) -> str:
    """What the fake server does with number i."""
    if i in (0, 1):
        return "listed"  # already in the service: no POST expected
    if i % 100 == 42:
        return "21712"
    if i % 250 == 99:
        return "80104"
    if i in (300, 301):
        return "429-after-1"  # Retry-After: 1 (pauses every thread)
    if i % 50 == 7:
        return "429-after-0"
    if i % 50 == 13:
        return "429-no-header"  # backoff
    if i % 100 == 21:
        return "429-twice"
    return "ok"


class FakeTwilio(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes
    lock = threading.Lock()
    posts: dict[str, list[int]] = defaultdict(list)
    lookups: Counter = Counter()
    bad_auth = 0
    served_429 = 0

    def log_message(self, *args):  # quiet
        pass

    def reply(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def too_many(self, retry_after: str | None) -> None:
        with self.lock:
            FakeTwilio.served_429 += 1
        self.reply(429, {"code": 20429, "message": "Too Many Requests", "status": 429},
                   {"Retry-After": retry_after} if retry_after is not None else None)

    def do_GET(self):
        if self.headers.get("Authorization") != BASIC_AUTH:
            FakeTwilio.bad_auth += 1
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == PREFIX:
            records = [{"sid": sid(i), "phone_number": e164(i), "service_sid": SERVICE_SID} for i in (0, 1)]
            return self.reply(200, {"phone_numbers": records, "meta": {"key": "phone_numbers", "next_page_url": None}})
        if url.path == INCOMING:
            number = query["PhoneNumber"][0]
            i = int(number[5:])
            with self.lock:
                FakeTwilio.lookups[number] += 1
                first = FakeTwilio.lookups[number] == 1
            if i % 100 == 55 and first:
                return self.too_many("0")
            items = [{"sid": "PN" + "f" * 32, "phone_number": number + "9"},  # a partial match
                     {"sid": sid(i), "phone_number": number}]
            return self.reply(200, {"incoming_phone_numbers": items, "next_page_uri": None})
        self.reply(404, {"code": 20404, "message": "not found", "status": 404})

    def do_POST(self):
        if self.headers.get("Authorization") != BASIC_AUTH:
            FakeTwilio.bad_auth += 1
        body = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        pn = body["PhoneNumberSid"][0]
        i = int(pn[2:], 16)
        what = kind(i)
        with self.lock:
            tries = len(FakeTwilio.posts[pn])
        if i % 20 == 3:
            time.sleep(0.05)  # slow
        status = 201
        if what == "429-after-1" and tries == 0:
            status = 429
            self.too_many("1")
        elif what == "429-after-0" and tries == 0:
            status = 429
            self.too_many("0")
        elif (what == "429-no-header" and tries == 0) or (what == "429-twice" and tries < 2):
            status = 429
            self.too_many(None)
        elif what == "21712":
            status = 400
            self.reply(400, {"code": 21712, "status": 400, "message": f"Phone Number or Short Code is already "
                                                                      f"associated with another Messaging Service {OTHER_SID}"})
        elif what == "80104":
            status = 400
            self.reply(400, {"code": 80104, "status": 400, "message": "PhoneNumber has already been added to Service"})
        else:
            self.reply(201, {"sid": pn, "phone_number": e164(i), "service_sid": SERVICE_SID})
        with self.lock:
            FakeTwilio.posts[pn].append(status)


@pytest.fixture
def fake_twilio():
    FakeTwilio.posts = defaultdict(list)
    FakeTwilio.lookups = Counter()
    FakeTwilio.bad_auth = FakeTwilio.served_429 = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_bulk_attach_of_1000_numbers(msgsvc, profile, fake_twilio, monkeypatch, tmp_path):
    from msgsvc.api import retry, transport
    from msgsvc.jobs import senders_plan as plan

    # One look-up per number here (with 429s on some of them); the single listing that
    # replaces them above plan.LIST_ACCOUNT_ABOVE numbers has its own test in test_senders.py.
    monkeypatch.setattr(plan, "LIST_ACCOUNT_ABOVE", 10**6)

    # Short backoff so the test stays fast; Retry-After values are the server's own.
    real_make_retry = transport.make_retry
    monkeypatch.setattr(transport, "make_retry", lambda n, throttle, factor, **kw: real_make_retry(n, throttle, 0.01, **kw))
    holds: list[float] = []
    real_hold = retry.Throttle.hold

    def hold(self, seconds):
        holds.append(seconds)
        real_hold(self, seconds)

    monkeypatch.setattr(retry.Throttle, "hold", hold)

    # Every tenth number by its E.164 form, the rest by SID; some lines twice.
    lines = [e164(i) if i % 10 == 5 else sid(i) for i in range(N)]
    listing = tmp_path / "numbers.txt"
    listing.write_text("# the pool\n" + "\n".join(lines + lines[:20]) + "\n")

    result = msgsvc("--base-url", fake_twilio, "--max-retries", "5", "numbers", "attach", SERVICE_SID,
                    "--from-file", str(listing), "--concurrency", "16", "--json")

    results = json.loads(result.out)
    assert [r["input"] for r in results] == lines  # each distinct input once, in input order
    expected_status = {"listed": "already attached", "80104": "already attached", "21712": "failed"}
    for i, r in enumerate(results):
        what = kind(i)
        assert r["sid"] == sid(i), r
        assert r["status"] == expected_status.get(what, "attached"), (i, what, r)
        if what == "21712":
            assert r["code"] == 21712
            assert r["message"].startswith(f"in service {OTHER_SID} (21712): ")
        else:
            assert r["code"] is None and r["message"] is None, r

    counts = Counter(r["status"] for r in results)
    assert counts == {"attached": 984, "already attached": 6, "failed": 10}
    assert result.err == "984 attached, 6 already attached, 10 failed\n"
    assert result.code == 1

    # The server's side: exactly one successful POST per attached number, none for the rest.
    successes = Counter(pn for pn, statuses in FakeTwilio.posts.items() for s in statuses if s == 201)
    assert set(successes.values()) == {1}
    assert set(successes) == {r["sid"] for r in results if r["status"] == "attached"}
    assert sid(0) not in FakeTwilio.posts and sid(1) not in FakeTwilio.posts
    for i in range(2, N):
        statuses = FakeTwilio.posts[sid(i)]
        assert statuses.count(201) <= 1 and all(s in (201, 429, 400) for s in statuses)
    # E.164 inputs were looked up once each, twice after a 429.
    assert all(n == (2 if int(number[5:]) % 100 == 55 else 1) for number, n in FakeTwilio.lookups.items())
    assert len(FakeTwilio.lookups) == 100
    # Every 429 paused the whole pool through the shared throttle, for Retry-After when given.
    assert len(holds) == FakeTwilio.served_429
    assert holds.count(1.0) == 2 and 0.0 in holds
    assert FakeTwilio.bad_auth == 0
