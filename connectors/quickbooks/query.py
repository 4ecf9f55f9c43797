"""Building QBO query statements with values escaped, so names cannot break a query.

QBO string literals are single-quoted with backslash escapes: `'O\\'Brien'`. A backslash
is escaped first, then the quote, so `Back\\Slash` and `O'Brien` both survive intact and a
value such as `x' OR '1'='1` stays one literal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

MAX_PAGE = 1000
_FIELD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


def quote(value: Any) -> str:
    """A value as a QBO literal: booleans and numbers bare, everything else quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return f"'{value}'"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def field_name(name: str) -> str:
    """A property name checked to be a plain (dotted) identifier, never free text."""
    if not name or not set(name) <= _FIELD_CHARS or name[0].isdigit():
        raise ValueError(f"not a QBO property name: {name!r}")
    return name


def select(entity: str, conditions: list[tuple[str, str, Any]] | None = None, *,
           order_by: str | None = None, start: int = 1, page: int = MAX_PAGE) -> str:
    """`SELECT * FROM Entity WHERE a = 'x' AND ... ORDERBY f STARTPOSITION n MAXRESULTS m`."""
    parts = [f"SELECT * FROM {field_name(entity)}"]
    clauses = [_clause(name, op, value) for name, op, value in conditions or []]
    if clauses:
        parts.append("WHERE " + " AND ".join(clauses))
    if order_by:
        parts.append(f"ORDERBY {field_name(order_by)}")
    parts.append(f"STARTPOSITION {int(start)} MAXRESULTS {min(int(page), MAX_PAGE)}")
    return " ".join(parts)


def _clause(name: str, op: str, value: Any) -> str:
    if op == "IN":
        return f"{field_name(name)} IN ({', '.join(quote(v) for v in value)})"
    if op not in ("=", "<", ">", "<=", ">=", "LIKE"):
        raise ValueError(f"unsupported operator {op!r}")
    return f"{field_name(name)} {op} {quote(value)}"
