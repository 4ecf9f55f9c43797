"""Invoice status changes: finalize, pay (by card or out of band), void, mark
uncollectible, send; and payments a customer makes online, in full or in part.

    draft --finalize--> open --pay--> paid
                        open --void--> void
                        open --mark_uncollectible--> uncollectible --pay/void--> ...

Finalizing assigns the number, fixes the amounts and creates the default InvoicePayment with
its PaymentIntent for the amount due. Each payment is an InvoicePayment; out-of-band
payments count in `amount_paid` (and `amount_paid_off_stripe`) without a Stripe payment.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import payments
from ml_connector.connectors.stripe.emulator.errors import StripeError, bad_state, invalid
from ml_connector.connectors.stripe.emulator.events import changed, emit
from ml_connector.connectors.stripe.emulator.objects import invoice_payment
from ml_connector.connectors.stripe.emulator.routing import Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState

DAY = 86400
HOSTED_PATH = "/_emulator/hosted_invoices/"


def _require(inv: dict[str, Any], *statuses: str) -> None:
    if inv["status"] not in statuses:
        raise bad_state(f"This invoice is {inv['status']}; the operation needs it to be "
                        f"{' or '.join(statuses)}.", code="invoice_not_editable"
                        if inv["status"] == "draft" else "status_transition_invalid")


def finalize(call: Call) -> dict[str, Any]:
    state = call.state
    inv = state.get("invoice", call.path["id"])
    _require(inv, "draft")
    if call.params.has("auto_advance"):
        inv["auto_advance"] = call.params.bool("auto_advance")
    finalize_invoice(state, inv)
    return inv


def finalize_invoice(state: EmulatorState, inv: dict[str, Any]) -> None:
    now = state.clock.now()
    extra = state.private_of(inv["id"])
    cust = state.get("customer", inv["customer"])
    if inv["number"] is None:
        inv["number"] = f"{cust['invoice_prefix']}-{cust['next_invoice_sequence']:04d}"
        cust["next_invoice_sequence"] += 1
    if inv["collection_method"] == "send_invoice" and inv["due_date"] is None:
        inv["due_date"] = now + DAY * int(extra.get("days_until_due") or 0)
    token = state.new_id("price")[6:]
    extra["hosted_token"] = token
    inv.update(status="open", effective_at=now, ending_balance=inv["starting_balance"],
               webhooks_delivered_at=inv["webhooks_delivered_at"] or now,
               hosted_invoice_url=hosted_url(state, token),
               invoice_pdf=f"https://pay.stripe.com/invoice/acct_emulator/{token}/pdf")
    inv["status_transitions"]["finalized_at"] = now
    if inv["amount_due"] == 0:
        _mark_paid(state, inv)
        emit(state, "invoice.finalized", inv)
        emit(state, "invoice.paid", inv)
        return
    pi = payments.new_intent(state, inv["amount_due"], inv["currency"], inv["customer"])
    inv["confirmation_secret"] = {"client_secret": pi["client_secret"],
                                  "type": "payment_intent"}
    default = invoice_payment(state, inv, inv["amount_due"],
                              {"type": "payment_intent", "payment_intent": pi["id"]},
                              is_default=True)
    state.add(default)
    extra["default_payment"] = default["id"]
    state.index_for_search(inv)
    emit(state, "invoice.finalized", inv)


def hosted_url(state: EmulatorState, token: str) -> str:
    """The hosted invoice page: on the emulator itself, where opening it shows the invoice
    and posting to it pays it (as a customer paying by card on Stripe's page would)."""
    base = state.request.base_url or "http://stripe-emulator.invalid"
    return f"{base}{HOSTED_PATH}{token}"


def by_hosted_token(state: EmulatorState, token: str) -> dict[str, Any]:
    for inv in state.objects["invoice"].values():
        if state.private_of(inv["id"]).get("hosted_token") == token:
            return inv
    raise StripeError(404, "No such invoice page.", code="resource_missing")


def _default_payment(state: EmulatorState, inv: dict[str, Any]) -> dict[str, Any] | None:
    payment_id = state.private_of(inv["id"]).get("default_payment")
    return state.objects["invoice_payment"].get(payment_id) if payment_id else None


def default_payment(state: EmulatorState, inv: dict[str, Any]) -> dict[str, Any] | None:
    """The invoice's open-for-the-whole-amount payment, made when it was finalized."""
    return _default_payment(state, inv)


def settle_by_credit(state: EmulatorState, inv: dict[str, Any],
                     before: dict[str, Any]) -> None:
    """Credit notes left nothing to pay: the invoice is paid without a payment."""
    _mark_paid(state, inv)
    _cancel_default(state, inv, "automatic")
    emit(state, "invoice.paid", inv, changed(before, inv))


def _mark_paid(state: EmulatorState, inv: dict[str, Any]) -> None:
    inv["status"] = "paid"
    inv["status_transitions"]["paid_at"] = state.clock.now()
    state.index_for_search(inv)


def _cancel_default(state: EmulatorState, inv: dict[str, Any], reason: str) -> None:
    default = _default_payment(state, inv)
    if default is None or default["status"] != "open":
        return
    default["status"] = "canceled"
    default["status_transitions"]["canceled_at"] = state.clock.now()
    pi = state.get("payment_intent", default["payment"]["payment_intent"])
    payments.cancel_intent(state, pi, reason)


def pay(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    inv = state.get("invoice", call.path["id"])
    _require(inv, "open", "uncollectible")
    if params.bool("paid_out_of_band", False):
        pay_out_of_band(state, inv)
        return inv
    method = params.str("payment_method") or params.str("source") or _customer_method(
        state, inv)
    pay_online(state, inv, inv["amount_remaining"], method)
    return inv


def _customer_method(state: EmulatorState, inv: dict[str, Any]) -> str:
    cust = state.get("customer", inv["customer"])
    method = inv["default_payment_method"] or cust["invoice_settings"]["default_payment_method"]
    if not method:
        raise invalid("This customer has no default payment method; pass `payment_method`, "
                      "or `paid_out_of_band=true` for a payment made outside Stripe.",
                      param="payment_method", saved=True)
    return str(method)


def pay_out_of_band(state: EmulatorState, inv: dict[str, Any]) -> None:
    """Record that the rest of the invoice was paid outside Stripe."""
    before = state.snapshot(inv)
    extra = state.private_of(inv["id"])
    extra["amount_paid_off_stripe"] = extra.get("amount_paid_off_stripe", 0) + inv[
        "amount_remaining"]
    inv.update(amount_paid=inv["amount_paid"] + inv["amount_remaining"], amount_remaining=0)
    _mark_paid(state, inv)
    _cancel_default(state, inv, "automatic")
    emit(state, "invoice.paid", inv, changed(before, inv))


def pay_online(state: EmulatorState, inv: dict[str, Any], amount: int,
               method: str) -> dict[str, Any]:
    """A card payment of `amount` towards the invoice; partial when below what is due."""
    if not 0 < amount <= inv["amount_remaining"]:
        raise invalid(f"The amount must be between 1 and the {inv['amount_remaining']} "
                      "that remains due.", param="amount")
    default = _default_payment(state, inv)
    full = amount == inv["amount_remaining"] and default is not None and default[
        "amount_requested"] == amount
    if full:
        target = default
        pi = state.get("payment_intent", default["payment"]["payment_intent"])
    else:
        pi = payments.new_intent(state, amount, inv["currency"], inv["customer"])
        target = state.add(invoice_payment(state, inv, amount, {
            "type": "payment_intent", "payment_intent": pi["id"]}, is_default=False))
    before = state.snapshot(inv)
    inv.update(attempted=True, attempt_count=inv["attempt_count"] + 1)
    try:
        payments.confirm(state, pi, method)
    except StripeError:
        if target is not default:
            target["status"] = "canceled"
            target["status_transitions"]["canceled_at"] = state.clock.now()
        emit(state, "invoice.payment_failed", inv, changed(before, inv))
        raise
    _apply_payment(state, inv, target, amount, before)
    return target


def _apply_payment(state: EmulatorState, inv: dict[str, Any], target: dict[str, Any],
                   amount: int, before: dict[str, Any]) -> None:
    now = state.clock.now()
    target.update(amount_paid=amount, status="paid")
    target["status_transitions"]["paid_at"] = now
    emit(state, "invoice_payment.paid", target)
    inv.update(amount_paid=inv["amount_paid"] + amount,
               amount_remaining=inv["amount_remaining"] - amount)
    default = _default_payment(state, inv)
    if inv["amount_remaining"] == 0:
        _mark_paid(state, inv)
        _cancel_default(state, inv, "automatic")
        emit(state, "invoice.payment_succeeded", inv, changed(before, inv))
        emit(state, "invoice.paid", inv, changed(before, inv))
        return
    if default is not None and default["status"] == "open":
        default["amount_requested"] = inv["amount_remaining"]
        state.get("payment_intent", default["payment"]["payment_intent"])["amount"] = inv[
            "amount_remaining"]
    emit(state, "invoice.updated", inv, changed(before, inv))


def void(call: Call) -> dict[str, Any]:
    state = call.state
    inv = state.get("invoice", call.path["id"])
    _require(inv, "open", "uncollectible")
    inv["status"] = "void"
    inv["status_transitions"]["voided_at"] = state.clock.now()
    _cancel_default(state, inv, "void_invoice")
    state.index_for_search(inv)
    emit(state, "invoice.voided", inv)
    return inv


def mark_uncollectible(call: Call) -> dict[str, Any]:
    state = call.state
    inv = state.get("invoice", call.path["id"])
    _require(inv, "open")
    inv["status"] = "uncollectible"
    inv["status_transitions"]["marked_uncollectible_at"] = state.clock.now()
    state.index_for_search(inv)
    emit(state, "invoice.marked_uncollectible", inv)
    return inv


def send(call: Call) -> dict[str, Any]:
    """Mail the invoice to the customer. Stripe shows no field for it: the mail and the
    `invoice.sent` event are all; the emulator keeps when it was sent (`sent_at`, private)
    so a test can tell. The status stays open; a paid invoice may be sent again too."""
    state = call.state
    inv = state.get("invoice", call.path["id"])
    _require(inv, "open", "paid", "uncollectible")
    state.private_of(inv["id"]).setdefault("sent_at", []).append(state.clock.now())
    emit(state, "invoice.sent", inv)
    return inv


ENDPOINTS = [
    endpoint("POST", "/v1/invoices/{id}/finalize", finalize, "auto_advance"),
    endpoint("POST", "/v1/invoices/{id}/pay", pay, "paid_out_of_band", "payment_method",
             "source", "forgive", "off_session"),
    endpoint("POST", "/v1/invoices/{id}/void", void),
    endpoint("POST", "/v1/invoices/{id}/mark_uncollectible", mark_uncollectible),
    endpoint("POST", "/v1/invoices/{id}/send", send),
]
