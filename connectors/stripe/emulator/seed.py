"""A realistic starting account: customers that already exist before the first sync.

- "Acme Widgets Ltd" carries `metadata.qbo_customer_id = 58`: a sync should adopt it by
  metadata instead of creating a duplicate;
- "Globex Corporation" has only the e-mail address a QBO customer also has: adoption by
  e-mail;
- "Initech" has a paid invoice and an open one; others are unrelated to QBO.

Seeded records exist "since long ago": they are searchable at once, without the lag.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.events import emit
from ml_connector.connectors.stripe.emulator.invoice_items import attach, new_item
from ml_connector.connectors.stripe.emulator.invoice_lifecycle import (
    finalize_invoice,
    pay_online,
)
from ml_connector.connectors.stripe.emulator.params import Params
from ml_connector.connectors.stripe.emulator.state import EmulatorState

CUSTOMERS: list[dict[str, Any]] = [
    {"name": "Acme Widgets Ltd", "email": "ap@acme.example", "phone": "+1 415 555 0100",
     "address": {"line1": "1 Market St", "city": "San Francisco", "state": "CA",
                 "postal_code": "94105", "country": "US"},
     "metadata": {"qbo_customer_id": "58", "qbo_realm_id": "9341455000000"}},
    {"name": "Globex Corporation", "email": "billing@globex.example",
     "address": {"line1": "500 Oak Ave", "city": "Springfield", "state": "OR",
                 "postal_code": "97477", "country": "US"}},
    {"name": "Initech", "email": "accounts@initech.example", "phone": "+1 512 555 0199"},
    {"name": "Umbrella Retail", "email": "finance@umbrella.example", "currency": "usd"},
    {"name": "Soylent Foods KK", "email": "keiri@soylent.example", "currency": "jpy",
     "preferred_locales": ["ja"]},
]
SEED_AGE_SECONDS = 90 * 86400


def _customer(state: EmulatorState, values: dict[str, Any]) -> dict[str, Any]:
    cust = objects.customer(state, **{k: v for k, v in values.items() if k != "address"})
    cust["address"] = objects.address(values.get("address"))
    cust["created"] -= SEED_AGE_SECONDS
    state.add(cust)
    emit(state, "customer.created", cust)
    return cust


def _invoice(state: EmulatorState, cust: dict[str, Any], lines: list[tuple[str, int]],
             paid: bool) -> dict[str, Any]:
    inv = state.add(objects.invoice(state, cust, collection_method="send_invoice",
                                    due_date=state.clock.now() + 30 * 86400))
    emit(state, "invoice.created", inv)
    for description, amount in lines:
        params = Params({"description": description, "amount": str(amount)})
        attach(state, new_item(state, params, inv, cust["id"]), inv)
    finalize_invoice(state, inv)
    if paid:
        pay_online(state, inv, inv["amount_remaining"], "pm_card_visa")
    return inv


def seed_account(state: EmulatorState) -> dict[str, Any]:
    """Create the seed records; returns their ids by role for tests and the demo."""
    with state.lock:
        customers = [_customer(state, values) for values in CUSTOMERS]
        initech = customers[2]
        paid = _invoice(state, initech, [("Consulting, March", 120000)], paid=True)
        open_ = _invoice(state, initech, [("Consulting, April", 95000),
                                          ("Travel expenses", 18250)], paid=False)
        state.add(objects.tax_rate(state, display_name="Sales tax", percentage=8.25,
                                   jurisdiction="CA", country="US", state="CA",
                                   tax_type="sales_tax"))
        for cust in customers:
            state.search["customer"].index(cust, 0.0)
        for inv in (paid, open_):
            state.search["invoice"].index(inv, 0.0)
    return {"customers": {c["name"]: c["id"] for c in customers},
            "invoices": {"paid": paid["id"], "open": open_["id"]}}
