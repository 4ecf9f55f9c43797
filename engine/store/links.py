"""Links: which target record a pipeline made (or adopted) for each source record.

The link is what makes a re-run update instead of create, and what `link()` in a mapping
resolves. Its payload hash lets an unchanged record cost no write at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select

from ml_connector.engine.store import tables
from ml_connector.engine.store.database import Database, upsert
from ml_connector.engine.store.types import utcnow

STREAM_BATCH = 500


@dataclass(frozen=True)
class Link:
    """One source record's counterpart in the target system.

    `generation` counts how often the target was voided and recreated (it feeds the
    idempotency key, so a recreate is a new create and not a replay of the old one);
    `updated_at` is set by the store on every `put`.
    """

    pipeline: str
    source_id: str
    target_connection: str
    target_entity: str
    target_id: str
    payload_hash: str | None
    generation: int = 0
    target_version: str | None = None
    updated_at: datetime | None = None


def _from_row(row: Any) -> Link:
    return Link(
        pipeline=row.pipeline, source_id=row.source_id,
        target_connection=row.target_connection, target_entity=row.target_entity,
        target_id=row.target_id, payload_hash=row.payload_hash, generation=row.generation,
        target_version=row.target_version, updated_at=row.updated_at,
    )


def upsert_link(connection: Connection, link: Link) -> None:
    """Write `link` inside the caller's transaction (shared with intent completion)."""
    upsert(connection, tables.links, {
        "pipeline": link.pipeline, "source_id": link.source_id,
        "target_connection": link.target_connection, "target_entity": link.target_entity,
        "target_id": link.target_id, "payload_hash": link.payload_hash,
        "generation": link.generation, "target_version": link.target_version,
        "updated_at": utcnow(),
    }, keys=("pipeline", "source_id"))


# The lookups every record makes, built once: building a statement costs more than running
# it against SQLite, and the compiled form is cached by its shape anyway.
_t = tables.links
_BY_SOURCE = select(_t).where(_t.c.pipeline == bindparam("pipeline"),
                              _t.c.source_id == bindparam("source_id"))
_BY_TARGET = (select(_t)
              .where(_t.c.target_connection == bindparam("connection"),
                     _t.c.target_entity == bindparam("entity"),
                     _t.c.target_id == bindparam("target_id"))
              .order_by(_t.c.updated_at.desc()).limit(1))


class LinkRepository:
    """Reads and writes links; every method is its own transaction."""

    def __init__(self, db: Database):
        self._db = db

    def get(self, pipeline: str, source_id: str) -> Link | None:
        with self._db.read() as conn:
            row = conn.execute(_BY_SOURCE, {"pipeline": pipeline, "source_id": source_id}).first()
        return _from_row(row) if row else None

    def by_target(self, connection: str, entity: str, target_id: str) -> Link | None:
        """The link pointing at a target record: how the engine recognises its own writes.

        Should two pipelines point at the same record, the most recently written one wins.
        """
        with self._db.read() as conn:
            row = conn.execute(_BY_TARGET, {"connection": connection, "entity": entity,
                                            "target_id": target_id}).first()
        return _from_row(row) if row else None

    def put(self, link: Link) -> None:
        """Insert or replace the link of (pipeline, source_id)."""
        with self._db.write() as conn:
            upsert_link(conn, link)

    def remove(self, pipeline: str, source_id: str) -> None:
        t = tables.links
        with self._db.write() as conn:
            conn.execute(delete(t).where(t.c.pipeline == pipeline, t.c.source_id == source_id))

    def for_pipeline(self, pipeline: str) -> Iterator[Link]:
        """Every link of a pipeline, ordered by source id, streamed in batches.

        The read transaction stays open while the caller iterates; on SQLite (WAL) writers
        are not blocked meanwhile, so a reconcile may update links as it goes.
        """
        t = tables.links
        query = select(t).where(t.c.pipeline == pipeline).order_by(t.c.source_id)
        with self._db.read() as conn:
            result = conn.execution_options(yield_per=STREAM_BATCH).execute(query)
            for row in result:
                yield _from_row(row)

    def count(self, pipeline: str | None = None) -> int:
        t = tables.links
        query = select(func.count()).select_from(t)
        if pipeline is not None:
            query = query.where(t.c.pipeline == pipeline)
        with self._db.read() as conn:
            return int(conn.execute(query).scalar_one())
