"""Money movement: a PaymentIntent charges a card, a Charge and its BalanceTransaction
appear, and the processing fee is taken.

Shared by invoice payments (pay, the customer-pays helper) and direct PaymentIntents, so
a payment looks the same whichever way it was made. Events follow the order Stripe uses:
the charge first, then the PaymentIntent.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.cards import TestCard, card_for
from ml_connector.connectors.stripe.emulator.errors import StripeError
from ml_connector.connectors.stripe.emulator.events import emit
from ml_connector.connectors.stripe.emulator.money import processing_fee
from ml_connector.connectors.stripe.emulator.state import EmulatorState

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
}


def confirm(state: EmulatorState, pi: dict[str, Any], payment_method: str) -> dict[str, Any]:
    """Charge `pi` with a test card; on a decline raise Stripe's 402 `card_error`."""
    card = card_for(payment_method)
    pi["payment_method"] = payment_method
    ch = objects.charge(state, pi, payment_method=payment_method,
                        payment_method_details=objects.card_details(card.as_dict(),
                                                                    pi["amount"]))
    state.add(ch)
    pi["latest_charge"] = ch["id"]
    if card.decline_code:
        _decline(state, pi, ch, card)
    _succeed(state, pi, ch)
    return ch


def _succeed(state: EmulatorState, pi: dict[str, Any], ch: dict[str, Any]) -> None:
    fee = processing_fee(ch["amount"], ch["currency"], state.options.fee_percent,
                         state.options.fee_fixed)
    txn = objects.balance_transaction(
        state, amount=ch["amount"], fee=fee, currency=ch["currency"], source=ch["id"],
        kind="charge", category="charge", description=ch["description"])
    state.add(txn)
    ch.update(amount_captured=ch["amount"], balance_transaction=txn["id"], captured=True,
              outcome=objects.outcome(True), paid=True, status="succeeded",
              receipt_url=f"https://pay.stripe.com/receipts/payment/{ch['id']}")
    pi.update(amount_received=pi["amount"], status="succeeded", last_payment_error=None)
    emit(state, "charge.succeeded", ch)
    emit(state, "payment_intent.succeeded", pi)


def _decline(state: EmulatorState, pi: dict[str, Any], ch: dict[str, Any],
             card: TestCard) -> None:
    code = card.decline_code or "generic_decline"
    message = DECLINE_MESSAGES.get(code, "Your card was declined.")
    failure = "expired_card" if code == "expired_card" else "card_declined"
    ch.update(failure_code=failure, failure_message=message, status="failed",
              outcome=objects.outcome(False, code))
    error = {"charge": ch["id"], "code": failure, "decline_code": code,
             "doc_url": f"https://stripe.com/docs/error-codes/{failure.replace('_', '-')}",
             "message": message, "payment_method_type": "card", "type": "card_error",
             "advice_code": None, "network_advice_code": None, "network_decline_code": None,
             "param": None, "payment_method": None, "request_log_url": None,
             "source": None}
    pi.update(status="requires_payment_method", last_payment_error=error,
              payment_method=None)
    emit(state, "charge.failed", ch)
    emit(state, "payment_intent.payment_failed", pi)
    raise StripeError(402, message, type="card_error", code=failure, saved=True,
                      extra={"decline_code": code, "charge": ch["id"],
                             "payment_intent": pi["id"]})


def new_intent(state: EmulatorState, amount: int, currency: str,
               customer_id: str | None, **fields: Any) -> dict[str, Any]:
    pi = state.add(objects.payment_intent(state, amount, currency, customer_id, **fields))
    emit(state, "payment_intent.created", pi)
    return pi


def cancel_intent(state: EmulatorState, pi: dict[str, Any], reason: str) -> None:
    if pi["status"] in ("succeeded", "canceled"):
        return
    pi.update(status="canceled", canceled_at=state.clock.now(), cancellation_reason=reason)
    emit(state, "payment_intent.canceled", pi)
