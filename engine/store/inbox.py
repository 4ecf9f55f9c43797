"""The webhook inbox: deliveries stored durably before they are answered, processed after.

A webhook handler only verifies, stores and answers 2xx; workers then `claim` items. A claim
is a lease: a worker that dies mid-item stops renewing nothing, its lease runs out, and the
item becomes claimable again, so no delivery is lost to a crash. Redeliveries of the same
event id are dropped at `add`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ml_connector.engine.redaction import redact_text
from ml_connector.engine.store import tables
from ml_connector.engine.store.database import Database
from ml_connector.engine.store.types import utcnow

PENDING, CLAIMED, DONE, FAILED = "pending", "claimed", "done", "failed"


@dataclass(frozen=True)
class InboxItem:
    """One stored webhook event; `attempts` counts claims, including the current one."""

    id: int
    connection: str
    event_id: str
    entity: str
    record_id: str
    operation: str
    payload: dict
    status: str
    attempts: int
    received_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class Backlog:
    """The waiting part of the inbox, enough to tell a queue being drained from a stuck one.

    `last_error` is the newest error among waiting items: what they are being retried after.
    """

    depth: int
    oldest_received_at: datetime | None
    arrived_since: int
    last_settled_at: datetime | None
    last_error: str | None


def _from_row(row: Any) -> InboxItem:
    return InboxItem(
        id=row.id, connection=row.connection, event_id=row.event_id, entity=row.entity,
        record_id=row.record_id, operation=row.operation, payload=row.payload,
        status=row.status, attempts=row.attempts, received_at=row.received_at,
        last_error=row.last_error,
    )


class InboxRepository:
    """Adds, leases and settles inbox items."""

    def __init__(self, db: Database):
        self._db = db

    def add(self, connection: str, event_id: str, entity: str, record_id: str,
            operation: str, payload: dict, *, available_at: datetime | None = None) -> bool:
        """Store an event; False when this connection's event id was stored before.

        `available_at` holds the event back until then (a settle window); by default it is
        due at once.
        """
        now = utcnow()
        try:
            with self._db.write() as conn:
                conn.execute(insert(tables.inbox).values(
                    connection=connection, event_id=event_id, entity=entity,
                    record_id=record_id, operation=operation, payload=payload,
                    status=PENDING, attempts=0, received_at=now,
                    available_at=available_at or now))
        except IntegrityError:
            return False
        return True

    def claim(self, limit: int, *, worker: str, lease_seconds: float = 60) -> list[InboxItem]:
        """Lease up to `limit` due items, oldest first; no two workers get the same item.

        Due means pending and past any retry delay, or claimed by a worker whose lease ran
        out. PostgreSQL skips rows another claimer has locked; SQLite serialises claimers
        with its write lock.
        """
        t = tables.inbox
        now = utcnow()
        due = or_(
            (t.c.status == PENDING) & (t.c.available_at <= now),
            (t.c.status == CLAIMED) & (t.c.lease_until < now),
        )
        with self._db.write() as conn:
            ids = list(conn.execute(
                select(t.c.id).where(due).order_by(t.c.id).limit(limit)
                .with_for_update(skip_locked=True)).scalars())
            if not ids:
                return []
            conn.execute(update(t).where(t.c.id.in_(ids)).values(
                status=CLAIMED, claimed_by=worker, attempts=t.c.attempts + 1,
                lease_until=now + timedelta(seconds=lease_seconds)))
            rows = conn.execute(select(t).where(t.c.id.in_(ids)).order_by(t.c.id))
            return [_from_row(row) for row in rows]

    def done(self, item_id: int) -> None:
        """The item was processed; it leaves the queue for good."""
        self._settle(item_id, status=DONE, settled_at=utcnow())

    def failed(self, item_id: int, error: str, *, retry: bool, delay: float = 0) -> None:
        """Processing failed: back to the queue after `delay` seconds, or dead ('failed').

        The error text is redacted before it is stored, like everything the store keeps.
        """
        error = redact_text(error)
        available = utcnow() + timedelta(seconds=delay)
        if retry:
            self._settle(item_id, status=PENDING, last_error=error, available_at=available)
        else:
            self._settle(item_id, status=FAILED, last_error=error, settled_at=utcnow())

    def _settle(self, item_id: int, **values: Any) -> None:
        t = tables.inbox
        with self._db.write() as conn:
            conn.execute(update(t).where(t.c.id == item_id)
                         .values(claimed_by=None, lease_until=None, **values))

    def depth(self) -> int:
        """Items still to process: pending plus claimed."""
        t = tables.inbox
        query = select(func.count()).select_from(t).where(t.c.status.in_((PENDING, CLAIMED)))
        with self._db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def backlog(self, since: datetime) -> Backlog:
        """What waits now, how much of it arrived since `since`, and when anything last left."""
        t = tables.inbox
        waiting = t.c.status.in_((PENDING, CLAIMED))
        with self._db.read() as conn:
            depth, oldest = conn.execute(
                select(func.count(), func.min(t.c.received_at)).where(waiting)).one()
            arrived = conn.execute(select(func.count()).select_from(t).where(
                waiting & (t.c.received_at >= since))).scalar_one()
            settled = conn.execute(select(func.max(t.c.settled_at))).scalar()
            error = conn.execute(select(t.c.last_error).where(
                waiting & t.c.last_error.is_not(None)).order_by(t.c.id.desc()).limit(1)).scalar()
        return Backlog(depth=int(depth), oldest_received_at=oldest,
                       arrived_since=int(arrived), last_settled_at=settled,
                       last_error=error)

    def counts(self) -> dict[str, int]:
        """How many items are in each status (pending, claimed, done, failed)."""
        t = tables.inbox
        query = select(t.c.status, func.count()).group_by(t.c.status)
        with self._db.read() as conn:
            return {status: int(n) for status, n in conn.execute(query)}

    def get(self, item_id: int) -> InboxItem | None:
        t = tables.inbox
        with self._db.read() as conn:
            row = conn.execute(select(t).where(t.c.id == item_id)).first()
        return _from_row(row) if row else None
