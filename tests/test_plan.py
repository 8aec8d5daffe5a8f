"""msgsvc.jobs.changes: a Change is data (serialisable, its request derived from it), and the
sender planner returns the changes and the values settled without one."""

from __future__ import annotations

import json

import pytest

from conftest import ACCOUNT_SID, AUTH_TOKEN, BASIC_AUTH, SERVICE_SID, base_url_of, page
from factories import number
from msgsvc.jobs.changes import Change, Outcome, dry_run, would
from msgsvc.jobs.senders_plan import SenderPlan, plan_senders

PN = "PN" + "1" * 32
PN2 = "PN" + "2" * 32
PN3 = "PN" + "3" * 32
AI = "AI" + "4" * 32
AI2 = "AI" + "5" * 32
INCOMING = f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json"


def client_for(httpserver):
    from msgsvc.api.client import Client, ClientSettings

    return Client(ClientSettings(username=ACCOUNT_SID, password=AUTH_TOKEN, base_url=base_url_of(httpserver),
                                 max_retries=0))


# --- Change --------------------------------------------------------------------------------

CHANGES = [
    Change("create", "service", inputs=("Alerts",), form=(("FriendlyName", "Alerts"), ("Usecase", "marketing"))),
    Change("update", "service", service=SERVICE_SID, target=SERVICE_SID, inputs=("Alerts",),
           form=(("ValidityPeriod", "600"),), before={"validity_period": 14400}, after={"validity_period": 600}),
    Change("delete", "service", service=SERVICE_SID, target=SERVICE_SID, inputs=("Alerts",)),
    Change("attach", "phone-number", service=SERVICE_SID, target=PN, inputs=(PN, "+15017122661"),
           form=(("PhoneNumberSid", PN),)),
    Change("attach", "destination-alpha-sender", service=SERVICE_SID, inputs=("MyCo",),
           form=(("AlphaSender", "MyCo"), ("IsoCountryCode", "GB"))),
    Change("detach", "short-code", service=SERVICE_SID, target="SC" + "3" * 32, inputs=("SC" + "3" * 32,)),
    Change("update", "service", service=SERVICE_SID, target=SERVICE_SID, form=(("FriendlyName", "A"), ("Usecase", "poll"))),
]


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_survives_json_and_back(change):
    data = change.to_dict()
    assert Change.from_dict(json.loads(json.dumps(data))) == change
    assert set(data) == {"action", "resource", "service", "target", "inputs", "form", "before", "after"}


def test_a_form_may_be_given_as_a_dict_or_pairs():
    given = Change("attach", "phone-number", SERVICE_SID, PN, [PN], {"PhoneNumberSid": PN})
    assert given == Change("attach", "phone-number", SERVICE_SID, PN, (PN,), [("PhoneNumberSid", PN)])
    assert given.form == (("PhoneNumberSid", PN),) and given.inputs == (PN,)


def test_to_dict_is_plain_json_types():
    assert CHANGES[3].to_dict() == {
        "action": "attach", "resource": "phone-number", "service": SERVICE_SID, "target": PN,
        "inputs": [PN, "+15017122661"], "form": [["PhoneNumberSid", PN]], "before": None, "after": None,
    }


@pytest.mark.parametrize("change, method, path", [
    (CHANGES[0], "POST", "/v1/Services"),
    (CHANGES[1], "POST", f"/v1/Services/{SERVICE_SID}"),
    (CHANGES[2], "DELETE", f"/v1/Services/{SERVICE_SID}"),
    (CHANGES[3], "POST", f"/v1/Services/{SERVICE_SID}/PhoneNumbers"),
    (CHANGES[4], "POST", f"/v1/Services/{SERVICE_SID}/DestinationAlphaSenders"),
    (CHANGES[5], "DELETE", f"/v1/Services/{SERVICE_SID}/ShortCodes/{'SC' + '3' * 32}"),
])
def test_method_and_path_follow_from_the_change(change, method, path):
    assert (change.method, change.path) == (method, path)


@pytest.mark.parametrize("kwargs, message", [
    ({"action": "rename", "resource": "service"}, "unknown action 'rename': one of create, update, attach, detach, delete"),
    ({"action": "attach", "resource": "pagers", "service": SERVICE_SID}, "unknown resource 'pagers'"),
    ({"action": "update", "resource": "service"}, "an update needs a target SID"),
    ({"action": "detach", "resource": "phone-number", "service": SERVICE_SID}, "a detach needs a target SID"),
    ({"action": "attach", "resource": "phone-number"}, "a change of phone-number needs the service SID"),
])
def test_a_change_that_names_no_request_is_refused(kwargs, message):
    with pytest.raises(ValueError) as caught:
        Change(**kwargs)
    assert str(caught.value) == message


def test_dry_run_shows_each_request_with_repeated_keys_as_lists(thing):
    samples = Change("create", thing.name, form=(("MessageSamples", "a"), ("MessageSamples", "b")))
    assert Change.from_dict(samples.to_dict()) == samples
    assert dry_run([samples, CHANGES[5]], "http://127.0.0.1:9/") == [
        {"method": "POST", "url": "http://127.0.0.1:9/v1/Things", "form": {"MessageSamples": ["a", "b"]}},
        {"method": "DELETE", "url": f"http://127.0.0.1:9/v1/Services/{SERVICE_SID}/ShortCodes/{'SC' + '3' * 32}",
         "form": {}},
    ]


def test_would_reports_the_first_input_and_the_target():
    assert would(CHANGES[3]) == Outcome(PN, PN, "would attach")
    assert would(CHANGES[5]) == Outcome("SC" + "3" * 32, "SC" + "3" * 32, "would detach")


# --- the sender planner ----------------------------------------------------------------------


def refs(kind, *values, attach):
    return [kind.parse(value, attach=attach) for value in values]


def test_attach_plan_settles_what_needs_no_change_and_merges_duplicates(httpserver):
    from msgsvc.api.senders import NUMBERS

    httpserver.expect_oneshot_request(f"/v1/Services/{SERVICE_SID}/PhoneNumbers", method="GET",
                                      query_string="PageSize=1000", headers={"Authorization": BASIC_AUTH},
                                      ).respond_with_json(page("phone_numbers", [number(PN, "+15017122661")]))
    httpserver.expect_oneshot_request(INCOMING, method="GET", query_string="PhoneNumber=%2B15017122662&PageSize=1000",
                                      ).respond_with_json({"incoming_phone_numbers": [number(PN2, "+15017122662")],
                                                           "next_page_uri": None})
    httpserver.expect_oneshot_request(INCOMING, method="GET", query_string="PhoneNumber=%2B15550001111&PageSize=1000",
                                      ).respond_with_json({"incoming_phone_numbers": [], "next_page_uri": None})
    given = refs(NUMBERS, PN, "+15017122661", PN2, "+1 501 712 2662", PN3, "+15550001111", attach=True)

    planned = plan_senders(client_for(httpserver), NUMBERS, SERVICE_SID, given, attach=True, concurrency=1)

    assert planned.inputs == (PN, "+15017122661", PN2, "+1 501 712 2662", PN3, "+15550001111")
    assert planned.settled == {
        PN: Outcome(PN, PN, "already attached"),
        "+15017122661": Outcome("+15017122661", PN, "already attached"),
        "+15550001111": Outcome("+15550001111", None, "failed", None, "not on this account"),
    }
    assert planned.changes == [
        Change("attach", "phone-number", SERVICE_SID, PN2, (PN2, "+1 501 712 2662"), (("PhoneNumberSid", PN2),)),
        Change("attach", "phone-number", SERVICE_SID, PN3, (PN3,), (("PhoneNumberSid", PN3),)),
    ]
    assert [(r.method, r.path) for r, _ in httpserver.log] == [
        ("GET", f"/v1/Services/{SERVICE_SID}/PhoneNumbers"), ("GET", INCOMING), ("GET", INCOMING)]

    # One outcome per change back to one per input: a duplicate says which input it repeats.
    results = planned.results([Outcome(PN2, PN2, "attached"), Outcome(PN3, PN3, "failed", 21712, "elsewhere")])
    assert results == [
        Outcome(PN, PN, "already attached"),
        Outcome("+15017122661", PN, "already attached"),
        Outcome(PN2, PN2, "attached"),
        Outcome("+1 501 712 2662", PN2, "attached", None, f"same phone number as {PN2}"),
        Outcome(PN3, PN3, "failed", 21712, "elsewhere"),
        Outcome("+15550001111", None, "failed", None, "not on this account"),
    ]
    with pytest.raises(ValueError):
        planned.results([])


def test_detach_plan_by_text_finds_the_sid_and_settles_what_is_not_attached(httpserver):
    from msgsvc.api.senders import DESTINATION_ALPHA_SENDERS as KIND

    current = [{"sid": AI, "alpha_sender": "MyCo", "iso_country_code": "GB"},
               {"sid": AI2, "alpha_sender": "MyCo", "iso_country_code": "FR"}]
    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/DestinationAlphaSenders", method="GET").respond_with_json(
        page("alpha_senders", current))
    client = client_for(httpserver)

    planned = plan_senders(client, KIND, SERVICE_SID, refs(KIND, "MyCo", "Other", attach=False), attach=False)
    assert planned.changes == []
    assert planned.settled == {
        "MyCo": Outcome("MyCo", None, "failed", None,
                        f"'MyCo' names 2 destination alpha senders: {AI} (GB), {AI2} (FR); give --country or the SID"),
        "Other": Outcome("Other", None, "not attached"),
    }

    planned = plan_senders(client, KIND, SERVICE_SID, refs(KIND, "MyCo", AI2, attach=False), attach=False, country="FR")
    assert planned.changes == [Change("detach", KIND.name, SERVICE_SID, AI2, ("MyCo", AI2))]
    assert planned.settled == {}
    assert planned.changes[0].path == f"/v1/Services/{SERVICE_SID}/DestinationAlphaSenders/{AI2}"


def test_an_alpha_sender_attached_by_its_text_has_no_target(httpserver):
    from msgsvc.api.senders import DESTINATION_ALPHA_SENDERS as KIND

    httpserver.expect_request(f"/v1/Services/{SERVICE_SID}/DestinationAlphaSenders", method="GET").respond_with_json(
        page("alpha_senders", []))
    planned = plan_senders(client_for(httpserver), KIND, SERVICE_SID, refs(KIND, "MyCo", attach=True),
                           attach=True, country="GB")
    assert planned.changes == [
        Change("attach", KIND.name, SERVICE_SID, None, ("MyCo",), (("AlphaSender", "MyCo"), ("IsoCountryCode", "GB"))),
    ]
    assert isinstance(planned, SenderPlan) and planned.inputs == ("MyCo",)
    assert planned.changes[0].path == f"/v1/Services/{SERVICE_SID}/DestinationAlphaSenders"


@pytest.mark.parametrize("kwargs, message", [
    ({"action": "attach", "resource": "service"}, "only a sender is attached or detached, not a Messaging Service"),
    ({"action": "delete", "resource": "phone-number", "service": SERVICE_SID, "target": PN},
     "a phone number is attached or detached, not deleted"),
    ({"action": "create", "resource": "service", "form": (("Nope", "x"),)}, "a Messaging Service has no field Nope"),
])
def test_a_change_its_resource_cannot_take_is_refused(kwargs, message):
    with pytest.raises(ValueError) as caught:
        Change(**kwargs)
    assert str(caught.value) == message
