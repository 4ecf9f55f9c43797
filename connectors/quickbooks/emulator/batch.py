"""The batch endpoint: up to 30 independent operations, each answered on its own.

A failing item carries its own `Fault` while the HTTP status stays 200. Items cannot see
each other's results in QBO and the order of execution is not guaranteed; here they run in
request order, which is one of the orders QBO may choose.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.entities import RULES
from ml_connector.connectors.quickbooks.emulator.errors import QboFault
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.search import run_query
from ml_connector.connectors.quickbooks.emulator.writes import void, write

MAX_ITEMS = 30
MAX_BID = 10
OPERATIONS = ("create", "update", "delete")


def run_batch(ledger: Ledger, body: Any) -> list[dict[str, Any]]:
    """The `BatchItemResponse` list; raises only when the batch as a whole is invalid."""
    items = body.get("BatchItemRequest") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise errors.required_missing("BatchItemRequest")
    if len(items) > MAX_ITEMS:
        raise errors.business_rule(f"A batch can hold at most {MAX_ITEMS} items; "
                                   f"this one has {len(items)}.", "BatchItemRequest")
    seen: set[str] = set()
    for item in items:
        bid = item.get("bId") if isinstance(item, dict) else None
        if not isinstance(bid, str) or not bid or len(bid) > MAX_BID or bid in seen:
            raise errors.invalid_property("bId", f"must be unique and 1-{MAX_BID} characters")
        seen.add(bid)
    return [_run_item(ledger, item) for item in items]


def _run_item(ledger: Ledger, item: dict[str, Any]) -> dict[str, Any]:
    bid = item["bId"]
    try:
        if "Query" in item:
            return {"bId": bid, "QueryResponse": run_query(ledger.realm, str(item["Query"]))}
        entity, payload = _payload(item)
        rules = RULES[entity]
        operation = item.get("operation")
        if operation not in OPERATIONS:
            raise errors.invalid_property("operation", "must be create, update or delete")
        if operation == "update" and item.get("optionsData") == "void":
            result = void(ledger, rules, payload, via_include=rules.void_mode == "include")
        else:
            result = write(ledger, rules, dict(payload, **_hint(operation, payload)),
                           operation if operation == "delete" else None, None)
        return {"bId": bid, entity: result}
    except QboFault as fault:
        return {"bId": bid, "Fault": fault.fault()}


def _payload(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    entities = [key for key in item if key in RULES]
    if len(entities) != 1 or not isinstance(item[entities[0]], dict):
        raise errors.invalid_property("BatchItemRequest", "each item needs exactly one entity")
    return entities[0], item[entities[0]]


def _hint(operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A create must not be mistaken for an update because the payload carries an Id."""
    if operation == "create":
        return {"Id": None, "SyncToken": None}
    if operation == "update" and not payload.get("Id"):
        raise errors.required_missing("Id")
    return {}
