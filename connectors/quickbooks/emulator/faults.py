"""Fault injection, switchable at run time through `POST /_emulator/faults`.

Each API request draws once from a seeded random generator, so a fault test with a fixed
`seed` meets the same faults in the same order on every run (given the same requests).
"""

from __future__ import annotations

import difflib
import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class FaultSettings:
    """Probabilities are per API request (0..1); `webhook_duplicates` is extra copies sent."""

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_slow: float = 0.0
    slow_seconds: float = 5.0
    rate_drop: float = 0.0
    drop_after_apply: bool = True
    rate_expire: float = 0.0
    expire_tokens: bool = False
    webhook_duplicates: int = 0
    webhook_reorder: bool = False
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
        for name in ("rate_429", "rate_5xx", "rate_slow", "rate_drop", "rate_expire"):
            if not 0.0 <= float(getattr(settings, name)) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if not 0 <= int(settings.webhook_duplicates) <= 10:
            raise ValueError("webhook_duplicates must be between 0 and 10")
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
        return Decision(kind, slow, draws[4] < s.rate_expire, status)

    def choice(self, options: list[Any]) -> Any:
        with self._lock:
            return self.rng.choice(options)
