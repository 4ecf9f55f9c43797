"""The promises, checked by reading both systems directly (not through the connector).

`invariant_problems` lists every broken promise of the design (one target per source, totals
to the cent, each payment, refund and dispute booked once, balances in step): an oracle of
its own, read without faults, for the end-to-end and fault tests to hold the product's
`reconcile` against. `uncovered_problems` is the part `reconcile` does not check itself,
which the demo adds to the product's report. `final_state`
is a comparable summary, keyed by what people see (QBO ids and document numbers), so a run
driven by webhooks and one driven by polling can be compared.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.engine.mapping.currencies import minor_unit_exponent


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
    problems: list[str] = []
    customers = qbo_all(sandbox, "Customer", "WHERE Active IN (true, false)")
    stripe_customers = Counter(c["metadata"].get("qbo_customer_id")
                               for c in stripe_all(sandbox, "/v1/customers"))
    for customer in customers:
        if customer.get("Active", True) and stripe_customers[customer["Id"]] != 1:
            problems.append(f"QBO customer {customer['Id']} has "
                            f"{stripe_customers[customer['Id']]} Stripe customers")
    problems += _invoice_problems(sandbox)
    problems += _payment_problems(sandbox)
    problems += _refund_and_dispute_problems(sandbox)
    problems += _sales_receipt_problems(sandbox)
    return problems


def uncovered_problems(sandbox: Sandbox) -> list[str]:
    """One Stripe customer per live QuickBooks customer, one live Stripe invoice per live
    QuickBooks invoice and none once it is voided: `reconcile` checks every link, not
    what nothing links to."""
    stripe_customers = Counter(c["metadata"].get("qbo_customer_id")
                               for c in stripe_all(sandbox, "/v1/customers"))
    problems = [f"QBO customer {c['Id']} has {stripe_customers[c['Id']]} Stripe customers"
                for c in qbo_all(sandbox, "Customer", "WHERE Active IN (true, false)")
                if c.get("Active", True) and stripe_customers[c["Id"]] != 1]
    live = Counter(inv["metadata"].get("qbo_invoice_id", "")
                   for inv in stripe_all(sandbox, "/v1/invoices") if inv["status"] != "void")
    for invoice in qbo_all(sandbox, "Invoice"):
        wanted = 0 if _voided(invoice) else 1
        if live[invoice["Id"]] != wanted:
            problems.append(f"QBO invoice {invoice['Id']} has {live[invoice['Id']]} live "
                            f"Stripe invoices, not {wanted}")
    return problems


def _invoice_problems(sandbox: Sandbox) -> list[str]:
    problems = []
    live: dict[str, list[dict[str, Any]]] = {}
    for inv in stripe_all(sandbox, "/v1/invoices"):
        if inv["status"] != "void":
            live.setdefault(inv["metadata"].get("qbo_invoice_id", ""), []).append(inv)
    paid_online = _paid_online_by_invoice(sandbox)
    booked = _stripe_payments_booked_in_qbo(sandbox)
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
        problems += _one_invoice(invoice, copies[0], paid_online, booked)
    return problems


def _one_invoice(invoice: dict[str, Any], mirror: dict[str, Any], paid_online: Counter[str],
                 booked: Counter[str]) -> list[str]:
    """Totals equal; Stripe's online payments all booked; paid in one means paid in both."""
    problems = []
    currency = invoice["CurrencyRef"]["value"]
    qbo_id, balance = invoice["Id"], Decimal(str(invoice["Balance"]))
    if mirror["total"] != minor(invoice["TotalAmt"], currency):
        problems.append(f"QBO invoice {qbo_id} totals {invoice['TotalAmt']} {currency}, "
                        f"Stripe {mirror['id']} {mirror['total']}")
    if paid_online[mirror["id"]] != booked[qbo_id]:
        problems.append(f"Stripe invoice {mirror['id']} was paid {paid_online[mirror['id']]} "
                        f"online, QBO invoice {qbo_id} shows {booked[qbo_id]} from Stripe")
    if (mirror["status"] == "paid") != (balance == 0):
        problems.append(f"QBO invoice {qbo_id} owes {balance}; Stripe {mirror['id']} is "
                        f"{mirror['status']}")
    elif mirror["status"] == "open" and mirror["amount_remaining"] != minor(balance, currency):
        problems.append(f"QBO invoice {qbo_id} owes {balance} {currency}; Stripe "
                        f"{mirror['id']} asks for {mirror['amount_remaining']}")
    return problems


def _paid_online_by_invoice(sandbox: Sandbox) -> Counter[str]:
    """Minor units paid through Stripe (not out of band), per Stripe invoice."""
    paid: Counter[str] = Counter()
    for payment in stripe_all(sandbox, "/v1/invoice_payments", {"status": "paid"}):
        if payment["payment"]["type"] == "payment_intent":
            paid[payment["invoice"]] += payment["amount_paid"]
    return paid


def _stripe_payments_booked_in_qbo(sandbox: Sandbox) -> Counter[str]:
    """Minor units of QBO payments that came from Stripe, per QBO invoice."""
    intents = {p["payment"]["payment_intent"][-21:]
               for p in stripe_all(sandbox, "/v1/invoice_payments", {"status": "paid"})
               if p["payment"]["type"] == "payment_intent"}
    booked: Counter[str] = Counter()
    for payment in qbo_all(sandbox, "Payment"):
        if payment.get("PaymentRefNum") not in intents:
            continue
        currency = (payment.get("CurrencyRef") or {}).get("value", "USD")
        for line in payment.get("Line", []):
            for txn in line.get("LinkedTxn", []):
                if txn.get("TxnType") == "Invoice":
                    booked[txn["TxnId"]] += minor(line["Amount"], currency)
    return booked


def _payment_problems(sandbox: Sandbox) -> list[str]:
    """Every Stripe payment of a QBO invoice (through a Stripe invoice or not) booked once."""
    payments = Counter(p.get("PaymentRefNum") for p in qbo_all(sandbox, "Payment"))
    sales = stripe_sales(sandbox)   # no QBO invoice: booked as sales receipts instead
    intents = {paid["payment"]["payment_intent"]
               for paid in stripe_all(sandbox, "/v1/invoice_payments", {"status": "paid"})
               if paid["payment"]["type"] == "payment_intent"} - set(sales)
    intents |= {pi["id"] for pi in stripe_all(sandbox, "/v1/payment_intents")
                if pi["status"] == "succeeded" and pi["metadata"].get("qbo_invoice_id")}
    return [f"Stripe payment {intent} is booked {payments[intent[-21:]]} times in QBO"
            for intent in sorted(intents) if payments[intent[-21:]] != 1]


def stripe_sales(sandbox: Sandbox) -> dict[str, tuple[int, str, str | None]]:
    """Stripe payments no QBO invoice asked for: PaymentIntent -> (amount, currency,
    Stripe customer). Payments outside any invoice naming none, and payments of invoices
    billed in Stripe (no qbo_invoice_id)."""
    paid = stripe_all(sandbox, "/v1/invoice_payments", {"status": "paid"})
    invoices = {i["id"]: i for i in stripe_all(sandbox, "/v1/invoices")}
    of_invoices = {p["payment"]["payment_intent"] for p in
                   stripe_all(sandbox, "/v1/invoice_payments")
                   if p["payment"]["type"] == "payment_intent"}
    sales: dict[str, tuple[int, str, str | None]] = {}
    for pi in stripe_all(sandbox, "/v1/payment_intents"):
        if (pi["status"] == "succeeded" and pi["id"] not in of_invoices
                and not pi["metadata"].get("qbo_invoice_id")):
            sales[pi["id"]] = (pi["amount_received"], pi["currency"], pi["customer"])
    for payment in paid:
        invoice = invoices[payment["invoice"]]
        if payment["payment"]["type"] == "payment_intent" and \
                not invoice["metadata"].get("qbo_invoice_id"):
            sales[payment["payment"]["payment_intent"]] = (
                payment["amount_paid"], payment["currency"], invoice["customer"])
    return sales


def _sales_receipt_problems(sandbox: Sandbox) -> list[str]:
    """Each such sale is one QBO sales receipt, to the cent, for the customer Stripe and
    QuickBooks pair (the Stripe customer carries that customer's QBO id)."""
    problems = []
    receipts: dict[str, list[dict[str, Any]]] = {}
    for receipt in qbo_all(sandbox, "SalesReceipt"):
        receipts.setdefault(receipt.get("DocNumber", ""), []).append(receipt)
    stripe_customers = {c["id"]: c for c in stripe_all(sandbox, "/v1/customers")}
    for intent, (amount, currency, customer) in sorted(stripe_sales(sandbox).items()):
        found = receipts.get(intent[-21:], [])
        if len(found) != 1:
            problems.append(f"Stripe sale {intent} is booked {len(found)} times in QBO")
            continue
        receipt = found[0]
        if minor(receipt["TotalAmt"], currency) != amount:
            problems.append(f"QBO sales receipt {receipt['Id']} totals {receipt['TotalAmt']} "
                            f"{currency.upper()}; Stripe sale {intent} took {amount}")
        qbo_customer = (receipt.get("CustomerRef") or {}).get("value")
        paired = (stripe_customers.get(customer) or {}).get("metadata", {}).get(
            "qbo_customer_id") if customer else None
        if customer and qbo_customer != paired:
            problems.append(f"QBO sales receipt {receipt['Id']} is for customer "
                            f"{qbo_customer}; Stripe customer {customer} is paired with "
                            f"{paired}")
    return problems


def _refund_and_dispute_problems(sandbox: Sandbox) -> list[str]:
    problems = []
    receipts = Counter(r.get("DocNumber") for r in qbo_all(sandbox, "RefundReceipt"))
    for refund in stripe_all(sandbox, "/v1/refunds"):
        if refund["status"] == "succeeded" and receipts[refund["id"][-21:]] != 1:
            problems.append(f"Stripe refund {refund['id']} is booked "
                            f"{receipts[refund['id'][-21:]]} times in QBO")
    entries = {e.get("DocNumber"): e for e in qbo_all(sandbox, "JournalEntry")}
    losses = {a["Id"] for a in qbo_all(sandbox, "Account", "WHERE Name = 'Dispute Losses'")}
    for dispute in stripe_all(sandbox, "/v1/disputes"):
        moved = dispute.get("balance_transactions") or []
        entry = entries.get(dispute["id"][-21:])
        if moved and entry is None:
            problems.append(f"Stripe dispute {dispute['id']} moved money but is not in QBO")
        elif entry is not None and _booked_loss(entry, losses) != _stripe_loss(dispute):
            problems.append(f"QBO books {_booked_loss(entry, losses)} lost to dispute "
                            f"{dispute['id']}, Stripe {_stripe_loss(dispute)}")
    return problems


def _stripe_loss(dispute: dict[str, Any]) -> Decimal:
    """What the dispute costs, fee aside: withdrawn minus reinstated."""
    total = -sum(t["amount"] for t in dispute.get("balance_transactions") or [])
    return Decimal(total).scaleb(-minor_unit_exponent(dispute["currency"]))


def _booked_loss(entry: dict[str, Any], loss_accounts: set[str]) -> Decimal:
    """Debits minus credits on the dispute-losses account."""
    net = Decimal(0)
    for line in entry.get("Line", []):
        detail = line.get("JournalEntryLineDetail", {})
        if (detail.get("AccountRef") or {}).get("value") in loss_accounts:
            sign = 1 if detail.get("PostingType") == "Debit" else -1
            net += sign * Decimal(str(line["Amount"]))
    return net


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
            "sales": sorted(str(r["TotalAmt"]) for r in qbo_all(sandbox, "SalesReceipt")),
            "customers": len(stripe_all(sandbox, "/v1/customers"))}
