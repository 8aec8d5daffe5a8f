"""The desired-vs-current diff, a pure function: examples of each rule, and a property test
that applies random diffs to a model account and finds nothing left to do."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from factories import number
from hypothesis import strategies as st

from msgsvc.api.senders import KINDS
from msgsvc.setup.diff import Current, diff, sender_keys
from msgsvc.setup.file import KIND_BY_NOUN, POOLED, load_text

A, B, C = ("MG" + c * 32 for c in "abc")
PN1, PN2, PN3 = ("PN" + c * 32 for c in "123")
SC1 = "SC" + "1" * 32
XE1 = "XE" + "1" * 32


def svc(sid: str, name: str, senders: dict | None = None, **fields) -> Current:
    return Current({"sid": sid, "friendly_name": name, "validity_period": 36000, "inbound_request_url": None,
                    "us_app_to_person_registered": False, **fields}, senders or {})


def plan(text: str, current, **kw):
    return diff(load_text(text, "setup.toml"), current, **kw)


def actions(result) -> list[tuple]:
    return [(a.action, a.service.name) for a in result.services] + [
        (a.action, a.kind, a.shown, a.service.name, a.source.name if a.source else None) for a in result.senders]


def test_nothing_to_do_when_the_account_matches():
    current = [svc(A, "Alerts", {"numbers": [number(PN1, "+15550000001")]}, validity_period=600)]
    result = plan('[[services]]\nfriendly_name = "Alerts"\nvalidity_period = 600\ninbound_request_url = ""\n'
                  'senders.numbers = ["+15550000001"]\n', current)
    assert result.empty and not result.blocked


def test_create_update_attach_detach_in_order():
    current = [svc(A, "Alerts", {"numbers": [number(PN1, "+15550000001")]}), svc(B, "Other")]
    result = plan('''
        [[services]]
        friendly_name = "New"
        senders.numbers = ["+15550000003"]
        senders.alpha-senders = ["MyCo"]
        [[services]]
        friendly_name = "Alerts"
        validity_period = 600
        senders.numbers = ["+15550000002"]
        '''.replace("\n        ", "\n"), current,
        inventory={"numbers": {("value", "+15550000002", ""): PN2, ("value", "+15550000003", ""): PN3}},
        complete=["numbers"])
    assert actions(result) == [
        ("create", "New"), ("update", "Alerts"),
        ("attach", "numbers", "+15550000003", "New", None),
        ("attach", "alpha-senders", "MyCo", "New", None),
        ("detach", "numbers", "+15550000001", "Alerts", None),
        ("attach", "numbers", "+15550000002", "Alerts", None),
    ]
    update = result.services[1]
    assert (update.before, update.after) == ({"validity_period": 36000}, {"validity_period": 600})
    assert result.services[0].service.sid is None and result.services[0].service.index == 0
    assert result.senders[0].sid == PN3 and result.senders[1].text == "MyCo" and result.senders[1].sid is None
    assert result.counts() == {"create": 1, "update": 1, "attach": 3, "detach": 1, "move": 0, "delete": 0}


def test_a_sender_wanted_in_another_managed_service_is_a_move_shown_once():
    current = [svc(A, "Old", {"numbers": [number(PN1, "+15550000001")]}), svc(B, "Alerts", {"numbers": []})]
    text = '[[services]]\nfriendly_name = "Old"\nsenders.numbers = []\n' \
           '[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = ["+15550000001"]\n'
    assert actions(plan(text, current)) == [("move", "numbers", "+15550000001", "Alerts", "Old")]
    # Old's senders need not be managed for it to give one up.
    text = '[[services]]\nfriendly_name = "Old"\n[[services]]\nfriendly_name = "Alerts"\nsenders.numbers = ["+15550000001"]\n'
    assert actions(plan(text, current)) == [("move", "numbers", "+15550000001", "Alerts", "Old")]


def test_a_sender_in_an_unmanaged_service_is_a_conflict_unless_asked():
    current = [svc(A, "Legacy", {"short-codes": [{"sid": SC1, "short_code": "55501"}]}), svc(B, "Alerts")]
    text = '[[services]]\nfriendly_name = "Alerts"\nsenders.short-codes = ["55501"]\n'
    result = plan(text, current)
    assert result.blocked and result.empty
    (conflict,) = result.conflicts
    assert (conflict.kind, conflict.shown, conflict.holder.sid, conflict.wanted.name, conflict.line) == (
        "short-codes", "55501", A, "Alerts", 3)
    assert actions(plan(text, current, move_from_unmanaged=True)) == [("move", "short-codes", "55501", "Alerts", "Legacy")]
    # Pruning Legacy takes the sender from it too.
    assert actions(plan(text, current, prune=True)) == [
        ("delete", "Legacy"), ("move", "short-codes", "55501", "Alerts", "Legacy")]


def test_prune_deletes_the_services_not_in_the_file_and_flags_a2p():
    current = [svc(A, "Keep"), svc(B, "Legacy", us_app_to_person_registered=True), svc(C, "Aaa")]
    result = plan('[[services]]\nfriendly_name = "Keep"\n', current, prune=True)
    assert [(a.action, a.service.sid, a.a2p) for a in result.services] == [("delete", C, False), ("delete", B, True)]
    assert plan('[[services]]\nfriendly_name = "Keep"\n', current).empty


def test_senders_the_account_does_not_own_are_unknown():
    text = (f'[[services]]\nfriendly_name = "Alerts"\n[services.senders]\nnumbers = ["+15550000009", "{PN3}"]\n'
            f'channel-senders = ["whatsapp:+15550000001", "{XE1}"]\nshort-codes = ["55509"]\n')
    result = plan(text, [svc(A, "Alerts")], inventory={"numbers": {}, "short-codes": {}},
                  complete=["numbers", "short-codes"])
    assert [(u.kind, u.shown, u.line) for u in result.unknown] == [
        ("numbers", "+15550000009", 4), ("numbers", PN3, 4), ("channel-senders", "whatsapp:+15550000001", 5),
        ("short-codes", "55509", 6)]
    assert result.unknown[2].reason == "is not a channel sender of this account"
    # Without the account's list of channel senders, one named by SID is trusted: the API judges it.
    assert actions(result) == [("attach", "channel-senders", XE1, "Alerts", None)]
    # With it (Messaging v2, plan.account_inventory), an address it does not show is not the
    # account's; a SID may still be a Messenger sender in no service, which v2 does not list:
    # attached by its SID, with a warning, while nothing is detached for it.
    result = plan(text, [svc(A, "Alerts")], inventory={"numbers": {}, "short-codes": {}, "channel-senders": {}},
                  complete=["numbers", "short-codes", "channel-senders"])
    assert [(u.kind, u.shown, u.reason) for u in result.unknown if u.kind == "channel-senders"] == [
        ("channel-senders", "whatsapp:+15550000001", "is not a channel sender of this account")]
    assert actions(result) == [("attach", "channel-senders", XE1, "Alerts", None)]
    assert [line for line, text in result.warnings if XE1 in text] == [5]


def test_names_matching_several_services_and_unknown_sids_are_errors():
    current = [svc(A, "Dup"), svc(B, "Dup")]
    result = plan(f'[[services]]\nfriendly_name = "Dup"\n[[services]]\nfriendly_name = "X"\nsid = "{C}"\n', current)
    assert result.errors == [(1, f'2 services are named "Dup": {A}, {B}; pin the one you mean in the file by its sid, '
                                 f'e.g. sid = "{A}"'),
                             (3, f'service {C} ("X") is not in this account; remove its sid to create it')]
    assert result.empty and result.blocked


def test_a_service_pinned_by_sid_is_renamed():
    result = plan(f'[[services]]\nfriendly_name = "New name"\nsid = "{A}"\n', [svc(A, "Old name")])
    assert [(a.action, a.before, a.after) for a in result.services] == [
        ("update", {"friendly_name": "Old name"}, {"friendly_name": "New name"})]


def test_alpha_senders_are_exact_per_service_and_never_moved():
    current = [svc(A, "A", {"destination-alpha-senders": [
        {"sid": "AI" + "1" * 32, "alpha_sender": "MyCo", "iso_country_code": ""},
        {"sid": "AI" + "2" * 32, "alpha_sender": "MyCo", "iso_country_code": "GB"}]}),
        svc(B, "B", {"alpha-senders": [{"sid": "AI" + "3" * 32, "alpha_sender": "MyCo"}]})]
    text = ('[[services]]\nfriendly_name = "A"\nsenders.destination-alpha-senders = '
            '[{ alpha_sender = "MyCo", iso_country_code = "FR" }, "MyCo"]\n'
            '[[services]]\nfriendly_name = "C"\nsenders.alpha-senders = ["MyCo"]\n')
    result = plan(text, current)
    assert actions(result) == [
        ("create", "C"),
        ("detach", "destination-alpha-senders", "MyCo (GB)", "A", None),
        ("attach", "destination-alpha-senders", "MyCo (FR)", "A", None),
        ("attach", "alpha-senders", "MyCo", "C", None),
    ]
    assert (result.senders[1].text, result.senders[1].country) == ("MyCo", "FR")


# --- property: applying a diff to a model account leaves nothing to do -------------------------

NAMES = ("Alpha", "Beta", "Gamma", "Delta")
POOL = {
    "numbers": [number(f"PN{n:032x}", f"+1555000000{n}") for n in range(1, 7)],
    "short-codes": [{"sid": f"SC{n:032x}", "short_code": f"5550{n}"} for n in range(1, 4)],
    "channel-senders": [{"sid": f"XE{n:032x}", "sender": f"whatsapp:+1555000000{n}"} for n in range(1, 3)],
}
TEXTS = ("MyCo", "Other", "Zed")
FIELD_VALUES = {
    "validity_period": st.integers(1, 36000),
    "sticky_sender": st.booleans(),
    "inbound_request_url": st.sampled_from(["", "https://example.com/in"]),
    "usecase": st.sampled_from(["marketing", "notifications"]),
}


@st.composite
def accounts(draw):
    """Current services with unique names (or not in the file at all), their pools and alphas."""
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    services = [svc(f"MG{i:032x}", name, {}, **draw(st.fixed_dictionaries({}, optional=FIELD_VALUES)))
                for i, name in enumerate(names)]
    for noun, records in POOL.items():
        for record in records:
            where = draw(st.integers(-1, len(services) - 1))
            if where >= 0:
                services[where].senders.setdefault(noun, []).append(dict(record))
    for service in services:
        for text in draw(st.lists(st.sampled_from(TEXTS), unique=True, max_size=2)):
            service.senders.setdefault("alpha-senders", []).append(
                {"sid": f"AI{abs(hash((service.sid, text))):032x}"[:34], "alpha_sender": text})
        for noun in list(POOL) + ["alpha-senders", "destination-alpha-senders"]:
            service.senders.setdefault(noun, [])
    return services


@st.composite
def files(draw):
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    lines = ["version = 1"]
    owner: dict[tuple, int] = {}
    for noun, records in POOL.items():
        for n, _ in enumerate(records):
            owner[(noun, n)] = draw(st.integers(-1, len(names) - 1))
    for index, name in enumerate(names):
        lines += ["[[services]]", f'friendly_name = "{name}"']
        for key, value in draw(st.fixed_dictionaries({}, optional=FIELD_VALUES)).items():
            lines.append(f"{key} = {value!r}".replace("True", "true").replace("False", "false").replace("'", '"'))
        lines.append("[services.senders]")
        for noun, records in POOL.items():
            if draw(st.booleans()):
                kind = KIND_BY_NOUN[noun]
                chosen = [r[kind.value_key] for n, r in enumerate(records) if owner[(noun, n)] == index]
                lines.append(f"{noun} = {chosen!r}".replace("'", '"'))
        if draw(st.booleans()):
            lines.append(f"alpha-senders = {draw(st.lists(st.sampled_from(TEXTS), unique=True, max_size=1))!r}".replace("'", '"'))
    return "\n".join(lines) + "\n"


def inventory_of(services: list[Current]) -> dict:
    attached = {r["sid"] for s in services for noun in POOLED for r in s.senders.get(noun, ())}
    inventory = {}
    for noun, records in POOL.items():
        kind = KIND_BY_NOUN[noun]
        inventory[noun] = {key: r["sid"] for r in records if r["sid"] not in attached for key in sender_keys(kind, r)}
    return inventory


def apply_to_model(result, services: list[Current]) -> list[Current]:
    """What the executor does, on the model: creates, updates, detaches and moves out,
    attaches and moves in, deletes. Returns the new account; asserts no change is made twice."""
    by_sid = {s.sid: s for s in services}
    created = {}
    seq = itertools.count(1000)
    for action in result.services:
        if action.action == "create":
            sid = f"MG{next(seq):032x}"
            created[action.service.index] = sid
            by_sid[sid] = Current({"sid": sid, "friendly_name": action.after["friendly_name"], "validity_period": 36000,
                                   "inbound_request_url": None, **action.after},
                                  {k.noun: [] for k in KINDS})
        elif action.action == "update":
            by_sid[action.service.sid].record.update(action.after)

    def sid_of(target):
        return target.sid if target.sid is not None else created[target.index]

    seen = set()
    for action in result.senders:
        key = (action.kind, action.sid or (action.text, action.country), sid_of(action.service))
        assert key not in seen, f"sent twice: {key}"
        seen.add(key)
        kind = KIND_BY_NOUN[action.kind]
        if action.action in ("detach", "move"):
            source = by_sid[sid_of(action.source if action.action == "move" else action.service)]
            before = len(source.senders[action.kind])
            source.senders[action.kind] = [r for r in source.senders[action.kind] if r["sid"] != action.sid]
            assert len(source.senders[action.kind]) == before - 1
    for action in result.senders:
        if action.action in ("attach", "move"):
            kind = KIND_BY_NOUN[action.kind]
            pool = by_sid[sid_of(action.service)].senders.setdefault(action.kind, [])
            if action.kind in POOLED:
                record = next(r for r in POOL[action.kind] if r["sid"] == action.sid)
                assert all(action.sid not in {r["sid"] for r in s.senders.get(action.kind, ())} for s in by_sid.values())
                pool.append(dict(record))
            else:
                pool.append({"sid": f"AI{next(seq):032x}", kind.value_key: action.text})
    for action in result.services:
        if action.action == "delete":
            del by_sid[action.service.sid]
    return list(by_sid.values())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accounts(), files(), st.booleans())
def test_applying_a_diff_leaves_nothing_to_do(current, text, prune):
    desired = load_text(text, "setup.toml")
    result = diff(desired, current, inventory=inventory_of(current), complete=POOL, prune=prune,
                  move_from_unmanaged=True)
    assert not result.blocked, (result.conflicts, result.unknown, result.errors)
    after = apply_to_model(result, current)
    again = diff(desired, after, inventory=inventory_of(after), complete=POOL, prune=prune)
    assert again.empty and not again.blocked, actions(again)
    # What the file manages is now exactly as it says.
    by_name = {s.name: s for s in after}
    for service in desired.services:
        now = by_name[service.friendly_name]
        for key, value in service.fields.items():
            have = now.record.get(key)
            assert ("" if have is None and key == "inbound_request_url" else have) == value
        for noun, senders in service.senders.items():
            kind = KIND_BY_NOUN[noun]
            assert sorted(r[kind.value_key] for r in now.senders[noun]) == sorted(s.value for s in senders)
    if prune:
        assert sorted(by_name) == sorted(s.friendly_name for s in desired.services)


def test_names_and_senders_from_the_api_cannot_reach_the_terminal_raw():
    """The plan is data; the output module escapes its view and masks the run's secrets."""
    from msgsvc.cli.output import emit_setup_plan
    from msgsvc.cli.terminal import Terminal

    current = [svc(A, 'Evil "\x1b[31m tok-s3cret', {"alpha-senders": [{"sid": "AI" + "1" * 32, "alpha_sender": "X\x1b]0;t\x07"}]})]
    result = plan(f'[[services]]\nfriendly_name = "New"\nsid = "{A}"\nsenders.alpha-senders = []\n', current)
    assert [a.shown for a in result.senders] == ["X\x1b]0;t\x07"]  # the diff keeps the API's text as it is
    from msgsvc.setup.diff import as_data

    assert as_data(result)["changes"][1]["sender"] == "X\x1b]0;t\x07"
    for stderr in (False, True):
        term = Terminal.fake()
        term.secrets.add("tok-s3cret")
        emit_setup_plan(term, result, "setup.toml", stderr=stderr)
        assert (term.err if stderr else term.out) == (
            '~ update "New": friendly_name "Evil \\"\\u001b[31m ***" -> "New"\n'
            '- detach X\\x1b]0;t\\x07 from "New"\n'
            "Plan: 0 to create, 1 to update, 0 to attach, 1 to detach, 0 to move, 0 to delete.\n"
        )


def test_a_service_pinned_by_a_sid_in_another_case_is_the_service_of_that_sid():
    # A SID a person types is read in any case (validate.canonical_sid), in a file too.
    for typed in (A.lower(), A[:2] + A[2:].upper()):
        result = plan(f'[[services]]\nfriendly_name = "New name"\nsid = "{typed}"\n', [svc(A, "Old name")])
        assert [(a.action, a.service.sid) for a in result.services] == [("update", A)], typed
