"""A QuickBooks credit memo applied to an invoice lowers what Stripe asks for, to the cent,
through both emulators and the shipped pipelines: once however often it is synced, voided
with the credit memo, and issued again when its amount changes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ml_connector.connectors.qbo_stripe.checks import invariant_problems, minor, stripe_all
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.engine.sync.runner import Runner

PIPELINE = "credit-memos-to-stripe"


def _open_invoice(runtime: Any, sandbox: Sandbox) -> tuple[dict[str, Any], str]:
    """A synced QBO invoice that owes at least 100 and whose Stripe copy is open."""
    for invoice in sandbox.qbo_query("SELECT * FROM Invoice"):
        link = runtime.store.links.get("invoices-to-stripe", invoice["Id"])
        if link is None or Decimal(str(invoice["Balance"])) < 100:
            continue
        if invoice["CurrencyRef"]["value"] != "USD":
            continue
        if sandbox.stripe_get(f"/v1/invoices/{link.target_id}")["status"] == "open":
            return invoice, link.target_id
    raise AssertionError("the seeded company has no open USD invoice owing 100")


def _credit_lines(runtime: Any, amount: str) -> list[dict[str, Any]]:
    item = runtime.connector("quickbooks").find("Item", "Name", "Hours")[0].id
    return [{"DetailType": "SalesItemLineDetail", "Amount": Decimal(amount),
             "Description": "Goodwill", "SalesItemLineDetail": {
                 "ItemRef": {"value": item}, "Qty": 1, "UnitPrice": Decimal(amount)}}]


def _application(customer: str, invoice: str, memo: str, amount: str) -> dict[str, Any]:
    return {"CustomerRef": {"value": customer}, "TotalAmt": 0, "Line": [
        {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": invoice, "TxnType": "Invoice"}]},
        {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": memo, "TxnType": "CreditMemo"}]}]}


def _owed_in_both(sandbox: Sandbox, qbo_invoice: str, stripe_invoice: str) -> tuple[int, int]:
    invoice = sandbox.qbo_query(f"SELECT * FROM Invoice WHERE Id = '{qbo_invoice}'")[0]
    mirror = sandbox.stripe_get(f"/v1/invoices/{stripe_invoice}")
    return minor(invoice["Balance"], "USD"), mirror["amount_remaining"]


def _notes(sandbox: Sandbox, memo_id: str) -> list[dict[str, Any]]:
    return [n for n in stripe_all(sandbox, "/v1/credit_notes")
            if n["metadata"].get("qbo_credit_memo_id") == memo_id]


def test_a_credit_memo_lowers_the_stripe_amount_due_follows_edits_and_voids(
        tmp_path: Path) -> None:
    with Sandbox(tmp_path / "project") as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            qbo = runtime.connector("quickbooks")
            invoice, stripe_id = _open_invoice(runtime, sandbox)
            customer = invoice["CustomerRef"]["value"]
            owed_before = _owed_in_both(sandbox, invoice["Id"], stripe_id)
            assert owed_before[0] == owed_before[1]

            memo = qbo.create("CreditMemo", {"CustomerRef": {"value": customer},
                                             "Line": _credit_lines(runtime, "30.25")},
                              idempotency_key="memo-1")
            payment = qbo.create("Payment", _application(customer, invoice["Id"], memo.id,
                                                         "30.25"), idempotency_key="apply-1")
            unapplied = qbo.create("CreditMemo", {"CustomerRef": {"value": customer},
                                                  "Line": _credit_lines(runtime, "10.00")},
                                   idempotency_key="memo-2")
            summaries = {s.pipeline: s for s in Runner(runtime).run_all()}
            assert summaries[PIPELINE].failed == 0
            assert _notes(sandbox, unapplied.id) == []   # credit not applied: nothing owed less
            qbo_owed, stripe_owed = _owed_in_both(sandbox, invoice["Id"], stripe_id)
            assert qbo_owed == owed_before[0] - 3025 and stripe_owed == qbo_owed
            [note] = _notes(sandbox, memo.id)
            assert (note["invoice"], note["amount"], note["status"]) == (stripe_id, 3025,
                                                                         "issued")

            # Synced again, in full, and with its link lost: still the one note.
            assert Runner(runtime).run(PIPELINE, full=True).counts.get("create", 0) == 0
            runtime.store.links.remove(PIPELINE, memo.id)
            Runner(runtime).run(PIPELINE, full=True)
            assert [n["id"] for n in _notes(sandbox, memo.id)] == [note["id"]]
            assert runtime.store.links.get(PIPELINE, memo.id).target_id == note["id"]

            # More credit: the note cannot change, so it is voided and a new one issued.
            current = qbo.get("CreditMemo", memo.id)
            qbo.update("CreditMemo", memo.id, {"Line": _credit_lines(runtime, "45.00")})
            paid = qbo.get("Payment", payment.id)
            qbo.update("Payment", payment.id, {"Line": _application(
                customer, invoice["Id"], memo.id, "45.00")["Line"],
                "TotalAmt": paid.data["TotalAmt"]})
            assert qbo.get("CreditMemo", memo.id).version != current.version
            Runner(runtime).run_all()
            notes = {n["status"]: n for n in _notes(sandbox, memo.id)}
            assert set(notes) == {"void", "issued"} and notes["issued"]["amount"] == 4500
            assert notes["void"]["id"] == note["id"]
            qbo_owed, stripe_owed = _owed_in_both(sandbox, invoice["Id"], stripe_id)
            assert qbo_owed == owed_before[0] - 4500 and stripe_owed == qbo_owed

            # Voided in QuickBooks: the invoice owes the credit again in both.
            qbo.remove("CreditMemo", memo.id, mode="void")
            Runner(runtime).run_all()
            assert {n["status"] for n in _notes(sandbox, memo.id)} == {"void"}
            assert _owed_in_both(sandbox, invoice["Id"], stripe_id) == owed_before
            assert invariant_problems(sandbox) == []
        finally:
            runtime.close()
