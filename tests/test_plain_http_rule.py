"""Plain http:// carries the credentials only to this machine: the literal name localhost, a
loopback address, or a name whose every address is loopback after resolution; never a name
for its shape (`*.localhost`) (msgsvc/api/transport.py's _loopback)."""

from __future__ import annotations

import socket

import pytest
from conftest import ACCOUNT_SID, AUTH_TOKEN, page

REFUSED = ("msgsvc: refusing to send credentials over plain http:// to {netloc}: anyone on the way could read them\n"
           "hint: use an https:// base URL (plain http:// is only for a server on this machine, such as the emulator)\n")


@pytest.fixture
def names(monkeypatch):
    """A resolver with these names (and only loopback otherwise), as /etc/hosts would give."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in table:
            family = socket.AF_INET6 if ":" in table[name][0] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port or 0)) for address in table[name]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    return table


def test_a_localhost_subdomain_resolving_elsewhere_is_refused(msgsvc, names, httpserver):
    names["billing.localhost"] = ["10.1.2.3"]
    result = msgsvc("--base-url", "http://billing.localhost:8080", "services", "list")
    assert (result.code, result.out, result.err) == (2, "", REFUSED.format(netloc="billing.localhost:8080"))
    assert httpserver.log == []


def test_a_name_with_one_address_elsewhere_is_refused(msgsvc, names):
    names["dev.example"] = ["127.0.0.1", "192.0.2.7"]
    result = msgsvc("--base-url", "http://dev.example:8080", "services", "list")
    assert (result.code, result.err) == (2, REFUSED.format(netloc="dev.example:8080"))


def test_a_name_that_does_not_resolve_is_refused(msgsvc, names):
    result = msgsvc("--base-url", "http://nowhere.localhost:8080", "services", "list")
    assert (result.code, result.err) == (2, REFUSED.format(netloc="nowhere.localhost:8080"))


def test_a_name_resolving_to_loopback_only_is_allowed(msgsvc, names, httpserver):
    names["emu.localhost"] = ["127.0.0.1"]
    httpserver.expect_oneshot_request("/v1/Services").respond_with_json(page("services", []))
    result = msgsvc("--base-url", f"http://emu.localhost:{httpserver.port}", "--max-retries", "0", "services", "list", "--json")
    assert (result.code, result.out, result.err) == (0, "[]\n", "")
