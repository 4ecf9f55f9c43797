"""Intents: one pending create per record, completed atomically together with its link."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from ml_connector.engine.store import Link, Store
from ml_connector.engine.store import links as links_module

PIPELINE = "invoices-to-stripe"


def _link(source_id: str, target_id: str) -> Link:
    return Link(PIPELINE, source_id, "stripe", "invoice", target_id, "h1")


def test_begin_twice_returns_the_first_pending_intent_unchanged(store: Store) -> None:
    first = store.intents.begin(PIPELINE, "130", "key-1", {"amount": 1000})
    second = store.intents.begin(PIPELINE, "130", "key-2", {"amount": 2000})
    assert second == first
    assert (second.idempotency_key, second.payload) == ("key-1", {"amount": 1000})
    assert store.intents.pending(PIPELINE, "130") == first
    assert first.status == "pending" and first.target_id is None


def test_payload_keeps_decimals_exact(store: Store) -> None:
    payload = {"lines": [{"amount": Decimal("10.10")}, {"amount": Decimal("0.30")}],
               "currency": "usd", "count": 2}
    intent = store.intents.begin(PIPELINE, "131", "key", payload)
    again = store.intents.pending(PIPELINE, "131")
    assert again is not None and again.payload == payload
    assert again.payload["lines"][0]["amount"].as_tuple() == Decimal("10.10").as_tuple()
    assert intent.payload == payload


def test_complete_marks_done_and_writes_the_link(store: Store) -> None:
    intent = store.intents.begin(PIPELINE, "130", "key-1", {"amount": 1000})
    store.intents.complete(intent, _link("130", "in_1"))
    assert store.intents.pending(PIPELINE, "130") is None
    assert store.intents.all_pending() == []
    link = store.links.get(PIPELINE, "130")
    assert link is not None and link.target_id == "in_1"


def test_complete_failing_half_way_leaves_neither_change(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    intent = store.intents.begin(PIPELINE, "130", "key-1", {"amount": 1000})
    written = []

    def crash_after_write(conn: object, link: Link) -> None:
        written.append(link)
        raise RuntimeError("disk full")

    monkeypatch.setattr(links_module, "upsert_link", crash_after_write)
    with pytest.raises(RuntimeError, match="disk full"):
        store.intents.complete(intent, _link("130", "in_1"))
    assert written  # the failure really happened after the intent update
    assert store.intents.pending(PIPELINE, "130") == intent
    assert store.links.get(PIPELINE, "130") is None


def test_after_completion_a_new_begin_starts_a_new_intent(store: Store) -> None:
    first = store.intents.begin(PIPELINE, "130", "key-1", {})
    store.intents.complete(first, _link("130", "in_1"))
    second = store.intents.begin(PIPELINE, "130", "key-2", {"v": 2})
    assert second.id != first.id and second.idempotency_key == "key-2"


def test_abandon_removes_the_pending_intent(store: Store) -> None:
    intent = store.intents.begin(PIPELINE, "130", "key-1", {})
    store.intents.abandon(intent)
    assert store.intents.pending(PIPELINE, "130") is None
    assert store.intents.begin(PIPELINE, "130", "key-2", {}).idempotency_key == "key-2"


def test_all_pending_lists_interrupted_creates_oldest_first(store: Store) -> None:
    a = store.intents.begin(PIPELINE, "1", "k1", {})
    b = store.intents.begin(PIPELINE, "2", "k2", {})
    c = store.intents.begin("customers-to-stripe", "1", "k3", {})
    store.intents.complete(b, _link("2", "in_2"))
    assert [i.id for i in store.intents.all_pending()] == [a.id, c.id]


def test_racing_begins_agree_on_one_intent(store: Store) -> None:
    def begin(n: int) -> int:
        return store.intents.begin(PIPELINE, "race", f"key-{n}", {"n": n}).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(begin, range(16)))
    assert len(ids) == 1
    assert len(store.intents.all_pending()) == 1
