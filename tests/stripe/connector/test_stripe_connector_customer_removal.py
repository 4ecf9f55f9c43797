"""A Stripe customer is deactivated by metadata, and never deleted while it holds anything.

Deleting a Stripe customer cancels its subscriptions and drops its saved cards; these tests
check that the connector marks instead of deleting, refuses a delete that would destroy
something, and clears its marks when the customer is active again.
"""

from __future__ import annotations

from typing import Any

import pytest
from stripe_flows import RunningEmulator, draft, ok

from ml_connector.engine.errors import RemovalRefused


def _customer(emu: RunningEmulator, customer_id: str) -> dict[str, Any]:
    return ok(emu.http.get(f"/v1/customers/{customer_id}"))


def _new(connector: Any, key: str) -> str:
    return connector.create("customer", {"name": "Acme", "metadata": {"qbo_customer_id": "58"}},
                            idempotency_key=key).id


def test_deactivate_marks_the_customer_and_keeps_it(stripe_emulator: RunningEmulator,
                                                    stripe_connector: Any) -> None:
    customer_id = _new(stripe_connector, "k-deact")
    marked = stripe_connector.remove("customer", customer_id, mode="deactivate")
    assert marked is not None and not marked.deleted
    metadata = _customer(stripe_emulator, customer_id)["metadata"]
    assert metadata["qbo_active"] == "false" and metadata["qbo_customer_id"] == "58"
    assert metadata["qbo_deactivated_at"].endswith("Z")
    assert not any(r["method"] == "DELETE" for r in stripe_emulator.emulator.state.requests)


def test_an_update_after_deactivation_clears_the_marks(stripe_emulator: RunningEmulator,
                                                       stripe_connector: Any) -> None:
    customer_id = _new(stripe_connector, "k-react")
    stripe_connector.remove("customer", customer_id, mode="deactivate")
    updated = stripe_connector.update("customer", customer_id,
                                      {"name": "Acme", "metadata": {"qbo_customer_id": "58"}})
    assert updated.data["metadata"] == {"qbo_customer_id": "58"}
    assert _customer(stripe_emulator, customer_id)["metadata"] == {"qbo_customer_id": "58"}


def test_an_ordinary_update_sends_one_request(stripe_emulator: RunningEmulator,
                                              stripe_connector: Any) -> None:
    customer_id = _new(stripe_connector, "k-one")
    before = len(stripe_emulator.emulator.state.requests)
    stripe_connector.update("customer", customer_id, {"name": "Acme Ltd"})
    assert len(stripe_emulator.emulator.state.requests) == before + 1


def test_a_customer_with_an_invoice_is_not_deleted(stripe_emulator: RunningEmulator,
                                                   stripe_connector: Any) -> None:
    customer_id = _new(stripe_connector, "k-inv")
    draft(stripe_emulator.http, customer=customer_id)
    with pytest.raises(RemovalRefused, match=f"{customer_id} has invoices"):
        stripe_connector.remove("customer", customer_id, mode="delete")
    assert not _customer(stripe_emulator, customer_id).get("deleted")


def test_a_customer_with_a_saved_card_is_not_deleted(stripe_emulator: RunningEmulator,
                                                     stripe_connector: Any) -> None:
    customer_id = _new(stripe_connector, "k-card")
    ok(stripe_emulator.http.post("/v1/payment_methods/pm_card_visa/attach",
                                 data={"customer": customer_id}))
    with pytest.raises(RemovalRefused, match="saved payment methods"):
        stripe_connector.remove("customer", customer_id, mode="delete")
    saved = ok(stripe_emulator.http.get(f"/v1/customers/{customer_id}/payment_methods"))
    assert [m["card"]["last4"] for m in saved["data"]] == ["4242"]


def test_a_customer_with_a_subscription_is_not_deleted(stripe_emulator: RunningEmulator,
                                                       stripe_connector: Any) -> None:
    customer_id = _new(stripe_connector, "k-sub")
    # The emulator cannot bill subscriptions; one placed in its state is listed as Stripe would.
    stripe_emulator.emulator.state.add({"id": "sub_emu1", "object": "subscription",
                                        "customer": customer_id, "status": "past_due"})
    with pytest.raises(RemovalRefused, match="subscriptions"):
        stripe_connector.remove("customer", customer_id, mode="delete")
    listed = ok(stripe_emulator.http.get("/v1/subscriptions",
                                         params={"customer": customer_id, "status": "all"}))
    assert [s["status"] for s in listed["data"]] == ["past_due"]


def test_a_customer_holding_nothing_can_still_be_deleted(stripe_emulator: RunningEmulator,
                                                         stripe_connector: Any) -> None:
    customer_id = _new(stripe_connector, "k-empty")
    removed = stripe_connector.remove("customer", customer_id, mode="delete")
    assert removed is not None and removed.deleted
    assert stripe_connector.get("customer", customer_id) is None


def test_a_merged_customer_is_marked_and_kept(stripe_emulator: RunningEmulator,
                                              stripe_connector: Any) -> None:
    customer_id = _new(stripe_connector, "k-merge")
    stripe_connector.mark_merged("customer", customer_id, into="27")
    metadata = _customer(stripe_emulator, customer_id)["metadata"]
    assert metadata["qbo_merged_into"] == "27" and metadata["qbo_active"] == "false"
    assert stripe_connector.mark_merged("customer", "cus_missing", into="27") is None


def test_void_is_no_mode_for_a_customer(stripe_connector: Any) -> None:
    from ml_connector.engine.errors import PermanentError

    customer_id = _new(stripe_connector, "k-void")
    with pytest.raises(PermanentError, match="deactivated or deleted, not 'void'"):
        stripe_connector.remove("customer", customer_id, mode="void")
