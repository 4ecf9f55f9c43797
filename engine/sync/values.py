"""Comparing a rendered value with what a system holds, and showing either to a person.

Systems spell the same value differently: an amount goes out as `Decimal("30.00")` and
comes back as `30`, `30.0` or the text "30.00" (metadata holds only text); an emptied field
comes back as null. `same_value` treats those as equal and nothing else, so `reconcile`
and `pipeline plan` report real differences only. `readable` shows a value as plain text
(numbers as written, text in double quotes), never as a Python repr.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Spelling:
    """How `readable` spells values for one kind of reader.

    `limited` shortens long text and long lists for a line on screen; unlimited text is
    quoted with escapes (`"a\\nb"`), as a YAML or JSON file would hold it.
    """

    none: str = "(none)"
    true: str = "true"
    false: str = "false"
    quoted: bool = True       # text in double quotes, so `"30"` and `30` differ
    limited: bool = True
    bracketed: bool = True    # `{city: "Leeds"}` and `[1, 2]`; else `city: Leeds` and `1, 2`
    no_items: str = "[]"


VALUES = Spelling()
"""Plans, reconciliations, audit: a field's value on one line."""
CASE_FILE = Spelling(none="null", limited=False)
"""What a pipeline case file (YAML) would hold: every item, text with its escapes."""
LABELS = Spelling(none="n/a", true="yes", false="no", quoted=False, limited=False,
                  bracketed=False, no_items="none")
"""A setting or a health answer after its label: bare words, yes/no."""


def readable(value: Any, spelling: Spelling = VALUES) -> str:
    """`value` as a person reads it: `30.00`, `"Acme Ltd"`, `true`, `(none)`, `{city: "Leeds"}`.

    The one formatter of values for people; `spelling` says for which reader.
    """
    if value is None:
        return spelling.none
    if isinstance(value, bool):
        return spelling.true if value else spelling.false
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _text(value, spelling)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return _mapping(value, spelling)
    if isinstance(value, list | tuple | set | frozenset):
        return _items(list(value), spelling)
    return _text(str(value), spelling)


def _mapping(value: Mapping[Any, Any], spelling: Spelling) -> str:
    items = list(value.items())
    cut = spelling.limited and len(items) > SHOWN_ITEMS
    shown = [f"{key}: {readable(item, spelling)}" for key, item in items[:SHOWN_ITEMS
                                                                     if cut else None]]
    inner = ", ".join(shown) + (", …" if cut else "")
    return "{" + inner + "}" if spelling.bracketed else inner


def _items(items: list[Any], spelling: Spelling) -> str:
    if not items:
        return spelling.no_items
    if spelling.limited and (len(items) > SHOWN_ITEMS
                             or any(isinstance(v, Mapping) for v in items)):
        return f"[{len(items)} item{'' if len(items) == 1 else 's'}]"
    inner = ", ".join(readable(item, spelling) for item in items)
    return "[" + inner + "]" if spelling.bracketed else inner


def _text(text: str, spelling: Spelling) -> str:
    if not spelling.quoted:
        return text
    if not spelling.limited:
        return json.dumps(text, ensure_ascii=False)
    flat = text.replace("\r\n", "\n").replace("\n", "⏎")
    if len(flat) > SHOWN_TEXT:
        flat = flat[:SHOWN_TEXT - 1] + "…"
    return f'"{flat}"'
