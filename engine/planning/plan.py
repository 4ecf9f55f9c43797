"""A dry run: what a pipeline run would create, update or leave alone, field by field.

It reads the source and the target and the link table exactly as a run would, renders every
payload, and writes nothing: no target call that changes anything, no link, no cursor, no
audit row. Unlinked references render as placeholders instead of being synced on demand.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ml_connector.engine.errors import AuthError, ConnectorError, RecordError
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.records import Record
from ml_connector.engine.store.links import LinkState
from ml_connector.engine.sync.adoption import PipelineBeginnings, may_have_foreign_target
from ml_connector.engine.sync.matching import find_existing
from ml_connector.engine.sync.payloads import payload_hash
from ml_connector.engine.sync.rendering import preview_renderer
from ml_connector.engine.sync.runner import cursor_name
from ml_connector.engine.sync.runtime import Runtime


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class PlannedChange:
    """What a run would do with one source record."""

    source_id: str
    action: str  # create | update | adopt | unchanged | remove | skip | echo | fail
    target_id: str | None = None
    changes: tuple[FieldChange, ...] = ()
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"source_id": self.source_id, "action": self.action, "target_id": self.target_id,
                "changes": [{"field": c.field, "before": c.before, "after": c.after}
                            for c in self.changes], "error": self.error}


@dataclass
class Plan:
    pipeline: str
    changes: list[PlannedChange] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for change in self.changes:
            totals[change.action] = totals.get(change.action, 0) + 1
        return totals


def plan(runtime: Runtime, name: str, *, full: bool = False) -> Plan:
    """Plan one pipeline over the records a run would read (all of them when `full`)."""
    pipeline = runtime.pipelines.get(name)
    source = runtime.connector(pipeline.source.connection)
    cursor = None if full else runtime.store.cursors.get(cursor_name(pipeline.name))
    planner = _Planner(runtime, pipeline)
    result = Plan(pipeline.name)
    for page in source.read_changes(pipeline.source.entity, cursor):
        result.changes.extend(planner.plan(record) for record in page.records)
    return result


class _Planner:
    def __init__(self, runtime: Runtime, pipeline: Pipeline):
        self.runtime, self.pipeline = runtime, pipeline
        self.renderer = preview_renderer(runtime, pipeline)
        self.beginnings = PipelineBeginnings(runtime.store, read_only=True)
        self.target = runtime.connector(pipeline.target.connection)

    def plan(self, record: Record) -> PlannedChange:
        try:
            return self._plan(record)
        except AuthError:
            raise
        except (RecordError, ConnectorError) as exc:
            return PlannedChange(record.id, "fail", error=str(exc))

    def _plan(self, record: Record) -> PlannedChange:
        p, store = self.pipeline, self.runtime.store
        src = p.source
        if store.links.by_target(src.connection, src.entity, record.id) is not None:
            return PlannedChange(record.id, "echo")
        link = store.links.get(p.name, record.id)
        if self.renderer.counts_as_deleted(record, self.renderer.context(record)):
            removable = (link is not None and link.state is not LinkState.REMOVED
                         and p.policies.on_source_delete != "ignore")
            return PlannedChange(record.id, "remove" if removable else "skip",
                                 link.target_id if link else None)
        if not self.renderer.passes_filter(record, self.renderer.context(record)):
            return PlannedChange(record.id, "skip", link.target_id if link else None)
        payload = self.renderer.payload(record)
        if link is None or link.state is LinkState.VOIDED:
            existing = None
            if link is None and may_have_foreign_target(p, record, self.renderer,
                                                        self.renderer.context(record),
                                                        self.beginnings):
                existing = find_existing(p, record, self.renderer, self.target, store)
            if existing is not None:
                return PlannedChange(record.id, "adopt", existing.id,
                                     tuple(diff(payload, existing.data)))
            return PlannedChange(record.id, "create", None, tuple(diff(payload, {})))
        if link.payload_hash == payload_hash(payload):
            return PlannedChange(record.id, "unchanged", link.target_id)
        current = self.target.get(p.target.entity, link.target_id)
        return PlannedChange(record.id, "update", link.target_id,
                             tuple(diff(payload, current.data if current else {})))


def diff(payload: Any, current: Any, prefix: str = "") -> Iterator[FieldChange]:
    """Leaf-level differences between the payload and the target's current values.

    Only fields the payload sets are compared: the target's other fields are not ours.
    """
    if isinstance(payload, Mapping):
        current_map = current if isinstance(current, Mapping) else {}
        for key, value in payload.items():
            yield from diff(value, current_map.get(key), f"{prefix}.{key}" if prefix else key)
    elif isinstance(payload, list):
        current_list = current if isinstance(current, list) else []
        for index, value in enumerate(payload):
            before = current_list[index] if index < len(current_list) else None
            yield from diff(value, before, f"{prefix}[{index}]")
    elif not _same(payload, current):
        yield FieldChange(prefix, current, payload)


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    return a is not None and b is not None and str(a) == str(b)
