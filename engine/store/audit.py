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

from sqlalchemy import ColumnElement, func, insert, or_, select

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


@dataclass(frozen=True)
class RunTotals:
    """How one run ended, counted from its audit rows: what a status display shows."""

    run_id: str
    counts: dict[str, int]
    started: datetime | None
    finished: datetime | None


def _filters(*, pipeline: str | None = None, source_ref: str | None = None,
             outcome: str | None = None, run_id: str | None = None,
             since: datetime | None = None, until: datetime | None = None
             ) -> list[ColumnElement[bool]]:
    t = tables.audit
    filters = [column == value for column, value in (
        (t.c.pipeline, pipeline), (t.c.source_ref, source_ref), (t.c.outcome, outcome),
        (t.c.run_id, run_id)) if value is not None]
    if since is not None:
        filters.append(t.c.at >= since)
    if until is not None:
        filters.append(t.c.at < until)
    return filters


def _about_record(record: str) -> ColumnElement[bool]:
    """Entries whose source or target is `record`: a whole ref, or an id at a ref's end."""
    t = tables.audit
    suffix = "/" + record
    return or_(t.c.source_ref == record, t.c.target_ref == record,
               t.c.source_ref.endswith(suffix, autoescape=True),
               t.c.target_ref.endswith(suffix, autoescape=True))


def _from_row(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id, run_id=row.run_id, pipeline=row.pipeline, source_ref=row.source_ref,
        target_ref=row.target_ref, action=row.action, outcome=row.outcome, error=row.error,
        request_summary=row.request_summary, request_ids=list(row.request_ids or []),
        trigger=row.trigger, at=row.at,
    )


# Every attempt appends one row: built once, executed with each row's values.
_APPEND = insert(tables.audit).returning(tables.audit.c.id)


class AuditLog:
    """Appends and queries audit rows."""

    def __init__(self, db: Database):
        self._db = db

    def append(self, entry: AuditEntry) -> int:
        """Store `entry` (redacted) and return its id; `at` defaults to now."""
        values = {
            "run_id": entry.run_id, "pipeline": entry.pipeline,
            "source_ref": entry.source_ref, "target_ref": entry.target_ref,
            "action": entry.action, "outcome": entry.outcome,
            "error": redact(entry.error), "request_summary": redact(entry.request_summary),
            "request_ids": list(entry.request_ids), "trigger": entry.trigger,
            "at": entry.at or utcnow(),
        }
        with self._db.write() as conn:
            return int(conn.execute(_APPEND, values).scalar_one())

    def query(self, *, pipeline: str | None = None, source_ref: str | None = None,
              outcome: str | None = None, run_id: str | None = None,
              since: datetime | None = None, until: datetime | None = None,
              limit: int | None = 100, newest_first: bool = False,
              record: str | None = None) -> list[AuditEntry]:
        """Entries matching every given filter, in the order they were appended.

        `since` is inclusive and `until` exclusive; `limit=None` returns every match. With
        `newest_first` the latest `limit` entries come back, latest first (what an
        `audit list` command would show). `record` is what a person knows about a record:
        a whole source or target ref, or just an id from either system.
        """
        t = tables.audit
        filters = _filters(pipeline=pipeline, source_ref=source_ref, outcome=outcome,
                           run_id=run_id, since=since, until=until)
        if record is not None:
            filters.append(_about_record(record))
        order = t.c.id.desc() if newest_first else t.c.id
        query = select(t).where(*filters).order_by(order).limit(limit)
        with self._db.read() as conn:
            return [_from_row(row) for row in conn.execute(query)]

    def latest_per_record(self, *, pipeline: str | None = None, run_id: str | None = None,
                          since: datetime | None = None, until: datetime | None = None,
                          outcome: str | None = None) -> list[AuditEntry]:
        """The newest entry of each (pipeline, source record) among those matching the filters.

        With `outcome`, only records whose newest matching entry has that outcome: "every
        record whose last attempt in run X failed" is one query, not a scan of the trail.
        """
        t = tables.audit
        filters = _filters(pipeline=pipeline, run_id=run_id, since=since, until=until)
        newest = (select(func.max(t.c.id)).where(t.c.source_ref.is_not(None), *filters)
                  .group_by(t.c.pipeline, t.c.source_ref))
        query = select(t).where(t.c.id.in_(newest.scalar_subquery()))
        if outcome is not None:
            query = query.where(t.c.outcome == outcome)
        with self._db.read() as conn:
            return [_from_row(row) for row in conn.execute(query.order_by(t.c.id))]

    def run_totals(self, run_id: str, *, pipeline: str | None = None) -> RunTotals:
        """Counts by outcome and the time span of one run (of one pipeline, when given)."""
        t = tables.audit
        query = (select(t.c.outcome, func.count(), func.min(t.c.at), func.max(t.c.at))
                 .where(*_filters(pipeline=pipeline, run_id=run_id)).group_by(t.c.outcome))
        with self._db.read() as conn:
            rows = list(conn.execute(query))
        return RunTotals(run_id=run_id, counts={row[0]: int(row[1]) for row in rows},
                         started=min((row[2] for row in rows), default=None),
                         finished=max((row[3] for row in rows), default=None))

    def get(self, entry_id: int) -> AuditEntry | None:
        t = tables.audit
        with self._db.read() as conn:
            row = conn.execute(select(t).where(t.c.id == entry_id)).first()
        return _from_row(row) if row else None
