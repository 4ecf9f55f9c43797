"""The latest scheduled poll of each pipeline, kept so that health outlives the process.

`serve` polls; `status` runs in another process and `/healthz` must not forget a failing
streak across a restart, so each poll's outcome is stored here: when it ran, how it ended,
the error (redacted), and how many polls in a row have failed since the last success. The
count is kept by the database in the same statement that records the poll, so two services
polling one pipeline never lose a failure between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select

from ml_connector.engine.redaction import redact_text
from ml_connector.engine.store import tables
from ml_connector.engine.store.database import Database, upsert
from ml_connector.engine.store.types import UtcDateTime, utcnow

# How a poll ended. A poll that ran, even if some of its records failed (those are in the
# audit trail), is not a failed poll; a poll that could not run, or stopped, is. STALE: it
# was not run, because the pipeline's file changed on disk since the service loaded it.
RAN, RECORDS_FAILED, STOPPED, BROKE = "ok", "records failed", "stopped", "error"
STALE = "stale"


@dataclass(frozen=True)
class PollRecord:
    """The latest poll of one pipeline; `failures_in_row` is 0 once a poll succeeds."""

    pipeline: str
    attempted_at: datetime
    outcome: str
    error: str | None
    failures_in_row: int
    failing_since: datetime | None
    succeeded_at: datetime | None

    @property
    def failing(self) -> bool:
        return self.failures_in_row > 0

    @property
    def stopped(self) -> bool:
        """The latest poll stopped for want of authorisation, which no retry repairs."""
        return self.outcome == STOPPED

    @property
    def stale(self) -> bool:
        """The latest poll was not run: the service holds an older pipeline file than the
        one on disk, and only a restart repairs that."""
        return self.outcome == STALE


def _from_row(row: Any) -> PollRecord:
    return PollRecord(pipeline=row.pipeline, attempted_at=row.attempted_at, outcome=row.outcome,
                      error=row.error, failures_in_row=row.failures_in_row,
                      failing_since=row.failing_since, succeeded_at=row.succeeded_at)


class PollRepository:
    """Records each poll's outcome and reads the latest per pipeline."""

    def __init__(self, db: Database):
        self._db = db

    def succeeded(self, pipeline: str, *, outcome: str = RAN) -> None:
        """The poll ran (`outcome` says whether some records failed): the streak ends."""
        now = utcnow()
        with self._db.write() as conn:
            upsert(conn, tables.polls, {
                "pipeline": pipeline, "attempted_at": now, "outcome": outcome, "error": None,
                "failures_in_row": 0, "failing_since": None, "succeeded_at": now},
                keys=("pipeline",))

    def failed(self, pipeline: str, outcome: str, error: str) -> None:
        """The poll could not run or stopped: one more failure in a row."""
        t, now = tables.polls, utcnow()
        with self._db.write() as conn:
            upsert(conn, t, {
                "pipeline": pipeline, "attempted_at": now, "outcome": outcome,
                "error": redact_text(error), "failures_in_row": 1, "failing_since": now},
                keys=("pipeline",),
                on_conflict={"failures_in_row": t.c.failures_in_row + 1,
                             "failing_since": func.coalesce(t.c.failing_since,
                                                             literal(now, UtcDateTime()))})

    def get(self, pipeline: str) -> PollRecord | None:
        t = tables.polls
        with self._db.read() as conn:
            row = conn.execute(select(t).where(t.c.pipeline == pipeline)).first()
        return _from_row(row) if row else None

    def all(self) -> dict[str, PollRecord]:
        """The latest poll of every pipeline polled so far, by pipeline."""
        t = tables.polls
        with self._db.read() as conn:
            return {row.pipeline: _from_row(row)
                    for row in conn.execute(select(t).order_by(t.c.pipeline))}
