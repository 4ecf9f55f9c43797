"""An invoice's lines and amounts, recomputed from its invoice items after every change.

subtotal         sum of line amounts (negative lines, such as discounts, reduce it)
total_taxes      per tax rate: exclusive tax is added on top, inclusive tax is contained
total            subtotal + exclusive tax
*_excluding_tax  subtotal / total without inclusive tax
amount_due       what the customer owes (never below zero)
amount_remaining amount_due - amount_paid

Tax is computed per line and rounded half up to a minor unit, then summed, so the invoice
total always equals the sum of what its lines show.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.money import tax_amount
from ml_connector.connectors.stripe.emulator.state import EmulatorState

EMBEDDED_LINES = 10


def invoice_items(state: EmulatorState, inv: dict[str, Any]) -> list[dict[str, Any]]:
    ids = state.private_of(inv["id"]).setdefault("items", [])
    return [state.objects["invoiceitem"][i] for i in ids if i in state.objects["invoiceitem"]]


def line_taxes(item: dict[str, Any], defaults: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tax of one line: its own tax rates, or the invoice's default ones when it has none."""
    taxes = []
    for rate in item["tax_rates"] or defaults:
        inclusive = bool(rate["inclusive"])
        tax = tax_amount(item["amount"], Decimal(str(rate["percentage"])), inclusive)
        taxes.append({"amount": tax, "tax_behavior": "inclusive" if inclusive else "exclusive",
                      "tax_rate_details": {"tax_rate": rate["id"]},
                      "taxability_reason": "standard_rated",
                      "taxable_amount": item["amount"] - tax if inclusive else item["amount"],
                      "type": "tax_rate_details"})
    return taxes


def all_lines(state: EmulatorState, inv: dict[str, Any]) -> list[dict[str, Any]]:
    """Every line of the invoice: a subscription's first (they are no invoice items), then
    the items in the order they were added; ids stay stable."""
    lines = [dict(line) for line in state.private_of(inv["id"]).get("subscription_lines", [])]
    for item in invoice_items(state, inv):
        extra = state.private_of(item["id"])
        line = objects.line_item(state, item, line_taxes(item, inv["default_tax_rates"]))
        line["id"] = extra.setdefault("line_id", line["id"])
        lines.append(line)
    return lines


def recompute(state: EmulatorState, inv: dict[str, Any]) -> None:
    """Refresh `lines` and every amount field of a draft invoice from its items."""
    lines = all_lines(state, inv)
    subtotal = sum(line["amount"] for line in lines)
    per_rate: dict[str, dict[str, Any]] = {}
    for tax in (t for line in lines for t in line["taxes"]):
        entry = per_rate.setdefault(tax["tax_rate_details"]["tax_rate"], {**tax, "amount": 0,
                                                                          "taxable_amount": 0})
        entry["amount"] += tax["amount"]
        entry["taxable_amount"] += tax["taxable_amount"]
    totals = list(per_rate.values())
    inclusive = sum(t["amount"] for t in totals if t["tax_behavior"] == "inclusive")
    exclusive = sum(t["amount"] for t in totals if t["tax_behavior"] == "exclusive")
    total = subtotal + exclusive
    amount_due = max(0, total + inv["starting_balance"])
    inv.update(
        lines={**objects.line_list(inv["id"], lines[:EMBEDDED_LINES]),
               "has_more": len(lines) > EMBEDDED_LINES},
        subtotal=subtotal, subtotal_excluding_tax=subtotal - inclusive, total=total,
        total_excluding_tax=subtotal - inclusive, total_taxes=totals, amount_due=amount_due,
        amount_remaining=amount_due - inv["amount_paid"])
