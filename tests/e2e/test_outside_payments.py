"""A payment recorded only in QuickBooks, for part of an invoice: Stripe is made to ask for
what QuickBooks says is still owed, to the cent, through both emulators and the shipped
pipelines; the rest paid by cheque too, Stripe marks the invoice paid out of band."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from test_credit_memos import _open_invoice, _owed_in_both

from ml_connector.connectors.qbo_stripe.checks import invariant_problems, stripe_all
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.connectors.stripe.outside_payments import MARK
from ml_connector.engine.sync.runner import Runner


def _cheque(customer: str, invoice: str, amount: Decimal) -> dict[str, object]:
    return {"CustomerRef": {"value": customer}, "TotalAmt": amount, "PaymentRefNum": "1042",
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice,
                                                       "TxnType": "Invoice"}]}]}


def test_a_cheque_for_half_then_the_rest(tmp_path: Path) -> None:
    with Sandbox(tmp_path / "project") as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            qbo = runtime.connector("quickbooks")
            invoice, stripe_id = _open_invoice(runtime, sandbox)
            customer = invoice["CustomerRef"]["value"]
            half = (Decimal(str(invoice["Balance"])) / 2).quantize(Decimal("0.01"))
            qbo.create("Payment", _cheque(customer, invoice["Id"], half),
                       idempotency_key="cheque-1")
            Runner(runtime).run_all()
            qbo_owed, stripe_owed = _owed_in_both(sandbox, invoice["Id"], stripe_id)
            assert qbo_owed > 0 and stripe_owed == qbo_owed
            mirror = sandbox.stripe_get(f"/v1/invoices/{stripe_id}")
            assert mirror["status"] == "open"
            outside = [n for n in stripe_all(sandbox, "/v1/credit_notes",
                                             {"invoice": stripe_id})
                       if MARK in n["metadata"] and n["status"] == "issued"]
            assert [n["amount"] for n in outside] == [int(half.scaleb(2))]
            assert Runner(runtime).run("invoices-to-stripe", full=True).counts.get(
                "update", 0) == 0

            rest = Decimal(str(qbo.get("Invoice", invoice["Id"]).data["Balance"]))
            qbo.create("Payment", _cheque(customer, invoice["Id"], rest),
                       idempotency_key="cheque-2")
            Runner(runtime).run_all()
            paid = sandbox.stripe_get(f"/v1/invoices/{stripe_id}")
            assert (paid["status"], paid["amount_remaining"]) == ("paid", 0)
            assert invariant_problems(sandbox) == []
        finally:
            runtime.close()
