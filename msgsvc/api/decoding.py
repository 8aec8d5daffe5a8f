"""Answers into values or errors: strict JSON bodies (no NaN, no Infinity), and Twilio's
error bodies (or an HTML error page) into ApiError, ResponseError."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from msgsvc.api.validate import finite, mask_url_passwords
from msgsvc.errors import ApiError, ResponseError

if TYPE_CHECKING:
    from msgsvc.api.transport import Answer


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")



def _finite(text: str) -> float:
    value = float(text)
    if not finite(value):
        raise ValueError(f"{text} is too large a number")
    return value

# What servers send is read as RFC 8259 JSON: no NaN or Infinity (Python's json accepts them,
# and would then write them back out, which is not JSON), no number that overflows a float.
STRICT = {"parse_constant": _no_constant, "parse_float": _finite}


def loads(body: bytes | str) -> Any:
    """JSON from a server: ValueError for anything that is not strict JSON, nesting deeper
    than Python can decode included (a RecursionError otherwise)."""
    try:
        return json.loads(body, **STRICT)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None



def decode(response: Answer, method: str, url: str) -> Any:
    status = response.status_code
    body = response.content
    if 200 <= status < 300:
        if not body.strip():
            if status == 204 or method == "DELETE":
                return None
            raise ResponseError(f"{method} {url} answered HTTP {status} with an empty body")
        try:
            return loads(body)
        except ValueError as exc:
            raise ResponseError(
                f"{method} {url} answered HTTP {status} with something that is not JSON"
                + (f" ({exc})" if "nested" in str(exc) else "") + f": {excerpt(response)}"
            ) from None
    raise api_error(response, method, url)


def api_error(response: Answer, method: str, url: str) -> ApiError:
    status = response.status_code
    try:
        body = loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and ("message" in body or "code" in body or "detail" in body):
        code = body.get("code")
        return ApiError(
            status,
            str(body.get("message") or body.get("detail") or body.get("title") or "no message"),
            code=code if isinstance(code, int) else None,
            more_info=body.get("more_info") if isinstance(body.get("more_info"), str) else None,
            method=method,
            url=url,
        )
    reason = response.reason or "error"
    text = excerpt(response)
    if 300 <= status < 400:  # never followed: credentials stay on the host msgsvc chose
        location = response.headers.get("Location")
        # Masked before it is cut: cut first, a password would lose the @ that marks it as one.
        where = f"a redirect to {mask_url_passwords(location)[:200]}" if location else "a redirect"
        return ApiError(status, f"{reason}: {where}, not followed ({method} {url})", method=method, url=url,
                        hint="Twilio's API does not redirect: check the base URL (msgsvc profiles show), or what stands "
                             "between (a proxy, a gateway)")
    return ApiError(status, f"{reason}" + (f": {text}" if text else ""), method=method, url=url)


def excerpt(response: Answer, size: int = 160) -> str:
    """A short, single-line excerpt of a body that is not JSON (an HTML error page)."""
    text = response.content[:4096].decode("utf-8", "replace")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    if title:
        text = title.group(1)
    else:
        text = re.sub(r"<[^>]+>", " ", text)
    text = " ".join(text.split())
    return text[:size].rstrip() + "…" if len(text) > size else text


