"""The promises of the design, checked for the demo, the end-to-end and the fault tests.

`uncovered_problems` reads both systems directly (not through the connector) for what
`reconcile` does not check (one target per source, totals to the cent); `money_problems` is
the product's own money reconciliation (each payment, refund and dispute booked once,
nothing booked without Stripe, balances in step); `invariant_problems` is both. `final_state`
is a comparable summary, keyed by what people see (QBO ids and document numbers), so a run
driven by webhooks and one driven by polling can be compared.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from ml_connector.connectors.qbo_stripe.money import MoneyCheck
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.engine.mapping.currencies import minor_unit_exponent
from ml_connector.engine.sync.cross_checks import Period


def stripe_all(sandbox: Sandbox, path: str, params: dict[str, Any] | None = None
               ) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    query = {"limit": 100, **(params or {})}
    while True:
        page = sandbox.stripe_get(path, query)
        found.extend(page["data"])
        if not page["has_more"]:
            return found
        query["starting_after"] = page["data"][-1]["id"]


def qbo_all(sandbox: Sandbox, entity: str, where: str = "") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    start = 1
    while True:
        page = sandbox.qbo_query(f"SELECT * FROM {entity} {where} "
                                 f"STARTPOSITION {start} MAXRESULTS 1000")
        rows.extend(page)
        if len(page) < 1000:
            return rows
        start += 1000


def minor(amount: Any, currency: str) -> int:
    return int(Decimal(str(amount)).scaleb(minor_unit_exponent(currency)))


def _voided(invoice: dict[str, Any]) -> bool:
    return str(invoice.get("PrivateNote", "")).startswith("Voided")


def invariant_problems(sandbox: Sandbox) -> list[str]:
    """Every broken promise: what `reconcile` does not check, then its money checks."""
    return [*uncovered_problems(sandbox), *money_problems(sandbox)]


def uncovered_problems(sandbox: Sandbox) -> list[str]:
    """What `reconcile` does not check: one Stripe customer per live QuickBooks customer,
    one live Stripe invoice per live QuickBooks invoice (none once voided), equal totals."""
    problems: list[str] = []
    customers = qbo_all(sandbox, "Customer", "WHERE Active IN (true, false)")
    stripe_customers = Counter(c["metadata"].get("qbo_customer_id")
                               for c in stripe_all(sandbox, "/v1/customers"))
    for customer in customers:
        if customer.get("Active", True) and stripe_customers[customer["Id"]] != 1:
            problems.append(f"QBO customer {customer['Id']} has "
                            f"{stripe_customers[customer['Id']]} Stripe customers")
    return problems + _invoice_problems(sandbox)


def money_problems(sandbox: Sandbox) -> list[str]:
    """The product's own money checks (`reconcile`), over all time: every payment, refund
    and dispute booked once with its amount, nothing booked without Stripe, balances equal."""
    runtime = sandbox.runtime()
    try:
        reports = MoneyCheck().run(runtime, Period(), lambda _task: None)
    finally:
        runtime.close()
    return [f"{d.check}: {d.detail}" for r in reports for d in r.discrepancies]


def _invoice_problems(sandbox: Sandbox) -> list[str]:
    problems = []
    live: dict[str, list[dict[str, Any]]] = {}
    for inv in stripe_all(sandbox, "/v1/invoices"):
        if inv["status"] != "void":
            live.setdefault(inv["metadata"].get("qbo_invoice_id", ""), []).append(inv)
    for invoice in qbo_all(sandbox, "Invoice"):
        copies = live.get(invoice["Id"], [])
        if _voided(invoice):
            if copies:
                problems.append(f"QBO invoice {invoice['Id']} is voided but Stripe "
                                f"{copies[0]['id']} is {copies[0]['status']}")
            continue
        if len(copies) != 1:
            problems.append(f"QBO invoice {invoice['Id']} has {len(copies)} live Stripe invoices")
            continue
        mirror, currency = copies[0], invoice["CurrencyRef"]["value"]
        if mirror["total"] != minor(invoice["TotalAmt"], currency):
            problems.append(f"QBO invoice {invoice['Id']} totals {invoice['TotalAmt']} "
                            f"{currency}, Stripe {mirror['id']} {mirror['total']}")
    return problems


def final_state(sandbox: Sandbox) -> dict[str, Any]:
    """What both systems hold, keyed by QBO ids and document numbers (comparable across runs)."""
    invoices = {}
    stripe_by_qbo = {i["metadata"].get("qbo_invoice_id"): i
                     for i in stripe_all(sandbox, "/v1/invoices") if i["status"] != "void"}
    for invoice in qbo_all(sandbox, "Invoice"):
        mirror = stripe_by_qbo.get(invoice["Id"])
        invoices[invoice["Id"]] = {
            "total": str(invoice["TotalAmt"]), "balance": str(invoice["Balance"]),
            "stripe": None if mirror is None else
            (mirror["status"], mirror["total"], mirror["amount_paid"], mirror["amount_remaining"])}
    payments = sorted((str(p["TotalAmt"]), p["Line"][0]["LinkedTxn"][0]["TxnId"])
                      for p in qbo_all(sandbox, "Payment") if p.get("Line"))
    return {"invoices": invoices, "payments": payments,
            "refunds": sorted(str(r["TotalAmt"]) for r in qbo_all(sandbox, "RefundReceipt")),
            "customers": len(stripe_all(sandbox, "/v1/customers"))}
