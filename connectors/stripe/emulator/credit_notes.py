"""Credit notes: lowering what a finalized invoice asks for, or crediting a paid one.

As Stripe's spec describes `POST /v1/credit_notes`:

- on an `open` (or `uncollectible`) invoice the note is `pre_payment`: it reduces the
  invoice's `amount_due` and `amount_remaining` and adds to `pre_payment_credit_notes_amount`;
  a note that leaves nothing to pay marks the invoice paid;
- on a `paid` invoice it is `post_payment`: `amount_due` stays, and the note's amount must be
  allocated in full to `refund_amount`, `credit_amount` or `out_of_band_amount` (the emulator
  books `out_of_band_amount` only, and says so for the others);
- a note's amount cannot change: it is voided (`POST /v1/credit_notes/{id}/void`), which
  gives a pre-payment note's amount back to the open invoice, and a new one is issued.

The amount is `amount`, or the sum of `lines` (`custom_line_item`: `unit_amount` times
`quantity`; `invoice_line_item`: its `amount`); when both are given they must agree.
`GET /v1/credit_notes/preview` answers the note a create would make, without making it.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import invoice_lifecycle
from ml_connector.connectors.stripe.emulator.errors import bad_state, invalid
from ml_connector.connectors.stripe.emulator.events import changed, emit
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.params import (
    Params,
    created_filter,
    in_range,
    merge_metadata,
    parse_int,
)
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState

REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")
LINE_TYPES = ("custom_line_item", "invoice_line_item")
CREATE_PARAMS = ("invoice", "amount", "lines", "memo", "metadata", "reason",
                 "out_of_band_amount", "credit_amount", "refund_amount", "refunds",
                 "effective_at", "shipping_cost", "email_type")
CREDITABLE = ("open", "uncollectible", "paid")


def _line(state: EmulatorState, raw: Any, index: int) -> dict[str, Any]:
    where = f"lines[{index}]"
    if not isinstance(raw, dict):
        raise invalid(f"Invalid object: {where} must be a hash", param=where)
    kind = raw.get("type")
    if kind not in LINE_TYPES:
        raise invalid(f"Invalid {where}[type]: must be one of {', '.join(LINE_TYPES)}",
                      param=f"{where}[type]")
    quantity = parse_int(raw.get("quantity", "1"), f"{where}[quantity]")
    if kind == "custom_line_item":
        if "unit_amount" not in raw:
            raise invalid(f"Missing required param: {where}[unit_amount].",
                          param=f"{where}[unit_amount]")
        unit = parse_int(raw["unit_amount"], f"{where}[unit_amount]")
        amount = unit * quantity
    else:
        if "amount" not in raw:
            raise invalid(f"Give {where}[amount] for an invoice_line_item line.",
                          param=f"{where}[amount]")
        amount = parse_int(raw["amount"], f"{where}[amount]")
        unit = amount
    if amount <= 0:
        raise invalid(f"The amount of {where} must be positive.", param=where)
    return {"id": state.new_id("credit_note_line_item"), "object": "credit_note_line_item",
            "amount": amount, "description": raw.get("description"),
            "discount_amount": 0, "discount_amounts": [],
            "invoice_line_item": raw.get("invoice_line_item"), "livemode": state.livemode,
            "metadata": {}, "pretax_credit_amounts": [], "quantity": quantity,
            "tax_rates": [], "taxes": [],
            "type": kind, "unit_amount": unit, "unit_amount_decimal": str(unit)}


def _build(state: EmulatorState, params: Params) -> tuple[dict[str, Any], dict[str, Any]]:
    """The note a create would make, and its invoice; nothing is changed yet."""
    inv = state.get("invoice", params.str("invoice", required=True), param="invoice")
    if inv["status"] not in CREDITABLE:
        raise bad_state(f"Invoice {inv['id']} is {inv['status']}; credit notes can only be "
                        "issued for finalized invoices that are not void.",
                        code="invoice_not_editable" if inv["status"] == "draft"
                        else "status_transition_invalid")
    lines = [_line(state, raw, i)
             for i, raw in enumerate(params.list("lines") or [])]
    amount = params.int("amount")
    if amount is None and not lines:
        raise invalid("Give `amount` or `lines` for the credit note.", param="amount")
    if lines and amount is not None and amount != sum(line["amount"] for line in lines):
        raise invalid(f"The amount ({amount}) must equal the sum of the lines "
                      f"({sum(line['amount'] for line in lines)}).", param="amount")
    amount = amount if amount is not None else sum(line["amount"] for line in lines)
    if amount <= 0:
        raise invalid("The credit note amount must be positive.", param="amount")
    out_of_band = params.int("out_of_band_amount", 0)
    for name in ("credit_amount", "refund_amount", "refunds"):
        if params.has(name):
            raise invalid(f"This emulator books credit notes out of band only; `{name}` is "
                          "not supported.", param=name)
    kind = "post_payment" if inv["status"] == "paid" else "pre_payment"
    if kind == "pre_payment":
        if out_of_band:
            raise invalid("`out_of_band_amount` is for credit notes on paid invoices; on an "
                          "open invoice the credit note reduces the amount due.",
                          param="out_of_band_amount")
        if amount > inv["amount_remaining"]:
            raise invalid(f"The credit note amount ({amount}) is greater than the invoice's "
                          f"amount remaining ({inv['amount_remaining']}).", param="amount")
    else:
        creditable = inv["amount_paid"] - inv["post_payment_credit_notes_amount"]
        if amount > creditable:
            raise invalid(f"The credit note amount ({amount}) is greater than what can still "
                          f"be credited on paid invoice {inv['id']} ({creditable}).",
                          param="amount")
        if out_of_band != amount:
            raise invalid("For a credit note on a paid invoice the refund, credit and out of "
                          f"band amounts must add up to its amount ({amount}).",
                          param="out_of_band_amount")
    if not lines:
        lines = [_line(state, {"type": "custom_line_item", "unit_amount": str(amount),
                               "description": params.str("memo") or "Credit"}, 0)]
    note_id = state.new_id("credit_note")
    number = f"{inv['number'] or 'CN'}-CN-{state.next_number('credit_note:' + inv['id']):02d}"
    note = {
        "id": note_id, "object": "credit_note", "amount": amount, "amount_shipping": 0,
        "created": state.clock.now(), "currency": inv["currency"],
        "customer": inv["customer"], "customer_account": None,
        "customer_balance_transaction": None, "discount_amount": 0, "discount_amounts": [],
        "effective_at": params.int("effective_at"), "invoice": inv["id"],
        "lines": {"object": "list", "data": lines, "has_more": False,
                  "url": f"/v1/credit_notes/{note_id}/lines"},
        "livemode": state.livemode, "memo": params.str("memo"),
        "metadata": merge_metadata({}, params.raw("metadata")), "number": number,
        "out_of_band_amount": out_of_band or None,
        "pdf": f"https://pay.stripe.com/credit_notes/acct_emulator/{note_id}/pdf",
        "post_payment_amount": amount if kind == "post_payment" else 0,
        "pre_payment_amount": amount if kind == "pre_payment" else 0,
        "pretax_credit_amounts": [], "reason": params.enum("reason", REASONS),
        "refunds": [], "shipping_cost": None, "status": "issued", "subtotal": amount,
        "subtotal_excluding_tax": amount, "total": amount, "total_excluding_tax": amount,
        "total_taxes": [], "type": kind, "voided_at": None,
    }
    return note, inv


def _set_due(state: EmulatorState, inv: dict[str, Any], amount_due: int) -> None:
    """Move what the invoice asks for, keeping its open default payment in step."""
    inv.update(amount_due=amount_due, amount_remaining=amount_due - inv["amount_paid"])
    default = invoice_lifecycle.default_payment(state, inv)
    if default is not None and default["status"] == "open" and inv["amount_remaining"] > 0:
        default["amount_requested"] = inv["amount_remaining"]
        state.get("payment_intent", default["payment"]["payment_intent"])["amount"] = inv[
            "amount_remaining"]


def create_credit_note(call: Call) -> dict[str, Any]:
    state = call.state
    note, inv = _build(state, call.params)
    before = state.snapshot(inv)
    if note["type"] == "pre_payment":
        inv["pre_payment_credit_notes_amount"] += note["amount"]
        _set_due(state, inv, inv["amount_due"] - note["amount"])
    else:
        inv["post_payment_credit_notes_amount"] += note["amount"]
    state.add(note)
    emit(state, "credit_note.created", note)
    if inv["status"] != "paid" and inv["amount_remaining"] == 0:
        invoice_lifecycle.settle_by_credit(state, inv, before)
    else:
        emit(state, "invoice.updated", inv, changed(before, inv))
    return note


def preview_credit_note(call: Call) -> dict[str, Any]:
    note, _ = _build(call.state, call.params)
    return note


def void_credit_note(call: Call) -> dict[str, Any]:
    state = call.state
    note = state.get("credit_note", call.path["id"])
    if note["status"] == "void":
        raise bad_state(f"Credit note {note['id']} is already void.",
                        code="status_transition_invalid")
    inv = state.get("invoice", note["invoice"])
    if note["type"] == "pre_payment" and inv["status"] not in ("open", "uncollectible"):
        raise bad_state(f"Credit note {note['id']} lowered invoice {inv['id']}, which is "
                        f"{inv['status']} now; the note can no longer be voided.",
                        code="status_transition_invalid")
    before, before_inv = state.snapshot(note), state.snapshot(inv)
    note.update(status="void", voided_at=state.clock.now())
    if note["type"] == "pre_payment":
        inv["pre_payment_credit_notes_amount"] -= note["amount"]
        _set_due(state, inv, inv["amount_due"] + note["amount"])
    else:
        inv["post_payment_credit_notes_amount"] -= note["amount"]
    emit(state, "credit_note.voided", note, changed(before, note))
    emit(state, "invoice.updated", inv, changed(before_inv, inv))
    return note


def update_credit_note(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    note = state.get("credit_note", call.path["id"])
    before = state.snapshot(note)
    if params.has("memo"):
        note["memo"] = params.nullable_str("memo")
    note["metadata"] = merge_metadata(note["metadata"], params.raw("metadata"))
    previous = changed(before, note)
    if previous:
        emit(state, "credit_note.updated", note, previous)
    return note


def retrieve_credit_note(call: Call) -> dict[str, Any]:
    return call.state.get("credit_note", call.path["id"])


def list_credit_notes(call: Call) -> dict[str, Any]:
    params = call.params
    invoice, customer, bounds = (params.str("invoice"), params.str("customer"),
                                 created_filter(params))
    items = [n for n in call.state.newest_first("credit_note")
             if (invoice is None or n["invoice"] == invoice)
             and (customer is None or n["customer"] == customer)
             and in_range(n["created"], bounds)]
    return list_page(items, params, "/v1/credit_notes", "credit_note")


def list_lines(call: Call) -> dict[str, Any]:
    note = call.state.get("credit_note", call.path["credit_note"])
    return list_page(note["lines"]["data"], call.params,
                     f"/v1/credit_notes/{note['id']}/lines", "credit_note_line_item")


ENDPOINTS = [
    endpoint("POST", "/v1/credit_notes", create_credit_note, *CREATE_PARAMS),
    endpoint("GET", "/v1/credit_notes", list_credit_notes, *LIST_PARAMS, "invoice",
             "customer", "customer_account"),
    endpoint("GET", "/v1/credit_notes/preview", preview_credit_note, *CREATE_PARAMS),
    endpoint("GET", "/v1/credit_notes/{id}", retrieve_credit_note),
    endpoint("POST", "/v1/credit_notes/{id}", update_credit_note, "memo", "metadata"),
    endpoint("POST", "/v1/credit_notes/{id}/void", void_credit_note),
    endpoint("GET", "/v1/credit_notes/{credit_note}/lines", list_lines, "limit",
             "starting_after", "ending_before"),
]
