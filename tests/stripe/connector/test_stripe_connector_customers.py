"""Customers: created once per key, adopted by metadata or e-mail, updated, deleted."""

from __future__ import annotations

from typing import Any

import pytest
from stripe_flows import RunningEmulator, connect, ok


def _customers(emu: RunningEmulator) -> list[dict[str, Any]]:
    return ok(emu.http.get("/v1/customers", params={"limit": 100}))["data"]


def test_create_sends_the_key_and_returns_the_record(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    payload = {"name": "Acme", "email": "ap@acme.example",
               "metadata": {"qbo_customer_id": "58", "qbo_realm_id": "9341"}}
    record = stripe_connector.create("customer", payload, idempotency_key="mlc:c:58:g0:abc")
    assert record.entity == "customer" and record.id.startswith("cus_")
    assert record.data["metadata"] == {"qbo_customer_id": "58", "qbo_realm_id": "9341"}
    assert record.request_ids and record.request_ids[0].startswith("req_")
    logged = stripe_emulator.emulator.state.requests[-1]
    assert logged["headers"]["idempotency-key"] == "mlc:c:58:g0:abc"


def test_the_same_key_never_creates_twice(stripe_emulator: RunningEmulator,
                                          stripe_connector: Any) -> None:
    first = stripe_connector.create("customer", {"name": "A"}, idempotency_key="k1")
    again = stripe_connector.create("customer", {"name": "A"}, idempotency_key="k1")
    assert first.id == again.id and len(_customers(stripe_emulator)) == 1


def test_a_dropped_connection_is_retried_into_one_customer(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    stripe_emulator.helper("faults", {"faults": [
        {"kind": "drop", "method": "POST", "path": "/v1/customers", "times": 1}]})
    record = stripe_connector.create("customer", {"name": "Dropped"}, idempotency_key="k2")
    assert [c["id"] for c in _customers(stripe_emulator)] == [record.id]
    posts = [r for r in stripe_emulator.emulator.state.requests if r["method"] == "POST"]
    assert len(posts) == 2 and {r["headers"]["idempotency-key"] for r in posts} == {"k2"}


def test_adopt_by_metadata_once_search_has_caught_up(emulator_factory: Any) -> None:
    with emulator_factory(search_lag_seconds=60) as emu:
        existing = ok(emu.http.post("/v1/customers", data={
            "name": "Acme", "metadata[qbo_customer_id]": "58"}))
        connector = connect(emu.url)
        assert connector.find("customer", "metadata.qbo_customer_id", "58") == []
        emu.helper("clock", {"advance": 61})
        found = connector.find("customer", "metadata.qbo_customer_id", "58")
        connector.close()
    assert [r.id for r in found] == [existing["id"]]


def test_adopt_by_email(stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    existing = ok(stripe_emulator.http.post("/v1/customers",
                                            data={"email": "billing@globex.example"}))
    ok(stripe_emulator.http.post("/v1/customers", data={"email": "other@globex.example"}))
    found = stripe_connector.find("customer", "email", "billing@globex.example")
    assert [r.id for r in found] == [existing["id"]]


def test_search_values_are_quoted(stripe_emulator: RunningEmulator,
                                  stripe_connector: Any) -> None:
    existing = ok(stripe_emulator.http.post("/v1/customers", data={"name": "O'Brien & Sons"}))
    assert [r.id for r in stripe_connector.find("customer", "name", "O'Brien & Sons")] == [
        existing["id"]]


def test_update_and_delete(stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    created = stripe_connector.create("customer", {"name": "Old"}, idempotency_key="k3")
    updated = stripe_connector.update("customer", created.id,
                                      {"name": "New", "metadata": {"qbo_customer_id": "7"}})
    assert updated.data["name"] == "New"
    removed = stripe_connector.remove("customer", created.id, mode="delete")
    assert removed is not None and removed.deleted
    assert stripe_connector.get("customer", created.id) is None
    assert stripe_connector.remove("customer", created.id, mode="delete") is None


def test_unknown_match_fields_are_refused(stripe_connector: Any) -> None:
    from ml_connector.engine.errors import InvalidInput

    with pytest.raises(InvalidInput, match="cannot be found by 'amount'"):
        stripe_connector.find("refund", "amount", 5)


def test_cleared_fields_are_sent_empty_and_leave_the_customer(stripe_connector: Any) -> None:
    created = stripe_connector.create("customer", {
        "name": "Acme", "description": "Acme Ltd", "phone": "+1 555",
        "address": {"line1": "1 Quay", "line2": "Unit 4", "city": "Leeds"},
        "metadata": {"qbo_customer_id": "58", "qbo_company": "Acme Ltd", "theirs": "kept"}},
        idempotency_key="k-clear")
    updated = stripe_connector.update(
        "customer", created.id,
        {"name": "Acme", "address": {"line1": "1 Quay", "city": "Leeds"},
         "metadata": {"qbo_customer_id": "58"}},
        clear=[("address", "line2"), ("description",), ("metadata", "qbo_company"),
               ("phone",)])
    assert updated.data["description"] is None and updated.data["phone"] is None
    assert updated.data["address"]["line2"] is None and updated.data["address"]["city"] == "Leeds"
    assert updated.data["metadata"] == {"qbo_customer_id": "58", "theirs": "kept"}


def test_an_address_the_mapping_no_longer_writes_is_removed(
        stripe_connector: Any) -> None:
    created = stripe_connector.create("customer", {"name": "A", "address": {"city": "Leeds"}},
                                      idempotency_key="k-addr")
    updated = stripe_connector.update("customer", created.id, {"name": "A"},
                                      clear=[("address", "city")])
    assert updated.data["address"] is None
