"""Running a parsed query against a realm: filtering, ordering and paging.

Comparison follows the stored value's type: money compares as numbers (`Balance > '0'`),
`MetaData` times as instants (offsets honoured), digit-only ids numerically, other text
case-insensitively. A reference (`CustomerRef`) compares its `value`, an e-mail its address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.clock import parse_datetime
from ml_connector.connectors.quickbooks.emulator.entities import rules_for
from ml_connector.connectors.quickbooks.emulator.query import Condition, Query, parse
from ml_connector.connectors.quickbooks.emulator.rules.base import ReadView
from ml_connector.connectors.quickbooks.emulator.store import RealmState, StoredEntity

DEFAULT_MAX_RESULTS = 100
MAX_RESULTS_LIMIT = 1000
LEAF_KEYS = ("value", "Address", "FreeFormNumber", "URI")


def run_query(realm: RealmState, statement: str) -> dict[str, Any]:
    """The `QueryResponse` object for one statement."""
    query = parse(statement)
    return execute(realm, query)


def execute(realm: RealmState, query: Query) -> dict[str, Any]:
    rules = rules_for(query.entity)
    if rules is None:
        raise errors.query_validation_error(f"Entity {query.entity!r} is not supported.")
    for name in [c.field for c in query.where] + [name for name, _ in query.order]:
        if name not in rules.filterable:
            raise errors.query_validation_error(f"property '{name}' is not queryable for "
                                                f"{query.entity}.")
    view = ReadView(realm)
    conditions = list(query.where)
    if rules.name_list and not any(c.field == "Active" for c in conditions):
        conditions.append(Condition("Active", "=", (True,)))
    # Filter and sort on views that are not copied; only the page's rows are rendered, so a
    # page of a 100,000-customer company costs a scan, not 100,000 deep copies.
    used = frozenset([c.field for c in conditions] + [name for name, _ in query.order])
    candidates = _named_by_id(realm, query.entity, conditions)
    rows = [(rules.peek(view, stored, used), stored) for stored in candidates]
    rows = [pair for pair in rows if all(matches(pair[0], c) for c in conditions)]
    if query.count:
        return {"totalCount": len(rows)}
    rows.sort(key=lambda pair: _id_key(pair[0].get("Id")))
    for name, descending in reversed(query.order):
        rows.sort(key=lambda pair, n=name: _sort_key(resolve(pair[0], n)), reverse=descending)
    start = max(query.start, 1)
    size = min(query.max_results or DEFAULT_MAX_RESULTS, MAX_RESULTS_LIMIT)
    page = [rules.render(view, stored) for _, stored in rows[start - 1:start - 1 + size]]
    if not page:
        return {}
    return {query.entity: page, "startPosition": start, "maxResults": len(page)}


def _named_by_id(realm: RealmState, entity: str, conditions: list[Condition]
                 ) -> Iterable[StoredEntity]:
    """The rows an `Id =` or `Id IN (...)` condition can match, looked up rather than scanned.

    A bulk read by id is the common query of a webhook consumer; scanning a large company for
    each one would make the emulator, not the client, the slow part. Every condition is still
    applied to the rows afterwards, so this only narrows where to look.
    """
    for condition in conditions:
        if condition.field != "Id" or condition.op not in ("=", "IN"):
            continue
        texts = [str(value) for value in condition.values]
        if all(text.isdigit() for text in texts):
            ids = dict.fromkeys(str(int(text)) for text in texts)
            return [stored for stored in (realm.get(entity, i) for i in ids)
                    if stored is not None]
    return realm.live(entity)


def resolve(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict):
        for key in LEAF_KEYS:
            if key in value:
                return value[key]
        return None
    return value


def matches(row: dict[str, Any], condition: Condition) -> bool:
    actual = resolve(row, condition.field)
    if actual is None:
        return False
    if condition.op == "LIKE":
        pattern = ".*".join(re.escape(part) for part in str(condition.values[0]).split("%"))
        return re.fullmatch(pattern, str(actual), flags=re.IGNORECASE | re.DOTALL) is not None
    if condition.op == "IN":
        return any(_compare(actual, "=", value, condition.field) for value in condition.values)
    return _compare(actual, condition.op, condition.values[0], condition.field)


def _compare(actual: Any, op: str, literal: Any, field: str) -> bool:
    left, right = _coerce(actual, literal, field)
    if left is None or right is None:
        return False
    return {"=": left == right, "<": left < right, ">": left > right,
            "<=": left <= right, ">=": left >= right}[op]


def _coerce(actual: Any, literal: Any, field: str) -> tuple[Any, Any]:
    """Bring the stored value and the literal to one comparable type."""
    if isinstance(actual, bool):
        text = str(literal).lower()
        return actual, (literal if isinstance(literal, bool)
                        else {"true": True, "false": False}.get(text))
    if isinstance(actual, int | Decimal):
        return Decimal(str(actual)), _decimal(literal)
    text, wanted = str(actual), str(literal)
    if field.startswith("MetaData."):
        return _instant(text), _instant(wanted)
    if text.isdigit() and wanted.isdigit():
        return int(text), int(wanted)
    return text.casefold(), wanted.casefold()


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _instant(text: str) -> datetime | None:
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def _id_key(value: Any) -> tuple[int, str]:
    text = str(value or "")
    return (int(text), "") if text.isdigit() else (0, text)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Missing values last; numbers, instants and text each sort among their kind."""
    if value is None:
        return (3, "")
    if isinstance(value, bool | int | Decimal):
        return (0, Decimal(int(value)) if isinstance(value, bool) else Decimal(str(value)))
    if isinstance(value, str) and value.isdigit():
        return (0, Decimal(value))
    instant = _instant(str(value)) if "T" in str(value) else None
    if instant is not None:
        return (1, instant.timestamp())
    return (2, str(value).casefold())
