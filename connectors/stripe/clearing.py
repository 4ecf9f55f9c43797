"""Clearing fields a mapping no longer writes: Stripe unsets a parameter sent empty.

The engine names the fields its last payload set and this one does not. Stripe's API
description accepts an empty string on update for each field cleared here: a metadata key
(`metadata[key]=`; never `metadata=`, which would also remove keys others set), a text field
such as `description` (`description=`), an address (`address=`) or one of its lines
(`address[line2]=`). Other fields (amounts, dates, the invoice's control keys) are left as
they are: the engine sees them kept in the answer, and `reconcile` reports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ml_connector.engine import FieldPath, holds

CUSTOMER_TEXT = ("name", "email", "phone", "description")
CUSTOMER_OBJECTS = ("address",)
INVOICE_TEXT = ("description", "footer")


def clearable(path: FieldPath, *, text: Sequence[str], objects: Sequence[str] = ()) -> bool:
    """Whether `with_cleared` unsets this field: the one rule for the request and for
    what the connector says it clears."""
    head, *rest = path
    return ((head == "metadata" and len(rest) == 1) or (not rest and head in text)
            or (head in objects and len(rest) <= 1))


def with_cleared(params: Mapping[str, Any], clear: Sequence[FieldPath], *,
                 text: Sequence[str], objects: Sequence[str] = ()) -> dict[str, Any]:
    """`params` plus an empty value for every field of `clear` Stripe can unset."""
    out = {key: dict(value) if isinstance(value, Mapping) else value
           for key, value in params.items()}
    for head, *rest in clear:
        if head == "metadata" and len(rest) == 1:
            metadata = out.get("metadata")
            if metadata is None:
                metadata = out["metadata"] = {}
            if isinstance(metadata, dict):
                metadata[rest[0]] = ""
        elif not rest and head in text:
            out[head] = ""
        elif head in objects:
            if out.get(head) is None:
                out[head] = ""          # the whole object is gone from the payload
            elif isinstance(out[head], dict) and len(rest) == 1:
                out[head][rest[0]] = ""
    return out


def clears_held(current: Mapping[str, Any], clear: Sequence[FieldPath], *,
                text: Sequence[str]) -> dict[str, Any]:
    """The empty values that unset what `current` still holds (nothing to send otherwise)."""
    held = [path for path in clear if holds(current, path)]
    return with_cleared({}, held, text=text)
