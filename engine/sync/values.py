"""Comparing a rendered value with what a system holds, and showing either to a person.

Systems spell the same value differently: an amount goes out as `Decimal("30.00")` and
comes back as `30`, `30.0` or the text "30.00" (metadata holds only text); an emptied field
comes back as null. `same_value` treats those as equal and nothing else, so `reconcile`
and `pipeline plan` report real differences only. `readable` shows a value as plain text
(numbers as written, text in double quotes), never as a Python repr.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$")
SHOWN_TEXT = 80
SHOWN_ITEMS = 5


def same_value(want: Any, have: Any) -> bool:
    """Whether two leaf values say the same thing, whatever type each system gave them."""
    if _empty(want) or _empty(have):
        return _empty(want) and _empty(have)
    if isinstance(want, bool) or isinstance(have, bool):
        return _as_bool(want) is not None and _as_bool(want) == _as_bool(have)
    if isinstance(want, str) and isinstance(have, str):
        return want == have
    numbers = _as_number(want), _as_number(have)
    if None not in numbers:
        return numbers[0] == numbers[1]
    return want == have or str(want) == str(have)


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and _NUMBER.match(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def readable(value: Any) -> str:
    """`value` as a person reads it: `30.00`, `"Acme Ltd"`, `true`, `(none)`, `{city: "Leeds"}`."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        shown = [f"{key}: {readable(item)}" for key, item in list(value.items())[:SHOWN_ITEMS]]
        return "{" + ", ".join(shown) + (", …" if len(value) > SHOWN_ITEMS else "") + "}"
    if isinstance(value, list | tuple):
        if len(value) > SHOWN_ITEMS or any(isinstance(v, Mapping) for v in value):
            return f"[{len(value)} item{'' if len(value) == 1 else 's'}]"
        return "[" + ", ".join(readable(item) for item in value) + "]"
    return _text(str(value))


def _text(text: str) -> str:
    flat = text.replace("\r\n", "\n").replace("\n", "⏎")
    if len(flat) > SHOWN_TEXT:
        flat = flat[:SHOWN_TEXT - 1] + "…"
    return f'"{flat}"'
