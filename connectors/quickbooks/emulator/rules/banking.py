"""Deposit (receipts moved to the bank) and JournalEntry (bookings such as disputes)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.money import ZERO, amount, currency_ref, quantize
from ml_connector.connectors.quickbooks.emulator.rules.balances import deposit_holding
from ml_connector.connectors.quickbooks.emulator.rules.base import (
    COMMON_FILTERS,
    EntityRules,
    check_text,
    clean_ref,
)
from ml_connector.connectors.quickbooks.emulator.rules.documents import (
    DOC_NUMBER_MAX,
    check_date,
    money_account,
)
from ml_connector.connectors.quickbooks.emulator.store import StoredEntity

DEPOSIT_LINKABLE = ("Payment", "SalesReceipt", "RefundReceipt", "JournalEntry", "Transfer")


def _common(ledger: Ledger, data: dict[str, Any]) -> str:
    """Date, currency and memo checks shared by banking transactions; returns the currency."""
    data["TxnDate"] = check_date(data.get("TxnDate") or ledger.clock.today(), "TxnDate")
    check_text(data, {"PrivateNote": 4000, "DocNumber": DOC_NUMBER_MAX})
    currency = (data.get("CurrencyRef") or {}).get("value") or ledger.realm.home_currency
    data["CurrencyRef"] = currency_ref(currency)
    return currency


def _lines(raw_lines: Any) -> list[dict[str, Any]]:
    if not isinstance(raw_lines, list) or not raw_lines:
        raise errors.required_missing("Line")
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        if not isinstance(raw, dict) or "Amount" not in raw:
            raise errors.required_missing("Line.Amount")
        lines.append(dict(raw, Id=str(number), LineNum=number,
                          Amount=amount(raw["Amount"], "Line.Amount")))
    return lines


class DepositRules(EntityRules):
    entity, resource = "Deposit", "deposit"
    filterable = COMMON_FILTERS | {"TxnDate", "TotalAmt", "DocNumber"}

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        data = dict(data)
        if not data.get("DepositToAccountRef"):
            raise errors.required_missing("DepositToAccountRef")
        data["DepositToAccountRef"] = money_account(ledger, data["DepositToAccountRef"],
                                                    "DepositToAccountRef")
        currency = _common(ledger, data)
        lines = _lines(data.get("Line"))
        for line in lines:
            if line.get("LinkedTxn"):
                self._check_linked(ledger, line, previous)
            else:
                self._check_direct(ledger, line)
        cash_back = data.get("CashBack") or {}
        back = amount(cash_back.get("Amount", ZERO), "CashBack.Amount")
        total = sum((line["Amount"] for line in lines), ZERO) - back
        data.update(Line=lines, TotalAmt=quantize(total, currency))
        return data

    @staticmethod
    def _check_linked(ledger: Ledger, line: dict[str, Any],
                      previous: StoredEntity | None) -> None:
        for link in line["LinkedTxn"]:
            txn_type, txn_id = link.get("TxnType"), str(link.get("TxnId", ""))
            if txn_type not in DEPOSIT_LINKABLE:
                raise errors.invalid_property("Line.LinkedTxn.TxnType",
                                              f"{txn_type!r} cannot be deposited")
            if link.get("TxnLineId") is None:
                raise errors.required_missing("Line.LinkedTxn.TxnLineId")
            target = ledger.realm.get(txn_type, txn_id)
            if target is None:
                raise errors.object_not_found(txn_type, txn_id, "Line.LinkedTxn")
            holder = deposit_holding(ledger.realm, txn_type, txn_id,
                                     exclude_deposit=previous.id if previous else None)
            if holder is not None:
                raise errors.business_rule(f"{txn_type} {txn_id} is already in Deposit "
                                           f"{holder.id}.", "Line.LinkedTxn")

    @staticmethod
    def _check_direct(ledger: Ledger, line: dict[str, Any]) -> None:
        if line.get("DetailType") != "DepositLineDetail":
            raise errors.invalid_property("Line.DetailType", "must be DepositLineDetail")
        detail = dict(line.get("DepositLineDetail") or {})
        account = ledger.ref("Account", detail.get("AccountRef"), "DepositLineDetail.AccountRef")
        detail["AccountRef"] = clean_ref(account, "Name")
        if detail.get("Entity"):
            customer = ledger.ref("Customer", detail["Entity"], "DepositLineDetail.Entity",
                                  require_active=False)
            detail["Entity"] = dict(clean_ref(customer), type="CUSTOMER")
        line["DepositLineDetail"] = detail


class JournalEntryRules(EntityRules):
    """Debits must equal credits; `TotalAmt` is the debit side."""

    entity, resource = "JournalEntry", "journalentry"
    filterable = COMMON_FILTERS | {"TxnDate", "DocNumber", "TotalAmt"}

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        data = dict(data)
        currency = _common(ledger, data)
        lines = _lines(data.get("Line"))
        sides = {"Debit": ZERO, "Credit": ZERO}
        for line in lines:
            detail = dict(line.get("JournalEntryLineDetail") or {})
            posting = detail.get("PostingType")
            if line.get("DetailType") != "JournalEntryLineDetail" or posting not in sides:
                raise errors.invalid_property("Line.JournalEntryLineDetail.PostingType",
                                              "must be Debit or Credit")
            account = ledger.ref("Account", detail.get("AccountRef"), "AccountRef")
            detail["AccountRef"] = clean_ref(account, "Name")
            line["JournalEntryLineDetail"] = detail
            sides[posting] += line["Amount"]
        if sides["Debit"] != sides["Credit"]:
            raise errors.business_rule(f"Transaction is not balanced: debits {sides['Debit']} "
                                       f"!= credits {sides['Credit']}.", "Line")
        data.update(Line=lines, TotalAmt=quantize(Decimal(sides["Debit"]), currency))
        data.setdefault("Adjustment", False)
        return data
