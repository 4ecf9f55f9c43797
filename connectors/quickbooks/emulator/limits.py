"""QBO's published per-realm limits: 500 requests a minute, 10 in flight, 40 batches a minute.

Measured on the monotonic clock (not the emulator's shiftable clock) because throttling is
about real request rates.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.options import EmulatorOptions

WINDOW = 60.0


class RealmLimits:
    def __init__(self, options: EmulatorOptions):
        self.enabled = options.enforce_limits
        self.per_minute = options.requests_per_minute
        self.concurrent = options.max_concurrent
        self.batches_per_minute = options.batch_requests_per_minute
        self._lock = threading.Lock()
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._batches: dict[str, deque[float]] = defaultdict(deque)
        self._in_flight: dict[str, int] = defaultdict(int)
        self.throttled = 0

    @contextmanager
    def admit(self, realm_id: str, *, batch: bool = False) -> Iterator[None]:
        """Hold a slot for one request, or raise the 429 fault (code 3001) QBO answers."""
        self._enter(realm_id, batch)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[realm_id] -= 1

    def _enter(self, realm_id: str, batch: bool) -> None:
        now = time.monotonic()
        with self._lock:
            recent, batches = self._recent[realm_id], self._batches[realm_id]
            for window in (recent, batches):
                while window and now - window[0] >= WINDOW:
                    window.popleft()
            if self.enabled and (len(recent) >= self.per_minute
                                 or self._in_flight[realm_id] >= self.concurrent
                                 or (batch and len(batches) >= self.batches_per_minute)):
                self.throttled += 1
                raise errors.throttled()
            recent.append(now)
            if batch:
                batches.append(now)
            self._in_flight[realm_id] += 1

    def describe(self) -> dict[str, object]:
        with self._lock:
            return {"enabled": self.enabled, "requests_per_minute": self.per_minute,
                    "max_concurrent": self.concurrent, "throttled": self.throttled,
                    "recent": {realm: len(q) for realm, q in self._recent.items()}}
