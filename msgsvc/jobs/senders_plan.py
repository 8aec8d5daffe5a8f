"""Planning a bulk attach or detach of senders, before anything is sent.

`plan_senders`: the service's current senders are listed once; each input is resolved (an
E.164 number through the account's IncomingPhoneNumbers, concurrently) and either settled
(`already attached`, `not attached`, `failed`) or made one change; two inputs naming the same
sender are one change. The changes are `msgsvc.jobs.changes.Change`s.

No typer, no rich, no printing: progress is reported through the callback given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from msgsvc.errors import ApiError, MsgsvcError, NetworkError
from msgsvc.jobs.changes import (
    ALREADY_ATTACHED, ATTACH, DETACH, NOT_ATTACHED, NOT_ON_ACCOUNT, Change, Outcome, failed, failure, fatal,
)
from msgsvc.jobs.pool import DEFAULT_CONCURRENCY, Progress, bounded, no_progress, run_pool
from msgsvc.api.senders import Ref, SenderKind

# More E.164 numbers than this are resolved by listing the account's numbers once.
LIST_ACCOUNT_ABOVE = 50


@dataclass
class SenderPlan:
    """The changes of a bulk attach or detach, and the inputs settled without one."""

    inputs: tuple[str, ...]  # every distinct input, in the order given
    changes: list[Change]
    settled: dict[str, Outcome]  # input -> its result, known without a change
    current: list[dict] = field(default_factory=list)  # the service's senders of the kind, as listed
    account: dict[str, dict] = field(default_factory=dict)  # SID -> the account's record, as looked up

    def results(self, outcomes: Sequence[Outcome]) -> list[Outcome]:
        """One Outcome per input, in input order, from one Outcome per change (same order)."""
        if len(outcomes) != len(self.changes):
            raise ValueError(f"{len(outcomes)} outcomes for {len(self.changes)} changes")
        results = dict(self.settled)
        for change, outcome in zip(self.changes, outcomes):
            first, *others = change.inputs
            results[first] = outcome
            what = change.kind.what
            for raw in others:
                results[raw] = Outcome(raw, outcome.sid, outcome.status, outcome.code, f"same {what} as {first}")
        return [results[raw] for raw in self.inputs]


def plan_senders(
    client: Any, kind: SenderKind, service_sid: str, refs: Sequence[Ref], *, attach: bool,
    country: str | None = None, concurrency: int = DEFAULT_CONCURRENCY, progress: Progress = no_progress,
) -> SenderPlan:
    """List the service's senders once and decide, per input, what (if anything) to send."""
    return _SenderPlanner(client, kind, attach, country, bounded(concurrency), progress).plan(service_sid, refs)


@dataclass
class _SenderPlanner:
    client: Any
    kind: SenderKind
    attach: bool
    country: str | None
    concurrency: int
    progress: Progress

    def plan(self, service_sid: str, refs: Sequence[Ref]) -> SenderPlan:
        refs = list(refs)
        current = list(self.client.list_senders(self.kind, service_sid))
        looked_up = self._look_up([r for r in refs if r.e164 and not self._find(current, r)])
        settled: dict[str, Outcome] = {}
        account: dict[str, dict] = {}
        planned: dict[Any, tuple[Ref, str | None, list[str]]] = {}  # key -> ref, sid, inputs
        for ref in refs:
            if ref.e164 and ref.raw in looked_up:
                number = looked_up[ref.raw]
                if isinstance(number, MsgsvcError):
                    settled[ref.raw] = failure(ref.raw, None, number)
                    continue
                if number is None:
                    settled[ref.raw] = failed(ref.raw, NOT_ON_ACCOUNT)
                    continue
                ref = Ref(ref.raw, sid=number["sid"], e164=ref.e164)
                account[number["sid"]] = number
            found = self._find(current, ref)
            if isinstance(found, Outcome):
                settled[ref.raw] = found
                continue
            if self.attach and found is not None:
                settled[ref.raw] = Outcome(ref.raw, found.get("sid"), ALREADY_ATTACHED)
                continue
            if not self.attach and found is None:
                settled[ref.raw] = Outcome(ref.raw, ref.sid, NOT_ATTACHED)
                continue
            sid = found.get("sid") if found is not None else ref.sid
            key = sid or (ref.text, self.country or "")
            if key in planned:
                planned[key][2].append(ref.raw)
            else:
                planned[key] = (ref, sid, [ref.raw])
        changes = [self._change(service_sid, ref, sid, inputs) for ref, sid, inputs in planned.values()]
        return SenderPlan(tuple(ref.raw for ref in refs), changes, settled, current, account)

    def _change(self, service_sid: str, ref: Ref, sid: str | None, inputs: list[str]) -> Change:
        form = self.kind.attach_form(sid or ref.text or "", self.country) if self.attach else ()
        return Change(ATTACH if self.attach else DETACH, self.kind.name, service_sid, sid, inputs, form)

    def _find(self, current: list[dict], ref: Ref) -> dict | Outcome | None:
        """The one current sender that `ref` names, None, or a failed Outcome when ambiguous."""
        if self.attach or self.country is not None:
            country = self.country or ""  # attach without --country: the default sender
        else:
            country = None  # detach without --country: any country
        matches = [r for r in current if self.kind.matches(r, ref, country)]
        if len(matches) > 1:
            return failed(ref.raw, self.kind.ambiguity(ref.raw, matches) + "; give --country or the SID")
        return matches[0] if matches else None

    def _look_up(self, refs: list[Ref]) -> dict[str, dict | MsgsvcError | None]:
        """E.164 -> the account's IncomingPhoneNumber (None: not on this account; the error
        when the look-up itself failed), concurrently."""
        if not refs:
            return {}

        def find(ref: Ref) -> dict | MsgsvcError | None:
            try:
                return self.client.find_account_sender(self.kind, ref.e164)
            except MsgsvcError as error:
                if fatal(error) or not isinstance(error, (ApiError, NetworkError)):
                    raise
                error.message = f"looking up {ref.e164} failed: {error.message}"
                return error

        # One request per distinct number, however many spellings of it were given; for many
        # numbers, one listing of the account (1,000 a page) instead of a request each.
        unique = list({ref.e164: ref for ref in refs}.values())
        by_e164 = self._account_numbers(unique) if len(unique) > LIST_ACCOUNT_ABOVE else None
        if by_e164 is None:
            with self.progress("Looking up numbers", len(unique)) as advance:
                numbers = run_pool(unique, find, concurrency=self.concurrency, done=advance)
            by_e164 = {ref.e164: number for ref, number in zip(unique, numbers)}
        return {ref.raw: by_e164.get(ref.e164) for ref in refs}

    def _account_numbers(self, refs: list[Ref]) -> dict[str, dict] | None:
        """The account's numbers that `refs` name, from one listing; None when the listing
        failed in a way a look-up per number might not (then those run instead)."""
        wanted = {ref.e164 for ref in refs}
        found: dict[str, dict] = {}
        try:
            field = self.kind.account_list[3] if self.kind.account_list else "phone_number"
            for number in self.client.account_senders(self.kind):
                if number.get(field) in wanted:
                    found[number[field]] = number
                    if len(found) == len(wanted):
                        break  # no page is fetched once every number was found
        except MsgsvcError as error:
            if fatal(error) or not isinstance(error, (ApiError, NetworkError)):
                raise
            return None
        return found
