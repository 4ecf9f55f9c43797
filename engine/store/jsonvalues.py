"""JSON encoding that round-trips the values payloads really hold.

Money is `Decimal` throughout the engine, and an intent must be able to resend the exact
payload it first sent under its idempotency key, so `Decimal("10.10")` has to come back as
`Decimal("10.10")`, not `10.1` or a float. Decimals, dates and datetimes are written as
one-key tagged objects (`{"$decimal": "10.10"}`) and turned back into their types on read.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_DECIMAL, _DATETIME, _DATE = "$decimal", "$datetime", "$date"


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    if isinstance(value, datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} values cannot be stored as JSON")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        (key, text), = obj.items()
        if key == _DECIMAL and isinstance(text, str):
            return Decimal(text)
        if key == _DATETIME and isinstance(text, str):
            return datetime.fromisoformat(text)
        if key == _DATE and isinstance(text, str):
            return date.fromisoformat(text)
    return obj


def dumps(value: Any) -> str:
    """Compact, key-sorted JSON text of `value` (stable, so equal payloads give equal text)."""
    return json.dumps(value, default=_encode, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def loads(text: str) -> Any:
    """The value `dumps` wrote, with decimals, dates and datetimes restored."""
    return json.loads(text, object_hook=_decode)
