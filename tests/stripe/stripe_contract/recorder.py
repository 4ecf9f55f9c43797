"""Record every request sent through the shared HTTP client during a test, then check the
Stripe ones against Stripe's API description, and the objects read against the package's
classes. Used as an autouse fixture wherever the Stripe connector runs (its own tests and the
end-to-end ones), so no request escapes the contract."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ml_connector.engine.http.client import ApiClient
from stripe_contract.requests import check_request
from stripe_contract.shapes import check_resource
from stripe_contract.walk import resources_in


def record_and_check(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[httpx.Request]]:
    sent: list[httpx.Request] = []
    answers: list[httpx.Response] = []
    original = ApiClient._send

    def recording(self: ApiClient, request: httpx.Request, started: float) -> httpx.Response:
        sent.append(request)
        response = original(self, request, started)
        answers.append(response)
        return response

    monkeypatch.setattr(ApiClient, "_send", recording)
    yield sent
    problems = [problem for request in sent if request.url.path.startswith("/v1/")
                for problem in check_request(request.method, request.url.path,
                                             request.url.query.decode(),
                                             request.content.decode())]
    assert problems == [], "requests Stripe would not accept as sent"
    shapes = sorted({problem for response in answers for obj in _objects(response)
                     for problem in check_resource(obj)})
    assert shapes == [], "objects the connector read that the stripe package would not"


def _objects(response: httpx.Response) -> list[dict[str, Any]]:
    if not response.request.url.path.startswith("/v1/") or response.status_code >= 400:
        return []
    try:
        return list(resources_in(response.json()))
    except ValueError:
        return []
