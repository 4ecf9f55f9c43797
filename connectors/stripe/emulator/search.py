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
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ml_connector.connectors.stripe.emulator.errors import invalid

MAX_CLAUSES = 10
# Fields whose exact values the index keeps, so an equality search (and the customer list's
# `email` filter) looks at a few candidates instead of scanning every object.
TERM_FIELDS = ("email", "name", "phone", "customer", "status", "number", "currency")
FOLDED = ("email", "name")  # compared without regard to case
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


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: call it on an object to test it."""

    clauses: tuple[Clause, ...]
    any_of: bool = False

    def __call__(self, obj: dict[str, Any]) -> bool:
        if self.any_of:
            return any(c.test(obj) for c in self.clauses)
        return all(c.test(obj) for c in self.clauses)

    def term(self) -> tuple[str, str] | None:
        """An exact value every match must have had (see `SearchIndex.ids_with`), if any."""
        if self.any_of and len(self.clauses) > 1:
            return None
        for clause in self.clauses:
            if clause.op == ":" and not clause.negate and clause.value != "null":
                name = (f"metadata[{clause.metadata_key}]" if clause.metadata_key is not None
                        else clause.field)
                if clause.metadata_key is not None or clause.field in TERM_FIELDS:
                    return name, clause.value
        return None


def parse_query(query: str, fields: Iterable[str]) -> SearchQuery:
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
    return SearchQuery(tuple(clauses), any_of=joins == {"OR"})


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
    """Snapshots of objects with the time each becomes searchable.

    Beside the snapshots it keeps, per exact value of a `TERM_FIELDS` field or metadata
    entry, the ids of objects that ever held it: a superset of the matches of an equality
    search, so a search of 100,000 customers tests a handful of them, not all.
    """

    def __init__(self) -> None:
        self._versions: dict[str, list[tuple[float, dict[str, Any] | None]]] = {}
        self._terms: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._order: dict[str, int] = {}  # first indexed, first: the order of `_versions`

    def index(self, obj: dict[str, Any], visible_at: float) -> None:
        self._versions_of(obj["id"]).append((visible_at, copy.deepcopy(obj)))
        for term in _terms(obj):
            self._terms[term].add(obj["id"])

    def forget(self, object_id: str, visible_at: float) -> None:
        self._versions_of(object_id).append((visible_at, None))

    def _versions_of(self, object_id: str) -> list[tuple[float, dict[str, Any] | None]]:
        if object_id not in self._versions:
            self._order[object_id] = len(self._order)
            self._versions[object_id] = []
        return self._versions[object_id]

    def ids_with(self, field: str, value: str) -> list[str]:
        """Ids of objects any indexed version of which had `field` = `value` (searchable
        yet or not), oldest first; callers test these candidates themselves. `field` is a
        `TERM_FIELDS` name or `metadata[key]`."""
        found = self._terms.get((field, _fold(field, value)), ())
        return sorted(found, key=self._order.__getitem__)

    def visible(self, now: float, query: SearchQuery | None = None) -> list[dict[str, Any]]:
        """Objects as search sees them at `now`, newest first (only candidates of `query`
        when it names an exact value)."""
        term = query.term() if query is not None else None
        ids: Iterable[str] = self._versions if term is None else self.ids_with(*term)
        seen: list[dict[str, Any]] = []
        for object_id in ids:
            current = [snap for at, snap in self._versions[object_id] if at <= now]
            if current and current[-1] is not None:
                seen.append(current[-1])
        return list(reversed(seen))


def _fold(field: str, value: str) -> str:
    return value.lower() if field in FOLDED else value


def _terms(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for field in TERM_FIELDS:
        value = obj.get(field)
        if isinstance(value, str):
            yield field, _fold(field, value)
    for key, value in (obj.get("metadata") or {}).items():
        yield f"metadata[{key}]", str(value)
