"""The suite cannot reach beyond loopback: pytest-socket's --allow-hosts (pyproject addopts)
really is in force, for plain sockets and for msgsvc's own client."""

from __future__ import annotations

import socket

import pytest
from conftest import SERVICE_SID
from pytest_socket import SocketConnectBlockedError

pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket.socket.connect")


@pytest.mark.parametrize("address", [("192.0.2.1", 443), ("8.8.8.8", 53), ("2001:db8::1", 443)])
def test_a_non_loopback_connection_is_blocked(address):
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(SocketConnectBlockedError):
        sock.connect(address)


def test_loopback_is_allowed(httpserver):
    httpserver.expect_oneshot_request("/").respond_with_data("ok")
    with socket.create_connection(("127.0.0.1", httpserver.port), timeout=5):
        pass


def test_msgsvc_itself_cannot_reach_twilio(msgsvc, monkeypatch):
    """Even real credentials and no base URL would not leave the machine: the first
    connection attempt to a non-loopback address fails inside the test run."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "a" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t")
    monkeypatch.setenv("MSGSVC_BASE_URL", "https://192.0.2.1")
    result = msgsvc("--max-retries", "0", "services", "get", SERVICE_SID)
    assert result.code == 1
    assert result.err.startswith("msgsvc: unexpected error: SocketConnectBlockedError: "), result.err


def test_installed_msgsvc_in_a_subprocess_cannot_leave_loopback(isolated):
    """The guard every test subprocess loads: a non-loopback address is refused before any
    packet leaves (192.0.2.1 is TEST-NET-1, and would not answer anyway)."""
    from conftest import ACCOUNT_SID, AUTH_TOKEN, run_installed

    result = run_installed(
        "--base-url", "https://192.0.2.1:9", "--max-retries", "0", "services", "list",
        env={"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN},
    )
    assert (result.returncode, result.stdout) == (1, "")
    # An IP literal always resolves; only the guard makes it fail at the look-up.
    assert result.stderr == "msgsvc: cannot resolve the host name 192.0.2.1 (the URL is from --base-url)\n"
