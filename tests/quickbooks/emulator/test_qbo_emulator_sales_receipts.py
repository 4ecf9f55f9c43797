"""SalesReceipt, as the Stripe sales pipelines use it: create, find by DocNumber, read,
sparse update, void, CDC and webhooks, with the documented shapes (A4, A5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_emulator_kit import Emulator, QboClient, fault_of
from test_qbo_emulator_webhooks import Receiver, flush, hooked, receiver  # noqa: F401


def _body(qbo: QboClient, doc: str = "cHk0uTsAle00000000001") -> dict[str, Any]:
    customer = qbo.create("Customer", {"DisplayName": f"Checkout buyer {doc}"})
    item = qbo.find_one("Item", "Name", "Services")["Id"]
    return {"CustomerRef": {"value": customer["Id"]}, "CurrencyRef": {"value": "USD"},
            "DocNumber": doc, "TxnDate": "2026-11-25", "PaymentRefNum": doc,
            "PrivateNote": f"Stripe payment pi_3R{doc}",
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": Decimal("49.99"),
                      "Description": "Workshop ticket",
                      "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1,
                                              "UnitPrice": Decimal("49.99")}}]}


def test_a_receipt_totals_its_lines_and_lands_in_undeposited_funds(qbo: QboClient) -> None:
    receipt = qbo.create("SalesReceipt", _body(qbo))
    funds = qbo.find_one("Account", "AccountSubType", "UndepositedFunds")
    assert receipt["TotalAmt"] == Decimal("49.99") and receipt["Balance"] == 0
    assert receipt["DepositToAccountRef"]["value"] == funds["Id"]
    assert receipt["SyncToken"] == "0" and receipt["DocNumber"] == "cHk0uTsAle00000000001"
    assert qbo.read("SalesReceipt", receipt["Id"])["TotalAmt"] == Decimal("49.99")


def test_a_receipt_is_found_by_its_doc_number(qbo: QboClient) -> None:
    made = qbo.create("SalesReceipt", _body(qbo, "cHk0uTsAle0000000000F"))
    found = qbo.query("SELECT * FROM SalesReceipt WHERE DocNumber = 'cHk0uTsAle0000000000F'")
    assert [r["Id"] for r in found["SalesReceipt"]] == [made["Id"]]
    none = qbo.query("SELECT * FROM SalesReceipt WHERE DocNumber = 'no-such-number'")
    assert "SalesReceipt" not in none


def test_a_sparse_update_keeps_the_lines_and_a_void_zeroes_them(qbo: QboClient) -> None:
    made = qbo.create("SalesReceipt", _body(qbo, "cHk0uTsAle0000000000V"))
    noted = qbo.create("SalesReceipt", {"Id": made["Id"], "SyncToken": "0", "sparse": True,
                                        "PrivateNote": "checked"})
    assert noted["SyncToken"] == "1" and noted["TotalAmt"] == Decimal("49.99")
    assert noted["PrivateNote"] == "checked"
    voided = qbo.ok(qbo.post("salesreceipt", {"Id": made["Id"], "SyncToken": "1",
                                              "sparse": True},
                             operation="update", include="void"))["SalesReceipt"]
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"].startswith("Voided")
    assert all(line["Amount"] == 0 for line in voided["Line"])
    wrong = qbo.post("salesreceipt", {"Id": made["Id"], "SyncToken": "2"}, operation="void")
    assert wrong.status_code == 400 and fault_of(wrong)["code"]


def test_receipts_show_in_cdc(emulator: Emulator, qbo: QboClient) -> None:
    since = emulator.state.clock.server_time()
    made = qbo.create("SalesReceipt", _body(qbo, "cHk0uTsAle0000000000C"))
    items = qbo.ok(qbo.get("cdc", entities="SalesReceipt", changedSince=since))[
        "CDCResponse"][0]["QueryResponse"]
    assert [r["Id"] for r in items[0]["SalesReceipt"]] == [made["Id"]]


def test_a_new_receipt_is_announced_by_webhook(receiver: Receiver) -> None:  # noqa: F811
    with hooked(receiver) as emulator:
        qbo = emulator.connect()
        made = qbo.create("SalesReceipt", _body(qbo, "cHk0uTsAle0000000000W"))
        flush(emulator)
    entities = [e for body in receiver.bodies() for n in body["eventNotifications"]
                for e in n["dataChangeEvent"]["entities"]]
    assert ("SalesReceipt", made["Id"], "Create") in {(e["name"], e["id"], e["operation"])
                                                      for e in entities}
