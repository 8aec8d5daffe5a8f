"""The project's own promises: the suite runs in parallel by default, and CI runs exactly
the README's test command."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"Run the tests:\n\n```sh\n(.*?)\n```", text, re.S)
    assert block, "README has no 'Run the tests:' block"
    return block.group(1).strip()


def test_the_suite_is_parallel_by_default():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"].split()
    assert "-n" in options and options[options.index("-n") + 1] == "auto"
    assert "-n 0" in (ROOT / "README.md").read_text()  # how to run it serially is documented


def test_ci_runs_the_readme_command():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert lines[-1] == readme_test_command()
