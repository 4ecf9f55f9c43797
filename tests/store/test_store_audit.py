"""The audit trail: append-only, ordered, queryable, and redacted on the way in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ml_connector.engine.store import AuditEntry, AuditLog, Store


def _entry(source_ref: str, *, outcome: str = "ok", pipeline: str = "customers-to-stripe",
           run_id: str = "run-1", at: datetime | None = None, error: str | None = None,
           summary: dict | None = None) -> AuditEntry:
    return AuditEntry(id=None, run_id=run_id, pipeline=pipeline, source_ref=source_ref,
                      target_ref=f"cus_{source_ref}", action="create", outcome=outcome,
                      error=error, request_summary=summary, request_ids=["req_1"],
                      trigger="manual", at=at)


def test_append_returns_the_id_and_get_reads_it_back(store: Store) -> None:
    entry_id = store.audit.append(_entry("58", summary={"method": "POST", "path": "/v1/x"}))
    found = store.audit.get(entry_id)
    assert found is not None
    assert (found.id, found.source_ref, found.target_ref) == (entry_id, "58", "cus_58")
    assert found.request_summary == {"method": "POST", "path": "/v1/x"}
    assert found.request_ids == ["req_1"] and found.trigger == "manual"
    assert found.at is not None and found.at.tzinfo is not None
    assert store.audit.get(entry_id + 1000) is None


def test_rows_keep_their_append_order(store: Store) -> None:
    ids = [store.audit.append(_entry(str(n))) for n in (5, 3, 9, 1)]
    assert [e.id for e in store.audit.query()] == ids
    assert [e.source_ref for e in store.audit.query()] == ["5", "3", "9", "1"]
    assert [e.source_ref for e in store.audit.query(limit=2, newest_first=True)] == ["1", "9"]


def test_query_filters_combine(store: Store) -> None:
    start = datetime(2024, 3, 1, tzinfo=UTC)
    store.audit.append(_entry("1", at=start))
    store.audit.append(_entry("1", outcome="failed", error="boom", at=start + timedelta(hours=1)))
    store.audit.append(_entry("2", outcome="failed", run_id="run-2",
                              at=start + timedelta(hours=2)))
    store.audit.append(_entry("1", pipeline="invoices-to-stripe", at=start))
    assert [e.source_ref for e in store.audit.query(outcome="failed")] == ["1", "2"]
    assert len(store.audit.query(pipeline="customers-to-stripe", source_ref="1")) == 2
    assert [e.run_id for e in store.audit.query(run_id="run-2")] == ["run-2"]
    window = store.audit.query(since=start + timedelta(minutes=30),
                               until=start + timedelta(hours=2))
    assert [e.error for e in window] == ["boom"]


def test_the_log_offers_no_way_to_change_rows() -> None:
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    assert public == {"append", "query", "get", "latest_per_record", "run_totals"}


def test_the_database_refuses_updates_and_deletes(store: Store) -> None:
    entry_id = store.audit.append(_entry("58"))
    for statement in ("UPDATE audit SET outcome = 'ok' WHERE id = :id",
                      "DELETE FROM audit WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"), store.database.write() as conn:
            conn.execute(text(statement), {"id": entry_id})
    assert store.audit.get(entry_id) is not None


def test_secrets_are_redacted_before_they_are_stored(store: Store) -> None:
    entry_id = store.audit.append(_entry(
        "58", error="auth failed for sk_test_fake123abc with Bearer eyJabc.def.ghi",
        summary={"headers": {"Authorization": "Basic c2tfdGVzdDo="},
                 "body": {"client_secret": "shhh-value", "amount": 100}}))
    found = store.audit.get(entry_id)
    assert found is not None
    assert "sk_test_fake123abc" not in (found.error or "") and "eyJabc" not in (found.error or "")
    assert found.request_summary == {"headers": {"Authorization": "***"},
                                     "body": {"client_secret": "***", "amount": 100}}
    with store.database.read() as conn:
        raw = " ".join(str(v) for v in conn.execute(text("SELECT * FROM audit")).one())
    assert "shhh-value" not in raw and "c2tfdGVzdDo=" not in raw
