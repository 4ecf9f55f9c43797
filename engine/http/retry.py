"""When and how long to wait before sending a failed request again.

Only a `RetryableError` is retried: the connector's classifier has already decided that a
429, a 5xx or a dropped connection is transient, and that a 400 is not. Waits grow
exponentially with jitter, so many workers that failed together do not retry together; a
server's own `Retry-After` wins when it asks for longer, up to a cap, so a misbehaving
header cannot park a worker for hours.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import tenacity

from ml_connector.engine.errors import RetryableError


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a request gets and how long to wait between them.

    The wait before attempt n+1 is `initial_wait * 2**(n-1)` capped at `max_wait`; with
    `jitter` it is drawn uniformly from the upper half of that value ("equal jitter": spread
    out, yet never close to zero). A `RetryableError.retry_after` larger than that wins,
    capped at `max_retry_after`.
    """

    max_attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 30.0
    jitter: bool = True
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if min(self.initial_wait, self.max_wait, self.max_retry_after) < 0:
            raise ValueError("waits must not be negative")

    def backoff(self, attempt: int) -> float:
        """The exponential wait after failed attempt number `attempt` (1-based)."""
        base = min(self.max_wait, self.initial_wait * 2 ** max(0, attempt - 1))
        return base / 2 + random.uniform(0, base / 2) if self.jitter else base

    def wait_after(self, attempt: int, error: BaseException | None) -> float:
        """Seconds to wait after failed attempt `attempt` that raised `error`."""
        wait = self.backoff(attempt)
        hint = getattr(error, "retry_after", None)
        if isinstance(error, RetryableError) and hint is not None:
            wait = max(wait, min(float(hint), self.max_retry_after))
        return wait

    def retrying(self, *, sleep: Callable[[float], None],
                 before_sleep: Callable[[tenacity.RetryCallState], None] | None = None,
                 ) -> tenacity.Retrying:
        """A tenacity controller applying this policy; the last error is re-raised as is."""
        return tenacity.Retrying(
            sleep=sleep,
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._tenacity_wait,
            retry=tenacity.retry_if_exception_type(RetryableError),
            before_sleep=before_sleep,
            reraise=True,
        )

    def _tenacity_wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.wait_after(state.attempt_number, error)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for: delta-seconds or an HTTP date; None if unusable.

    A date in the past means "now" (0 seconds); garbage means no hint at all, so the caller
    falls back to its own backoff instead of failing on a header it cannot read.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until_date(text, now or datetime.now(UTC))
    if seconds is None or not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _seconds_until_date(text: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - now).total_seconds()
