"""The emulated account: its services, senders and phone numbers, and the API's rules.

Every public method takes the one lock, so concurrent requests (a bulk attach from many
threads) see and leave a consistent state; each change is written to the state file behind
the request (state.py). Records are plain JSON-able dicts (model.py); routes.py renders them.
Other parts of the emulator follow the store's changes through its hooks (on_service_deleted:
A2P deletes the service's campaign), registered when the server is built.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from msgsvc.api.validate import is_sid
from msgsvc.emulator.errors import Fault, invalid, missing, not_found
from msgsvc.emulator.model import (
    ALPHA_SENDER, ALREADY_IN_SERVICE, DEFAULT_POOL_LIMIT, IN_ANOTHER_SERVICE, INVALID_ALPHA_SENDER, POOL_FULL, POOL_TABLES,
    SERVICE_DEFAULTS, Kind, in_pool, new_sid, parse_service_form, phone_number_matcher,
)
from msgsvc.emulator.state import StateFile

# Seconds a new or updated A2P campaign stays in review (the emulator's --a2p-review).
A2P_REVIEW_SECONDS = 5.0
# Seconds a new or resubmitted toll-free verification stays in review (--tollfree-review).
TOLLFREE_REVIEW_SECONDS = 5.0


class Store(StateFile):
    def __init__(self, data: dict[str, Any], path: Path | None = None, pool_limit: int = DEFAULT_POOL_LIMIT) -> None:
        super().__init__(data, path)
        self.a2p_review = A2P_REVIEW_SECONDS  # see emulator/a2p.py
        self.tollfree_review = TOLLFREE_REVIEW_SECONDS  # see emulator/tollfree.py
        self.pool_limit = pool_limit  # a server option (--pool-limit), not part of the state
        # The messages' clock (wall seconds) and lifecycle (emulator/messages.py); tests set a fake clock.
        self.clock: Callable[[], float] = time.time
        self.message_steps: dict[str, float] = {"queued": 1.0, "sending": 2.0, "sent": 3.0, "delivered": 5.0}
        # Phone numbers and short codes per service, kept up to date: a bulk attach to a
        # 100,000-number account does not count the account's numbers for every POST.
        self._pool: Counter[str] = Counter(
            r["service_sid"] for table in POOL_TABLES for r in data[table].values() if r["service_sid"]
        )
        # Called with (store, service SID) while the lock is held, before the service's senders go.
        self.on_service_deleted: list[Callable[[Store, str], None]] = []

    @property
    def account_sid(self) -> str:
        return self.data["account_sid"]

    @property
    def auth_token(self) -> str:
        return self.data["auth_token"]

    @property
    def api_key(self) -> tuple[str, str]:
        return next(iter(self.data["api_keys"].items()))

    def _next_seq(self) -> int:
        self.data["seq"] += 1
        return self.data["seq"]

    # --- auth ----------------------------------------------------------------------------

    def knows(self, username: str) -> bool:
        """Whether `username` is the account's SID or one of its API keys."""
        with self.lock:
            return username == self.account_sid or username in self.data["api_keys"]

    def authenticate(self, username: str, password: str) -> bool:
        with self.lock:
            # As bytes: compare_digest refuses str that is not ASCII (a 500, not a 401).
            if username == self.account_sid:
                return secrets.compare_digest(password.encode(), self.auth_token.encode())
            secret = self.data["api_keys"].get(username)
            return secret is not None and secrets.compare_digest(password.encode(), secret.encode())

    # --- services ------------------------------------------------------------------------

    def _service(self, sid: str, path: str) -> dict[str, Any]:
        service = self.data["services"].get(sid)
        if service is None:
            raise not_found(path)
        return service

    def create_service(self, form: dict[str, str]) -> dict[str, Any]:
        if not form.get("FriendlyName"):
            raise missing("FriendlyName")
        changes = parse_service_form(form)
        with self.lock:
            now = time.time()
            service = {"sid": new_sid("MG"), **SERVICE_DEFAULTS, **changes, "seq": self._next_seq(), "created": now, "updated": now}
            self.data["services"][service["sid"]] = service
            self.changed(("services", service["sid"]))
            return dict(service)

    def get_service(self, sid: str, path: str) -> dict[str, Any]:
        with self.lock:
            return dict(self._service(sid, path))

    def list_services(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(s) for s in self.data["services"].values()]

    def update_service(self, sid: str, form: dict[str, str], path: str) -> dict[str, Any]:
        changes = parse_service_form(form)
        with self.lock:
            service = self._service(sid, path)
            service.update(changes)
            service["updated"] = time.time()
            self.changed(("services", sid))
            return dict(service)

    def delete_service(self, sid: str, path: str) -> None:
        with self.lock:
            self._service(sid, path)
            del self.data["services"][sid]
            self._pool.pop(sid, None)
            for hook in self.on_service_deleted:  # e.g. A2P: its campaign goes with it
                hook(self, sid)
            for table in ("numbers", "short_codes", "channel_senders"):  # back to the account
                for record in self.data[table].values():
                    if record["service_sid"] == sid:
                        record.update(service_sid=None, attached=None)
            for table in ("alpha_senders", "destination_alpha_senders"):  # gone with it
                for key in [k for k, r in self.data[table].items() if r["service_sid"] == sid]:
                    del self.data[table][key]
            self.changed()

    # --- senders -------------------------------------------------------------------------

    def _table_name(self, kind: Kind) -> str:
        return "numbers" if kind.name == "phone_numbers" else kind.name

    def _table(self, kind: Kind) -> dict[str, dict[str, Any]]:
        return self.data[self._table_name(kind)]

    def add_sender(self, kind: Kind, service_sid: str, form: dict[str, str], path: str) -> dict[str, Any]:
        with self.lock:
            self._service(service_sid, path)
            if kind.pooled:
                return self._attach(kind, service_sid, form)
            return self._create_alpha(kind, service_sid, form)

    def _attach(self, kind: Kind, service_sid: str, form: dict[str, str]) -> dict[str, Any]:
        value = form.get(kind.form_field)
        if not value:
            raise missing(kind.form_field)
        what = {"PN": "Phone Number", "SC": "Short Code", "XE": "Channel Sender"}[kind.prefix]
        record = self._table(kind).get(value) if is_sid(value, kind.prefix) else None
        if record is None:
            if kind.prefix == "XE":
                raise invalid(f"{kind.form_field} {value} is not a channel sender of this account")
            raise invalid(f"Invalid {what} Sid {value}: it is not a {what.lower()} of this account", 21421)
        if record["service_sid"] == service_sid:
            raise Fault(409, ALREADY_IN_SERVICE, f"{what} {value} is already in the Messaging Service {service_sid}")
        if record["service_sid"] is not None:
            raise Fault(
                409, IN_ANOTHER_SERVICE,
                f"{what} {value} is already associated with another Messaging Service "
                f"({record['service_sid']}); a sender can belong to only one",
            )
        if kind.prefix == "PN" and not (record["capabilities"]["sms"] or record["capabilities"]["mms"]):
            raise invalid(f"Phone Number {record['phone_number']} ({value}) has no SMS or MMS capability and cannot be added to a Messaging Service", 21715)
        if in_pool(kind) and self._pool_size(service_sid) >= self.pool_limit:
            raise Fault(
                412, POOL_FULL,
                f"Number Pool size limit reached: the Messaging Service {service_sid} already holds "
                f"{self.pool_limit} phone numbers and short codes",
            )
        now = time.time()
        record.update(service_sid=service_sid, attached=now, attach_seq=self._next_seq())
        if in_pool(kind):
            self._pool[service_sid] += 1
        self.changed((self._table_name(kind), value))
        return dict(record)

    def _pool_size(self, service_sid: str) -> int:
        """The phone numbers and short codes in the service (channel senders do not count)."""
        return self._pool[service_sid]

    def _create_alpha(self, kind: Kind, service_sid: str, form: dict[str, str]) -> dict[str, Any]:
        value = form.get("AlphaSender")
        if not value:
            raise missing("AlphaSender")
        if not ALPHA_SENDER.fullmatch(value) or value.isdigit():
            raise invalid(
                f"AlphaSender {value!r} is invalid: 1 to 11 characters from A-Z a-z 0-9, space, "
                "- + _ &, and not digits only", INVALID_ALPHA_SENDER,
            )
        country = ""
        if kind.name == "destination_alpha_senders":
            country = form.get("IsoCountryCode", "")
            if country and not re.match(r"^[A-Za-z]{2}$", country):
                raise invalid(f"IsoCountryCode {country!r} is not a two-letter ISO country code")
            country = country.upper()
        for other in self._table(kind).values():  # one per service (per country for destination ones)
            if other["service_sid"] == service_sid and other.get("iso_country_code", "") == country:
                where = f" for {country}" if country else ""
                raise invalid(f"The Messaging Service {service_sid} already has an alpha sender{where} ({other['alpha_sender']})")
        now = time.time()
        record = {
            "sid": new_sid("AI"),
            "service_sid": service_sid,
            "alpha_sender": value,
            "capabilities": ["SMS"],
            "created": now,
            "updated": now,
            "seq": self._next_seq(),
        }
        if kind.name == "destination_alpha_senders":
            record["iso_country_code"] = country
        self._table(kind)[record["sid"]] = record
        self.changed((self._table_name(kind), record["sid"]))
        return dict(record)

    def get_sender(self, kind: Kind, service_sid: str, sid: str, path: str) -> dict[str, Any]:
        with self.lock:
            self._service(service_sid, path)
            record = self._table(kind).get(sid)
            if record is None or record["service_sid"] != service_sid:
                raise not_found(path)
            return dict(record)

    def list_senders(self, kind: Kind, service_sid: str, path: str, country: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            self._service(service_sid, path)
            records = [dict(r) for r in self._table(kind).values() if r["service_sid"] == service_sid]
        if country is not None:
            records = [r for r in records if r.get("iso_country_code", "").upper() == country.upper()]
        key = "attach_seq" if kind.pooled else "seq"
        return sorted(records, key=lambda r: r[key])

    def remove_sender(self, kind: Kind, service_sid: str, sid: str, path: str) -> None:
        with self.lock:
            self._service(service_sid, path)
            record = self._table(kind).get(sid)
            if record is None or record["service_sid"] != service_sid:
                raise not_found(path)
            if kind.pooled:
                record.update(service_sid=None, attached=None)
                if in_pool(kind):
                    self._pool[service_sid] -= 1
            else:
                del self._table(kind)[sid]
            self.changed((self._table_name(kind), sid))

    # --- the 2010 API's IncomingPhoneNumbers ----------------------------------------------

    def incoming_numbers(self, phone_number: str | None = None, friendly_name: str | None = None, origin: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            records = [dict(r) for r in self.data["numbers"].values()]
        if phone_number:
            match = phone_number_matcher(phone_number)
            records = [r for r in records if match(r["phone_number"])]
        if friendly_name is not None:
            records = [r for r in records if r["friendly_name"] == friendly_name]
        if origin:
            records = [r for r in records if r["origin"] == origin]
        return records

    def incoming_number(self, sid: str, path: str) -> dict[str, Any]:
        with self.lock:
            record = self.data["numbers"].get(sid)
            if record is None:
                raise not_found(path)
            return dict(record)

    def account_short_codes(self, short_code: str | None = None, friendly_name: str | None = None) -> list[dict[str, Any]]:
        """The 2010 API's SMS/ShortCodes of the account; ShortCode matches as PhoneNumber does."""
        with self.lock:
            records = [dict(r) for r in self.data["short_codes"].values()]
        if short_code:
            match = phone_number_matcher(short_code)
            records = [r for r in records if match(r["short_code"])]
        if friendly_name is not None:
            records = [r for r in records if r["short_code"] == friendly_name]
        return records

    def senders(self) -> dict[str, list[dict[str, Any]]]:
        """The account's short codes and channel senders, SID and what a user types, for the banner."""
        with self.lock:
            return {
                "short_codes": [{"sid": r["sid"], "short_code": r["short_code"]} for r in self.data["short_codes"].values()],
                "channel_senders": [{"sid": r["sid"], "sender": r["sender"]} for r in self.data["channel_senders"].values()],
            }

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {t: len(self.data[t]) for t in ("services", "numbers", "short_codes", "channel_senders")}


