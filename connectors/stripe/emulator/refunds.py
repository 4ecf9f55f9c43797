"""Refunds: money back to the customer for all or part of a charge.

A refund takes the amount out of the balance (a `refund` BalanceTransaction, no fee returned)
and raises the charge's `amount_refunded`. Stripe can fail a refund after creating it; the
emulator helper `POST /_emulator/refunds/{id}/fail` plays that, with the reversal it causes.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.errors import bad_state, invalid
from ml_connector.connectors.stripe.emulator.events import changed, emit
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.params import created_filter, in_range, merge_metadata
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def refund_charge(state: EmulatorState, ch: dict[str, Any], amount: int | None,
                  reason: str | None = None,
                  metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """Refund `amount` (default: all that is left) of a succeeded charge."""
    left = ch["amount_captured"] - ch["amount_refunded"]
    if ch["status"] != "succeeded":
        raise bad_state(f"Charge {ch['id']} has not succeeded; nothing to refund.",
                        code="charge_not_refundable")
    if ch["disputed"]:
        raise bad_state(f"Charge {ch['id']} is disputed.", code="charge_disputed")
    amount = left if amount is None else amount
    if left == 0:
        raise bad_state(f"Charge {ch['id']} has already been refunded.",
                        code="charge_already_refunded")
    if not 0 < amount <= left:
        raise invalid(f"Refund amount ({amount}) is greater than unrefunded amount on "
                      f"charge ({left})", param="amount", saved=True)
    ref = state.add(objects.refund(state, ch, amount, reason=reason,
                                   metadata=metadata or {}))
    txn = state.add(objects.balance_transaction(
        state, amount=-amount, fee=0, currency=ch["currency"], source=ref["id"],
        kind="refund", category="refund", description="REFUND FOR CHARGE"))
    ref["balance_transaction"] = txn["id"]
    before = state.snapshot(ch)
    ch.update(amount_refunded=ch["amount_refunded"] + amount,
              refunded=ch["amount_refunded"] + amount == ch["amount_captured"])
    emit(state, "refund.created", ref)
    emit(state, "charge.refunded", ch, changed(before, ch))
    return ref


def _charge_for(state: EmulatorState, charge_id: str | None,
                intent_id: str | None) -> dict[str, Any]:
    if bool(charge_id) == bool(intent_id):
        raise invalid("Pass exactly one of `charge` or `payment_intent`.", param="charge")
    if charge_id:
        return state.get("charge", charge_id, param="charge")
    pi = state.get("payment_intent", str(intent_id), param="payment_intent")
    if not pi["latest_charge"]:
        raise bad_state(f"PaymentIntent {pi['id']} has no successful charge to refund.",
                        code="charge_not_refundable")
    return state.get("charge", pi["latest_charge"])


def create_refund(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    ch = _charge_for(state, params.str("charge"), params.str("payment_intent"))
    return refund_charge(state, ch, params.int("amount"), params.enum("reason", REASONS),
                         merge_metadata({}, params.raw("metadata")))


def fail_refund(state: EmulatorState, ref: dict[str, Any], reason: str) -> dict[str, Any]:
    """The bank returned the refund: money goes back into the balance."""
    if ref["status"] not in ("succeeded", "pending"):
        raise bad_state(f"Refund {ref['id']} is {ref['status']}.", code="status_transition_invalid")
    ch = state.get("charge", ref["charge"])
    txn = state.add(objects.balance_transaction(
        state, amount=ref["amount"], fee=0, currency=ref["currency"], source=ref["id"],
        kind="refund_failure", category="refund_failure", description="REFUND FAILURE"))
    before = state.snapshot(ref)
    ref.update(status="failed", failure_reason=reason, failure_balance_transaction=txn["id"])
    ch.update(amount_refunded=ch["amount_refunded"] - ref["amount"], refunded=False)
    emit(state, "refund.failed", ref, changed(before, ref))
    emit(state, "refund.updated", ref, changed(before, ref))
    emit(state, "charge.refund.updated", ref, changed(before, ref))
    return ref


def update_refund(call: Call) -> dict[str, Any]:
    state = call.state
    ref = state.get("refund", call.path["id"])
    before = state.snapshot(ref)
    ref["metadata"] = merge_metadata(ref["metadata"], call.params.raw("metadata"))
    previous = changed(before, ref)
    if previous:
        emit(state, "refund.updated", ref, previous)
    return ref


def retrieve_refund(call: Call) -> dict[str, Any]:
    return call.state.get("refund", call.path["id"])


def list_refunds(call: Call) -> dict[str, Any]:
    params = call.params
    charge, intent, bounds = (params.str("charge"), params.str("payment_intent"),
                              created_filter(params))
    items = [r for r in call.state.newest_first("refund")
             if (charge is None or r["charge"] == charge)
             and (intent is None or r["payment_intent"] == intent)
             and in_range(r["created"], bounds)]
    return list_page(items, params, "/v1/refunds", "refund")


ENDPOINTS = [
    endpoint("POST", "/v1/refunds", create_refund, "charge", "payment_intent", "amount",
             "reason", "metadata"),
    endpoint("GET", "/v1/refunds", list_refunds, *LIST_PARAMS, "charge", "payment_intent"),
    endpoint("GET", "/v1/refunds/{id}", retrieve_refund),
    endpoint("POST", "/v1/refunds/{id}", update_refund, "metadata"),
]
