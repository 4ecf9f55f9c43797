"""Replaying failed records once the cause is fixed (a mapping, a setting, the other system).

A replay never trusts what the failed attempt saw: it re-reads each record from its source and
renders it with the pipelines as they are now, then syncs it like any run would. That is what
makes it safe as well as useful: the link, the pending intent and the idempotency key that
the failed attempt may have left behind are exactly what an ordinary sync consults before it
creates, so a record whose create was applied but never linked is adopted, not created again.

Records are named by the audit trail: each row's pipeline and `source_ref`
(`connection/entity/id`). Every replayed attempt is audited under a new run id with the
trigger `replay`; a record that fails again is simply failed again, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ml_connector.engine.errors import AuthError, InvalidInput
from ml_connector.engine.store.audit import AuditEntry
from ml_connector.engine.sync.actions import WRITE_ACTIONS, Action
from ml_connector.engine.sync.outcome import Outcome
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime

FAILED = "failed"


@dataclass(frozen=True)
class ReplayItem:
    """One record to replay, and the audit entry that put it on the list."""

    pipeline: str
    source_id: str
    audit_id: int | None = None


@dataclass(frozen=True)
class Selection:
    """What a replay will do: the records to sync, and those left out with the reason."""

    items: list[ReplayItem]
    left_out: list[tuple[ReplayItem, str]] = field(default_factory=list)


@dataclass
class ReplayReport:
    """The outcome of every replayed record; `stopped` says why a replay ended early."""

    run_id: str
    outcomes: list[Outcome] = field(default_factory=list)
    left_out: list[tuple[ReplayItem, str]] = field(default_factory=list)
    stopped: str | None = None

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.failed]

    @property
    def ok(self) -> bool:
        return not self.failures and self.stopped is None

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.action] = counts.get(outcome.action, 0) + 1
        return dict(sorted(counts.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "replayed": len(self.outcomes),
            "written": sum(1 for o in self.outcomes if o.action in WRITE_ACTIONS),
            "failed": len(self.failures),
            "counts": self.counts(),
            "stopped": self.stopped,
            "results": [{"pipeline": o.pipeline, "source_id": o.source_id, "action": o.action,
                         "target_id": o.target_id, "error": o.error} for o in self.outcomes],
            "left_out": [{"pipeline": i.pipeline, "source_id": i.source_id,
                          "audit_id": i.audit_id, "reason": why} for i, why in self.left_out],
        }


def source_id_of(ref: str | None) -> str | None:
    """The record id in a `connection/entity/id` ref (ids may hold slashes); None if absent."""
    parts = (ref or "").split("/", 2)
    return parts[2] if len(parts) == 3 and parts[2] else None


class Replay:
    """Chooses records from the audit trail and syncs them again with one runner."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.audit = runtime.store.audit

    # -- choosing -----------------------------------------------------------------------------

    def by_audit_id(self, audit_id: int) -> Selection:
        """The record of one audit entry, whatever that attempt's outcome was."""
        entry = self.audit.get(audit_id)
        if entry is None:
            raise InvalidInput(f"there is no audit entry {audit_id}; "
                               "`ml-connector audit list` shows the ids")
        item = _item(entry)
        if item is None:
            raise InvalidInput(f"audit entry {audit_id} is not about one record "
                               f"(it records a whole run that stopped: {entry.error})")
        return Selection([item])

    def by_run(self, run_id: str) -> Selection:
        """Every record whose latest attempt in run `run_id` failed."""
        if not self.audit.query(run_id=run_id, limit=1):
            raise InvalidInput(f"run {run_id!r} is not in the audit trail; "
                               "`ml-connector audit list` shows run ids")
        return self._still_failing(self.audit.latest_per_record(run_id=run_id, outcome=FAILED))

    def by_time(self, since: datetime | None, until: datetime | None) -> Selection:
        """Every record whose latest attempt between `since` and `until` failed."""
        found = self.audit.latest_per_record(since=since, until=until, outcome=FAILED)
        return self._still_failing(found)

    def all_failed(self) -> Selection:
        """Every record whose latest attempt, anywhere, failed."""
        return self._still_failing(self.audit.latest_per_record(outcome=FAILED))

    def _still_failing(self, failed: Iterable[AuditEntry]) -> Selection:
        """Drop records that were synced successfully after the failure being replayed."""
        selection = Selection([])
        for entry in failed:
            item = _item(entry)
            if item is None:
                continue
            newest = self.audit.query(pipeline=entry.pipeline, source_ref=entry.source_ref,
                                      limit=1, newest_first=True)[0]
            if newest.outcome != FAILED:
                selection.left_out.append(
                    (item, f"already synced since (audit entry {newest.id}: {newest.action})"))
            else:
                selection.items.append(item)
        return selection

    # -- doing --------------------------------------------------------------------------------

    def run(self, selection: Selection) -> ReplayReport:
        """Re-read and sync each chosen record, parents' pipelines first; stop on lost auth."""
        runner = Runner(self.runtime, trigger="replay")
        report = ReplayReport(runner.run_id, left_out=list(selection.left_out))
        for item in sorted(selection.items, key=self._run_order):
            if item.pipeline not in self.runtime.pipelines:
                report.outcomes.append(Outcome(
                    item.pipeline, item.source_id, Action.FAIL,
                    error=f"the project has no pipeline {item.pipeline!r} any more"))
                continue
            try:
                report.outcomes.append(runner.sync_id(item.pipeline, item.source_id))
            except AuthError as exc:
                report.stopped = str(exc)
                break
        return report

    def _run_order(self, item: ReplayItem) -> tuple[int, int]:
        order = self.runtime.pipelines.order
        position = order.index(item.pipeline) if item.pipeline in order else len(order)
        return position, item.audit_id or 0


def _item(entry: AuditEntry) -> ReplayItem | None:
    source_id = source_id_of(entry.source_ref)
    if source_id is None:
        return None
    return ReplayItem(entry.pipeline, source_id, entry.id)
