"""What `msgsvc apply PLAN` checks before it sends a saved plan, each refusal with nothing sent:
a flag of apply that the plan contradicts and a plan made for another account (exit 2); its
setup file, changed since, for the passwords the plan takes from it, and the account, changed
since the plan read it (stale, exit 7, as Terraform refuses a stale saved plan).

The plan's format, and the snapshot of what it read that `stale` takes again to compare, are
msgsvc/setup/saved_format.py's.

Library code: no typer, no rich, no printing.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, Sequence

from msgsvc.api.validate import mask_url_passwords
from msgsvc.errors import StalePlanError, UsageError
from msgsvc.setup.diff import Current, Diff, ServiceAction, shown
from msgsvc.setup.file import FIELDS, KIND_BY_NOUN, Desired, DesiredService, load_text
from msgsvc.setup.saved_format import OPTION_FLAGS, OPTIONS, SavedPlan, digest, remake, snapshot


def refuse_contradictions(plan: SavedPlan, given: Mapping[str, bool]) -> None:
    """A flag of `apply` that the plan's own decision contradicts (`apply PLAN --prune` for
    a plan made without it): exit 2, nothing sent."""
    for key in OPTIONS:
        if given.get(key) and not plan.options[key]:
            raise UsageError(f"{OPTION_FLAGS[key]} contradicts {plan.name}: the plan was made without it, and "
                             "a saved plan is applied as it was made",
                             hint=f"nothing was sent; make the plan with it: "
                                  f"{plan.again().replace(' -o ', f' {OPTION_FLAGS[key]} -o ')}")


def refuse_other_account(plan: SavedPlan, account_sid: str, profile: str | None) -> None:
    """A plan made for another account (or another named profile): exit 2, nothing sent."""
    made = f"{plan.account_sid}" + (f" (profile '{plan.profile}')" if plan.profile else "")
    now = f"{account_sid}" + (f" (profile '{profile}')" if profile else "")
    if plan.account_sid != account_sid or (plan.profile and profile and plan.profile != profile):
        raise UsageError(f"{plan.name} was made for account {made}, not for {now}",
                         hint="nothing was sent; apply it with the profile it was made with, or make a plan "
                              "for this account")


def with_secrets(plan: SavedPlan, read_setup: Callable[[str], tuple[str, str]]) -> Diff:
    """The plan's Diff with the passwords it sets taken from its setup file (`read_setup(name)`:
    its text and the name to show); UsageError when it cannot be read (exit 2), StalePlanError
    when it changed since (exit 7: checked before it is parsed, so an edit is named as such)."""
    if not plan.secrets:
        return plan.diff
    try:
        text, shown_name = read_setup(plan.setup_name)
    except UsageError as exc:
        raise UsageError(f"{exc.message}; {plan.name} takes the password it sets from that setup file",
                         hint="nothing was sent; apply the plan from the directory it was made in") from None
    if digest(text) != plan.setup_digest:
        raise StalePlanError(f"{plan.setup_name} changed since {plan.name} was made, and the plan takes the "
                             "password it sets from it", hint=remake(plan))
    desired = load_text(text, shown_name)
    for position, key in plan.secrets:
        action = plan.diff.services[position]
        value = _source(desired, action).fields.get(key)
        if not isinstance(value, str) or mask_url_passwords(value) != action.after[key]:
            raise StalePlanError(f"{plan.setup_name} does not set {key} of {action.service.label} as {plan.name} "
                                 "does, and the plan takes the password it sets from it", hint=remake(plan))
        action.after[key] = value
    return plan.diff


def _source(desired: Desired, action: ServiceAction) -> Any:
    """The service of the setup file that `action` was planned from: the one it creates by
    its position, else the one of that name on the action's line (a one-line JSON file holds
    every service on line 1: the line alone does not tell them apart)."""
    index = action.service.index
    if index is not None:
        found = desired.services[index:index + 1] if index >= 0 else []
    else:
        found = [s for s in desired.services if s.line == action.line and s.friendly_name == action.service.name
                 and s.sid in (None, action.service.sid)]
    return found[0] if len(found) == 1 else DesiredService(action.service.name, None, {}, {})


def stale(plan: SavedPlan, current: Sequence[Current]) -> list[str]:
    """What changed in the account since the plan read it, one sentence per service."""
    detailed = {entry["sid"] for entry in plan.read if "fields" in entry}
    now = {entry["sid"]: (entry, c) for entry, c in zip(snapshot(current, detailed), sorted(current, key=lambda c: c.sid))}
    found: list[str] = []
    for entry in plan.read:
        name = json.dumps(entry["friendly_name"], ensure_ascii=False)
        if entry["sid"] not in now:
            found.append(f"service {name} ({entry['sid']}) was deleted since the plan was made")
            continue
        after, service = now[entry["sid"]]
        what = []
        if after["friendly_name"] != entry["friendly_name"]:
            what.append(f"friendly_name {name} -> {json.dumps(after['friendly_name'], ensure_ascii=False)}")
        if "fields" in entry:
            if after["us_app_to_person_registered"] != entry["us_app_to_person_registered"]:
                what.append("registered for US A2P 10DLC" if after["us_app_to_person_registered"]
                            else "no longer registered for US A2P 10DLC")
            for key in sorted({*entry["fields"], *after["fields"]}, key=lambda k: list(FIELDS).index(k)
                              if k in FIELDS else len(FIELDS)):
                if entry["fields"].get(key) != after["fields"].get(key):
                    what.append(f"{key} {json.dumps(entry['fields'].get(key))} -> {json.dumps(after['fields'].get(key))}")
            if after["date_updated"] != entry["date_updated"]:
                what.append(f"date_updated {entry['date_updated']} -> {after['date_updated']}")
        for noun, sids in entry["senders"].items():
            had, has = set(sids), set(after["senders"].get(noun, ()))
            records = {str(r.get("sid")): r for r in service.senders.get(noun, ())}
            kind = KIND_BY_NOUN[noun]
            for sid in sorted(has - had):
                what.append(f"{noun}: {shown(kind, records[sid])} attached")
            for sid in sorted(had - has):
                what.append(f"{noun}: {sid} detached")
        if what:
            found.append(f"service {name} ({entry['sid']}) changed since the plan was made ({'; '.join(what)})")
    known = {entry["sid"] for entry in plan.read}
    for sid, (after, _) in sorted(now.items()):
        if sid not in known:
            found.append(f"service {json.dumps(after['friendly_name'], ensure_ascii=False)} ({sid}) was created "
                         "since the plan was made")
    return found


def refuse_stale(plan: SavedPlan, current: Sequence[Current]) -> None:
    """StalePlanError (exit 7) naming every change since the plan read the account."""
    found = stale(plan, current)
    if len(found) == 1:
        raise StalePlanError(f"{plan.name} is stale: {found[0]}", hint=remake(plan))
    if found:
        raise StalePlanError(f"{plan.name} is stale: the account changed since the plan was made:", hint=remake(plan),
                             details=tuple("  " + sentence for sentence in found))


def reread(client: Any, plan: SavedPlan, **options: Any) -> list[Current]:
    """The account read again as the plan read it: every service, and the kinds of senders
    the plan read for each (a service created since: none, it makes the plan stale anyway)."""
    from msgsvc.setup.read import read_account

    kinds = {entry["sid"]: [KIND_BY_NOUN[noun] for noun in entry["senders"]] for entry in plan.read}
    return read_account(client, senders_of=lambda record: kinds.get(record.get("sid"), []), **options)
