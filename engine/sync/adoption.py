"""Whether a source record could already have a target that this store did not make.

Match keys let a first sync adopt target records made before ml-connector kept a ledger for
the pipeline, instead of duplicating them. Every search is a read against the target's rate
limit (and, on metered APIs, its bill), so it is worth skipping where it cannot find anything.

A pipeline may declare `source.occurred_at`: when the source record came into being for it
(a payment's paid time, a refund's creation). Declaring it asserts that no target for the
record can have been made before that moment, which holds when the match key carries the
source's own id (nobody can type a payment's id before the payment exists). A record that
occurred after the pipeline began in this store can then only have targets made since; the
ones this store made are in its intents and links, which are checked first. So such records
are not searched.

The search still runs for records that occurred before the pipeline began (with a minute of
allowance for clocks that disagree), for records whose time is missing or unreadable, for
every pipeline without `occurred_at`, and when an interrupted create is resumed. A lost store
is a new store: it begins anew, so everything older is searched again.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.records import Record
from ml_connector.engine.store import Store
from ml_connector.engine.sync.rendering import Renderer

CLOCK_ALLOWANCE = timedelta(seconds=60)
_BEGAN_PREFIX = "began:"


class PipelineBeginnings:
    """When each pipeline first synced with this store, remembered once it is known.

    The moment is stored the first time it is asked for and never moves afterwards, so every
    process sharing the store agrees on it. A read-only view (for `pipeline plan`, which
    writes nothing) takes "now" for a pipeline that has not begun, as its first run would.
    """

    def __init__(self, store: Store, *, read_only: bool = False):
        self._store, self._read_only = store, read_only
        self._known: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def of(self, pipeline: str) -> datetime:
        with self._lock:
            known = self._known.get(pipeline)
            if known is None:
                now = datetime.now(UTC).isoformat()
                name = _BEGAN_PREFIX + pipeline
                stored = (self._store.cursors.get(name) or now if self._read_only
                          else self._store.cursors.setdefault(name, now))
                known = self._known[pipeline] = _parse_iso(stored) or datetime.now(UTC)
            return known


def may_have_foreign_target(pipeline: Pipeline, record: Record, renderer: Renderer,
                            context: Mapping[str, Any], began: PipelineBeginnings) -> bool:
    """False only when the record provably occurred after the pipeline began in this store."""
    if not pipeline.match:
        return False
    expression = pipeline.source_occurred_at
    if expression is None:
        return True
    occurred = occurred_time(renderer.evaluate(expression, context, record,
                                               "source.occurred_at"))
    if occurred is None:
        return True
    return occurred <= began.of(pipeline.name) + CLOCK_ALLOWANCE


def occurred_time(value: Any) -> datetime | None:
    """Unix seconds or an ISO 8601 time as an aware datetime; None when it is neither."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        return _parse_iso(value)
    return None


def _parse_iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
