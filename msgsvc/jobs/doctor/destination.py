"""The two checks that decide whether a message to a US number leaves at all, and the read
that feeds them for one service (`destination_findings`, which `msgsvc send` asks before a
send):

- 30034: US long codes (10DLC) in the service, and no campaign, or one that is not VERIFIED
  (FAILED with its errors, or PENDING / IN_PROGRESS): carriers have refused such traffic
  since September 2023. Checks `10dlc-no-campaign`, `10dlc-campaign-failed`,
  `10dlc-campaign-in-review`.
- 30032: toll-free numbers without a TWILIO_APPROVED verification (msgsvc/api/tollfree.py is
  the home of what a verification means). Checks `tollfree-unverified` (no record, or one in
  review) and `tollfree-rejected` (with the time left to edit, or that it must be filed again).

Both are pure functions of what was read.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping

from msgsvc.api import tollfree
from msgsvc.api.validate import number_to_paste, sid_to_paste
from msgsvc.jobs.doctor.finding import Finding, finding

if TYPE_CHECKING:
    from msgsvc.api.client import Client

VERIFIED = "VERIFIED"
IN_REVIEW = ("PENDING", "IN_PROGRESS")
FAILED = "FAILED"


def is_us_long_code(number: Mapping[str, Any]) -> bool:
    """A US 10DLC number: US, and not toll-free (short codes are another kind of sender)."""
    e164 = number.get("phone_number") or ""
    return number.get("country_code") == "US" and e164.startswith("+1") and not tollfree.is_toll_free(e164)


def us_long_codes(numbers: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [n for n in numbers if is_us_long_code(n)]


def toll_free_numbers(numbers: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [n for n in numbers if tollfree.is_toll_free(n.get("phone_number"))]


def campaign_errors(campaign: Mapping[str, Any]) -> list[str]:
    """A failed campaign's `errors`, one text each: `30886: description (fields: ...)`."""
    out = []
    for error in campaign.get("errors") or []:
        if isinstance(error, Mapping):
            code = error.get("error_code") or error.get("code")
            text = error.get("description") or error.get("message") or ""
            fields = error.get("fields") or []
            line = f"{code}: {text}".strip(": ") if code else str(text)
            out.append(line + (f" (fields: {', '.join(map(str, fields))})" if fields else ""))
        elif error:
            out.append(str(error))
    return out


def pasted(service: Mapping[str, Any]) -> str:
    """The service as a fix's command names it: its SID, or SERVICE when what the server
    calls its sid is not one (`x; curl ...|sh` is never offered as a command to paste)."""
    return sid_to_paste(service.get("sid"), "MG", placeholder="SERVICE")


def ten_dlc(service: dict, numbers: list[Mapping[str, Any]], campaign: Mapping[str, Any] | None) -> list[Finding]:
    """30034: the service's US long codes against its campaign (None: it has none)."""
    longs = us_long_codes(numbers)
    if not longs:
        return []
    ref = pasted(service)
    count = ("us_long_codes", len(longs))
    if campaign is None:
        return [finding("10dlc-no-campaign", service, [count, ("campaign", None)],
                        f"msgsvc campaigns create {ref} --brand BRAND --usecase USECASE ...")]
    status = campaign.get("campaign_status")
    evidence = [count, ("campaign", campaign.get("sid")), ("campaign_status", status)]
    if status == FAILED:
        return [finding("10dlc-campaign-failed", service, [*evidence, ("errors", campaign_errors(campaign))],
                        f"msgsvc campaigns update {ref} ...")]
    if status != VERIFIED:  # PENDING, IN_PROGRESS, and a status Twilio may add
        return [finding("10dlc-campaign-in-review", service, evidence, f"msgsvc campaigns wait {ref}")]
    return []


def toll_free(service: dict, numbers: list[Mapping[str, Any]], verifications: Mapping[str, Mapping[str, Any]],
              now: datetime) -> list[Finding]:
    """30032: the service's toll-free numbers against their verifications (by PN SID; the
    record that counts for each: tollfree.latest_by_number)."""
    free = toll_free_numbers(numbers)
    if not free:
        return []
    found: list[Finding] = []
    waiting = [n for n in free if not verifications.get(n.get("sid"))]
    pending = [n for n in free if (verifications.get(n.get("sid")) or {}).get("status") in tollfree.PENDING_STATES]
    if waiting or pending:
        evidence = [("toll_free", len(free)), ("unverified", len(waiting)), ("in_review", len(pending)),
                    ("numbers", [n.get("phone_number") for n in waiting + pending])]
        fix = (f"msgsvc tollfree create {number_to_paste(waiting[0].get('phone_number'))} --from-file verification.toml"
               if waiting else f"msgsvc tollfree wait {number_to_paste(pending[0].get('phone_number'))}")
        found.append(finding("tollfree-unverified", service, evidence, fix))
    for number in free:
        record = verifications.get(number.get("sid"))
        if record is None or record.get("status") != tollfree.REJECTED:
            continue
        e164 = number.get("phone_number")
        ref = number_to_paste(e164)
        deadline = tollfree.edit_deadline(record)
        editable = tollfree.can_edit(record, now)
        evidence = [("number", e164), ("verification", record.get("sid")), ("status", record.get("status")),
                    ("edit_by", tollfree.format_moment(deadline) if editable and deadline else None),
                    ("reasons", tollfree.rejection_reasons(record))]
        fix = (f"msgsvc tollfree update {ref} --from-file verification.toml --edit-reason TEXT" if editable
               else f"msgsvc tollfree delete {ref}; msgsvc tollfree create {ref} --from-file verification.toml")
        found.append(finding("tollfree-rejected", service, evidence, fix))
    return found


def applies_to(to: str | None) -> bool:
    """Whether the two rules apply to a message to `to`: US and Canadian numbers (+1), or any
    destination when none is given."""
    return to is None or to.startswith("+1")


def destination_findings(client: Client, service_sid: str, to: str | None = None, *,
                         now: datetime | None = None) -> list[Finding]:
    """The 30034 and 30032 findings of one service, read now: its numbers, its campaign when
    it has US long codes, and the verifications of its toll-free numbers. None for a
    destination outside +1."""
    if not applies_to(to):
        return []
    from msgsvc.api.senders import NUMBERS
    from msgsvc.api.tollfree import VERIFICATION

    service = client.get_service(service_sid)
    numbers = list(client.list_senders(NUMBERS, service_sid))
    found: list[Finding] = []
    if us_long_codes(numbers):
        found += ten_dlc(service, numbers, client.find_campaign(service_sid))
    free = toll_free_numbers(numbers)
    if free:
        records: list[Mapping[str, Any]] = []
        for number in free:
            records += client.list_of(VERIFICATION, params={"TollfreePhoneNumberSid": number.get("sid")})
        found += toll_free(service, numbers, tollfree.latest_by_number(records), now or datetime.now(timezone.utc))
    return found
