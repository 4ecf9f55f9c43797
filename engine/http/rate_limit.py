"""A per-connection rate limiter, so the engine stays under an API's published limits.

Vendors answer an over-eager client with 429s and, at worst, temporary bans; staying under
the limit is cheaper than recovering from it. One `RateLimiter` is shared by every thread
that uses one connection, and combines three rules:

- token buckets (`per_second`, `per_minute`): each request takes one token; a bucket holds
  at most `burst` tokens, so after an idle spell at most `burst` requests go back to back
  and then they are spaced evenly at the bucket's rate;
- a concurrency cap (`max_concurrency`): at most N requests in flight at once;
- a penalty deadline (`penalise`): after a 429 with `Retry-After`, nobody sends before then.

A request may have to satisfy several limiters (a per-endpoint budget and the connection's
own): `limiter.acquire(*also)` waits for each of `also` in turn and for `limiter` last, so
`limiter` is charged closest to the moment the request leaves. Charging every limiter for
one future send time instead would keep a shared limiter's next slot for a request held
back by a narrow one, and everyone else would wait behind it.

Time comes from the injected `clock` and `sleep`, so tests drive it with a fake clock.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager


class TokenBucket:
    """Tokens refill continuously at `rate` per second up to `capacity`.

    Not thread-safe on its own: `RateLimiter` calls it under its lock. A request may take a
    token the bucket does not have yet (the balance goes negative); the debt tells the caller
    how long to wait, which keeps callers in arrival order without a waiting queue.
    """

    def __init__(self, rate: float, capacity: int, now: float):
        self.rate, self.capacity = rate, capacity
        self._tokens = float(capacity)
        self._updated = now

    def take(self, now: float) -> float:
        """Take one token; return how many seconds the caller must wait before using it."""
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self.capacity), self._tokens + elapsed * self.rate)
        self._updated = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


def _positive(name: str, value: float | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


_created = itertools.count()


class RateLimiter:
    """Thread-safe limiter shared by every thread that talks to one connection."""

    def __init__(self, *, per_second: float | None = None, per_minute: float | None = None,
                 burst: int | None = None, max_concurrency: int | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        for name, value in (("per_second", per_second), ("per_minute", per_minute),
                            ("burst", burst), ("max_concurrency", max_concurrency)):
            _positive(name, value)
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        capacity = burst or 1
        now = clock()
        rates = [per_second] if per_second else []
        if per_minute:
            rates.append(per_minute / 60.0)
        self._buckets = [TokenBucket(rate, capacity, now) for rate in rates]
        self._slots = threading.BoundedSemaphore(max_concurrency) if max_concurrency else None
        self._penalty_until = float("-inf")
        # Concurrency slots of limiters acquired together are taken in creation order, so
        # two callers combining the same limiters never each hold what the other waits for.
        self._order = next(_created)

    def acquire(self, *also: RateLimiter) -> AbstractContextManager[None]:
        """Block until this caller may send; hold a concurrency slot while the block runs.

        Use it around exactly one request: `with limiter.acquire(): send()`. `also` are
        further limiters (sharing this limiter's clock) the same request must satisfy; the
        request waits for their tokens first, one after the other, then for this one's.
        """
        for other in also:
            if other._clock is not self._clock:
                raise ValueError("limiters acquired together must share one clock")
        others = [limiter for limiter in dict.fromkeys(also) if limiter is not self]
        return self._acquired([*others, self])

    def penalise(self, seconds: float) -> None:
        """Hold every caller back for `seconds` from now (the server's `Retry-After`).

        A later, shorter penalty never shortens an earlier, longer one.
        """
        with self._lock:
            self._penalty_until = max(self._penalty_until, self._clock() + max(0.0, seconds))

    @contextmanager
    def _acquired(self, limiters: list[RateLimiter]) -> Iterator[None]:
        for limiter in limiters:
            limiter._wait_for_tokens()
        with ExitStack() as slots:
            for limiter in sorted(limiters, key=lambda each: each._order):
                if limiter._slots is not None:
                    slots.enter_context(limiter._slots)
            for limiter in limiters:
                limiter._wait_out_penalty()
            yield

    def _wait_for_tokens(self) -> None:
        with self._lock:
            now = self._clock()
            delay = max((bucket.take(now) for bucket in self._buckets), default=0.0)
        if delay > 0:
            self._sleep(delay)

    def _wait_out_penalty(self) -> None:
        """Sleep until the penalty deadline; re-check, since it may move while we sleep."""
        while True:
            with self._lock:
                remaining = self._penalty_until - self._clock()
            if remaining <= 0:
                return
            self._sleep(remaining)
