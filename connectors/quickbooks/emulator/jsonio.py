"""JSON in and out with money kept as `Decimal`.

QBO money is JSON numbers with decimals. Parsing them as floats would turn 0.1 + 0.2 into
0.30000000000000004 and break the to-the-cent invariants, and the standard encoder cannot
write a `Decimal` as a bare number, so both directions live here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from starlette.responses import Response


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
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def decimal_text(value: Decimal) -> str:
    """A `Decimal` as a JSON number literal (never exponent notation, never NaN)."""
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return format(value, "f")


class QboJSONResponse(Response):
    """A JSON response written with `dumps`, so amounts stay exact on the wire."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")
