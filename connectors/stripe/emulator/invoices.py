"""Invoices as documents: create a draft, edit it, add lines, delete it, find it.

What may change depends on the status: a draft takes any change; once finalized the amounts,
currency, collection method and due date are fixed and only descriptive fields
(description, footer, metadata, auto_advance, custom fields) may change. Moving between
statuses is in `invoice_lifecycle.py`.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.customers import search
from ml_connector.connectors.stripe.emulator.errors import StripeError, bad_state, invalid
from ml_connector.connectors.stripe.emulator.events import changed, emit
from ml_connector.connectors.stripe.emulator.invoice_items import (
    MAX_ITEMS,
    attach,
    check_currency,
    editable_invoice,
    new_item,
    remove_item,
)
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.params import (
    Params,
    created_filter,
    in_range,
    merge_metadata,
)
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState
from ml_connector.connectors.stripe.emulator.totals import all_lines, invoice_items, recompute

DRAFT_PARAMS = ("collection_method", "due_date", "days_until_due", "currency", "number",
                "default_tax_rates", "statement_descriptor", "automatically_finalizes_at")
OPEN_PARAMS = ("description", "footer", "metadata", "auto_advance", "custom_fields")
CREATE_PARAMS = (*DRAFT_PARAMS, *OPEN_PARAMS, "customer", "pending_invoice_items_behavior")
# Line fields of add_lines the emulator models (Stripe's `unit_amount_decimal` is only
# accepted inside `price_data` there, which needs products the emulator does not keep).
ADD_LINES_FIELDS = frozenset({"amount", "description", "discountable", "metadata", "period",
                              "quantity", "tax_rates"})
SEARCH_FIELDS = ("customer", "status", "total", "number", "currency", "metadata", "created")


def _apply_open_fields(inv: dict[str, Any], params: Params) -> None:
    for name in ("description", "footer"):
        if params.has(name):
            inv[name] = params.nullable_str(name)
    inv["metadata"] = merge_metadata(inv["metadata"], params.raw("metadata"))
    if params.has("auto_advance"):
        inv["auto_advance"] = params.bool("auto_advance")
    if params.has("custom_fields"):
        fields = params.list("custom_fields") or []
        if len(fields) > 4:
            raise invalid("An invoice can have at most 4 custom fields.",
                          param="custom_fields")
        inv["custom_fields"] = [{"name": f["name"], "value": f["value"]} for f in fields]


def _apply_draft_fields(state: EmulatorState, inv: dict[str, Any], params: Params) -> None:
    inv["collection_method"] = params.enum(
        "collection_method", ("charge_automatically", "send_invoice"), inv["collection_method"])
    if params.has("currency"):
        inv["currency"] = check_currency(params.str("currency"))
    for name in ("due_date", "automatically_finalizes_at"):
        if params.has(name):
            inv[name] = params.int(name)
    if params.has("days_until_due"):
        state.private_of(inv["id"])["days_until_due"] = params.int("days_until_due")
    if params.has("number"):
        inv["number"] = params.nullable_str("number")
    if params.has("statement_descriptor"):
        inv["statement_descriptor"] = params.nullable_str("statement_descriptor")
    if params.has("default_tax_rates"):
        ids = params.list("default_tax_rates") or []
        inv["default_tax_rates"] = [state.get("tax_rate", i, param="default_tax_rates")
                                    for i in ids]
    _check_due(state, inv)


def _check_due(state: EmulatorState, inv: dict[str, Any]) -> None:
    days = state.private_of(inv["id"]).get("days_until_due")
    if inv["collection_method"] == "send_invoice":
        if inv["due_date"] is None and days is None:
            raise invalid("Invoices with `collection_method=send_invoice` need a `due_date` "
                          "or `days_until_due`.", param="days_until_due",
                          code="parameter_missing")
        if inv["due_date"] is not None and days is not None:
            raise invalid("You may only specify one of these parameters: days_until_due, "
                          "due_date.", param="due_date")
    elif inv["due_date"] is not None or days is not None:
        raise invalid("`due_date` and `days_until_due` can only be set when "
                      "`collection_method` is `send_invoice`.", param="due_date")


def create_invoice(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    cust = state.get("customer", params.str("customer", required=True), param="customer")
    inv = objects.invoice(state, cust)
    _apply_draft_fields(state, inv, params)
    _apply_open_fields(inv, params)
    state.add(inv)
    behavior = params.enum("pending_invoice_items_behavior", ("exclude", "include"),
                           "exclude")
    if behavior == "include":
        _pull_pending_items(state, inv)
    recompute(state, inv)
    state.index_for_search(inv)
    emit(state, "invoice.created", inv)
    return inv


def _pull_pending_items(state: EmulatorState, inv: dict[str, Any]) -> None:
    pending = [i for i in state.objects["invoiceitem"].values()
               if i["customer"] == inv["customer"] and i["invoice"] is None
               and i["currency"] == inv["currency"]]
    items = state.private_of(inv["id"]).setdefault("items", [])
    for item in pending:
        item["invoice"] = inv["id"]
        items.append(item["id"])


def retrieve_invoice(call: Call) -> dict[str, Any]:
    return call.state.get("invoice", call.path["id"])


def update_invoice(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    inv = state.get("invoice", call.path["id"])
    before, draft = state.snapshot(inv), state.snapshot(inv)
    if inv["status"] == "draft":
        _apply_draft_fields(state, draft, params)
    else:
        fixed = [p for p in DRAFT_PARAMS if params.has(p)]
        if fixed:
            raise bad_state(f"You can only update `{fixed[0]}` on a draft invoice; this "
                            f"invoice is {inv['status']}.")
    _apply_open_fields(draft, params)
    inv.update(draft)
    if inv["status"] == "draft":
        recompute(state, inv)
    previous = changed(before, inv)
    if previous:
        state.index_for_search(inv)
        emit(state, "invoice.updated", inv, previous)
    return inv


def delete_invoice(call: Call) -> dict[str, Any]:
    state = call.state
    inv = state.get("invoice", call.path["id"])
    if inv["status"] != "draft":
        raise bad_state("You can only delete draft invoices. Finalized invoices can be "
                        "voided instead.")
    for item in invoice_items(state, inv):
        remove_item(state, item, None)
    state.remove("invoice", inv["id"])
    state.private_of(inv["id"])["deleted"] = True
    state.index_for_search(inv, deleted=True)
    emit(state, "invoice.deleted", inv)
    return {"id": inv["id"], "object": "invoice", "deleted": True}


def list_invoices(call: Call) -> dict[str, Any]:
    params = call.params
    customer, bounds = params.str("customer"), created_filter(params)
    status = params.enum("status", ("draft", "open", "paid", "uncollectible", "void"))
    method = params.enum("collection_method", ("charge_automatically", "send_invoice"))
    due = created_filter(params, "due_date")
    items = [i for i in call.state.newest_first("invoice")
             if (customer is None or i["customer"] == customer)
             and (status is None or i["status"] == status)
             and (method is None or i["collection_method"] == method)
             and in_range(i["created"], bounds)
             and (not due or (i["due_date"] is not None and in_range(i["due_date"], due)))]
    return list_page(items, params, "/v1/invoices", "invoice")


def search_invoices(call: Call) -> dict[str, Any]:
    return search(call.state, "invoice", call.params, SEARCH_FIELDS, "/v1/invoices/search")


def list_lines(call: Call) -> dict[str, Any]:
    inv = call.state.get("invoice", call.path["id"])
    url = f"/v1/invoices/{inv['id']}/lines"
    return list_page(all_lines(call.state, inv), call.params, url, "line_item")


def _line_item(state: EmulatorState, inv: dict[str, Any], index: int,
               line: Any) -> dict[str, Any]:
    if not isinstance(line, dict):
        raise invalid("Invalid array: lines", param=f"lines[{index}]")
    unknown = set(line) - ADD_LINES_FIELDS
    if unknown:
        raise StripeError(400, f"Received unknown parameter: lines[{index}]"
                          f"[{sorted(unknown)[0]}]", code="parameter_unknown")
    return new_item(state, Params(line), inv, inv["customer"])


def add_lines(call: Call) -> dict[str, Any]:
    """Append new items to a draft, all or none, and answer with the invoice."""
    state, params = call.state, call.params
    inv = editable_invoice(state, call.path["id"])
    lines = params.list("lines")
    if not lines:
        raise invalid("Missing required param: lines.", param="lines", code="parameter_missing")
    if len(invoice_items(state, inv)) + len(lines) > MAX_ITEMS:
        raise invalid(f"An invoice can have at most {MAX_ITEMS} invoice items.",
                      param="lines")
    before = state.snapshot(inv)
    metadata = merge_metadata(inv["metadata"], params.raw("invoice_metadata"))
    items = [_line_item(state, inv, index, line) for index, line in enumerate(lines)]
    for item in items:
        attach(state, item, inv)
    inv["metadata"] = metadata
    emit(state, "invoice.updated", inv, changed(before, inv))
    return inv


ENDPOINTS = [
    endpoint("POST", "/v1/invoices", create_invoice, *CREATE_PARAMS),
    endpoint("GET", "/v1/invoices/search", search_invoices, "query", "limit", "page",
             search=True),
    endpoint("GET", "/v1/invoices", list_invoices, *LIST_PARAMS, "customer", "status",
             "collection_method", "due_date"),
    endpoint("GET", "/v1/invoices/{id}", retrieve_invoice),
    endpoint("POST", "/v1/invoices/{id}", update_invoice, *DRAFT_PARAMS, *OPEN_PARAMS),
    endpoint("DELETE", "/v1/invoices/{id}", delete_invoice),
    endpoint("GET", "/v1/invoices/{id}/lines", list_lines, "limit", "starting_after",
             "ending_before"),
    endpoint("POST", "/v1/invoices/{id}/add_lines", add_lines, "lines", "invoice_metadata"),
]
