"""Intents: the write-ahead record that makes a create happen at most once.

Before creating a target record the engine stores an intent holding the idempotency key and
the exact payload it is about to send. If the process dies before the link is written, the
next run finds the pending intent and resends the same payload with the same key, so the
target system answers with the record it already made instead of making a second one.
`complete` marks the intent done and writes the link in one transaction: there is never a
moment where neither (or both, inconsistently) says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from ml_connector.engine.store import links as _links
from ml_connector.engine.store import tables
from ml_connector.engine.store.database import Database
from ml_connector.engine.store.links import Link
from ml_connector.engine.store.types import utcnow

PENDING, DONE, ABANDONED = "pending", "done", "abandoned"


@dataclass(frozen=True)
class Intent:
    """A create that was started; `payload` is exactly what was (or will be) sent."""

    id: int
    pipeline: str
    source_id: str
    idempotency_key: str
    payload: dict
    status: str
    target_id: str | None
    created_at: datetime


def _from_row(row: Any) -> Intent:
    return Intent(
        id=row.id, pipeline=row.pipeline, source_id=row.source_id,
        idempotency_key=row.idempotency_key, payload=row.payload, status=row.status,
        target_id=row.target_id, created_at=row.created_at,
    )


_t = tables.intents
_PENDING = select(_t).where(_t.c.pipeline == bindparam("pipeline"),
                            _t.c.source_id == bindparam("source_id"), _t.c.status == PENDING)


def _pending(conn: Connection, pipeline: str, source_id: str) -> Intent | None:
    row = conn.execute(_PENDING, {"pipeline": pipeline, "source_id": source_id}).first()
    return _from_row(row) if row else None


class IntentRepository:
    """Begins, completes and abandons intents."""

    def __init__(self, db: Database):
        self._db = db

    def pending(self, pipeline: str, source_id: str) -> Intent | None:
        with self._db.read() as conn:
            return _pending(conn, pipeline, source_id)

    def begin(self, pipeline: str, source_id: str, idempotency_key: str,
              payload: dict) -> Intent:
        """Record a create about to happen, or return the one already pending, unchanged.

        Returning the existing intent (its key and payload, not the new ones) is the point:
        a retry must resend what was first sent. A unique index allows one pending intent
        per record, so a racing worker's insert fails and it reads the winner's intent.
        """
        try:
            return self._insert(pipeline, source_id, idempotency_key, payload)
        except IntegrityError:
            existing = self.pending(pipeline, source_id)
            if existing is None:  # the winner completed in between; start afresh
                return self._insert(pipeline, source_id, idempotency_key, payload)
            return existing

    def _insert(self, pipeline: str, source_id: str, idempotency_key: str,
                payload: dict) -> Intent:
        t = tables.intents
        with self._db.write() as conn:
            existing = _pending(conn, pipeline, source_id)
            if existing is not None:
                return existing
            now = utcnow()
            new_id = conn.execute(insert(t).values(
                pipeline=pipeline, source_id=source_id, idempotency_key=idempotency_key,
                payload=payload, status=PENDING, created_at=now, updated_at=now,
            ).returning(t.c.id)).scalar_one()
        return Intent(id=new_id, pipeline=pipeline, source_id=source_id,
                      idempotency_key=idempotency_key, payload=payload, status=PENDING,
                      target_id=None, created_at=now)

    def complete(self, intent: Intent, link: Link, *also: Link) -> None:
        """Mark the intent done with the created record's id and write its link, atomically.

        `also` are links written in the same transaction (the pair seen from the pipeline
        that syncs the other way), so a crash never leaves one half of a pair.
        """
        t = tables.intents
        with self._db.write() as conn:
            conn.execute(update(t).where(t.c.id == intent.id).values(
                status=DONE, target_id=link.target_id, updated_at=utcnow()))
            for each in (link, *also):
                _links.upsert_link(conn, each)

    def abandon(self, intent: Intent) -> None:
        """Give up on a pending create (the target rejected it for good)."""
        t = tables.intents
        with self._db.write() as conn:
            conn.execute(update(t).where(t.c.id == intent.id, t.c.status == PENDING)
                         .values(status=ABANDONED, updated_at=utcnow()))

    def all_pending(self) -> list[Intent]:
        """Every pending intent, oldest first: the creates a crash may have interrupted."""
        t = tables.intents
        with self._db.read() as conn:
            rows = conn.execute(select(t).where(t.c.status == PENDING).order_by(t.c.id))
            return [_from_row(row) for row in rows]
