"""Upgrading a store whose links marked their state in the payload hash (revision 0001)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from alembic import command
from sqlalchemy import text

from ml_connector.engine.store import LinkState, Store
from ml_connector.engine.store.migrate import alembic_config
from ml_connector.engine.sync.payloads import decode, fields_of

LINK = ("INSERT INTO links (pipeline, source_id, target_connection, target_entity, target_id,"
        " payload_hash, generation, updated_at) VALUES (:p, :s, 'stripe', 'customer', :t, :h,"
        " 0, '2026-01-01 00:00:00')")
INTENT = ("INSERT INTO intents (pipeline, source_id, idempotency_key, payload, status,"
          " target_id, created_at, updated_at) VALUES (:p, :s, :k, :payload, :status, :t,"
          " '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
CREATED = {"name": "Ann", "phone": None, "address": {"city": "Leeds"},
           "balance": {"$decimal": "10.50"}, "metadata": {"qbo_customer_id": "58"}}


def at_revision_0001(store: Store) -> None:
    """Take the store back to its first schema and fill it as that release would have."""
    config = alembic_config()
    with store.database.write() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
        for source, target, digest in (("58", "cus_A", "abc123"), ("59", "cus_B", "voided"),
                                       ("60", "cus_C", "removed"), ("61", "cus_D", None)):
            conn.execute(text(LINK), {"p": "customers", "s": source, "t": target, "h": digest})
        for key, status, payload in (("k1", "abandoned", {"name": "old"}),
                                     ("k2", "done", CREATED)):
            conn.execute(text(INTENT), {"p": "customers", "s": "58", "k": key, "t": "cus_A",
                                        "status": status, "payload": json.dumps(payload)})


def test_states_move_out_of_the_hash_and_created_links_learn_their_fields(
        store_url: str, tmp_path: Path, store: Store) -> None:
    at_revision_0001(store)
    store.close()
    with Store.open(store_url, root=tmp_path) as upgraded:
        links = {s: upgraded.links.get("customers", s) for s in ("58", "59", "60", "61")}
    assert {s: (link.state, link.payload_hash) for s, link in links.items()} == {
        "58": (LinkState.SYNCED, "abc123"), "59": (LinkState.VOIDED, None),
        "60": (LinkState.REMOVED, None), "61": (LinkState.SYNCED, None)}
    assert links["58"].payload_fields == (("address", "city"), ("balance",),
                                          ("metadata", "qbo_customer_id"), ("name",))
    assert links["58"].payload_fields == fields_of(decode(CREATED))   # as a run would store
    assert links["61"].payload_fields is None    # adopted: what it holds is not ours to know


def test_downgrade_puts_the_states_back_in_the_hash(store: Store) -> None:
    at_revision_0001(store)
    config = alembic_config()
    with store.database.write() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        command.downgrade(config, "0001")
        hashes = dict(conn.execute(text("SELECT source_id, payload_hash FROM links")).all())
    assert hashes == {"58": "abc123", "59": "voided", "60": "removed", "61": None}


MANY = 100_000


def test_a_large_store_migrates_in_bounded_memory(store_url: str, tmp_path: Path,
                                                  store: Store) -> None:
    """100,000 created links: the upgrade holds a batch of them at a time, not all of them."""
    at_revision_0001(store)
    payload = json.dumps(CREATED)
    with store.database.write() as conn:
        conn.execute(text(LINK), [{"p": "many", "s": f"{n:06}", "t": f"cus_{n:06}", "h": "h"}
                                  for n in range(MANY)])
        conn.execute(text(INTENT), [{"p": "many", "s": f"{n:06}", "k": f"key_{n}",
                                     "t": f"cus_{n:06}", "status": "done", "payload": payload}
                                    for n in range(MANY)])
    store.close()
    tracemalloc.start()
    try:
        with Store.open(store_url, root=tmp_path):
            peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Holding every link, intent and update at once peaked near 90 MB; a batch, under 1 MB.
    assert peak < 10_000_000, f"the upgrade peaked at {peak / 1e6:.1f} MB"
    with Store.open(store_url, root=tmp_path) as upgraded:
        for n in (0, MANY // 2, MANY - 1):
            link = upgraded.links.get("many", f"{n:06}")
            assert link is not None and link.payload_fields == fields_of(decode(CREATED))
