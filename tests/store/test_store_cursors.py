"""Cursors: stored opaque values, overwritten in place, listed with their times."""

from __future__ import annotations

from ml_connector.engine.store import Store


def test_missing_cursor_is_none(store: Store) -> None:
    assert store.cursors.get("quickbooks.cdc") is None


def test_put_overwrites_and_all_lists_values_with_times(store: Store) -> None:
    store.cursors.put("quickbooks.cdc", "2024-01-01T00:00:00Z")
    store.cursors.put("stripe.events", "evt_1")
    store.cursors.put("quickbooks.cdc", "2024-02-01T00:00:00Z")
    assert store.cursors.get("quickbooks.cdc") == "2024-02-01T00:00:00Z"
    everything = store.cursors.all()
    assert {name: value for name, (value, _) in everything.items()} == {
        "quickbooks.cdc": "2024-02-01T00:00:00Z", "stripe.events": "evt_1"}
    assert all(when.tzinfo is not None for _, when in everything.values())
