"""Rendering one source record through one pipeline's compiled mapping."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ml_connector.engine.errors import MissingLink, MlConnectorError, RecordError, RenderError
from ml_connector.engine.mapping import render
from ml_connector.engine.mapping.expressions import Expression
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.records import Record
from ml_connector.engine.sync.context import LinkLookup, render_context
from ml_connector.engine.sync.delivery import source_view
from ml_connector.engine.sync.runtime import Runtime

# How many distinct missing dependencies one record may pull in before we call it a loop.
MAX_ON_DEMAND = 8


class Renderer:
    """Renders payloads, filters and match values for one pipeline, naming the failing place."""

    def __init__(self, pipeline: Pipeline, links: LinkLookup,
                 source_view: Callable[[Record], Record] | None = None):
        """`source_view` shows a record as the pipeline renders it: without the pay link
        this project wrote into it (engine/sync/delivery.py), so that write is no change."""
        self.pipeline, self.links = pipeline, links
        self.source_view = source_view

    def context(self, record: Record) -> Mapping[str, Any]:
        if self.source_view is not None and not record.deleted:
            record = self.source_view(record)
        return render_context(self.pipeline, record, self.links)

    def evaluate(self, expression: Expression, context: Mapping[str, Any], record: Record,
                 field: str) -> Any:
        """Evaluate a filter or match expression; failures become a located `RenderError`."""
        try:
            return expression.evaluate(context)
        except MlConnectorError:
            raise
        except Exception as exc:  # jinja raises many types; the message is what matters here
            raise RenderError(self.pipeline.name, field, record.id, expression.source,
                              _reason(exc)) from None

    def counts_as_deleted(self, record: Record, context: Mapping[str, Any]) -> bool:
        """Deleted in the source, or deleted by the pipeline's `source.deleted_when`."""
        expression = self.pipeline.source_deleted_when
        if record.deleted or expression is None:
            return record.deleted
        return bool(self.evaluate(expression, context, record, "source.deleted_when"))

    def passes_filter(self, record: Record, context: Mapping[str, Any]) -> bool:
        expression = self.pipeline.source_filter
        if expression is None:
            return True
        return bool(self.evaluate(expression, context, record, "source.filter"))

    @property
    def filter_reason(self) -> str:
        """Why `passes_filter` said no, as the audit and the run summary show it."""
        expression = self.pipeline.source_filter
        return f"filter: {expression_text(expression.source)}" if expression else "filter"

    def payload(self, record: Record,
                sync_dependency: Callable[[str, str], None] | None = None) -> dict[str, Any]:
        """The target payload; an unlinked reference is synced on demand, then rendered again."""
        pulled: set[tuple[str, str]] = set()
        while True:
            context = self.context(record)
            try:
                return render(self.pipeline.mapping, context, pipeline=self.pipeline.name,
                              record_id=record.id)
            except MissingLink as missing:
                key = (missing.pipeline, missing.source_id)
                if sync_dependency is None or key in pulled or len(pulled) >= MAX_ON_DEMAND:
                    raise RecordError(
                        f"pipeline {self.pipeline.name!r}, record {record.id!r}: it refers to "
                        f"record {missing.source_id!r} of pipeline {missing.pipeline!r}, "
                        "which could not be linked") from None
                pulled.add(key)
                sync_dependency(missing.pipeline, missing.source_id)


def preview_renderer(runtime: Runtime, pipeline: Pipeline) -> Renderer:
    """A renderer for looking, not writing (plan, reconcile): unlinked references render as
    placeholders instead of syncing the dependency."""
    links = LinkLookup(runtime.store, runtime.pipelines, placeholders=True,
                       connectors=runtime.connector)
    return Renderer(pipeline, links, source_view(runtime, pipeline))


def expression_text(source: str) -> str:
    """An expression on one line as a person reads it: `record.Active`, no `{{ }}` around."""
    text = " ".join(source.split())
    if text.startswith("{{") and text.endswith("}}"):
        text = text[2:-2].strip()
    return text


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]
