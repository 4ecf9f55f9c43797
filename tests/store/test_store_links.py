"""Links: upsert by (pipeline, source id), lookup by target, streaming per pipeline."""

from __future__ import annotations

from dataclasses import replace

from ml_connector.engine.store import Link, LinkState, Store
from ml_connector.engine.store.links import STREAM_BATCH


def _link(source_id: str, target_id: str, pipeline: str = "customers-to-stripe") -> Link:
    return Link(pipeline, source_id, "stripe", "customer", target_id, f"hash-{target_id}")


def test_put_then_get_returns_the_link_with_a_timestamp(store: Store) -> None:
    store.links.put(_link("58", "cus_A"))
    found = store.links.get("customers-to-stripe", "58")
    assert found is not None
    assert (found.target_id, found.payload_hash, found.generation) == ("cus_A", "hash-cus_A", 0)
    assert found.updated_at is not None and found.updated_at.tzinfo is not None
    assert store.links.get("customers-to-stripe", "59") is None


def test_put_again_replaces_the_link_of_the_same_source_record(store: Store) -> None:
    store.links.put(_link("58", "cus_A"))
    store.links.put(replace(_link("58", "cus_B"), generation=1, target_version="7"))
    found = store.links.get("customers-to-stripe", "58")
    assert found is not None
    assert (found.target_id, found.generation, found.target_version) == ("cus_B", 1, "7")
    assert store.links.count() == 1


def test_by_target_finds_the_source_record(store: Store) -> None:
    store.links.put(_link("58", "cus_A"))
    store.links.put(_link("59", "cus_B"))
    found = store.links.by_target("stripe", "customer", "cus_B")
    assert found is not None and found.source_id == "59"
    assert store.links.by_target("stripe", "invoice", "cus_B") is None
    assert store.links.by_target("quickbooks", "customer", "cus_B") is None


def test_remove_deletes_only_that_link(store: Store) -> None:
    store.links.put(_link("58", "cus_A"))
    store.links.put(_link("59", "cus_B"))
    store.links.remove("customers-to-stripe", "58")
    assert store.links.get("customers-to-stripe", "58") is None
    assert store.links.get("customers-to-stripe", "59") is not None


def test_count_per_pipeline_and_overall(store: Store) -> None:
    store.links.put(_link("1", "cus_1"))
    store.links.put(_link("2", "cus_2"))
    store.links.put(_link("1", "in_1", pipeline="invoices-to-stripe"))
    assert store.links.count("customers-to-stripe") == 2
    assert store.links.count("invoices-to-stripe") == 1
    assert store.links.count() == 3


def test_for_pipeline_streams_every_link_in_source_order(store: Store) -> None:
    total = STREAM_BATCH + 7
    with store.database.write() as conn:  # bulk setup in one transaction keeps the test fast
        from ml_connector.engine.store.links import upsert_link
        for n in range(total):
            upsert_link(conn, _link(f"{n:05d}", f"cus_{n}"))
    store.links.put(_link("00001", "in_1", pipeline="invoices-to-stripe"))
    streamed = list(store.links.for_pipeline("customers-to-stripe"))
    assert [link.source_id for link in streamed] == [f"{n:05d}" for n in range(total)]


def test_links_can_be_written_while_a_stream_is_open(store: Store) -> None:
    for n in range(3):
        store.links.put(_link(str(n), f"cus_{n}"))
    for link in store.links.for_pipeline("customers-to-stripe"):
        store.links.put(replace(link, payload_hash="reconciled"))
    assert {link.payload_hash for link in store.links.for_pipeline("customers-to-stripe")} == {
        "reconciled"}


def test_state_and_payload_fields_round_trip(store: Store) -> None:
    fields = (("metadata", "qbo.id"), ("name",))
    store.links.put(replace(_link("58", "cus_A"), payload_fields=fields))
    store.links.put(replace(_link("59", "cus_B"), payload_hash=None, state=LinkState.VOIDED))
    synced, voided = (store.links.get("customers-to-stripe", s) for s in ("58", "59"))
    assert (synced.state, synced.payload_fields) == (LinkState.SYNCED, fields)
    assert (voided.state, voided.payload_hash, voided.payload_fields) == (
        LinkState.VOIDED, None, None)
