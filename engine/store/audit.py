"""The audit trail: one append-only row per attempt on a record.

It answers "what happened to invoice 1042, and why" long after the run. Rows are never
changed: this class has no update or delete, and the database refuses both (the migration
installs triggers). Everything passes through redaction first, because a request summary
or an error message is exactly where a token would otherwise leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from ml_connector.engine.redaction import redact
from ml_connector.engine.store import tables
from ml_connector.engine.store.database import Database
from ml_connector.engine.store.types import utcnow


@dataclass(frozen=True)
class AuditEntry:
    """One attempt: what was tried on which record, and how it ended.

    `action` is create | update | skip | remove | adopt | echo | fail | ...; `outcome` is
    ok | unchanged | failed | retried | skipped. `id` and `at` are filled by the store.
    """

    id: int | None
    run_id: str
    pipeline: str
    source_ref: str | None
    target_ref: str | None
    action: str
    outcome: str
    error: str | None = None
    request_summary: dict | None = None
    request_ids: list[str] = field(default_factory=list)
    trigger: str | None = None
    at: datetime | None = None


def _from_row(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id, run_id=row.run_id, pipeline=row.pipeline, source_ref=row.source_ref,
        target_ref=row.target_ref, action=row.action, outcome=row.outcome, error=row.error,
        request_summary=row.request_summary, request_ids=list(row.request_ids or []),
        trigger=row.trigger, at=row.at,
    )


class AuditLog:
    """Appends and queries audit rows."""

    def __init__(self, db: Database):
        self._db = db

    def append(self, entry: AuditEntry) -> int:
        """Store `entry` (redacted) and return its id; `at` defaults to now."""
        t = tables.audit
        values = {
            "run_id": entry.run_id, "pipeline": entry.pipeline,
            "source_ref": entry.source_ref, "target_ref": entry.target_ref,
            "action": entry.action, "outcome": entry.outcome,
            "error": redact(entry.error), "request_summary": redact(entry.request_summary),
            "request_ids": list(entry.request_ids), "trigger": entry.trigger,
            "at": entry.at or utcnow(),
        }
        with self._db.write() as conn:
            return int(conn.execute(insert(t).values(**values).returning(t.c.id)).scalar_one())

    def query(self, *, pipeline: str | None = None, source_ref: str | None = None,
              outcome: str | None = None, run_id: str | None = None,
              since: datetime | None = None, until: datetime | None = None,
              limit: int | None = 100, newest_first: bool = False) -> list[AuditEntry]:
        """Entries matching every given filter, in the order they were appended.

        `since` is inclusive and `until` exclusive; `limit=None` returns every match. With
        `newest_first` the latest `limit` entries come back, latest first (what an
        `audit list` command would show).
        """
        t = tables.audit
        filters = [column == value for column, value in (
            (t.c.pipeline, pipeline), (t.c.source_ref, source_ref), (t.c.outcome, outcome),
            (t.c.run_id, run_id)) if value is not None]
        if since is not None:
            filters.append(t.c.at >= since)
        if until is not None:
            filters.append(t.c.at < until)
        order = t.c.id.desc() if newest_first else t.c.id
        query = select(t).where(*filters).order_by(order).limit(limit)
        with self._db.read() as conn:
            return [_from_row(row) for row in conn.execute(query)]

    def get(self, entry_id: int) -> AuditEntry | None:
        t = tables.audit
        with self._db.read() as conn:
            row = conn.execute(select(t).where(t.c.id == entry_id)).first()
        return _from_row(row) if row else None
