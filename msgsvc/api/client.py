"""The HTTP client for Twilio's Messaging v1 API and the bits of the core API that msgsvc uses:
a facade over the transport (transport.py: connections, hosts, deadlines, caps), the decoding of
answers and Twilio's error bodies (decoding.py), and pages and listings (pages.py). It reads;
every write is a jobs.changes.Change, sent by jobs.executor through `request`/`fetch_object`.
Nothing of the terminal: no typer, no rich, no printing. Usable from Python on its own:

    from msgsvc.api.client import Client, ClientSettings
    client = Client(ClientSettings(username="AC...", password="..."))
    for service in client.list_services(limit=10): print(service["sid"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgsvc.api import pages
from msgsvc.api.pages import Listing, PageText
from msgsvc.api.resources import BRAND, CAMPAIGN, SERVICE
from msgsvc.api.settings import ClientSettings
from msgsvc.api.monitor import MONITOR
from msgsvc.api.transport import CORE, MESSAGING, Transport, host_url, user_agent
from msgsvc.errors import ResponseError

if TYPE_CHECKING:
    from datetime import datetime

    from msgsvc.api.resources import Resource
    from msgsvc.api.senders import SenderKind

__all__ = ["CORE", "MESSAGING", "MONITOR", "Client", "ClientSettings", "Listing", "PageText", "host_url", "user_agent"]


class Client(Transport):
    """What msgsvc reads of an account, by resource; `request` (transport.py) sends anything."""

    def paginate(
        self,
        path: str,
        key: str,
        *,
        product: str = MESSAGING,
        params: dict[str, Any] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> Listing:
        """The records of a list, page by page as they are iterated (pages.paginate)."""
        return pages.paginate(self, path, key, product=product, params=params, limit=limit, page_size=page_size)

    # --- any resource of msgsvc/api/resources.py ------------------------------------------------

    def list_of(
        self, resource: Resource, parent_sid: str | None = None, *, limit: int | None = None,
        page_size: int | None = None, params: dict[str, Any] | None = None,
    ) -> Listing:
        return self.paginate(resource.collection_path(parent_sid), resource.list_key, product=resource.product,
                             params=params, limit=limit, page_size=page_size)

    def fetch(self, resource: Resource, sid: str, parent_sid: str | None = None) -> dict:
        """The object `sid` names; a ResponseError when the answer is another one (what a
        command does next, a DELETE or an update, is sent to the SID of what it fetched)."""
        found = self.fetch_object("GET", resource.instance_path(sid, parent_sid), product=resource.product)
        if "sid" in found and str(found["sid"]).lower() != sid.lower():
            raise ResponseError(
                f"GET {self.base(resource.product)}{resource.instance_path(sid, parent_sid)} answered with "
                f"another {resource.what} ({str(found['sid'])[:40]!r}); nothing was changed"
            )
        return found

    def fetch_object(self, method: str, url: str, **kw: Any) -> Any:
        """`request()` for an answer that must be one JSON object."""
        payload = self.request(method, url, **kw)
        if not isinstance(payload, dict):
            if url.startswith("/"):
                url = self.base(kw.get("product", MESSAGING)) + url
            raise ResponseError(
                f"{method} {url} answered with JSON that is not an object "
                f"({type(payload).__name__ if payload is not None else 'an empty body'})"
            )
        return payload

    # --- Messaging Services ----------------------------------------------------------------

    def list_services(self, *, limit: int | None = None, page_size: int | None = None) -> Listing:
        return self.list_of(SERVICE, limit=limit, page_size=page_size)

    def get_service(self, sid: str) -> dict:
        return self.fetch(SERVICE, sid)

    # --- Senders of a service (phone numbers, short codes, ...; see msgsvc/api/senders.py) ----

    def list_senders(
        self, kind: SenderKind, service_sid: str, *, limit: int | None = None,
        page_size: int | None = None, params: dict[str, Any] | None = None,
    ) -> Listing:
        return self.list_of(kind, service_sid, limit=limit, page_size=page_size, params=params)

    def get_sender(self, kind: SenderKind, service_sid: str, sid: str) -> dict:
        return self.fetch(kind, sid, service_sid)

    def account_senders(self, kind: SenderKind, params: dict[str, Any] | None = None) -> Listing:
        """The account's senders of `kind` in the core API (IncomingPhoneNumbers, SMS/ShortCodes),
        optionally filtered."""
        if kind.account_list is None:
            raise ValueError(f"the account's {kind.plural} cannot be listed")
        path, key, _, _ = kind.account_list
        return self.paginate(f"/2010-04-01/Accounts/{self.account_sid}/{path}", key, product=CORE, params=params)

    def find_account_sender(self, kind: SenderKind, value: str) -> dict | None:
        """The account's sender of `kind` whose number is exactly `value`, or None. Twilio's
        filters also match partially, hence the exact comparison."""
        if kind.account_list is None:
            raise ValueError(f"the account's {kind.plural} cannot be looked up")
        _, _, param, field = kind.account_list
        for record in self.account_senders(kind, {param: value}):
            if record.get(field) == value:
                return record
        return None

    def incoming_numbers(self, params: dict[str, Any] | None = None) -> Listing:
        """The account's IncomingPhoneNumbers (core API), optionally filtered."""
        from msgsvc.api.senders import NUMBERS

        return self.account_senders(NUMBERS, params)

    def account_short_codes(self, params: dict[str, Any] | None = None) -> Listing:
        """The account's short codes (core API, SMS/ShortCodes), optionally filtered."""
        from msgsvc.api.senders import SHORT_CODES

        return self.account_senders(SHORT_CODES, params)

    def find_incoming_number(self, e164: str) -> dict | None:
        """The account's IncomingPhoneNumber whose phone_number is exactly `e164`, or None."""
        from msgsvc.api.senders import NUMBERS

        return self.find_account_sender(NUMBERS, e164)

    # --- US A2P 10DLC: the account's brands, a service's campaign, use cases ------------

    def list_campaigns(self, service_sid: str, *, limit: int | None = None) -> Listing:
        """A service's US A2P 10DLC campaigns (Twilio keeps at most one per service)."""
        return self.list_of(CAMPAIGN, service_sid, limit=limit)

    def find_campaign(self, service_sid: str) -> dict | None:
        """The service's campaign, or None when it has none."""
        return next(iter(self.list_campaigns(service_sid, limit=1)), None)

    def get_campaign(self, service_sid: str, sid: str) -> dict:
        return self.fetch(CAMPAIGN, sid, service_sid)

    def campaign_usecases(self, service_sid: str, brand_sid: str | None = None) -> list[dict]:
        """The campaign use cases a brand may register on this service (all, without a brand)."""
        params = {"BrandRegistrationSid": brand_sid} if brand_sid else None
        url = f"/v1/Services/{service_sid}/Compliance/Usa2p/Usecases"
        return self._object_list(self.fetch_object("GET", url, params=params), "us_app_to_person_usecases", url)

    def service_usecases(self) -> list[dict]:
        """The values of a service's own `usecase` field, with descriptions."""
        url = "/v1/Services/Usecases"
        return self._object_list(self.fetch_object("GET", url), "usecases", url)

    def list_brands(self, *, limit: int | None = None, page_size: int | None = None) -> Listing:
        """The account's A2P brand registrations (read only here)."""
        return self.list_of(BRAND, limit=limit, page_size=page_size)

    def get_brand(self, sid: str) -> dict:
        """One brand registration; one that is not on the account is NotFoundError (exit 3),
        said the same wherever a brand is named (brands get, campaigns create)."""
        from msgsvc.errors import ApiError, NotFoundError

        try:
            return self.fetch(BRAND, sid)
        except ApiError as error:
            if error.status != 404:
                raise
            raise NotFoundError(f"no brand registration {sid} on this account",
                                hint="msgsvc brands list shows the account's brands") from None

    # --- Monitor alerts (monitor.twilio.com) ---------------------------------------------

    def list_alerts(self, start: datetime | None = None, *, log_level: str | None = None,
                    limit: int | None = None) -> Listing:
        """The account's Monitor alerts generated since `start` (all services: the list cannot
        be filtered by service), oldest first as the API pages them."""
        from msgsvc.api.monitor import ALERT, start_date

        params = {}
        if start is not None:
            params["StartDate"] = start_date(start)
        if log_level is not None:
            params["LogLevel"] = log_level
        return self.list_of(ALERT, params=params or None, limit=limit)

    def _object_list(self, payload: dict, key: str, url: str) -> list[dict]:
        items = payload.get(key)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ResponseError(f"GET {self.base()}{url} answered without a '{key}' array of objects")
        return items

