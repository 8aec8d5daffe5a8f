"""Config that is never lost: a corrupt file is reported and left alone, concurrent writers
all land, and a file others can read gets a warning with the fix."""

from __future__ import annotations

import os
import subprocess
import tomllib

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, MSGSVC, page, run_installed

CORRUPT = b'active = "prod"\n[profiles.prod\naccount_sid = "AC..."\nauth_token = "keep-me"\n'


@pytest.fixture
def corrupt_config(isolated):
    from msgsvc.local import config

    path = config.config_path()
    config.ensure_private_dir(path.parent)
    path.write_bytes(CORRUPT)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["services", "list"],
        ["services", "create", "--friendly-name", "A", "--dry-run"],
        ["profiles", "list"],
        ["profiles", "show"],
        ["profiles", "use", "prod"],
        ["profiles", "remove", "prod", "--yes"],
        ["profiles", "add", "prod", "--account-sid", ACCOUNT_SID],
        ["profiles", "add", "new", "--account-sid", ACCOUNT_SID, "--force"],
    ],
)
def test_corrupt_config_is_reported_with_file_and_line_and_left_untouched(msgsvc, corrupt_config, args):
    before = corrupt_config.stat()

    result = msgsvc(*args, stdin=AUTH_TOKEN + "\n")

    assert (result.code, result.out) == (2, "")
    path = str(corrupt_config)
    assert result.err == (
        f"msgsvc: {path} is not valid TOML: Expected ']' at the end of a table declaration (at line 2, column 15)\n"
        f"hint: fix the file by hand, or move it away to start afresh (mv {path} {path}.bad)\n"
    )
    assert corrupt_config.read_bytes() == CORRUPT
    assert corrupt_config.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(os.listdir(corrupt_config.parent)) in (["config.toml"], [".config.lock", "config.toml"])


def test_corrupt_config_installed(corrupt_config):
    proc = run_installed("profiles", "add", "x", "--account-sid", ACCOUNT_SID, "--force", input=AUTH_TOKEN + "\n")
    assert (proc.returncode, proc.stdout) == (2, "")
    assert f"{corrupt_config} is not valid TOML" in proc.stderr and "line 2" in proc.stderr
    assert corrupt_config.read_bytes() == CORRUPT


def test_config_that_is_not_utf8_is_left_untouched(msgsvc, isolated):
    from msgsvc.local import config

    path = config.config_path()
    config.ensure_private_dir(path.parent)
    path.write_bytes(b"active = \"\xff\"\n")
    path.chmod(0o600)
    result = msgsvc("profiles", "use", "x")
    assert result.code == 2
    assert result.err.startswith(f"msgsvc: {path} is not UTF-8 text\n")
    assert path.read_bytes() == b"active = \"\xff\"\n"


def test_twenty_concurrent_profiles_add_all_land(isolated):
    from msgsvc.local import config

    procs = [
        subprocess.Popen(
            [MSGSVC, "profiles", "add", f"p{n:02}", "--no-verify", "--account-sid", ACCOUNT_SID, "--timeout", str(n + 1)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(20)
    ]
    results = [proc.communicate(f"token-{n:02}-0123456789\n", timeout=120) + (proc.returncode,) for n, proc in enumerate(procs)]

    assert [code for _, _, code in results] == [0] * 20, [err for _, err, _ in results]
    data = tomllib.loads(config.config_path().read_text())
    assert sorted(data["profiles"]) == [f"p{n:02}" for n in range(20)]
    for n in range(20):
        assert data["profiles"][f"p{n:02}"] == {"account_sid": ACCOUNT_SID, "auth_token": f"token-{n:02}-0123456789", "timeout": float(n + 1)}
    assert data["active"] in data["profiles"]
    assert config.config_path().stat().st_mode & 0o777 == 0o600
    assert [f for f in os.listdir(config.config_path().parent) if f.endswith(".tmp")] == []


def test_config_readable_by_others_gets_a_warning_with_the_fix(msgsvc, profile, httpserver):
    from msgsvc.local import config

    path = config.config_path()
    path.chmod(0o644)
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", []))

    result = msgsvc("services", "list")

    assert (result.code, result.out) == (0, "")
    assert result.err == (
        f"msgsvc: warning: {path} is readable by other users; it holds secrets.\n"
        f"hint: chmod 600 {path}\n"
    )


def test_group_readable_config_warns_once_per_run_installed(isolated):
    from msgsvc.local import config

    config.write_config({"active": "a", "profiles": {"a": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}}})
    path = config.config_path()
    path.chmod(0o640)

    proc = run_installed("profiles", "add", "b", "--no-verify", "--account-sid", ACCOUNT_SID, input="tok-b-123456\n")

    assert proc.returncode == 0
    assert proc.stderr == (
        f"msgsvc: warning: {path} is readable by other users; it holds secrets.\n"
        f"hint: chmod 600 {path}\n"
        f"Saved profile 'b' in {path}; its secret is in that file: no usable system keyring\n"
    )
    assert path.stat().st_mode & 0o777 == 0o600  # rewritten privately
    assert run_installed("profiles", "list").stderr == ""


def test_private_config_gets_no_warning(msgsvc, profile):
    result = msgsvc("profiles", "list")
    assert (result.code, result.err) == (0, "")


KILLED_MID_WRITE = """
import os, signal, sys
from msgsvc import atomic

def killed(source, target):  # the temporary file is written whole; the rename never happens
    os.kill(os.getpid(), signal.SIGKILL)

atomic._replace = killed
from msgsvc.__main__ import main
sys.argv = ["msgsvc", *sys.argv[1:]]
main()
"""


def test_a_secret_a_killed_write_left_behind_goes_with_its_profile(msgsvc, isolated):
    """kill -9 between writing config.toml's temporary file and renaming it leaves that file,
    which holds every secret of the config. The next write of the config (under its lock, so
    no other msgsvc is writing it) removes it: `profiles remove` leaves no copy of the secret."""
    import sys

    from msgsvc.local import config

    config.write_config({"active": "prod", "profiles": {"prod": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}}})
    done = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, "profiles", "add", "ci", "--no-verify",
                           "--account-sid", ACCOUNT_SID], input="token-ci-0123456789\n", capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == -9
    folder = config.config_path().parent
    [left] = [name for name in os.listdir(folder) if name.endswith(".tmp")]
    assert AUTH_TOKEN in (folder / left).read_text()  # what the crash left: the secrets
    assert tomllib.loads(config.config_path().read_text())["profiles"].keys() == {"prod"}  # the old file, whole

    result = msgsvc("profiles", "remove", "prod", "--yes")
    assert (result.code, result.out, result.err) == (0, "", "Removed profile 'prod'; no profile is active now (msgsvc profiles use NAME)\n")
    assert sorted(os.listdir(folder)) == [".config.lock", "config.toml"]
    assert tomllib.loads(config.config_path().read_text()) == {"profiles": {}}
