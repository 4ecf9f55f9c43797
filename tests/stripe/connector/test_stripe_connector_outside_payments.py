"""Part of an open invoice paid outside Stripe: the invoice is made to ask for what the
source says is owed, with one credit note for the part paid elsewhere, resized (voided and
issued again) as the balance moves, and kept in step with credit memos' notes."""

from __future__ import annotations

from typing import Any

from stripe_flows import ok

from ml_connector.connectors.stripe.outside_payments import MARK

DUE = 1_900_000_000


def _invoice(connector: Any, amount: int, key: str) -> tuple[str, dict[str, Any]]:
    customer = connector.create("customer", {"name": "Cheque"}, idempotency_key=f"c{key}").id
    payload = {"customer": customer, "currency": "usd", "collection_method": "send_invoice",
               "due_date": DUE, "lines": [{"description": "Work", "amount": amount}],
               "total": amount, "metadata": {"qbo_invoice_id": key},
               "paid_out_of_band": False, "amount_owed": amount}
    return str(connector.create("invoice", payload, idempotency_key=f"i{key}").id), payload


def _state(http: Any, invoice: str) -> tuple[int, list[int]]:
    """What the invoice asks for, and the amounts of its live outside-payment notes."""
    notes = ok(http.get("/v1/credit_notes", params={"invoice": invoice}))["data"]
    outside = [n["amount"] for n in notes if n["status"] == "issued" and MARK in n["metadata"]]
    return int(ok(http.get(f"/v1/invoices/{invoice}"))["amount_remaining"]), outside


def test_a_cheque_for_half_lowers_what_stripe_asks_for_to_the_cent(
        stripe_connector: Any, stripe_http: Any) -> None:
    invoice, payload = _invoice(stripe_connector, 15001, "140")
    assert _state(stripe_http, invoice) == (15001, [])
    stripe_connector.update("invoice", invoice, {**payload, "amount_owed": 7500})
    assert _state(stripe_http, invoice) == (7500, [7501])
    stripe_connector.update("invoice", invoice, {**payload, "amount_owed": 7500})
    assert _state(stripe_http, invoice) == (7500, [7501])
    stripe_connector.update("invoice", invoice, {**payload, "amount_owed": 2500})
    assert _state(stripe_http, invoice) == (2500, [12501])
    stripe_connector.update("invoice", invoice, {**payload, "amount_owed": 15001})
    assert _state(stripe_http, invoice) == (15001, [])
    paid = stripe_connector.update("invoice", invoice, {**payload, "amount_owed": 0,
                                                        "paid_out_of_band": True})
    assert paid.data["status"] == "paid" and paid.data["amount_remaining"] == 0


def test_a_credit_memo_after_the_cheque_never_lowers_the_invoice_twice(
        stripe_connector: Any, stripe_http: Any) -> None:
    invoice, payload = _invoice(stripe_connector, 15000, "141")
    stripe_connector.update("invoice", invoice, {**payload, "amount_owed": 10000})
    # QuickBooks now counts a credit of 3000 too; the invoice is synced before the credit.
    stripe_connector.update("invoice", invoice, {**payload, "amount_owed": 7000})
    assert _state(stripe_http, invoice) == (7000, [8000])
    note = stripe_connector.create("credit_note", {
        "invoice": invoice, "amount": 3000, "metadata": {"qbo_credit_memo_id": "9"}},
        idempotency_key="memo-9")
    assert _state(stripe_http, invoice) == (7000, [5000])
    # The credit memo is voided: QuickBooks owes 10000 again, in either order.
    stripe_connector.remove("credit_note", note.id, mode="void")
    stripe_connector.update("invoice", invoice, {**payload, "amount_owed": 10000})
    assert _state(stripe_http, invoice) == (10000, [5000])


def test_a_credit_memo_larger_than_what_stripe_still_asks_for_makes_room(
        stripe_connector: Any, stripe_http: Any) -> None:
    invoice, payload = _invoice(stripe_connector, 30000, "142")
    stripe_connector.update("invoice", invoice, {**payload, "amount_owed": 20000})
    stripe_connector.update("invoice", invoice, {**payload, "amount_owed": 5000})
    assert _state(stripe_http, invoice) == (5000, [25000])
    memo = {"invoice": invoice, "amount": 15000, "metadata": {"qbo_credit_memo_id": "10"}}
    first = stripe_connector.create("credit_note", memo, idempotency_key="memo-10")
    assert _state(stripe_http, invoice) == (5000, [10000])
    again = stripe_connector.create("credit_note", memo, idempotency_key="memo-10")
    assert again.id == first.id and _state(stripe_http, invoice) == (5000, [10000])
