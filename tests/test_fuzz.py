"""Bad input never gets a traceback: hypothesis builds argument lists for every command, found
by walking the command tree (commands added later are covered without editing this file),
and msgsvc must answer each with a documented exit code and no Python traceback.

Everything that could reach a network goes to a local server that answers something generic
(a service that is also a one-page list); a resolver guard fails the test if any other host
name is looked up.
"""

from __future__ import annotations

import json
import os
import re
import socket

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID, base_url_of, service

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

DOCUMENTED = {0, 1, 2, 3, 4, 5}  # 130 and 141 need a Ctrl-C or a closed pipe
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

AWKWARD = [
    "", " ", "-", "--", "0", "-1", "1", "600", "36001", "1e309", "-1e309", "nan", "inf", "0x10",
    "99999999999999999999999999999999", "1.5", "true", "no", "GET", "post", "inherit",
    "notifications", SERVICE_SID, SERVICE_SID.lower(), "MG", "MG" + "z" * 32, ACCOUNT_SID, "SK" + "0" * 32,
    "PN" + "1" * 32, "+15017122661", "+1", "Alerts", "A" * 65, "é" * 64, "日本語", "\u202e", "a\tb\nc",
    "https://example.com/sms", "http://", "ftp://example.com", "https://exa mple.com", "%s%n", "{}", "[]",
    "~/nope.pem", "/", ".", "--json", "-p", "--help",
]
VALUES = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _tree():
    from typer.main import get_command

    from conftest import command_tree
    from msgsvc.cli.app import app

    # `msgsvc emulator` serves until interrupted: valid arguments would never return. Its bad
    # input is tested in test_emulator*.py.
    commands = [(path, command) for path, command in command_tree(include_groups=True) if path[:1] != ["emulator"]]
    return get_command(app), commands


ROOT, COMMANDS = _tree()


NUMBERS = st.one_of(
    st.sampled_from(["0", "-1", "1", "0.001", "600", "36001", "1e309", "nan", "inf", "-inf", "2**64", "99999999999999999999999"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def values_for(param):
    """Mostly what the option's type expects (so commands get past the parser), often not."""
    kind = type(param.type).__name__
    if kind in ("IntParamType", "IntRange", "FloatParamType", "FloatRange"):
        edges = st.sampled_from(["nan", "inf", "-inf", "1e309", "1e300", "2" * 30, "0", "-1", "1", "0.5", "600"])
        return st.one_of(edges, edges, NUMBERS, VALUES)
    choices = getattr(param.type, "choices", None)
    if choices:
        return st.one_of(st.sampled_from([str(c) for c in choices]), st.sampled_from([str(c).upper() for c in choices]), VALUES)
    if param.name in ("friendly_name", "alpha_sender"):
        return st.one_of(st.sampled_from(["Alerts", "Ops & Co", "x"]), VALUES)
    if "url" in param.name or "callback" in param.name:
        return st.one_of(st.sampled_from(["https://example.com/sms", ""]), VALUES)
    return VALUES


@st.composite
def tokens_for(draw, command, *, root: bool, server_url: str):
    """Options (some), their values (awkward), arguments (some missing), in any order."""
    tokens: list[list[str]] = []
    options = [p for p in command.params if p.param_type_name == "option" and p.name not in ("help", "version")]
    chosen = draw(st.lists(st.sampled_from(options), max_size=3 if root else 4, unique_by=id)) if options else []
    chosen += [p for p in options if p.required and p not in chosen and draw(st.integers(0, 8)) != 8]
    if draw(st.integers(0, 40)) == 40:  # rarely: --help or --version end the run at once
        chosen += [p for p in command.params if p.name in ("help", "version")][:1]
    for param in command.params:
        if param.param_type_name == "argument":
            if draw(st.integers(0, 6)) != 6:  # usually present, sometimes missing
                tokens.append([draw(st.one_of(st.sampled_from([SERVICE_SID, "Alerts", "test"]), VALUES))])
            continue
        if param not in chosen:
            continue
        name = draw(st.sampled_from(list(param.opts) + list(param.secondary_opts)))
        if param.is_flag or getattr(param, "count", False):
            tokens.append([name])
        elif name == "--base-url" and (root or getattr(param, "hidden", False)):  # never a host other than ours
            # (a global option after the command is hidden on the command; `profiles add
            # --base-url` only stores its value, which $MSGSVC_BASE_URL then beats)
            tokens.append([name, draw(st.sampled_from([server_url, "", "ftp://x", "not a url", "http://"]))])
        elif root and name in ("--profile", "-p"):
            tokens.append([name, draw(st.sampled_from(["test", "nope", "", "é"]))])
        else:
            tokens.append([name] + ([draw(values_for(param))] if draw(st.integers(0, 15)) != 15 else []))  # rarely no value
    if draw(st.integers(0, 12)) == 12:  # sometimes a token nobody knows
        tokens.append([draw(st.sampled_from(["--bogus", "-z", "extra", "--json=1", "--no-such=x"]))])
    order = draw(st.permutations(tokens))
    return [token for group in order for token in group]


@st.composite
def argv(draw, server_url: str):
    path, command = draw(st.sampled_from(COMMANDS))
    root = draw(tokens_for(ROOT, root=True, server_url=server_url))
    if getattr(command, "commands", None):  # a group alone: its help, a usage error
        return [*root, *path]
    return [*root, *path, *draw(tokens_for(command, root=False, server_url=server_url))]


@st.composite
def hostile_globals(draw, server_url: str):
    """Random global options in front of a plain, valid-looking command (each argument an
    MG SID): so the global options (timeouts, retries, profile) reach the client."""
    path, command = draw(st.sampled_from([c for c in COMMANDS if not getattr(c[1], "commands", None)]))
    root = draw(tokens_for(ROOT, root=True, server_url=server_url))
    arguments = [SERVICE_SID for p in command.params if p.param_type_name == "argument"]
    return [*root, *path, *arguments]


def generic(request):
    from werkzeug import Response

    if request.method == "DELETE":
        return Response("", status=204)
    body = {**service(), "services": [service()], "meta": {"next_page_url": None, "key": "services", "page": 0, "page_size": 50}}
    return Response(json.dumps(body), status=201 if request.method == "POST" else 200, content_type="application/json")


def test_command_tree_was_found():
    paths = [" ".join(path) for path, _ in COMMANDS]
    assert {"services create", "services delete", "profiles add"} <= set(paths)


@pytest.fixture
def fuzz_env(httpserver, monkeypatch, tmp_path):
    from msgsvc.local import config

    monkeypatch.chdir(tmp_path)  # a fuzzed `export -o NAME` or `plan -o NAME` writes here, not into the repository

    url = base_url_of(httpserver)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(generic)
    config.write_config({"active": "test", "profiles": {"test": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "base_url": url, "max_retries": 0}}})
    monkeypatch.setenv("MSGSVC_BASE_URL", url)  # beats any base_url a fuzzed `profiles add` stores
    monkeypatch.setenv("MSGSVC_MAX_RETRIES", "0")
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK:
            looked_up.append(name)
            raise socket.gaierror(socket.EAI_NONAME, "fuzz test: no network")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    # A wait (campaigns wait, tollfree wait) keeps waiting on a status it does not know, as the
    # fuzz server answers: on a fake clock its --timeout ends it at once, not 30 real minutes.
    from msgsvc.api import a2p

    real_wait = a2p.wait_for_review

    def fake_clock_wait(fetch, **kwargs):
        now = [0.0]
        kwargs["sleep"] = lambda seconds: now.__setitem__(0, now[0] + seconds)
        kwargs["clock"] = lambda: now[0]
        return real_wait(fetch, **kwargs)

    monkeypatch.setattr(a2p, "wait_for_review", fake_clock_wait)
    return url, looked_up


# Random on a developer's machine (finds more over time), the same examples in CI (no flakes).
FUZZ = settings(max_examples=150, deadline=None, derandomize=bool(os.environ.get("CI")), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(data=st.data())
def test_no_input_gets_a_traceback(fuzz_env, monkeypatch, data):
    url, _ = fuzz_env
    check(fuzz_env, monkeypatch, data, data.draw(argv(url), label="argv"))


@settings(FUZZ, max_examples=80)
@given(data=st.data())
def test_no_global_options_get_a_traceback(fuzz_env, monkeypatch, data):
    url, _ = fuzz_env
    check(fuzz_env, monkeypatch, data, data.draw(hostile_globals(url), label="argv"))


def check(fuzz_env, monkeypatch, data, args: list[str]) -> None:
    from msgsvc.cli import app as cli
    from msgsvc.cli.terminal import Terminal

    url, looked_up = fuzz_env
    tty = data.draw(st.booleans(), label="stdout is a terminal")
    stdin = data.draw(st.sampled_from(["", "tok-0123456789\n", "\n", "é\n"]), label="stdin")
    term = Terminal.fake(tty=tty, stdin_tty=False, stdin=stdin)
    code = cli.run(args, term=term)
    stderr = term.err
    hypothesis.event(f"exit {int(code)}")  # pytest --hypothesis-show-statistics shows the spread
    assert code in DOCUMENTED, (args, code, stderr)
    assert "Traceback" not in stderr, (args, stderr)
    assert "unexpected error" not in stderr, (args, stderr)
    assert looked_up == [], (args, looked_up)
