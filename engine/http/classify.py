"""A fallback error classifier that looks at the HTTP status alone.

Connectors classify their API's errors from a table of status plus the vendor's own error
code; this covers the statuses every API shares, so a connector's table only lists its
exceptions and returns `classify_status(response)` for the rest. It never reads the body,
which may hold personal data.
"""

from __future__ import annotations

import httpx

from ml_connector.engine.errors import (
    AuthError,
    ConflictError,
    ConnectorError,
    NotFoundError,
    PermanentError,
    RetryableError,
)
from ml_connector.engine.http.retry import parse_retry_after

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def classify_status(response: httpx.Response) -> ConnectorError | None:
    """None for a success; otherwise the error the status alone implies."""
    status = response.status_code
    if status < 400:
        return None
    message = f"HTTP {status} from {response.request.method} {response.request.url.path}"
    if status in RETRYABLE_STATUSES or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RetryableError(message, retry_after=retry_after, status=status)
    kinds: dict[int, type[ConnectorError]] = {
        401: AuthError, 403: AuthError, 404: NotFoundError, 409: ConflictError,
    }
    return kinds.get(status, PermanentError)(message, status=status)
