"""Which invoices a CreditMemo was applied to, and how much of it each received.

QBO applies a credit memo to an invoice through a Payment: one line links the invoice, a
line links the credit memo (or one line links both), and the payment nets to the cash
received. The credit memo itself only says how much credit is left (`Balance`) and, in its
`LinkedTxn`, which payments used it. A pipeline that credits the invoice elsewhere needs
the invoice and the amount, so every CreditMemo record read gains `AppliedTo`:

    [{"InvoiceId": "130", "Amount": Decimal("30.00"), "PaymentId": "163"}, ...]

one entry per invoice, in the order the payments list them. A payment's credit goes to the
invoice on the same line; on a payment with separate lines the credits, in line order, are
spread over the payment's invoice lines in order, each taking at most its own amount (QBO
nets a payment as a whole and records no finer pairing). When `LinkedTxn` names no
payment but credit was used, the customer's payments are searched instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")
Payments = Callable[[list[str], str], list[Mapping[str, Any]]]


def _links(line: Mapping[str, Any], txn_type: str) -> list[str]:
    return [str(link.get("TxnId")) for link in line.get("LinkedTxn") or []
            if link.get("TxnType") == txn_type]


def _amount(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def credit_used(memo: Mapping[str, Any]) -> bool:
    """Whether any of the credit memo's credit has been applied."""
    return _amount(memo.get("Balance", memo.get("TotalAmt"))) < _amount(memo.get("TotalAmt"))


def payment_ids(memo: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys(str(link.get("TxnId")) for link in memo.get("LinkedTxn") or []
                              if link.get("TxnType") == "Payment"))


def applied_to(memo_id: str, payments: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`AppliedTo` of credit memo `memo_id` from the payments that may have applied it."""
    found: dict[str, dict[str, Any]] = {}
    for payment in payments:
        for invoice_id, amount in _shares(memo_id, payment):
            entry = found.setdefault(invoice_id, {"InvoiceId": invoice_id, "Amount": ZERO,
                                                  "PaymentId": str(payment.get("Id"))})
            entry["Amount"] += amount
    return [entry for entry in found.values() if entry["Amount"] > 0]


def _shares(memo_id: str, payment: Mapping[str, Any]) -> list[tuple[str, Decimal]]:
    """What `memo_id` gave each invoice of one payment.

    Credit lines of separate lines take the payment's invoice lines' room in line order,
    every credit memo of the payment in turn, so two credits never claim the same amount.
    """
    shares: list[tuple[str, Decimal]] = []
    credits: list[tuple[str, Decimal]] = []
    rooms: list[list[Any]] = []
    for line in payment.get("Line") or []:
        memos, invoices = _links(line, "CreditMemo"), _links(line, "Invoice")
        amount = _amount(line.get("Amount"))
        if memos and invoices:
            if memo_id in memos:
                shares.append((invoices[0], amount))
        elif memos:
            credits.append((memos[0], amount))
        elif invoices:
            rooms.append([invoices[0], amount])
    for credit_id, amount in credits:
        for room in rooms:
            if amount <= 0:
                break
            taken = min(room[1], amount)
            room[1] -= taken
            amount -= taken
            if credit_id == memo_id and taken > 0:
                shares.append((room[0], taken))
    return shares


def enrich(memo: Mapping[str, Any], payments: Payments) -> dict[str, Any]:
    """The credit memo with `AppliedTo`; `payments(ids, customer_id)` reads the payments
    named (or, with no ids, the customer's payments)."""
    data = dict(memo)
    if str(data.get("status", "")).lower() == "deleted" or not credit_used(data):
        data["AppliedTo"] = []
        return data
    customer = str((data.get("CustomerRef") or {}).get("value") or "")
    found = payments(payment_ids(data), customer)
    data["AppliedTo"] = applied_to(str(data["Id"]), found)
    return data
