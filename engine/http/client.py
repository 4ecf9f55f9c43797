"""The one HTTP client every connector uses, so retries and rate limits are written once.

Each attempt waits for the connection's `RateLimiter` (and for any further limiters the
connector's `limiters_for` names for that method and path, such as a per-endpoint budget),
sends, and hands the response to the
connector's `classify` function, which turns it into an error from
`ml_connector.engine.errors` (or None for success). Only a `RetryableError` is retried, with
the `RetryPolicy`; timeouts and dropped connections count as retryable. Everything else
raises at once.

Retrying a POST is safe only because connectors send idempotency keys, so the client sends
exactly the same method, URL, headers and body on every attempt and never invents headers.
It never logs bodies, query strings or credentials: log lines and events carry the method,
the URL path, the status and the vendor's request id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from types import TracebackType
from typing import Any

import httpx
import tenacity

from ml_connector.engine.errors import ConnectorError, PermanentError, RetryableError
from ml_connector.engine.http.rate_limit import RateLimiter
from ml_connector.engine.http.retry import RetryPolicy, parse_retry_after

log = logging.getLogger("ml_connector.http")

Classifier = Callable[[httpx.Response], ConnectorError | None]
EventHook = Callable[[str, Mapping[str, Any]], None]
LimitersFor = Callable[[str, str], Sequence[RateLimiter]]
DEFAULT_RETRY = RetryPolicy()


class ApiClient:
    """A retrying, rate-limited httpx client for one connection; safe to share across threads."""

    def __init__(self, base_url: str, *, classify: Classifier, auth: httpx.Auth | None = None,
                 headers: Mapping[str, str] | None = None, limiter: RateLimiter | None = None,
                 retry: RetryPolicy = DEFAULT_RETRY, timeout: float = 30.0,
                 request_id_header: str | None = None,
                 transport: httpx.BaseTransport | None = None,
                 on_event: EventHook | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 limiters_for: LimitersFor | None = None):
        """`limiters_for(method, path)` names the limiters one request must satisfy besides
        `limiter`, for APIs that budget some endpoints on their own; they must share the
        clock of `limiter` and should be shared by every thread, since a budget is only
        kept if all callers draw from one limiter."""
        self._http = httpx.Client(base_url=base_url, auth=auth, headers=headers,
                                  timeout=timeout, transport=transport)
        self._classify, self._limiter, self._retry = classify, limiter, retry
        self._limiters_for = limiters_for
        self._request_id_header, self._on_event, self._sleep = (
            request_id_header, on_event, sleep)

    def request(self, method: str, path: str, *, params: Any = None, data: Any = None,
                json: Any = None, content: bytes | str | None = None,
                headers: Mapping[str, str] | None = None) -> httpx.Response:
        """Send one request, retrying transient failures; return the classified-good response.

        Raises the classifier's `ConnectorError` (with `request_id` set from the response),
        or, once the attempts are used up, the last `RetryableError`.
        """
        request = self._http.build_request(
            method.upper(), path, params=params, data=data, json=json, content=content,
            headers=headers)
        retrying = self._retry.retrying(
            sleep=self._sleep, before_sleep=partial(self._report_retry, request))
        return retrying(self._attempt, request)

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _attempt(self, request: httpx.Request) -> httpx.Response:
        """One attempt; the same request object goes out every time, byte for byte."""
        with self._gate(request):
            started = time.perf_counter()
            response = self._send(request, started)
        return self._check(response, time.perf_counter() - started)

    def _gate(self, request: httpx.Request) -> AbstractContextManager[None]:
        """Every limiter this request must wait for; the connection's own is waited for
        last, so its budget is spent at the moment the request leaves."""
        extra = (tuple(self._limiters_for(request.method, request.url.path))
                 if self._limiters_for is not None else ())
        limiters = (self._limiter, *extra) if self._limiter is not None else extra
        if not limiters:
            return nullcontext()
        return limiters[0].acquire(*limiters[1:])

    def _send(self, request: httpx.Request, started: float) -> httpx.Response:
        """Send once; a transport failure becomes a `ConnectorError` saying whether to retry."""
        try:
            return self._http.send(request)
        except httpx.RequestError as exc:
            elapsed = time.perf_counter() - started
            self._report(request, None, None, elapsed, error=type(exc).__name__)
            raise _transport_error(request, exc) from exc

    def _check(self, response: httpx.Response, elapsed: float) -> httpx.Response:
        request = response.request
        request_id = self._request_id(response)
        self._report(request, response.status_code, request_id, elapsed)
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if response.status_code == 429:
            self._throttled(request, request_id, retry_after)
        error = self._classify(response)
        if error is None:
            return response
        if error.request_id is None:
            error.request_id = request_id
        if error.status is None:
            error.status = response.status_code
        if isinstance(error, RetryableError) and error.retry_after is None:
            error.retry_after = retry_after
        raise error

    def _request_id(self, response: httpx.Response) -> str | None:
        if self._request_id_header is None:
            return None
        return response.headers.get(self._request_id_header)

    def _throttled(self, request: httpx.Request, request_id: str | None,
                   retry_after: float | None) -> None:
        if retry_after is not None and self._limiter is not None:
            self._limiter.penalise(retry_after)
        self._emit("throttled", {"method": request.method, "path": request.url.path,
                                 "retry_after": retry_after, "request_id": request_id})

    def _report(self, request: httpx.Request, status: int | None, request_id: str | None,
                elapsed: float, *, error: str | None = None) -> None:
        """Log and emit one attempt; only method, path (no query), status and request id."""
        path = request.url.path
        log.debug("%s %s -> %s (request id %s) in %.3fs", request.method, path,
                  status if status is not None else error, request_id, elapsed)
        event: dict[str, Any] = {"method": request.method, "path": path, "status": status,
                                 "request_id": request_id, "elapsed": elapsed}
        if error is not None:
            event["error"] = error
        self._emit("request", event)

    def _report_retry(self, request: httpx.Request, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        status = getattr(error, "status", None)
        request_id = getattr(error, "request_id", None)
        method, path = request.method, request.url.path
        log.debug("%s %s: attempt %d failed (%s); retrying in %.2fs", method, path,
                  state.attempt_number, type(error).__name__, wait)
        self._emit("retry", {"method": method, "path": path, "attempt": state.attempt_number,
                             "wait": wait, "error": type(error).__name__, "status": status,
                             "request_id": request_id})

    def _emit(self, name: str, payload: Mapping[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(name, payload)


def _transport_error(request: httpx.Request, exc: httpx.RequestError) -> ConnectorError:
    """Timeouts and broken connections are transient; a malformed request is not."""
    where = f"{request.method} {request.url.path}"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return PermanentError(f"{where}: request cannot be sent ({type(exc).__name__}: {exc})")
    if isinstance(exc, httpx.TimeoutException):
        return RetryableError(f"{where}: timed out ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return RetryableError(f"{where}: connection failed ({type(exc).__name__}: {exc})")
    return PermanentError(f"{where}: {type(exc).__name__}: {exc}")
