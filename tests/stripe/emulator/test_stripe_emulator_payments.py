"""Charges with their fees, refunds and disputes, and the balance transactions they post."""

from __future__ import annotations

import httpx
import pytest
from stripe_flows import RunningEmulator, ok
from stripe_flows import customer_pays as paid_invoice


@pytest.mark.parametrize(("currency", "amount", "fee"), [
    ("usd", 10000, 320),      # 2.9% of $100 + 30c
    ("usd", 1999, 88),        # 57.971 + 30 -> 88
    ("jpy", 5000, 145),       # zero-decimal: 2.9% only
    ("kwd", 12500, 660),      # 362.5 + 300 fils, rounded to a multiple of 10
])
def test_charge_fee_and_net(stripe_emulator: RunningEmulator, currency: str, amount: int,
                            fee: int) -> None:
    charge = paid_invoice(stripe_emulator, amount, currency)
    txn = charge["balance_transaction"]
    assert charge["status"] == "succeeded" and charge["paid"] and charge["captured"]
    assert (txn["amount"], txn["fee"], txn["net"]) == (amount, fee, amount - fee)
    assert txn["type"] == "charge" and txn["source"] == charge["id"]
    assert txn["fee_details"][0]["type"] == "stripe_fee"


def test_partial_then_full_refund(stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    charge = paid_invoice(stripe_emulator, 10000)
    first = ok(http.post("/v1/refunds", data={"charge": charge["id"], "amount": "2500",
                                               "reason": "requested_by_customer"}))
    assert first["status"] == "succeeded" and first["amount"] == 2500
    txn = ok(http.get(f"/v1/balance_transactions/{first['balance_transaction']}"))
    assert (txn["amount"], txn["type"]) == (-2500, "refund")
    assert ok(http.get(f"/v1/charges/{charge['id']}"))["refunded"] is False
    rest = ok(http.post("/v1/refunds", data={"payment_intent": charge["payment_intent"]}))
    assert rest["amount"] == 7500
    final = ok(http.get(f"/v1/charges/{charge['id']}"))
    assert final["refunded"] is True and final["amount_refunded"] == 10000
    too_much = http.post("/v1/refunds", data={"charge": charge["id"], "amount": "1"})
    assert too_much.json()["error"]["code"] == "charge_already_refunded"
    listed = ok(http.get("/v1/refunds", params={"charge": charge["id"]}))
    assert [r["id"] for r in listed["data"]] == [rest["id"], first["id"]]


def test_failed_refund_puts_the_money_back(stripe_emulator: RunningEmulator) -> None:
    charge = paid_invoice(stripe_emulator, 5000)
    refund = stripe_emulator.helper(f"charges/{charge['id']}/refund", {"amount": 5000})
    failed = stripe_emulator.helper(f"refunds/{refund['id']}/fail", {})
    assert failed["status"] == "failed" and failed["failure_reason"] == "lost_or_stolen_card"
    txn = ok(stripe_emulator.http.get(
        f"/v1/balance_transactions/{failed['failure_balance_transaction']}"))
    assert (txn["amount"], txn["type"]) == (5000, "refund_failure")
    assert ok(stripe_emulator.http.get(f"/v1/charges/{charge['id']}"))["amount_refunded"] == 0


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_dispute_withdraws_then_settles(stripe_emulator: RunningEmulator,
                                        outcome: str) -> None:
    charge = paid_invoice(stripe_emulator, 8000)
    dispute = stripe_emulator.helper(f"charges/{charge['id']}/dispute",
                                     {"reason": "product_not_received"})
    assert dispute["status"] == "needs_response" and dispute["amount"] == 8000
    (withdrawn,) = dispute["balance_transactions"]
    assert (withdrawn["amount"], withdrawn["fee"]) == (-8000, 1500)
    assert withdrawn["reporting_category"] == "dispute"
    closed = stripe_emulator.helper(f"disputes/{dispute['id']}/close", {"outcome": outcome})
    assert closed["status"] == outcome
    amounts = [t["amount"] for t in closed["balance_transactions"]]
    assert amounts == ([-8000, 8000] if outcome == "won" else [-8000])
    assert ok(stripe_emulator.http.get(f"/v1/charges/{charge['id']}"))["disputed"] is True


def test_accepting_a_dispute_loses_it(stripe_emulator: RunningEmulator) -> None:
    charge = paid_invoice(stripe_emulator, 8000)
    dispute = stripe_emulator.helper(f"charges/{charge['id']}/dispute", {})
    closed = ok(stripe_emulator.http.post(f"/v1/disputes/{dispute['id']}/close"))
    assert closed["status"] == "lost"
    listed = ok(stripe_emulator.http.get("/v1/disputes", params={"charge": charge["id"]}))
    assert [d["status"] for d in listed["data"]] == ["lost"]


def test_a_disputed_charge_cannot_be_refunded(stripe_emulator: RunningEmulator) -> None:
    charge = paid_invoice(stripe_emulator, 8000)
    stripe_emulator.helper(f"charges/{charge['id']}/dispute", {})
    response = stripe_emulator.http.post("/v1/refunds", data={"charge": charge["id"]})
    assert response.json()["error"]["code"] == "charge_disputed"


def test_direct_payment_intent(stripe_http: httpx.Client) -> None:
    intent = ok(stripe_http.post("/v1/payment_intents", data={
        "amount": "2000", "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": "true", "metadata[order]": "42"}))
    assert intent["status"] == "succeeded" and intent["latest_charge"].startswith("ch_")
    charges = ok(stripe_http.get("/v1/charges", params={"payment_intent": intent["id"]}))
    assert [c["id"] for c in charges["data"]] == [intent["latest_charge"]]
    lookup = ok(stripe_http.get("/v1/invoice_payments", params={
        "payment[type]": "payment_intent", "payment[payment_intent]": intent["id"]}))
    assert lookup["data"] == [], "a payment without an invoice has no invoice payment"
