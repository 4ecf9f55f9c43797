"""Stripe's search query language, and the lagging index it runs on.

Queries are clauses joined by `AND` or `OR` (not both): `email:'a@b.example'` (a quote
inside a value is escaped with a backslash),
`metadata['qbo_customer_id']:'58'`, `name~'acme'` (substring), `-status:'void'` (negation),
`created>1700000000`. Search is eventually consistent in Stripe: a change becomes
searchable some time after it is made, so the index keeps snapshots with the time each
becomes visible (`search_lag_seconds` after the change).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ml_connector.connectors.stripe.emulator.errors import invalid

MAX_CLAUSES = 10
_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?(?:metadata\[(?P<q>['"])(?P<key>[^'"\]]+)(?P=q)\]|(?P<field>[a-z_]+))
        \s*(?P<op>:|~|>=|<=|>|<)\s*
        (?:'(?P<sq>(?:[^'\\]|\\.)*)'|"(?P<dq>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s'"]+))\s*""",
    re.VERBOSE)
_JOIN = re.compile(r"(AND|OR)\s+")
_UNESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    value: str
    negate: bool
    metadata_key: str | None = None

    def test(self, obj: dict[str, Any]) -> bool:
        result = self._compare(self._value_of(obj))
        return not result if self.negate else result

    def _value_of(self, obj: dict[str, Any]) -> Any:
        if self.metadata_key is not None:
            return (obj.get("metadata") or {}).get(self.metadata_key)
        return obj.get(self.field)

    def _compare(self, actual: Any) -> bool:
        if actual is None:
            return self.value == "null" and self.op == ":"
        if self.op == ":":
            return str(actual).lower() == self.value.lower() if self.field in (
                "email", "name") else str(actual) == self.value
        if self.op == "~":
            return self.value.lower() in str(actual).lower()
        number = float(self.value)
        return {">": actual > number, "<": actual < number,
                ">=": actual >= number, "<=": actual <= number}[self.op]


def parse_query(query: str, fields: Iterable[str]) -> Callable[[dict[str, Any]], bool]:
    """A predicate for `query`, or Stripe's 400 for a query it would not accept."""
    allowed, clauses, joins, pos = set(fields), [], set(), 0
    while True:
        match = _CLAUSE.match(query, pos)
        if match is None or match.end() == pos:
            raise invalid(f"Invalid search query: could not parse `{query[pos:]}`.",
                          param="query")
        clauses.append(_clause(match, allowed))
        pos = match.end()
        if pos >= len(query):
            break
        join = _JOIN.match(query, pos)
        if join is None:
            raise invalid(f"Invalid search query: expected AND or OR at `{query[pos:]}`.",
                          param="query")
        joins.add(join.group(1))
        pos = join.end()
    if len(joins) > 1:
        raise invalid("Search queries cannot mix AND and OR.", param="query")
    if len(clauses) > MAX_CLAUSES:
        raise invalid(f"Search queries can have at most {MAX_CLAUSES} clauses.",
                      param="query")
    if joins == {"OR"}:
        return lambda obj: any(c.test(obj) for c in clauses)
    return lambda obj: all(c.test(obj) for c in clauses)


def _clause(match: re.Match[str], allowed: set[str]) -> Clause:
    key = match.group("key")
    field = "metadata" if key is not None else match.group("field")
    if field not in allowed:
        raise invalid(f"Field `{field}` is not supported in search queries.", param="query")
    value = next(v for v in (match.group("sq"), match.group("dq"), match.group("bare"))
                 if v is not None)
    value = _UNESCAPE.sub(r"\1", value)
    op = match.group("op")
    if op in (">", "<", ">=", "<=") and not _is_number(value):
        raise invalid(f"`{field}` comparisons need a number.", param="query")
    return Clause(field, op, value, bool(match.group("neg")), key)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class SearchIndex:
    """Snapshots of objects with the time each becomes searchable."""

    def __init__(self) -> None:
        self._versions: dict[str, list[tuple[float, dict[str, Any] | None]]] = {}

    def index(self, obj: dict[str, Any], visible_at: float) -> None:
        self._versions.setdefault(obj["id"], []).append((visible_at, copy.deepcopy(obj)))

    def forget(self, object_id: str, visible_at: float) -> None:
        self._versions.setdefault(object_id, []).append((visible_at, None))

    def visible(self, now: float) -> list[dict[str, Any]]:
        """Objects as search sees them at `now`, newest first."""
        seen: list[dict[str, Any]] = []
        for versions in self._versions.values():
            current = [snap for at, snap in versions if at <= now]
            if current and current[-1] is not None:
                seen.append(current[-1])
        return list(reversed(seen))
