"""The emulator's error answers: a Fault is an HTTP status with Twilio's error code and message,
raised anywhere below a route and turned into Twilio's JSON error body by the routing."""

from __future__ import annotations

from typing import Any

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class Fault(Exception):
    """An error answer of the API: HTTP status and Twilio's error code and message."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None,
                 detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.detail = detail  # Twilio adds one to some errors (401)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code}
        if self.detail is not None:
            body["detail"] = self.detail
        body.update(message=self.message, more_info=MORE_INFO.format(code=self.code), status=self.status)
        return body


def not_found(path: str) -> Fault:
    """20404, naming the path as Twilio does: without the Messaging API's `/v1` (its host
    carries the product); the 2010 API's paths keep `/2010-04-01`."""
    shown = path[3:] if path.startswith("/v1/") else path
    return Fault(404, 20404, f"The requested resource {shown} was not found")


def invalid(message: str, code: int = 20001) -> Fault:
    return Fault(400, code, message)


def missing(name: str) -> Fault:
    return invalid(f"Missing required parameter {name} in the post body")
