"""Finding an existing target record for a source record that has no link yet.

This is what lets a first sync against an account that already holds the records adopt them
instead of creating duplicates. Match keys are tried in the order the pipeline lists them;
a candidate already linked to another source record is never adopted twice. A run that reads
its source from the beginning passes a `finder` that answers from one listing of the target
(engine/sync/match_index.py) instead of a search per record.
"""

from __future__ import annotations

from ml_connector.engine.errors import PermanentError
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.plugins.protocol import Connector
from ml_connector.engine.records import Record
from ml_connector.engine.store import Store
from ml_connector.engine.sync.match_index import Finder
from ml_connector.engine.sync.rendering import Renderer


def find_existing(pipeline: Pipeline, record: Record, renderer: Renderer, target: Connector,
                  store: Store, finder: Finder | None = None) -> Record | None:
    """The one unlinked target record the match keys point at, or None when there is none."""
    if not pipeline.match:
        return None
    context = renderer.context(record)
    for index, key in enumerate(pipeline.match):
        value = renderer.evaluate(key.value, context, record, f"match[{index}].value")
        if value is None or value == "":
            continue
        candidates = [
            found for found in (finder or target).find(pipeline.target.entity,
                                                       key.target_field, value)
            if _unclaimed(found, pipeline, record, store)
        ]
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            ids = ", ".join(sorted(c.id for c in candidates)[:5])
            raise PermanentError(
                f"{len(candidates)} {pipeline.target.entity} records match "
                f"{key.target_field} = {value!r} ({ids}); link one by hand or use a unique "
                "match key")
    return None


def _unclaimed(found: Record, pipeline: Pipeline, record: Record, store: Store) -> bool:
    link = store.links.by_target(pipeline.target.connection, pipeline.target.entity, found.id)
    return link is None or (link.pipeline == pipeline.name and link.source_id == record.id)
