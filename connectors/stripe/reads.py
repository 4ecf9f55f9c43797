"""Reading Stripe objects as engine records: by id, by match field, all of them.

Reads ask for the entity's expansions, and refunds, disputes and PaymentIntents gain a
`related` object naming the invoice payment and invoice they undo or paid (found through the
PaymentIntent), so a pipeline can reach the QBO records without extra lookups of its own,
and can tell a payment made outside any invoice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ml_connector.connectors.stripe.api import StripeApi
from ml_connector.connectors.stripe.spec import StripeEntity, entity
from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.records import Record

ENRICHED = frozenset({"refund", "dispute", "payment_intent"})
MAX_EXPAND_DEPTH = 4  # Stripe expands at most four levels, `data.` of a list included


def search_literal(value: Any) -> str:
    """A value quoted for Stripe's search language."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


class Reader:
    def __init__(self, api: StripeApi):
        self.api = api

    def _params(self, ent: StripeEntity) -> dict[str, Any]:
        return {"expand": list(ent.expand)} if ent.expand else {}

    def record(self, ent: StripeEntity, obj: dict[str, Any],
               request_ids: tuple[str, ...] = ()) -> Record:
        if ent.name in ENRICHED:
            intent = obj["id"] if ent.name == "payment_intent" else obj.get("payment_intent")
            obj = {**obj, "related": self.related(intent)}
        return Record(ent.name, str(obj["id"]), obj, request_ids=request_ids)

    def related(self, payment_intent: Any) -> dict[str, str | None]:
        """The invoice payment (and invoice) a PaymentIntent paid, if any."""
        if isinstance(payment_intent, dict):
            payment_intent = payment_intent.get("id")
        if not payment_intent:
            return {"invoice_payment": None, "invoice": None}
        found = self.api.get("/v1/invoice_payments", {
            "payment": {"type": "payment_intent", "payment_intent": payment_intent},
            "status": "paid", "limit": 1}).body.get("data") or []
        if not found:
            return {"invoice_payment": None, "invoice": None}
        return {"invoice_payment": found[0]["id"], "invoice": found[0]["invoice"]}

    def get(self, name: str, record_id: str) -> Record | None:
        ent = entity(name)
        reply = self.api.get_or_none(ent.object_path(record_id), self._params(ent))
        if reply is None:
            return None
        return self.record(ent, reply.body, reply.request_ids)

    def find(self, name: str, field: str, value: Any) -> list[Record]:
        """Live records only: a voided invoice is history, never a match for a new one."""
        return [r for r in self._find(name, field, value) if r.data.get("status") != "void"]

    def _find(self, name: str, field: str, value: Any) -> list[Record]:
        ent = entity(name)
        if field == "id":
            found = self.get(name, str(value))
            return [found] if found else []
        if field in ent.list_filters:
            return [r for page in self.pages(ent, {field: value}) for r in page]
        if ent.search_path is None and field.startswith("metadata."):
            key = field.split(".", 1)[1]  # no search: the list, compared here
            return [r for page in self.pages(ent) for r in page
                    if (r.data.get("metadata") or {}).get(key) == str(value)]
        if ent.search_path is None:
            raise InvalidInput(f"Stripe {name} records cannot be found by {field!r}; "
                               f"use one of: {', '.join(sorted(ent.spec.match_fields))}")
        return [self.record(ent, obj) for obj in self.api.search(ent.search_path,
                                                                 _query(field, value))]

    def pages(self, ent: StripeEntity, filters: dict[str, Any] | None = None
              ) -> Iterator[list[Record]]:
        """Every object of the entity, newest first, a page of records at a time."""
        nested = [f"data.{path}" for path in ent.expand]
        deep = any(path.count(".") >= MAX_EXPAND_DEPTH for path in nested)
        params = {**({"expand": nested} if nested and not deep else {}), **(filters or {})}
        for page in self.api.list_all(ent.path, params):
            if deep:  # a list cannot expand that far: read each object on its own
                found = (self.get(ent.name, obj["id"]) for obj in page.body["data"])
                yield [record for record in found if record is not None]
            else:
                yield [self.record(ent, obj, page.request_ids) for obj in page.body["data"]]


def _query(field: str, value: Any) -> str:
    if field.startswith("metadata."):
        key = field.split(".", 1)[1]
        return f"metadata[{search_literal(key)}]:{search_literal(value)}"
    return f"{field}:{search_literal(value)}"
