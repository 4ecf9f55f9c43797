"""The classification table, checked against recorded QBO error bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ml_connector.connectors.quickbooks.errors import Classifier
from ml_connector.engine import errors

CASES = json.loads((Path(__file__).parent / "fixtures" / "error_bodies.json")
                   .read_text(encoding="utf-8"))["cases"]
REAUTH = "ml-connector connections auth qbo"


def response(case: dict[str, Any]) -> httpx.Response:
    request = httpx.Request(case["method"], "https://qbo.test/v3/company/1/customer")
    headers = {"intuit_tid": "tid-1", **case.get("headers", {})}
    if "text" in case:
        return httpx.Response(case["status"], text=case["text"], request=request,
                              headers=headers)
    return httpx.Response(case["status"], json=case["body"], request=request, headers=headers)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_recorded_answer_gets_its_class(case: dict[str, Any]) -> None:
    error = Classifier(REAUTH, throttle_wait=60)(response(case))
    if case["expect"] is None:
        assert error is None
        return
    assert type(error) is getattr(errors, case["expect"])
    assert error.code == case["code"]
    if "retry_after" in case:
        assert isinstance(error, errors.RetryableError)
        assert error.retry_after == case["retry_after"]
    if "reauth" in case:
        assert isinstance(error, errors.AuthError)
        assert (error.reauth_command == REAUTH) is case["reauth"]
