"""Saved payment methods and the subscription list: what a customer holds besides invoices.

`POST /v1/payment_methods/{id}/attach` saves one of the test payment methods (`cards.py`)
to a customer, as Stripe.js followed by an attach does; `GET /v1/customers/{id}/
payment_methods` lists them. The emulator cannot create subscriptions (it has no prices
or billing cycles), but `GET /v1/subscriptions` lists whatever state holds, so a test that
places one there sees what a client would. Deleting a customer detaches its payment methods
and cancels its subscriptions, as Stripe documents for `DELETE /v1/customers/{id}`.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator.cards import card_for
from ml_connector.connectors.stripe.emulator.errors import invalid
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState

SUBSCRIPTION_STATUSES = frozenset({"active", "all", "canceled", "ended", "incomplete",
                                   "incomplete_expired", "past_due", "paused", "trialing",
                                   "unpaid"})


def attach(call: Call) -> dict[str, Any]:
    state = call.state
    customer_id = call.params.str("customer", required=True)
    state.get("customer", customer_id, param="customer")
    card = card_for(call.path["id"], param="id")
    method = {"id": state.new_id("payment_method"), "object": "payment_method",
              "type": "card", "card": {**card.as_dict(), "exp_month": 12, "exp_year": 2034},
              "billing_details": {"address": None, "email": None, "name": None,
                                  "phone": None},
              "customer": customer_id, "created": state.clock.now(),
              "livemode": state.livemode, "metadata": {}, "allow_redisplay": "unspecified"}
    return state.add(method)


def list_saved(call: Call) -> dict[str, Any]:
    customer_id = call.path["customer"]
    call.state.get("customer", customer_id, param="customer")
    kind = call.params.str("type")
    items = [m for m in call.state.newest_first("payment_method")
             if m["customer"] == customer_id and (kind is None or m["type"] == kind)]
    return list_page(items, call.params, f"/v1/customers/{customer_id}/payment_methods",
                     "payment_method")


def list_subscriptions(call: Call) -> dict[str, Any]:
    status = call.params.str("status")
    if status is not None and status not in SUBSCRIPTION_STATUSES:
        raise invalid("Invalid status: must be one of "
                      f"{', '.join(sorted(SUBSCRIPTION_STATUSES))}", param="status")
    customer = call.params.str("customer")
    items = [s for s in call.state.newest_first("subscription")
             if (customer is None or s["customer"] == customer) and _shown(s, status)]
    return list_page(items, call.params, "/v1/subscriptions", "subscription")


def _shown(subscription: dict[str, Any], status: str | None) -> bool:
    """Without `status` Stripe lists the subscriptions not canceled; `all` lists every one."""
    if status is None:
        return subscription["status"] != "canceled"
    if status == "ended":
        return subscription["status"] in ("canceled", "incomplete_expired")
    return status == "all" or subscription["status"] == status


def on_customer_deleted(state: EmulatorState, customer_id: str) -> None:
    """Stripe detaches the payment methods and cancels the subscriptions of a deleted one."""
    for method in state.objects["payment_method"].values():
        if method["customer"] == customer_id:
            method["customer"] = None
    for sub in state.objects["subscription"].values():
        if sub["customer"] == customer_id:
            sub["status"] = "canceled"


ENDPOINTS = [
    endpoint("POST", "/v1/payment_methods/{id}/attach", attach, "customer", "expand"),
    endpoint("GET", "/v1/customers/{customer}/payment_methods", list_saved, *LIST_PARAMS,
             "type", "allow_redisplay", "expand"),
    endpoint("GET", "/v1/subscriptions", list_subscriptions, *LIST_PARAMS, "customer",
             "status", "price", "expand"),
]
