"""The README's walk-throughs, run verbatim, as a block, as a person pastes them, so that the
README cannot rot: every fenced sh block after a `<!-- readme-test: NAME -->` line runs in
bash (stopping at the first command that fails) in an empty folder holding the files the
README shows after `<!-- readme-file: NAME -->` (as a person saves them), with HOME and the
XDG folders in that folder and the installed msgsvc first on PATH. The blocks start their
own emulator, on a free port."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import MSGSVC

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^<!-- readme-(?P<kind>test|file): (?P<name>[\w.-]+) -->\n```\w*\n(?P<body>.*?)^```$", re.M | re.S)


def marked(kind: str) -> dict[str, str]:
    found = [m for m in BLOCK.finditer(README.read_text(encoding="utf-8")) if m["kind"] == kind]
    named = {m["name"]: m["body"] for m in found}
    assert len(named) == len(found), "two marked blocks have one name"
    return named


WALKS = marked("test")
# What each walk-through must show on stdout, beyond finishing without an error.
SHOWS = {
    "a2p-walk-through": ["VERIFIED"],
    "emulator-background": ["Alerts"],
}


def test_the_walk_throughs_are_marked():
    assert set(WALKS) == set(SHOWS)
    assert set(marked("file")) == {"campaign.toml"}


@pytest.mark.skipif(os.name != "posix" or shutil.which("bash") is None, reason="the blocks are bash")
@pytest.mark.parametrize("name", sorted(WALKS))
def test_a_readme_walk_through_runs_as_pasted(name, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    for file, text in marked("file").items():
        (work / file).write_text(text, encoding="utf-8")
    home = tmp_path / "home"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MSGSVC_", "TWILIO_", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DATA_HOME=str(home / ".local" / "share"), XDG_STATE_HOME=str(home / ".local" / "state"),
               PATH=f"{Path(MSGSVC).parent}{os.pathsep}{env.get('PATH', '')}")
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        shell = subprocess.Popen(["bash", "--norc", "--noprofile", "-e", "-o", "pipefail", "-c", WALKS[name]],
                                 cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                 start_new_session=True)
        try:
            code = shell.wait(timeout=180)
        finally:
            try:  # whatever the block left running (an emulator it did not stop)
                os.killpg(shell.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    shown, said = out.read_text(), err.read_text()
    assert code == 0, f"stdout:\n{shown}\nstderr:\n{said}"
    assert "Traceback" not in said and "msgsvc: " not in said, said  # no error, no warning
    for text in SHOWS[name]:
        assert text in shown, shown
    assert not (tmp_path / "config").exists()  # nothing went to the test's own config folder


def test_the_exit_code_table_lists_each_code_once_and_every_code():
    """README's table and errors.ExitCode (the help's table) have the same codes, each once."""
    from msgsvc.errors import ExitCode

    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Exit codes"):text.index("\n\n", text.index("| code | meaning |"))]
    codes = [int(row.split("|")[1]) for row in table.splitlines() if re.match(r"\| \d+ \|", row)]
    assert len(codes) == len(set(codes)), codes
    assert codes == sorted(codes) == sorted(int(code) for code in ExitCode)
