"""Writes: SyncToken, full vs sparse updates, name and number rules, requestid, delete/void."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_emulator_kit import Emulator, QboClient, fault_of, jsonio


def customer(qbo: QboClient, name: str = "Acme Widgets Ltd", **extra: Any) -> dict[str, Any]:
    return qbo.create("Customer", {"DisplayName": name, **extra})


def services(qbo: QboClient) -> str:
    return qbo.find_one("Item", "Name", "Services")["Id"]


def line(item: str, qty: str, price: str, **extra: Any) -> dict[str, Any]:
    return {"DetailType": "SalesItemLineDetail", "Amount": Decimal(qty) * Decimal(price),
            "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": Decimal(qty),
                                    "UnitPrice": Decimal(price)}, **extra}


def test_each_write_increments_sync_token_and_a_stale_one_is_5010(qbo: QboClient) -> None:
    created = customer(qbo)
    assert created["SyncToken"] == "0"
    updated = qbo.create("Customer", {**created, "Notes": "first"})
    assert updated["SyncToken"] == "1"
    stale = qbo.post("customer", {**created, "Notes": "second"})
    assert stale.status_code == 400 and fault_of(stale)["code"] == "5010"
    assert qbo.read("Customer", created["Id"])["Notes"] == "first"


def test_update_without_sync_token_is_refused(qbo: QboClient) -> None:
    created = customer(qbo)
    response = qbo.post("customer", {"Id": created["Id"], "sparse": True, "Notes": "x"})
    assert fault_of(response)["code"] == "2020"


def test_full_update_clears_fields_left_out_and_sparse_keeps_them(qbo: QboClient) -> None:
    created = customer(qbo, Notes="keep me", CompanyName="Acme")
    sparse = qbo.create("Customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True,
                                     "GivenName": "Jane"})
    assert sparse["Notes"] == "keep me" and sparse["GivenName"] == "Jane"
    full = qbo.create("Customer", {"Id": created["Id"], "SyncToken": "1",
                                   "DisplayName": "Acme Widgets Ltd"})
    assert "Notes" not in full and "GivenName" not in full and "CompanyName" not in full


def test_display_name_is_unique_regardless_of_case(qbo: QboClient) -> None:
    customer(qbo, "O'Brien Plumbing")
    response = qbo.post("customer", {"DisplayName": "o'brien plumbing"})
    assert response.status_code == 400 and fault_of(response)["code"] == "6240"


def test_display_name_is_built_from_name_parts_when_omitted(qbo: QboClient) -> None:
    created = qbo.create("Customer", {"Title": "Dr", "GivenName": "Zoë", "FamilyName": "Ng"})
    assert created["DisplayName"] == "Dr Zoë Ng"
    nameless = qbo.post("customer", {"CompanyName": "No Name Co"})
    assert fault_of(nameless)["code"] == "2020"


def test_display_name_rejects_colon_and_overlong_values(qbo: QboClient) -> None:
    assert fault_of(qbo.post("customer", {"DisplayName": "Parent:Child"}))["code"] == "6000"
    assert fault_of(qbo.post("customer", {"DisplayName": "x" * 501}))["code"] == "2050"


def test_customers_are_deactivated_not_deleted(qbo: QboClient) -> None:
    created = customer(qbo)
    refused = qbo.post("customer", {"Id": created["Id"], "SyncToken": "0"}, operation="delete")
    assert refused.status_code == 400 and fault_of(refused)["code"] == "500"
    qbo.create("Customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True,
                            "Active": False})
    default = qbo.query("SELECT * FROM Customer WHERE DisplayName = 'Acme Widgets Ltd'")
    assert default == {}
    both = qbo.query("SELECT * FROM Customer WHERE DisplayName = 'Acme Widgets Ltd' "
                     "AND Active IN (true, false)")
    assert [c["Active"] for c in both["Customer"]] == [False]
    assert qbo.read("Customer", created["Id"])["Active"] is False


def test_a_customer_currency_cannot_change(qbo: QboClient) -> None:
    created = customer(qbo, CurrencyRef={"value": "JPY"})
    assert created["CurrencyRef"] == {"value": "JPY", "name": "Japanese Yen"}
    response = qbo.post("customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True,
                                     "CurrencyRef": {"value": "USD"}})
    assert fault_of(response)["code"] == "6000"


def test_doc_numbers_are_generated_limited_to_21_and_unique(qbo: QboClient) -> None:
    cust, item = customer(qbo), services(qbo)
    body = {"CustomerRef": {"value": cust["Id"]}, "Line": [line(item, "1", "10")]}
    first, second = qbo.create("Invoice", body), qbo.create("Invoice", body)
    assert int(second["DocNumber"]) == int(first["DocNumber"]) + 1
    too_long = qbo.post("invoice", {**body, "DocNumber": "X" * 22})
    assert fault_of(too_long)["code"] == "2050"
    duplicate = qbo.post("invoice", {**body, "DocNumber": first["DocNumber"]})
    assert fault_of(duplicate)["code"] == "6140"


def test_same_requestid_returns_the_saved_answer_and_creates_once(qbo: QboClient) -> None:
    first = qbo.post("customer", {"DisplayName": "Once Only"}, requestid="req-1")
    again = qbo.post("customer", {"DisplayName": "Once Only"}, requestid="req-1")
    assert again.status_code == 200 and again.content == first.content
    rows = qbo.query("SELECT COUNT(*) FROM Customer WHERE DisplayName = 'Once Only'")
    assert rows == {"totalCount": 1}
    other = qbo.post("customer", {"DisplayName": "Once Only"}, requestid="req-2")
    assert fault_of(other)["code"] == "6240"
    long_id = qbo.post("customer", {"DisplayName": "Long"}, requestid="r" * 51)
    assert fault_of(long_id)["code"] == "2050"


def test_invoice_total_is_lines_less_discount_plus_tax(qbo: QboClient) -> None:
    cust, item = customer(qbo), services(qbo)
    invoice = qbo.create("Invoice", {
        "CustomerRef": {"value": cust["Id"]},
        "Line": [line(item, "3", "50.00"), line(item, "1", "0.10"), line(item, "1", "0.20"),
                 {"DetailType": "SalesItemLineDetail", "Amount": 999,
                  "Description": "no item: a description, not counted",
                  "SalesItemLineDetail": {}},
                 {"DetailType": "DiscountLineDetail",
                  "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10}}],
        "TxnTaxDetail": {"TotalTax": Decimal("12.34")}})
    subtotal = [ln for ln in invoice["Line"] if ln["DetailType"] == "SubTotalLineDetail"]
    assert subtotal[0]["Amount"] == Decimal("150.30")
    discount = [ln for ln in invoice["Line"] if ln["DetailType"] == "DiscountLineDetail"]
    assert discount[0]["Amount"] == Decimal("15.03")
    assert invoice["TotalAmt"] == Decimal("147.61") == invoice["Balance"]


def test_zero_decimal_currency_totals_have_no_cents(qbo: QboClient) -> None:
    cust, item = customer(qbo, "Sakura KK", CurrencyRef={"value": "JPY"}), services(qbo)
    discount = {"DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 5}}
    invoice = qbo.create("Invoice", {"CustomerRef": {"value": cust["Id"]},
                                     "Line": [line(item, "3", "333"), discount]})
    assert invoice["CurrencyRef"]["value"] == "JPY"
    assert invoice["TotalAmt"] == Decimal("949")  # 999 less 5% (49.95, rounded to 50 yen)
    assert invoice["HomeTotalAmt"] == (Decimal("949") * invoice["ExchangeRate"]).quantize(
        Decimal("0.01"))


def test_invoice_currency_must_be_the_customers(qbo: QboClient) -> None:
    cust = customer(qbo, "Sakura KK", CurrencyRef={"value": "JPY"})
    response = qbo.post("invoice", {"CustomerRef": {"value": cust["Id"]},
                                    "CurrencyRef": {"value": "USD"},
                                    "Line": [line(services(qbo), "1", "10")]})
    assert fault_of(response)["code"] == "6000"


def test_unknown_references_are_object_not_found(qbo: QboClient) -> None:
    response = qbo.post("invoice", {"CustomerRef": {"value": "99999"},
                                    "Line": [line(services(qbo), "1", "10")]})
    assert fault_of(response)["code"] == "610"
    assert fault_of(qbo.get("invoice/99999"))["code"] == "610"


def make_invoice(qbo: QboClient, amount: str = "150.00") -> tuple[dict, dict]:
    cust = customer(qbo)
    invoice = qbo.create("Invoice", {"CustomerRef": {"value": cust["Id"]},
                                     "Line": [line(services(qbo), "1", amount)]})
    return cust, invoice


def pay(qbo: QboClient, cust: dict, invoice: dict, amount: str) -> dict[str, Any]:
    return qbo.create("Payment", {"CustomerRef": {"value": cust["Id"]},
                                  "TotalAmt": Decimal(amount),
                                  "Line": [{"Amount": Decimal(amount), "LinkedTxn": [
                                      {"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})


def test_payment_lowers_balance_and_links_both_ways(qbo: QboClient) -> None:
    cust, invoice = make_invoice(qbo)
    payment = pay(qbo, cust, invoice, "100.00")
    after = qbo.read("Invoice", invoice["Id"])
    assert after["Balance"] == Decimal("50.00") and after["TotalAmt"] == Decimal("150.00")
    assert after["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert after["SyncToken"] == "1"
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    undeposited = qbo.find_one("Account", "AccountSubType", "UndepositedFunds")
    assert payment["DepositToAccountRef"]["value"] == undeposited["Id"]
    assert qbo.read("Customer", cust["Id"])["Balance"] == Decimal("50.00")


def test_a_payment_cannot_apply_more_than_the_open_balance(qbo: QboClient) -> None:
    cust, invoice = make_invoice(qbo)
    pay(qbo, cust, invoice, "150.00")
    response = qbo.post("payment", {"CustomerRef": {"value": cust["Id"]}, "TotalAmt": 1,
                                    "Line": [{"Amount": 1, "LinkedTxn": [
                                        {"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
    assert fault_of(response)["code"] == "6000"
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == 0


def test_voiding_a_payment_reopens_the_invoice(qbo: QboClient) -> None:
    cust, invoice = make_invoice(qbo)
    payment = pay(qbo, cust, invoice, "150.00")
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == 0
    voided = qbo.ok(qbo.post("payment", {"Id": payment["Id"], "SyncToken": "0", "sparse": True},
                             operation="update", include="void"))["Payment"]
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"].startswith("Voided")
    reopened = qbo.read("Invoice", invoice["Id"])
    assert reopened["Balance"] == Decimal("150.00") and reopened["LinkedTxn"] == []


def test_deleting_a_payment_reopens_the_invoice(qbo: QboClient) -> None:
    cust, invoice = make_invoice(qbo)
    payment = pay(qbo, cust, invoice, "40.00")
    deleted = qbo.ok(qbo.post("payment", {"Id": payment["Id"], "SyncToken": "0"},
                              operation="delete"))
    assert deleted["Payment"] == {"status": "Deleted", "domain": "QBO", "Id": payment["Id"]}
    assert qbo.read("Invoice", invoice["Id"])["Balance"] == Decimal("150.00")
    assert fault_of(qbo.get(f"payment/{payment['Id']}"))["code"] == "610"


def test_an_invoice_with_payments_cannot_be_deleted(qbo: QboClient) -> None:
    cust, invoice = make_invoice(qbo)
    pay(qbo, cust, invoice, "10.00")
    current = qbo.read("Invoice", invoice["Id"])
    response = qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": current["SyncToken"]},
                        operation="delete")
    assert response.status_code == 400 and fault_of(response)["code"] == "6000"


def test_voiding_an_invoice_zeroes_it_and_frees_its_payments(qbo: QboClient) -> None:
    cust, invoice = make_invoice(qbo)
    payment = pay(qbo, cust, invoice, "150.00")
    current = qbo.read("Invoice", invoice["Id"])
    voided = qbo.ok(qbo.post("invoice", {"Id": invoice["Id"],
                                         "SyncToken": current["SyncToken"]},
                             operation="void"))["Invoice"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert all(ln["Amount"] == 0 for ln in voided["Line"] if "Amount" in ln)
    assert qbo.read("Payment", payment["Id"])["UnappliedAmt"] == Decimal("150.00")


def test_invoice_void_uses_operation_void_not_include(qbo: QboClient) -> None:
    _, invoice = make_invoice(qbo)
    response = qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True},
                        operation="update", include="void")
    assert fault_of(response)["code"] == "500"


def test_a_deposited_payment_cannot_be_voided_until_the_deposit_is_deleted(
        qbo: QboClient) -> None:
    cust, invoice = make_invoice(qbo)
    payment = pay(qbo, cust, invoice, "150.00")
    bank = qbo.find_one("Account", "Name", "Checking")
    deposit = qbo.create("Deposit", {"DepositToAccountRef": {"value": bank["Id"]}, "Line": [
        {"Amount": 150, "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment",
                                       "TxnLineId": "0"}]}]})
    assert deposit["TotalAmt"] == Decimal("150.00")
    void = {"Id": payment["Id"], "SyncToken": "0", "sparse": True}
    refused = qbo.post("payment", void, operation="update", include="void")
    assert fault_of(refused)["code"] == "6000"
    qbo.post("deposit", {"Id": deposit["Id"], "SyncToken": "0"}, operation="delete")
    assert qbo.post("payment", void, operation="update", include="void").status_code == 200


def test_refund_receipt_needs_the_account_it_is_paid_from(qbo: QboClient) -> None:
    cust = customer(qbo)
    body = {"CustomerRef": {"value": cust["Id"]}, "Line": [line(services(qbo), "1", "50.00")]}
    assert fault_of(qbo.post("refundreceipt", body))["code"] == "2020"
    bank = qbo.find_one("Account", "Name", "Checking")
    refund = qbo.create("RefundReceipt", {**body, "DepositToAccountRef": {"value": bank["Id"]}})
    assert refund["TotalAmt"] == Decimal("50.00")


def test_journal_entries_must_balance(qbo: QboClient) -> None:
    bank = qbo.find_one("Account", "Name", "Checking")["Id"]
    income = qbo.find_one("Account", "Name", "Services")["Id"]

    def entry(debit: str, credit: str) -> dict[str, Any]:
        return {"Line": [
            {"DetailType": "JournalEntryLineDetail", "Amount": Decimal(debit),
             "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": bank}}},
            {"DetailType": "JournalEntryLineDetail", "Amount": Decimal(credit),
             "JournalEntryLineDetail": {"PostingType": "Credit",
                                        "AccountRef": {"value": income}}}]}

    assert fault_of(qbo.post("journalentry", entry("10.00", "9.99")))["code"] == "6000"
    assert qbo.create("JournalEntry", entry("10.00", "10.00"))["TotalAmt"] == Decimal("10.00")


def test_amounts_travel_as_bare_json_numbers(qbo: QboClient) -> None:
    _, invoice = make_invoice(qbo, "0.10")
    raw = qbo.get(f"invoice/{invoice['Id']}").text
    assert '"TotalAmt":0.10' in raw
    assert jsonio.loads(raw)["Invoice"]["TotalAmt"] == Decimal("0.10")


def test_send_marks_an_invoice_emailed(qbo: QboClient) -> None:
    _, invoice = make_invoice(qbo)
    sent = qbo.ok(qbo.http.post(f"/invoice/{invoice['Id']}/send",
                                params={"sendTo": "ap@acme.example"}))["Invoice"]
    assert sent["EmailStatus"] == "EmailSent"
    assert sent["BillEmail"] == {"Address": "ap@acme.example"}


def test_bad_paths_and_bodies_get_qbo_faults(emulator: Emulator, qbo: QboClient) -> None:
    assert qbo.get("widget/1").status_code == 404
    broken = qbo.http.post("/customer", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and fault_of(broken)["code"] == "2010"
    latin1 = qbo.http.post("/customer", content='{"DisplayName": "Café"}'.encode("latin-1"),
                           headers={"Content-Type": "application/json"})
    assert fault_of(latin1)["code"] == "500"
