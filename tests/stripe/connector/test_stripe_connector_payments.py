"""Read-only payment entities: what a payments pipeline reads, with what it needs expanded."""

from __future__ import annotations

from typing import Any

import pytest
from stripe_flows import RunningEmulator, customer_pays, open_invoice

from ml_connector.engine.errors import PermanentError


def test_an_invoice_payment_carries_its_invoice_charge_and_fee(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    inv = open_invoice(stripe_emulator.http, 10000)
    payment = stripe_emulator.helper(f"invoices/{inv['id']}/pay", {})["invoice_payment"]
    record = stripe_connector.get("invoice_payment", payment["id"])
    data = record.data
    assert data["status"] == "paid" and data["amount_paid"] == 10000
    assert data["invoice"]["metadata"] == {"qbo_invoice_id": "130"}
    charge = data["payment"]["payment_intent"]["latest_charge"]
    assert charge["balance_transaction"]["fee"] == 320
    assert charge["balance_transaction"]["net"] == 9680


def test_invoice_payments_of_an_invoice(stripe_emulator: RunningEmulator,
                                        stripe_connector: Any) -> None:
    inv = open_invoice(stripe_emulator.http, 10000)
    stripe_emulator.helper(f"invoices/{inv['id']}/pay", {"amount": 2500})
    found = stripe_connector.find("invoice_payment", "invoice", inv["id"])
    assert sorted(r.data["status"] for r in found) == ["open", "paid"]
    assert all(isinstance(r.data["invoice"], dict) for r in found), "same shape as get()"


def test_a_refund_names_the_payment_and_invoice_it_undoes(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    charge = customer_pays(stripe_emulator, 8000)
    refund = stripe_emulator.helper(f"charges/{charge['id']}/refund", {"amount": 3000})
    record = stripe_connector.get("refund", refund["id"])
    payments = stripe_connector.find("invoice_payment", "invoice",
                                     record.data["related"]["invoice"])
    assert record.data["related"]["invoice_payment"] in {p.id for p in payments}
    assert record.data["balance_transaction"]["amount"] == -3000


def test_a_dispute_with_its_balance_transactions(stripe_emulator: RunningEmulator,
                                                 stripe_connector: Any) -> None:
    charge = customer_pays(stripe_emulator, 8000)
    dispute = stripe_emulator.helper(f"charges/{charge['id']}/dispute", {})
    stripe_emulator.helper(f"disputes/{dispute['id']}/close", {"outcome": "won"})
    record = stripe_connector.get("dispute", dispute["id"])
    assert record.data["status"] == "won"
    assert [t["amount"] for t in record.data["balance_transactions"]] == [-8000, 8000]
    assert record.data["related"]["invoice"] is not None


def test_a_direct_payment_has_no_invoice(stripe_emulator: RunningEmulator,
                                         stripe_connector: Any) -> None:
    intent = stripe_emulator.http.post("/v1/payment_intents", data={
        "amount": "2000", "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": "true"}).json()
    refund = stripe_emulator.http.post("/v1/refunds",
                                       data={"payment_intent": intent["id"]}).json()
    record = stripe_connector.get("refund", refund["id"])
    assert record.data["related"] == {"invoice_payment": None, "invoice": None}


@pytest.mark.parametrize("entity", ["invoice_payment", "refund", "dispute", "charge",
                                    "payment_intent", "balance_transaction"])
def test_payment_entities_are_read_only(stripe_connector: Any, entity: str) -> None:
    with pytest.raises(PermanentError, match="read-only"):
        stripe_connector.create(entity, {}, idempotency_key="k")


def test_missing_objects_read_as_none(stripe_connector: Any) -> None:
    assert stripe_connector.get("refund", "re_missing") is None
