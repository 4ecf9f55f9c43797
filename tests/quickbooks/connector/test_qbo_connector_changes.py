"""Incremental reads: full read by query, CDC since a cursor with deletes, window splitting
past 1,000 objects, the dense-window fallback, and the 30-day limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qbo_connector_kit import REALM, Emulator

from ml_connector.connectors.quickbooks.cdc import records_of
from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.connectors.quickbooks.emulator.entities import RULES
from ml_connector.connectors.quickbooks.emulator.writes import create


def bulk_customers(emulator: Emulator, count: int, *, per_second: int | None = None,
                   prefix: str = "Bulk") -> None:
    """Create customers inside the emulator, `per_second` of them per emulator second."""
    with emulator.state.lock:
        ledger = emulator.state.ledger(REALM)
        for index in range(count):
            if per_second and index and index % per_second == 0:
                emulator.state.clock.advance(1)
            create(ledger, RULES["Customer"], {"DisplayName": f"{prefix} {index:05d}"})
    emulator.state.clock.advance(1)


def requests(emulator: Emulator) -> dict[str, int]:
    return emulator.state.snapshot()["requests"]


def test_a_first_read_is_a_full_read_by_query(connector: QuickBooksConnector,
                                              emulator: Emulator) -> None:
    emulator.admin("seed", {"realm_id": REALM})
    dormant = connector.find("Customer", "DisplayName", "Kate Whelan")[0]
    connector.remove("Customer", dormant.id, mode="deactivate")
    pages = list(connector.read_changes("Customer", None))
    customers = records_of(iter(pages))
    assert len(customers) == 30 and len({c.id for c in customers}) == 30
    assert dormant.id in {c.id for c in customers}
    assert pages[-1].cursor is not None
    assert "GET cdc" not in requests(emulator)


def test_cdc_since_the_cursor_reports_changes_and_deletes(connector: QuickBooksConnector,
                                                          emulator: Emulator) -> None:
    customer = connector.create("Customer", {"DisplayName": "Early"}, idempotency_key="k")
    body = {"CustomerRef": {"value": customer.id}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 5,
         "SalesItemLineDetail": {"ItemRef": {"value": connector.find(
             "Item", "Name", "Services")[0].id}}}]}
    doomed = connector.create("Invoice", body, idempotency_key="d")
    cursor = list(connector.read_changes("Invoice", None))[-1].cursor
    emulator.state.clock.advance(2)
    changed = connector.create("Invoice", body, idempotency_key="c")
    connector.remove("Invoice", doomed.id, mode="delete")
    pages = list(connector.read_changes("Invoice", cursor))
    records = records_of(iter(pages))
    assert [(r.id, r.deleted) for r in records] == [(changed.id, False), (doomed.id, True)]
    assert "GET cdc" in requests(emulator)
    assert pages[-1].cursor and pages[-1].cursor != cursor
    # Nothing changed since: a re-read may only repeat a change stamped in the cursor's
    # own millisecond (at-least-once), never report anything new.
    again = records_of(connector.read_changes("Invoice", pages[-1].cursor))
    assert {(r.id, r.deleted) for r in again} <= {(r.id, r.deleted) for r in records}


def test_more_than_1000_changes_are_read_by_splitting_the_window(
        connector: QuickBooksConnector, emulator: Emulator) -> None:
    cursor = emulator.state.clock.server_time()
    emulator.state.clock.advance(1)
    bulk_customers(emulator, 2500, per_second=40)
    pages = list(connector.read_changes("Customer", cursor))
    names = [r.data["DisplayName"] for r in records_of(iter(pages))]
    assert sorted(names) == [f"Bulk {i:05d}" for i in range(2500)]
    assert len(names) == len(set(names))
    assert len(pages) >= 3 and all(len(p.records) <= 1000 for p in pages)
    assert all(p.cursor for p in pages)
    assert requests(emulator)["GET cdc"] >= 3


def test_a_window_too_dense_to_split_falls_back_to_a_query(
        connector: QuickBooksConnector, emulator: Emulator) -> None:
    cursor = emulator.state.clock.server_time()
    emulator.state.clock.advance(1)
    emulator.state.clock.freeze()
    bulk_customers(emulator, 1200)  # all stamped within one emulator second
    emulator.state.clock.freeze(False)
    pages = list(connector.read_changes("Customer", cursor))
    names = {r.data["DisplayName"] for r in records_of(iter(pages))}
    assert {f"Bulk {i:05d}" for i in range(1200)} <= names
    assert pages[-1].cursor is not None
    assert requests(emulator)["POST query"] >= 2


def test_a_cursor_older_than_the_cdc_window_means_a_full_read(
        connector: QuickBooksConnector, emulator: Emulator) -> None:
    connector.create("Customer", {"DisplayName": "Anyone"}, idempotency_key="k")
    old = (datetime.now(UTC) - timedelta(days=31)).isoformat()
    records = records_of(connector.read_changes("Customer", old))
    assert "Anyone" in {r.data["DisplayName"] for r in records}
    assert "GET cdc" not in requests(emulator)
