"""Start-up is completion latency: importing the CLI, and building its whole command tree,
loads neither requests nor rich (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("requests", "rich", "keyring")

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


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["services", "--help"], ["services", "create", "--help"], ["profiles", "--help"]])
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


def test_the_probe_can_fail():
    """The same probe sees requests once the client module is imported."""
    assert "requests" in loaded("import msgsvc.client")


# --- the keyring: imported only when a secret is actually needed ------------------------------

KEYRING_CONFIG = (
    'active = "prod"\n[profiles.prod]\naccount_sid = "AC' + "a" * 32 + '"\nsecret_storage = "keyring"\n'
    'base_url = "http://127.0.0.1:9"\n'
)


def loaded_with_keyring_profile(tmp_path, body: str, env: dict[str, str] | None = None) -> set[str]:
    """Modules loaded by `body` with a config whose active profile keeps its secret in the keyring."""
    (tmp_path / "config.toml").write_text(KEYRING_CONFIG)
    setup = (
        "import os\n"
        f"os.environ['MSGSVC_CONFIG_DIR'] = {str(tmp_path)!r}\n"
        f"os.environ['MSGSVC_CACHE_DIR'] = {str(tmp_path / 'cache')!r}\n"
        + "".join(f"os.environ[{k!r}] = {v!r}\n" for k, v in (env or {}).items())
    )
    return loaded(setup + body)


def run_body(argv: list[str]) -> str:
    return (
        "import contextlib, io\n"
        "from msgsvc import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    code = cli.run({argv!r})\n"
    )


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["profiles", "list"], ["profiles", "list", "--json"], ["profiles", "--help"]])
def test_keyring_is_not_imported_for_help_version_or_profiles_list(tmp_path, argv):
    modules = loaded_with_keyring_profile(tmp_path, run_body(argv) + "assert code == 0, code\n")
    assert "keyring" not in modules


@pytest.mark.parametrize("words,cword", [("msgsvc\nservices\nget\n", "3"), ("msgsvc\n--profile\n", "2"), ("msgsvc\nprof", "1")])
def test_keyring_is_not_imported_for_completion(tmp_path, words, cword):
    env = {"_MSGSVC_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    modules = loaded_with_keyring_profile(tmp_path, run_body([]), env)
    assert "msgsvc" in modules and "keyring" not in modules


def test_the_keyring_probe_can_fail(tmp_path):
    """A command that needs the secret does import keyring (and fails: no keyring here)."""
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    assert "keyring" in loaded_with_keyring_profile(tmp_path, run_body(["services", "list"]) + "assert code == 4, code\n", env)
