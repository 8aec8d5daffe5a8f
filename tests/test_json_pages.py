"""--json prints a list's pages as the API sent them (see client.PageText): the same values
as json.loads would give, whatever the page's spacing, escapes or characters."""

from __future__ import annotations

import json

import pytest
from conftest import SERVICE_SID, page, service
from hypothesis import given, settings
from hypothesis import strategies as st

from msgsvc.api.pages import _scan_page


def serve_text(httpserver, body: str, query: str = "PageSize=50") -> None:
    httpserver.expect_oneshot_request("/v1/Services", query_string=query).respond_with_data(
        body.encode("utf-8"), content_type="application/json")


def test_the_page_text_is_printed_byte_for_byte(msgsvc, profile, httpserver):
    items = '{"sid":"%s","friendly_name":"caf\\u00e9 \\"quoted\\"","date_created":"2015-07-30T20:12:31Z","n":1.50}' % SERVICE_SID
    serve_text(httpserver, '{"services":[%s],"meta":{"next_page_url":null,"key":"services"}}' % items)
    result = msgsvc("services", "list", "--json")
    assert (result.code, result.err) == (0, "")
    assert result.out == f"[{items}]\n"


def test_spacing_and_newlines_of_the_server_are_harmless(msgsvc, profile, httpserver):
    body = json.dumps(page("services", [service(), service(name="Zwei")]), indent=4)
    serve_text(httpserver, "\n  " + body + "\n\n")
    result = msgsvc("services", "list", "--json")
    assert json.loads(result.out) == [service(), service(name="Zwei")]


def test_non_ascii_text_is_printed_as_utf8(msgsvc, profile, httpserver):
    names = ["Café ☕", "日本語のサービス", "emoji 🚀"]
    body = json.dumps(page("services", [service(name=n) for n in names]), ensure_ascii=False)
    serve_text(httpserver, body)
    result = msgsvc("services", "list", "--json")
    assert [s["friendly_name"] for s in json.loads(result.out)] == names
    assert "日本語のサービス" in result.out


def test_pages_and_a_cut_page_join_into_one_array(msgsvc, profile, httpserver):
    second = httpserver.url_for("/v1/Services") + "?PageSize=2&Page=1&PageToken=PT1"
    first_items = [service(f"MG{1:032x}"), service(f"MG{2:032x}")]
    second_items = [service(f"MG{3:032x}", name="Ünïcode"), service(f"MG{4:032x}")]
    serve_text(httpserver, json.dumps(page("services", first_items, next_url=second)), "PageSize=2")
    serve_text(httpserver, json.dumps(page("services", second_items), ensure_ascii=False), "PageSize=2&Page=1&PageToken=PT1")
    result = msgsvc("services", "list", "--limit", "3", "--page-size", "2", "--json")
    assert json.loads(result.out) == first_items + second_items[:1]
    assert result.out.count("\n") == 1


def test_a_byte_order_mark_is_accepted_as_json_loads_does(msgsvc, profile, httpserver):
    serve_text(httpserver, "\ufeff" + json.dumps(page("services", [service()])))
    result = msgsvc("services", "list", "--json")
    assert json.loads(result.out) == [service()]


def test_records_that_are_not_objects_are_refused(msgsvc, profile, httpserver):
    serve_text(httpserver, '{"services":[1, "two", null, {"sid":"x"}],"meta":{"next_page_url":null}}')
    result = msgsvc("services", "list", "--json")
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith("msgsvc: the list at ") and result.err.endswith(
        " has an item in 'services' that is not an object\n"
    )


@pytest.mark.parametrize(
    "body, message",
    [
        ('{"services": [1, 2,]}', "with something that is not JSON"),
        ('{"services": []} trailing', "with something that is not JSON"),
        ('["not", "an", "object"]', "is not a JSON object"),
        ('{"services": []}', "has no paging information ('meta' is missing)"),
    ],
)
def test_pages_that_cannot_be_scanned_give_the_usual_errors(msgsvc, profile, httpserver, body, message):
    serve_text(httpserver, body)
    result = msgsvc("services", "list", "--json")
    assert (result.code, result.out) == (1, "")
    assert message in result.err


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5), st.sampled_from([None, 1, 2]), st.booleans(), st.sampled_from(["", " ", "\n\t "]))
def test_scan_page_decodes_as_json_loads(document, indent, ascii_only, padding):
    text = padding + json.dumps(document, indent=indent, ensure_ascii=ascii_only) + padding
    payload, arrays = _scan_page(text)
    assert payload == json.loads(text)
    for name, (start, end) in arrays.items():
        assert json.loads(text[start:end]) == payload[name]
    assert set(arrays) == {name for name, value in document.items() if isinstance(value, list)}
