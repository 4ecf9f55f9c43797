"""Reconciliation: do the two systems agree, record by record?

For every pipeline and every source record (a full read, not a cursor), it checks that the
record is linked, that the linked target exists, that the target carries what the mapping
renders today (field by field, amounts as numbers), that it no longer holds a field the
mapping stopped writing, and that the first match key (the record's identity in the target)
finds exactly one target (no duplicates). Connectors may offer
`reconcile_view(entity, record) -> Mapping` to present a target record in the shape the
mapping writes (e.g. invoice lines), and
`reconcile_checks(pipeline_name, source, target) -> list[str]` for system-specific checks
such as balances; both are optional and found with getattr.

Nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ml_connector.engine.errors import AuthError, MlConnectorError
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.records import Record
from ml_connector.engine.store.links import Link, LinkState
from ml_connector.engine.sync.fingerprint import Definitions
from ml_connector.engine.sync.payloads import cleared_fields, payload_hash
from ml_connector.engine.sync.rendering import preview_renderer
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.sync.values import readable
from ml_connector.engine.sync.views import ABSENT, differences, dotted, holds, shown, value_at


@dataclass(frozen=True)
class Mismatch:
    pipeline: str
    source_id: str
    kind: str  # missing | target_missing | differs | duplicate | unrenderable | check
    detail: str
    fix: str
    target_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline, "source_id": self.source_id, "kind": self.kind,
                "target_id": self.target_id, "detail": self.detail, "fix": self.fix}


@dataclass
class PipelineReport:
    pipeline: str
    checked: int = 0
    matched: int = 0
    skipped: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline, "checked": self.checked, "matched": self.matched,
                "skipped": self.skipped, "mismatches": [m.as_dict() for m in self.mismatches]}


def reconcile(runtime: Runtime, names: list[str] | None = None, *,
              on_record: Callable[[], None] | None = None) -> list[PipelineReport]:
    """One report per pipeline, in run order.

    `on_record` is called once per source record examined (for progress displays).
    """
    chosen = names or list(runtime.pipelines.order)
    return [_Reconciler(runtime, runtime.pipelines.get(name), on_record).report()
            for name in chosen]


class _Reconciler:
    def __init__(self, runtime: Runtime, pipeline: Pipeline,
                 on_record: Callable[[], None] | None = None):
        self.runtime, self.pipeline, self.on_record = runtime, pipeline, on_record
        self.renderer = preview_renderer(runtime, pipeline)
        self.source = runtime.connector(pipeline.source.connection)
        self.target = runtime.connector(pipeline.target.connection)
        self.definition_current = Definitions(runtime.store).current(pipeline)

    def report(self) -> PipelineReport:
        report = PipelineReport(self.pipeline.name)
        for page in self.source.read_changes(self.pipeline.source.entity, None):
            for record in page.records:
                checked_before = report.checked
                problems = self._check(record, report)
                report.mismatches.extend(problems)
                if report.checked > checked_before and not problems:
                    report.matched += 1
                if self.on_record is not None:
                    self.on_record()
        return report

    def _check(self, record: Record, report: PipelineReport) -> list[Mismatch]:
        p, store = self.pipeline, self.runtime.store
        if record.deleted or store.links.by_target(p.source.connection, p.source.entity,
                                                   record.id):
            report.skipped += 1
            return []
        try:
            context = self.renderer.context(record)
            if (self.renderer.counts_as_deleted(record, context)
                    or not self.renderer.passes_filter(record, context)):
                report.skipped += 1
                return []
            report.checked += 1
            payload = self.renderer.payload(record)
        except AuthError:
            raise
        except MlConnectorError as exc:
            return [self._mismatch(record, "unrenderable", str(exc),
                                   "fix the mapping or the source record, then run the pipeline")]
        link = store.links.get(p.name, record.id)
        if link is None or link.state not in (LinkState.SYNCED, LinkState.FLAGGED):
            return [self._mismatch(record, "missing", "no linked target record",
                                   f"run `ml-connector pipeline run {p.name}`")]
        target = self.target.get(p.target.entity, link.target_id)
        if target is None or target.deleted:
            return [self._mismatch(record, "target_missing",
                                   f"linked target {link.target_id} no longer exists",
                                   f"run `ml-connector pipeline run {p.name} --full`",
                                   link.target_id)]
        return [*self._differences(record, payload, target, link),
                *self._duplicates(record, target), *self._custom(record, target)]

    def _differences(self, record: Record, payload: Mapping[str, Any], target: Record,
                     link: Link) -> list[Mismatch]:
        view = shown(self.target, self.pipeline.target.entity, target)
        diffs = [f"{path}: target has {'nothing' if have is ABSENT else readable(have)}, "
                 f"mapping gives {readable(want)}"
                 for path, want, have in differences(payload, view)]
        diffs += [f"{dotted(path)}: target has {readable(value_at(view, path))}, which the "
                  "mapping no longer sets"
                  for path in cleared_fields(link.payload_fields, payload) if holds(view, path)]
        if not diffs:
            return []
        more = f" (and {len(diffs) - 5} more)" if len(diffs) > 5 else ""
        return [self._mismatch(record, "differs", "; ".join(diffs[:5]) + more,
                               self._fix(link, payload), target.id)]

    def _fix(self, link: Link, payload: Mapping[str, Any]) -> str:
        """What brings the target in step: a run, unless the run has nothing to write."""
        run = f"run `ml-connector pipeline run {self.pipeline.name}`"
        if link.state is LinkState.FLAGGED:
            return ("the target refused this change (on_immutable_change: flag): change the "
                    "target by hand, or choose another policy and run the pipeline")
        if not self.definition_current:
            return f"{run}: the pipeline changed since its records were synced"
        if link.payload_hash != payload_hash(payload):
            return f"{run}: the source changed since it was synced"
        return ("the target was changed outside ml-connector, or kept a field it could not "
                "clear: change it back in the target (the next change of the source record "
                "writes it again)")

    def _duplicates(self, record: Record, target: Record) -> list[Mismatch]:
        """The first match key is the record's identity in the target: it must find one."""
        if not self.pipeline.match:
            return []
        key = self.pipeline.match[0]
        value = self.renderer.evaluate(key.value, self.renderer.context(record), record,
                                       "match[0].value")
        if value in (None, ""):
            return []
        found = self.target.find(self.pipeline.target.entity, key.target_field, value)
        if len(found) <= 1:
            return []
        ids = ", ".join(sorted(r.id for r in found))
        return [self._mismatch(record, "duplicate",
                               f"{len(found)} targets carry {key.target_field} = "
                               f"{readable(value)}: {ids}",
                               f"keep {target.id}; void or delete the others", target.id)]

    def _custom(self, record: Record, target: Record) -> list[Mismatch]:
        checks = getattr(self.target, "reconcile_checks", None)
        if checks is None:
            return []
        return [self._mismatch(record, "check", problem, "see the detail", target.id)
                for problem in checks(self.pipeline.name, record, target)]

    def _mismatch(self, record: Record, kind: str, detail: str, fix: str,
                  target_id: str | None = None) -> Mismatch:
        return Mismatch(self.pipeline.name, record.id, kind, detail, fix, target_id)

