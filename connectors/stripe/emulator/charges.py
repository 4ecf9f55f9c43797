"""PaymentIntents, Charges and BalanceTransactions: read them, and make a direct payment.

Invoice payments create these objects through `payments.py`; `POST /v1/payment_intents`
with `confirm=true` and a test card makes a payment that belongs to no invoice.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import payments
from ml_connector.connectors.stripe.emulator.errors import bad_state, invalid
from ml_connector.connectors.stripe.emulator.expand import includable
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.params import (
    Params,
    created_filter,
    in_range,
    merge_metadata,
)
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState

MIN_AMOUNT = 50


def _filtered(state: EmulatorState, kind: str, params: Params,
              **equals: str | None) -> list[dict[str, Any]]:
    bounds = created_filter(params)
    return [obj for obj in state.newest_first(kind)
            if in_range(obj["created"], bounds)
            and all(value is None or obj.get(key) == value for key, value in equals.items())]


def create_payment_intent(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    amount = params.int("amount", required=True)
    if amount < MIN_AMOUNT:
        raise invalid("Amount must be at least 50 cents", param="amount",
                      code="amount_too_small")
    customer = params.str("customer")
    if customer:
        state.get("customer", customer, param="customer")
    pi = payments.new_intent(state, amount, params.str("currency", required=True), customer,
                             description=params.nullable_str("description"),
                             metadata=merge_metadata({}, params.raw("metadata")))
    method = params.str("payment_method")
    if method:
        pi.update(payment_method=method, status="requires_confirmation")
    if params.bool("confirm", False):
        if not method:
            raise invalid("A payment method is needed to confirm.", param="payment_method",
                          saved=True)
        payments.confirm(state, pi, method)
    return pi


def confirm_payment_intent(call: Call) -> dict[str, Any]:
    state = call.state
    pi = state.get("payment_intent", call.path["id"])
    if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise bad_state(f"This PaymentIntent's status is {pi['status']}; it cannot be "
                        "confirmed.", code="payment_intent_unexpected_state")
    method = call.params.str("payment_method") or pi["payment_method"]
    if not method:
        raise invalid("A payment method is needed to confirm.", param="payment_method")
    payments.confirm(state, pi, method)
    return pi


def retrieve_payment_intent(call: Call) -> dict[str, Any]:
    return call.state.get("payment_intent", call.path["id"])


def list_payment_intents(call: Call) -> dict[str, Any]:
    items = _filtered(call.state, "payment_intent", call.params,
                      customer=call.params.str("customer"))
    return list_page(items, call.params, "/v1/payment_intents", "payment_intent")


def retrieve_charge(call: Call) -> dict[str, Any]:
    return call.state.get("charge", call.path["id"])


def list_charges(call: Call) -> dict[str, Any]:
    params = call.params
    items = _filtered(call.state, "charge", params, customer=params.str("customer"),
                      payment_intent=params.str("payment_intent"))
    return list_page(items, params, "/v1/charges", "charge")


@includable("charge", "refunds")
def _charge_refunds(state: EmulatorState, ch: dict[str, Any]) -> dict[str, Any]:
    items = [r for r in state.newest_first("refund") if r["charge"] == ch["id"]]
    return {"object": "list", "data": items, "has_more": False,
            "url": f"/v1/charges/{ch['id']}/refunds"}


def retrieve_balance_transaction(call: Call) -> dict[str, Any]:
    return call.state.get("balance_transaction", call.path["id"])


def list_balance_transactions(call: Call) -> dict[str, Any]:
    params = call.params
    items = _filtered(call.state, "balance_transaction", params, type=params.str("type"),
                      source=params.str("source"), currency=params.str("currency"))
    if params.str("payout"):
        items = []  # the emulator makes no payouts
    return list_page(items, params, "/v1/balance_transactions", "balance_transaction")


ENDPOINTS = [
    endpoint("POST", "/v1/payment_intents", create_payment_intent, "amount", "currency",
             "customer", "description", "metadata", "payment_method", "confirm"),
    endpoint("GET", "/v1/payment_intents", list_payment_intents, *LIST_PARAMS, "customer"),
    endpoint("GET", "/v1/payment_intents/{id}", retrieve_payment_intent),
    endpoint("POST", "/v1/payment_intents/{id}/confirm", confirm_payment_intent,
             "payment_method"),
    endpoint("GET", "/v1/charges", list_charges, *LIST_PARAMS, "customer", "payment_intent"),
    endpoint("GET", "/v1/charges/{id}", retrieve_charge),
    endpoint("GET", "/v1/balance_transactions", list_balance_transactions, *LIST_PARAMS,
             "type", "source", "currency", "payout"),
    endpoint("GET", "/v1/balance_transactions/{id}", retrieve_balance_transaction),
]
