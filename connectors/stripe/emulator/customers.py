"""Customers: create, retrieve, update, delete, list (with `email`), search.

Search sees a change only `search_lag_seconds` after it was made, like Stripe's search,
so clients must not rely on it for read-after-write.
"""

from __future__ import annotations

import re
from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.errors import invalid
from ml_connector.connectors.stripe.emulator.events import changed, emit
from ml_connector.connectors.stripe.emulator.pagination import list_page, search_page
from ml_connector.connectors.stripe.emulator.params import (
    Params,
    created_filter,
    in_range,
    merge_metadata,
)
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint
from ml_connector.connectors.stripe.emulator.saved_methods import on_customer_deleted
from ml_connector.connectors.stripe.emulator.search import parse_query
from ml_connector.connectors.stripe.emulator.state import EmulatorState

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEXT_FIELDS = ("name", "email", "phone", "description", "business_name", "individual_name")
WRITE_PARAMS = (*_TEXT_FIELDS, "address", "shipping", "metadata", "preferred_locales",
                "invoice_prefix", "invoice_settings", "tax_exempt", "balance")
SEARCH_FIELDS = ("email", "name", "phone", "metadata", "created")
# maxLength of these parameters in Stripe's API description (spec3, POST /v1/customers).
MAX_LENGTH = {"name": 256, "email": 512, "phone": 20, "description": 5000}


def _apply(cust: dict[str, Any], params: Params) -> None:
    for name in _TEXT_FIELDS:
        if params.has(name):
            cust[name] = _limited(name, params.nullable_str(name))
    if cust["email"] and not _EMAIL.match(cust["email"]):
        raise invalid(f"Invalid email address: {cust['email']}", param="email",
                      code="email_invalid")
    if params.has("address"):
        cust["address"] = objects.address(params.dict("address"))
    if params.has("shipping"):
        cust["shipping"] = _shipping(params.dict("shipping"))
    cust["metadata"] = merge_metadata(cust["metadata"], params.raw("metadata"))
    if params.has("preferred_locales"):
        cust["preferred_locales"] = params.list("preferred_locales") or []
    if params.has("invoice_prefix"):
        cust["invoice_prefix"] = params.str("invoice_prefix")
    if params.has("invoice_settings"):
        cust["invoice_settings"].update(_invoice_settings(params.dict("invoice_settings")))
    if params.has("tax_exempt"):
        cust["tax_exempt"] = params.enum("tax_exempt", ("none", "exempt", "reverse"))
    if params.has("balance"):
        cust["balance"] = params.int("balance")


def _limited(name: str, value: str | None) -> str | None:
    limit = MAX_LENGTH.get(name)
    if value is not None and limit is not None and len(value) > limit:
        raise invalid(f"Invalid string: {value[:12]}...; must be at most {limit} characters",
                      param=name)
    return value


def _shipping(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"address": objects.address(value.get("address") or {}), "carrier": None,
            "name": value.get("name"), "phone": value.get("phone"), "tracking_number": None}


def _invoice_settings(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    allowed = {"footer", "default_payment_method", "custom_fields"}
    unknown = set(value) - allowed
    if unknown:
        raise invalid(f"Received unknown parameter: invoice_settings[{sorted(unknown)[0]}]",
                      param="invoice_settings", code="parameter_unknown")
    return {key: value[key] or None for key in value}


def create_customer(call: Call) -> dict[str, Any]:
    state = call.state
    cust = objects.customer(state)
    _apply(cust, call.params)
    state.add(cust)
    state.index_for_search(cust)
    emit(state, "customer.created", cust)
    return cust


def retrieve_customer(call: Call) -> dict[str, Any]:
    customer_id = call.path["id"]
    if call.state.private_of(customer_id).get("deleted"):
        return {"id": customer_id, "object": "customer", "deleted": True}
    return call.state.get("customer", customer_id)


def update_customer(call: Call) -> dict[str, Any]:
    state = call.state
    cust = state.get("customer", call.path["id"])
    before, draft = state.snapshot(cust), state.snapshot(cust)
    _apply(draft, call.params)
    cust.update(draft)
    previous = changed(before, cust)
    if previous:
        state.index_for_search(cust)
        emit(state, "customer.updated", cust, previous)
    return cust


def delete_customer(call: Call) -> dict[str, Any]:
    state = call.state
    cust = state.remove("customer", state.get("customer", call.path["id"])["id"])
    state.private_of(cust["id"])["deleted"] = True
    on_customer_deleted(state, cust["id"])
    state.index_for_search(cust, deleted=True)
    emit(state, "customer.deleted", cust)
    return {"id": cust["id"], "object": "customer", "deleted": True}


def list_customers(call: Call) -> dict[str, Any]:
    params = call.params
    email, bounds = params.str("email"), created_filter(params)
    state = call.state
    pool = state.newest_first("customer")
    if email is not None:  # the customers that ever had this e-mail, not every customer
        live = state.objects["customer"]
        pool = [live[i] for i in reversed(state.search["customer"].ids_with("email", email))
                if i in live]
    items = [c for c in pool
             if (email is None or c["email"] == email) and in_range(c["created"], bounds)]
    return list_page(items, params, "/v1/customers", "customer")


def search_customers(call: Call) -> dict[str, Any]:
    return search(call.state, "customer", call.params, SEARCH_FIELDS, "/v1/customers/search")


def search(state: EmulatorState, kind: str, params: Params, fields: tuple[str, ...],
           url: str) -> dict[str, Any]:
    """Run a search query over what the lagging index shows right now."""
    matches = parse_query(params.str("query", required=True), fields)
    found = [obj for obj in state.search[kind].visible(state.clock.exact(), matches)
             if matches(obj)]
    current = [state.objects[kind][o["id"]] for o in found if o["id"] in state.objects[kind]]
    return search_page(current, params, url)


ENDPOINTS = [
    endpoint("POST", "/v1/customers", create_customer, *WRITE_PARAMS),
    endpoint("GET", "/v1/customers/search", search_customers, "query", "limit", "page",
             search=True),
    endpoint("GET", "/v1/customers", list_customers, *LIST_PARAMS, "email"),
    endpoint("GET", "/v1/customers/{id}", retrieve_customer),
    endpoint("POST", "/v1/customers/{id}", update_customer, *WRITE_PARAMS),
    endpoint("DELETE", "/v1/customers/{id}", delete_customer),
]
