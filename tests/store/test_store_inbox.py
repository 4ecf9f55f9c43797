"""The webhook inbox: dedupe by event id, leased claims that never overlap, settling."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from ml_connector.engine.store import Backlog, Store
from ml_connector.engine.store.types import utcnow


def _add(store: Store, event_id: str, connection: str = "stripe") -> bool:
    return store.inbox.add(connection, event_id, "invoice", f"in_{event_id}", "update",
                           {"id": event_id})


def test_redelivered_event_is_stored_once(store: Store) -> None:
    assert _add(store, "evt_1") is True
    assert _add(store, "evt_1") is False
    assert _add(store, "evt_1", connection="quickbooks") is True  # ids are per connection
    assert store.inbox.depth() == 2


def test_claim_returns_oldest_first_and_counts_attempts(store: Store) -> None:
    for n in range(5):
        _add(store, f"evt_{n}")
    claimed = store.inbox.claim(3, worker="w1")
    assert [item.event_id for item in claimed] == ["evt_0", "evt_1", "evt_2"]
    assert all(item.status == "claimed" and item.attempts == 1 for item in claimed)
    assert claimed[0].payload == {"id": "evt_0"} and claimed[0].record_id == "in_evt_0"
    assert [item.event_id for item in store.inbox.claim(10, worker="w2")] == ["evt_3", "evt_4"]
    assert store.inbox.claim(10, worker="w3") == []
    assert store.inbox.depth() == 5


def test_done_and_dead_items_leave_the_queue(store: Store) -> None:
    for n in range(3):
        _add(store, f"evt_{n}")
    first, second, _ = store.inbox.claim(3, worker="w1")
    store.inbox.done(first.id)
    store.inbox.failed(second.id, "customer deleted", retry=False)
    assert store.inbox.depth() == 1
    dead = store.inbox.get(second.id)
    assert dead is not None and (dead.status, dead.last_error) == ("failed", "customer deleted")
    assert store.inbox.claim(10, worker="w2") == []


def test_retried_item_comes_back_with_its_error(store: Store) -> None:
    _add(store, "evt_1")
    (item,) = store.inbox.claim(1, worker="w1")
    store.inbox.failed(item.id, "503 from upstream", retry=True)
    (again,) = store.inbox.claim(1, worker="w2")
    assert again.id == item.id
    assert (again.attempts, again.last_error) == (2, "503 from upstream")


def test_retry_delay_holds_the_item_back(store: Store) -> None:
    _add(store, "evt_1")
    (item,) = store.inbox.claim(1, worker="w1")
    store.inbox.failed(item.id, "rate limited", retry=True, delay=3600)
    assert store.inbox.claim(1, worker="w2") == []
    assert store.inbox.depth() == 1


def test_expired_lease_makes_the_item_claimable_again(store: Store) -> None:
    _add(store, "evt_1")
    (item,) = store.inbox.claim(1, worker="crashed", lease_seconds=-1)
    (again,) = store.inbox.claim(1, worker="w2")
    assert again.id == item.id and again.attempts == 2


def test_live_lease_is_not_taken_over(store: Store) -> None:
    _add(store, "evt_1")
    store.inbox.claim(1, worker="w1", lease_seconds=3600)
    assert store.inbox.claim(1, worker="w2") == []


def test_stored_error_is_redacted(store: Store) -> None:
    _add(store, "evt_1")
    (item,) = store.inbox.claim(1, worker="w1")
    store.inbox.failed(item.id, "401 with Authorization: Bearer abcdef123456", retry=False)
    dead = store.inbox.get(item.id)
    assert dead is not None and "abcdef123456" not in (dead.last_error or "")


def test_four_threads_claiming_never_share_an_item(store: Store) -> None:
    total = 120
    for n in range(total):
        _add(store, f"evt_{n:03d}")
    got: Counter[int] = Counter()
    guard = threading.Lock()

    def work(name: str) -> None:
        while batch := store.inbox.claim(4, worker=name):
            with guard:
                got.update(item.id for item in batch)
            for item in batch:
                store.inbox.done(item.id)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == total
    assert max(got.values()) == 1
    assert store.inbox.depth() == 0


def test_backlog_tells_what_waits_what_arrived_and_when_anything_last_left(
        store: Store) -> None:
    start = utcnow()
    assert store.inbox.backlog(start) == Backlog(0, None, 0, None, None)
    for n in range(4):
        _add(store, f"evt_{n}")
    first, second, third = store.inbox.claim(3, worker="w1")
    store.inbox.done(first.id)
    store.inbox.failed(second.id, "HTTP 503 from the source", retry=True, delay=60)
    backlog = store.inbox.backlog(start)
    assert (backlog.depth, backlog.arrived_since) == (3, 3)
    assert backlog.oldest_received_at == second.received_at
    assert backlog.last_settled_at is not None and backlog.last_settled_at >= start
    assert backlog.last_error == "HTTP 503 from the source"
    assert store.inbox.backlog(utcnow() + timedelta(seconds=1)).arrived_since == 0
    store.inbox.failed(third.id, "gone for good", retry=False)   # dead items settle too
    assert store.inbox.backlog(start).last_settled_at > backlog.last_settled_at
