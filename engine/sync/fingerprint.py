"""A pipeline's definition as a digest: what a mapping edit changes, and nothing else.

An incremental run reads only the source records changed since its cursor, so a mapping
edit would otherwise reach a record only when the record itself next changed. The runner
stores this digest once a run has finished; when the pipeline's definition differs from
the stored one, the next run reads from the beginning and re-renders every record, and the
payload hashes keep the records the edit does not touch free of writes.

Records that fail in that run are kept as owed the definition: each later run syncs them
again, by id, until they go through. The digest is stored all the same, so one record
that cannot sync (bad data in the source, say) costs each run one read of that record, not
a read of every record and a listing of the whole target, every poll until someone fixes it.

A pipeline with no stored digest adopts its definition as it is, without reading
everything: it has never run (its first run reads everything anyway), or its store comes
from before digests were kept, when an edit reached records only as they changed. An edit
made before that upgrade therefore reaches its records with `run --full`, as it did before.

Everything that decides which records sync and what they render is in the digest: target,
mapping, params, filter, deleted_when, match keys and policies. Where the YAML sits in its
file (line numbers, comments, descriptions, triggers) is not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from ml_connector.engine.mapping.expressions import Expression
from ml_connector.engine.mapping.nodes import ForEachNode, ListNode, MappingNode, ObjectNode
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.store import Store

_PREFIX = "definition:"
_OWED_PREFIX = "definition-owed:"


def definition_fingerprint(pipeline: Pipeline) -> str:
    """A digest of everything in `pipeline` that changes which records sync or their payload."""
    shape = {
        "target": [pipeline.target.connection, pipeline.target.entity],
        "mapping": _node(pipeline.mapping),
        "params": pipeline.params,
        "filter": _expression(pipeline.source_filter),
        "deleted_when": _expression(pipeline.source_deleted_when),
        "match": [[key.target_field, _expression(key.value)] for key in pipeline.match],
        "policies": [pipeline.policies.on_source_delete.value,
                     pipeline.policies.on_immutable_change.value],
    }
    text = json.dumps(shape, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _node(node: MappingNode) -> Any:
    if isinstance(node, Expression):
        return _expression(node)
    if isinstance(node, ObjectNode):
        return {"object": [[f.name, f.optional, _node(f.value)] for f in node.fields]}
    if isinstance(node, ListNode):
        return {"list": [_node(item) for item in node.items]}
    if isinstance(node, ForEachNode):
        return {"for_each": _expression(node.source), "as": node.var, "item": _node(node.item)}
    raise TypeError(f"unknown mapping node {type(node).__name__}")


def _expression(expression: Expression | None) -> Any:
    """Its kind and text; a literal also by type, so `"true"` and `true` differ."""
    if expression is None:
        return None
    if expression.kind == "literal":
        value = expression.evaluate({})
        return ["literal", type(value).__name__, expression.source]
    return [expression.kind, expression.source]


class Definitions:
    """The definition each pipeline's records were last synced under, kept in the store,
    and the records that failed to sync under it since."""

    def __init__(self, store: Store):
        self._store = store

    def stored(self, pipeline: Pipeline) -> str | None:
        """The fingerprint of the definition its records were synced under; None before any."""
        return self._store.cursors.get(_PREFIX + pipeline.name)

    def current(self, pipeline: Pipeline) -> bool:
        """Whether the records of `pipeline` were last synced under its definition as it is.

        True also while none is stored: a first run, or the first since the store was
        upgraded from before definitions were kept, adopts the definition (see `adopt`).
        """
        stored = self.stored(pipeline)
        return stored is None or stored == definition_fingerprint(pipeline)

    def adopt(self, pipeline: Pipeline) -> None:
        """Store the pipeline's definition unless one is stored: nothing synced so far was
        synced under another that this process knows of."""
        if self.stored(pipeline) is None:   # a read: the common case writes nothing
            self._store.cursors.setdefault(_PREFIX + pipeline.name,
                                           definition_fingerprint(pipeline))

    def owed(self, pipeline: Pipeline) -> set[str]:
        """Source ids that failed to sync under the stored definition, to sync again."""
        text = self._store.cursors.get(_OWED_PREFIX + pipeline.name)
        return set(json.loads(text)) if text else set()

    def synced(self, pipeline: Pipeline, *, owed: Iterable[str] = ()) -> None:
        """Record that every record of `pipeline` has been rendered under its definition,
        except `owed`: those failed, and the next runs sync them again."""
        self._store.cursors.put(_OWED_PREFIX + pipeline.name, json.dumps(sorted(owed)))
        self._store.cursors.put(_PREFIX + pipeline.name, definition_fingerprint(pipeline))
