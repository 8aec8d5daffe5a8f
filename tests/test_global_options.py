"""The global options work after the command as well as before it."""

from __future__ import annotations

import pytest
from conftest import base_url_of, page, run_installed, service


@pytest.mark.parametrize("where", ["before", "after"])
def test_base_url_and_debug_after_the_command(msgsvc, profile, httpserver, where):
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()]))
    options = ["--base-url", base_url_of(httpserver) + "/", "--debug", "--timeout", "5", "--max-retries", "0"]
    args = [*options, "services", "list"] if where == "before" else ["services", "list", *options]
    result = msgsvc(*args)
    assert result.code == 0, result.err
    assert f"debug: request: GET {base_url_of(httpserver)}/v1/Services?PageSize=50" in result.err


def test_base_url_after_the_command_wins_over_the_profile(msgsvc, isolated, httpserver):
    from conftest import ACCOUNT_SID, AUTH_TOKEN

    from msgsvc.local import config

    config.write_config({"active": "p", "profiles": {"p": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN,
                                                           "base_url": "http://127.0.0.1:9", "max_retries": 0}}})
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", []))
    result = msgsvc("services", "list", "--base-url", base_url_of(httpserver))
    assert (result.code, result.err) == (0, "")
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("args, message", [
    (["--timeout", "0"], "Invalid value for '--timeout': 0.0 is not in the range 0.001 to 86400"),
    (["--max-retries", "-1"], "Invalid value for '--max-retries': -1 is not in the range 0 to 100"),
    (["--base-url", "ftp://x"], "Invalid value for '--base-url': "),
])
def test_global_options_after_the_command_are_checked(msgsvc, profile, httpserver, args, message):
    result = msgsvc("services", "list", *args)
    assert (result.code, result.out) == (2, "")
    assert message in result.err
    assert httpserver.log == []


def test_debug_after_the_command_installed(profile, httpserver):
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", []))
    proc = run_installed("services", "list", "--debug")
    assert proc.returncode == 0
    assert "debug: request: GET " in proc.stderr


def test_the_global_options_are_declared_once_for_before_and_after_the_command():
    """The root's options and those every command takes after it come from GLOBAL_OPTIONS:
    the same names, types, ranges and metavars (only hidden differs)."""
    from typer.main import get_command

    from msgsvc.cli.app import app
    from msgsvc.cli.options import AFTER_EVERY_COMMAND, GLOBAL_OPTIONS

    root = get_command(app)
    before = {p.name: p for p in root.params}
    assert [name for name in before if name in GLOBAL_OPTIONS] == list(GLOBAL_OPTIONS)
    leaf = root.get_command(None, "services").get_command(None, "list")
    after = {p.name: p for p in leaf.params if p.hidden}
    assert sorted(after) == sorted(AFTER_EVERY_COMMAND)
    for name, option in after.items():
        twin = before[name]
        assert (option.opts, option.metavar, repr(option.type), option.is_flag, option.default) == (
            twin.opts, twin.metavar, repr(twin.type), twin.is_flag, twin.default), name
        assert not twin.hidden


def test_a_noun_builds_only_the_command_used(msgsvc):
    """`msgsvc services list` builds `list` from its function, not every command of the noun;
    the noun still lists them all in their declared order, each built (global options and
    Unix arguments included) when asked for."""
    from typer.main import get_command

    from msgsvc.cli import app as cli
    from msgsvc.cli.commands import services

    root = get_command(cli.app)
    group = root.get_command(None, "services")
    declared = [info.name or info.callback.__name__.replace("_", "-") for info in services.app.registered_commands]
    assert group.list_commands(None) == declared and group.commands == {}
    leaf = group.get_command(None, "list")
    assert list(group.commands) == ["list"] and group.get_command(None, "list") is leaf
    assert "--json" in {opt for param in leaf.params for opt in param.opts}
    assert "--debug" in {opt for param in leaf.params if param.hidden for opt in param.opts}
    assert group.get_command(None, "nosuch") is None
    assert msgsvc("services", "get", "--help").code == 0
