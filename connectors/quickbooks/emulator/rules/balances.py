"""Derived amounts: how much of an invoice is paid, and what each customer owes.

They are derived from the payments on every read instead of being kept as counters, so a
void, delete or edit of a payment can never leave a stale balance behind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from ml_connector.connectors.quickbooks.emulator.money import ZERO
from ml_connector.connectors.quickbooks.emulator.store import RealmState, StoredEntity


def applications(realm: RealmState, txn_type: str, txn_id: str,
                 exclude_payment: str | None = None) -> Iterator[tuple[str, Decimal]]:
    """(payment id, amount) for each live payment line applied to one transaction."""
    for payment in realm.live("Payment"):
        if payment.id == exclude_payment:
            continue
        for line in payment.data.get("Line", []):
            line_amount = Decimal(str(line.get("Amount", 0)))
            if line_amount and _links_to(line, txn_type, txn_id):
                yield payment.id, line_amount


def applied_total(realm: RealmState, txn_type: str, txn_id: str,
                  exclude_payment: str | None = None) -> Decimal:
    return sum((a for _, a in applications(realm, txn_type, txn_id, exclude_payment)), ZERO)


def _links_to(line: dict, txn_type: str, txn_id: str) -> bool:
    return any(link.get("TxnType") == txn_type and str(link.get("TxnId")) == txn_id
               for link in line.get("LinkedTxn", []))


def deposit_holding(realm: RealmState, txn_type: str, txn_id: str,
                    exclude_deposit: str | None = None) -> StoredEntity | None:
    """The live Deposit that already pulled this transaction into a bank, if any."""
    for deposit in realm.live("Deposit"):
        if deposit.id != exclude_deposit and any(
                _links_to(line, txn_type, txn_id) for line in deposit.data.get("Line", [])):
            return deposit
    return None


@dataclass(frozen=True)
class CustomerBalance:
    own: Decimal
    with_jobs: Decimal


def customer_balances(realm: RealmState) -> dict[str, CustomerBalance]:
    """Open A/R per customer: invoices still owed, less credits and unapplied payments."""
    own: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for customer in realm.live("Customer"):
        own[customer.id] += Decimal(str(customer.hidden.get("opening", 0)))
    for sign, entity, field in ((1, "Invoice", "Balance"), (-1, "CreditMemo", "Balance"),
                                (-1, "Payment", "UnappliedAmt")):
        for txn in realm.live(entity):
            customer_id = (txn.data.get("CustomerRef") or {}).get("value")
            if customer_id:
                own[str(customer_id)] += sign * Decimal(str(txn.data.get(field, 0)))
    with_jobs: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for customer in realm.live("Customer"):
        for ancestor in _ancestry(realm, customer):
            with_jobs[ancestor] += own[customer.id]
    return {cid: CustomerBalance(own[cid], with_jobs[cid]) for cid in own}


def _ancestry(realm: RealmState, customer: StoredEntity) -> Iterator[str]:
    current: StoredEntity | None = customer
    seen: set[str] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        yield current.id
        parent = (current.data.get("ParentRef") or {}).get("value")
        current = realm.get("Customer", str(parent)) if parent else None
