"""Writing customers: create with the engine's idempotency key, update, delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ml_connector.connectors.stripe.api import StripeApi
from ml_connector.connectors.stripe.clearing import (
    CUSTOMER_OBJECTS,
    CUSTOMER_TEXT,
    FieldPath,
    with_cleared,
)
from ml_connector.engine.errors import NotFoundError
from ml_connector.engine.records import Record


def _record(body: dict[str, Any], request_ids: tuple[str, ...], *,
            deleted: bool = False) -> Record:
    return Record("customer", str(body["id"]), body, deleted=deleted, request_ids=request_ids)


def create(api: StripeApi, payload: Mapping[str, Any], key: str) -> Record:
    reply = api.post("/v1/customers", payload, idempotency_key=key)
    return _record(reply.body, reply.request_ids)


def update(api: StripeApi, customer_id: str, payload: Mapping[str, Any],
           clear: Sequence[FieldPath] = ()) -> Record:
    """Send the payload, with the fields it no longer sets unset (see `clearing`)."""
    params = with_cleared(payload, clear, text=CUSTOMER_TEXT, objects=CUSTOMER_OBJECTS)
    reply = api.post(f"/v1/customers/{customer_id}", params)
    return _record(reply.body, reply.request_ids)


def remove(api: StripeApi, customer_id: str) -> Record | None:
    reply = api.get_or_none(f"/v1/customers/{customer_id}")
    if reply is None:
        return None
    try:
        gone = api.delete(f"/v1/customers/{customer_id}").request_ids
    except NotFoundError:  # deleted by an earlier attempt whose answer was lost
        gone = ()
    return _record(reply.body, reply.request_ids + gone, deleted=True)
