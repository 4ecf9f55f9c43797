"""ApiClient: retries what is transient, stops at what is not, and leaks nothing into logs."""

from __future__ import annotations

import base64
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ml_connector.engine.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RetryableError,
)
from ml_connector.engine.http import ApiClient, RateLimiter, RetryPolicy, classify_status

SECRET = "sk_test_fake123"
Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*steps: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering each request with the next step (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen), len(steps)) - 1]
        if isinstance(step, Exception):
            raise step
        return step

    return handler, seen


def make_client(handler: Handler, clock: Any = None, **kw: Any) -> ApiClient:
    kw.setdefault("retry", RetryPolicy(max_attempts=4, initial_wait=0.5, jitter=False))
    kw.setdefault("request_id_header", "Request-Id")
    return ApiClient("https://api.example.test/v1", classify=classify_status,
                     transport=httpx.MockTransport(handler),
                     sleep=clock.sleep if clock is not None else _no_sleep, **kw)


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected sleep({seconds})")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_status_is_retried_until_success(clock, status: int) -> None:
    handler, seen = scripted(httpx.Response(status), httpx.Response(status),
                             httpx.Response(200, json={"ok": True}))
    with make_client(handler, clock) as client:
        response = client.request("GET", "/customers/cus_1")
    assert response.json() == {"ok": True}
    assert len(seen) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_gives_up_after_the_budget_and_raises_the_last_error(clock) -> None:
    handler, seen = scripted(httpx.Response(503), httpx.Response(500),
                             httpx.Response(502, headers={"Request-Id": "req_last"}))
    with make_client(handler, clock) as client, pytest.raises(RetryableError) as caught:
        client.request("GET", "/customers")
    assert len(seen) == 4
    assert len(clock.sleeps) == 3
    assert caught.value.status == 502
    assert caught.value.request_id == "req_last"


def test_retry_after_is_honoured_even_when_longer_than_the_backoff(clock) -> None:
    handler, _ = scripted(httpx.Response(429, headers={"Retry-After": "7"}),
                          httpx.Response(200))
    with make_client(handler, clock) as client:
        assert client.request("GET", "/charges").status_code == 200
    assert clock.sleeps[0] >= 7


def test_retry_after_is_read_even_when_the_classifier_ignores_it(clock) -> None:
    def classify(response: httpx.Response) -> ConnectorError | None:
        return RetryableError("busy") if response.status_code == 503 else None

    handler, _ = scripted(httpx.Response(503, headers={"Retry-After": "9"}), httpx.Response(200))
    client = ApiClient("https://api.example.test", classify=classify, sleep=clock.sleep,
                       transport=httpx.MockTransport(handler),
                       retry=RetryPolicy(initial_wait=0.1, jitter=False))
    with client:
        assert client.request("GET", "/x").status_code == 200
    assert clock.sleeps == [9]


@pytest.mark.parametrize("failure", [
    httpx.ReadTimeout("timed out"),
    httpx.ConnectTimeout("timed out"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ConnectError("[Errno 111] Connection refused"),
], ids=lambda failure: type(failure).__name__)
def test_timeouts_and_dropped_connections_are_retried(clock, failure: Exception) -> None:
    handler, seen = scripted(failure, httpx.Response(200))
    with make_client(handler, clock) as client:
        assert client.request("POST", "/customers", data={"a": "1"}).status_code == 200
    assert len(seen) == 2


def test_persistent_timeouts_end_in_a_retryable_error(clock) -> None:
    handler, seen = scripted(httpx.ReadTimeout("timed out"))
    with make_client(handler, clock) as client, pytest.raises(RetryableError) as caught:
        client.request("GET", "/customers")
    assert len(seen) == 4
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def test_permanent_error_is_raised_at_once_with_the_request_id() -> None:
    handler, seen = scripted(httpx.Response(400, headers={"Request-Id": "req_400"}))
    with make_client(handler) as client, pytest.raises(PermanentError) as caught:
        client.request("POST", "/customers", data={"email": "not-an-email"})
    assert len(seen) == 1
    assert caught.value.request_id == "req_400"
    assert caught.value.status == 400


def test_a_classifier_decision_wins_over_the_status() -> None:
    """A 429 the connector calls an auth problem (say, a revoked key) is not retried."""
    def classify(response: httpx.Response) -> ConnectorError | None:
        if response.status_code == 429:
            return AuthError("key revoked", reauth_command="ml-connector connections auth x")
        return None

    handler, seen = scripted(httpx.Response(429))
    client = ApiClient("https://api.example.test", classify=classify,
                       transport=httpx.MockTransport(handler), sleep=_no_sleep)
    with client, pytest.raises(AuthError):
        client.request("GET", "/x")
    assert len(seen) == 1


def test_an_unsendable_request_is_not_retried() -> None:
    handler, seen = scripted(httpx.UnsupportedProtocol("Request URL has an unsupported protocol"))
    with make_client(handler) as client, pytest.raises(PermanentError):
        client.request("GET", "/x")
    assert len(seen) == 1


def test_every_attempt_sends_identical_headers_and_body(clock) -> None:
    handler, seen = scripted(httpx.Response(500), httpx.ReadTimeout("slow"),
                             httpx.Response(200))
    with make_client(handler, clock, auth=httpx.BasicAuth(SECRET, "")) as client:
        client.request("POST", "/customers", data={"email": "a@example.com"},
                       headers={"Idempotency-Key": "qbo-1-customer-58-create"})
    assert len(seen) == 3
    assert {r.headers["Idempotency-Key"] for r in seen} == {"qbo-1-customer-58-create"}
    first = seen[0]
    for request in seen[1:]:
        assert request.headers.multi_items() == first.headers.multi_items()
        assert (request.method, request.url, request.content) == (
            first.method, first.url, first.content)


def test_events_report_requests_retries_and_throttling(clock) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    handler, _ = scripted(
        httpx.Response(429, headers={"Retry-After": "2", "Request-Id": "req_a"}),
        httpx.Response(200, headers={"Request-Id": "req_b"}))
    with make_client(handler, clock, on_event=lambda n, p: events.append((n, dict(p)))) as c:
        c.request("GET", "/charges", params={"limit": "10"})
    names = [name for name, _ in events]
    assert names == ["request", "throttled", "retry", "request"]
    first, throttled, retry, last = (payload for _, payload in events)
    assert first["path"] == "/v1/charges" and first["status"] == 429
    assert first["request_id"] == "req_a"
    assert throttled["retry_after"] == 2
    assert retry["attempt"] == 1 and retry["wait"] >= 2 and retry["status"] == 429
    assert last["status"] == 200 and last["request_id"] == "req_b"
    assert last["elapsed"] >= 0


def test_logs_and_events_carry_no_secret_query_or_credentials(clock, caplog) -> None:
    events: list[Any] = []
    handler, _ = scripted(httpx.Response(500), httpx.Response(200))
    client = make_client(handler, clock, auth=httpx.BasicAuth(SECRET, "pw"),
                         on_event=lambda n, p: events.append((n, dict(p))))
    caplog.set_level(logging.DEBUG, logger="ml_connector.http")
    with client:
        client.request("POST", "/tokens", params={"api_key": SECRET},
                       data={"secret": SECRET})
    text = caplog.text + repr(events)
    assert "/v1/tokens" in caplog.text
    basic = base64.b64encode(f"{SECRET}:pw".encode()).decode()
    for leaked in (SECRET, "api_key", basic):
        assert leaked not in text


def test_a_429_with_retry_after_holds_back_the_next_request(clock) -> None:
    sent_at: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock())
        if request.url.path.endswith("/busy"):
            return httpx.Response(429, headers={"Retry-After": "20"})
        return httpx.Response(200)

    limiter = RateLimiter(max_concurrency=4, clock=clock, sleep=clock.sleep)
    with make_client(handler, clock, limiter=limiter, retry=RetryPolicy(max_attempts=1)) as c:
        with pytest.raises(RetryableError):
            c.request("GET", "/busy")
        c.request("GET", "/calm")
    assert sent_at[1] >= sent_at[0] + 20


def test_a_request_also_waits_for_the_limiters_its_route_names(clock) -> None:
    per_route: dict[str, RateLimiter] = {}
    asked: list[tuple[str, str]] = []

    def limiters_for(method: str, path: str) -> list[RateLimiter]:
        asked.append((method, path))
        route = path.rsplit("/", 1)[0]
        return [per_route.setdefault(route, RateLimiter(per_second=1, clock=clock,
                                                        sleep=clock.sleep))]

    overall = RateLimiter(per_second=100, clock=clock, sleep=clock.sleep)
    sent_at: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock())
        return httpx.Response(200)

    with make_client(handler, clock, limiter=overall, limiters_for=limiters_for) as client:
        for path in ("/items/1", "/items/2", "/other/1"):
            client.request("GET", path)
    assert asked[0] == ("GET", "/v1/items/1")
    assert sent_at[1] >= 1.0, "the second request to /items waited for its own budget"
    assert sent_at[2] - sent_at[1] < 0.5, "/other has a budget of its own"


def test_the_limiter_caps_requests_in_flight_across_threads() -> None:
    in_flight, peak, arrived = 0, 0, threading.Condition()
    release = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with arrived:
            in_flight += 1
            peak = max(peak, in_flight)
            arrived.notify_all()
        release.wait(timeout=30)
        with arrived:
            in_flight -= 1
        return httpx.Response(200)

    limiter = RateLimiter(max_concurrency=3)
    client = ApiClient("https://api.example.test", classify=classify_status, limiter=limiter,
                       transport=httpx.MockTransport(handler))
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(
        client.request("GET", "/x").status_code)) for _ in range(8)]
    for thread in threads:
        thread.start()
    with arrived:
        assert arrived.wait_for(lambda: in_flight == 3, timeout=30)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    client.close()
    assert results == [200] * 8
    assert peak == 3


@pytest.fixture
def flaky_server() -> Iterator[str]:
    """A loopback server that drops the first connection unanswered, then answers 200."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        for index in range(2):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                if index:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                 b"Connection: close\r\n\r\nok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    thread.join(timeout=10)
    listener.close()


def test_a_connection_dropped_by_a_real_server_is_retried(clock, flaky_server: str) -> None:
    client = ApiClient(flaky_server, classify=classify_status, sleep=clock.sleep,
                       retry=RetryPolicy(max_attempts=3, jitter=False))
    with client:
        response = client.request("POST", "/v1/customers", data={"name": "Ada"},
                                  headers={"Idempotency-Key": "k-1"})
    assert response.text == "ok"
    assert len(clock.sleeps) == 1
