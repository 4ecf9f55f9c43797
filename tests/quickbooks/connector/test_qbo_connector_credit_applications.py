"""A CreditMemo read through the connector names the invoices its credit went to, and how
much each got, whichever way the payment that applied it is laid out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_connector_kit import Emulator

from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.connectors.quickbooks.credit_applications import applied_to


def _lines(connector: QuickBooksConnector, amount: str) -> list[dict[str, Any]]:
    item = connector.find("Item", "Name", "Services")[0].id
    return [{"DetailType": "SalesItemLineDetail", "Amount": Decimal(amount),
             "SalesItemLineDetail": {"ItemRef": {"value": item}}}]


def test_a_credit_memo_names_the_invoice_it_was_applied_to(
        connector: QuickBooksConnector, emulator: Emulator) -> None:
    customer = connector.create("Customer", {"DisplayName": "Credited Reader"},
                                idempotency_key="c").id
    invoice = connector.create("Invoice", {"CustomerRef": {"value": customer},
                                           "Line": _lines(connector, "150.00")},
                               idempotency_key="i").id
    memo = connector.create("CreditMemo", {"CustomerRef": {"value": customer},
                                           "Line": _lines(connector, "45.50")},
                            idempotency_key="m")
    assert memo.data["AppliedTo"] == []
    payment = connector.create("Payment", {
        "CustomerRef": {"value": customer}, "TotalAmt": 0, "Line": [
            {"Amount": Decimal("30.25"), "LinkedTxn": [{"TxnId": invoice,
                                                        "TxnType": "Invoice"}]},
            {"Amount": Decimal("30.25"), "LinkedTxn": [{"TxnId": memo.id,
                                                        "TxnType": "CreditMemo"}]}]},
        idempotency_key="p").id
    read = connector.get("CreditMemo", memo.id)
    assert read is not None
    assert read.data["AppliedTo"] == [{"InvoiceId": invoice, "Amount": Decimal("30.25"),
                                       "PaymentId": payment}]
    changed = [r for page in connector.read_changes("CreditMemo", None) for r in page.records
               if r.id == memo.id]
    assert changed[-1].data["AppliedTo"] == read.data["AppliedTo"]
    assert connector.get_many("CreditMemo", [memo.id])[memo.id].data["AppliedTo"] == (
        read.data["AppliedTo"])


def test_credit_on_one_line_with_the_invoice_or_spread_over_several() -> None:
    both = {"Id": "9", "Line": [{"Amount": "12.00", "LinkedTxn": [
        {"TxnId": "1", "TxnType": "Invoice"}, {"TxnId": "5", "TxnType": "CreditMemo"}]}]}
    assert applied_to("5", [both]) == [{"InvoiceId": "1", "Amount": Decimal("12.00"),
                                        "PaymentId": "9"}]
    spread = {"Id": "10", "Line": [
        {"Amount": "20", "LinkedTxn": [{"TxnId": "1", "TxnType": "Invoice"}]},
        {"Amount": "50", "LinkedTxn": [{"TxnId": "2", "TxnType": "Invoice"}]},
        {"Amount": "35", "LinkedTxn": [{"TxnId": "5", "TxnType": "CreditMemo"}]},
        {"Amount": "7", "LinkedTxn": [{"TxnId": "6", "TxnType": "CreditMemo"}]}]}
    assert [(a["InvoiceId"], a["Amount"]) for a in applied_to("5", [spread])] == [
        ("1", Decimal("20")), ("2", Decimal("15"))]
    assert [(a["InvoiceId"], a["Amount"]) for a in applied_to("6", [spread])] == [
        ("2", Decimal("7"))]
    assert applied_to("8", [spread]) == []
