"""Switchable faults and Stripe's rate limits, for testing how clients cope.

Fault kinds, each optionally limited to a method, a path prefix, a number of requests and a
`rate` (the chance, 0..1, that a matching request meets it):

    error  answer with `status` (default 500) and an error body (`error` overrides its
           type/code/message; `headers` adds e.g. `Stripe-Should-Retry`), without executing
    slow   wait `delay` seconds, then handle the request normally
    drop   handle the request (the change is made) and close the connection without an
           answer, like a network failure after the server did the work

Rate limits, when on: 25 requests/s in test mode, 100/s live, 20/s for search (which also
count towards the global limit) and 25/s for each endpoint (a method and path template, so
`POST /v1/invoiceitems` and `GET /v1/invoices/{id}` count separately), answered with 429
`rate_limit`.

Every fault a request actually meets is counted (`GET /_emulator/faults/counts`, keyed
`error_<status>`, `slow`, `drop`), so a fault suite can report what its client survived.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from ml_connector.connectors.stripe.emulator.errors import StripeError

KINDS = ("error", "slow", "drop")


@dataclass
class Fault:
    kind: str
    status: int = 500
    delay: float = 0.0
    method: str | None = None
    path: str | None = None
    times: int | None = None
    rate: float = 1.0
    error: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown or data.get("kind") not in KINDS:
            raise ValueError(f"bad fault {data!r}: kind must be one of {KINDS}, "
                             f"fields {sorted(cls.__dataclass_fields__)}")
        fault = cls(**data)
        if not 0.0 <= float(fault.rate) <= 1.0:
            raise ValueError(f"bad fault {data!r}: rate must be between 0 and 1")
        return fault

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method.upper() == method)
                and (self.path is None or path.startswith(self.path)))

    @property
    def label(self) -> str:
        """The counter this fault adds to when it fires."""
        return f"error_{self.status}" if self.kind == "error" else self.kind

    def as_error(self) -> StripeError:
        message = self.error.get("message", "An unexpected error occurred (emulated fault).")
        return StripeError(self.status, message, type=self.error.get("type", "api_error"),
                           code=self.error.get("code"), headers=dict(self.headers))


class FaultBook:
    """The faults currently switched on; each one that fires uses up one of its `times`."""

    def __init__(self, seed: int | None = None) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.counts: Counter[str] = Counter()

    def set(self, faults: list[Fault]) -> None:
        with self._lock:
            self._faults = list(faults)

    def add(self, faults: list[Fault]) -> None:
        with self._lock:
            self._faults.extend(faults)

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [vars(f).copy() for f in self._faults]

    def counted(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def count(self, label: str) -> None:
        with self._lock:
            self.counts[label] += 1

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that fire for this request (at most one of each kind), counted."""
        taken: dict[str, Fault] = {}
        with self._lock:
            for fault in self._faults:
                if fault.kind in taken or not fault.matches(method, path):
                    continue
                if fault.rate < 1.0 and self._random.random() >= fault.rate:
                    continue
                taken[fault.kind] = fault
                if fault.kind != "slow":  # counted by `count` when the wait really happens
                    self.counts[fault.label] += 1
                if fault.times is not None:
                    fault.times -= 1
            self._faults = [f for f in self._faults if f.times is None or f.times > 0]
        return list(taken.values())


class RateLimits:
    """Sliding windows per scope, one second long unless configured.

    Scopes are "global", "search" and one per endpoint, all endpoints sharing the limit
    configured as "endpoint". A request refused by any scope counts against none.
    A longer `window_seconds` makes limits independent of how fast the client is, which
    tests use to hit a limit deterministically.
    """

    def __init__(self, enabled: bool, livemode: bool):
        self.defaults = {"global": 100 if livemode else 25, "search": 20, "endpoint": 25}
        self._lock = threading.Lock()
        self.configure(enabled)

    def configure(self, enabled: bool, settings: dict[str, Any] | None = None) -> None:
        settings = dict(settings or {})
        unknown = sorted(set(settings) - {*self.defaults, "window_seconds"})
        if unknown:
            raise ValueError(f"unknown rate limit(s) {unknown}: known are "
                             f"{sorted(self.defaults)} and window_seconds")
        window = float(settings.pop("window_seconds", 1.0))
        limits = {**self.defaults, **{k: int(v) for k, v in settings.items()}}
        with self._lock:
            self.enabled, self.window, self.limits = enabled, window, limits
            self._hits: dict[str, deque[float]] = defaultdict(deque)

    def check(self, search: bool, endpoint: str) -> None:
        """Count one request to `endpoint` ("POST /v1/invoiceitems"), or refuse it with 429."""
        if not self.enabled:
            return
        scopes = [("global", "global"), ("endpoint", f"endpoint {endpoint}")]
        if search:
            scopes.append(("search", "search"))
        now = time.monotonic()
        with self._lock:
            for limit, scope in scopes:
                window = self._hits[scope]
                while window and now - window[0] >= self.window:
                    window.popleft()
                if len(window) >= self.limits[limit]:
                    raise StripeError(
                        429, "Request rate limit exceeded. Learn more about rate limits "
                        "here https://stripe.com/docs/rate-limits.", code="rate_limit")
            for _, scope in scopes:
                self._hits[scope].append(now)
