"""Checks that span two systems, contributed by packages: the money `reconcile` proves.

Record-by-record reconciliation (reconcile.py) asks whether each target carries what its
mapping renders. Some promises are about the books as a whole instead: every payment made
in one system is booked once in the other, nothing is booked that never happened, what an
invoice still owes is the same on both sides. Those depend on the systems, so the engine
does not know them; a package contributes them through the `ml_connector.reconcile_checks`
entry-point group. Each entry point names a `CrossCheck` (or a zero-argument callable
returning one); `reconcile` runs every installed one over the chosen `Period`, and each
decides for itself whether the project has the pipelines it needs (`run` returns no
reports when it has not).

A check reads both systems through the project's connectors (paged and rate-limited like
every other read), never writes, and reports each `Discrepancy` with the one command that
repairs it.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol, runtime_checkable

from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.store import Store
from ml_connector.engine.sync.runtime import Runtime

ENTRY_POINT_GROUP = "ml_connector.reconcile_checks"


@dataclass(frozen=True)
class Period:
    """Days, both ends included, in UTC; None leaves that end open."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise InvalidInput(f"--since {self.since} is after --until {self.until}")

    def holds(self, day: date | None) -> bool:
        """Whether `day` falls in the period; a movement of unknown day always does."""
        if day is None:
            return True
        return ((self.since is None or day >= self.since)
                and (self.until is None or day <= self.until))

    def as_dict(self) -> dict[str, str | None]:
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}


@dataclass(frozen=True)
class Discrepancy:
    """One way the two systems disagree, and the one command that brings them together.

    `ids` and `amounts` are keyed by side (a connection name, or a rule's own label such as
    "payments"/"books"); amounts are exact text with their currency ("12.50 USD").
    """

    check: str
    kind: str
    ids: Mapping[str, str]
    detail: str
    fix: str
    amounts: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "kind": self.kind, "ids": dict(self.ids),
                "amounts": dict(self.amounts), "detail": self.detail, "fix": self.fix}


@dataclass
class CrossCheckReport:
    """What one check (one rule) examined: how many things, and which disagree."""

    check: str
    checked: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "checked": self.checked,
                "failed": len(self.discrepancies),
                "discrepancies": [d.as_dict() for d in self.discrepancies]}


Progress = Callable[[str], None]
"""Called with a task name once per record read, for progress displays."""


@runtime_checkable
class CrossCheck(Protocol):
    """What an entry point of `ml_connector.reconcile_checks` provides."""

    name: str

    def run(self, runtime: Runtime, period: Period,
            progress: Progress) -> list[CrossCheckReport]:
        """One report per rule that applies to the project; [] when none does. Never writes."""
        ...


def installed_checks(group: str = ENTRY_POINT_GROUP) -> list[CrossCheck]:
    """Every installed check, by entry-point name; a broken one is an error naming it."""
    found: list[CrossCheck] = []
    for entry in sorted(importlib.metadata.entry_points(group=group), key=lambda e: e.name):
        try:
            loaded = entry.load()
            check = loaded() if not isinstance(loaded, CrossCheck) else loaded
        except Exception as exc:  # a broken package must say which one it is
            raise InvalidInput(f"reconcile check {entry.name!r} ({entry.value}) cannot be "
                               f"loaded: {exc}") from exc
        if not isinstance(check, CrossCheck):
            raise InvalidInput(f"reconcile check {entry.name!r} ({entry.value}) is not a "
                               "CrossCheck (it needs a name and run(runtime, period, progress))")
        found.append(check)
    return found


def run_checks(runtime: Runtime, period: Period, checks: Iterable[CrossCheck],
               progress: Progress = lambda _task: None) -> list[CrossCheckReport]:
    return [report for check in checks for report in check.run(runtime, period, progress)]


def pipelines_began(store: Store) -> date | None:
    """The first day anything was synced with this store: the earliest cursor stored.

    Cursors (a pipeline's position, the moment it began) are written from a pipeline's first
    run on, and the earliest one never moves, so this is when the pipelines began.
    """
    stored = [when for _value, when in store.cursors.all().values()]
    if not stored:
        return None
    first = min(stored)
    return (first if first.tzinfo else first.replace(tzinfo=UTC)).astimezone(UTC).date()


def day_of(value: Any) -> date | None:
    """The UTC day of a Unix time, an ISO date or an ISO time; None when there is none."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).date()
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
