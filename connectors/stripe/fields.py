"""The fields of the Stripe objects the connector reads and of the requests it sends.

`fields.json` is generated from the official `stripe` package for the pinned API version
(`tests/stripe/regenerate_stripe_fields.py` writes it, and a test fails when it no longer
agrees with the installed package); it says how the file encodes a field. This module turns
it into what the engine checks pipelines against:

- a record is the object as a read returns it: an expandable field is an id unless the
  entity's reads expand it (then it is the object, with what that expands in turn), and
  refunds, disputes and PaymentIntents carry the connector's own `related`;
- a payload may carry any parameter of the create or the update request, and an invoice
  payload the connector's own `lines`, `total`, `finalize`, `paid_out_of_band` and
  `amount_owed`, each line a parameter set of the invoice item it becomes.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ml_connector.connectors.stripe.invoices import CONTROL
from ml_connector.connectors.stripe.reads import ENRICHED
from ml_connector.connectors.stripe.spec import StripeEntity
from ml_connector.engine import OPEN, VALUE, Fields, ListOf, Value

Shape = Value | Fields | ListOf
Expansions = dict[str, Any]  # field name -> what is expanded inside it

RELATED = Fields.of("invoice_payment", "invoice")


@cache
def _data() -> dict[str, Any]:
    text = resources.files("ml_connector.connectors.stripe").joinpath(
        "fields.json").read_text(encoding="utf-8")
    return json.loads(text)


def record_fields(ent: StripeEntity) -> Fields:
    """What a record of `ent` holds, as the connector reads it."""
    found = _Decoder().described(_data()["entities"][ent.name], expansions(ent.expand))
    return found.extended(related=RELATED) if ent.name in ENRICHED else found


def payload_fields(name: str) -> Fields | None:
    """What a payload written to entity `name` may carry; None for read-only entities."""
    requests = _data()["requests"]
    if name not in requests:
        return None
    decoder = _Decoder()
    accepted = merged_fields([decoder.parameters(call) for call in requests[name].values()])
    if name != "invoice":
        return accepted
    line = merged_fields([decoder.parameters(call)
                          for call in requests["invoice_line"].values()])
    own = Fields({**{key: VALUE for key in CONTROL}, "lines": ListOf(line)})
    return merged_fields([accepted, own])


def expansions(paths: tuple[str, ...]) -> Expansions:
    """`("charge", "payment.payment_intent")` as a tree of field names."""
    tree: Expansions = {}
    for path in paths:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


class _Decoder:
    """Shapes from the file's encoding; an object is described once per place it sits."""

    def __init__(self) -> None:
        self.visiting: set[str] = set()

    def shape(self, encoded: Any, expanded: Expansions | None) -> Shape:
        """`expanded` is None for a value the read leaves as it is, else what it expands."""
        if encoded is None:
            return VALUE
        if "fields" in encoded:
            return self.parameters(encoded, expanded)
        if "list" in encoded:
            return ListOf(self.shape(encoded["list"], expanded))
        if "object" in encoded:
            return self._object(encoded["object"], expanded)
        if "expandable" in encoded:
            if expanded is None:
                return VALUE
            return _merged([self._object(name, expanded) for name in encoded["expandable"]])
        if "any_of" in encoded:
            return _merged([self.shape(arm, expanded) for arm in encoded["any_of"]])
        return OPEN

    def _object(self, name: str, expanded: Expansions | None) -> Shape:
        if name not in _data()["objects"] or name in self.visiting:  # unknown, or in itself
            return OPEN
        return self.described(name, expanded or {})

    def described(self, name: str, expanded: Expansions) -> Fields:
        """The object `name` of the file's `objects`, with what `expanded` says is expanded."""
        self.visiting.add(name)
        try:
            return self.parameters(_data()["objects"][name], expanded)
        finally:
            self.visiting.discard(name)

    def parameters(self, encoded: dict[str, Any], expanded: Expansions | None = None
                   ) -> Fields:
        """An encoded object's fields (a request's parameters, an object's fields)."""
        inside = expanded or {}
        return Fields({name: self.shape(value, inside.get(name))
                       for name, value in encoded["fields"].items()})


def _merged(shapes: list[Shape]) -> Shape:
    """One shape taking what any of `shapes` takes (an object that is one of several)."""
    if len(shapes) == 1:
        return shapes[0]
    fields = [s for s in shapes if isinstance(s, Fields)]
    return merged_fields(fields) if len(fields) == len(shapes) else VALUE


def merged_fields(objects: list[Fields]) -> Fields:
    """The fields of any of `objects` (an object that may be one of several)."""
    named: dict[str, list[Shape]] = {}
    for found in objects:
        for key, value in found.named.items():
            named.setdefault(key, []).append(value)
    return Fields({key: _merged(values) for key, values in named.items()},
                  open=any(found.open for found in objects))
