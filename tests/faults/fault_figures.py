"""The figures a fault run prints: records, faults by kind, kills, duplicates, losses.

Duplicates and losses are counted by reading both systems directly, per kind of record,
from the side that is the source of truth: each active QBO customer and each live QBO
invoice should have exactly one Stripe counterpart; each Stripe payment, refund and dispute
that moved money should have exactly one QBO record (a sale no QBO invoice asked for: one
sales receipt). A copy beyond the first is a duplicate;
a missing one is a record lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ml_connector.connectors.qbo_stripe.checks import qbo_all, stripe_all, stripe_sales
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox


@dataclass
class Tally:
    """One kind of record: how many sources, and how their counterparts came out."""

    kind: str
    sources: int = 0
    duplicates: int = 0
    lost: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, source: str, copies: int) -> None:
        self.sources += 1
        if copies > 1:
            self.duplicates += copies - 1
            self.examples.append(f"{source}: {copies} copies")
        elif copies == 0:
            self.lost += 1
            self.examples.append(f"{source}: missing")


def _voided(invoice: dict[str, Any]) -> bool:
    return str(invoice.get("PrivateNote", "")).startswith("Voided")


def _tally(kind: str, sources: Iterable[str], copies: Counter[str]) -> Tally:
    tally = Tally(kind)
    for source in sources:
        tally.add(source, copies[source])
    return tally


def tallies(sandbox: Sandbox) -> list[Tally]:
    """Every kind of record the flows promise to carry across, counted."""
    customers = [c["Id"] for c in qbo_all(sandbox, "Customer") if c.get("Active", True)]
    stripe_customers = Counter(c["metadata"].get("qbo_customer_id")
                               for c in stripe_all(sandbox, "/v1/customers"))
    invoices = [i["Id"] for i in qbo_all(sandbox, "Invoice") if not _voided(i)]
    live = Counter(i["metadata"].get("qbo_invoice_id")
                   for i in stripe_all(sandbox, "/v1/invoices") if i["status"] != "void")
    return [_tally("customers (QBO -> Stripe)", customers, stripe_customers),
            _tally("invoices (QBO -> Stripe)", invoices, live),
            *_money_tallies(sandbox)]


def _money_tallies(sandbox: Sandbox) -> list[Tally]:
    """Payments, refunds and disputes: Stripe is the source, QBO holds one record each."""
    intents = {p["payment"]["payment_intent"]
               for p in stripe_all(sandbox, "/v1/invoice_payments", {"status": "paid"})
               if p["payment"]["type"] == "payment_intent"}
    intents |= {pi["id"] for pi in stripe_all(sandbox, "/v1/payment_intents")
                if pi["status"] == "succeeded" and pi["metadata"].get("qbo_invoice_id")}
    sales = stripe_sales(sandbox)   # no QBO invoice: a sales receipt each, not a payment
    payments = [intent[-21:] for intent in sorted(intents - set(sales))]
    sold = Counter(r.get("DocNumber") for r in qbo_all(sandbox, "SalesReceipt"))
    booked = Counter(p.get("PaymentRefNum") for p in qbo_all(sandbox, "Payment"))
    refunds = [r["id"][-21:] for r in stripe_all(sandbox, "/v1/refunds")
               if r["status"] == "succeeded"]
    receipts = Counter(r.get("DocNumber") for r in qbo_all(sandbox, "RefundReceipt"))
    disputes = [d["id"][-21:] for d in stripe_all(sandbox, "/v1/disputes")
                if d.get("balance_transactions")]
    entries = Counter(e.get("DocNumber") for e in qbo_all(sandbox, "JournalEntry"))
    return [_tally("payments (Stripe -> QBO)", payments, booked),
            _tally("sales (Stripe -> QBO)", [i[-21:] for i in sorted(sales)], sold),
            _tally("refunds (Stripe -> QBO)", refunds, receipts),
            _tally("disputes (Stripe -> QBO)", disputes, entries)]


@dataclass
class FaultReport:
    """Everything a run found; `problems` empty and 0/0 duplicates/lost is a pass."""

    tallies: list[Tally]
    faults: Counter[str]
    kills: int
    lives: int
    token_refreshes: int
    grace_refreshes: int      # a kill took a refresh's answer; the old token's grace saved it
    invalid_grants: int
    problems: list[str]
    mismatches: list[str]
    pending_intents: int
    inbox: dict[str, int]
    unexpected_exits: list[int]
    log_hits: list[str]
    seconds: float

    @property
    def records(self) -> int:
        return sum(t.sources for t in self.tallies)

    @property
    def duplicates(self) -> int:
        return sum(t.duplicates for t in self.tallies)

    @property
    def lost(self) -> int:
        return sum(t.lost for t in self.tallies)

    def failures(self) -> list[str]:
        """Every broken promise, in words; empty when the run passed."""
        return [e for t in self.tallies for e in t.examples] + self.other_failures()

    def other_failures(self) -> list[str]:
        """Broken promises beyond duplicates and losses."""
        found = [*self.problems, *(f"reconcile: {m}" for m in self.mismatches)]
        if self.pending_intents:
            found.append(f"{self.pending_intents} create intent(s) still pending")
        if self.inbox.get("pending") or self.inbox.get("claimed"):
            found.append(f"the webhook inbox was not drained: {self.inbox}")
        if self.invalid_grants:
            found.append(f"the OAuth server answered invalid_grant {self.invalid_grants} time(s)")
        found += [f"sync process log: {line}" for line in self.log_hits]
        found += [f"the sync process exited by itself with code {code}"
                  for code in self.unexpected_exits]
        return found

    def table(self) -> str:
        """The figures, one per line, names left and numbers right."""
        rows = [("records", self.records)]
        rows += [(f"  {t.kind}", t.sources) for t in self.tallies]
        rows.append(("faults injected", sum(self.faults.values())))
        rows += [(f"  {kind}", n) for kind, n in sorted(self.faults.items())]
        rows += [("kills survived (SIGKILL)", self.kills),
                 ("sync process lives", self.lives),
                 ("QBO token refreshes", self.token_refreshes),
                 ("  answered from the old token's grace", self.grace_refreshes),
                 ("invalid_grant", self.invalid_grants),
                 ("webhook inbox items done", self.inbox.get("done", 0)),
                 ("duplicates found", self.duplicates),
                 ("records lost", self.lost),
                 ("other broken promises", len(self.other_failures())),
                 ("seconds", round(self.seconds))]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value:>8}" for name, value in rows)
