"""msgsvc.jobs.executor: any list of changes is sent as it says, one Outcome per change in order,
with the bulk rules: a lost POST is checked with a GET and never sent again, 401/403 stop
the job, a 429 pauses every thread, Ctrl-C lets what is in flight finish."""

from __future__ import annotations

import json
import os
import signal

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, BASIC_AUTH, OTHER_SID, SERVICE_SID, base_url_of, page, service
from corehelp import ctrl_c_taken
from faults import DROP, Respond, fault_server  # noqa: F401 (fixture)
from msgsvc.jobs.executor import Executor
from msgsvc.jobs.changes import Change, Outcome

PN = "PN" + "1" * 32
PN2 = "PN" + "2" * 32
SC = "SC" + "3" * 32
NUMBERS_PATH = f"/v1/Services/{SERVICE_SID}/PhoneNumbers"


@pytest.fixture(autouse=True)
def _no_signal_remembered():
    """signals_as_ctrl_c remembers the signal that stopped a run (for signals.exit): the
    tests that run the pool under it leave none behind."""
    yield
    from msgsvc.cli import signals

    signals._stopped_by.clear()


def client_for(base_url, **settings):
    from msgsvc.api.client import Client, ClientSettings

    return Client(ClientSettings(username=ACCOUNT_SID, password=AUTH_TOKEN, base_url=base_url,
                                 **{"max_retries": 0, **settings}))


def attach(sid=PN, *inputs):
    return Change("attach", "phone-number", SERVICE_SID, sid, inputs or (sid,), (("PhoneNumberSid", sid),))


def test_a_mixed_list_is_sent_exactly_as_planned(httpserver):
    changes = [
        Change("create", "service", inputs=("Alerts",), form=(("FriendlyName", "Alerts"), ("Usecase", "poll"))),
        Change("update", "service", service=OTHER_SID, target=OTHER_SID, inputs=("Old",),
               form=(("ValidityPeriod", "600"),)),
        attach(PN, "+15017122661"),
        Change("detach", "short-code", SERVICE_SID, SC, (SC,)),
        Change("delete", "service", service=OTHER_SID, target=OTHER_SID, inputs=("Old",)),
    ]
    auth = {"Authorization": BASIC_AUTH}
    httpserver.expect_ordered_request("/v1/Services", method="POST", headers=auth,
                                      data="FriendlyName=Alerts&Usecase=poll",
                                      ).respond_with_json(service(), status=201)
    httpserver.expect_ordered_request(f"/v1/Services/{OTHER_SID}", method="POST", headers=auth,
                                      data="ValidityPeriod=600").respond_with_json(service(OTHER_SID, "Old"))
    httpserver.expect_ordered_request(NUMBERS_PATH, method="POST", headers=auth, data=f"PhoneNumberSid={PN}",
                                      ).respond_with_json({"sid": PN}, status=201)
    httpserver.expect_ordered_request(f"/v1/Services/{SERVICE_SID}/ShortCodes/{SC}", method="DELETE", headers=auth,
                                      ).respond_with_data("", status=204)
    httpserver.expect_ordered_request(f"/v1/Services/{OTHER_SID}", method="DELETE", headers=auth,
                                      ).respond_with_data("", status=204)

    executor = Executor(client_for(base_url_of(httpserver)), concurrency=1)
    outcomes = executor.run(changes)

    assert outcomes == [
        Outcome("Alerts", SERVICE_SID, "created"),
        Outcome("Old", OTHER_SID, "updated"),
        Outcome("+15017122661", PN, "attached"),
        Outcome(SC, SC, "detached"),
        Outcome("Old", OTHER_SID, "deleted"),
    ]
    assert not executor.interrupted
    httpserver.check_assertions()
    assert [(r.method, r.path, r.query_string) for r, _ in httpserver.log] == [
        ("POST", "/v1/Services", b""), ("POST", f"/v1/Services/{OTHER_SID}", b""), ("POST", NUMBERS_PATH, b""),
        ("DELETE", f"/v1/Services/{SERVICE_SID}/ShortCodes/{SC}", b""), ("DELETE", f"/v1/Services/{OTHER_SID}", b""),
    ]


def test_answers_that_mean_already_done_or_failed(httpserver):
    gone = {"code": 20404, "message": "Not found", "status": 404}
    httpserver.expect_request(NUMBERS_PATH, method="POST", data=f"PhoneNumberSid={PN}").respond_with_json(
        {"code": 21710, "message": "Phone Number already in Messaging Service", "status": 409}, status=409)
    httpserver.expect_request(NUMBERS_PATH, method="POST", data=f"PhoneNumberSid={PN2}").respond_with_json(
        {"code": 21712, "message": f"in {OTHER_SID}", "status": 400}, status=400)
    httpserver.expect_request(f"{NUMBERS_PATH}/{PN}", method="DELETE").respond_with_json(gone, status=404)
    httpserver.expect_request(f"/v1/Services/{OTHER_SID}", method="DELETE").respond_with_json(gone, status=404)
    httpserver.expect_request("/v1/Services", method="POST").respond_with_json(
        {"code": 21200, "message": "Bad name", "status": 400}, status=400)

    outcomes = Executor(client_for(base_url_of(httpserver))).run([
        attach(PN), attach(PN2),
        Change("detach", "phone-number", SERVICE_SID, PN, (PN,)),
        Change("delete", "service", service=OTHER_SID, target=OTHER_SID, inputs=(OTHER_SID,)),
        Change("create", "service", inputs=("Bad",), form=(("FriendlyName", "Bad"),)),
    ])

    assert outcomes == [
        Outcome(PN, PN, "already attached"),
        Outcome(PN2, PN2, "failed", 21712, f"in service {OTHER_SID} (21712): in {OTHER_SID}"),
        Outcome(PN, PN, "not attached"),
        Outcome(OTHER_SID, OTHER_SID, "not found"),
        Outcome("Bad", None, "failed", 21200, "Bad name"),
    ]


@pytest.mark.parametrize("present", [True, False])
def test_a_lost_post_is_checked_with_a_get_and_never_sent_again(fault_server, present):
    fault_server.script("POST", NUMBERS_PATH, DROP)
    fault_server.script("GET", f"{NUMBERS_PATH}/{PN}",
                        Respond(200, json={"sid": PN}) if present
                        else Respond(404, json={"code": 20404, "message": "Not found", "status": 404}))

    outcomes = Executor(client_for(fault_server.url)).run([attach(PN)])

    if present:
        assert outcomes == [Outcome(PN, PN, "attached")]
    else:
        assert outcomes == [Outcome(PN, PN, "failed", None,
            f"the connection to {fault_server.netloc} was lost after the request was sent: POST "
            f"{fault_server.url}{NUMBERS_PATH} may or may not have taken effect; it is not in the service: "
            "run the command again")]
    assert [(r.method, r.path, r.body) for r in fault_server.seen()] == [
        ("POST", NUMBERS_PATH, f"PhoneNumberSid={PN}"), ("GET", f"{NUMBERS_PATH}/{PN}", "")]


@pytest.mark.parametrize("validity, status", [(600, "updated"), (14400, "failed")])
def test_a_lost_update_is_checked_against_what_it_asked(fault_server, validity, status):
    fault_server.script("POST", f"/v1/Services/{SERVICE_SID}", DROP)
    fault_server.script("GET", f"/v1/Services/{SERVICE_SID}", Respond(200, json=service(validity_period=validity)))
    change = Change("update", "service", service=SERVICE_SID, target=SERVICE_SID, inputs=("Alerts",),
                    form=(("ValidityPeriod", "600"), ("StickySender", "true")))

    [outcome] = Executor(client_for(fault_server.url)).run([change])

    assert (outcome.input, outcome.sid, outcome.status) == ("Alerts", SERVICE_SID, status)
    if status == "failed":
        assert outcome.message.endswith("may or may not have taken effect; validity_period not as asked: "
                                         "run the command again")
    assert [(r.method, r.path) for r in fault_server.seen()] == [
        ("POST", f"/v1/Services/{SERVICE_SID}"), ("GET", f"/v1/Services/{SERVICE_SID}")]


def test_a_lost_create_is_looked_for_and_not_sent_again(fault_server):
    fault_server.script("POST", "/v1/Services", DROP)
    fault_server.script("GET", "/v1/Services", Respond(200, json=page("services", [])))
    [outcome] = Executor(client_for(fault_server.url)).run(
        [Change("create", "service", inputs=("Alerts",), form=(("FriendlyName", "Alerts"),))])
    assert (outcome.status, outcome.sid) == ("failed", None)
    assert outcome.message.endswith("may or may not have taken effect; checked: it was not made: run the command again")
    assert [r.method for r in fault_server.seen()] == ["POST", "GET"]


def test_a_lost_create_whose_check_fails_is_unknown_and_not_sent_again(fault_server):
    fault_server.script("POST", "/v1/Services", DROP)
    fault_server.script("GET", "/v1/Services", Respond(500, json={"message": "boom"}))
    [outcome] = Executor(client_for(fault_server.url, max_retries=0)).run(
        [Change("create", "service", inputs=("Alerts",), form=(("FriendlyName", "Alerts"),))])
    assert (outcome.status, outcome.sid) == ("unknown", None)
    assert "may or may not have taken effect; checking failed too: " in outcome.message
    assert [r.method for r in fault_server.seen()] == ["POST", "GET"]


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("what", ["attach", "delete"])
def test_a_lost_write_whose_check_is_refused_is_unknown_and_stops_the_job(fault_server, status, what):
    """It may have been done: unknown (never failed, which says sending it again is safe);
    the refusal stops the job as any 401/403 does."""
    from msgsvc.errors import ApiError

    first = attach(PN) if what == "attach" else Change("delete", "service", SERVICE_SID, SERVICE_SID, ("Alerts",))
    method, path = ("POST", NUMBERS_PATH) if what == "attach" else ("DELETE", f"/v1/Services/{SERVICE_SID}")
    check = f"{NUMBERS_PATH}/{PN}" if what == "attach" else f"/v1/Services/{SERVICE_SID}"
    fault_server.script(method, path, DROP)
    fault_server.script("GET", check, Respond(status, json={"code": 20003, "message": "Authenticate", "status": status}))
    executor = Executor(client_for(fault_server.url), concurrency=1)
    outcomes = executor.run([first, attach(PN2)])
    assert isinstance(executor.stopped_by, ApiError) and executor.stopped_by.status == status
    assert [(o.status, o.code) for o in outcomes] == [("unknown", None), ("not sent", None)]
    assert outcomes[0].message.endswith(f"; checking failed too: HTTP {status} (Twilio error 20003): Authenticate; "
                                        "look before running again")
    assert [(r.method, r.path) for r in fault_server.seen()] == [(method, path), ("GET", check)]

@pytest.mark.parametrize("status", [401, 403])
def test_an_authentication_failure_stops_the_job(fault_server, status):
    from msgsvc.errors import ApiError

    fault_server.script("POST", NUMBERS_PATH, Respond(status, json={"code": 20003, "message": "Authenticate", "status": status}))
    executor = Executor(client_for(fault_server.url), concurrency=1)
    outcomes = executor.run([attach(PN), attach(PN2)])
    assert isinstance(executor.stopped_by, ApiError) and executor.stopped_by.status == status
    assert [(o.input, o.status, o.code) for o in outcomes] == [(PN, "failed", 20003), (PN2, "not sent", None)]
    assert len(fault_server.seen("POST")) == 1  # the second change was never sent


def test_a_429_pauses_and_is_retried_once_per_change(fault_server, monkeypatch):
    from msgsvc.api import retry

    monkeypatch.setattr(retry, "pause", lambda seconds: None)
    throttled = Respond(429, json={"code": 20429, "message": "Too Many Requests", "status": 429}, headers={"Retry-After": "0"})
    fault_server.script("POST", NUMBERS_PATH, throttled, Respond(201, json={"sid": PN}), Respond(201, json={"sid": PN2}))

    outcomes = Executor(client_for(fault_server.url, max_retries=2), concurrency=1).run([attach(PN), attach(PN2)])

    assert [o.status for o in outcomes] == ["attached", "attached"]
    assert [r.body for r in fault_server.seen()] == [f"PhoneNumberSid={PN}"] * 2 + [f"PhoneNumberSid={PN2}"]


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_finishes_what_is_in_flight_and_marks_the_rest_not_sent(httpserver, monkeypatch, presses):
    # Ctrl-C (once, or twice) while the second request is in flight: it still finishes and
    # is reported as done; what had not started is 'not sent'.
    from msgsvc.api import client as client_module

    pns = [f"PN{n:032x}" for n in range(4)]
    for pn in pns[:2]:
        httpserver.expect_oneshot_request(NUMBERS_PATH, method="POST", data=f"PhoneNumberSid={pn}",
                                          ).respond_with_json({"sid": pn}, status=201)
    real = client_module.Client.request
    calls = []
    taken = ctrl_c_taken(monkeypatch)

    def second_is_interrupted(self, method, *args, **kwargs):
        calls.append(method)
        if len(calls) == 2:
            for _ in range(presses):
                os.kill(os.getpid(), signal.SIGINT)
                taken()  # the main thread took it while this request waits
        return real(self, method, *args, **kwargs)

    monkeypatch.setattr(client_module.Client, "request", second_is_interrupted)
    notes = []
    executor = Executor(client_for(base_url_of(httpserver)), concurrency=1, note=notes.append)

    outcomes = executor.run([attach(pn) for pn in pns])

    assert executor.interrupted
    assert [(o.input, o.status) for o in outcomes] == [
        (pns[0], "attached"), (pns[1], "attached"), (pns[2], "not sent"), (pns[3], "not sent")]
    assert notes == ["stopping: waiting for the 1 request already sent"]
    httpserver.check_assertions()
    assert len(httpserver.log) == 2


def test_an_empty_list_sends_nothing(httpserver):
    assert Executor(client_for(base_url_of(httpserver))).run([]) == []
    assert httpserver.log == []


def test_outcomes_are_json(httpserver):
    httpserver.expect_request(NUMBERS_PATH, method="POST").respond_with_json({"sid": PN}, status=201)
    [outcome] = Executor(client_for(base_url_of(httpserver))).run([attach(PN)])
    assert json.loads(json.dumps(outcome.record())) == {"input": PN, "sid": PN, "status": "attached",
                                                       "code": None, "message": None}


def test_a_list_valued_field_is_sent_as_repeated_keys(httpserver, thing):
    httpserver.expect_oneshot_request("/v1/Things", method="POST", headers={"Authorization": BASIC_AUTH},
                                      data="FriendlyName=T&MessageSamples=a+b&MessageSamples=c",
                                      ).respond_with_json({"sid": "QE" + "1" * 32}, status=201)
    change = Change("create", thing.name, inputs=("T",), form=(("FriendlyName", "T"), ("MessageSamples", "a b"), ("MessageSamples", "c")))
    outcomes = Executor(client_for(base_url_of(httpserver))).run([change])
    assert [(o.status, o.sid) for o in outcomes] == [("created", "QE" + "1" * 32)]
    httpserver.check_assertions()


def test_ctrl_c_while_a_lost_post_waits_to_be_checked_is_never_not_sent(monkeypatch):
    """The POST went out; only the GET that would check it was called off (Ctrl-C during a 429
    hold): the value is reported unknown, 'not checked', never 'not sent'."""
    from msgsvc.errors import OutcomeUnknownError
    from msgsvc.api.retry import Cancelled

    executor = Executor(client_for("http://127.0.0.1:9"))

    def cancelled(*args, **kwargs):
        raise Cancelled()

    monkeypatch.setattr(executor.client, "fetch_object", cancelled)
    outcome = executor._checked(attach(PN), OutcomeUnknownError("POST answered HTTP 502: it may or may not have taken effect"), 0.0)
    assert (outcome.status, outcome.sid) == ("unknown", PN)
    assert outcome.message.endswith("; not checked (interrupted): look before running again")


def test_a_failing_progress_callback_ends_the_job_with_its_error():
    """The pool's wait ends on a failure of the progress callback too, as on one of the work."""
    from msgsvc.jobs.pool import run_pool

    def done():
        raise RuntimeError("the progress bar broke")

    with pytest.raises(RuntimeError, match="the progress bar broke"):
        run_pool([1, 2, 3], lambda item: item, concurrency=2, done=done)


def test_ctrl_c_while_the_items_are_handed_out_waits_for_what_started_and_sends_no_more(monkeypatch):
    """A Ctrl-C (SIGHUP under load, in CI) can land while the main thread is still handing the
    items to the threads, a worker already sending the first: that one is waited for and
    reported, and one handed out before the Ctrl-C but not yet started is never sent."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from msgsvc.jobs.pool import Stopped, run_pool

    started, release = threading.Event(), threading.Event()
    ran = []

    def work(item):
        ran.append(item)
        if item == 0:
            started.set()
            assert release.wait(30), "the main thread never said it was stopping"
        return item * 10

    real_submit = ThreadPoolExecutor.submit
    handed = []

    def submit(self, fn, *args, **kwargs):
        future = real_submit(self, fn, *args, **kwargs)
        handed.append(future)
        if len(handed) == 2:  # the second is queued; the first is being sent
            assert started.wait(30)
            raise KeyboardInterrupt  # as a Ctrl-C landing just after it was handed out
        return future

    monkeypatch.setattr(ThreadPoolExecutor, "submit", submit)
    told = []

    def stopping(in_flight):
        told.append(in_flight)
        release.set()

    with pytest.raises(Stopped) as stopped:
        run_pool(list(range(5)), work, concurrency=1, stopping=stopping)
    assert told == [1]  # "stopping: waiting for the 1 request already sent"
    assert stopped.value.results == [0, None, None, None, None]
    assert ran == [0]


def test_a_second_ctrl_c_while_the_stop_is_being_said_still_waits_for_what_is_in_flight():
    """The second Ctrl-C lands while the first is being reported ('stopping: waiting ...'):
    the request in flight is still waited for and its result kept; the rest is not sent."""
    import threading

    from msgsvc.jobs.pool import Stopped, run_pool

    started, release = threading.Event(), threading.Event()

    def work(item):
        if item == 0:
            started.set()
            assert release.wait(30)
        return item * 10

    def first_ctrl_c():
        assert started.wait(30)
        os.kill(os.getpid(), signal.SIGINT)  # taken by the main thread, while the first is in flight

    told = []

    def stopping(in_flight):
        told.append(in_flight)
        release.set()  # the request in flight may finish now
        raise KeyboardInterrupt  # as the second Ctrl-C, landing while the stop is said

    pressing = threading.Thread(target=first_ctrl_c)
    pressing.start()
    try:
        with pytest.raises(Stopped) as stopped:
            run_pool([0, 1, 2], work, concurrency=1, stopping=stopping)
    finally:
        pressing.join()
    assert told == [1]  # said once
    assert stopped.value.results == [0, None, None]


def _no_bare_ctrl_c(call):
    """call(); a KeyboardInterrupt escaping it fails the test (instead of ending pytest)."""
    from msgsvc.jobs.pool import Stopped

    try:
        return call()
    except Stopped:  # a KeyboardInterrupt too, with the results
        raise
    except KeyboardInterrupt:
        pytest.fail("a bare KeyboardInterrupt escaped run_pool: every result was lost")


def _ctrl_c_while_handing_out(monkeypatch, started):
    """ThreadPoolExecutor.submit, patched: a Ctrl-C lands just after the second item was handed
    out, once the first is being sent (`started`)."""
    from concurrent.futures import ThreadPoolExecutor

    real_submit = ThreadPoolExecutor.submit
    handed = []

    def submit(self, fn, *args, **kwargs):
        future = real_submit(self, fn, *args, **kwargs)
        handed.append(future)
        if len(handed) == 2:
            assert started.wait(30)
            raise KeyboardInterrupt
        return future

    monkeypatch.setattr(ThreadPoolExecutor, "submit", submit)


def test_a_progress_callback_failing_after_a_ctrl_c_keeps_the_result_of_the_request_that_ran(monkeypatch):
    """The request in flight at Ctrl-C finished; the progress bar then failed as it was told.
    The request was sent: its result is kept, not reported as never sent."""
    import threading

    from msgsvc.jobs.pool import Stopped, run_pool

    started, release = threading.Event(), threading.Event()

    def work(item):
        started.set()
        assert release.wait(30)
        return item * 10

    def done():
        raise RuntimeError("the progress bar broke")

    _ctrl_c_while_handing_out(monkeypatch, started)
    with pytest.raises(Stopped) as stopped:
        _no_bare_ctrl_c(lambda: run_pool([0, 1, 2], work, concurrency=1, done=done,
                                         stopping=lambda n: release.set()))
    assert stopped.value.results == [0, None, None]



@pytest.mark.parametrize("first_ctrl_c", [False, True])
def test_a_ctrl_c_as_the_pool_is_shut_down_keeps_every_result(monkeypatch, first_ctrl_c):
    """A Ctrl-C (the first, all done; or a later one, the stop waited out) landing as the pool's
    idle threads are shut down: Stopped with every result, not a bare KeyboardInterrupt."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from msgsvc.jobs.pool import Stopped, run_pool

    started, release = threading.Event(), threading.Event()
    if first_ctrl_c:
        _ctrl_c_while_handing_out(monkeypatch, started)
    else:
        release.set()
    real_shutdown = ThreadPoolExecutor.shutdown
    calls = []

    def shutdown(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real_shutdown(self, *args, **kwargs)

    monkeypatch.setattr(ThreadPoolExecutor, "shutdown", shutdown)

    def work(item):
        started.set()
        assert release.wait(30)
        return item * 10

    told = []

    def stopping(in_flight):
        told.append(in_flight)
        release.set()

    with pytest.raises(Stopped) as stopped:
        _no_bare_ctrl_c(lambda: run_pool([0, 1, 2], work, concurrency=1, stopping=stopping))
    assert stopped.value.results == ([0, None, None] if first_ctrl_c else [0, 10, 20])
    assert told == ([1] if first_ctrl_c else [0])


def test_a_ctrl_c_after_a_failure_waits_for_what_is_in_flight_then_raises_the_failure(monkeypatch):
    """One item failed while another is being sent; Ctrl-C, twice, while msgsvc waits for that
    one: it is still waited for (its outcome would be unknown), and the failure is raised."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from msgsvc.jobs import pool
    from msgsvc.jobs.pool import run_pool

    second_started, release = threading.Event(), threading.Event()
    finished = []

    def work(item):
        if item == 0:
            assert second_started.wait(30)
            raise RuntimeError("a bug")
        second_started.set()
        assert release.wait(30)
        finished.append(item)
        return item

    def ctrl_c_once(real):
        calls = []

        def interrupted(*args, **kwargs):
            calls.append(1)
            if len(calls) == 1:
                raise KeyboardInterrupt  # as a Ctrl-C landing in that wait
            return real(*args, **kwargs)

        return interrupted

    monkeypatch.setattr(pool, "_wait_for_in_flight", ctrl_c_once(pool._wait_for_in_flight))
    monkeypatch.setattr(ThreadPoolExecutor, "shutdown", ctrl_c_once(ThreadPoolExecutor.shutdown))
    told = []

    def stopping(in_flight):
        told.append(in_flight)
        release.set()

    try:
        with pytest.raises(RuntimeError, match="a bug"):
            _no_bare_ctrl_c(lambda: run_pool([0, 1, 2], work, concurrency=2, stopping=stopping))
        assert finished == [1]  # finished before run_pool ended
        assert told == [1]
    finally:
        release.set()


def _until_the_main_thread_waits():
    """Until the main thread is blocked taking a lock (the wait for the job to end)."""
    import linecache
    import sys
    import threading
    import time

    for _ in range(30000):
        frame = sys._current_frames()[threading.main_thread().ident]
        if ".acquire(" in linecache.getline(frame.f_code.co_filename, frame.f_lineno):
            return
        time.sleep(0.001)  # polled: the outcome does not depend on it
    pytest.fail("the main thread never waited")


def test_two_signals_at_once_while_the_job_waits_still_wait_for_what_is_in_flight(monkeypatch):
    """SIGINT and SIGTERM together (a script's kill, a supervisor's): two KeyboardInterrupts, the
    second at the very next point the main thread may take it. Inside Event.wait that point lies
    between its lock let go and taken again, and RuntimeError('release unlocked lock') escaped
    run_pool with the request still in flight: the wait must be on something a signal cannot cut."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from msgsvc.cli.signals import signals_as_ctrl_c
    from msgsvc.jobs.pool import Stopped, run_pool

    handed_out, release = threading.Event(), threading.Event()
    real_submit = ThreadPoolExecutor.submit
    handed = []

    def submit(self, fn, *args, **kwargs):
        future = real_submit(self, fn, *args, **kwargs)
        handed.append(future)
        if len(handed) == 3:
            handed_out.set()
        return future

    monkeypatch.setattr(ThreadPoolExecutor, "submit", submit)

    def work(item):
        if item == 0:
            assert handed_out.wait(30)
            _until_the_main_thread_waits()
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGTERM)
            assert release.wait(30), "the main thread never said it was stopping"
        return item * 10

    told = []

    def stopping(in_flight):
        told.append(in_flight)
        release.set()

    try:
        with signals_as_ctrl_c(), pytest.raises(Stopped) as stopped:
            _no_bare_ctrl_c(lambda: run_pool([0, 1, 2], work, concurrency=1, stopping=stopping))
    finally:
        release.set()
    assert told == [1]
    assert stopped.value.results == [0, None, None]


def test_a_ctrl_c_while_the_items_are_handed_out_is_taken_once_all_are():
    """A Ctrl-C landing inside ThreadPoolExecutor.submit (as it starts a thread) could leave
    one of its locks held and hang the job's end: under msgsvc's handler it waits until every
    item is handed out, then stops the job as usual."""
    from concurrent.futures import ThreadPoolExecutor
    import unittest.mock

    from msgsvc.cli.signals import signals_as_ctrl_c
    from msgsvc.jobs.pool import Stopped, run_pool

    real_submit = ThreadPoolExecutor.submit
    calls, completed = [], []

    def submit(self, fn, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # its handler runs in here, between two bytecodes
        future = real_submit(self, fn, *args, **kwargs)
        completed.append(1)
        return future

    told = []
    with signals_as_ctrl_c(), unittest.mock.patch.object(ThreadPoolExecutor, "submit", submit):
        with pytest.raises(Stopped) as stopped:
            run_pool(list(range(6)), lambda item: item, concurrency=3, stopping=told.append)
    assert (len(calls), len(completed)) == (6, 6)  # no submit was cut short
    assert len(told) == 1
    assert all(result in (None, index) for index, result in enumerate(stopped.value.results))


def test_a_pool_run_from_another_thread_holds_no_ctrl_c(monkeypatch):
    """Only the main thread takes signals: a pool handing out its items on another thread
    must not hold back a Ctrl-C meant for the main thread (nor raise it in that thread)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from msgsvc import interrupts
    from msgsvc.jobs.pool import run_pool

    real_submit = ThreadPoolExecutor.submit
    held_while_handing_out = []

    def submit(self, fn, *args, **kwargs):
        held_while_handing_out.append(interrupts._held[0])
        return real_submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(ThreadPoolExecutor, "submit", submit)
    results = []
    thread = threading.Thread(target=lambda: results.append(run_pool([1, 2], lambda item: item, concurrency=1)))
    thread.start()
    thread.join(30)
    assert results == [[1, 2]]
    assert held_while_handing_out == [0, 0]
    run_pool([1], lambda item: item, concurrency=1)  # and on the main thread it does hold
    assert held_while_handing_out == [0, 0, 1]
