"""Fault injection, switchable at run time through `POST /_emulator/faults`.

Each API request draws once from a seeded random generator, so a fault test with a fixed
`seed` meets the same faults in the same order on every run (given the same requests).
Every fault actually injected is counted by kind (`GET /_emulator/faults/counts`), so a fault
suite can report what its client survived instead of what it asked for.
"""

from __future__ import annotations

import difflib
import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class FaultSettings:
    """Probabilities are per API request (0..1), or per webhook delivery for `rate_webhook_delay`.

    `webhook_duplicates` extra copies follow every delivery, plus a random 0 to
    `webhook_duplicates_max` more; a delayed delivery waits `webhook_delay_seconds` first.
    """

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 5.0
    rate_drop: float = 0.0
    drop_after_apply: bool = True
    rate_expire: float = 0.0
    expire_tokens: bool = False
    webhook_duplicates: int = 0
    webhook_duplicates_max: int = 0
    webhook_reorder: bool = False
    rate_webhook_delay: float = 0.0
    webhook_delay_seconds: float = 0.0
    seed: int | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> FaultSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values or {}) - known)
        if unknown:
            hints = [f"{name!r}" + (f" (did you mean {close[0]!r}?)" if (
                close := difflib.get_close_matches(name, known, n=1)) else "")
                for name in unknown]
            raise ValueError(f"unknown fault setting(s): {', '.join(hints)}")
        settings = cls(**{name: _typed(cls, name, value)
                          for name, value in dict(values or {}).items()})
        for name in ("rate_429", "rate_5xx", "rate_slow", "rate_drop", "rate_expire",
                     "rate_webhook_delay"):
            if not 0.0 <= float(getattr(settings, name)) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        for name in ("webhook_duplicates", "webhook_duplicates_max"):
            if not 0 <= int(getattr(settings, name)) <= 10:
                raise ValueError(f"{name} must be between 0 and 10")
        if float(settings.webhook_delay_seconds) < 0:
            raise ValueError("webhook_delay_seconds must not be negative")
        return settings


def _typed(cls: type, name: str, value: Any) -> Any:
    """The admin API parses JSON numbers as Decimal; settings are plain floats and ints
    (`asyncio.sleep` refuses a Decimal)."""
    kind = cls.__dataclass_fields__[name].type
    if value is None or kind not in ("float", "int"):
        return value
    try:
        return float(value) if kind == "float" else int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number") from exc


@dataclass(frozen=True)
class Decision:
    """What to do to one request: `kind` is None, "429", "5xx" or "drop"; `slow` seconds."""

    kind: str | None = None
    slow: float = 0.0
    expire_token: bool = False
    status: int = 500


class FaultInjector:
    def __init__(self, initial: Mapping[str, Any] | None = None):
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.configure(initial)

    def configure(self, values: Mapping[str, Any] | None) -> FaultSettings:
        """Replace the settings (absent keys go back to their defaults)."""
        settings = FaultSettings.from_mapping(values)
        with self._lock:
            self.settings = settings
            self.rng = random.Random(settings.seed)
        return settings

    def describe(self) -> dict[str, Any]:
        return asdict(self.settings)

    def count(self, kind: str, n: int = 1) -> None:
        """Record `n` injected faults of `kind` (counts survive `configure`, not `reset`)."""
        if n:
            with self._lock:
                self.counts[kind] += n

    def counted(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()

    def decide(self) -> Decision:
        s = self.settings
        with self._lock:
            draws = [self.rng.random() for _ in range(5)]
            status = self.rng.choice((500, 503))
        kind = None
        if draws[0] < s.rate_429:
            kind = "429"
        elif draws[1] < s.rate_5xx:
            kind = "5xx"
        elif draws[2] < s.rate_drop:
            kind = "drop"
        slow = s.slow_seconds if draws[3] < s.rate_slow else 0.0
        decision = Decision(kind, slow, draws[4] < s.rate_expire, status)
        self._count(decision)
        return decision

    def _count(self, decision: Decision) -> None:
        """Count what the request will meet: an expired token ends it before anything else."""
        if decision.expire_token:
            self.count("expired_token")
            return
        if decision.slow:
            self.count("slow")
        if decision.kind is not None:
            self.count(decision.kind)

    def choice(self, options: list[Any]) -> Any:
        with self._lock:
            return self.rng.choice(options)

    def extra_copies(self) -> int:
        """How many duplicate copies to send after one delivery."""
        s = self.settings
        with self._lock:
            spread = self.rng.randint(0, int(s.webhook_duplicates_max))
        return int(s.webhook_duplicates) + spread

    def webhook_delay(self) -> float:
        """Seconds to hold one delivery back before its first attempt (usually 0)."""
        s = self.settings
        with self._lock:
            held = self.rng.random() < s.rate_webhook_delay
        return float(s.webhook_delay_seconds) if held else 0.0
