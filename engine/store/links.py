"""Links: which target record a pipeline made (or adopted) for each source record.

The link is what makes a re-run update instead of create, and what `link()` in a mapping
resolves. Its payload hash lets an unchanged record cost no write at all; the fields of the
payload last written tell the next update which fields the target should no longer hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select

from ml_connector.engine.records import FieldPath
from ml_connector.engine.store import tables
from ml_connector.engine.store.database import Database, upsert
from ml_connector.engine.store.types import utcnow

STREAM_BATCH = 500


class LinkState(StrEnum):
    """Where the linked target stands, as far as this pipeline is concerned."""

    SYNCED = "synced"    # it carries the payload whose hash is stored (None: not known yet)
    VOIDED = "voided"    # voided on purpose; a recreate is owed (it may have been cut off)
    REMOVED = "removed"  # removed because its source record was deleted (on_source_delete)
    FLAGGED = "flagged"  # it refused the payload whose hash is stored (on_immutable_change)
    KEPT = "kept"        # its source was deleted but the target refused the removal: it stays
    MERGED = "merged"    # the source was merged into `merged_into`: references go there


@dataclass(frozen=True)
class Link:
    """One source record's counterpart in the target system.

    `generation` counts how often the target was voided and recreated (it feeds the
    idempotency key, so a recreate is a new create and not a replay of the old one);
    `updated_at` is set by the store on every `put`. `payload_fields` are the fields the
    last written payload set (None when not known, as for a target adopted and not written
    since): a field among them that the next payload leaves out is cleared in the target.
    `merged_into` is the surviving source record of a merged one (state `merged`): the link
    keeps the target it had, and whatever asks for it is sent on to the survivor's.
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
    state: LinkState = LinkState.SYNCED
    payload_fields: tuple[FieldPath, ...] | None = None
    merged_into: str | None = None


def _from_row(row: Any) -> Link:
    return Link(
        pipeline=row.pipeline, source_id=row.source_id,
        target_connection=row.target_connection, target_entity=row.target_entity,
        target_id=row.target_id, payload_hash=row.payload_hash, generation=row.generation,
        target_version=row.target_version, updated_at=row.updated_at,
        state=LinkState(row.state), payload_fields=_fields_from(row.payload_fields),
        merged_into=row.merged_into,
    )


def _fields_from(stored: Sequence[Sequence[str]] | None) -> tuple[FieldPath, ...] | None:
    return None if stored is None else tuple(tuple(path) for path in stored)


def upsert_link(connection: Connection, link: Link) -> None:
    """Write `link` inside the caller's transaction (shared with intent completion)."""
    upsert(connection, tables.links, {
        "pipeline": link.pipeline, "source_id": link.source_id,
        "target_connection": link.target_connection, "target_entity": link.target_entity,
        "target_id": link.target_id, "payload_hash": link.payload_hash,
        "generation": link.generation, "target_version": link.target_version,
        "updated_at": utcnow(), "state": link.state.value,
        "payload_fields": (None if link.payload_fields is None
                           else [list(path) for path in link.payload_fields]),
        "merged_into": link.merged_into,
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

    def put(self, link: Link, *also: Link) -> None:
        """Insert or replace the link of (pipeline, source_id), and `also`, atomically."""
        with self._db.write() as conn:
            for each in (link, *also):
                upsert_link(conn, each)

    def merge(self, pipeline: str, merged_id: str, survivor_id: str) -> Link:
        """Record that `merged_id` was merged into `survivor_id`, in one transaction.

        The merged record's link keeps its own target (kept, not removed) and names the
        survivor; one that had no link gets one to the survivor's target. `resolve` then
        sends whatever asks for either record's link to the survivor. The survivor must be
        linked. Doing it twice changes nothing, so a redelivered notification is harmless.
        """
        with self._db.write() as conn:
            found = conn.execute(_BY_SOURCE, {"pipeline": pipeline,
                                              "source_id": survivor_id}).first()
            if found is None:
                raise KeyError(f"{pipeline}: the surviving record {survivor_id} is not linked")
            survivor = _from_row(found)
            row = conn.execute(_BY_SOURCE, {"pipeline": pipeline,
                                            "source_id": merged_id}).first()
            old = _from_row(row) if row else None
            merged = Link(pipeline=pipeline, source_id=merged_id,
                          target_connection=survivor.target_connection,
                          target_entity=survivor.target_entity,
                          target_id=old.target_id if old else survivor.target_id,
                          payload_hash=None, generation=old.generation if old else 0,
                          target_version=old.target_version if old else None,
                          state=LinkState.MERGED, merged_into=survivor_id)
            upsert_link(conn, merged)
        return merged

    def resolve(self, link: Link) -> Link:
        """The link a reference to `link`'s record should use: the survivor's, once merged.

        Follows `merged_into` (A into B, later B into C: C), and stops at a cycle or a
        survivor that has no link, answering the last link found.
        """
        seen = {link.source_id}
        while link.state is LinkState.MERGED and link.merged_into not in (None, *seen):
            survivor = self.get(link.pipeline, str(link.merged_into))
            if survivor is None:
                break
            seen.add(survivor.source_id)
            link = survivor
        return link

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
