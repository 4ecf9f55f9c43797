"""What a long-running loop of `serve` has met lately, for `/healthz` to report.

A worker thread that catches its errors to go on (rather than dying) must not hide them:
each loop counts its unexpected errors in a row, and `/healthz` says degraded once the count
reaches the policy's limit, until a success resets it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from ml_connector.engine.store.types import utcnow


@dataclass(frozen=True)
class Streak:
    count: int
    last: str
    since: datetime


class ErrorStreak:
    """Errors in a row, the latest one's text and when the streak began; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streak: Streak | None = None

    def failed(self, error: str) -> int:
        """Count one more error; returns how many in a row now."""
        with self._lock:
            previous = self._streak
            count = previous.count + 1 if previous else 1
            self._streak = Streak(count, error, previous.since if previous else utcnow())
            return count

    def succeeded(self) -> None:
        with self._lock:
            self._streak = None

    def current(self) -> Streak | None:
        with self._lock:
            return self._streak


class KeyedStreaks:
    """An error streak per key (a connection), for errors that hold up one key at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streaks: dict[str, ErrorStreak] = {}

    def failed(self, key: str, error: str) -> int:
        with self._lock:
            streak = self._streaks.setdefault(key, ErrorStreak())
        return streak.failed(error)

    def succeeded(self, key: str) -> bool:
        """End `key`'s streak; True when it had one."""
        with self._lock:
            return self._streaks.pop(key, None) is not None

    def current(self) -> dict[str, Streak]:
        with self._lock:
            streaks = dict(self._streaks)
        return {key: s for key, streak in sorted(streaks.items())
                if (s := streak.current()) is not None}
