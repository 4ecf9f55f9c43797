"""JSON for QBO with money kept as `Decimal`, in both directions.

QBO money is JSON numbers with decimals. Parsed as floats, 0.1 + 0.2 would become
0.30000000000000004 and break the to-the-cent invariants; and the standard encoder cannot
write a `Decimal` as a bare number (a quoted "150.00" is not documented to be accepted), so
both directions live here, shared by the connector and the emulator.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def loads(raw: bytes | str) -> Any:
    """Parse JSON with every non-integer number as `Decimal`."""
    return json.loads(raw, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Serialise to compact JSON; `Decimal` becomes a bare number such as `150.00`."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, Decimal):
        out.append(decimal_text(value))
    elif isinstance(value, datetime | date):
        out.append(json.dumps(value.isoformat()))
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def decimal_text(value: Decimal) -> str:
    """A `Decimal` as a JSON number literal (never exponent notation, never NaN)."""
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return format(value, "f")
