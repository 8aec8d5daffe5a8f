"""msgsvc profiles: secrets from stdin (never a flag, never printed), file and directory modes,
atomic writes, masking, and which credentials a command uses, with where each came from."""

from __future__ import annotations

import base64
import json
import os
import stat
import tomllib

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID, base_url_of, page, run_installed, service
from corehelp import lines, sent

from msgsvc.local import config

AC2 = "AC" + "2" * 32
API_KEY = "SK" + "5" * 32
API_SECRET = "api-key-secret-9876543210fedcba"
TOKEN = "auth-token-for-prod-0123456789ab"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def stored(isolated) -> dict:
    return tomllib.loads((isolated / "config" / "config.toml").read_text())


def add(msgsvc, name: str, *args: str, secret: str = TOKEN):
    return msgsvc("profiles", "add", name, "--no-verify", *args, stdin=secret + "\n")


# --- add --------------------------------------------------------------------------------------


def test_add_reads_the_secret_from_stdin_and_makes_the_first_profile_active(msgsvc, isolated):
    result = add(msgsvc, "prod", "--account-sid", ACCOUNT_SID, "--region", "ie1", "--edge", "dublin")
    path = isolated / "config" / "config.toml"
    assert (result.code, result.out) == (0, "")
    assert result.err == f"Saved profile 'prod' (active) in {path}; its secret is in that file: no usable system keyring\n"
    assert TOKEN not in result.err
    assert stored(isolated) == {
        "active": "prod",
        "profiles": {"prod": {"account_sid": ACCOUNT_SID, "auth_token": TOKEN, "region": "ie1", "edge": "dublin"}},
    }
    second = add(msgsvc, "staging", "--account-sid", AC2, secret="other")
    assert second.err == f"Saved profile 'staging' in {path}; its secret is in that file: no usable system keyring\n"
    assert stored(isolated)["active"] == "prod"


def test_the_file_is_0600_in_a_0700_directory(msgsvc, isolated):
    add(msgsvc, "prod", "--account-sid", ACCOUNT_SID)
    directory = isolated / "config"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / "config.toml").stat().st_mode) == 0o600
    add(msgsvc, "two", "--account-sid", AC2)  # a rewrite keeps the mode
    assert stat.S_IMODE((directory / "config.toml").stat().st_mode) == 0o600
    assert sorted(p.name for p in directory.iterdir()) == [".config.lock", "config.toml"]  # no temporary file left


def test_the_file_is_0600_whatever_the_umask(msgsvc, isolated):
    old = os.umask(0)
    try:
        add(msgsvc, "prod", "--account-sid", ACCOUNT_SID)
    finally:
        os.umask(old)
    assert stat.S_IMODE((isolated / "config").stat().st_mode) == 0o700
    assert stat.S_IMODE((isolated / "config" / "config.toml").stat().st_mode) == 0o600


def test_writes_are_atomic_a_failed_rename_leaves_the_old_file(msgsvc, isolated, monkeypatch):
    add(msgsvc, "prod", "--account-sid", ACCOUNT_SID)
    path = isolated / "config" / "config.toml"
    before = path.read_bytes()
    replaced = []

    def crash(src, dst):
        replaced.append((os.path.basename(src), os.path.basename(dst)))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    result = add(msgsvc, "two", "--account-sid", AC2)
    assert result.code == 1
    assert path.read_bytes() == before  # the old file, whole
    assert replaced and replaced[0][0].startswith(".config.toml-") and replaced[0][1] == "config.toml"
    assert sorted(p.name for p in path.parent.iterdir()) == [".config.lock", "config.toml"]


def test_a_new_file_replaces_the_old_one_by_rename(msgsvc, isolated):
    add(msgsvc, "prod", "--account-sid", ACCOUNT_SID)
    path = isolated / "config" / "config.toml"
    inode = path.stat().st_ino
    add(msgsvc, "two", "--account-sid", AC2)
    assert path.stat().st_ino != inode  # a new file renamed over the old, never rewritten in place


def test_add_with_an_api_key_stores_key_and_secret(msgsvc, isolated):
    result = add(msgsvc, "ci", "--account-sid", ACCOUNT_SID, "--api-key", API_KEY, secret=API_SECRET)
    assert result.code == 0
    assert stored(isolated)["profiles"]["ci"] == {"account_sid": ACCOUNT_SID, "api_key": API_KEY, "api_secret": API_SECRET}


def test_api_key_auth_is_key_and_secret_as_basic_user_and_password(msgsvc, isolated, httpserver):
    add(msgsvc, "ci", "--account-sid", ACCOUNT_SID, "--api-key", API_KEY, "--base-url", base_url_of(httpserver), secret=API_SECRET)
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    assert msgsvc("services", "get", SERVICE_SID).code == 0
    assert sent(httpserver)[0].headers["Authorization"] == basic(API_KEY, API_SECRET)


def test_the_secret_is_never_a_flag(msgsvc, isolated):
    result = msgsvc("profiles", "add", "p", "--no-verify", "--account-sid", ACCOUNT_SID, "--auth-token", TOKEN)
    assert result.code == 2
    assert "No such option: --auth-token" in result.err
    assert not (isolated / "config" / "config.toml").exists()


def test_an_empty_secret_is_refused(msgsvc, isolated):
    result = msgsvc("profiles", "add", "p", "--no-verify", "--account-sid", ACCOUNT_SID, stdin="")
    assert result.code == 2
    assert result.err.startswith("msgsvc: no auth token given\nhint: type it at the prompt, or pipe it on standard input")
    assert not (isolated / "config" / "config.toml").exists()


def test_a_hidden_prompt_in_a_terminal(msgsvc, isolated, monkeypatch):
    import getpass

    asked = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": asked.append(prompt) or API_SECRET)
    result = msgsvc("profiles", "add", "p", "--no-verify", "--account-sid", ACCOUNT_SID, "--api-key", API_KEY, stdin_tty=True)
    assert result.code == 0, result.err
    assert result.err.startswith("API key secret:")  # the prompt is on stderr
    assert result.out == ""
    assert API_SECRET not in result.err
    assert stored(isolated)["profiles"]["p"]["api_secret"] == API_SECRET


def test_an_existing_name_needs_force(msgsvc, isolated):
    add(msgsvc, "prod", "--account-sid", ACCOUNT_SID)
    result = add(msgsvc, "prod", "--account-sid", AC2, secret="new")
    assert result.code == 2
    assert result.err == "msgsvc: a profile named 'prod' exists already\nhint: add --force to replace it\n"
    assert stored(isolated)["profiles"]["prod"]["account_sid"] == ACCOUNT_SID
    assert add(msgsvc, "prod", "--account-sid", AC2, "--force", secret="new").code == 0
    assert stored(isolated)["profiles"]["prod"] == {"account_sid": AC2, "auth_token": "new"}


@pytest.mark.parametrize("name", ["-x", "a b", "x" * 65, "über", ".hidden"])
def test_invalid_profile_names(msgsvc, isolated, name):
    result = msgsvc("profiles", "add", "--account-sid", ACCOUNT_SID, "--", name, stdin="t\n")
    assert result.code == 2
    assert f"msgsvc: invalid profile name {name!r}" in result.err


def test_a_broken_config_file_is_never_rewritten(msgsvc, isolated):
    path = isolated / "config" / "config.toml"
    path.parent.mkdir(mode=0o700)
    path.write_text("[profiles\n")
    path.chmod(0o600)
    result = add(msgsvc, "prod", "--account-sid", ACCOUNT_SID)
    assert result.code == 2
    assert f"msgsvc: {path} is not valid TOML" in result.err
    assert path.read_text() == "[profiles\n"


def test_a_config_readable_by_others_is_warned_about(msgsvc, profile, isolated):
    path = isolated / "config" / "config.toml"
    path.chmod(0o644)
    result = msgsvc("profiles", "list")
    assert result.code == 0
    assert result.err == f"msgsvc: warning: {path} is readable by other users; it holds secrets.\nhint: chmod 600 {path}\n"


# --- list, use, remove ------------------------------------------------------------------------


@pytest.fixture
def two_profiles(msgsvc, isolated):
    add(msgsvc, "prod", "--account-sid", ACCOUNT_SID, "--region", "ie1")
    add(msgsvc, "ci", "--account-sid", AC2, "--api-key", API_KEY, "--base-url", "http://127.0.0.1:8080", secret=API_SECRET)


def test_list_in_a_pipe(msgsvc, two_profiles):
    result = msgsvc("profiles", "list")
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        f"\tci\t{AC2}\tapi key {API_KEY}\tfile\t\t\thttp://127.0.0.1:8080\n"
        f"*\tprod\t{ACCOUNT_SID}\tauth token\tfile\tie1\t\t\n"
    )


def test_list_on_a_terminal(msgsvc, two_profiles):
    result = msgsvc("profiles", "list", tty=True)
    row = "{:6}  {:4}  {:34}  {:42}  {:9}  {:6}  {:4}  {}".format
    assert lines(result.out) == [
        row("ACTIVE", "NAME", "ACCOUNT SID", "AUTH", "SECRET IN", "REGION", "EDGE", "BASE URL"),
        row("", "ci", AC2, f"api key {API_KEY}", "file", "", "", "http://127.0.0.1:8080"),
        row("*", "prod", ACCOUNT_SID, "auth token", "file", "ie1", "", "").rstrip(),
    ]


@pytest.mark.parametrize("where", ["before", "after"])
def test_list_json(msgsvc, two_profiles, where):
    args = ["--json", "profiles", "list"] if where == "before" else ["profiles", "list", "--json"]
    result = msgsvc(*args)
    assert json.loads(result.out) == [
        {"name": "ci", "active": False, "active_mark": "", "account_sid": AC2, "api_key": API_KEY, "auth": f"api key {API_KEY}",
         "storage": "file", "region": None, "edge": None, "base_url": "http://127.0.0.1:8080"},
        {"name": "prod", "active": True, "active_mark": "*", "account_sid": ACCOUNT_SID, "api_key": None, "auth": "auth token",
         "storage": "file", "region": "ie1", "edge": None, "base_url": None},
    ]


@pytest.mark.parametrize("name, args, secret", [
    (TOKEN, ["--account-sid", ACCOUNT_SID], TOKEN),
    (f"ci-{API_SECRET.upper()}", ["--account-sid", AC2, "--api-key", API_KEY], API_SECRET),
])
def test_a_profile_named_with_its_own_secret_is_refused(msgsvc, isolated, name, args, secret):
    """The token pasted where the name goes (or into it): a name is shown everywhere."""
    added = add(msgsvc, name, *args, "--insecure-storage", secret=secret)
    assert (added.code, added.out) == (2, "")
    assert added.err == ("msgsvc: the profile name holds its own secret: was the token pasted in the wrong place?\n"
                         "hint: choose another name; nothing was saved\n")
    assert not (isolated / "config" / "config.toml").exists()


def test_a_profile_named_with_its_token_shows_it_masked(msgsvc, isolated):
    # A config written by hand (or by an older msgsvc) whose profile names hold their tokens:
    # *** in every view, as a command's own.
    from msgsvc.local import config

    config.write_config({"active": TOKEN, "profiles": {
        TOKEN: {"account_sid": ACCOUNT_SID, "auth_token": TOKEN},
        f"ci-{API_SECRET}": {"account_sid": AC2, "api_key": API_KEY, "api_secret": API_SECRET},
    }})
    piped = msgsvc("profiles", "list")
    assert (piped.code, piped.err) == (0, "")
    assert piped.out == (f"*\t***\t{ACCOUNT_SID}\tauth token\tfile\t\t\t\n"
                         f"\tci-***\t{AC2}\tapi key {API_KEY}\tfile\t\t\t\n")
    as_json = msgsvc("profiles", "list", "--json", "--jq", ".[].name")
    assert (as_json.code, as_json.out, as_json.err) == (0, "***\nci-***\n", "")
    on_a_terminal = msgsvc("profiles", "list", "--fields", "name", tty=True)
    assert (on_a_terminal.code, on_a_terminal.out, on_a_terminal.err) == (0, "NAME\n***\nci-***\n", "")
    shown = msgsvc("profiles", "show", "--fields", "setting,value")
    assert (shown.code, shown.err) == (0, "")
    assert shown.out.startswith("profile\t***\nsecret_storage\tfile\n")
    used = msgsvc("profiles", "use", f"ci-{API_SECRET}")
    assert (used.code, used.out, used.err) == (0, "", "Active profile: ci-***\n")


def test_list_with_no_profiles(msgsvc, isolated):
    assert (msgsvc("profiles", "list").out, msgsvc("profiles", "list", "--json").out) == ("", "[]\n")


@pytest.mark.parametrize("args", [[], ["--json"]])
@pytest.mark.parametrize("tty", [False, True])
@pytest.mark.parametrize("command", [["profiles", "list"], ["profiles", "show"], ["profiles", "show", "ci"]])
def test_secrets_are_never_printed(msgsvc, two_profiles, command, args, tty):
    result = msgsvc(*command, *args, tty=tty)
    assert result.code == 0
    for secret in (TOKEN, API_SECRET):
        assert secret not in result.out + result.err
        assert secret[:-4] not in result.out + result.err


def test_use_changes_the_active_profile(msgsvc, two_profiles, isolated):
    result = msgsvc("profiles", "use", "ci")
    assert (result.code, result.out, result.err) == (0, "", "Active profile: ci\n")
    assert stored(isolated)["active"] == "ci"
    bad = msgsvc("profiles", "use", "nope")
    assert (bad.code, bad.err) == (4, "msgsvc: there is no profile named 'nope'\n"
                                      "hint: profiles: ci, prod; add one with: msgsvc profiles add nope --account-sid AC...\n")


def test_remove(msgsvc, two_profiles, isolated):
    result = msgsvc("profiles", "remove", "ci", "--yes")
    assert (result.code, result.out, result.err) == (0, "", "Removed profile 'ci'\n")
    active = msgsvc("profiles", "remove", "prod", "--yes")
    assert active.err == "Removed profile 'prod'; no profile is active now (msgsvc profiles use NAME)\n"
    assert stored(isolated) == {"profiles": {}}
    assert msgsvc("profiles", "remove", "prod").code == 4


@pytest.mark.parametrize("args", [
    ["profiles", "use", "nope"], ["profiles", "remove", "nope"], ["profiles", "show", "nope"],
    ["-p", "nope", "services", "list"], ["services", "list", "--profile", "nope"], ["-p", "nope", "profiles", "show"],
])
def test_an_unknown_profile_is_exit_4_everywhere(msgsvc, two_profiles, args):
    result = msgsvc(*args)
    assert (result.code, result.out) == (4, "")
    assert result.err.startswith("msgsvc: there is no profile named 'nope'")
    assert result.err.endswith("\nhint: profiles: ci, prod; add one with: msgsvc profiles add nope --account-sid AC...\n")


@pytest.mark.parametrize("args, meant", [
    (["profiles", "use", "Prod"], "prod"), (["profiles", "remove", "cI"], "ci"), (["-p", "prd", "profiles", "show"], "prod"),
    (["profiles", "show", "PROD"], "prod"),
])
def test_a_mistyped_profile_name_suggests_the_profile(msgsvc, two_profiles, args, meant):
    result = msgsvc(*args)
    assert result.code == 4
    assert result.err.endswith(f"\nhint: did you mean '{meant}'?\n")


# --- which credentials a command uses, and profiles show -------------------------------------


@pytest.fixture
def everywhere(msgsvc, isolated, httpserver, monkeypatch):
    """Credentials in three profiles and in Twilio's environment variables, all pointing at the
    local server, each with its own token, so the Authorization header says which one won."""
    base = base_url_of(httpserver)
    for name in ("active", "flagged", "fromenv"):
        add(msgsvc, name, "--account-sid", ACCOUNT_SID, "--base-url", base, "--max-retries", "0", secret=f"token-of-{name}")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", AC2)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token-of-environment")
    monkeypatch.setenv("MSGSVC_BASE_URL", base)
    httpserver.expect_request("/v1/Services").respond_with_json(page("services", []))


def auth_used(msgsvc, httpserver, *args: str) -> str:
    httpserver.clear_log()
    result = msgsvc(*args, "services", "list")
    assert result.code == 0, result.err
    return sent(httpserver)[0].headers["Authorization"]


def test_precedence_flag_then_msgsvc_profile_then_twilio_env_then_active(msgsvc, everywhere, httpserver, monkeypatch):
    monkeypatch.setenv("MSGSVC_PROFILE", "fromenv")
    assert auth_used(msgsvc, httpserver, "--profile", "flagged") == basic(ACCOUNT_SID, "token-of-flagged")
    assert auth_used(msgsvc, httpserver) == basic(ACCOUNT_SID, "token-of-fromenv")
    monkeypatch.delenv("MSGSVC_PROFILE")
    assert auth_used(msgsvc, httpserver) == basic(AC2, "token-of-environment")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")  # incomplete environment credentials: the active profile
    assert auth_used(msgsvc, httpserver) == basic(ACCOUNT_SID, "token-of-active")


def test_environment_api_key_credentials(msgsvc, everywhere, httpserver, monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    monkeypatch.setenv("TWILIO_API_KEY", API_KEY)
    monkeypatch.setenv("TWILIO_API_SECRET", API_SECRET)
    assert auth_used(msgsvc, httpserver) == basic(API_KEY, API_SECRET)


def test_an_api_key_without_its_secret_is_not_used(msgsvc, everywhere, httpserver, monkeypatch):
    monkeypatch.setenv("TWILIO_API_KEY", API_KEY)  # no TWILIO_API_SECRET: the auth token applies
    assert auth_used(msgsvc, httpserver) == basic(AC2, "token-of-environment")


def show(msgsvc, *args: str) -> dict:
    result = msgsvc(*args)
    assert result.code == 0, result.err
    return {key: (value["value"], value["source"]) for key, value in json.loads(result.out).items()}


def test_show_reports_each_setting_and_its_source(msgsvc, everywhere, monkeypatch):
    monkeypatch.setenv("TWILIO_REGION", "au1")
    shown = show(msgsvc, "--profile", "flagged", "--timeout", "5", "profiles", "show", "--json")
    assert shown == {
        "profile": ("flagged", "flag --profile"),
        "secret_storage": ("file", "file profile 'flagged'"),
        "account_sid": (ACCOUNT_SID, "file profile 'flagged'"),
        "auth_token": ("************gged", "file profile 'flagged'"),
        "api_key": (None, "not set"),
        "api_secret": (None, "not set"),
        "region": ("au1", "env TWILIO_REGION"),
        "edge": (None, "not set"),
        "base_url": (base_url_from_env(), "env MSGSVC_BASE_URL"),
        "timeout": (5.0, "flag --timeout"),
        "max_retries": (0, "file profile 'flagged'"),
        "ca_bundle": (None, "not set"),
    }


def base_url_from_env() -> str:
    return os.environ["MSGSVC_BASE_URL"]


def test_show_sources_follow_the_precedence(msgsvc, everywhere, monkeypatch):
    env = show(msgsvc, "profiles", "show", "--json")
    assert env["profile"] == (None, "none (environment credentials)")
    assert env["secret_storage"] == ("environment", "env TWILIO_AUTH_TOKEN")
    assert env["account_sid"] == (AC2, "env TWILIO_ACCOUNT_SID")
    assert env["auth_token"] == ("************ment", "env TWILIO_AUTH_TOKEN")
    monkeypatch.setenv("MSGSVC_PROFILE", "fromenv")
    assert show(msgsvc, "profiles", "show", "--json")["profile"] == ("fromenv", "env MSGSVC_PROFILE")
    monkeypatch.delenv("MSGSVC_PROFILE")
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    assert show(msgsvc, "--json", "profiles", "show")["profile"] == ("active", "file (active profile)")
    assert show(msgsvc, "profiles", "show", "flagged", "--json")["profile"] == ("flagged", "flag --profile")
    assert show(msgsvc, "profiles", "show", "--profile", "flagged", "--json")["profile"] == ("flagged", "flag --profile")
    assert show(msgsvc, "-p", "flagged", "profiles", "show", "--json")["profile"] == ("flagged", "flag --profile")


def test_show_in_a_pipe_and_on_a_terminal(msgsvc, isolated):
    add(msgsvc, "ci", "--account-sid", ACCOUNT_SID, "--api-key", API_KEY, secret="short")
    piped = msgsvc("profiles", "show")
    assert (piped.code, piped.err) == (0, "")
    assert piped.out == (
        "profile\tci\tfile (active profile)\n"
        "secret_storage\tfile\tfile profile 'ci'\n"
        f"account_sid\t{ACCOUNT_SID}\tfile profile 'ci'\n"
        "auth_token\t\tnot set\n"
        f"api_key\t{API_KEY}\tfile profile 'ci'\n"
        "api_secret\t********\tfile profile 'ci'\n"
        "region\t\tnot set\n"
        "edge\t\tnot set\n"
        "base_url\t\tnot set\n"
        "timeout\t\tdefault: 10 (connect), 30 (read)\n"
        "max_retries\t\tdefault: 4\n"
        "ca_bundle\t\tnot set\n"
    )
    row = "{:14}  {:34}  {}".format
    assert lines(msgsvc("profiles", "show", tty=True).out) == [
        row(*line.split("\t")).rstrip() for line in ["SETTING\tVALUE\tSOURCE", *piped.out.splitlines()]
    ]


def test_profiles_installed_in_a_subprocess(isolated):
    added = run_installed("profiles", "add", "prod", "--no-verify", "--account-sid", ACCOUNT_SID, input=AUTH_TOKEN + "\n")
    assert (added.returncode, added.stdout) == (0, "")
    assert added.stderr == f"Saved profile 'prod' (active) in {isolated / 'config' / 'config.toml'}; its secret is in that file: no usable system keyring\n"
    listed = run_installed("profiles", "list", "--json")
    assert json.loads(listed.stdout) == [
        {"name": "prod", "active": True, "active_mark": "*", "account_sid": ACCOUNT_SID, "api_key": None, "auth": "auth token",
         "storage": "file", "region": None, "edge": None, "base_url": None}
    ]
    shown = run_installed("profiles", "show")
    assert shown.returncode == 0
    assert AUTH_TOKEN not in shown.stdout + shown.stderr
    assert "auth_token\t************cdef\tfile profile 'prod'\n" in shown.stdout
