"""Every invoice shape QuickBooks writes reaches Stripe with the same total, to the minor unit.

Invoices are made in the QuickBooks emulator, which computes `TotalAmt` itself (bundles,
discounts, shipping, tax by rate, tax-inclusive), then synced to the Stripe emulator, which
computes its own total from the lines it was sent. The two totals must be equal; an
invoice Stripe cannot carry fails with the QuickBooks line to change and leaves nothing.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ml_connector.connectors.qbo_stripe.checks import minor, stripe_all
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.engine.sync.runner import Runner


def _sale(item: str, amount: str, description: str | None = None,
          **detail: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"DetailType": "SalesItemLineDetail", "Amount": Decimal(amount),
                            "SalesItemLineDetail": {"ItemRef": {"value": item}, **detail}}
    if description is not None:
        line["Description"] = description
    return line


def _rate(name: str | None, percent: str, net: str) -> dict[str, Any]:
    ref = {"value": "3", **({"name": name} if name else {})}
    return {"DetailType": "TaxLineDetail", "TaxLineDetail": {
        "TaxRateRef": ref, "PercentBased": True, "TaxPercent": Decimal(percent),
        "NetAmountTaxable": Decimal(net)}}


def _shapes(hours: str, kit: str) -> dict[str, dict[str, Any]]:
    bundle = {"DetailType": "GroupLineDetail", "GroupLineDetail": {
        "GroupItemRef": {"value": kit}, "Quantity": 1,
        "Line": [_sale(hours, "150.00", "Survey"), _sale(hours, "100.00", "Planting plan")]}}
    return {
        "bundle": {"Line": [_sale(hours, "100.00", "Site visit"), bundle]},
        "discounts, shipping and tax": {"Line": [
            _sale(hours, "200.00", "Installation"), _sale("SHIPPING_ITEM_ID", "15.00"),
            {"DetailType": "DiscountLineDetail",
             "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10}},
            {"DetailType": "DiscountLineDetail", "Amount": Decimal("5.00"),
             "Description": "Loyalty credit", "DiscountLineDetail": {"PercentBased": False}}],
            "TxnTaxDetail": {"TaxLine": [_rate("CA State", "8.25", "183.50")]}},
        "tax-inclusive": {"GlobalTaxCalculation": "TaxInclusive", "Line": [
            _sale(hours, "83.33", "Design", TaxInclusiveAmt=Decimal("100.00"))],
            "TxnTaxDetail": {"TaxLine": [_rate("VAT", "20", "83.33")]}},
    }


def test_each_shape_totals_in_stripe_what_it_totals_in_quickbooks(tmp_path: Path) -> None:
    with Sandbox(tmp_path / "project") as sandbox:
        runtime = sandbox.runtime()
        try:
            qbo = runtime.connector("quickbooks")
            hours = qbo.find("Item", "Name", "Hours")[0].id
            kit = qbo.create("Item", {"Name": "Garden kit", "Type": "Group"},
                             idempotency_key="kit").id
            made: dict[str, Any] = {}
            for currency in ("USD", "JPY", "KWD"):
                customer = qbo.create("Customer", {"DisplayName": f"Shapes {currency}",
                                                   "CurrencyRef": {"value": currency}},
                                      idempotency_key=f"shapes-{currency}").id
                shapes = _shapes(hours, kit) if currency == "USD" else {
                    "bundle with tax": {
                        "Line": [{"DetailType": "GroupLineDetail", "GroupLineDetail": {
                            "GroupItemRef": {"value": kit},
                            "Line": [_sale(hours, "3000" if currency == "JPY" else "3.250"),
                                     _sale(hours, "1500" if currency == "JPY" else "1.150")]}}],
                        "TxnTaxDetail": {"TaxLine": [_rate(None, "10", "4500" if currency
                                                           == "JPY" else "4.400")]}}}
                for shape, body in shapes.items():
                    record = qbo.create("Invoice", {"CustomerRef": {"value": customer},
                                                    **body},
                                        idempotency_key=f"{currency}-{shape}")
                    made[f"{currency} {shape}"] = record
            odd = qbo.create("Invoice", {"CustomerRef": {"value": customer},
                                         "Line": [_sale(hours, "12.345")]},
                             idempotency_key="odd-fils")

            summaries = {s.pipeline: s for s in Runner(runtime).run_all()}

            for name, record in made.items():
                target = runtime.store.links.get("invoices-to-stripe", record.id)
                assert target is not None, f"{name} was not synced"
                invoice = sandbox.stripe_get(f"/v1/invoices/{target.target_id}")
                currency = record.data["CurrencyRef"]["value"]
                assert invoice["status"] == "open", name
                assert invoice["total"] == minor(record.data["TotalAmt"], currency), name
            usd = made["USD discounts, shipping and tax"]
            usd_link = runtime.store.links.get("invoices-to-stripe", usd.id)
            lines = sandbox.stripe_get(f"/v1/invoices/{usd_link.target_id}")["lines"]["data"]
            described = [line["description"] for line in lines]
            assert described == ["Installation", "Shipping", "Discount 10%", "Loyalty credit",
                                 "Tax: CA State 8.25%"]
            assert made["USD tax-inclusive"].data["TotalAmt"] == Decimal("100.00")
            assert made["USD bundle"].data["TotalAmt"] == Decimal("350.00")

            failures = {f.source_id: f.error for f in summaries["invoices-to-stripe"].failures}
            assert "12.345 KWD cannot be sent to Stripe" in failures[odd.id]
            assert "line 1 (Id 1)" in failures[odd.id]
            assert runtime.store.links.get("invoices-to-stripe", odd.id) is None
            drafts = [i for i in stripe_all(sandbox, "/v1/invoices")
                      if i["metadata"].get("qbo_invoice_id") == odd.id]
            assert drafts == []
        finally:
            runtime.close()
