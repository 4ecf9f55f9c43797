"""The names a mapping expression can use, built per record.

`link()` is how one pipeline refers to another's records (an invoice's customer): it answers
from the link table, and when the referenced record is not linked yet it raises `MissingLink`
so the runner can sync that dependency first and render again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ml_connector.engine.errors import MissingLink, RecordError
from ml_connector.engine.loading import PipelineSet
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.plugins.protocol import Connector
from ml_connector.engine.records import Record
from ml_connector.engine.store import Store

NO_DEFAULT: Any = object()   # `lookup()` without a default: no match is an error


class LinkLookup:
    """`link` and `linked_source` as mapping functions, bound to one store and pipeline set.

    In a dry run (`placeholders=True`) an unlinked reference renders as a readable placeholder
    instead of triggering a dependency sync, because a plan must not write anything.
    """

    def __init__(self, store: Store, pipelines: PipelineSet, *, placeholders: bool = False,
                 connectors: Callable[[str], Connector] | None = None):
        self._store, self._pipelines, self._placeholders = store, pipelines, placeholders
        self._connectors = connectors
        self._found: dict[tuple[str, str, str, str], str] = {}
        self._found_lock = threading.Lock()

    def link(self, pipeline: str, source_id: Any) -> str | None:
        if source_id is None or source_id == "":
            return None
        self._pipelines.get(pipeline)  # unknown name -> InvalidInput with did-you-mean
        found = self._store.links.get(pipeline, str(source_id))
        if found is not None:   # a record merged into another answers the survivor's target
            return self._store.links.resolve(found).target_id
        if self._placeholders:
            return f"<new via {pipeline}: {source_id}>"
        raise MissingLink(pipeline, str(source_id))

    def lookup(self, connection: str, entity: str, field: str, value: Any,
               default: Any = NO_DEFAULT) -> Any:
        """The id of the one record of `entity` whose `field` equals `value` (cached per run).

        For settings a user names rather than numbers: "the account called Card Clearing".
        With `default`, no such record answers `default` (an item named like a sale's line,
        else the item a pipeline's params name); several are still an error.
        """
        key = (connection, entity, field, str(value))
        with self._found_lock:
            if key in self._found:
                return self._found[key]
        if self._connectors is None:
            raise RecordError(f"lookup({connection!r}, {entity!r}, {field!r}, {value!r}) "
                              "is not available here")
        found = self._connectors(connection).find(entity, field, value)
        if not found and default is not NO_DEFAULT:
            return default
        if len(found) != 1:
            what = "no" if not found else f"{len(found)}"
            raise RecordError(f"lookup: {what} {entity} record(s) in {connection!r} with "
                              f"{field} = {value!r}; exactly one is needed")
        with self._found_lock:
            self._found[key] = found[0].id
        return found[0].id

    def linked_source(self, pipeline: str, target_id: Any) -> str | None:
        """The source id a pipeline linked to `target_id` (the survivor's, for the target of
        a record merged into another), or None: how echoes are recognised."""
        if target_id is None:
            return None
        target = self._pipelines.get(pipeline).target
        found = self._store.links.by_target(target.connection, target.entity, str(target_id))
        if found is None or found.pipeline != pipeline:
            return None
        # The target of a record merged into another belongs to the survivor now.
        return self._store.links.resolve(found).source_id


def render_context(pipeline: Pipeline, record: Record, links: LinkLookup,
                   now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Mapping[str, Any]:
    """Everything a mapping may read for `record`; nothing else (no settings, no secrets)."""
    return {
        "record": record.data,
        "source": {"connection": pipeline.source.connection, "entity": pipeline.source.entity,
                   "id": record.id, "version": record.version, "deleted": record.deleted},
        "params": pipeline.params,
        "link": links.link,
        "linked_source": links.linked_source,
        "lookup": links.lookup,
        "now": now(),
    }
