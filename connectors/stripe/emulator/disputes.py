"""Disputes (chargebacks): the customer's bank takes the money back, then decides.

Opening a dispute withdraws the amount plus a dispute fee (one BalanceTransaction); winning
it reinstates the amount (a second one); losing it, or accepting it with
`POST /v1/disputes/{id}/close`, keeps the money withdrawn. Disputes are opened and decided
by the customer's bank, so the emulator drives them through helper routes.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.stripe.emulator import objects
from ml_connector.connectors.stripe.emulator.errors import bad_state, invalid
from ml_connector.connectors.stripe.emulator.events import changed, emit
from ml_connector.connectors.stripe.emulator.money import exponent
from ml_connector.connectors.stripe.emulator.pagination import list_page
from ml_connector.connectors.stripe.emulator.params import created_filter, in_range, merge_metadata
from ml_connector.connectors.stripe.emulator.routing import LIST_PARAMS, Call, endpoint
from ml_connector.connectors.stripe.emulator.state import EmulatorState

REASONS = ("bank_cannot_process", "check_returned", "credit_not_processed",
           "customer_initiated", "debit_not_authorized", "duplicate", "fraudulent", "general",
           "incorrect_account_details", "insufficient_funds", "product_not_received",
           "product_unacceptable", "subscription_canceled", "unrecognized")
OPEN_STATUSES = ("needs_response", "under_review", "warning_needs_response",
                 "warning_under_review")
EVIDENCE_DAYS = 7 * 86400


def dispute_fee(state: EmulatorState, currency: str) -> int:
    scale = exponent(currency)
    return state.options.dispute_fee if scale == 0 else state.options.dispute_fee * 10 ** (
        scale - 2)


def open_dispute(state: EmulatorState, ch: dict[str, Any], amount: int | None,
                 reason: str) -> dict[str, Any]:
    if ch["status"] != "succeeded" or ch["disputed"]:
        raise bad_state(f"Charge {ch['id']} cannot be disputed.", code="charge_disputed")
    if reason not in REASONS:
        raise invalid(f"Invalid reason: must be one of {', '.join(REASONS)}", param="reason")
    amount = ch["amount"] if amount is None else amount
    dp = state.add(objects.dispute(state, ch, amount, reason,
                                   state.clock.now() + EVIDENCE_DAYS))
    txn = state.add(objects.balance_transaction(
        state, amount=-amount, fee=dispute_fee(state, ch["currency"]), currency=ch["currency"],
        source=dp["id"], kind="adjustment", category="dispute",
        description=f"Chargeback withdrawal for {ch['id']}"))
    dp["balance_transactions"] = [state.snapshot(txn)]
    ch["disputed"] = True
    state.private_of(ch["id"])["dispute"] = dp["id"]
    emit(state, "charge.dispute.created", dp)
    emit(state, "charge.dispute.funds_withdrawn", dp)
    return dp


def close_dispute(state: EmulatorState, dp: dict[str, Any], outcome: str) -> dict[str, Any]:
    """The bank's decision: `won` reinstates the funds, `lost` keeps them withdrawn."""
    if dp["status"] not in OPEN_STATUSES:
        raise bad_state(f"Dispute {dp['id']} is already {dp['status']}.",
                        code="status_transition_invalid")
    if outcome not in ("won", "lost"):
        raise invalid("outcome must be `won` or `lost`", param="outcome")
    before = state.snapshot(dp)
    dp["status"] = outcome
    if outcome == "won":
        txn = state.add(objects.balance_transaction(
            state, amount=dp["amount"], fee=0, currency=dp["currency"], source=dp["id"],
            kind="adjustment", category="dispute_reversal",
            description=f"Chargeback reversal for {dp['charge']}"))
        dp["balance_transactions"].append(state.snapshot(txn))
        emit(state, "charge.dispute.funds_reinstated", dp, changed(before, dp))
    emit(state, "charge.dispute.closed", dp, changed(before, dp))
    return dp


def accept_dispute(call: Call) -> dict[str, Any]:
    return close_dispute(call.state, call.state.get("dispute", call.path["id"]), "lost")


def update_dispute(call: Call) -> dict[str, Any]:
    state, params = call.state, call.params
    dp = state.get("dispute", call.path["id"])
    if dp["status"] not in OPEN_STATUSES:
        raise bad_state(f"Dispute {dp['id']} is {dp['status']} and can no longer change.",
                        code="status_transition_invalid")
    before = state.snapshot(dp)
    dp["metadata"] = merge_metadata(dp["metadata"], params.raw("metadata"))
    evidence = params.dict("evidence") or {}
    unknown = set(evidence) - set(dp["evidence"])
    if unknown:
        raise invalid(f"Received unknown parameter: evidence[{sorted(unknown)[0]}]",
                      param="evidence", code="parameter_unknown")
    dp["evidence"].update(evidence)
    dp["evidence_details"]["has_evidence"] = any(
        v for k, v in dp["evidence"].items() if k != "enhanced_evidence")
    if params.bool("submit", True) and evidence:
        dp["status"] = "under_review"
        dp["evidence_details"]["submission_count"] += 1
        dp["evidence_details"]["submission_method"] = "manual"
    previous = changed(before, dp)
    if previous:
        emit(state, "charge.dispute.updated", dp, previous)
    return dp


def retrieve_dispute(call: Call) -> dict[str, Any]:
    return call.state.get("dispute", call.path["id"])


def list_disputes(call: Call) -> dict[str, Any]:
    params = call.params
    charge, intent, bounds = (params.str("charge"), params.str("payment_intent"),
                              created_filter(params))
    items = [d for d in call.state.newest_first("dispute")
             if (charge is None or d["charge"] == charge)
             and (intent is None or d["payment_intent"] == intent)
             and in_range(d["created"], bounds)]
    return list_page(items, params, "/v1/disputes", "dispute")


ENDPOINTS = [
    endpoint("GET", "/v1/disputes", list_disputes, *LIST_PARAMS, "charge", "payment_intent"),
    endpoint("GET", "/v1/disputes/{id}", retrieve_dispute),
    endpoint("POST", "/v1/disputes/{id}", update_dispute, "evidence", "metadata", "submit"),
    endpoint("POST", "/v1/disputes/{id}/close", accept_dispute),
]
