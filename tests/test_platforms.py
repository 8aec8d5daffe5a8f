"""msgsvc on Windows (and any platform without POSIX's extras), as far as Linux can honestly
pretend to be one.

In this process (the `windows` fixture): `sys.platform` is "win32", which is what msgsvc and
platformdirs ask; `os.fchmod` is gone; `import fcntl` fails; platformdirs answers with its
Windows rules, its folders read from %LOCALAPPDATA% and %APPDATA% (its own fallback where
Windows' shell API is missing). What cannot be pretended: paths keep '/' (pathlib picks its
flavour from `os.name`, and changing that breaks every Path), and the libraries that decide
at import (filelock its lock, Click its console streams) decided from the real platform: on
Windows both use msvcrt, which cannot load here.

In a subprocess (tests/posixless.py): the POSIX-only modules cannot be imported at all, and
os loses its POSIX-only functions and signal its POSIX-only signals, from the first line.
Every user command below runs there, so a module imported on the way that needs one at top
level fails the test; the config lock is then filelock's lock-file lock.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, MSGSVC, SERVICE_SID, base_url_of, page, service

ROOT = Path(__file__).resolve().parents[1]
POSIXLESS = Path(__file__).resolve().parent / "posixless.py"
TOKEN = "auth-token-0123456789abcdef"


@pytest.fixture
def windows(monkeypatch, isolated):
    """This process made to look like Windows (see the module docstring); yields %LOCALAPPDATA%."""
    # Libraries that decide at import, from the real platform: filelock its lock, Click its
    # console streams (on Windows it uses msvcrt, which cannot load here).
    import filelock  # noqa: F401
    import msgsvc.cli.app  # noqa: F401
    import platformdirs
    import platformdirs.windows

    local = isolated / "Users" / "me" / "AppData" / "Local"
    monkeypatch.setenv("LOCALAPPDATA", str(local))
    monkeypatch.setenv("APPDATA", str(isolated / "Users" / "me" / "AppData" / "Roaming"))
    for var in ("MSGSVC_CONFIG_DIR", "MSGSVC_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.windows.Windows)
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", platformdirs.windows.get_win_folder_from_env_vars)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delattr(os, "fchmod", raising=False)
    monkeypatch.setitem(sys.modules, "fcntl", None)  # `import fcntl` raises ImportError
    return local


def add(msgsvc, name: str, secret: str = TOKEN):
    return msgsvc("profiles", "add", name, "--account-sid", ACCOUNT_SID, "--no-verify", stdin=secret + "\n")


# --- where the files are, and what keeps them private ----------------------------------------


def test_config_and_cache_are_in_the_users_local_appdata(windows):
    from msgsvc.local import config

    with pytest.raises(ImportError):
        import fcntl  # noqa: F401 - the fixture does hide it
    assert config.config_path() == windows / "msgsvc" / "msgsvc" / "config.toml"
    assert config.cache_dir() == windows / "msgsvc" / "msgsvc" / "Cache"


def test_profiles_add_use_show_and_remove(msgsvc, windows):
    path = windows / "msgsvc" / "msgsvc" / "config.toml"

    result = add(msgsvc, "prod")
    assert (result.code, result.out, result.err) == (0, "", f"Saved profile 'prod' (active) in {path}; its secret is in that file: no usable system keyring\n")
    assert add(msgsvc, "x").err == f"Saved profile 'x' in {path}; its secret is in that file: no usable system keyring\n"
    assert tomllib.loads(path.read_text())["profiles"]["prod"] == {"account_sid": ACCOUNT_SID, "auth_token": TOKEN}
    result = msgsvc("profiles", "use", "x")
    assert (result.code, result.out, result.err) == (0, "", "Active profile: x\n")
    result = msgsvc("profiles", "list")
    assert (result.code, result.err) == (0, "")
    assert [name for name in ("prod", "x") if any(name in line.split("\t") for line in result.out.splitlines())] == ["prod", "x"]
    result = msgsvc("profiles", "remove", "prod", "--yes")
    assert result.code == 0
    assert list(tomllib.loads(path.read_text())["profiles"]) == ["x"]
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_no_mode_bit_warning_on_windows(msgsvc, windows):
    add(msgsvc, "prod")
    path = windows / "msgsvc" / "msgsvc" / "config.toml"
    path.chmod(0o644)  # what Windows' mode bits would say of any file a user can write
    result = msgsvc("profiles", "show")
    assert result.code == 0 and result.err == ""


def test_the_same_file_warns_on_posix(msgsvc, isolated):
    from msgsvc.local import config

    add(msgsvc, "prod")
    config.config_path().chmod(0o644)
    assert msgsvc("profiles", "show").err.startswith(f"msgsvc: warning: {config.config_path()} is readable by other users")


def test_on_macos_config_and_cache_are_in_library_and_mode_bits_still_count(msgsvc, monkeypatch, isolated):
    import platformdirs
    import platformdirs.macos

    __import__("msgsvc.cli.app")  # Click decides at import, from the real platform

    home = isolated / "Users" / "me"
    monkeypatch.setenv("HOME", str(home))
    for var in ("MSGSVC_CONFIG_DIR", "MSGSVC_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.macos.MacOS)
    monkeypatch.setattr(sys, "platform", "darwin")
    from msgsvc.local import config

    assert config.config_path() == home / "Library" / "Application Support" / "msgsvc" / "config.toml"
    assert config.cache_dir() == home / "Library" / "Caches" / "msgsvc"
    add(msgsvc, "prod")
    assert config.config_path().stat().st_mode & 0o777 == 0o600
    config.config_path().chmod(0o644)
    assert msgsvc("profiles", "show").err.startswith(f"msgsvc: warning: {config.config_path()} is readable by other users")


def test_on_posix_the_lock_file_is_private_too(msgsvc, isolated):
    from msgsvc.local import config

    add(msgsvc, "prod")
    lock = config.config_path().parent / ".config.lock"
    assert lock.stat().st_mode & 0o777 == 0o600


def test_a_corrupt_config_is_left_untouched(msgsvc, windows):
    path = windows / "msgsvc" / "msgsvc" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"[profiles.prod\n")
    result = add(msgsvc, "prod")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"msgsvc: {path} is not valid TOML")
    assert path.read_bytes() == b"[profiles.prod\n"


def test_commands_use_the_profile(msgsvc, windows, httpserver):
    from msgsvc.local import config

    config.write_config({"active": "t", "profiles": {"t": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "base_url": base_url_of(httpserver)}}})
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()]))
    result = msgsvc("services", "list")
    assert (result.code, result.err) == (0, "")
    assert result.out.startswith(f"{SERVICE_SID}\tAlerts\t")
    assert (windows / "msgsvc" / "msgsvc" / "Cache").is_dir()  # the completion cache


def test_text_the_windows_code_page_cannot_show_becomes_a_question_mark(isolated, httpserver):
    """On Windows Python writes a pipe or a file in the ANSI code page (cp1252 in the West);
    PYTHONIOENCODING=cp1252 gives the installed msgsvc exactly that stdout and stderr."""
    from msgsvc.local import config

    config.write_config({"active": "t", "profiles": {"t": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "base_url": base_url_of(httpserver)}}})
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service(name="Caf\u00e9 \u2713 \U0001f680")]))
    done = subprocess.run([MSGSVC, "services", "list"], capture_output=True, timeout=60, env={**os.environ, "PYTHONIOENCODING": "cp1252"})
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.startswith(f"{SERVICE_SID}\tCaf\u00e9 ? ?\t".encode("cp1252"))
    done = subprocess.run([MSGSVC, "services", "list"], capture_output=True, timeout=60, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.stdout.startswith(f"{SERVICE_SID}\tCaf\u00e9 \u2713 \U0001f680\t".encode())


# --- atomic writes ------------------------------------------------------------------------------


def test_atomic_write_needs_no_fchmod(windows, tmp_path):
    from msgsvc.atomic import write_private

    target = tmp_path / "f.toml"
    write_private(target, "a = 1\n")
    write_private(target, "a = 2\n")
    assert target.read_text() == "a = 2\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def flaky_replace(monkeypatch, failures: int | None) -> list[float]:
    """os.replace refused `failures` times (always if None), as Windows refuses to replace a
    file another process has open; returns the list of the delays slept."""
    real = os.replace
    calls = []
    slept: list[float] = []

    def replace(src, dst):
        calls.append(dst)
        if failures is None or len(calls) <= failures:
            raise PermissionError(13, "The process cannot access the file because it is being used by another process")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    import time

    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def test_on_windows_a_file_held_open_for_a_moment_is_replaced_when_it_is_let_go(windows, tmp_path, monkeypatch):
    from msgsvc.atomic import write_private

    target = tmp_path / "f.toml"
    target.write_text("old\n")
    slept = flaky_replace(monkeypatch, failures=2)
    write_private(target, "new\n")
    assert target.read_text() == "new\n"
    assert slept == [0.01, 0.02]


def test_on_windows_a_file_held_open_for_good_is_an_error_and_the_old_file_stays(windows, tmp_path, monkeypatch):
    from msgsvc.atomic import REPLACE_RETRY_DELAYS, write_private

    target = tmp_path / "f.toml"
    target.write_text("old\n")
    slept = flaky_replace(monkeypatch, failures=None)
    with pytest.raises(PermissionError):
        write_private(target, "new\n")
    assert slept == list(REPLACE_RETRY_DELAYS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.toml"]
    assert target.read_text() == "old\n"


def test_on_posix_a_refused_rename_is_not_tried_again(tmp_path, monkeypatch):
    from msgsvc.atomic import write_private

    target = tmp_path / "f.toml"
    slept = flaky_replace(monkeypatch, failures=1)
    with pytest.raises(PermissionError):
        write_private(target, "new\n")
    assert slept == [] and not target.exists()


# --- the emulator ---------------------------------------------------------------------------------


def reuses_address() -> bool:
    import socket

    from msgsvc.emulator.server import make_server
    from msgsvc.emulator.seed import seed
    from msgsvc.emulator.store import Store

    server = make_server("127.0.0.1", 0, Store(seed(ACCOUNT_SID, AUTH_TOKEN, 1), None))
    try:
        return bool(server.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR))
    finally:
        server.server_close()


def test_the_emulator_reuses_its_address_on_posix_only(monkeypatch):
    """On Windows SO_REUSEADDR would let a second emulator take a port one is listening on."""
    assert reuses_address()
    monkeypatch.setattr(sys, "platform", "win32")
    assert not reuses_address()


# --- no POSIX-only module or call on a user's path ----------------------------------------------

POSIX_ONLY = ("fcntl", "termios", "tty", "pty", "pwd", "grp", "resource", "syslog", "crypt", "nis", "spwd", "readline", "curses", "_curses")


def posixless(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(POSIXLESS), *args], capture_output=True, text=True, input=input,
                          timeout=120, env={**os.environ, **(env or {})})


def test_the_posixless_interpreter_really_has_none_of_it():
    probe = (
        "import importlib, os, signal, sys\n"
        f"for name in {POSIX_ONLY!r}:\n"
        "    try:\n        importlib.import_module(name)\n    except ImportError:\n        pass\n"
        "    else:\n        print('imported', name)\n"
        "print(hasattr(os, 'fchown'), hasattr(os, 'getuid'), hasattr(signal, 'SIGPIPE'), hasattr(signal, 'SIGTERM'))\n"
    )
    done = posixless("--exec", probe)
    assert (done.returncode, done.stdout, done.stderr) == (0, "False False False True\n", "")


def test_the_probe_fails_on_a_top_level_posix_only_import(tmp_path):
    (tmp_path / "needs_fcntl.py").write_text("import fcntl\n")
    done = posixless("--exec", "import needs_fcntl", env={"PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])})
    assert done.returncode == 1
    assert done.stderr.endswith("ModuleNotFoundError: import of fcntl halted; None in sys.modules\n")


@pytest.mark.parametrize(
    "argv",
    [["--version"], ["--help"], ["services", "--help"], ["profiles", "--help"], ["numbers", "--help"],
     ["emulator", "--help"], ["completion", "powershell"], ["completion", "bash"], ["profiles", "list"]],
)
def test_read_only_commands_run_without_posix(argv):
    done = posixless(*argv)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr


def test_a_tab_runs_without_posix():
    done = posixless(env={"_MSGSVC_COMPLETE": "complete_powershell", "_TYPER_COMPLETE_ARGS": "msgsvc serv", "_TYPER_COMPLETE_WORD_TO_COMPLETE": "serv"})
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("plain\tservices\tservices\t")


def test_profiles_and_services_commands_run_without_posix(isolated, httpserver):
    assert posixless("profiles", "add", "t", "--account-sid", ACCOUNT_SID, "--base-url", base_url_of(httpserver), "--no-verify", input=AUTH_TOKEN + "\n").returncode == 0
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", [service()]))
    for argv, out in (
        (["services", "list"], None),
        (["services", "create", "--friendly-name", "A", "--dry-run"], f"POST {base_url_of(httpserver)}/v1/Services\n  FriendlyName=A\n"),
        (["profiles", "use", "t"], ""),
        (["profiles", "show", "--json"], None),
        (["profiles", "remove", "t", "--yes"], ""),
    ):
        done = posixless(*argv)
        assert done.returncode == 0, (argv, done.stderr)
        assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr
        if out is not None:
            assert done.stdout == out, argv


def test_the_emulator_serves_and_stops_on_sigterm_without_posix(isolated):
    """SIGTERM is one of the signals Windows has too (C's own), so the emulator keeps its handler."""
    import signal
    import threading

    server = subprocess.Popen([sys.executable, str(POSIXLESS), "emulator", "--port", "0", "--quiet"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stdout.readline() for _ in range(3)), daemon=True)
    reader.start()
    reader.join(60)
    try:
        info = dict(line.rstrip("\n").split("=", 1) for line in lines if "=" in line)
        assert sorted(info) == ["MSGSVC_BASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"], lines
        done = posixless("services", "list", env=info)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    assert (server.returncode, err) == (0, "")  # --quiet: neither banner nor "stopped."


def test_twenty_concurrent_profiles_add_all_land_without_fcntl(isolated):
    """The guarantee where fcntl is missing: filelock's lock-file lock then serialises them."""
    from msgsvc.local import config

    procs = [
        subprocess.Popen([sys.executable, str(POSIXLESS), "profiles", "add", f"p{n:02}", "--account-sid", ACCOUNT_SID, "--no-verify"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(20)
    ]
    results = [proc.communicate(f"token-{n:02}-0123456789\n", timeout=120) + (proc.returncode,) for n, proc in enumerate(procs)]
    assert [code for _, _, code in results] == [0] * 20, [err for _, err, _ in results]
    data = tomllib.loads(config.config_path().read_text())
    assert {name: p["auth_token"] for name, p in data["profiles"].items()} == {f"p{n:02}": f"token-{n:02}-0123456789" for n in range(20)}


def module_level_imports(source: str) -> set[str]:
    """Top-level names of the modules a file imports outside any function or class."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name.split(".")[0] for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                found.add(child.module.split(".")[0])
            visit(child)

    visit(ast.parse(source))
    return found


def test_no_msgsvc_module_imports_a_posix_only_module_at_top_level():
    offenders = {}
    for path in sorted((ROOT / "msgsvc").rglob("*.py")):
        bad = module_level_imports(path.read_text(encoding="utf-8")) & set(POSIX_ONLY)
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_scan_sees_top_level_imports_and_ignores_those_in_functions():
    source = "import os\ntry:\n    import fcntl\nexcept ImportError:\n    pass\nfrom termios import tcgetattr\ndef f():\n    import pwd\n"
    assert module_level_imports(source) == {"os", "fcntl", "termios"}
