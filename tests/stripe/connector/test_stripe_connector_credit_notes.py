"""Credit notes: one per key, lowering what the open invoice asks for to the minor unit,
booked out of band on a paid invoice, refused in place when the amount changes, voided."""

from __future__ import annotations

from typing import Any

import pytest
from stripe_flows import RunningEmulator, ok

from ml_connector.engine.errors import ImmutableTargetError, PermanentError

DUE = 1_900_000_000


def _invoice(connector: Any, amount: int, key: str) -> str:
    customer = connector.create("customer", {"name": "Credited"}, idempotency_key=f"c{key}").id
    return str(connector.create("invoice", {
        "customer": customer, "currency": "usd", "collection_method": "send_invoice",
        "due_date": DUE, "lines": [{"description": "Work", "amount": amount}],
        "total": amount, "metadata": {"qbo_invoice_id": key}}, idempotency_key=f"i{key}").id)


def _note(invoice: str, amount: int, memo_id: str = "77", **extra: Any) -> dict[str, Any]:
    return {"invoice": invoice, "amount": amount, "memo": "Credit memo 1001",
            "metadata": {"qbo_credit_memo_id": memo_id}, **extra}


def _amount_remaining(http: Any, invoice: str) -> int:
    return int(ok(http.get(f"/v1/invoices/{invoice}"))["amount_remaining"])


def test_a_credit_note_lowers_the_amount_due_once_per_key(
        stripe_connector: Any, stripe_http: Any) -> None:
    invoice = _invoice(stripe_connector, 15000, "130")
    first = stripe_connector.create("credit_note", _note(invoice, 3025), idempotency_key="k1")
    # A retry once less than the note remains is answered with the same note.
    stripe_connector.create("credit_note", _note(invoice, 11000, "76"), idempotency_key="k0")
    again = stripe_connector.create("credit_note", _note(invoice, 3025), idempotency_key="k1")
    assert first.id == again.id and first.data["type"] == "pre_payment"
    assert _amount_remaining(stripe_http, invoice) == 15000 - 3025 - 11000
    listed = ok(stripe_http.get("/v1/credit_notes", params={"invoice": invoice}))["data"]
    assert sorted(n["id"] for n in listed if n["amount"] == 3025) == [first.id]
    found = stripe_connector.find("credit_note", "metadata.qbo_credit_memo_id", "77")
    assert [r.id for r in found] == [first.id]


def test_memo_and_metadata_update_in_place_but_the_amount_does_not(
        stripe_connector: Any, stripe_http: Any) -> None:
    invoice = _invoice(stripe_connector, 5000, "131")
    note = stripe_connector.create("credit_note", _note(invoice, 1000), idempotency_key="k2")
    updated = stripe_connector.update("credit_note", note.id,
                                      {**_note(invoice, 1000), "memo": "Goodwill"})
    assert updated.data["memo"] == "Goodwill" and updated.id == note.id
    assert stripe_connector.refuses_update("credit_note", updated, _note(invoice, 1500))
    with pytest.raises(ImmutableTargetError, match="amount 1000 -> 1500"):
        stripe_connector.update("credit_note", note.id, _note(invoice, 1500))
    assert _amount_remaining(stripe_http, invoice) == 4000


def test_voiding_gives_the_amount_back_and_a_void_note_is_no_match(
        stripe_connector: Any, stripe_http: Any) -> None:
    invoice = _invoice(stripe_connector, 5000, "132")
    note = stripe_connector.create("credit_note", _note(invoice, 1200, "78"),
                                   idempotency_key="k3")
    voided = stripe_connector.remove("credit_note", note.id, mode="void")
    assert voided is not None and voided.data["status"] == "void"
    assert stripe_connector.remove("credit_note", note.id, mode="void").data["status"] == "void"
    assert _amount_remaining(stripe_http, invoice) == 5000
    assert stripe_connector.find("credit_note", "metadata.qbo_credit_memo_id", "78") == []


def test_a_paid_invoice_is_credited_out_of_band(stripe_connector: Any) -> None:
    invoice = _invoice(stripe_connector, 4000, "133")
    stripe_connector.update("invoice", invoice, {"paid_out_of_band": True})
    note = stripe_connector.create("credit_note", _note(invoice, 1500), idempotency_key="k4")
    assert (note.data["type"], note.data["out_of_band_amount"]) == ("post_payment", 1500)


def test_more_than_remains_or_a_void_invoice_fails_naming_the_invoice(
        stripe_connector: Any, stripe_emulator: RunningEmulator) -> None:
    invoice = _invoice(stripe_connector, 1000, "134")
    with pytest.raises(PermanentError, match="greater than the invoice's amount remaining"):
        stripe_connector.create("credit_note", _note(invoice, 1001), idempotency_key="k5")
    stripe_connector.remove("invoice", invoice, mode="void")
    with pytest.raises(PermanentError, match=f"{invoice} is void"):
        stripe_connector.create("credit_note", _note(invoice, 100), idempotency_key="k6")
