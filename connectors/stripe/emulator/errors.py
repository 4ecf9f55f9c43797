"""Stripe's error bodies, raised by handlers and rendered by the dispatcher.

Handlers raise `StripeError`; the dispatcher turns it into the JSON body and status code
Stripe sends, so every route answers errors the same way a client library expects them.
`saved` tells the idempotency layer whether the error belongs to an executed request
(Stripe replays it to retries with the same key) or to one rejected before execution.
"""

from __future__ import annotations

from typing import Any

DOCS = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An error answer: HTTP status plus the fields of Stripe's `error` object."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None, saved: bool = False,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.type = status, message, type
        self.code, self.param, self.saved = code, param, saved
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self, request_id: str, livemode: bool) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOCS + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        mode = "" if livemode else "test/"
        error["request_log_url"] = f"https://dashboard.stripe.com/{mode}logs/{request_id}"
        error.update(self.extra)
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    """The 404 for an id that names nothing (`No such customer: 'cus_x'`)."""
    label = kind.replace("_", " ")
    return StripeError(404, f"No such {label}: '{object_id}'", code="resource_missing",
                       param=param)


def invalid(message: str, param: str | None = None, code: str | None = None,
            *, saved: bool = False) -> StripeError:
    """A 400 `invalid_request_error` (wrong or inconsistent parameters)."""
    return StripeError(400, message, param=param, code=code, saved=saved)


def bad_state(message: str, code: str = "invoice_not_editable") -> StripeError:
    """A 400 for an operation the object's current status does not allow."""
    return StripeError(400, message, code=code, saved=True)
