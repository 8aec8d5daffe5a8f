"""The setup file: positions of keys, complete validation with file and line, and the export
document (deterministic, portable, readable again)."""

from __future__ import annotations

import json
import textwrap
import tomllib

import pytest

from msgsvc.setup import export as setup_export
from msgsvc.setup.file import SetupFileError, load_text
from msgsvc.setup.lines import locate

SID = "MG" + "a" * 32
PN = "PN" + "1" * 32


def problems(text: str, name: str = "setup.toml") -> list[str]:
    with pytest.raises(SetupFileError) as caught:
        load_text(textwrap.dedent(text), name)
    assert caught.value.exit_code == 2
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


def test_locate_finds_keys_tables_and_array_elements():
    text = textwrap.dedent('''\
        version = 1
        # a comment with "quotes" and [brackets]
        [[services]]
        friendly_name = "A # not a comment"
        "quoted key" = 'x'
        multi = """
        line [ { ,
        """

        [services.senders]
        numbers = [
          "+15550000001",  # first
          # between
          "+15550000002",
        ]
        destination-alpha-senders = [{ alpha_sender = "X", iso_country_code = "GB" }, "Y"]

        [[services]]
        friendly_name = 'B'
        senders.short-codes = ["55501"]
        ''')
    tomllib.loads(text)  # the scanner's precondition
    lines = locate(text)
    assert lines[("version",)] == 1
    assert lines[("services", 0)] == 3
    assert lines[("services", 0, "friendly_name")] == 4
    assert lines[("services", 0, "quoted key")] == 5
    assert lines[("services", 0, "multi")] == 6
    assert lines[("services", 0, "senders")] == 10
    assert lines[("services", 0, "senders", "numbers", 0)] == 12
    assert lines[("services", 0, "senders", "numbers", 1)] == 14
    assert lines[("services", 0, "senders", "destination-alpha-senders", 1)] == 16
    assert lines[("services", 0, "senders", "destination-alpha-senders", 0, "iso_country_code")] == 16
    assert lines[("services", 1)] == 18
    assert lines[("services", 1, "friendly_name")] == 19
    assert lines[("services", 1, "senders", "short-codes", 0)] == 20


def test_a_valid_file_becomes_desired_services():
    desired = load_text(textwrap.dedent(f'''\
        version = 1
        [[services]]
        friendly_name = "Alerts"
        sid = "{SID}"
        inbound_method = "get"
        validity_period = 600
        sticky_sender = false
        fallback_url = ""
        [services.senders]
        numbers = ["+1 (555) 000-0001", "{PN}"]
        short-codes = ["55501"]
        alpha-senders = ["MyCo"]
        destination-alpha-senders = ["MyCo", {{ alpha_sender = "MyCoUK", iso_country_code = "gb" }}]
        channel-senders = ["whatsapp:+15550000001"]

        [[services]]
        friendly_name = "Other"
        '''), "setup.toml")
    alerts, other = desired.services
    assert (alerts.friendly_name, alerts.sid, alerts.line) == ("Alerts", SID, 2)
    assert alerts.fields == {"friendly_name": "Alerts", "inbound_method": "GET", "validity_period": 600,
                             "sticky_sender": False, "fallback_url": ""}
    assert [s.key for s in alerts.senders["numbers"]] == [("value", "+15550000001", ""), ("sid", PN)]
    assert [s.line for s in alerts.senders["numbers"]] == [10, 10]
    assert [(s.value, s.country) for s in alerts.senders["destination-alpha-senders"]] == [("MyCo", ""), ("MyCoUK", "GB")]
    assert alerts.senders["channel-senders"][0].value == "whatsapp:+15550000001"
    assert other.senders == {} and other.fields == {"friendly_name": "Other"}


def test_every_problem_is_reported_with_its_line():
    found = problems('''\
        version = 1
        colour = "blue"
        [[services]]
        friendly_name = "Alerts"
        validity_periode = 600
        ValidityPeriod = 5
        inbound_method = "PUT"
        sticky_sender = "yes"
        validity_period = 40000
        area_code_geomatch = 1
        usecase = ""
        date_created = "2015-07-30T20:12:31Z"
        sid = "MG123"

        [services.senders]
        numbers = [
          "+15550000001",
          "15550000002",
          "+15550000001",
        ]
        short-codes = [55501, "5"]
        alpha-sender = ["A"]
        alpha-senders = ["Not valid!", "12345"]
        destination-alpha-senders = [{ alpha_sender = "X", country = "GB" }]
        channel-senders = ["telegram", 5]

        [[services]]
        friendly_name = "Alerts"
        senders.numbers = ["+15550000001"]

        [[services]]
        inbound_method = "POST"
        ''')
    assert found == [
        "2: unknown key 'colour'",
        "5: unknown key 'validity_periode' in a service; did you mean 'validity_period'?",
        "6: unknown key 'ValidityPeriod' in a service; did you mean 'validity_period'?",
        "7: inbound_method: 'PUT' is not one of GET, POST",
        "8: sticky_sender: must be true or false, not a string",
        "9: validity_period: 40000 is not in the range 1 to 36000",
        "10: area_code_geomatch: must be true or false, not an integer",
        "11: usecase: cannot be cleared; only URL fields take \"\"",
        "12: 'date_created' is set by Twilio and cannot be managed; remove it",
        "13: sid: 'MG123' is not a Messaging Service SID (MG followed by 32 hexadecimal digits)",
        "18: numbers: '15550000002' is not an E.164 number: they begin with '+' (did you mean +15550000002?)",
        "19: numbers: +15550000001 is listed twice in this service",
        "21: short-codes: '5' is not a short code SID (SC followed by 32 hexadecimal digits, or the short code itself such as 55501)",
        "21: short-codes: write the short code as a string: \"55501\"",
        "22: unknown kind of sender 'alpha-sender'; did you mean 'alpha-senders'?",
        "23: alpha-senders: '12345' is not a valid alpha sender ID: it cannot be digits only",
        "23: alpha-senders: 'Not valid!' is not a valid alpha sender ID: 1 to 11 characters from A-Z a-z 0-9, space, - + _ &",
        "24: destination-alpha-senders: unknown key 'country'; did you mean 'iso_country_code'?",
        "25: channel-senders: 'telegram' is not a channel sender SID (XE followed by 32 hexadecimal digits, or its address such as whatsapp:+15017122661)",
        "25: channel-senders: must be a string, not an integer",
        "27: two services are named \"Alerts\" (also on line 3); give each its sid to tell them apart",
        "29: numbers: +15550000001 is also listed in \"Alerts\"; a sender belongs to one service",
        "31: a service needs friendly_name (it is how the service is matched and created)",
    ]


def test_one_problem_is_one_line_with_file_and_line():
    with pytest.raises(SetupFileError) as caught:
        load_text('[[services]]\nfriendly_name = "A"\nvalidity_period = 0\n', "prod.toml")
    assert caught.value.message == "prod.toml:3: validity_period: 0 is not in the range 1 to 36000"
    assert caught.value.hint == "nothing was sent; fix the file and run again"


def test_several_problems_are_listed_under_one_heading():
    with pytest.raises(SetupFileError) as caught:
        load_text('[[services]]\nfriendly_name = ""\nx = 1\n', "prod.toml")
    assert caught.value.message == "2 problems in prod.toml:"
    assert caught.value.details == (
        "  prod.toml:2: friendly_name: it must not be empty",
        "  prod.toml:3: unknown key 'x' in a service",
    )


def test_toml_syntax_errors_keep_tomllibs_line():
    assert problems('[[services]]\nfriendly_name = "A\n') == ["2: not valid TOML: Illegal character '\\n'"]


def test_json_files_are_checked_with_lines_too():
    text = json.dumps({"version": 1, "services": [{"friendly_name": "A", "sticky_sender": "no"}]}, indent=2)
    found = problems(text, "setup.json")
    assert found == ["6: sticky_sender: must be true or false, not a string"]
    assert problems('{"services": [}', "setup.json") == ["1: not valid JSON: Expecting value"]


def test_version_and_shape_of_the_document():
    assert problems("version = 2\n") == ["1: version must be 1 (this msgsvc reads version 1 files)"]
    assert problems('services = "all"\n') == ["1: services must be an array of tables ([[services]])"]
    assert problems('services = [1]\n') == ["1: each service must be a table, not an integer"]
    assert problems('[[services]]\nfriendly_name = "A"\nsenders = ["+1"]\n') == [
        "3: senders must be a table of lists ([services.senders]), not an array"]
    assert problems('[[services]]\nfriendly_name = "A"\n[services.senders]\nnumbers = "+15550000001"\n') == [
        "4: numbers must be an array, not a string"]


def test_the_same_sid_twice_is_refused():
    text = f'[[services]]\nfriendly_name = "A"\nsid = "{SID}"\n[[services]]\nfriendly_name = "B"\nsid = "{SID}"\n'
    assert problems(text) == [f"4: service {SID} is in the file twice (also on line 1)"]


def test_alpha_senders_may_repeat_across_services_but_numbers_may_not():
    desired = load_text('[[services]]\nfriendly_name = "A"\nsenders.alpha-senders = ["MyCo"]\n'
                        '[[services]]\nfriendly_name = "B"\nsenders.alpha-senders = ["MyCo"]\n', "x.toml")
    assert [s.senders["alpha-senders"][0].value for s in desired.services] == ["MyCo", "MyCo"]


# --- export -------------------------------------------------------------------------------


def api_service(sid: str, name: str, **extra) -> dict:
    record = {
        "sid": sid, "account_sid": "AC" + "0" * 32, "friendly_name": name, "date_created": "2015-07-30T20:12:31Z",
        "inbound_request_url": None, "inbound_method": "POST", "fallback_url": "https://example.com/f",
        "fallback_method": "POST", "status_callback": None, "sticky_sender": True, "mms_converter": True,
        "smart_encoding": False, "scan_message_content": "inherit", "fallback_to_long_code": False,
        "area_code_geomatch": True, "validity_period": 36000, "synchronous_validation": True,
        "usecase": None, "us_app_to_person_registered": False, "use_inbound_webhook_on_number": False,
    }
    record.update(extra)
    return record


SENDERS = {
    "numbers": [{"sid": PN, "phone_number": "+15550000002"}, {"sid": "PN" + "2" * 32, "phone_number": "+15550000001"}],
    "short-codes": [{"sid": "SC" + "1" * 32, "short_code": "55501"}],
    "alpha-senders": [{"sid": "AI" + "1" * 32, "alpha_sender": "MyCo"}],
    "channel-senders": [{"sid": "XE" + "1" * 32, "sender": "whatsapp:+15550000001"}],
    "destination-alpha-senders": [{"sid": "AI" + "3" * 32, "alpha_sender": "Zed", "iso_country_code": ""},
                                  {"sid": "AI" + "2" * 32, "alpha_sender": "MyCo", "iso_country_code": "GB"}],
}


def test_export_document_is_portable_and_ordered():
    doc, shared = setup_export.document([(api_service("MG" + "2" * 32, "Zeta"), {}), (api_service(SID, "Alerts"), SENDERS)])
    assert shared == []
    assert [s["friendly_name"] for s in doc["services"]] == ["Alerts", "Zeta"]
    alerts = doc["services"][0]
    assert "sid" not in alerts
    assert list(alerts) == ["friendly_name", "inbound_request_url", "inbound_method", "fallback_url", "fallback_method",
                            "status_callback", "sticky_sender", "mms_converter", "smart_encoding",
                            "scan_message_content", "fallback_to_long_code", "area_code_geomatch", "validity_period",
                            "synchronous_validation", "use_inbound_webhook_on_number", "senders"]
    assert alerts["inbound_request_url"] == "" and "usecase" not in alerts
    assert alerts["senders"] == {
        "numbers": ["+15550000001", "+15550000002"],
        "short-codes": ["55501"],
        "alpha-senders": ["MyCo"],
        "channel-senders": ["whatsapp:+15550000001"],
        "destination-alpha-senders": [{"alpha_sender": "MyCo", "iso_country_code": "GB"}, "Zed"],
    }


def test_export_pins_sids_on_request_and_for_shared_names():
    doc, shared = setup_export.document([(api_service(SID, "A"), None), (api_service("MG" + "2" * 32, "A"), None),
                                       (api_service("MG" + "3" * 32, "B"), None)])
    assert shared == ["A"]
    assert [s.get("sid") for s in doc["services"]] == ["MG" + "2" * 32, SID, None]  # by name, then SID
    doc, _ = setup_export.document([(api_service("MG" + "3" * 32, "B"), None)], with_sids=True)
    assert doc["services"][0]["sid"] == "MG" + "3" * 32


@pytest.mark.parametrize("as_json", [False, True])
def test_an_exported_document_reads_back_as_the_same_setup(as_json):
    doc, _ = setup_export.document([(api_service(SID, "Alerts"), SENDERS)])
    text = setup_export.render(doc, as_json=as_json)
    assert text == setup_export.render(setup_export.document([(api_service(SID, "Alerts"), SENDERS)])[0], as_json=as_json)
    if not as_json:
        assert text.startswith("# A Messaging Services setup, written by `msgsvc export`.\n")
    desired = load_text(text, "x.json" if as_json else "x.toml")
    (service,) = desired.services
    assert service.fields["validity_period"] == 36000 and service.fields["inbound_request_url"] == ""
    assert [s.value for s in service.senders["numbers"]] == ["+15550000001", "+15550000002"]
    assert [(s.value, s.country) for s in service.senders["destination-alpha-senders"]] == [("MyCo", "GB"), ("Zed", "")]


def test_a_service_has_one_alpha_sender_and_one_destination_alpha_sender_per_country():
    assert problems('''\
        [[services]]
        friendly_name = "A"
        [services.senders]
        alpha-senders = ["One", "Two"]
        destination-alpha-senders = ["Any", { alpha_sender = "Uk", iso_country_code = "GB" },
                                     { alpha_sender = "Uk2", iso_country_code = "GB" }, "Also"]
        ''') == [
        "4: alpha-senders: a service has one alpha sender: One and Two",
        "6: destination-alpha-senders: a service has one alpha sender for GB: Uk and Uk2",
        "6: destination-alpha-senders: a service has one alpha sender: Any and Also",
    ]
