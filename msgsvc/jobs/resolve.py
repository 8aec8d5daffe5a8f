"""Finding what the user named: a Messaging Service by SID or by its exact friendly name."""

from __future__ import annotations

from typing import Any

from msgsvc.errors import NotFoundError, UsageError


def resolve_service(client: Any, ref: str) -> str:
    """The SID of SERVICE: an MG SID as is, or the one service whose friendly name is `ref`."""
    from msgsvc.api import validate

    if validate.is_sid(ref, "MG"):
        return ref
    if not ref.strip():
        raise UsageError("SERVICE is empty: give an MG... SID or a service's friendly name")
    services = list(client.list_services())
    matches = [s for s in services if s.get("friendly_name") == ref]
    if len(matches) == 1:
        sid = matches[0].get("sid")
        if not isinstance(sid, str) or not validate.is_sid(sid, "MG"):
            from msgsvc.api.client import ResponseError

            raise ResponseError(f"the service named {ref!r} came back without a valid sid: {sid!r}")
        return sid
    if not matches:
        import difflib

        names = [s.get("friendly_name") or "" for s in services]
        # Case does not count in the suggestions: "alerts-eu" is close to "Alert".
        by_folded: dict[str, list[str]] = {}
        for n in names:
            by_folded.setdefault(n.lower(), []).append(n)
        close = difflib.get_close_matches(ref.lower(), list(by_folded), n=5, cutoff=0.6)
        candidates = list(dict.fromkeys(n for key in close for n in by_folded[key]))
        hint = (
            "did you mean: " + ", ".join(repr(n) for n in candidates)
            if candidates
            else "list the services with: msgsvc services list"
        )
        raise NotFoundError(f"no service is named {ref!r}", hint=hint)
    listing = "; ".join(f"{s.get('sid')} (created {s.get('date_created')})" for s in matches)
    raise UsageError(
        f"{len(matches)} services are named {ref!r}: {listing}",
        hint="name the service by its SID",
    )
