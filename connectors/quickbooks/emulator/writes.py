"""Create, update (full or sparse), delete and void, with QBO's SyncToken rule.

One entry point, `write`, reads the body and the `operation`/`include` parameters the way
QBO does: a body with an `Id` is an update, `operation=delete` deletes, `operation=void`
voids an invoice, `operation=update&include=void` voids a payment or sales receipt.
"""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.rules.base import (
    SYSTEM_FIELDS,
    EntityRules,
    ReadView,
)
from ml_connector.connectors.quickbooks.emulator.store import StoredEntity


def write(ledger: Ledger, rules: EntityRules, body: Any, operation: str | None,
          include: str | None) -> dict[str, Any]:
    """Apply one write; returns the object to answer with (under the entity's name)."""
    if not isinstance(body, dict):
        raise errors.invalid_property(rules.entity, "request body must be a JSON object")
    if operation == "delete":
        return delete(ledger, rules, body)
    if operation == "void" or (include == "void" and operation in (None, "update")):
        return void(ledger, rules, body, via_include=include == "void")
    if operation not in (None, "create", "update"):
        raise errors.unsupported(f"Operation {operation} is not supported.")
    if body.get("Id") not in (None, ""):
        return update(ledger, rules, body)
    return create(ledger, rules, body)


def create(ledger: Ledger, rules: EntityRules, body: dict[str, Any]) -> dict[str, Any]:
    if not rules.creatable:
        raise errors.unsupported(f"Operation Create is not supported for {rules.entity}.")
    data = rules.prepare(ledger, _writable(body), None)
    stored = ledger.create(rules.entity, data)
    rules.after_save(ledger, stored, None)
    return rules.render(ReadView(ledger.realm), stored)


def update(ledger: Ledger, rules: EntityRules, body: dict[str, Any]) -> dict[str, Any]:
    stored = _current(ledger, rules, body)
    incoming = _writable(body)
    current = _writable(stored.data)
    if body.get("sparse") is True:
        data = {**current, **incoming}
    else:
        data = {k: current[k] for k in rules.sticky if k in current and k not in incoming}
        data.update(incoming)
    prepared = rules.prepare(ledger, data, stored)
    previous = stored.copy_data()
    ledger.replace(stored, prepared)
    rules.after_save(ledger, stored, previous)
    return rules.render(ReadView(ledger.realm), stored)


def delete(ledger: Ledger, rules: EntityRules, body: dict[str, Any]) -> dict[str, Any]:
    stored = _current(ledger, rules, body)
    rules.before_delete(ledger, stored)
    ledger.delete(stored)
    rules.after_delete(ledger, stored)
    return {"status": "Deleted", "domain": "QBO", "Id": stored.id}


def void(ledger: Ledger, rules: EntityRules, body: dict[str, Any], *,
         via_include: bool) -> dict[str, Any]:
    """Void the way the entity documents it; the other spelling is unsupported."""
    expected = "include" if via_include else "void"
    if rules.void_mode != expected:
        raise errors.unsupported(f"This void operation is not supported for {rules.entity}.")
    stored = _current(ledger, rules, body)
    previous = stored.copy_data()
    data = rules.voided(ledger, stored)
    ledger.replace(stored, data, operation="Void")
    rules.after_void(ledger, stored, previous)
    return rules.render(ReadView(ledger.realm), stored)


def _current(ledger: Ledger, rules: EntityRules, body: dict[str, Any]) -> StoredEntity:
    """The object the body addresses, after checking its SyncToken (5010 when stale)."""
    record_id = body.get("Id")
    if record_id in (None, ""):
        raise errors.required_missing("Id")
    stored = ledger.realm.get(rules.entity, str(record_id))
    if stored is None:
        raise errors.object_not_found(rules.entity, str(record_id), "Id")
    token = body.get("SyncToken")
    if token in (None, ""):
        raise errors.required_missing("SyncToken")
    if str(token) != str(stored.data.get("SyncToken")):
        raise errors.stale_object(rules.entity)
    return stored


def _writable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in SYSTEM_FIELDS}
