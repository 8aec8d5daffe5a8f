"""The installed msgsvc on a real pseudo-terminal: the Rich table keeps SIDs whole at 80
columns, delete asks, and the secret prompt does not echo."""

from __future__ import annotations

import os
import tomllib

import pytest
from conftest import ACCOUNT_SID, OTHER_SID, SERVICE_SID, page, service
from corehelp import Pty, sent

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")


def terminal_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}  # the pty's own size
    env.update(TERM="xterm-256color", NO_COLOR="1", **extra)
    return env


def test_the_list_table_keeps_every_sid_whole_in_80_columns(profile, httpserver):
    long_name = "A rather long friendly name that will need to be cut in a narrow terminal"
    services = [service(name=long_name, usecase="notifications"), service(OTHER_SID, "Second")]
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=50").respond_with_json(page("services", services))
    code, text = Pty("services", "list", env=terminal_env(), columns=80).finish()
    assert code == 0, text
    assert text.splitlines() == [
        "SID                                 FRIENDLY NAME           USECASE        A2P",
        f"{SERVICE_SID}  A rather long friendl…  notifications  false",
        f"{OTHER_SID}  Second                  marketing      false",
    ]  # CREATED hidden, and nothing said: no note cries wolf


def test_the_list_table_at_120_columns_shows_short_timestamps(profile, httpserver):
    httpserver.expect_oneshot_request("/v1/Services", query_string="PageSize=50").respond_with_json(page("services", [service()]))
    code, text = Pty("services", "list", env=terminal_env(), columns=120).finish()
    assert code == 0, text
    assert text.splitlines()[1] == f"{SERVICE_SID}  Alerts         marketing  false  2015-07-30 20:12"


def test_get_on_a_terminal_shows_field_and_value(profile, httpserver):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    code, text = Pty("services", "get", SERVICE_SID, env=terminal_env(), columns=100).finish()
    assert code == 0
    assert text.splitlines()[0].split() == ["FIELD", "VALUE"]
    assert f"sid                            {SERVICE_SID}" in text
    assert "…" not in text


@pytest.mark.parametrize("answer, code, methods", [("y", 0, ["GET", "DELETE"]), ("n", 2, ["GET"])])
def test_delete_asks_in_a_terminal(profile, httpserver, answer, code, methods):
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="GET").respond_with_json(service())
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}", method="DELETE").respond_with_data("", status=204)
    term = Pty("services", "delete", SERVICE_SID, env=terminal_env())
    term.read_until(f"Delete {SERVICE_SID} (Alerts)? [y/N]: ")
    term.send(answer + "\n")
    status, text = term.finish()
    assert status == code
    assert [r.method for r in sent(httpserver)] == methods
    assert text.endswith(f"Deleted {SERVICE_SID} (Alerts)\n" if code == 0 else "Nothing deleted.\n")


def test_the_secret_prompt_is_hidden(isolated):
    secret = "typed-secret-never-echoed-42"
    term = Pty("profiles", "add", "prod", "--no-verify", "--account-sid", ACCOUNT_SID, env=terminal_env())
    term.read_until("Auth token: ")  # the space comes from getpass, once echo is off
    term.send(secret + "\n")
    code, text = term.finish()
    assert code == 0, text
    assert secret not in text
    assert "Saved profile 'prod' (active)" in text
    config = tomllib.loads((isolated / "config" / "config.toml").read_text())
    assert config["profiles"]["prod"]["auth_token"] == secret
