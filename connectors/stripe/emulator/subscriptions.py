"""A subscription's invoice, as Stripe bills it on its own at the start of each period.

The emulator keeps no subscription objects or prices: a test says what a period bills
(`renew`), and the emulator makes the invoice Stripe would, shaped as the API (2025-03-31
basil and later) shows one: `billing_reason` `subscription_create` or `subscription_cycle`,
`parent.subscription_details.subscription`, one line per subscription item with
`parent.type` `subscription_item_details` (these lines are no invoice items). It is then
finalized and charged to the customer's card at once (`collection_method`
`charge_automatically`), through the same payment path as any invoice.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.errors import StripeError
from ml_connector.connectors.stripe.emulator.events import emit
from ml_connector.connectors.stripe.emulator.invoice_lifecycle import (
    finalize_invoice,
    pay_online,
)
from ml_connector.connectors.stripe.emulator.state import EmulatorState
from ml_connector.connectors.stripe.emulator.totals import recompute

MONTH = 30 * 86_400
REASONS = ("subscription_create", "subscription_cycle")


def renew(state: EmulatorState, customer_id: str, items: list[dict[str, Any]], *,
          currency: str = "usd", subscription: str | None = None,
          billing_reason: str = "subscription_cycle",
          payment_method: str = "pm_card_visa") -> dict[str, Any]:
    """Bill one period of `items` ({description, amount, quantity?}) and charge it."""
    cust = state.get("customer", customer_id, param="customer")
    if billing_reason not in REASONS:
        raise StripeError(400, f"billing_reason must be one of {', '.join(REASONS)}")
    if not items:
        raise StripeError(400, "a subscription period bills at least one item")
    sub = subscription or state.new_id("subscription")
    start = state.clock.now()
    inv = objects.invoice(
        state, cust, currency=currency.lower(), billing_reason=billing_reason,
        collection_method="charge_automatically", period_start=start,
        period_end=start + MONTH,
        parent={"quote_details": None, "type": "subscription_details",
                "subscription_details": {"metadata": {}, "subscription": sub}})
    period = {"start": start, "end": start + MONTH}
    state.private_of(inv["id"])["subscription_lines"] = [
        _line(state, inv, sub, item, period) for item in items]
    state.add(inv)
    recompute(state, inv)
    state.index_for_search(inv)
    emit(state, "invoice.created", inv)
    finalize_invoice(state, inv)
    payment = pay_online(state, inv, inv["amount_remaining"], payment_method)
    return {"invoice": inv, "invoice_payment": payment, "subscription": sub}


def _line(state: EmulatorState, inv: dict[str, Any], sub: str, item: dict[str, Any],
          period: dict[str, int]) -> dict[str, Any]:
    try:
        amount, quantity = int(item["amount"]), int(item.get("quantity", 1))
    except (KeyError, TypeError, ValueError):
        raise StripeError(400, "each item needs an integer amount (minor units)") from None
    price, product = state.new_id("price"), state.new_id("product")
    unit = amount // quantity if quantity and amount % quantity == 0 else amount
    return {
        "id": state.new_id("line_item"), "object": "line_item", "amount": amount,
        "currency": inv["currency"], "description": item.get("description"),
        "discount_amounts": [], "discountable": True, "discounts": [], "invoice": inv["id"],
        "livemode": state.livemode, "metadata": {},
        "parent": {"invoice_item_details": None, "type": "subscription_item_details",
                   "subscription_item_details": {
                       "invoice_item": None, "proration": False,
                       "proration_details": {"credited_items": None},
                       "subscription": sub,
                       "subscription_item": state.new_id("subscription_item")}},
        "period": dict(period), "pretax_credit_amounts": [],
        "pricing": objects.pricing(price, product, str(unit)), "quantity": quantity,
        "quantity_decimal": str(quantity), "subscription": sub, "subtotal": amount,
        "taxes": [],
    }
