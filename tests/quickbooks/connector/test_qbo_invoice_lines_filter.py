"""`qbo_invoice_lines` on shapes the shipped cases do not show, called as a mapping calls it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ml_connector.connectors.quickbooks.invoice_lines import qbo_invoice_lines
from ml_connector.engine.mapping.conversions import FilterError


def _invoice(lines: list[dict[str, Any]], total: str, **extra: Any) -> dict[str, Any]:
    return {"CurrencyRef": {"value": "USD"}, "Line": lines, "TotalAmt": Decimal(total),
            **extra}


def _sale(amount: str, item: str = "14", **extra: Any) -> dict[str, Any]:
    return {"DetailType": "SalesItemLineDetail", "Amount": Decimal(amount),
            "SalesItemLineDetail": {"ItemRef": {"value": item, "name": "Hours"}}, **extra}


def test_a_bundle_read_without_its_components_bills_its_own_amount() -> None:
    bundle = {"Id": "4", "LineNum": 1, "DetailType": "GroupLineDetail",
              "Amount": Decimal("80.00"),
              "GroupLineDetail": {"GroupItemRef": {"value": "30", "name": "Kit"}}}
    assert qbo_invoice_lines(_invoice([bundle], "80.00")) == [
        {"kind": "bundle", "description": "Kit", "amount": Decimal("80.00")}]


def test_a_text_line_inside_a_bundle_bills_nothing() -> None:
    text = {"DetailType": "SalesItemLineDetail", "Amount": Decimal("999"),
            "SalesItemLineDetail": {}}
    bundle = {"Id": "4", "LineNum": 1, "DetailType": "GroupLineDetail",
              "GroupLineDetail": {"Line": [_sale("30.00"), text]}}
    lines = qbo_invoice_lines(_invoice([bundle], "30.00"))
    assert [(x["description"], x["amount"]) for x in lines] == [("Bundle", Decimal("30.00"))]


def test_a_described_shipping_line_keeps_its_text() -> None:
    lines = qbo_invoice_lines(_invoice(
        [_sale("9.95", "SHIPPING_ITEM_ID", Description="Courier, next day")], "9.95"))
    assert lines == [{"kind": "shipping", "description": "Courier, next day",
                      "amount": Decimal("9.95")}]


def test_an_invoice_without_a_currency_is_refused_by_name() -> None:
    with pytest.raises(FilterError, match="CurrencyRef"):
        qbo_invoice_lines({"Line": [_sale("1.00")], "TotalAmt": Decimal("1.00")})


def test_a_float_amount_is_refused_naming_the_line() -> None:
    with pytest.raises(FilterError, match=r"line 3 \(Id 7\).*floats"):
        qbo_invoice_lines(_invoice([dict(_sale("1.00"), Id="7", LineNum=3, Amount=1.1)],
                                   "1.10"))
