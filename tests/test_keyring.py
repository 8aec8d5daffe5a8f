"""Secrets in the system keyring: a real keyring backend chosen through keyring's own
PYTHON_KEYRING_BACKEND (tests/keyrings/msgsvc_test_keyrings.py), and keyrings that are absent,
locked, raising, hanging, or lose an entry behind msgsvc's back."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tomllib

import pytest
from conftest import ACCOUNT_SID, MSGSVC, NO_KEYRING, SERVICE_SID, base_url_of, page, run_installed, service, use_keyring
from corehelp import sent

API_KEY = "SK" + "5" * 32
TOKEN = "keyring-held-token-0123456789abcdef"
FILE_KEYRING = "msgsvc_test_keyrings.FileKeyring"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def entries(path) -> dict:
    """The keyring's entries, a profile of this config directory and ACCOUNT_SID shown by its
    name (its scoped user name is asserted in test_local_profiles.py)."""
    from msgsvc.local import keystore

    found = json.loads(path.read_text()).get("msgsvc", {}) if path.exists() else {}
    return {key.split(":")[0] if key == keystore.user(key.split(":")[0], ACCOUNT_SID) else key: value
            for key, value in found.items()}


def config_path(isolated):
    return isolated / "config" / "config.toml"


def stored(isolated) -> dict:
    return tomllib.loads(config_path(isolated).read_text())


def add(msgsvc, name: str, *args: str, secret: str = TOKEN):
    return msgsvc("profiles", "add", name, "--no-verify", "--account-sid", ACCOUNT_SID, *args, stdin=secret + "\n")


def saved(isolated, name: str, where: str, active: bool = True) -> str:
    return f"Saved profile {name!r}{' (active)' if active else ''} in {config_path(isolated)}; its secret is in {where}\n"


KEYRING_NOTE = "the system keyring"
FILE_NOTE = "that file: no usable system keyring"


# --- where add puts the secret ------------------------------------------------------------------


def test_add_puts_the_secret_in_the_keyring_and_none_in_the_file(msgsvc, isolated, keyring_file):
    result = add(msgsvc, "prod", "--region", "ie1")
    assert (result.code, result.out, result.err) == (0, "", saved(isolated, "prod", KEYRING_NOTE))
    assert entries(keyring_file) == {"prod": TOKEN}
    assert stored(isolated) == {
        "active": "prod",
        "profiles": {"prod": {"account_sid": ACCOUNT_SID, "region": "ie1", "secret_storage": "keyring"}},
    }
    assert TOKEN not in config_path(isolated).read_text()


def test_an_api_key_secret_goes_to_the_keyring_too(msgsvc, isolated, keyring_file):
    assert add(msgsvc, "ci", "--api-key", API_KEY, secret="api-secret-0123456789").code == 0
    assert entries(keyring_file) == {"ci": "api-secret-0123456789"}
    assert stored(isolated)["profiles"]["ci"] == {"account_sid": ACCOUNT_SID, "api_key": API_KEY, "secret_storage": "keyring"}


def test_commands_authenticate_with_the_secret_from_the_keyring(msgsvc, isolated, keyring_file, httpserver):
    add(msgsvc, "prod", "--base-url", base_url_of(httpserver), "--max-retries", "0")
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    result = msgsvc("services", "get", SERVICE_SID)
    assert result.code == 0, result.err
    assert sent(httpserver)[0].headers["Authorization"] == basic(ACCOUNT_SID, TOKEN)


@pytest.mark.parametrize("backend", [NO_KEYRING, "keyring.backends.null.Keyring"])
def test_without_a_usable_keyring_the_secret_goes_to_the_file_and_add_says_so(msgsvc, isolated, monkeypatch, backend):
    use_keyring(monkeypatch, backend)
    result = add(msgsvc, "prod")
    assert (result.code, result.err) == (0, saved(isolated, "prod", FILE_NOTE))
    assert stored(isolated)["profiles"]["prod"] == {"account_sid": ACCOUNT_SID, "auth_token": TOKEN}


def test_insecure_storage_keeps_the_secret_in_the_file(msgsvc, isolated, keyring_file):
    result = add(msgsvc, "prod", "--insecure-storage")
    assert (result.code, result.err) == (0, saved(isolated, "prod", "that file (--insecure-storage)"))
    assert stored(isolated)["profiles"]["prod"] == {"account_sid": ACCOUNT_SID, "auth_token": TOKEN}
    assert entries(keyring_file) == {}


# --- where list and show say it lives -----------------------------------------------------------


def test_list_and_show_say_where_each_secret_lives(msgsvc, isolated, keyring_file, monkeypatch):
    add(msgsvc, "prod")
    add(msgsvc, "old", "--insecure-storage", secret="file-token-0123456789")
    listed = msgsvc("profiles", "list", "--json")
    assert [(p["name"], p["storage"]) for p in json.loads(listed.out)] == [("old", "file"), ("prod", "keyring")]
    assert msgsvc("profiles", "list").out == (
        f"\told\t{ACCOUNT_SID}\tauth token\tfile\t\t\t\n*\tprod\t{ACCOUNT_SID}\tauth token\tkeyring\t\t\t\n"
    )
    shown = json.loads(msgsvc("profiles", "show", "--json").out)
    assert shown["secret_storage"] == {"value": "keyring", "source": "file profile 'prod'"}
    assert shown["auth_token"] == {"value": "************cdef", "source": "keyring (profile 'prod')"}
    old = json.loads(msgsvc("profiles", "show", "old", "--json").out)
    assert old["secret_storage"] == {"value": "file", "source": "file profile 'old'"}
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_API_KEY", API_KEY)
    monkeypatch.setenv("TWILIO_API_SECRET", "env-secret-0123456789")
    env = json.loads(msgsvc("profiles", "show", "--json").out)
    assert env["secret_storage"] == {"value": "environment", "source": "env TWILIO_API_SECRET"}


# --- moving file secrets into the keyring -------------------------------------------------------


def test_add_force_moves_a_file_secret_into_the_keyring(msgsvc, isolated, keyring_file, monkeypatch):
    use_keyring(monkeypatch, NO_KEYRING)
    add(msgsvc, "prod")
    assert "auth_token" in stored(isolated)["profiles"]["prod"]
    use_keyring(monkeypatch, FILE_KEYRING)
    result = add(msgsvc, "prod", "--force")
    assert (result.code, result.err) == (0, saved(isolated, "prod", KEYRING_NOTE))
    assert stored(isolated)["profiles"]["prod"] == {"account_sid": ACCOUNT_SID, "secret_storage": "keyring"}
    assert entries(keyring_file) == {"prod": TOKEN}


def test_migrate_moves_every_file_secret_and_leaves_the_rest(msgsvc, isolated, keyring_file, monkeypatch):
    use_keyring(monkeypatch, NO_KEYRING)
    add(msgsvc, "a", secret="token-a-0123456789")
    add(msgsvc, "b", "--api-key", API_KEY, secret="secret-b-0123456789")
    use_keyring(monkeypatch, FILE_KEYRING)
    add(msgsvc, "c", secret="token-c-0123456789")
    result = msgsvc("profiles", "migrate")
    assert (result.code, result.out) == (0, "")
    assert result.err == f"Moved the secret of 'a', 'b' into the system keyring; {config_path(isolated)} holds none of them now\n"
    assert entries(keyring_file) == {"a": "token-a-0123456789", "b": "secret-b-0123456789", "c": "token-c-0123456789"}
    text = config_path(isolated).read_text()
    assert "0123456789" not in text
    assert stored(isolated)["profiles"]["b"] == {"account_sid": ACCOUNT_SID, "api_key": API_KEY, "secret_storage": "keyring"}
    again = msgsvc("profiles", "migrate")
    assert (again.code, again.err) == (0, "No secret to move: no profile keeps its secret in the config file\n")


def test_migrate_named_profiles_only(msgsvc, isolated, keyring_file, monkeypatch):
    use_keyring(monkeypatch, NO_KEYRING)
    add(msgsvc, "a")
    add(msgsvc, "b")
    use_keyring(monkeypatch, FILE_KEYRING)
    assert msgsvc("profiles", "migrate", "b").code == 0
    assert entries(keyring_file) == {"b": TOKEN}
    assert stored(isolated)["profiles"]["a"]["auth_token"] == TOKEN
    unknown = msgsvc("profiles", "migrate", "zz")
    assert (unknown.code, unknown.err) == (4, "msgsvc: there is no profile named 'zz'\n"
                                              "hint: profiles: a, b; add one with: msgsvc profiles add zz --account-sid AC...\n")


def test_migrate_without_a_keyring_changes_nothing_and_says_what_to_do(msgsvc, isolated):
    """Not an authentication failure (exit 4): nothing was asked of Twilio and no credential
    is wrong. The machine has no keyring to move them into: exit 2, nothing changed, a hint."""
    add(msgsvc, "a")
    before = config_path(isolated).read_bytes()
    result = msgsvc("profiles", "migrate")
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "msgsvc: there is no usable system keyring here (keyring chose keyring.backends.fail.Keyring): "
        "the secrets stay in the config file\n"
        "hint: nothing was changed; start or unlock the system keyring (on Linux a Secret Service such as "
        "GNOME Keyring or KWallet), or choose a backend with PYTHON_KEYRING_BACKEND, then run it again; "
        "on a machine without one (a server, CI) the secrets stay in the config file, mode 0600, "
        "or come from TWILIO_* variables\n"
    )
    assert config_path(isolated).read_bytes() == before


def test_replacing_a_keyring_profile_with_insecure_storage_deletes_the_old_entry(msgsvc, isolated, keyring_file):
    add(msgsvc, "prod")
    assert add(msgsvc, "prod", "--force", "--insecure-storage", secret="new-token-0123456789").code == 0
    assert entries(keyring_file) == {}
    assert stored(isolated)["profiles"]["prod"]["auth_token"] == "new-token-0123456789"


# --- remove -------------------------------------------------------------------------------------


def test_remove_deletes_the_keyring_entry(msgsvc, isolated, keyring_file):
    add(msgsvc, "prod")
    add(msgsvc, "other", secret="other-token-0123456789")
    result = msgsvc("profiles", "remove", "prod", "--yes")
    assert (result.code, result.err) == (0, "Removed profile 'prod' and its secret from the system keyring; "
                                            "no profile is active now (msgsvc profiles use NAME)\n")
    assert entries(keyring_file) == {"other": "other-token-0123456789"}


def test_remove_when_the_entry_is_gone_already(msgsvc, isolated, keyring_file):
    add(msgsvc, "prod")
    keyring_file.write_text("{}")
    assert msgsvc("profiles", "remove", "prod", "--yes").code == 0
    assert stored(isolated) == {"profiles": {}}


def test_remove_with_a_locked_keyring_removes_nothing(msgsvc, isolated, keyring_file, monkeypatch):
    add(msgsvc, "prod")
    before = config_path(isolated).read_bytes()
    use_keyring(monkeypatch, "msgsvc_test_keyrings.LockedKeyring")
    result = msgsvc("profiles", "remove", "prod", "--yes")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: the system keyring is locked: cannot finish deleting the secret of profile 'prod'\n"
        "hint: unlock it (log in to the desktop session, or answer its prompt) and try again, "
        "or to remove the profile anyway, delete its table [profiles.prod] from the config file by hand (the secret then stays in the keyring)\n"
    )
    assert config_path(isolated).read_bytes() == before


# --- keyrings that fail -------------------------------------------------------------------------

STORE_FIX = "keep the secret in the config file instead with --insecure-storage"
READD = (
    "store it again: msgsvc profiles add prod --force --account-sid AC... "
    "(with --insecure-storage it goes into the config file instead)"
)


@pytest.fixture
def keyring_profile(msgsvc, isolated, keyring_file, httpserver):
    """Profile 'prod' with its secret in the keyring, pointing at the local server."""
    assert add(msgsvc, "prod", "--base-url", base_url_of(httpserver), "--max-retries", "0").code == 0
    return "prod"


@pytest.mark.parametrize(
    "backend,message,hint",
    [
        ("msgsvc_test_keyrings.LockedKeyring",
         "the system keyring is locked: cannot finish reading the secret of profile 'prod'",
         "unlock it (log in to the desktop session, or answer its prompt) and try again, or " + READD),
        ("msgsvc_test_keyrings.RaisingKeyring",
         "the system keyring refused reading the secret of profile 'prod': "
         "OSError: org.freedesktop.DBus.Error.NoReply: Did not receive a reply",
         READD),
        (NO_KEYRING,
         "profile 'prod' keeps its secret in the system keyring, and there is no usable keyring here "
         "(keyring chose keyring.backends.fail.Keyring)",
         READD),
    ],
    ids=["locked", "raising", "no-keyring"],
)
def test_a_keyring_that_cannot_give_the_secret_is_one_clear_error(msgsvc, keyring_profile, httpserver, monkeypatch, backend, message, hint):
    use_keyring(monkeypatch, backend)
    result = msgsvc("services", "list")
    assert (result.code, result.out, result.err) == (4, "", f"msgsvc: {message}\nhint: {hint}\n")
    assert sent(httpserver) == []


def test_an_entry_deleted_behind_msgsvcs_back(msgsvc, keyring_profile, keyring_file, httpserver):
    keyring_file.write_text(json.dumps({"msgsvc": {}}))
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: the system keyring has no secret for profile 'prod' (was it deleted outside msgsvc?)\n"
        f"hint: {READD}\n"
    )
    assert sent(httpserver) == []


def test_a_keyring_entry_deleted_names_the_profile_quoted_for_a_shell(msgsvc, isolated, keyring_file, httpserver):
    from msgsvc.local import config

    # `profiles add` takes no such name; a config file edited by hand may hold one.
    config.write_config({"active": "my prod", "profiles": {"my prod": {
        "account_sid": ACCOUNT_SID, "secret_storage": "keyring", "base_url": base_url_of(httpserver)}}})
    keyring_file.write_text(json.dumps({"msgsvc": {}}))
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: the system keyring has no secret for profile 'my prod' (was it deleted outside msgsvc?)\n"
        "hint: " + READD.replace("add prod", "add 'my prod'") + "\n"
    )
    assert sent(httpserver) == []


@pytest.fixture
def hanging_keyring(monkeypatch):
    """HangingKeyring, a bound of 0.2 s; afterwards the calls left hanging are let go."""
    import msgsvc_test_keyrings

    from msgsvc.local import keystore

    monkeypatch.setenv("MSGSVC_KEYRING_TIMEOUT", "0.2")
    use_keyring(monkeypatch, "msgsvc_test_keyrings.HangingKeyring")
    yield
    msgsvc_test_keyrings.RELEASE.set()
    if keystore._stuck is not None:
        keystore._stuck.join(10)
    msgsvc_test_keyrings.RELEASE.clear()


def test_a_hanging_keyring_is_an_error_after_the_bound(msgsvc, keyring_profile, httpserver, hanging_keyring):
    result = msgsvc("services", "list")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: the system keyring did not answer within 0.2 s while reading the secret of profile 'prod'\n"
        f"hint: unlock the keyring (or answer its prompt) and try again, or {READD}\n"
    )
    assert sent(httpserver) == []


def test_a_hanging_keyring_when_adding_saves_nothing(msgsvc, isolated, hanging_keyring):
    result = add(msgsvc, "prod")
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        "msgsvc: the system keyring did not answer within 0.2 s while storing the secret of profile 'prod'\n"
        f"hint: unlock the keyring (or answer its prompt) and try again, or {STORE_FIX}\n"
    )
    assert "profiles" not in (tomllib.loads(config_path(isolated).read_text()) if config_path(isolated).exists() else {})


@pytest.mark.parametrize("backend,start", [
    ("msgsvc_test_keyrings.LockedKeyring", "msgsvc: the system keyring is locked: cannot finish storing the secret of profile 'prod'\n"),
    ("msgsvc_test_keyrings.RaisingKeyring", "msgsvc: the system keyring refused storing the secret of profile 'prod': OSError: "),
])
def test_a_keyring_that_refuses_a_new_secret_saves_nothing(msgsvc, isolated, monkeypatch, backend, start):
    use_keyring(monkeypatch, backend)
    result = add(msgsvc, "prod")
    assert result.code == 4
    assert result.err.startswith(start)
    assert result.err.endswith(f"hint: {STORE_FIX}\n") or result.err.endswith(f"try again, or {STORE_FIX}\n")
    assert TOKEN not in result.err
    assert not config_path(isolated).exists() or "prod" not in config_path(isolated).read_text()


def test_a_hung_keyring_is_not_asked_again_in_the_same_run(msgsvc, isolated, keyring_file, hanging_keyring, monkeypatch):
    use_keyring(monkeypatch, FILE_KEYRING)
    for name in ("a", "b", "c"):
        assert add(msgsvc, name, "--base-url", "http://127.0.0.1:9").code == 0
    use_keyring(monkeypatch, "msgsvc_test_keyrings.HangingKeyring")
    result = msgsvc("profiles", "test", "--all", "--json")
    assert result.code == 4
    rows = json.loads(result.out)
    assert [(row["profile"], row["status"], row["storage"]) for row in rows] == [
        ("a", "keyring unavailable", "keyring"), ("b", "keyring unavailable", "keyring"), ("c", "keyring unavailable", "keyring"),
    ]
    assert [row["detail"] for row in rows] == [
        "the system keyring did not answer within 0.2 s while reading the secret of profile 'a'",
        "the system keyring has not answered an earlier request: not asking it again for the secret of profile 'b'",
        "the system keyring has not answered an earlier request: not asking it again for the secret of profile 'c'",
    ]


def test_a_hanging_keyring_in_the_installed_msgsvc_exits(keyring_profile, monkeypatch):
    """The process ends after the bound, with the keyring thread still stuck in it."""
    monkeypatch.setenv("MSGSVC_KEYRING_TIMEOUT", "0.3")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "msgsvc_test_keyrings.HangingKeyring")
    proc = run_installed("services", "list", timeout=30)
    assert (proc.returncode, proc.stdout) == (4, "")
    assert proc.stderr.startswith("msgsvc: the system keyring did not answer within 0.3 s while reading the secret of profile 'prod'\n")


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "7200"])
def test_a_bad_keyring_timeout_is_a_usage_error(msgsvc, keyring_profile, monkeypatch, value):
    monkeypatch.setenv("MSGSVC_KEYRING_TIMEOUT", value)
    result = msgsvc("services", "list")
    assert (result.code, result.err) == (2, f"msgsvc: MSGSVC_KEYRING_TIMEOUT must be a number of seconds from 0 to 3600: {value!r}\n")


# --- many writers -------------------------------------------------------------------------------


def test_twenty_concurrent_adds_with_the_keyring_lose_nothing(isolated, keyring_file):
    """FileKeyring has no lock of its own: msgsvc's config lock must serialise the writers."""
    procs = [
        subprocess.Popen(
            [MSGSVC, "profiles", "add", f"p{n:02}", "--no-verify", "--account-sid", ACCOUNT_SID],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(20)
    ]
    results = [proc.communicate(f"token-{n:02}-0123456789\n", timeout=120) + (proc.returncode,) for n, proc in enumerate(procs)]
    assert [code for _, _, code in results] == [0] * 20, [err for _, err, _ in results]
    assert entries(keyring_file) == {f"p{n:02}": f"token-{n:02}-0123456789" for n in range(20)}
    data = stored(isolated)
    assert data["profiles"] == {f"p{n:02}": {"account_sid": ACCOUNT_SID, "secret_storage": "keyring"} for n in range(20)}
    assert "token-" not in config_path(isolated).read_text()


def test_the_installed_msgsvc_finds_the_keyring_through_keyrings_own_selection(isolated, keyring_file, httpserver):
    added = run_installed("profiles", "add", "prod", "--no-verify", "--account-sid", ACCOUNT_SID, "--base-url", base_url_of(httpserver), input=TOKEN + "\n")
    assert (added.returncode, added.stderr) == (0, saved(isolated, "prod", KEYRING_NOTE))
    assert entries(keyring_file) == {"prod": TOKEN}
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", []))
    listed = run_installed("services", "list")
    assert listed.returncode == 0, listed.stderr
    assert sent(httpserver)[0].headers["Authorization"] == basic(ACCOUNT_SID, TOKEN)
    assert os.environ["PYTHON_KEYRING_BACKEND"] == FILE_KEYRING
