"""The emulator's clock: real time, shiftable by tests, printed the way QBO prints it.

QBO stamps `MetaData` and the envelope `time` in the company's local offset (Pacific in
Intuit's examples). Tests move the clock forward to age a CDC cursor past the 30-day window
without waiting, so every "now" in the emulator comes from here.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone


class Clock:
    """Wall-clock time plus an adjustable offset, in a fixed company time zone."""

    def __init__(self, utc_offset_hours: float = -7.0):
        self.zone = timezone(timedelta(hours=utc_offset_hours))
        self._shift = 0.0
        self._frozen: float | None = None
        self._lock = threading.Lock()

    def timestamp(self) -> float:
        """Seconds since the epoch as the emulator sees them (real time + shift)."""
        with self._lock:
            base = self._frozen if self._frozen is not None else time.time()
            return base + self._shift

    def freeze(self, frozen: bool = True) -> None:
        """Stop (or restart) the clock, so a test can put many changes in one second."""
        with self._lock:
            self._frozen = time.time() if frozen else None

    def advance(self, seconds: float) -> None:
        """Move emulator time forward (or back, with a negative value)."""
        with self._lock:
            self._shift += seconds

    def reset(self) -> None:
        with self._lock:
            self._shift, self._frozen = 0.0, None

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), tz=self.zone)

    def server_time(self) -> str:
        """The envelope `time`: milliseconds and offset, e.g. `2026-07-01T09:12:44.123-07:00`."""
        return format_millis(self.now())

    def stamp(self) -> str:
        """A `MetaData` time: whole seconds and offset, e.g. `2026-07-01T09:12:44-07:00`."""
        return self.now().isoformat(timespec="seconds")

    def today(self) -> str:
        return self.now().date().isoformat()


def format_millis(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def parse_datetime(text: str, zone: timezone | None = None) -> datetime:
    """Parse the date-times QBO accepts: ISO 8601 with or without offset, or a plain date.

    A value without an offset is read in the company's zone, as QBO does.
    """
    cleaned = text.strip()
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
    return moment
