"""Start-up is completion latency: importing the CLI, and building its whole command tree,
loads neither requests nor rich (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("requests", "urllib3", "rich", "keyring", "jq")  # keyring only when a secret is needed, jq only with --jq

PROBE = """
import json, sys
{body}
print(json.dumps(sorted(sys.modules)))
"""


def loaded(body: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(body=body)], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


def run_body(argv: list[str], stdin: str = "", *, check: bool = True) -> str:
    """Probe code that runs msgsvc with `argv` in-process (and, with `check`, checks that it
    succeeds; else the exit status is left in `code`)."""
    return (
        "import contextlib, io, sys\n"
        "from msgsvc.cli import app as cli\n"
        f"sys.stdin = io.StringIO({stdin!r})\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    code = cli.run({argv!r})\n"
        + ("assert code == 0, code\n" if check else "")
    )


# filelock (the config lock) is for commands that change the config, never for a Tab.
@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--version"], {}),
        (["--help"], {}),
        (["profiles", "--help"], {}),
        (["completion", "powershell"], {}),
        ([], {"_MSGSVC_COMPLETE": "source_bash"}),
        ([], {"_MSGSVC_COMPLETE": "complete_bash", "COMP_WORDS": "msgsvc\nprofiles\nuse\n", "COMP_CWORD": "3"}),
        ([], {"_MSGSVC_COMPLETE": "complete_powershell", "_TYPER_COMPLETE_ARGS": "msgsvc --profile", "_TYPER_COMPLETE_WORD_TO_COMPLETE": ""}),
    ],
)
def test_help_version_and_completion_do_not_load_the_lock(argv, env, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert "filelock" not in loaded(run_body(argv))


def test_changing_the_config_loads_the_lock():
    assert "filelock" in loaded(run_body(["profiles", "add", "p", "--account-sid", "AC" + "a" * 32, "--no-verify"], stdin="tok-0123456789\n"))


def test_importing_the_cli_loads_neither_requests_nor_rich():
    modules = loaded("import msgsvc.cli.app")
    assert "typer" in modules  # the probe does see what the import loads
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.parametrize("module", ["msgsvc.cli.terminal", "msgsvc.cli.state"])
def test_the_terminal_and_the_state_load_neither_requests_nor_rich(module):
    """Every run makes a Terminal (and a State holding it): Rich comes only with a table."""
    modules = loaded(f"import {module}")
    assert "msgsvc" in modules
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["services", "--help"], ["services", "create", "--help"],
                                  ["profiles", "--help"], ["profiles", "list"], ["numbers", "list", "--help"],
                                  ["export", "--help"], ["plan", "--help"], ["apply", "--help"], ["numbers", "find", "--help"],
                                  ["campaigns", "create", "--help"], ["campaigns", "wait", "--help"], ["brands", "list", "--help"]])
def test_help_and_version_load_neither_requests_nor_rich(argv):
    body = (
        "import contextlib, io\n"
        "from msgsvc.cli import app as cli\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    code = cli.run({argv!r})\n"
        "assert code == 0, code\n"
    )
    modules = loaded(body)
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_the_setup_library_loads_neither_typer_nor_rich():
    modules = loaded("import msgsvc.setup.file, msgsvc.setup.export, msgsvc.setup.diff, msgsvc.setup.read, msgsvc.setup.plan, msgsvc.setup.apply")
    assert not modules & {"typer", "rich", "tomli_w"}, sorted(modules & {"typer", "rich", "tomli_w"})


def test_jq_is_imported_only_with_jq():
    body = (
        "import contextlib, io\n"
        "from msgsvc.cli import app as cli\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "    code = cli.run(['profiles', 'list', '--jq', '.'])\n"
        "assert code == 0, code\n"
    )
    assert "jq" in loaded(body)


def test_the_probe_can_fail():
    """The same probe sees urllib3 once the client module is imported."""
    assert "urllib3" in loaded("import msgsvc.api.client")


def _listing_body(base_url: str, proxy_variables: dict[str, str]) -> str:
    return (
        "import os\n"
        "for name in [n for n in os.environ if n.lower().endswith('_proxy')]:\n"
        "    del os.environ[name]\n"
        + "".join(f"os.environ[{k!r}] = {v!r}\n" for k, v in proxy_variables.items())
        + f"os.environ.update(TWILIO_ACCOUNT_SID='AC' + 'a' * 32, TWILIO_AUTH_TOKEN='t', MSGSVC_BASE_URL={base_url!r})\n"
        + run_body(["services", "list", "--json"])
    )


def test_a_command_that_sends_a_request_does_not_load_requests(httpserver, tmp_path, monkeypatch):
    """urllib3 sends; requests is for the environment's proxy rules, loaded only when a proxy
    variable is set (on Linux: on macOS and Windows the system's settings count too)."""
    from conftest import base_url_of, page

    httpserver.expect_request("/v1/Services").respond_with_json(page("services", []))
    monkeypatch.setenv("MSGSVC_CONFIG_DIR", str(tmp_path))
    direct = loaded(_listing_body(base_url_of(httpserver), {}))
    assert "urllib3" in direct and "requests" not in direct
    proxied = loaded(_listing_body(base_url_of(httpserver), {"HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "localhost"}))
    assert "requests" in proxied


@pytest.mark.parametrize("module", ["msgsvc.jobs.changes", "msgsvc.jobs.executor", "msgsvc.jobs.pool"])
def test_plans_and_the_executor_are_library_code(module):
    """Planning and sending changes is library code: no typer, no rich, and no requests
    until a client is built."""
    modules = loaded(f"import {module}")
    assert "msgsvc" in modules
    assert not modules & {"typer", "click", "rich", "requests"}, sorted(modules & {"typer", "click", "rich", "requests"})


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


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["profiles", "list"], ["profiles", "list", "--json"], ["profiles", "--help"]])
def test_keyring_is_not_imported_for_help_version_or_profiles_list(tmp_path, argv):
    modules = loaded_with_keyring_profile(tmp_path, run_body(argv))
    assert "keyring" not in modules


@pytest.mark.parametrize("words,cword", [("msgsvc\nservices\nget\n", "3"), ("msgsvc\n--profile\n", "2"), ("msgsvc\nprof", "1")])
def test_keyring_is_not_imported_for_completion(tmp_path, words, cword):
    env = {"_MSGSVC_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    modules = loaded_with_keyring_profile(tmp_path, run_body([], check=False), env)
    assert "msgsvc" in modules and "keyring" not in modules


def test_the_keyring_probe_can_fail(tmp_path):
    """A command that needs the secret does import keyring (and fails: no keyring here)."""
    env = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    assert "keyring" in loaded_with_keyring_profile(tmp_path, run_body(["services", "list"], check=False) + "assert code == 4, code\n", env)


# --- start-up, in one list: what a Tab press and the help never load --------------------------

NEVER_AT_START = ("requests", "urllib3", "rich", "keyring", "jq", "filelock")
TAB_PRESS = {"_MSGSVC_COMPLETE": "complete_bash", "COMP_WORDS": "msgsvc\nservices\nget\n", "COMP_CWORD": "3"}


@pytest.mark.parametrize(
    ("argv", "env", "check"),
    [
        (["--version"], {}, True),
        (["--help"], {}, True),
        (["completion", "bash"], {}, True),
        ([], TAB_PRESS, False),  # a Tab press answers whatever it can; its status is not the point
    ],
    ids=["--version", "--help", "completion bash", "tab press"],
)
def test_version_help_completion_and_a_tab_press_load_none_of_the_heavy_modules(tmp_path, argv, env, check):
    """With a profile whose secret is in the keyring, so that a careless start would load it."""
    modules = loaded_with_keyring_profile(tmp_path, run_body(argv, check=check), env)
    assert "msgsvc" in modules and "typer" in modules  # the probe saw the run
    assert sorted(modules & set(NEVER_AT_START)) == []


def test_the_start_up_probe_can_fail(tmp_path):
    """The same probe, on a command that would send a request, sees urllib3 and keyring."""
    modules = loaded_with_keyring_profile(tmp_path, run_body(["services", "list"], check=False),
                                          {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert {"urllib3", "keyring"} <= modules


# --- the fast path: the modules a Tab press, --version and --help may import (budgets) ---------

# What was imported, written by an atexit handler: the program's end runs them, then leaves.
MAIN_PROBE = r"""
import atexit, sys
before = set(sys.modules)
atexit.register(lambda: sys.stdout.write("\n" + " ".join(sorted(set(sys.modules) - before - {{"atexit"}})) + "\n"))
sys.argv = ["msgsvc", *{argv!r}]
from msgsvc.__main__ import main
main()
"""
# The answer is written through a Terminal (msgsvc.cli.terminal), whose write errors are msgsvc.errors.
# `from __future__ import annotations` imports the (tiny) __future__ module.
FAST = {"msgsvc", "msgsvc.__main__", "msgsvc.cli", "msgsvc.cli.fast", "gc", "msgsvc.cli.terminal", "msgsvc.errors",
        "__future__"}
TREE = FAST | {"msgsvc.cli.tree", "shlex"}
# What reading the config and the completion cache costs: the config is TOML (tomllib, which
# imports typing, datetime and string), and the settings' ranges and errors it checks with.
CACHE = TREE | {"msgsvc.cli.complete", "msgsvc.local", "msgsvc.local.cache", "msgsvc.local.config",
                "msgsvc.local.resolution", "msgsvc.api",
                "msgsvc.atomic", "msgsvc.local.paths",
                "msgsvc.api.settings", "msgsvc.errors", "tomllib", "tomllib._parser", "tomllib._re", "tomllib._types",
                "typing", "typing.io", "typing.re", "_typing", "collections.abc", "datetime", "_datetime", "math",
                "string", "_string"}
# Modules that may already be loaded by the interpreter's start (site, an editable install's
# finder) and so may or may not show up as imported by msgsvc.
STARTUP = {"re", "re._casefix", "re._compiler", "re._constants", "re._parser", "enum", "functools", "operator",
           "keyword", "reprlib", "collections", "itertools", "types", "copyreg", "contextlib", "pathlib", "fnmatch",
           "ntpath", "urllib", "urllib.parse", "ipaddress", "errno", "io", "_sre", "_functools", "_collections",
           "_operator", "warnings", "importlib", "importlib.util", "importlib.machinery", "importlib._abc"}


def imported_by_main(argv: list[str], env: dict[str, str]) -> tuple[str, set[str]]:
    """(stdout, the modules msgsvc's entry point imported) in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", MAIN_PROBE.format(argv=argv)], capture_output=True, text=True,
                          env={**os.environ, **env}, check=True)
    out, _, modules = done.stdout[:-1].rpartition("\n")
    return out, set(modules.split())


@pytest.mark.parametrize(
    ("argv", "env", "budget"),
    [
        ([], {"_MSGSVC_COMPLETE": "complete_bash", "COMP_WORDS": "msgsvc\nserv", "COMP_CWORD": "1"}, TREE),
        ([], {"_MSGSVC_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "msgsvc services create --"}, TREE),
        ([], {"_MSGSVC_COMPLETE": "complete_bash", "COMP_WORDS": "msgsvc\nservices\nget\n", "COMP_CWORD": "3"}, CACHE),
        ([], {"_MSGSVC_COMPLETE": "complete_fish", "_TYPER_COMPLETE_ARGS": "msgsvc --profile ",
              "_TYPER_COMPLETE_FISH_ACTION": "get-args"},
         CACHE - {"msgsvc.local.cache", "msgsvc.local.resolution", "msgsvc.api", "msgsvc.api.settings"}),
        (["--version"], {}, FAST),
        (["--help"], {"COLUMNS": "80"}, TREE - {"shlex"} | {"msgsvc.cli.tree_help"}),
        (["services", "create", "--help"], {"COLUMNS": "200"}, TREE - {"shlex"} | {"msgsvc.cli.tree_help"}),
    ],
    ids=["tab on a command", "tab on an option", "tab on a SERVICE", "tab on a profile", "--version", "--help",
         "services create --help"],
)
def test_a_tab_press_version_and_help_import_only_their_budget(tmp_path, argv, env, budget):
    """The fast path cannot rot silently: each answer imports these modules and no others
    (above all no typer, click, rich or requests), whatever the time it takes."""
    (tmp_path / "config.toml").write_text(KEYRING_CONFIG)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "services-profile-prod.tsv").write_text("msgsvc services cache 1\nMG" + "a" * 32 + "\tAlerts\n")
    env = {"MSGSVC_CONFIG_DIR": str(tmp_path), "MSGSVC_CACHE_DIR": str(tmp_path / "cache"), **env}
    out, modules = imported_by_main(argv, env)
    assert out  # it answered
    assert sorted(modules - budget - STARTUP) == []
    assert {m for m in modules if m.startswith("msgsvc")} == {m for m in budget if m.startswith("msgsvc")}


def test_the_budget_probe_can_fail(tmp_path):
    """Past the fast path (a help for a width the tree has none for) the probe sees typer."""
    out, modules = imported_by_main(["--help"], {"COLUMNS": "90", "MSGSVC_CONFIG_DIR": str(tmp_path)})
    assert out.startswith("Usage: msgsvc") and {"typer", "msgsvc.cli.app"} <= modules


# A Tab press whose scope was remembered (msgsvc.local.cache.scope) reads no TOML and no config module.
REMEMBERED = CACHE - {"msgsvc.local.config", "msgsvc.local.resolution", "msgsvc.api", "msgsvc.api.settings", "tomllib", "tomllib._parser", "tomllib._re",
                      "tomllib._types", "typing", "typing.io", "typing.re", "_typing", "collections.abc", "datetime",
                      "_datetime", "math", "string", "_string", "msgsvc.atomic"}


def test_a_second_tab_press_on_a_service_imports_no_toml(tmp_path):
    (tmp_path / "config.toml").write_text(KEYRING_CONFIG)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "services-profile-prod.tsv").write_text("msgsvc services cache 1\nMG" + "a" * 32 + "\tAlerts\n")
    env = {"MSGSVC_CONFIG_DIR": str(tmp_path), "MSGSVC_CACHE_DIR": str(tmp_path / "cache"),
           "_MSGSVC_COMPLETE": "complete_bash", "COMP_WORDS": "msgsvc\nservices\nget\n", "COMP_CWORD": "3"}
    first, _ = imported_by_main([], env)
    out, modules = imported_by_main([], env)
    assert out == first and "MG" + "a" * 32 in out
    assert sorted(modules - REMEMBERED - STARTUP) == []
    assert {m for m in modules if m.startswith("msgsvc")} == {m for m in REMEMBERED if m.startswith("msgsvc")}
