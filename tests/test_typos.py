"""A mistyped command suggests what was meant, the lazily loaded nouns included; singular
nouns and ls/rm are suggestions, not aliases (README: Commands)."""

from __future__ import annotations

import pytest

from conftest import run_installed


@pytest.mark.parametrize("args, message", [
    (["servics", "list"], "No such command 'servics'. Did you mean 'services'?"),
    (["service", "list"], "No such command 'service'. Did you mean 'services'?"),
    (["Services", "list"], "No such command 'Services'. Did you mean 'services'?"),
    (["number", "list"], "No such command 'number'. Did you mean 'numbers'?"),
    (["short-code", "list"], "No such command 'short-code'. Did you mean 'short-codes'?"),
    (["profile", "list"], "No such command 'profile'. Did you mean 'profiles'?"),
    (["emulater"], "No such command 'emulater'. Did you mean 'emulator'?"),
    (["completon"], "No such command 'completon'. Did you mean 'completion'?"),
    (["services", "ls"], "No such command 'ls'. Did you mean 'list'?"),
    (["services", "rm", "x"], "No such command 'rm'. Did you mean 'delete'?"),
    (["profiles", "rm", "x"], "No such command 'rm'. Did you mean 'remove'?"),
    (["numbers", "add", "x"], "No such command 'add'. Did you mean 'attach'?"),
    (["numbers", "LIST", "x"], "No such command 'LIST'. Did you mean 'list'?"),
    (["xyzzy"], "No such command 'xyzzy'."),
])
def test_a_mistyped_command_suggests_the_command(msgsvc, args, message):
    result = msgsvc(*args)
    assert (result.code, result.out) == (2, "")
    path = "msgsvc" + (f" {args[0]}" if len(args) > 1 and args[0] in ("services", "profiles", "numbers") else "")
    assert result.err.splitlines()[1:] == [f"msgsvc: {message}", f"hint: see '{path} --help'"]


def test_suggestions_read_the_nouns_from_the_lazy_table(msgsvc, monkeypatch):
    from msgsvc.cli import app as cli

    monkeypatch.setitem(cli.LAZY, "campaigns", "msgsvc.cli.commands.services")  # a noun added at merge
    result = msgsvc("campaign", "list")
    assert "No such command 'campaign'. Did you mean 'campaigns'?" in result.err


def test_suggestions_installed():
    proc = run_installed("servics", "list")
    assert proc.returncode == 2
    assert "msgsvc: No such command 'servics'. Did you mean 'services'?\n" in proc.stderr


def test_suggest_close():
    from msgsvc.suggest import close, did_you_mean

    assert close("Emukey", ["emukey", "prod"]) == ["emukey"]
    assert close("service", ["services", "numbers"]) == ["services"]
    assert close("numbers", ["number"]) == ["number"]
    assert close("nothing", ["services"]) == []
    assert did_you_mean("rm", ["remove", "delete"]) == "did you mean 'remove' or 'delete'?"
    assert did_you_mean("", ["x"]) is None
