"""Start-up is completion latency: importing the CLI, and building its whole command tree,
loads neither requests nor rich (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("requests", "rich")

PROBE = """
import json, sys
{body}
print(json.dumps(sorted(sys.modules)))
"""


def loaded(body: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(body=body)], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


def test_importing_the_cli_loads_neither_requests_nor_rich():
    modules = loaded("import msgsvc.cli")
    assert "typer" in modules  # the probe does see what the import loads
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["services", "--help"], ["services", "create", "--help"], ["profiles", "--help"],
                                  ["export", "--help"], ["plan", "--help"], ["apply", "--help"], ["numbers", "find", "--help"]])
def test_help_and_version_load_neither_requests_nor_rich(argv):
    body = (
        "import contextlib, io\n"
        "from msgsvc import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    code = cli.run({argv!r})\n"
        "assert code == 0, code\n"
    )
    modules = loaded(body)
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_the_setup_library_loads_neither_typer_nor_rich():
    modules = loaded("import msgsvc.setup_file, msgsvc.setup_diff, msgsvc.setup_read, msgsvc.setup_apply")
    assert not modules & {"typer", "rich", "tomli_w"}, sorted(modules & {"typer", "rich", "tomli_w"})


def test_the_probe_can_fail():
    """The same probe sees requests once the client module is imported."""
    assert "requests" in loaded("import msgsvc.client")
