"""Every command's --help within 80 columns (COLUMNS=80, as a terminal of that width sets it):
no line wider, exit-status lines and examples included; every command's summary whole (a
short first sentence, never cut with '...'); the top-level description names what msgsvc does."""

from __future__ import annotations

import pytest


def commands() -> list[tuple[str, ...]]:
    """Every command path of the typer app itself (not the static tree that mirrors it)."""
    from typer._click import Context
    from typer.main import get_command

    from msgsvc.cli.app import app

    root = get_command(app)
    paths: list[tuple[str, ...]] = []

    def walk(command, ctx, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name in getattr(command, "list_commands", lambda ctx: [])(ctx):
            sub = command.get_command(ctx, name)
            walk(sub, Context(sub, parent=ctx, info_name=name), (*path, name))

    walk(root, Context(root, info_name="msgsvc"), ())
    return paths


PATHS = commands()


def help_at_80(monkeypatch, capsys, path: tuple[str, ...]) -> str:
    from msgsvc.cli import app as cli

    monkeypatch.setenv("COLUMNS", "80")
    assert cli.run([*path, "--help"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def test_the_walk_reaches_every_command():
    assert len(PATHS) > 70
    assert ("destination-alpha-senders", "attach") in PATHS and ("profiles", "test") in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda path: " ".join(path) or "msgsvc")
def test_help_fits_80_columns_and_no_summary_is_cut(monkeypatch, capsys, path):
    text = help_at_80(monkeypatch, capsys, path)
    assert [line for line in text.splitlines() if len(line) > 80] == []
    listed = text.split("\nCommands:\n")[1].splitlines() if "\nCommands:\n" in text else []
    assert [line for line in listed if line.rstrip().endswith("...")] == []


def test_the_cases_the_issue_named(monkeypatch, capsys):
    root = help_at_80(monkeypatch, capsys, ())
    assert "\n".join(root.splitlines()[2:9]) == """\
  Administer Twilio Messaging Services from the command line.

  Services and their senders (phone numbers, short codes, alpha and channel
  senders); US A2P 10DLC campaigns and brands; toll-free verification; setup
  files (export, plan, apply); checks that services will deliver (doctor);
  messages (send, messages); credential profiles; and a local emulator of
  Twilio's API (emulator) to try everything without an account."""
    assert """\
    1    API or network error, or some items of a bulk job failed (or would, in
         a dry run)
""" in root
    assert "  apply                      Converge the account to a setup file.\n" in root
    assert "  numbers                    A service's phone numbers.\n" in root
    emulator = help_at_80(monkeypatch, capsys, ("emulator",))
    assert "      msgsvc emulator --pool-limit 5                  # full at 5 numbers\n" in emulator
    profiles_add = help_at_80(monkeypatch, capsys, ("profiles", "add"))
    assert """\
      printf '%s\\n' "$TWILIO_AUTH_TOKEN" |
          msgsvc profiles add ci --account-sid AC... --no-verify
""" in profiles_add
    attach = help_at_80(monkeypatch, capsys, ("numbers", "attach"))
    assert """\
      msgsvc numbers attach Alerts \\
          --from-file numbers.txt --json
""" in attach


def test_the_exit_status_table_wraps_under_its_meaning():
    from msgsvc.errors import EXIT_CODE_HELP, ExitCode

    lines = EXIT_CODE_HELP.splitlines()
    assert lines[0] == "Exit status:" and all(len(line) <= 78 for line in lines)
    assert " ".join(line.strip() for line in lines[1:]).split() == " ".join(
        f"{code.value} {code.help}" for code in ExitCode).split()


def test_every_command_s_help_names_the_global_options_it_takes(monkeypatch, capsys):
    from typer._click import Context
    from typer.main import get_command

    from msgsvc.cli.app import app

    root = get_command(app)
    leaves = [path for path in PATHS if path and not hasattr(
        root.get_command(Context(root), path[0]) if len(path) == 1 else
        root.get_command(Context(root), path[0]).get_command(Context(root), path[1]), "list_commands")]
    assert len(leaves) >= 60
    missing = []
    for path in leaves:
        text = help_at_80(monkeypatch, capsys, path)
        said = " ".join(text.split("Global options, also taken here:")[-1].split()) if "Global options" in text else ""
        if not all(option in said or f"\n  {option}" in text or f", {option}" in text
                   for option in ("--debug", "--base-url", "--timeout", "--max-retries")):
            missing.append(" ".join(path))
    assert missing == []
    text = help_at_80(monkeypatch, capsys, ("services", "list"))
    assert text.endswith("\n  Global options, also taken here: [--debug] [--base-url URL] [--timeout\n"
                         "  SECONDS] [--max-retries N]; see 'msgsvc --help'.\n")


def test_no_tab_description_is_cut():
    """Tab shows each command's summary beside it (the static tree, generated from the app,
    which cuts at 45 characters): every one is a whole sentence."""
    from msgsvc.cli.tree import TREE

    cut = [f"{path} {name}: {short}" for path, (_, commands, _) in TREE.items() for name, short in commands
           if short.endswith("...") or not short.endswith(".")]
    assert cut == []
