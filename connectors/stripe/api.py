"""Stripe's HTTP API as the connector uses it: one `ApiClient`, the pinned version, form
bodies, idempotency keys, pagination and search.

Every response's `Request-Id` is collected into `request_ids`, so the records built from a
call can carry them into the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from ml_connector.connectors.stripe.errors import classify
from ml_connector.connectors.stripe.forms import encode, flatten
from ml_connector.connectors.stripe.pacing import Pacing
from ml_connector.connectors.stripe.settings import API_VERSION, StripeSettings
from ml_connector.engine.errors import NotFoundError
from ml_connector.engine.http import ApiClient, RetryPolicy

FORM = "application/x-www-form-urlencoded"
PAGE_SIZE = 100
EventHook = Callable[[str, Mapping[str, Any]], None]


class Reply:
    """A parsed answer and the request ids of the calls that produced it."""

    def __init__(self, body: dict[str, Any], request_ids: tuple[str, ...]):
        self.body, self.request_ids = body, request_ids


class StripeApi:
    """Thin, thread-safe wrapper over one `ApiClient` for one connection."""

    def __init__(self, settings: StripeSettings, *, on_event: EventHook | None = None,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] | None = None,
                 pacing: Pacing | None = None):
        self.settings = settings
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        self.pacing = pacing or Pacing.from_settings(settings)
        self.client = ApiClient(
            settings.api_base, classify=self._classify,
            auth=httpx.BasicAuth(settings.secret_key, ""),
            headers={"Stripe-Version": API_VERSION, "User-Agent": "ml-connector"},
            limiter=self.pacing.overall, limiters_for=self.pacing.limiters_for,
            retry=RetryPolicy(max_attempts=settings.max_attempts, initial_wait=0.5,
                              max_wait=5.0),
            timeout=settings.timeout_seconds, request_id_header="Request-Id",
            transport=transport, on_event=on_event, **extra)

    def _classify(self, response: httpx.Response) -> Any:
        return classify(response, reauth_command=self.settings.reset_key_command)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Reply:
        return self._call("GET", path, params=flatten(params or {}))

    def post(self, path: str, params: Mapping[str, Any] | None = None, *,
             idempotency_key: str | None = None) -> Reply:
        headers = {"Content-Type": FORM}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return self._call("POST", path, content=encode(params or {}), headers=headers)

    def delete(self, path: str) -> Reply:
        return self._call("DELETE", path)

    def get_or_none(self, path: str, params: Mapping[str, Any] | None = None) -> Reply | None:
        """The object, or None when Stripe says it does not exist (or was deleted)."""
        try:
            reply = self.get(path, params)
        except NotFoundError:
            return None
        return None if reply.body.get("deleted") else reply

    def list_all(self, path: str, params: Mapping[str, Any] | None = None
                 ) -> Iterator[Reply]:
        """Pages of a list endpoint, newest first, following `starting_after`."""
        query = {**(params or {}), "limit": PAGE_SIZE}
        while True:
            page = self.get(path, query)
            yield page
            data = page.body.get("data") or []
            if not page.body.get("has_more") or not data:
                return
            query["starting_after"] = data[-1]["id"]

    def search(self, path: str, query: str) -> list[dict[str, Any]]:
        """Every object a search query finds (search results lag writes by about a minute)."""
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"query": query, "limit": PAGE_SIZE}
        while True:
            page = self.get(path, params).body
            found.extend(page.get("data") or [])
            if not page.get("has_more") or not page.get("next_page"):
                return found
            params["page"] = page["next_page"]

    def _call(self, method: str, path: str, **kwargs: Any) -> Reply:
        response = self.client.request(method, path, **kwargs)
        request_id = response.headers.get("Request-Id")
        return Reply(response.json(), (request_id,) if request_id else ())

    def close(self) -> None:
        self.client.close()
