"""The resource declarations (msgsvc/api/resources.py, msgsvc/api/senders.py) against Twilio's own
definition, and the things that follow from them: form bodies, options, SID checks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer

from conftest import ACCOUNT_SID, AUTH_TOKEN, BASIC_AUTH, SERVICE_SID, load_spec



@pytest.fixture(scope="module")
def spec() -> dict:
    return load_spec("twilio_messaging_v1.json")


def matches(template: str, path: str) -> bool:
    """Whether a path template of the definition (`/v1/Services/{Sid}`) matches `path`."""
    want, got = template.split("/"), path.split("/")
    return len(want) == len(got) and all(w == g or w.startswith("{") for w, g in zip(want, got))


def operation(spec: dict, path: str, method: str) -> dict | None:
    """The operation of the definition for METHOD path, None when it has none."""
    for template, operations in spec["paths"].items():
        if matches(template, path) and method in operations:
            return operations[method]
    return None


def form_parameters(op: dict) -> set[str]:
    schema = op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {}).get("schema", {})
    return set(schema.get("properties", {}))


def all_resources():
    from msgsvc.api.resources import all_resources

    return list(all_resources())


@pytest.mark.parametrize("resource", all_resources(), ids=lambda r: r.name)
def test_every_field_is_a_parameter_of_its_operation(spec, resource):
    """Each field's wire name is a form parameter of the resource's create operation (and of
    its update operation where the definition has one for it)."""
    parent = "MG" + "0" * 32 if resource.parent is not None else None
    if not resource.fields:  # read only in msgsvc (brands)
        assert resource.name in READ_ONLY
        return
    create_op = operation(spec, resource.collection_path(parent), "post")
    assert create_op is not None, f"the definition has no POST {resource.collection_path(parent)}"
    create = form_parameters(create_op)
    for field in resource.fields:
        if field.wire in update_only(resource):  # declared so that an update may send it; no create does
            continue
        assert field.wire in create, f"{resource.name}: {field.wire} is not a parameter of its create operation"
    update_op = operation(spec, resource.instance_path(resource.prefix + "0" * 32, parent), "post")
    if update_op is not None:
        update = form_parameters(update_op)
        for field in resource.update_fields:
            assert field.wire in update, f"{resource.name}: {field.wire} is not a parameter of its update operation"
        if resource.updatable is not None:  # the update's own parameters, all declared
            assert update == set(resource.updatable) | update_only(resource), resource.name


READ_ONLY = {"brand"}


def update_only(resource) -> set[str]:
    """Parameters of an update that no create has, declared beside their resource."""
    if resource.name == "tollfree-verification":
        from msgsvc.api.tollfree import EDIT_REASON

        return {EDIT_REASON.wire}
    return set()


def test_campaign_fields_cover_the_definition(spec):
    from msgsvc.api.a2p import CREATE_REQUIRED, UPDATE_REQUIRED
    from msgsvc.api.resources import CAMPAIGN

    create = operation(spec, CAMPAIGN.collection_path(SERVICE_SID), "post")
    assert form_parameters(create) == {f.wire for f in CAMPAIGN.fields}
    schema = create["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(schema["required"]) == set(CREATE_REQUIRED)
    update = operation(spec, CAMPAIGN.instance_path("QE" + "0" * 32, SERVICE_SID), "post")
    assert set(update["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["required"]) == set(UPDATE_REQUIRED)
    assert {f.wire for f in CAMPAIGN.fields if f.many} == {
        name for name, p in schema["properties"].items() if p.get("type") == "array"}


@pytest.mark.parametrize("resource", all_resources(), ids=lambda r: r.name)
def test_list_key_and_columns_match_the_definition(spec, resource):
    parent = "MG" + "0" * 32 if resource.parent is not None else None
    op = operation(spec, resource.collection_path(parent), "get")
    assert op is not None
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert resource.list_key in schema["properties"], f"{resource.name}: no {resource.list_key!r} in its list page"
    item = schema["properties"][resource.list_key]["items"]

    def resolve(schema: dict) -> dict:
        return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema

    item = resolve(item)
    # A campaign is one of two shapes (oneOf): a column must read a key of every one.
    keys = set.intersection(*(set(resolve(alternative)["properties"]) for alternative in item.get("oneOf", [item])))
    for column in resource.columns:
        assert column.key in keys, f"{resource.name}: column {column.header} reads {column.key!r}, not in the API's objects"


def test_service_fields_cover_the_definition(spec):
    """Adding a field to Twilio's create operation without declaring it is noticed here."""
    from msgsvc.api.resources import SERVICE

    declared = {f.wire for f in SERVICE.fields}
    assert form_parameters(operation(spec, "/v1/Services", "post")) == declared


def test_field_keys_are_the_json_keys_of_the_object(spec):
    from msgsvc.api.resources import SERVICE

    fetched = operation(spec, f"/v1/Services/{SERVICE_SID}", "get")
    assert fetched is not None
    ref = fetched["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    properties = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]
    for field in SERVICE.fields:
        assert field.key in properties, f"{field.wire}: {field.key!r} is not a key of a Service"


# --- what follows from the declarations -----------------------------------------------------


def test_form_keeps_declaration_order_and_repeats_list_fields():
    from msgsvc.api.resources import Field, Resource

    thing = Resource(name="thing", noun="things", what="thing", path="Things", list_key="things", prefix="QE",
                     fields=(Field("Description", "text", "d", minimum=3, maximum=10),
                             Field("MessageSamples", "text", "s", many=True, name="sample"),
                             Field("HasEmbeddedLinks", "bool", "b")))
    form = thing.form({"has_embedded_links": False, "sample": ["one", "two"], "description": "hello"})
    assert form == [("Description", "hello"), ("MessageSamples", "one"), ("MessageSamples", "two"),
                    ("HasEmbeddedLinks", "false")]
    assert thing.field("sample").option == "--sample"
    assert thing.field("sample").clean(["a", "b"]) == ["a", "b"]
    with pytest.raises(ValueError, match="at least 3"):
        thing.field("description").clean("hi")
    with pytest.raises(ValueError, match="the limit is 10"):
        thing.field("description").clean("x" * 11)
    assert thing.collection_path() == "/v1/Things"


def test_a_list_field_is_a_repeated_option_and_repeated_form_keys(httpserver, msgsvc, profile):
    """A list-valued field declared once becomes `--sample a --sample b` and two form keys."""

    from msgsvc.cli import app as cli, options
    from msgsvc.api.resources import SERVICE, Field, Resource

    thing = Resource(name="thing", noun="things", what="thing", path="Things", list_key="things", prefix="QE",
                     parent=SERVICE, fields=(Field("MessageSamples", "text", "A sample.", many=True, name="sample",
                                                   minimum=2, maximum=20),))
    app = typer.Typer()

    @app.command("create")
    @options.with_field_options(thing)
    def things_create(ctx: typer.Context, service: str, *, values: dict) -> None:
        state = options.use(ctx)
        state.client().fetch_object("POST", thing.collection_path(service), data=thing.form(values))

    @app.callback()
    def callback() -> None:
        pass

    httpserver.expect_oneshot_request(
        f"/v1/Services/{SERVICE_SID}/Things", method="POST", headers={"Authorization": BASIC_AUTH},
        data="MessageSamples=first+one&MessageSamples=second",
    ).respond_with_json({"sid": "QE" + "1" * 32}, status=201)
    cli.LAZY["things"] = "tests_things:app"
    import sys
    import types

    module = types.ModuleType("tests_things")
    module.app = app
    sys.modules["tests_things"] = module
    try:
        result = msgsvc("things", "create", SERVICE_SID, "--sample", "first one", "--sample", "second")
        assert (result.code, result.err) == (0, "")
        httpserver.check_assertions()
        bad = msgsvc("things", "create", SERVICE_SID, "--sample", "x")
        assert bad.code == 2 and "Invalid value for '--sample'" in bad.err and "at least 2" in bad.err
    finally:
        del cli.LAZY["things"]
        del sys.modules["tests_things"]


def test_sid_checks_match_the_whole_value():
    from msgsvc.api import validate

    sid = "MG" + "a" * 32
    assert validate.is_sid(sid, "MG")
    assert not validate.is_sid(sid + "\n", "MG")
    assert not validate.is_sid(" " + sid, "MG")
    assert not validate.is_sid("PN" + "a" * 32, "MG")
    with pytest.raises(ValueError, match="is not a phone number SID"):
        validate.sid("PN" + "a" * 31 + "\n", "PN")
    with pytest.raises(ValueError):
        validate.e164("+15017122661\n")
    with pytest.raises(ValueError):
        validate.alpha_sender("MyCompany\n")


def test_sid_words_come_from_the_declarations():
    from msgsvc.api.resources import sid_prefixes, sid_what

    assert sid_what("MG") == "a Messaging Service SID"
    assert sid_what("PN") == "a phone number SID"
    assert sid_what("AI") == "an alpha sender SID"
    assert sid_what("AC") == "an Account SID"
    assert set(sid_prefixes()) >= {"MG", "PN", "SC", "AI", "XE", "AC", "SK"}


def test_emulator_parses_service_fields_from_the_declaration():
    from msgsvc.emulator import model
    from msgsvc.api.resources import SERVICE

    assert list(model.SERVICE_FIELDS) == [f.wire for f in SERVICE.fields]
    assert {k.prefix for k in model.KINDS.values()} == {"PN", "SC", "AI", "XE"}


def test_every_environment_variable_read_is_documented():
    """The man pages' ENVIRONMENT comes from resolution.ENVIRONMENT; a variable read anywhere in
    msgsvc (but the shell-completion protocol's own) is listed there."""
    from msgsvc.local import resolution

    root = Path(__file__).resolve().parents[1] / "msgsvc"
    read = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"(?:environ\.get|env\.get|getenv)\(\s*\"([A-Z][A-Z0-9_]+)\"", text))
        read |= set(re.findall(r"\"((?:TWILIO|MSGSVC)_[A-Z_]+)\"", text))
    from msgsvc.api.tollfree import STATUSES
    from msgsvc.api.channels import STATUSES as SENDER_STATUSES

    read -= set(STATUSES) | set(SENDER_STATUSES)  # Twilio's own words (TWILIO_APPROVED, TWILIO_REVIEW), not variables
    documented = resolution.documented_variables()
    assert read, "found no variable: the pattern is wrong"
    assert read - documented == set()
    assert set(resolution.ENV_CREDENTIALS.values()) | set(resolution.ENV_SETTINGS.values()) <= documented


def test_client_settings_live_with_the_config():
    from msgsvc.local.resolution import client_settings, resolve

    settings = client_settings(resolve(env={"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}, data={}))
    assert (settings.username, settings.password, settings.max_retries) == (ACCOUNT_SID, AUTH_TOKEN, 4)


def test_every_sender_kind_is_a_noun_of_the_command_line():
    """A kind declared in senders.py is a command noun: numbers in commands/numbers.py (it has
    commands of its own), every other kind in commands/senders.py."""
    from msgsvc.cli import app as cli
    from msgsvc.cli.commands import numbers, senders as commands
    from msgsvc.api.senders import KINDS, NUMBERS

    for kind in KINDS:
        if kind is NUMBERS:
            assert cli.LAZY[kind.noun] == "msgsvc.cli.commands.numbers"
            assert isinstance(numbers.app, typer.Typer)
            continue
        assert cli.LAZY[kind.noun] == f"msgsvc.cli.commands.senders:{kind.noun.replace('-', '_')}"
        assert isinstance(getattr(commands, kind.noun.replace("-", "_")), typer.Typer)


@pytest.mark.parametrize("resource", [r for r in all_resources() if r.keys], ids=lambda r: r.name)
def test_keys_are_the_objects_keys_in_the_definition(spec, resource):
    """`keys` (what --fields takes) is every key of the API's object, in the definition's order
    (of every version of it, where the definition has several: oneOf)."""
    parent = "MG" + "0" * 32 if resource.parent is not None else None
    op = operation(spec, resource.instance_path(resource.prefix + "0" * 32, parent), "get")
    assert op is not None

    def properties(schema: dict) -> list[str]:
        if "$ref" in schema:
            return properties(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
        if "oneOf" in schema:
            return list(dict.fromkeys(key for version in schema["oneOf"] for key in properties(version)))
        return list(schema["properties"])

    assert list(resource.keys) == properties(op["responses"]["200"]["content"]["application/json"]["schema"])


def test_the_emulator_stores_and_renders_every_declared_service_field():
    """A field added to SERVICE must get a default in the emulator (what Twilio applies when a
    create omits it); its answers then carry every key of SERVICE.keys."""
    from msgsvc.emulator import model
    from msgsvc.api.resources import SERVICE

    assert set(model.SERVICE_DEFAULTS) == {f.key for f in SERVICE.fields} | {"us_app_to_person_registered"}
    assert set(SERVICE.keys) - {"sid", "account_sid", "date_created", "date_updated", "url", "links"} == set(model.SERVICE_DEFAULTS)


def test_settings_defaults_and_limits_are_said_as_config_has_them():
    """The defaults and limits of --timeout and --max-retries live in api/settings.py; the client's
    settings and the settings' resolution take them from there, and every option and help text
    that states them agrees."""
    from msgsvc.cli import app as cli
    from msgsvc.api import settings as defaults
    from msgsvc.local import resolution
    from msgsvc.api.client import ClientSettings
    from msgsvc.cli.commands import profiles

    settings = ClientSettings(username="AC", password="x")
    assert (settings.connect_timeout, settings.read_timeout, settings.max_retries) == (
        defaults.DEFAULT_CONNECT_TIMEOUT, defaults.DEFAULT_READ_TIMEOUT, defaults.DEFAULT_MAX_RETRIES)
    root = typer.main.get_command(cli.app)
    add = typer.main.get_command(profiles.app).commands["add"]
    for command in (root, add):
        options = {p.name: p for p in command.params}
        assert (options["timeout"].type.min, options["timeout"].type.max) == (0.001, resolution.LIMITS["timeout"])
        assert (options["max_retries"].type.min, options["max_retries"].type.max) == (0, resolution.LIMITS["max_retries"])
    helps = {p.name: p.help for p in root.params}
    assert f"[default: {defaults.DEFAULT_CONNECT_TIMEOUT:g} to connect, {defaults.DEFAULT_READ_TIMEOUT:g} to read]" in helps["timeout"]
    assert f"[default: {defaults.DEFAULT_MAX_RETRIES}]" in helps["max_retries"]
