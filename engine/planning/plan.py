"""A dry run: what a pipeline run would create, update or leave alone, field by field.

It reads the source and the target and the link table exactly as a run would, and asks the
run's own decision (engine/sync/decision.py) what to do with each record, so what it
predicts is what the run does. It writes nothing: no target call that changes anything, no
link, no cursor, no audit row. Unlinked references render as placeholders instead of being
synced on demand. Where only a write would tell (the target is gone, or refuses the
change), it reads the target instead.

After an edit of the pipeline's definition, the next run reads every record, and so does
the plan: it then says that the definition changed, how many records the edit changes, and
which command applies it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ml_connector.engine.errors import AuthError, ConnectorError, RecordError
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.records import Record
from ml_connector.engine.sync.actions import WRITE_ACTIONS, Action
from ml_connector.engine.sync.adoption import PipelineBeginnings
from ml_connector.engine.sync.clearing import split_clear
from ml_connector.engine.sync.decision import (
    REFUSED_IGNORED,
    Decider,
    Decision,
    flag_error,
    payload_of,
    when_refused,
)
from ml_connector.engine.sync.fingerprint import Definitions
from ml_connector.engine.sync.payloads import decode
from ml_connector.engine.sync.rendering import preview_renderer
from ml_connector.engine.sync.runner import cursor_name
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.sync.views import (
    FieldChange,
    cleared_changes,
    diff,
    dotted,
    holds,
    refusal,
    shown,
)


@dataclass(frozen=True)
class PlannedChange:
    """What a run would do with one source record."""

    source_id: str
    action: Action
    target_id: str | None = None
    changes: tuple[FieldChange, ...] = ()
    error: str | None = None
    reason: str | None = None  # why a skip writes nothing: "filter: record.Active"
    kept: tuple[str, ...] = ()  # fields the mapping stopped writing that the connector keeps

    def as_dict(self) -> dict[str, Any]:
        return {"source_id": self.source_id, "action": self.action.value,
                "target_id": self.target_id,
                "changes": [{"field": c.field, "before": c.before, "after": c.after}
                            for c in self.changes], "error": self.error,
                "reason": self.reason, "kept": list(self.kept)}


@dataclass
class Plan:
    """A pipeline's planned changes; `definition_changed` when its definition was edited
    since its records were last synced (the next run then reads every record)."""

    pipeline: str
    changes: list[PlannedChange] = field(default_factory=list)
    definition_changed: bool = False

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for change in self.changes:
            totals[change.action.value] = totals.get(change.action.value, 0) + 1
        return totals

    @property
    def writes(self) -> int:
        """How many records the run would write to."""
        return sum(1 for change in self.changes if change.action in WRITE_ACTIONS)

    @property
    def command(self) -> str:
        """The command that applies the plan."""
        return f"ml-connector pipeline run {self.pipeline}"

    def as_dict(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline, "counts": self.counts(),
                "definition_changed": self.definition_changed, "writes": self.writes,
                "apply": self.command, "changes": [c.as_dict() for c in self.changes]}


def plan(runtime: Runtime, name: str, *, full: bool = False,
         on_record: Callable[[], None] | None = None) -> Plan:
    """Plan one pipeline over the records a run would read (all of them when `full`).

    `on_record` is called once per source record examined (for progress displays). A
    record the source hands over twice (it changed again while it was read) is planned
    once, as it last read, at its first place: a run counts it once too.
    """
    pipeline = runtime.pipelines.get(name)
    source = runtime.connector(pipeline.source.connection)
    store = runtime.store
    cursor = store.cursors.get(cursor_name(pipeline.name))
    definitions = Definitions(store)
    result = Plan(pipeline.name, definition_changed=(
        cursor is not None and definitions.stored(pipeline) is not None
        and not definitions.current(pipeline)))
    if full or not definitions.current(pipeline):
        cursor = None
    planner = _Planner(runtime, pipeline)
    planned: dict[str, PlannedChange] = {}
    for page in source.read_changes(pipeline.source.entity, cursor):
        for record in page.records:
            planned[record.id] = planner.plan(record)
            if on_record is not None:
                on_record()
    result.changes = list(planned.values())
    return result


class _Planner:
    def __init__(self, runtime: Runtime, pipeline: Pipeline):
        self.pipeline = pipeline
        self.target = runtime.connector(pipeline.target.connection)
        self.decider = Decider(pipeline, preview_renderer(runtime, pipeline), self.target,
                               runtime.store, PipelineBeginnings(runtime.store, read_only=True))

    def plan(self, record: Record) -> PlannedChange:
        try:
            return self._plan(record)
        except AuthError:
            raise
        except (RecordError, ConnectorError) as exc:
            return PlannedChange(record.id, Action.FAIL, error=str(exc))

    def _plan(self, record: Record) -> PlannedChange:
        d = self.decider.decide(record)
        if d.action is Action.UPDATE and d.interrupted is None:
            return self._update(record, d)
        if d.action is Action.ADOPT_UPDATE:
            return self._adopt(record, d)
        if d.action in (Action.CREATE, Action.RECREATE, Action.UPDATE):
            return PlannedChange(record.id, d.action, d.target_id,
                                 tuple(diff(payload_of(d), self._before(d))))
        return PlannedChange(record.id, d.action, d.target_id, reason=d.reason)

    def _before(self, d: Decision) -> Any:
        """What the target holds before the write: nothing for a create."""
        if d.existing is not None:
            return shown(self.target, self.pipeline.target.entity, d.existing)
        if d.interrupted is not None:   # re-sent as it was first sent, then updated
            return decode(d.interrupted.payload)
        return {}

    def _update(self, record: Record, d: Decision) -> PlannedChange:
        """An update, unless the target is gone (recreate) or refuses it (the policy)."""
        entity, link, payload = self.pipeline.target.entity, d.link, payload_of(d)
        assert link is not None
        current = self.target.get(entity, link.target_id)
        if current is None or current.deleted:
            return PlannedChange(record.id, Action.RECREATE, link.target_id,
                                 tuple(diff(payload, {})))
        view = shown(self.target, entity, current)
        sent, unclearable = split_clear(self.target, entity, d.clear)
        changes = (*diff(payload, view), *cleared_changes(sent, view))
        kept = tuple(dotted(path) for path in unclearable if holds(view, path))
        refused = self._refused(record, current, payload, changes)
        if refused is not None:
            return refused
        return PlannedChange(record.id, Action.UPDATE, link.target_id, changes, kept=kept)

    def _adopt(self, record: Record, d: Decision) -> PlannedChange:
        """An existing target adopted and updated, unless it refuses the update: the run
        then applies the policy to it as to a linked one."""
        assert d.existing is not None
        payload = payload_of(d)
        changes = tuple(diff(payload, self._before(d)))
        refused = self._refused(record, d.existing, payload, changes)
        if refused is not None:
            return refused
        return PlannedChange(record.id, Action.ADOPT_UPDATE, d.existing.id, changes)

    def _refused(self, record: Record, current: Record, payload: Mapping[str, Any],
                 changes: tuple[FieldChange, ...]) -> PlannedChange | None:
        """What the policy makes of an update the target would refuse; None if it takes it."""
        refused = refusal(self.target, self.pipeline.target.entity, current, payload)
        if refused is None:
            return None
        action = when_refused(self.pipeline)
        if action is Action.RECREATE:
            return PlannedChange(record.id, action, current.id, tuple(diff(payload, {})))
        if action is Action.FLAG:
            return PlannedChange(record.id, action, current.id, changes,
                                 flag_error(current.id, refused))
        return PlannedChange(record.id, action, current.id, changes, reason=REFUSED_IGNORED)
