"""Credit memos: created, read, queried, updated sparsely, applied to an invoice through a
Payment (the invoice's Balance drops by the credit), voided (the invoice owes it again),
and announced through CDC and webhooks like every transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_emulator_kit import Emulator, QboClient, fault_of


def _line(item: str, amount: str) -> dict[str, Any]:
    return {"DetailType": "SalesItemLineDetail", "Amount": Decimal(amount),
            "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1,
                                    "UnitPrice": Decimal(amount)}}


def _setup(qbo: QboClient, invoice_amount: str = "150.00",
           credit: str = "30.00") -> tuple[str, dict[str, Any], dict[str, Any]]:
    cust = qbo.create("Customer", {"DisplayName": "Credit Customer"})["Id"]
    item = qbo.find_one("Item", "Name", "Services")["Id"]
    invoice = qbo.create("Invoice", {"CustomerRef": {"value": cust},
                                     "Line": [_line(item, invoice_amount)]})
    memo = qbo.create("CreditMemo", {"CustomerRef": {"value": cust},
                                     "Line": [_line(item, credit)], "PrivateNote": "Damaged"})
    return cust, invoice, memo


def apply(qbo: QboClient, cust: str, invoice: dict[str, Any], memo: dict[str, Any],
          amount: str) -> dict[str, Any]:
    """The payment QBO records when a credit is applied: it nets to no cash."""
    return qbo.create("Payment", {"CustomerRef": {"value": cust}, "TotalAmt": 0, "Line": [
        {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": invoice["Id"],
                                                   "TxnType": "Invoice"}]},
        {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": memo["Id"],
                                                   "TxnType": "CreditMemo"}]}]})


def test_a_credit_memo_is_created_read_queried_and_updated_sparsely(qbo: QboClient) -> None:
    cust, _, memo = _setup(qbo)
    assert (memo["TotalAmt"], memo["Balance"], memo["RemainingCredit"]) == (
        Decimal("30.00"), Decimal("30.00"), Decimal("30.00"))
    assert qbo.read("CreditMemo", memo["Id"])["PrivateNote"] == "Damaged"
    rows = qbo.query(f"SELECT * FROM CreditMemo WHERE CustomerRef = '{cust}'")["CreditMemo"]
    assert [row["Id"] for row in rows] == [memo["Id"]]
    updated = qbo.create("CreditMemo", {"Id": memo["Id"], "SyncToken": memo["SyncToken"],
                                        "sparse": True, "CustomerMemo": {"value": "Sorry"}})
    assert updated["PrivateNote"] == "Damaged" and updated["SyncToken"] == "1"
    assert updated["CustomerMemo"] == {"value": "Sorry"}


def test_applying_a_credit_lowers_the_invoice_balance_and_uses_the_credit(
        qbo: QboClient) -> None:
    cust, invoice, memo = _setup(qbo)
    payment = apply(qbo, cust, invoice, memo, "30.00")
    assert (payment["TotalAmt"], payment["UnappliedAmt"]) == (0, 0)
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == Decimal("120.00")
    used = qbo.read("CreditMemo", memo["Id"])
    assert (used["Balance"], used["RemainingCredit"]) == (0, 0)
    assert used["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert qbo.read("Customer", cust)["Balance"] == Decimal("120.00")


def test_more_credit_than_the_memo_holds_is_refused(qbo: QboClient) -> None:
    cust, invoice, memo = _setup(qbo)
    response = qbo.post("payment", {"CustomerRef": {"value": cust}, "TotalAmt": 0, "Line": [
        {"Amount": 31, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
        {"Amount": 31, "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]}]})
    assert fault_of(response)["code"] == "6000"
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == Decimal("150.00")


def test_voiding_an_applied_credit_memo_makes_the_invoice_owe_it_again(qbo: QboClient) -> None:
    cust, invoice, memo = _setup(qbo)
    payment = apply(qbo, cust, invoice, memo, "30.00")
    current = qbo.read("CreditMemo", memo["Id"])
    voided = qbo.ok(qbo.post("creditmemo", {"Id": memo["Id"],
                                            "SyncToken": current["SyncToken"]},
                             operation="void"))["CreditMemo"]
    assert (voided["TotalAmt"], voided["Balance"]) == (0, 0)
    assert voided["PrivateNote"].startswith("Voided")
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == Decimal("150.00")
    after = qbo.read("Payment", payment["Id"])
    assert (after["TotalAmt"], after["UnappliedAmt"], after["Line"]) == (0, 0, [])
    assert qbo.read("Customer", cust)["Balance"] == Decimal("150.00")


def test_an_applied_credit_memo_cannot_be_deleted(qbo: QboClient) -> None:
    cust, invoice, memo = _setup(qbo)
    apply(qbo, cust, invoice, memo, "10.00")
    current = qbo.read("CreditMemo", memo["Id"])
    response = qbo.post("creditmemo", {"Id": memo["Id"], "SyncToken": current["SyncToken"]},
                        operation="delete")
    assert fault_of(response)["code"] == "6000"


def test_credit_memo_changes_reach_cdc(emulator: Emulator, qbo: QboClient) -> None:
    since = emulator.state.clock.server_time()
    emulator.admin("clock", {"advance_seconds": 5})
    cust, invoice, memo = _setup(qbo)
    apply(qbo, cust, invoice, memo, "30.00")
    answer = qbo.ok(qbo.get("cdc", entities="CreditMemo,Invoice", changedSince=since))
    found = {name: [row["Id"] for row in rows]
             for item in answer["CDCResponse"][0]["QueryResponse"]
             for name, rows in item.items() if isinstance(rows, list)}
    assert found["CreditMemo"] == [memo["Id"]] and found["Invoice"] == [invoice["Id"]]
    assert qbo.read("CreditMemo", memo["Id"])["Balance"] == 0
