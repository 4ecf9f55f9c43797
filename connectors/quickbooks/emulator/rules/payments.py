"""Payment: money received, applied to invoices (and credit memos) through LinkedTxn lines.

Applying a payment lowers the invoice's Balance and adds the payment to its LinkedTxn; a
void or delete of the payment opens the balance again. Both sides change in one request,
so the invoice's SyncToken moves too, as it does in QBO (the "echo" a connector must
recognise).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.money import ZERO, amount
from ml_connector.connectors.quickbooks.emulator.rules.balances import (
    applied_total,
    deposit_holding,
)
from ml_connector.connectors.quickbooks.emulator.rules.base import (
    COMMON_FILTERS,
    EntityRules,
    check_text,
)
from ml_connector.connectors.quickbooks.emulator.rules.documents import (
    check_date,
    customer_and_currency,
    home_amounts,
    money_account,
    undeposited_funds,
    voided_note,
)
from ml_connector.connectors.quickbooks.emulator.rules.sales import refresh_receivable
from ml_connector.connectors.quickbooks.emulator.store import StoredEntity

RECEIVABLES = ("Invoice", "CreditMemo")
LINKABLE = (*RECEIVABLES, "JournalEntry", "Expense", "Check", "CreditCardCredit")


class PaymentRules(EntityRules):
    entity, resource, void_mode = "Payment", "payment", "include"
    filterable = COMMON_FILTERS | {"CustomerRef", "TotalAmt", "PaymentRefNum", "TxnDate"}

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        data = dict(data)
        customer_and_currency(ledger, data, required=True)
        if data.get("TotalAmt") is None:
            raise errors.required_missing("TotalAmt")
        total = amount(data["TotalAmt"], "TotalAmt")
        if total < 0:
            raise errors.business_rule("TotalAmt cannot be negative.", "TotalAmt")
        check_text(data, {"PrivateNote": 4000})
        data["TxnDate"] = check_date(data.get("TxnDate") or ledger.clock.today(), "TxnDate")
        ref = data.get("DepositToAccountRef")
        data["DepositToAccountRef"] = (money_account(ledger, ref, "DepositToAccountRef")
                                       if ref else undeposited_funds(ledger))
        lines, applied = _apply_lines(ledger, data.get("Line") or [],
                                      data["CustomerRef"]["value"], previous)
        if applied > total:
            raise errors.business_rule(f"The amount applied ({applied}) is more than the "
                                       f"payment's TotalAmt ({total}).", "Line")
        data.update(Line=lines, TotalAmt=total, UnappliedAmt=total - applied)
        data.setdefault("ProcessPayment", False)
        home_amounts(ledger, data, ("TotalAmt",))
        return data

    def after_save(self, ledger: Ledger, stored: StoredEntity,
                   previous: dict[str, Any] | None) -> None:
        for target in _targets(previous) | _targets(stored.data):
            refresh_receivable(ledger, *target)

    def before_delete(self, ledger: Ledger, stored: StoredEntity) -> None:
        _refuse_if_deposited(ledger, stored, "deleted")

    def after_delete(self, ledger: Ledger, stored: StoredEntity) -> None:
        for target in _targets(stored.data):
            refresh_receivable(ledger, *target)

    def voided(self, ledger: Ledger, stored: StoredEntity) -> dict[str, Any]:
        _refuse_if_deposited(ledger, stored, "voided")
        data = {k: v for k, v in stored.data.items()
                if k not in ("Id", "SyncToken", "MetaData", "domain", "sparse")}
        lines = [dict(line, Amount=ZERO) for line in data.get("Line", [])]
        data.update(Line=lines, TotalAmt=ZERO, UnappliedAmt=ZERO,
                    PrivateNote=voided_note(data.get("PrivateNote")))
        home_amounts(ledger, data, ("TotalAmt",))
        return data

    def after_void(self, ledger: Ledger, stored: StoredEntity,
                   previous: dict[str, Any]) -> None:
        for target in _targets(previous):
            refresh_receivable(ledger, *target)


def _apply_lines(ledger: Ledger, raw_lines: Any, customer_id: str,
                 previous: StoredEntity | None) -> tuple[list[dict[str, Any]], Decimal]:
    """Check each applied line against the open balance it pays; return lines and net."""
    if not isinstance(raw_lines, list):
        raise errors.invalid_property("Line", "must be an array")
    lines, applied = [], ZERO
    for raw in raw_lines:
        if not isinstance(raw, dict) or "Amount" not in raw:
            raise errors.required_missing("Line.Amount")
        line_amount = amount(raw["Amount"], "Line.Amount")
        links = raw.get("LinkedTxn")
        if not isinstance(links, list) or not links:
            raise errors.required_missing("Line.LinkedTxn")
        for link in links:
            _check_link(ledger, link, line_amount, customer_id, previous)
        sign = -1 if links[0].get("TxnType") == "CreditMemo" else 1
        applied += sign * line_amount
        lines.append(dict(raw, Amount=line_amount,
                          LinkedTxn=[{"TxnId": str(link["TxnId"]), "TxnType": link["TxnType"]}
                                     for link in links]))
    return lines, applied


def _check_link(ledger: Ledger, link: Any, line_amount: Decimal, customer_id: str,
                previous: StoredEntity | None) -> None:
    if not isinstance(link, dict) or not link.get("TxnId"):
        raise errors.required_missing("Line.LinkedTxn.TxnId")
    txn_type = link.get("TxnType")
    if txn_type not in LINKABLE:
        raise errors.invalid_property("Line.LinkedTxn.TxnType", f"{txn_type!r} is not valid")
    if txn_type not in RECEIVABLES:
        return
    target = ledger.realm.get(txn_type, str(link["TxnId"]))
    if target is None:
        raise errors.object_not_found(txn_type, str(link["TxnId"]), "Line.LinkedTxn")
    if (target.data.get("CustomerRef") or {}).get("value") != customer_id:
        raise errors.business_rule(f"{txn_type} {target.id} belongs to another customer.",
                                   "Line.LinkedTxn")
    already = applied_total(ledger.realm, txn_type, target.id,
                            exclude_payment=previous.id if previous else None)
    open_amount = Decimal(str(target.data.get("TotalAmt", 0))) - already
    if line_amount > open_amount:
        raise errors.business_rule(f"The amount applied ({line_amount}) exceeds the open "
                                   f"balance ({open_amount}) of {txn_type} {target.id}.",
                                   "Line.Amount")


def _targets(data: dict[str, Any] | None) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for line in (data or {}).get("Line", []):
        for link in line.get("LinkedTxn", []):
            if link.get("TxnType") in RECEIVABLES:
                found.add((link["TxnType"], str(link["TxnId"])))
    return found


def _refuse_if_deposited(ledger: Ledger, stored: StoredEntity, verb: str) -> None:
    deposit = deposit_holding(ledger.realm, "Payment", stored.id)
    if deposit is not None:
        raise errors.business_rule(f"This payment is in Deposit {deposit.id}; delete the "
                                   f"deposit before the payment can be {verb}.")


def unlink_target(ledger: Ledger, txn_type: str, target_id: str) -> None:
    """Remove every payment line applied to one transaction (its void releases them)."""
    for payment in list(ledger.realm.live("Payment")):
        lines = payment.data.get("Line", [])
        kept = [line for line in lines if (txn_type, target_id) not in _targets({"Line": [line]})]
        if len(kept) == len(lines):
            continue
        net = sum((Decimal(str(line.get("Amount", 0))) *
                   (-1 if line["LinkedTxn"][0].get("TxnType") == "CreditMemo" else 1)
                   for line in kept), ZERO)
        total = Decimal(str(payment.data.get("TotalAmt", 0)))
        ledger.touch(payment, {"Line": kept, "UnappliedAmt": total - net})
    refresh_receivable(ledger, txn_type, target_id)


def withdraw_credit(ledger: Ledger, memo_id: str) -> None:
    """Take a voided credit memo out of the payments that applied it.

    Its lines go, and the invoice lines of the same payment give up as much (in line
    order), so each payment still nets to the cash it received and the invoices the credit
    paid owe that amount again.
    """
    touched: set[tuple[str, str]] = {("CreditMemo", memo_id)}
    for payment in list(ledger.realm.live("Payment")):
        lines = payment.data.get("Line", [])
        owed, kept = ZERO, []
        for line in lines:
            links = {(link.get("TxnType"), str(link.get("TxnId")))
                     for link in line.get("LinkedTxn", [])}
            if ("CreditMemo", memo_id) not in links:
                kept.append(line)
                continue
            touched |= {link for link in links if link[0] in RECEIVABLES}
            if not any(kind == "Invoice" for kind, _ in links):
                owed += Decimal(str(line.get("Amount", 0)))
        if len(kept) == len(lines):
            continue
        for index, line in enumerate(kept):
            if owed <= 0:
                break
            if line["LinkedTxn"][0].get("TxnType") != "Invoice":
                continue
            taken = min(Decimal(str(line.get("Amount", 0))), owed)
            kept[index] = dict(line, Amount=Decimal(str(line["Amount"])) - taken)
            owed -= taken
            touched.add(("Invoice", str(line["LinkedTxn"][0]["TxnId"])))
        kept = [line for line in kept if Decimal(str(line.get("Amount", 0))) > 0]
        ledger.touch(payment, {"Line": kept})
    for target in touched:
        refresh_receivable(ledger, *target)
