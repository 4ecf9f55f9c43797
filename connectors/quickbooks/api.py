"""HTTP calls to the QBO Accounting API, on the engine's retrying, rate-limited client.

Every call carries `minorversion`; writes carry a `requestid`, so a write retried after a
dropped connection is answered from QBO's memory instead of being applied twice. Bodies
are written and read with `jsonio`, so amounts stay `Decimal`. Each result keeps the
`intuit_tid` of the response for the audit trail.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ml_connector.connectors.quickbooks import jsonio
from ml_connector.connectors.quickbooks.errors import Classifier
from ml_connector.connectors.quickbooks.settings import QboSettings
from ml_connector.engine.http import ApiClient, RateLimiter, RetryPolicy

MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
PER_SECOND = 10


@dataclass(frozen=True)
class ApiResult:
    body: dict[str, Any]
    request_id: str | None

    @property
    def time(self) -> str | None:
        value = self.body.get("time")
        return str(value) if value is not None else None


def request_id_for(key: str, limit: int = MAX_REQUEST_ID) -> str:
    """A QBO `requestid` derived from an idempotency key: same key, same id, within limits."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:min(limit, 40)]


class QboApi:
    def __init__(self, settings: QboSettings, auth: httpx.Auth, realm: Callable[[], str], *,
                 transport: httpx.BaseTransport | None = None,
                 on_event: Callable[[str, Mapping[str, Any]], None] | None = None,
                 retry: RetryPolicy | None = None, limiter: RateLimiter | None = None):
        self.settings, self._realm = settings, realm
        limiter = limiter or RateLimiter(per_minute=settings.requests_per_minute,
                                         per_second=PER_SECOND, burst=PER_SECOND,
                                         max_concurrency=settings.max_concurrency)
        self.client = ApiClient(
            settings.api_base, auth=auth, limiter=limiter, retry=retry or RetryPolicy(),
            classify=Classifier(settings.reauth_command, settings.throttle_wait_seconds),
            headers={"Accept": "application/json", "User-Agent": "ml-connector"},
            timeout=settings.timeout_seconds, request_id_header="intuit_tid",
            transport=transport, on_event=on_event)

    def _path(self, tail: str) -> str:
        return f"/v3/company/{self._realm()}/{tail}"

    def _params(self, **extra: str | None) -> dict[str, str]:
        params = {"minorversion": str(self.settings.minor_version)}
        params.update({k: v for k, v in extra.items() if v is not None})
        return params

    def _call(self, method: str, tail: str, *, params: dict[str, str],
              body: Any = None, content_type: str = "application/json") -> ApiResult:
        content = None if body is None else (
            body if isinstance(body, str) else jsonio.dumps(body)).encode("utf-8")
        headers = {"Content-Type": content_type} if content is not None else None
        response = self.client.request(method, self._path(tail), params=params,
                                       content=content, headers=headers)
        parsed = jsonio.loads(response.content) if response.content else {}
        return ApiResult(parsed, response.headers.get("intuit_tid"))

    def read(self, resource: str, record_id: str) -> ApiResult:
        return self._call("GET", f"{resource}/{record_id}", params=self._params())

    def query(self, statement: str) -> ApiResult:
        """POSTed as text (as python-quickbooks does): no URL-length limit, same answer."""
        return self._call("POST", "query", params=self._params(), body=statement,
                          content_type="application/text")

    def write(self, resource: str, body: Mapping[str, Any], *, request_id: str | None = None,
              operation: str | None = None, include: str | None = None) -> ApiResult:
        params = self._params(requestid=request_id or uuid.uuid4().hex,
                              operation=operation, include=include)
        return self._call("POST", resource, params=params, body=dict(body))

    def cdc(self, entities: list[str], changed_since: str) -> ApiResult:
        return self._call("GET", "cdc", params=self._params(
            entities=",".join(entities), changedSince=changed_since))

    def batch(self, items: list[dict[str, Any]], request_id: str | None = None) -> ApiResult:
        rid = request_id or uuid.uuid4().hex[:MAX_BATCH_REQUEST_ID]
        return self._call("POST", "batch", params=self._params(requestid=rid),
                          body={"BatchItemRequest": items})

    def close(self) -> None:
        self.client.close()
