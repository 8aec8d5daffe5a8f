"""Finding what the user named: a Messaging Service by SID or by its exact friendly name.

The one rule, for a command's SERVICE argument, `export`'s list of services and a setup file's
services: an MG SID names the service with that SID (typed in any case: validate.canonical_sid);
anything else names the services whose friendly name is exactly that text (case and spaces
count; names that only look alike are two names: msgsvc.setup.diff.lookalike warns of those). None is "not found"; several are
ambiguous, and only a SID tells them apart. `Services.named` is that comparison's one home:
it also decides whether `services create` would make a second service of a name
(`refuse_taken_name`) and which services a lost create may have made (msgsvc.jobs.executor).
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Iterable, Mapping, TypeVar

from msgsvc.errors import NotFoundError, UsageError

T = TypeVar("T")


class Services(Generic[T]):
    """Services as read (records, or anything `record` turns into one), indexed by the rule."""

    def __init__(self, services: Iterable[T], record: Callable[[T], Mapping[str, Any]] = lambda s: s) -> None:
        self.items = list(services)
        self.by_sid: dict[Any, list[T]] = {}
        self.by_name: dict[Any, list[T]] = {}
        for item in self.items:
            r = record(item)
            self.by_sid.setdefault(r.get("sid"), []).append(item)
            self.by_name.setdefault(r.get("friendly_name"), []).append(item)
        self.record = record

    def with_sid(self, sid: str) -> list[T]:
        return list(self.by_sid.get(sid, ()))

    def named(self, name: str) -> list[T]:
        """The services whose friendly name is exactly `name`."""
        return list(self.by_name.get(name, ()))

    def find(self, ref: str) -> list[T]:
        """The services `ref` names: an MG SID (in any case) by its SID, anything else by exact
        friendly name."""
        from msgsvc.api import validate

        sid = validate.canonical_sid(ref, "MG")
        return self.with_sid(sid) if sid is not None else self.named(ref)

    def pick(self, ref: str, *, hint: str = "list the services with: msgsvc services list") -> T:
        """The one service `ref` names; NotFoundError (with close names, else `hint`) or
        UsageError when a name is shared."""
        from msgsvc.api import validate

        found = self.find(ref)
        if len(found) == 1:
            return found[0]
        if not found:
            sid = validate.canonical_sid(ref, "MG")
            if sid is not None:
                raise NotFoundError(f"no service is {sid!r}", hint=hint)
            raise NotFoundError(f"no service is named {ref!r}", hint=self._close(ref) or hint)
        listing = "; ".join(self._listed(self.record(s)) for s in found)
        raise UsageError(f"{len(found)} services are named {ref!r}: {listing}",
                         hint="use the SID of the one you mean instead of the name; or rename one: "
                              "msgsvc services update SID --friendly-name NEW_NAME")

    @staticmethod
    def _listed(record: Mapping[str, Any]) -> str:
        created = record.get("date_created")
        return f"{record.get('sid')} (created {created})" if created else str(record.get("sid"))

    def _close(self, ref: str) -> str:
        import difflib

        # Case does not count in the suggestions: "alerts-eu" is close to "Alert".
        by_folded: dict[str, list[str]] = {}
        for name in self.by_name:
            by_folded.setdefault((name or "").lower(), []).append(name or "")
        close = difflib.get_close_matches(ref.lower(), list(by_folded), n=5, cutoff=0.6)
        candidates = list(dict.fromkeys(n for key in close for n in by_folded[key]))
        return "did you mean: " + ", ".join(repr(n) for n in candidates) if candidates else ""


def resolve_service(client: Any, ref: str) -> str:
    """The SID of SERVICE: an MG SID in Twilio's spelling (no request), or the one service
    named `ref`."""
    from msgsvc.api import validate

    typed = validate.canonical_sid(ref, "MG")
    if typed is not None:
        return typed
    if not ref.strip():
        raise UsageError("SERVICE is empty: give an MG... SID or a service's friendly name")
    sid = Services(client.list_services()).pick(ref).get("sid")
    if not isinstance(sid, str) or not validate.is_sid(sid, "MG"):
        from msgsvc.api.client import ResponseError

        raise ResponseError(f"the service named {ref!r} came back without a valid sid: {sid!r}")
    return sid


def refuse_taken_name(services: Services, name: str) -> None:
    """A friendly name is one service's: UsageError (exit 2, nothing sent) naming the services
    that already have `name`, so that `services create` does not make a second one (after
    which every look-up of the name and every plan fails)."""
    taken = services.named(name)
    if not taken:
        return
    listing = "; ".join(Services._listed(services.record(s)) for s in taken)
    which = "a service is" if len(taken) == 1 else f"{len(taken)} services are"
    from msgsvc.api import validate

    # A command to paste only with a real SID: a server's "sid" could be `x; rm -rf ~`.
    sid = services.record(taken[0]).get("sid")
    use = f"use it (msgsvc services get {sid})" if len(taken) == 1 and validate.pasteable_sid(sid, "MG") else \
        "use it by its SID" if len(taken) == 1 else "use one of them by its SID"
    raise UsageError(f"{which} already named {name!r}: {listing}",
                     hint=f"nothing was sent; {use}, or add --allow-duplicate-name to create another with that name")
