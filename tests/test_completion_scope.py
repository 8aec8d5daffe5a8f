"""Whose services a Tab press offers (msgsvc.local.cache.scope): remembered per version of the
config file, so that a Tab press parses no TOML, and never stale: a changed config, another
--profile or $MSGSVC_PROFILE, or Twilio's variables give the answer the config gives."""

from __future__ import annotations

import os
import stat

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID

STAGING_SID = "MG" + "c" * 32
ENV_SID = "MG" + "e" * 32


@pytest.fixture
def two(isolated):
    from msgsvc.local import cache, config

    config.write_config({"active": "prod1", "profiles": {
        "prod1": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
        "prod2": {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
    }})
    cache._save("profile-prod1", {SERVICE_SID: "Alerts"})
    cache._save("profile-prod2", {STAGING_SID: "Staging"})
    cache._save(f"account-{ACCOUNT_SID}", {ENV_SID: "From the environment"})
    return isolated


@pytest.fixture
def tab(monkeypatch, capsys):
    """tab(line) -> the SIDs a bash Tab press at the end of `line` offers (the fast path)."""
    from msgsvc.cli import fast

    def press(line: str) -> list[str]:
        words = line.split(" ")
        with monkeypatch.context() as m:
            m.setenv("_MSGSVC_COMPLETE", "complete_bash")
            m.setenv("COMP_WORDS", "\n".join(words))
            m.setenv("COMP_CWORD", str(len(words) - 1))
            capsys.readouterr()
            assert fast.answer([]) == 0
            out = capsys.readouterr().out
        return [line.split(",", 1)[1] for line in out.splitlines()]

    return press


def scopes_file(home):
    return home / "cache" / "scopes.tsv"


def test_a_second_tab_press_is_answered_from_what_the_first_remembered(two, tab, monkeypatch):
    assert tab("msgsvc services get MG") == [SERVICE_SID]
    text = scopes_file(two).read_text()
    assert text.startswith("msgsvc scopes cache 1\n") and text.endswith("\t\t\tprofile-prod1\n")
    assert stat.S_IMODE(os.stat(scopes_file(two)).st_mode) == 0o600

    from msgsvc.local import config

    def no_toml(*args, **kwargs):
        raise AssertionError("the config was read")

    monkeypatch.setattr(config, "read_config", no_toml)
    assert tab("msgsvc services get MG") == [SERVICE_SID]


def test_a_config_written_again_changes_the_answer(two, tab):
    from msgsvc.local import config

    assert tab("msgsvc services get MG") == [SERVICE_SID]
    data = config.read_config()
    config.write_config({**data, "active": "prod2"})  # same size, a new file (renamed into place)
    assert tab("msgsvc services get MG") == [STAGING_SID]


def test_a_config_edited_in_place_to_the_same_size_changes_the_answer(two, tab):
    from msgsvc.local import config

    assert tab("msgsvc services get MG") == [SERVICE_SID]
    path = config.config_path()
    before = os.stat(path)
    text = path.read_text().replace('active = "prod1"', 'active = "prod2"')
    with open(path, "r+") as file:  # an editor that writes in place: same inode, same size
        file.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1))  # a clock as coarse as a second is not assumed
    assert os.stat(path).st_ino == before.st_ino and os.stat(path).st_size == before.st_size
    assert tab("msgsvc services get MG") == [STAGING_SID]


def test_the_profile_flag_and_variable_are_part_of_what_is_remembered(two, tab, monkeypatch):
    assert tab("msgsvc services get MG") == [SERVICE_SID]
    assert tab("msgsvc --profile prod2 services get MG") == [STAGING_SID]
    monkeypatch.setenv("MSGSVC_PROFILE", "prod2")
    assert tab("msgsvc services get MG") == [STAGING_SID]
    monkeypatch.delenv("MSGSVC_PROFILE")
    assert tab("msgsvc services get MG") == [SERVICE_SID]
    assert len(scopes_file(two).read_text().splitlines()) == 1 + 3


def test_credentials_from_the_environment_are_never_remembered(two, tab, monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    assert tab("msgsvc services get MG") == [ENV_SID]
    assert not scopes_file(two).exists()
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    assert tab("msgsvc services get MG") == [SERVICE_SID]
    assert AUTH_TOKEN not in scopes_file(two).read_text()


@pytest.mark.parametrize("junk", ["", "not ours\n", "msgsvc scopes cache 1\nshort\tline\n", "\x00\xff"])
def test_a_scopes_file_that_is_not_ours_is_ignored_and_replaced(two, tab, junk):
    scopes_file(two).parent.mkdir(parents=True, exist_ok=True)
    scopes_file(two).write_text(junk, encoding="latin-1")
    assert tab("msgsvc services get MG") == [SERVICE_SID]
    assert scopes_file(two).read_text().startswith("msgsvc scopes cache 1\n")


def test_an_unknown_profile_offers_nothing_and_is_not_remembered(two, tab):
    assert tab("msgsvc --profile nosuch services get MG") == []
    assert not scopes_file(two).exists()
