"""InvoicePayments (2025-03-31.basil and later): which payments paid which invoice.

Read-only here: they are created by finalizing (the default one) and by payments. Clients
find an invoice's payments with `invoice=`, and the invoice a PaymentIntent paid with
`payment[type]=payment_intent&payment[payment_intent]=pi_...`.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator.errors import invalid
from ml_connector.connectors.stripe.emulator.expand import includable
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.params import Params, created_filter, in_range
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState

PAYMENT_TYPES = ("payment_intent", "payment_record")


def _payment_filter(params: Params) -> dict[str, str]:
    payment = params.dict("payment")
    if payment is None:
        return {}
    unknown = set(payment) - {"type", "payment_intent", "payment_record"}
    if unknown:
        raise invalid(f"Received unknown parameter: payment[{sorted(unknown)[0]}]",
                      param="payment", code="parameter_unknown")
    kind = payment.get("type")
    if kind not in PAYMENT_TYPES:
        raise invalid("Missing required param: payment[type].", param="payment[type]",
                      code="parameter_missing")
    return {k: v for k, v in payment.items()}


def payments_of(state: EmulatorState, invoice_id: str) -> list[dict[str, Any]]:
    return [p for p in state.newest_first("invoice_payment") if p["invoice"] == invoice_id]


def list_invoice_payments(call: Call) -> dict[str, Any]:
    params = call.params
    invoice, bounds = params.str("invoice"), created_filter(params)
    status = params.enum("status", ("open", "paid", "canceled"))
    payment = _payment_filter(params)
    items = [p for p in call.state.newest_first("invoice_payment")
             if (invoice is None or p["invoice"] == invoice)
             and (status is None or p["status"] == status)
             and all(p["payment"].get(k) == v for k, v in payment.items())
             and in_range(p["created"], bounds)]
    return list_page(items, params, "/v1/invoice_payments", "invoice_payment")


def retrieve_invoice_payment(call: Call) -> dict[str, Any]:
    return call.state.get("invoice_payment", call.path["id"])


@includable("invoice", "payments")
def _invoice_payments(state: EmulatorState, inv: dict[str, Any]) -> dict[str, Any]:
    items = payments_of(state, inv["id"])
    return {"object": "list", "data": items[:10], "has_more": len(items) > 10,
            "url": f"/v1/invoice_payments?invoice={inv['id']}"}


@includable("invoice", "amount_paid_off_stripe")
def _paid_off_stripe(state: EmulatorState, inv: dict[str, Any]) -> int:
    return int(state.private_of(inv["id"]).get("amount_paid_off_stripe", 0))


ENDPOINTS = [
    endpoint("GET", "/v1/invoice_payments", list_invoice_payments, *LIST_PARAMS, "invoice",
             "status", "payment"),
    endpoint("GET", "/v1/invoice_payments/{id}", retrieve_invoice_payment),
]
