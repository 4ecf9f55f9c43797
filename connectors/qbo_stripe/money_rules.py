"""The money `reconcile` proves between QuickBooks and Stripe, as a table of rules.

Each `MovementRule` row says: this kind of Stripe money movement, as the pipeline that
books it admits it (the pipeline's own filter decides what counts), must appear exactly
once in QuickBooks as this entity, found by the Stripe id its PrivateNote names (the memo
every shipped pipeline writes), with the same amount and currency; and every QuickBooks
entry whose note claims such an id must have that Stripe movement behind it. Each
`BalanceRule` row says: every invoice this pipeline links owes the same on both sides and is
paid on both sides or on neither.

A new flow adds a row, not code: the two pipelines that book Stripe money without a
QuickBooks invoice as SalesReceipts are two rows ("invoice sale" and "sale" below), told
apart by the rest of the note each writes. Rules whose pipeline the project does not have
are left out.
`money.py` reads both systems and applies the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ml_connector.engine.mapping.currencies import minor_unit_exponent
from ml_connector.engine.records import Record


@dataclass(frozen=True)
class Money:
    """An exact amount in a currency (upper case, as QuickBooks writes it)."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        places = minor_unit_exponent(self.currency)
        return f"{self.amount.quantize(Decimal(1).scaleb(-places))} {self.currency}"


class Lookups:
    """What a measure may need beyond its record: the pipeline's params, an account's id."""

    def __init__(self, params: Mapping[str, Any],
                 find: Callable[[str, str, Any], list[Record]]):
        self.params, self._find = params, find
        self._accounts: dict[str, set[str]] = {}

    def account_ids(self, param: str) -> set[str]:
        """Ids of the QuickBooks accounts named by the pipeline parameter `param`."""
        name = str(self.params.get(param) or "")
        if name not in self._accounts:
            self._accounts[name] = ({r.id for r in self._find("Account", "Name", name)}
                                    if name else set())
        return self._accounts[name]


Measure = Callable[[Mapping[str, Any], Lookups], Money | None]
"""The money a record stands for; None when it carries none."""


def at(data: Any, path: str) -> Any:
    """The value at a dotted path; an id path through an unexpanded reference is the ref."""
    value = data
    for key in path.split("."):
        if isinstance(value, str) and key == "id":
            continue  # Stripe leaves a reference unexpanded as its id
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def minor(amount: str, currency: str = "currency") -> Measure:
    """A Stripe amount in minor units, its currency in lower case beside it."""
    def measure(data: Mapping[str, Any], _lookups: Lookups) -> Money | None:
        value, code = at(data, amount), at(data, currency)
        if value is None or not code:
            return None
        code = str(code).upper()
        return Money(Decimal(int(value)).scaleb(-minor_unit_exponent(code)), code)
    return measure


def major(amount: str, currency: str = "CurrencyRef.value") -> Measure:
    """A QuickBooks amount in major units, in the currency of its CurrencyRef."""
    def measure(data: Mapping[str, Any], _lookups: Lookups) -> Money | None:
        value, code = at(data, amount), at(data, currency)
        if value is None or not code:
            return None
        return Money(Decimal(str(value)), str(code).upper())
    return measure


def dispute_loss(data: Mapping[str, Any], _lookups: Lookups) -> Money | None:
    """What a dispute has cost so far, its fee aside: funds withdrawn minus reinstated."""
    moved = data.get("balance_transactions") or []
    code = str(data.get("currency") or "").upper()
    if not moved or not code:
        return None
    total = -sum(int(txn["amount"]) for txn in moved)
    return Money(Decimal(total).scaleb(-minor_unit_exponent(code)), code)


def booked_dispute_loss(data: Mapping[str, Any], lookups: Lookups) -> Money | None:
    """Debits minus credits on the pipeline's dispute account (`dispute_account_name`)."""
    accounts = lookups.account_ids("dispute_account_name")
    code = str(at(data, "CurrencyRef.value") or "").upper()
    net = Decimal(0)
    for line in data.get("Line") or []:
        detail = line.get("JournalEntryLineDetail") or {}
        if at(detail, "AccountRef.value") in accounts:
            sign = 1 if detail.get("PostingType") == "Debit" else -1
            net += sign * Decimal(str(line.get("Amount", 0)))
    return Money(net, code) if code else None


@dataclass(frozen=True)
class MovementRule:
    """Stripe money of one kind <-> the QuickBooks entries one pipeline books for it.

    `stripe_key` is the Stripe id a QuickBooks entry names (a path into the Stripe record):
    `claim`'s first group finds it in the entry's `claim_field`. `stripe_day` and `qbo_day`
    place each side in the period.
    """

    name: str
    pipeline: str
    stripe_entity: str
    stripe_key: str
    stripe_money: Measure
    stripe_day: str
    qbo_entity: str
    claim: str
    qbo_money: Measure
    qbo_day: str = "TxnDate"
    claim_field: str = "PrivateNote"

    def claimed(self, qbo: Mapping[str, Any]) -> str | None:
        """The Stripe id a QuickBooks entry says it books under this rule, if any."""
        found = re.match(self.claim, str(at(qbo, self.claim_field) or ""))
        return found.group(1) if found else None


@dataclass(frozen=True)
class BalanceRule:
    """Every QuickBooks document a pipeline links to a Stripe one owes the same on both.

    `fixes` are commands by which side owes more ("quickbooks" / "stripe"); `{qbo_id}` and
    `{stripe_id}` are filled in.
    """

    name: str
    pipeline: str
    qbo_entity: str
    qbo_owed: Measure
    stripe_entity: str
    stripe_owed: Measure
    stripe_paid_status: str = "paid"
    stripe_void_status: str = "void"
    qbo_voided_note: str = "Voided"
    fixes: Mapping[str, str] = field(default_factory=dict)


MOVEMENTS: tuple[MovementRule, ...] = (
    MovementRule(name="invoice payment", pipeline="payments-to-quickbooks",
                 stripe_entity="invoice_payment", stripe_key="payment.payment_intent.id",
                 stripe_money=minor("amount_paid"), stripe_day="status_transitions.paid_at",
                 qbo_entity="Payment", claim=r"^Stripe payment (\S+)",
                 qbo_money=major("TotalAmt")),
    MovementRule(name="payment outside an invoice", pipeline="payment-intents-to-quickbooks",
                 stripe_entity="payment_intent", stripe_key="id",
                 stripe_money=minor("amount_received"), stripe_day="created",
                 qbo_entity="Payment", claim=r"^Stripe payment (\S+)",
                 qbo_money=major("TotalAmt")),
    # Both sales pipelines note "Stripe payment pi_...": a renewal's goes on "of invoice
    # ...", so its rule comes first and claims those; the rest are Checkout-style sales.
    MovementRule(name="invoice sale", pipeline="stripe-invoice-sales-to-quickbooks",
                 stripe_entity="invoice_payment", stripe_key="payment.payment_intent.id",
                 stripe_money=minor("amount_paid"), stripe_day="status_transitions.paid_at",
                 qbo_entity="SalesReceipt", claim=r"^Stripe payment (\S+) of invoice ",
                 qbo_money=major("TotalAmt")),
    MovementRule(name="sale", pipeline="stripe-sales-to-quickbooks",
                 stripe_entity="payment_intent", stripe_key="id",
                 stripe_money=minor("amount_received"), stripe_day="created",
                 qbo_entity="SalesReceipt", claim=r"^Stripe payment (\S+)",
                 qbo_money=major("TotalAmt")),
    MovementRule(name="refund", pipeline="refunds-to-quickbooks", stripe_entity="refund",
                 stripe_key="id", stripe_money=minor("amount"), stripe_day="created",
                 qbo_entity="RefundReceipt", claim=r"^Stripe refund (\S+)",
                 qbo_money=major("TotalAmt")),
    MovementRule(name="dispute", pipeline="disputes-to-quickbooks", stripe_entity="dispute",
                 stripe_key="id", stripe_money=dispute_loss, stripe_day="created",
                 qbo_entity="JournalEntry", claim=r"^Stripe dispute (\S+)",
                 qbo_money=booked_dispute_loss),
)

BALANCES: tuple[BalanceRule, ...] = (
    BalanceRule(name="invoice balance", pipeline="invoices-to-stripe", qbo_entity="Invoice",
                qbo_owed=major("Balance"), stripe_entity="invoice",
                stripe_owed=minor("amount_remaining"),
                fixes={"quickbooks": "ml-connector pipeline run --all",
                       "stripe": "ml-connector pipeline run invoices-to-stripe --only {qbo_id}"}),
)
