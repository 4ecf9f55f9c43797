"""Writing customers: create with the engine's idempotency key, update, deactivate, delete.

A Stripe customer has no active flag. Deactivating one marks it in metadata
(`qbo_active: "false"` and when), so the dashboard shows it while its invoices, subscriptions
and saved cards stay; the next update of a customer active again at the source clears the
marks. A merged customer is marked with the QuickBooks id it was merged into.

Deleting a customer in Stripe cancels its subscriptions and drops its saved payment
methods, so a customer holding invoices, subscriptions or payment methods is never deleted:
`remove` refuses with `RemovalRefused`, whatever the pipeline asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ml_connector.connectors.stripe.api import StripeApi
from ml_connector.connectors.stripe.clearing import (
    CUSTOMER_OBJECTS,
    CUSTOMER_TEXT,
    FieldPath,
    with_cleared,
)
from ml_connector.engine.errors import NotFoundError, PermanentError, RemovalRefused
from ml_connector.engine.records import Record

ACTIVE = "qbo_active"
DEACTIVATED_AT = "qbo_deactivated_at"
MERGED_INTO = "qbo_merged_into"
MERGED_AT = "qbo_merged_at"
DEACTIVATION_MARKS = (ACTIVE, DEACTIVATED_AT)
REMOVE_MODES = ("deactivate", "delete")

# What a customer may hold that a delete would destroy, and where Stripe lists it.
HOLDINGS = (("invoices", "/v1/invoices", {"customer": None}),
            ("subscriptions", "/v1/subscriptions", {"customer": None, "status": "all"}),
            ("saved payment methods", "/v1/customers/{id}/payment_methods", {}))


def _record(body: dict[str, Any], request_ids: tuple[str, ...], *,
            deleted: bool = False) -> Record:
    return Record("customer", str(body["id"]), body, deleted=deleted, request_ids=request_ids)


def create(api: StripeApi, payload: Mapping[str, Any], key: str) -> Record:
    reply = api.post("/v1/customers", payload, idempotency_key=key)
    return _record(reply.body, reply.request_ids)


def update(api: StripeApi, customer_id: str, payload: Mapping[str, Any],
           clear: Sequence[FieldPath] = ()) -> Record:
    """Send the payload, with the fields it no longer sets unset (see `clearing`).

    A customer still marked deactivated is active again (the engine only updates a
    customer whose source record is live): its marks are cleared too.
    """
    params = with_cleared(payload, clear, text=CUSTOMER_TEXT, objects=CUSTOMER_OBJECTS)
    reply = api.post(f"/v1/customers/{customer_id}", params)
    set_here = payload.get("metadata") or {}
    marks = [k for k in DEACTIVATION_MARKS
             if (reply.body.get("metadata") or {}).get(k) and k not in set_here]
    if not marks:
        return _record(reply.body, reply.request_ids)
    cleared = api.post(f"/v1/customers/{customer_id}", {"metadata": dict.fromkeys(marks, "")})
    return _record(cleared.body, reply.request_ids + cleared.request_ids)


def remove(api: StripeApi, customer_id: str, mode: str) -> Record | None:
    """Deactivate (metadata marks) or delete, as `mode`; None when it is already gone."""
    if mode not in REMOVE_MODES:
        raise PermanentError(f"Stripe customers can be deactivated or deleted, not {mode!r}")
    reply = api.get_or_none(f"/v1/customers/{customer_id}")
    if reply is None:
        return None
    if mode == "deactivate":
        return _mark(api, customer_id, {ACTIVE: "false", DEACTIVATED_AT: _now()},
                     reply.request_ids)
    held = holdings(api, customer_id)
    if held:
        raise RemovalRefused(f"Stripe customer {customer_id} has {' and '.join(held)}; "
                             "deleting it would cancel or drop them, so it is not deleted")
    try:
        gone = api.delete(f"/v1/customers/{customer_id}").request_ids
    except NotFoundError:  # deleted by an earlier attempt whose answer was lost
        gone = ()
    return _record(reply.body, reply.request_ids + gone, deleted=True)


def mark_merged(api: StripeApi, customer_id: str, survivor_source_id: str) -> Record | None:
    """Mark a customer whose source record was merged away; it is kept, never deleted."""
    if api.get_or_none(f"/v1/customers/{customer_id}") is None:
        return None
    return _mark(api, customer_id, {ACTIVE: "false", MERGED_INTO: survivor_source_id,
                                    MERGED_AT: _now()}, ())


def holdings(api: StripeApi, customer_id: str) -> list[str]:
    """What of `HOLDINGS` the customer has: one `limit=1` list request each."""
    found = []
    for label, path, params in HOLDINGS:
        query = {**{k: v or customer_id for k, v in params.items()}, "limit": 1}
        if api.get(path.format(id=customer_id), query).body.get("data"):
            found.append(label)
    return found


def _mark(api: StripeApi, customer_id: str, marks: Mapping[str, str],
          request_ids: tuple[str, ...]) -> Record:
    reply = api.post(f"/v1/customers/{customer_id}", {"metadata": dict(marks)})
    return _record(reply.body, request_ids + reply.request_ids)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
