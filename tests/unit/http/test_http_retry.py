"""RetryPolicy waits, Retry-After parsing and the status-only classifier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from ml_connector.engine.errors import (
    AuthError,
    ConflictError,
    ConnectorError,
    NotFoundError,
    PermanentError,
    RetryableError,
)
from ml_connector.engine.http import RetryPolicy, classify_status, parse_retry_after


def test_backoff_doubles_up_to_the_maximum() -> None:
    policy = RetryPolicy(initial_wait=0.5, max_wait=3.0, jitter=False)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jittered_backoff_stays_in_the_upper_half_and_varies() -> None:
    policy = RetryPolicy(initial_wait=1.0, max_wait=30.0, jitter=True)
    waits = [policy.backoff(3) for _ in range(200)]
    assert all(2.0 <= wait <= 4.0 for wait in waits)
    assert len(set(waits)) > 1


def test_a_longer_retry_after_wins_a_shorter_one_does_not() -> None:
    policy = RetryPolicy(initial_wait=1.0, jitter=False)
    assert policy.wait_after(1, RetryableError("429", retry_after=9)) == 9
    assert policy.wait_after(3, RetryableError("429", retry_after=0.1)) == 4.0


def test_retry_after_is_capped() -> None:
    policy = RetryPolicy(jitter=False, max_retry_after=120)
    assert policy.wait_after(1, RetryableError("429", retry_after=86400)) == 120


def test_policy_refuses_zero_attempts() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("header", "expected"), [
    ("7", 7.0),
    (" 1.5 ", 1.5),
    ("-3", 0.0),
    (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
    (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
    ("soon", None),
    ("", None),
    (None, None),
    ("nan", None),
])
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(("status", "kind"), [
    (200, None), (201, None), (304, None),
    (400, PermanentError), (422, PermanentError), (404, NotFoundError),
    (401, AuthError), (403, AuthError), (409, ConflictError),
    (408, RetryableError), (429, RetryableError), (500, RetryableError),
    (503, RetryableError), (599, RetryableError),
])
def test_classify_status(status: int, kind: type[ConnectorError] | None) -> None:
    request = httpx.Request("GET", "https://api.example.test/v1/things?key=secret")
    error = classify_status(httpx.Response(status, request=request))
    if kind is None:
        assert error is None
    else:
        assert type(error) is kind
        assert error.status == status
        assert "secret" not in str(error)


def test_classify_status_reads_retry_after() -> None:
    request = httpx.Request("GET", "https://api.example.test/v1/things")
    error = classify_status(httpx.Response(503, headers={"Retry-After": "12"}, request=request))
    assert isinstance(error, RetryableError)
    assert error.retry_after == 12
