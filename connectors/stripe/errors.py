"""Stripe answers classified into the engine's error tree, from one table.

A rule matches on HTTP status, `error.type` and `error.code` (None = any); the first match
wins. `Stripe-Should-Retry` overrides the table either way: Stripe knows better than a status
code whether repeating the request (with the same idempotency key) can succeed.

Messages quote Stripe's own `error.message` (with e-mail addresses masked), `code` and
`param`, never the request; the `Request-Id` travels on the error for the audit trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from ml_connector.engine.errors import (
    AuthError,
    ConnectorError,
    ImmutableTargetError,
    NotFoundError,
    PermanentError,
    RetryableError,
)
from ml_connector.engine.http import classify_status, parse_retry_after

# Stripe quotes rejected values in some messages; an e-mail address must not reach the audit.
_EMAIL = re.compile(r"[^\s@'\"]+@[^\s@'\"]+")


@dataclass(frozen=True)
class Rule:
    status: int | None
    type: str | None
    code: str | None
    kind: type[ConnectorError]
    why: str

    def matches(self, status: int, error_type: str | None, code: str | None) -> bool:
        return ((self.status is None or self.status == status)
                and (self.type is None or self.type == error_type)
                and (self.code is None or self.code == code))


RULES: tuple[Rule, ...] = (
    Rule(None, None, "lock_timeout", RetryableError, "another request holds the object"),
    Rule(None, None, "rate_limit", RetryableError, "rate limited"),
    Rule(409, None, None, RetryableError, "a concurrent request uses the idempotency key"),
    Rule(None, "api_error", None, RetryableError, "Stripe-side error"),
    Rule(None, "idempotency_error", None, PermanentError,
         "an idempotency key was reused with other parameters"),
    Rule(None, None, "resource_missing", NotFoundError, "no such object"),
    Rule(None, None, "invoice_not_editable", ImmutableTargetError,
         "the invoice is finalized"),
    Rule(None, "card_error", None, PermanentError, "the payment was declined"),
    Rule(401, None, None, AuthError, "the API key was refused"),
    Rule(403, None, None, AuthError, "the API key lacks a permission"),
    Rule(404, None, None, NotFoundError, "no such object or URL"),
    Rule(None, "invalid_request_error", None, PermanentError, "the request is invalid"),
)


def error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def classify(response: httpx.Response, *, reauth_command: str | None = None
             ) -> ConnectorError | None:
    """None for a success; otherwise the engine error Stripe's answer calls for."""
    status = response.status_code
    if status < 400:
        return None
    error = error_body(response)
    error_type, code = error.get("type"), error.get("code")
    kind = _kind(status, error_type, code, response.headers.get("Stripe-Should-Retry"))
    if kind is None:
        return classify_status(response)
    message = _message(response, error)
    if kind is AuthError:
        return AuthError(message, reauth_command=reauth_command, status=status, code=code)
    if kind is RetryableError:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RetryableError(message, retry_after=retry_after, status=status, code=code)
    return kind(message, status=status, code=code)


def _kind(status: int, error_type: str | None, code: str | None,
          should_retry: str | None) -> type[ConnectorError] | None:
    if should_retry == "true":
        return RetryableError
    for rule in RULES:
        if rule.matches(status, error_type, code):
            if should_retry == "false" and rule.kind is RetryableError:
                return PermanentError
            return rule.kind
    if status >= 500:
        return PermanentError if should_retry == "false" else RetryableError
    return None


def _message(response: httpx.Response, error: dict[str, Any]) -> str:
    request = response.request
    parts = [f"Stripe {response.status_code} on {request.method} {request.url.path}"]
    detail = ", ".join(f"{k} {error[k]}" for k in ("type", "code", "param") if error.get(k))
    if detail:
        parts.append(f"({detail})")
    if error.get("message"):
        parts.append(f": {_EMAIL.sub('<email>', str(error['message']))}")
    return " ".join(parts[:2]) + "".join(parts[2:])
