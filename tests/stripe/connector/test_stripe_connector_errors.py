"""Error classification from recorded Stripe error bodies (`recorded_errors.json`).

Each entry is a real answer (status, headers, body) recorded from the emulator or quoted
from Stripe's reference, with the engine error the connector must turn it into.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ml_connector.connectors.stripe import errors
from ml_connector.engine import errors as engine_errors
from ml_connector.engine.http import RetryPolicy

RECORDED = json.loads((Path(__file__).parent / "recorded_errors.json").read_text())


def _response(entry: dict[str, Any]) -> httpx.Response:
    request = httpx.Request("POST", "https://api.stripe.com/v1/customers")
    if entry["body"] is None:
        return httpx.Response(entry["status"], headers=entry["headers"],
                              text=entry["text"], request=request)
    return httpx.Response(entry["status"], headers=entry["headers"], json=entry["body"],
                          request=request)


@pytest.mark.parametrize("entry", RECORDED, ids=[e["name"] for e in RECORDED])
def test_recorded_bodies_are_classified(entry: dict[str, Any]) -> None:
    error = errors.classify(_response(entry), reauth_command="ml-connector connections "
                                                             "set-secret stripe secret_key")
    assert type(error).__name__ == entry["expected"]
    assert error.status == entry["status"]
    if entry["body"]:
        assert error.code == entry["body"]["error"].get("code")


def test_successes_are_not_errors() -> None:
    assert errors.classify(httpx.Response(200, json={}, request=httpx.Request("GET", "/"))) \
        is None


def test_messages_quote_stripe_but_mask_email_addresses() -> None:
    body = {"error": {"type": "invalid_request_error", "code": "email_invalid",
                      "param": "email", "message": "Invalid email address: jane@acme.example"}}
    response = httpx.Response(400, json=body, request=httpx.Request("POST", "https://x/v1/c"))
    message = str(errors.classify(response))
    assert "jane@acme.example" not in message
    assert "email_invalid" in message and "param email" in message


def test_auth_errors_name_the_command_that_fixes_them() -> None:
    entry = next(e for e in RECORDED if e["name"] == "invalid_api_key")
    error = errors.classify(_response(entry), reauth_command="ml-connector connections "
                                                             "set-secret stripe secret_key")
    assert isinstance(error, engine_errors.AuthError)
    assert "set-secret stripe secret_key" in str(error)


def test_retry_after_is_kept_for_the_backoff() -> None:
    response = httpx.Response(429, headers={"Retry-After": "7"},
                              json={"error": {"type": "invalid_request_error",
                                              "code": "rate_limit", "message": "slow down"}},
                              request=httpx.Request("GET", "https://x/v1/customers"))
    error = errors.classify(response)
    assert isinstance(error, engine_errors.RetryableError) and error.retry_after == 7.0
    assert RetryPolicy(jitter=False).wait_after(1, error) == 7.0


def test_every_rule_is_reachable() -> None:
    """No rule hides behind an earlier one: each has a recorded or constructed example."""
    seen = set()
    for entry in RECORDED:
        response = _response(entry)
        body = errors.error_body(response)
        for index, rule in enumerate(errors.RULES):
            if rule.matches(response.status_code, body.get("type"), body.get("code")):
                seen.add(index)
                break
    assert seen == set(range(len(errors.RULES)))
