"""PowerShell completion: the answers msgsvc gives the script, and the script itself.

No PowerShell can be installed here (Debian does not package it), so the script is checked
in three ways short of running it: it parses as PowerShell (tree-sitter's PowerShell grammar,
which reports any syntax error), it sets exactly the variables `msgsvc` reads and restores
them all, and it splits each answer into the fields msgsvc writes. The answers themselves
come from the installed msgsvc, run with the environment the script gives it. Where `pwsh`
is on PATH (a developer's macOS or Windows), the last test also completes lines through the
committed script in a real PowerShell.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_powershell

from conftest import MSGSVC, run_installed
from test_completion_shells import CASES, shell_env  # noqa: F401 - the fixture is used below

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "completions" / "msgsvc.ps1"
FIELDS = 4  # type, text to insert, text to list, description


def ask(line: str, env: dict | None = None) -> list[list[str]]:
    """What the script does on a Tab with the cursor at the end of `line`: PowerShell's
    command text (no trailing blanks), the word being completed, the installed msgsvc."""
    word = "" if line.endswith(" ") else line.rsplit(" ", 1)[-1]
    done = subprocess.run(
        [MSGSVC], capture_output=True, text=True, timeout=60,
        env={**(env or os.environ), "_MSGSVC_COMPLETE": "complete_powershell", "_TYPER_COMPLETE_ARGS": line.rstrip(" "),
             "_TYPER_COMPLETE_WORD_TO_COMPLETE": word, "PYTHONIOENCODING": "utf-8"},
    )
    assert (done.returncode, done.stderr) == (0, "")
    return [answer.split("\t", FIELDS - 1) for answer in done.stdout.splitlines()]


# --- the answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "offered"), CASES)
def test_the_same_lines_complete_as_in_the_other_shells(shell_env, line, offered):  # noqa: F811
    env, _ = shell_env
    answers = ask(line, env)
    assert all(len(answer) == FIELDS and answer[0] == "plain" for answer in answers), answers
    assert sorted(text for _, text, _, _ in answers) == sorted(offered)


def test_answers_carry_descriptions_and_a_tooltip_is_never_empty(shell_env):  # noqa: F811
    env, _ = shell_env
    assert ask("msgsvc services get MGa", env) == [["plain", "MG" + "a" * 32, "MG" + "a" * 32, "Alerts"]]
    assert ask("msgsvc serv", env) == [["plain", "services", "services", "Create, show, list, change, delete services."]]
    assert ask("msgsvc --profile st", env) == [["plain", "staging", "staging", "staging"]]


def test_option_equals_value_keeps_the_option_in_the_inserted_text(shell_env):  # noqa: F811
    env, _ = shell_env
    # PowerShell replaces the whole word, '--usecase=mar', with the completion text.
    assert ask("msgsvc services create --usecase=mar", env) == [["plain", "--usecase=marketing", "marketing", "marketing"]]


def test_a_file_option_leaves_the_completion_to_powershell(shell_env):  # noqa: F811
    env, _ = shell_env
    assert ask("msgsvc profiles add x --ca-bundle ", env) == [["file", "''", "", ""]]


def test_nothing_to_offer_is_no_answer(shell_env):  # noqa: F811
    env, _ = shell_env
    assert ask("msgsvc services get XX", env) == []


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ("MG0123", "MG0123"),
        ("--usecase=marketing", "--usecase=marketing"),
        (r"C:\Users\me\ca.pem", r"C:\Users\me\ca.pem"),
        ("two words", "'two words'"),
        ("it's", "'it''s'"),
        ("it\u2019s", "'it\u2019\u2019s'"),
        ("$HOME", "'$HOME'"),
        ("a;b", "'a;b'"),
        ("a,b", "'a,b'"),
        ("@splat", "'@splat'"),
        ("(x)", "'(x)'"),
        ("", "''"),
    ],
)
def test_values_are_quoted_as_one_powershell_argument(value, word):
    from msgsvc.cli.fast import powershell_word as _powershell_word

    assert _powershell_word(value) == word


def test_completion_command_and_typers_variable_print_the_committed_script():
    assert run_installed("completion", "powershell").stdout == SCRIPT.read_text()
    done = run_installed(env={"_MSGSVC_COMPLETE": "source_powershell"})
    assert (done.returncode, done.stdout, done.stderr) == (0, SCRIPT.read_text(), "")


# --- the script ---------------------------------------------------------------------------------


def parse(source: bytes) -> tree_sitter.Node:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    return parser.parse(source).root_node


def nodes(root: tree_sitter.Node, kind: str) -> list[tree_sitter.Node]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.type == kind:
            found.append(node)
        stack.extend(reversed(node.children))
    return found


def text(node: tree_sitter.Node) -> str:
    return node.text.decode()


def strings(node: tree_sitter.Node) -> list[str]:
    return [text(s).strip("'") for s in nodes(node, "string_literal")]


def test_the_script_is_valid_powershell():
    assert not parse(SCRIPT.read_bytes()).has_error


def test_the_parser_sees_a_syntax_error():
    broken = SCRIPT.read_bytes().rstrip().removesuffix(b"}")  # the script block left open
    assert parse(broken).has_error


def test_the_script_registers_a_native_completer_for_msgsvc_and_msgsvc_exe():
    root = parse(SCRIPT.read_bytes())
    [register] = [c for c in nodes(root, "command") if text(c).startswith("Register-ArgumentCompleter")]
    assert " -Native " in text(register)
    assert strings(register)[:2] == ["msgsvc", "msgsvc.exe"]
    calls = [text(c) for c in nodes(root, "command") if text(c).startswith("&")]
    assert calls == ["& msgsvc 2>$null"]


def test_the_script_sets_what_msgsvc_reads_and_restores_every_variable():
    from msgsvc.cli.shell import COMPLETE_VAR

    root = parse(SCRIPT.read_bytes())
    assignments = {}
    for node in nodes(root, "assignment_expression"):
        target = text(node.children[0])
        if target.startswith("$env:"):
            assignments[target.removeprefix("$env:")] = text(node.children[-1])
    assert assignments == {
        COMPLETE_VAR: "'complete_powershell'",  # respond() answers complete_powershell
        "_TYPER_COMPLETE_ARGS": "$line",  # Typer's PowerShellComplete reads these two
        "_TYPER_COMPLETE_WORD_TO_COMPLETE": "$wordToComplete",
        "PYTHONIOENCODING": "'utf-8'",
    }
    [names] = [n for n in nodes(root, "assignment_expression") if text(n.children[0]) == "$names"]
    assert strings(names) == list(assignments)  # each saved before, restored in `finally`
    [restore] = nodes(root, "finally_clause")
    assert "SetEnvironmentVariable($name, $saved[$name])" in text(restore)
    assert "[Console]::OutputEncoding = $encoding" in text(restore)


def test_the_script_splits_an_answer_into_the_fields_msgsvc_writes():
    root = parse(SCRIPT.read_bytes())
    [split] = [n for n in nodes(root, "assignment_expression") if text(n).startswith("$type")]
    assert text(split) == f'$type, $text, $item, $tip = $answer -split "`t", {FIELDS}'
    [result] = [n for n in nodes(root, "invokation_expression") if "CompletionResult" in text(n)]
    assert text(result) == "[System.Management.Automation.CompletionResult]::new($text, $item, 'ParameterValue', $tip)"
    types = [s for s in strings(root) if s in ("file", "plain")]
    assert types == ["file", "plain"]


# --- a real PowerShell, where there is one ------------------------------------------------------

PWSH_PROBE = """
. '{script}'
foreach ($line in $args) {{
    $found = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
    ($found | ForEach-Object {{ $_.CompletionText }}) -join "`t"
}}
"""


def test_real_powershell_completes_through_the_committed_script(shell_env):  # noqa: F811
    pwsh = shutil.which("pwsh")
    if pwsh is None:
        pytest.skip("pwsh is not installed (Debian does not package PowerShell); the script is checked by parsing above")
    env, work = shell_env
    probe = work / "probe.ps1"
    probe.write_text(PWSH_PROBE.format(script=str(SCRIPT).replace("'", "''")))
    done = subprocess.run([pwsh, "-NoProfile", "-NonInteractive", "-File", str(probe), *[line for line, _ in CASES]],
                          capture_output=True, text=True, timeout=120, env=env, cwd=work)
    assert done.returncode == 0, done.stderr
    assert [sorted(line.split("\t")) for line in done.stdout.splitlines()] == [sorted(offered) for _, offered in CASES]
