"""Cursors: how far each incremental read (change-data capture, event feeds) has got.

A cursor is opaque text owned by the connector; the engine stores it only after the page it
closes has been synced, so a crash re-reads a page rather than skipping one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ml_connector.engine.store import tables
from ml_connector.engine.store.database import Database, insert_if_absent, upsert
from ml_connector.engine.store.types import utcnow


class CursorRepository:
    """Named cursor values with the time each was last stored."""

    def __init__(self, db: Database):
        self._db = db

    def get(self, name: str) -> str | None:
        t = tables.cursors
        with self._db.read() as conn:
            return conn.execute(select(t.c.value).where(t.c.name == name)).scalar()

    def put(self, name: str, value: str) -> None:
        with self._db.write() as conn:
            upsert(conn, tables.cursors, {"name": name, "value": value, "updated_at": utcnow()},
                   keys=("name",))

    def setdefault(self, name: str, value: str) -> str:
        """Store `value` unless the cursor exists; the stored value either way.

        Concurrent callers all get the value of the one that stored first.
        """
        t = tables.cursors
        with self._db.write() as conn:
            insert_if_absent(conn, t, {"name": name, "value": value, "updated_at": utcnow()},
                             keys=("name",))
            return conn.execute(select(t.c.value).where(t.c.name == name)).scalar_one()

    def all(self) -> dict[str, tuple[str, datetime]]:
        """Every cursor as name -> (value, when stored), for status displays."""
        t = tables.cursors
        with self._db.read() as conn:
            rows = conn.execute(select(t).order_by(t.c.name))
            return {row.name: (row.value, row.updated_at) for row in rows}
