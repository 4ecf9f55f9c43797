"""Invoice shapes beyond plain item lines: bundles, shipping, tax by rate, tax-inclusive.

`TotalAmt` is lines + tax - discount in every shape (API reference, Invoice), so each test
checks the total a person would read on the QuickBooks invoice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_emulator_kit import QboClient, fault_of


def _setup(qbo: QboClient) -> tuple[str, str, str]:
    customer = qbo.create("Customer", {"DisplayName": "Bundle Buyer"})
    services = qbo.find_one("Item", "Name", "Services")["Id"]
    kit = qbo.create("Item", {"Name": "Starter kit", "Type": "Group"})
    return customer["Id"], services, kit["Id"]


def _sale(item: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"DetailType": "SalesItemLineDetail", "Amount": Decimal(amount),
            "SalesItemLineDetail": {"ItemRef": {"value": item}, **extra}}


def test_a_bundle_counts_its_components_and_shows_their_sum(qbo: QboClient) -> None:
    customer, services, kit = _setup(qbo)
    invoice = qbo.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [
        _sale(services, "100.00"),
        {"DetailType": "GroupLineDetail", "GroupLineDetail": {
            "GroupItemRef": {"value": kit}, "Quantity": 1,
            "Line": [_sale(services, "150.00"), _sale(services, "100.00")]}}]})
    bundle = next(ln for ln in invoice["Line"] if ln["DetailType"] == "GroupLineDetail")
    assert bundle["Amount"] == Decimal("250.00")
    assert bundle["GroupLineDetail"]["GroupItemRef"]["name"] == "Starter kit"
    ids = [c["Id"] for c in bundle["GroupLineDetail"]["Line"]]
    assert len({*ids, bundle["Id"]}) == 3  # every line keeps an Id of its own
    assert invoice["TotalAmt"] == Decimal("350.00")


def test_a_bundle_needs_its_component_lines(qbo: QboClient) -> None:
    customer, _, kit = _setup(qbo)
    response = qbo.post("invoice", {"CustomerRef": {"value": customer}, "Line": [
        {"DetailType": "GroupLineDetail", "Amount": 10,
         "GroupLineDetail": {"GroupItemRef": {"value": kit}}}]})
    assert response.status_code == 400 and fault_of(response)["code"] == "2020"


def test_shipping_is_a_line_of_its_own_item_and_discounts_and_tax_add_up(
        qbo: QboClient) -> None:
    customer, services, _ = _setup(qbo)
    invoice = qbo.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [
        _sale(services, "200.00"), _sale("SHIPPING_ITEM_ID", "15.00"),
        {"DetailType": "DiscountLineDetail",
         "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10}},
        {"DetailType": "DiscountLineDetail", "Amount": Decimal("5.00"),
         "DiscountLineDetail": {"PercentBased": False}}],
        "TxnTaxDetail": {"TaxLine": [
            {"DetailType": "TaxLineDetail", "TaxLineDetail": {
                "TaxRateRef": {"value": "3"}, "PercentBased": True,
                "TaxPercent": Decimal("8.25"), "NetAmountTaxable": Decimal("181.50")}},
            {"DetailType": "TaxLineDetail", "Amount": Decimal("1.20"), "TaxLineDetail": {
                "TaxRateRef": {"value": "4"}, "PercentBased": True,
                "TaxPercent": Decimal("0.66"), "NetAmountTaxable": Decimal("181.50")}}]}})
    shipping = invoice["Line"][1]["SalesItemLineDetail"]["ItemRef"]
    assert shipping["value"] == "SHIPPING_ITEM_ID"
    discounts = [ln["Amount"] for ln in invoice["Line"]
                 if ln["DetailType"] == "DiscountLineDetail"]
    assert discounts == [Decimal("21.50"), Decimal("5.00")]
    taxes = [t["Amount"] for t in invoice["TxnTaxDetail"]["TaxLine"]]
    assert taxes == [Decimal("14.97"), Decimal("1.20")]  # 181.50 x 8.25% = 14.974
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("16.17")
    assert invoice["TotalAmt"] == Decimal("204.67")  # 215 - 26.50 + 16.17


def test_a_tax_inclusive_invoice_adds_the_tax_to_its_net_line_amounts(
        qbo: QboClient) -> None:
    customer, services, _ = _setup(qbo)
    invoice = qbo.create("Invoice", {
        "CustomerRef": {"value": customer}, "GlobalTaxCalculation": "TaxInclusive",
        "Line": [_sale(services, "100.00", TaxInclusiveAmt=Decimal("120.00"))],
        "TxnTaxDetail": {"TotalTax": Decimal("20.00")}})
    assert invoice["Line"][0]["Amount"] == Decimal("100.00")
    assert invoice["TotalAmt"] == Decimal("120.00")


def test_a_dinar_tax_line_is_rounded_to_the_fils(qbo: QboClient) -> None:
    customer = qbo.create("Customer", {"DisplayName": "Dinar Co",
                                       "CurrencyRef": {"value": "KWD"}})
    services = qbo.find_one("Item", "Name", "Services")["Id"]
    invoice = qbo.create("Invoice", {
        "CustomerRef": {"value": customer["Id"]}, "Line": [_sale(services, "12.345")],
        "TxnTaxDetail": {"TaxLine": [{"DetailType": "TaxLineDetail", "TaxLineDetail": {
            "PercentBased": True, "TaxPercent": 5, "NetAmountTaxable": "12.345"}}]}})
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("0.617")  # 0.61725
    assert invoice["TotalAmt"] == Decimal("12.962")
