"""What an audit row says about the request an attempt made, without any of its values.

A finance team needs to know *which* fields a sync sent and whether the payload changed, to
answer "why did this invoice change on Tuesday"; it must never find an email address, an
amount or a token in the audit trail. So the summary keeps the target entity, the payload's
field paths, the payload's hash (the one stored with the link, so two attempts can be
compared), and the request ids each system gave, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.records import Record
from ml_connector.engine.sync.payloads import payload_hash
from ml_connector.engine.sync.rendering import Renderer


class RecordingRenderer(Renderer):
    """A renderer that remembers the last payload it rendered, for the attempt's summary."""

    rendered: dict[str, Any] | None = None

    def payload(self, record: Record,
                sync_dependency: Callable[[str, str], None] | None = None) -> dict[str, Any]:
        self.rendered = super().payload(record, sync_dependency)
        return self.rendered


def field_paths(payload: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of every leaf field; list items share one path (`lines[].amount`)."""
    paths: list[str] = []
    for key, value in payload.items():
        path = f"{prefix}{key}"
        paths.extend(_paths_of(value, path))
    return sorted(set(paths))


def _paths_of(value: Any, path: str) -> list[str]:
    if isinstance(value, Mapping) and value:
        return field_paths(value, f"{path}.")
    if isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
        items = [p for v in value if isinstance(v, Mapping) for p in field_paths(v, f"{path}[].")]
        return items or [f"{path}[]"]
    return [path]


def request_summary(pipeline: Pipeline, payload: Mapping[str, Any] | None, *,
                    source_ids: Sequence[str] = (), target_ids: Sequence[str] = (),
                    reason: str | None = None, answer: Mapping[str, Any] | None = None,
                    written_back: str | None = None) -> dict[str, Any]:
    """The redacted story of one attempt's requests: systems, entities, fields, hash, ids,
    and for an attempt that wrote nothing on purpose, why (the filter, never a value).

    `answer` is what the target said of the record it wrote, as its connector chose to show
    it (an invoice's number, status and pay link: what the customer sees, no amounts);
    `written_back` the source field this attempt wrote that pay link into."""
    summary: dict[str, Any] = {
        "source": {"connection": pipeline.source.connection,
                   "entity": pipeline.source.entity, "request_ids": list(source_ids)},
        "target": {"connection": pipeline.target.connection,
                   "entity": pipeline.target.entity, "request_ids": list(target_ids)},
    }
    if payload is not None:
        summary["fields"] = field_paths(payload)
        summary["payload_hash"] = payload_hash(payload)
    if reason is not None:
        summary["reason"] = reason
    if answer:
        summary["answer"] = dict(answer)
    if written_back is not None:
        summary["written_back"] = written_back
    return summary
