"""The client layer without the CLI: hosts (regions, edges, the base URL override), the
User-Agent, Basic auth with an API key, the form encoding. No network: hosts are only built."""

from __future__ import annotations

import pytest
from conftest import ACCOUNT_SID, SERVICE_SID, base_url_of, service
from corehelp import USER_AGENT, sent

from msgsvc import __version__
from msgsvc.api.client import CORE, MESSAGING, Client, ClientSettings, host_url, user_agent
from msgsvc.local.resolution import resolve
from msgsvc.errors import NetworkError, UsageError
from msgsvc.local.resolution import client_settings

API_KEY = "SK" + "5" * 32


@pytest.mark.parametrize(
    "product, region, edge, url",
    [
        (MESSAGING, None, None, "https://messaging.twilio.com"),
        (CORE, None, None, "https://api.twilio.com"),
        (MESSAGING, "ie1", None, "https://messaging.ie1.twilio.com"),
        (MESSAGING, "au1", "sydney", "https://messaging.sydney.au1.twilio.com"),
        (MESSAGING, None, "dublin", "https://messaging.dublin.us1.twilio.com"),  # an edge without a region: us1
        (CORE, "ie1", "dublin", "https://api.dublin.ie1.twilio.com"),
    ],
)
def test_host_url(product, region, edge, url):
    assert host_url(product, region, edge) == url


def settings(**kw) -> ClientSettings:
    return ClientSettings(username=ACCOUNT_SID, password="t", **kw)


def test_client_base_follows_region_and_edge():
    client = Client(settings(region="ie1", edge="dublin"))
    assert client.base() == "https://messaging.dublin.ie1.twilio.com"
    assert client.base(CORE) == "https://api.dublin.ie1.twilio.com"


def test_the_base_url_override_is_one_for_every_host():
    client = Client(settings(base_url="http://127.0.0.1:8080/", region="ie1", edge="dublin"))
    assert client.base() == client.base(CORE) == "http://127.0.0.1:8080"


def test_region_and_edge_from_the_environment_reach_the_client(monkeypatch):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t")
    monkeypatch.setenv("TWILIO_EDGE", "frankfurt")
    monkeypatch.setenv("TWILIO_REGION", "de1")
    assert Client(client_settings(resolve(data={}))).base() == "https://messaging.frankfurt.de1.twilio.com"
    monkeypatch.delenv("TWILIO_REGION")
    assert Client(client_settings(resolve(data={}))).base() == "https://messaging.frankfurt.us1.twilio.com"


def test_region_and_edge_from_a_profile_reach_the_client():
    data = {"active": "eu", "profiles": {"eu": {"account_sid": ACCOUNT_SID, "auth_token": "t", "region": "ie1", "edge": "dublin"}}}
    assert Client(client_settings(resolve(data=data, env={}))).base() == "https://messaging.dublin.ie1.twilio.com"


def test_user_agent_names_msgsvc_and_its_version():
    assert user_agent().startswith(f"msgsvc/{__version__} ")
    assert USER_AGENT.fullmatch(user_agent())


def test_api_key_settings_keep_the_account_sid():
    data = {"active": "ci", "profiles": {"ci": {"account_sid": ACCOUNT_SID, "api_key": API_KEY, "api_secret": "s"}}}
    settings = client_settings(resolve(data=data, env={}))
    assert (settings.username, settings.password) == (API_KEY, "s")
    assert Client(settings).account_sid == ACCOUNT_SID


def test_an_api_key_alone_cannot_build_core_api_paths():
    client = Client(ClientSettings(username=API_KEY, password="s"))
    with pytest.raises(UsageError):
        client.account_sid


def test_the_client_alone_sends_basic_auth_ua_and_a_timeout(httpserver, monkeypatch):
    from urllib3 import PoolManager

    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    client = Client(ClientSettings(username=API_KEY, password="secret", base_url=base_url_of(httpserver), max_retries=0, read_timeout=7))
    seen = {}
    original = PoolManager.urlopen

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PoolManager, "urlopen", spy)  # what every request goes through (api/connections.py)
    assert client.get_service(SERVICE_SID) == service()
    (request,) = sent(httpserver)
    assert request.authorization.type == "basic"
    assert (request.authorization.username, request.authorization.password) == (API_KEY, "secret")
    assert USER_AGENT.fullmatch(request.headers["User-Agent"])
    assert (seen["timeout"].connect_timeout, seen["timeout"].read_timeout) == (10.0, 7)
    assert (seen["redirect"], seen["preload_content"], seen["decode_content"]) == (False, False, False)


def test_the_client_keeps_requests_environment(monkeypatch):
    """HTTPS_PROXY and REQUESTS_CA_BUNDLE keep working, read as requests reads them."""
    from msgsvc.api.connections import ca_location

    client = Client(settings())
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/hostname")
    assert client.connections.proxy_for("https://messaging.twilio.com/v1/Services") == "http://proxy.invalid:3128"
    assert ca_location(None) == "/etc/hostname"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/hosts")
    assert ca_location(None) == "/etc/hosts"
    monkeypatch.delenv("CURL_CA_BUNDLE")
    import certifi

    assert ca_location(None) == certifi.where()


def test_the_ca_bundle_setting_wins_over_requests_ca_bundle(monkeypatch, tmp_path):
    from urllib3 import PoolManager

    bundle = tmp_path / "corp.pem"
    bundle.write_text("not really a certificate")
    folder = tmp_path / "certs"
    folder.mkdir()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    made = []
    original = PoolManager.__init__

    def spy(self, *args, **kwargs):
        made.append(kwargs)
        original(self, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise OSError("stop here")

    monkeypatch.setattr(PoolManager, "__init__", spy)
    monkeypatch.setattr(PoolManager, "urlopen", refuse)
    for ca_bundle, option in ((str(bundle), {"ca_certs": str(bundle)}), (str(folder), {"ca_cert_dir": str(folder)}),
                              (None, {"ca_certs": "/etc/ssl/certs/ca-certificates.crt"})):
        made.clear()
        client = Client(ClientSettings(username=ACCOUNT_SID, password="t", ca_bundle=ca_bundle, max_retries=0))
        with pytest.raises(NetworkError):
            client.get_service(SERVICE_SID)
        (kwargs,) = made
        assert {k: v for k, v in kwargs.items() if k.startswith(("ca_", "cert_"))} == {"cert_reqs": "CERT_REQUIRED", **option}


def test_a_host_that_does_not_resolve_is_named(msgsvc, monkeypatch):
    import socket

    def no_dns(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t")
    result = msgsvc("--base-url", "https://no-such-host.invalid", "--max-retries", "0", "services", "get", SERVICE_SID)
    assert (result.code, result.out) == (1, "")
    assert result.err == "msgsvc: cannot resolve the host name no-such-host.invalid (the URL is from --base-url)\n"


def _requests_encoding(form):
    """How requests itself encodes a form or query (what msgsvc sent through Session.request)."""
    from requests.models import RequestEncodingMixin

    return RequestEncodingMixin._encode_params(form) if form else ""


@pytest.mark.parametrize("form", [
    None, {}, [], {"FriendlyName": "Alerts"}, [("A", "1"), ("A", "2"), ("B", "x y+z&=")],
    {"Name": "Café ☕ \u202e"}, {"Skip": None, "Keep": "1"}, {"Many": ["a", "b", None]},
    {"Int": 5, "Bool": True}, [("Empty", "")], {"only": None}, [("k", b"bytes\xff")],
])
def test_forms_are_encoded_as_requests_encodes_them(form):
    from msgsvc.api.transport import encode_form

    assert encode_form(form) == _requests_encoding(form)


def test_any_form_is_encoded_as_requests_encodes_it():
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import given, strategies as st

    from msgsvc.api.transport import encode_form

    value = st.one_of(st.none(), st.text(), st.integers(), st.booleans(), st.lists(st.one_of(st.none(), st.text()), max_size=3))

    @hypothesis.settings(max_examples=300, derandomize=True)
    @given(st.one_of(st.dictionaries(st.text(), value, max_size=4), st.lists(st.tuples(st.text(), value), max_size=4)))
    def check(form):
        assert encode_form(form) == _requests_encoding(form)

    check()


def test_every_request_carries_what_session_request_would_send(httpserver):
    """The request is prepared as requests' Session prepares it: the same headers, in order,
    the same body, the form's content type only with a form; a POST without one says length 0."""
    import requests

    httpserver.expect_request("/v1/Services", method="POST").respond_with_json(service())
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}", method="DELETE").respond_with_data("", status=204)
    httpserver.expect_request("/v1/Services", method="GET").respond_with_json({"services": [], "meta": {"key": "services"}})
    client = Client(ClientSettings(username=ACCOUNT_SID, password="token", base_url=base_url_of(httpserver), max_retries=0))
    client.request("POST", "/v1/Services", data=[("FriendlyName", "A b"), ("FriendlyName", "c")])
    client.request("DELETE", f"/v1/Services/{SERVICE_SID}")
    client.request("GET", "/v1/Services", params={"PageSize": 2, "Page": None})
    session = requests.Session()
    session.auth = (ACCOUNT_SID, "token")
    session.headers.update({"User-Agent": user_agent(), "Accept": "application/json", "Accept-Charset": "utf-8"})
    expected = [
        session.prepare_request(requests.Request("POST", base_url_of(httpserver) + "/v1/Services",
                                                 data=[("FriendlyName", "A b"), ("FriendlyName", "c")])),
        session.prepare_request(requests.Request("DELETE", base_url_of(httpserver) + f"/v1/Services/{SERVICE_SID}")),
        session.prepare_request(requests.Request("GET", base_url_of(httpserver) + "/v1/Services",
                                                 params={"PageSize": 2, "Page": None})),
    ]
    got = sent(httpserver)
    for request, want in zip(got, expected, strict=True):
        assert request.method == want.method
        query = request.query_string.decode()
        assert request.path + (f"?{query}" if query else "") == want.path_url
        assert request.get_data() == (want.body.encode() if isinstance(want.body, str) else (want.body or b""))
        wire = [(k, v) for k, v in request.headers.items() if k not in ("Host",)]
        assert wire == list(want.headers.items())


def test_a_cookie_the_server_sets_is_not_sent_back(httpserver):
    """No cookie jar: Twilio's API needs none, and nothing a server sets follows the next request."""
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(
        service(), headers={"Set-Cookie": "track=me; Path=/"})
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service())
    client = Client(ClientSettings(username=ACCOUNT_SID, password="token", base_url=base_url_of(httpserver), max_retries=0))
    client.get_service(SERVICE_SID)
    client.get_service(SERVICE_SID)
    assert [r.headers.get("Cookie") for r in sent(httpserver)] == [None, None]


def test_a_fetch_answered_with_another_object_is_refused(httpserver):
    """What a command sends next (a DELETE, an update) goes to the SID of what it fetched."""
    from msgsvc.errors import ResponseError

    other = "MG" + "f" * 32
    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}").respond_with_json(service(other))
    client = Client(ClientSettings(username=ACCOUNT_SID, password="token", base_url=base_url_of(httpserver), max_retries=0))
    with pytest.raises(ResponseError) as refused:
        client.get_service(SERVICE_SID)
    assert refused.value.message == (f"GET {base_url_of(httpserver)}/v1/Services/{SERVICE_SID} answered with another "
                                     f"Messaging Service ('{other}'); nothing was changed")
