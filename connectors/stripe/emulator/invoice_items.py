"""Invoice items: the lines of a draft invoice, or pending items waiting for one.

An item has either `amount` (the line total in minor units, negative for a discount) or
`unit_amount_decimal` + `quantity`. Items can only be added to, changed on or removed from a
draft invoice; every change recomputes the invoice's totals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.errors import StripeError, invalid
from ml_connector.connectors.stripe.emulator.events import emit
from ml_connector.connectors.stripe.emulator.money import round_minor
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.params import (
    Params,
    created_filter,
    in_range,
    merge_metadata,
    parse_bool,
)
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState
from ml_connector.connectors.stripe.emulator.totals import recompute

MAX_ITEMS = 250
MAX_AMOUNT = 99_999_999
LINE_PARAMS = ("amount", "unit_amount_decimal", "quantity", "description", "metadata",
               "discountable", "tax_rates", "period")
CREATE_PARAMS = (*LINE_PARAMS, "customer", "invoice", "currency")


def editable_invoice(state: EmulatorState, invoice_id: str) -> dict[str, Any]:
    inv = state.get("invoice", invoice_id, param="invoice")
    if inv["status"] != "draft":
        raise StripeError(400, f"You can only add invoice items to draft invoices; invoice "
                          f"{invoice_id} is {inv['status']}.", code="invoice_not_editable",
                          param="invoice")
    return inv


def new_item(state: EmulatorState, params: Params, inv: dict[str, Any] | None,
             customer_id: str) -> dict[str, Any]:
    """Build (without storing) an invoice item from create or `add_lines` parameters."""
    currency = _currency(params, inv)
    item = objects.invoice_item(state, customer=customer_id, currency=currency,
                                invoice=inv["id"] if inv else None)
    _set_amount(state, item, params, creating=True)
    item["discountable"] = item["amount"] >= 0
    _set_details(state, item, params)
    return item


# ISO 4217 codes that name no spendable currency (test, "no currency", metals, bond-market
# units, special drawing rights): Stripe has no account that can take them.
NOT_CURRENCIES = frozenset({"xts", "xxx", "xau", "xag", "xpt", "xpd", "xba", "xbb", "xbc",
                            "xbd", "xdr", "xsu", "xua"})


def check_currency(currency: str | None) -> str | None:
    """Refuse what Stripe refuses: upper-case codes and codes no account can hold."""
    if currency is not None and currency != currency.lower():
        raise invalid(f"Invalid currency: {currency}. Currency codes are lower case.",
                      param="currency")
    if currency in NOT_CURRENCIES:
        raise invalid(f"Invalid currency: {currency}. Stripe does not support this "
                      "currency.", param="currency")
    return currency


def _currency(params: Params, inv: dict[str, Any] | None) -> str:
    currency = check_currency(params.str("currency"))
    if inv is None:
        if currency is None:
            raise invalid("Missing required param: currency.", param="currency",
                          code="parameter_missing")
        return currency
    if currency is not None and currency != inv["currency"]:
        raise invalid(f"The currency of the invoice item ({currency}) must match the "
                      f"invoice's currency ({inv['currency']}).", param="currency")
    return str(inv["currency"])


def _set_amount(state: EmulatorState, item: dict[str, Any], params: Params, *,
                creating: bool) -> None:
    amount, unit = params.int("amount"), params.decimal("unit_amount_decimal")
    if amount is not None and unit is not None:
        raise invalid("You may only specify one of these parameters: amount, "
                      "unit_amount_decimal.", param="unit_amount_decimal")
    quantity = params.int("quantity", item["quantity"])
    if quantity < 0:
        raise invalid("Invalid quantity: must be non-negative", param="quantity")
    if amount is None and unit is None:
        if creating:
            raise invalid("Missing required param: amount (or unit_amount_decimal with "
                          "quantity).", param="amount", code="parameter_missing")
        unit = Decimal(item["pricing"]["unit_amount_decimal"])
    if unit is None:
        unit = Decimal(amount) / quantity if quantity else Decimal(amount)
        total = amount
    else:
        total = round_minor(unit * quantity)
    if abs(total) > MAX_AMOUNT:
        raise invalid("Amount must be no more than 99,999,999.", param="amount",
                      code="amount_too_large")
    pricing = item["pricing"] or objects.pricing(state.new_id("price"),
                                                 state.new_id("product"), "0")
    pricing["unit_amount_decimal"] = _decimal_text(unit)
    item.update(amount=total, net_amount=total, quantity=quantity,
                quantity_decimal=str(quantity), pricing=pricing)


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def _set_details(state: EmulatorState, item: dict[str, Any], params: Params) -> None:
    if params.has("description"):
        item["description"] = params.nullable_str("description")
    if params.has("discountable"):
        item["discountable"] = parse_bool(params.raw("discountable"), "discountable")
    item["metadata"] = merge_metadata(item["metadata"], params.raw("metadata"))
    if params.has("tax_rates"):
        ids = params.list("tax_rates") or []
        item["tax_rates"] = [state.get("tax_rate", i, param="tax_rates") for i in ids]
    period = params.dict("period")
    if period is not None:
        item["period"] = {"start": int(period["start"]), "end": int(period["end"])}


def attach(state: EmulatorState, item: dict[str, Any], inv: dict[str, Any] | None) -> None:
    """Store a new item, put it on its invoice and announce it."""
    if inv is not None:
        items = state.private_of(inv["id"]).setdefault("items", [])
        if len(items) >= MAX_ITEMS:
            raise invalid(f"An invoice can have at most {MAX_ITEMS} invoice items.",
                          param="invoice")
        items.append(item["id"])
    state.add(item)
    if inv is not None:
        recompute(state, inv)
    emit(state, "invoiceitem.created", item)


def create_item(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    invoice_id, customer_id = params.str("invoice"), params.str("customer")
    inv = editable_invoice(state, invoice_id) if invoice_id else None
    if customer_id is None and inv is None:
        raise invalid("Missing required param: customer.", param="customer",
                      code="parameter_missing")
    if customer_id is not None:
        state.get("customer", customer_id, param="customer")
        if inv is not None and inv["customer"] != customer_id:
            raise invalid("The invoice item's customer must match the invoice's customer.",
                          param="customer")
    item = new_item(state, params, inv, customer_id or inv["customer"])  # type: ignore[index]
    attach(state, item, inv)
    return item


def _item_invoice(state: EmulatorState, item: dict[str, Any]) -> dict[str, Any] | None:
    if item["invoice"] is None:
        return None
    return editable_invoice(state, item["invoice"])


def update_item(call: Call) -> dict[str, Any]:
    state = call.state
    item = state.get("invoiceitem", call.path["id"])
    inv = _item_invoice(state, item)
    draft = state.snapshot(item)
    if any(call.params.has(p) for p in ("amount", "unit_amount_decimal", "quantity")):
        _set_amount(state, draft, call.params, creating=False)
    _set_details(state, draft, call.params)
    item.update(draft)
    if inv is not None:
        recompute(state, inv)
    return item


def delete_item(call: Call) -> dict[str, Any]:
    state = call.state
    item = state.get("invoiceitem", call.path["id"])
    inv = _item_invoice(state, item)
    remove_item(state, item, inv)
    return {"id": item["id"], "object": "invoiceitem", "deleted": True}


def remove_item(state: EmulatorState, item: dict[str, Any],
                inv: dict[str, Any] | None) -> None:
    state.remove("invoiceitem", item["id"])
    if inv is not None:
        state.private_of(inv["id"])["items"].remove(item["id"])
        recompute(state, inv)
    emit(state, "invoiceitem.deleted", item)


def retrieve_item(call: Call) -> dict[str, Any]:
    return call.state.get("invoiceitem", call.path["id"])


def list_items(call: Call) -> dict[str, Any]:
    params = call.params
    customer, invoice = params.str("customer"), params.str("invoice")
    pending, bounds = params.bool("pending"), created_filter(params)
    items = [i for i in call.state.newest_first("invoiceitem")
             if (customer is None or i["customer"] == customer)
             and (invoice is None or i["invoice"] == invoice)
             and (pending is None or (i["invoice"] is None) == pending)
             and in_range(i["date"], bounds)]
    return list_page(items, params, "/v1/invoiceitems", "invoiceitem")


ENDPOINTS = [
    endpoint("POST", "/v1/invoiceitems", create_item, *CREATE_PARAMS),
    endpoint("GET", "/v1/invoiceitems", list_items, *LIST_PARAMS, "customer", "invoice",
             "pending"),
    endpoint("GET", "/v1/invoiceitems/{id}", retrieve_item),
    endpoint("POST", "/v1/invoiceitems/{id}", update_item, *LINE_PARAMS),
    endpoint("DELETE", "/v1/invoiceitems/{id}", delete_item),
]
