"""What happened to each record, and the totals a run reports."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ml_connector.engine.sync.actions import FAILED_ACTIONS, Action

ECHO_REASON = "echo: written by this project"


@dataclass(frozen=True)
class Outcome:
    """The result of syncing one source record once."""

    pipeline: str
    source_id: str
    action: Action
    target_id: str | None = None
    error: str | None = None
    retryable: bool = False
    request_ids: tuple[str, ...] = ()
    changes: dict[str, Any] | None = None
    reason: str | None = None  # why nothing was written (a skip): "filter: record.Active"
    kept: tuple[str, ...] = ()  # fields the mapping stopped writing that the target kept
    # What the target said of the record it wrote (an invoice's number, status, pay link).
    answer: Mapping[str, Any] | None = None
    # The source field a pay link was written into by this attempt, and that write's ids.
    written_back: str | None = None
    source_request_ids: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.action in FAILED_ACTIONS


@dataclass
class RunSummary:
    """Counts by action for one pipeline run, plus the failures to show the user.

    A record read twice in one run (it changed again while the run read its pages) counts
    once among the failures, with its latest error, and not at all when its latest attempt
    went through: `failed` is records, not attempts. They are kept by record, so a run of
    many failures costs one dictionary step each.
    """

    pipeline: str
    run_id: str
    counts: Counter[Action] = field(default_factory=Counter)
    _failures: dict[str, Outcome] = field(default_factory=dict, repr=False)
    skip_reasons: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)  # fields not cleared: records each
    stopped: str | None = None  # why the run stopped early (e.g. authorisation needed)
    # Records another pipeline of the same run pulled in on demand and counted here already.
    _pulled: set[str] = field(default_factory=set, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, outcome: Outcome) -> None:
        with self._lock:
            if outcome.source_id in self._pulled and outcome.action is Action.UNCHANGED:
                return   # this run already counted what was done to it
            self._count(outcome)

    def add_pulled(self, outcome: Outcome) -> None:
        """Count a record a dependent pipeline synced on demand while this one ran."""
        with self._lock:
            if outcome.source_id not in self._pulled:
                self._pulled.add(outcome.source_id)
                self._count(outcome)

    def _count(self, outcome: Outcome) -> None:
        self.counts[outcome.action] += 1
        reason = outcome.reason or (ECHO_REASON if outcome.action is Action.ECHO else None)
        if reason is not None and outcome.action in {Action.SKIP, Action.ECHO}:
            self.skip_reasons[reason] += 1
        self.kept.update(outcome.kept)
        self._failures.pop(outcome.source_id, None)   # a re-failure moves to the end
        if outcome.failed:
            self._failures[outcome.source_id] = outcome

    @property
    def failures(self) -> list[Outcome]:
        """The records whose latest outcome failed, in the order they (last) failed."""
        with self._lock:   # a pipeline running alongside may be adding one it pulled
            return list(self._failures.values())

    @property
    def failed(self) -> int:
        return len(self._failures)

    @property
    def ok(self) -> bool:
        return not self._failures and self.stopped is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "run_id": self.run_id,
            "created": self.counts[Action.CREATE] + self.counts[Action.RECREATE],
            "updated": self.counts[Action.UPDATE] + self.counts[Action.ADOPT_UPDATE],
            "adopted": self.counts[Action.ADOPT_UPDATE],
            "unchanged": self.counts[Action.UNCHANGED],
            "removed": self.counts[Action.REMOVE],
            "merged": self.counts[Action.MERGE],
            "skipped": self.counts[Action.SKIP] + self.counts[Action.ECHO],
            "skip_reasons": dict(self.skip_reasons),
            "kept": dict(self.kept),
            "failed": self.failed,
            "stopped": self.stopped,
            "failures": [
                {"source_id": f.source_id, "action": f.action.value, "error": f.error}
                for f in self.failures
            ],
        }
