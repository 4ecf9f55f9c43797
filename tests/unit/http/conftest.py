"""A fake clock shared by the limiter and the client, so no test really sleeps."""

from __future__ import annotations

import threading

import pytest


class FakeClock:
    """`clock()` reads the fake time; `sleep(s)` records the request and moves time on by s."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += max(0.0, seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
