"""Change Data Capture: every object of the asked entities changed after `changedSince`.

Documented behaviour reproduced here: `changedSince` must lie within the last 30 days;
objects come grouped by entity, ordered by last change, deletions after the live objects
as `{"status": "Deleted", ...}`; at most 1,000 objects in total (a caller who receives
1,000 must narrow its window); an entity without changes is absent from the answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.clock import Clock, parse_datetime
from ml_connector.connectors.quickbooks.emulator.entities import rules_for
from ml_connector.connectors.quickbooks.emulator.errors import QboFault
from ml_connector.connectors.quickbooks.emulator.rules.base import ReadView
from ml_connector.connectors.quickbooks.emulator.store import RealmState

WINDOW_DAYS = 30
MAX_OBJECTS = 1000
NOT_CAPTURED = {"CompanyInfo"}


def change_data(realm: RealmState, clock: Clock, entities: str | None,
                changed_since: str | None) -> dict[str, Any]:
    """The `CDCResponse` array for one request."""
    names = _entities(entities)
    since = _since(clock, changed_since)
    view, remaining, items = ReadView(realm), MAX_OBJECTS, []
    for name in names:
        changed = sorted((s for s in realm.table(name).values() if s.updated_at > since),
                         key=lambda s: (s.deleted, s.updated_at))[:remaining]
        if not changed:
            continue
        remaining -= len(changed)
        rules = rules_for(name)
        assert rules is not None
        objects = [_tombstone(s.id, s.data) if s.deleted else rules.render(view, s)
                   for s in changed]
        items.append({name: objects, "startPosition": 1, "maxResults": len(objects)})
    return {"CDCResponse": [{"QueryResponse": items}]}


def _entities(value: str | None) -> list[str]:
    names = [part.strip() for part in (value or "").split(",") if part.strip()]
    if not names:
        raise errors.required_missing("entities")
    for name in names:
        if rules_for(name) is None or name in NOT_CAPTURED:
            raise errors.invalid_property("entities", f"{name!r} is not supported by CDC")
    return list(dict.fromkeys(names))


def _since(clock: Clock, value: str | None) -> float:
    if not value:
        raise errors.required_missing("changedSince")
    try:
        moment = parse_datetime(value, clock.zone)
    except ValueError as exc:
        raise errors.invalid_property("changedSince", "must be a date or date-time") from exc
    if moment < clock.now() - timedelta(days=WINDOW_DAYS):
        # Message as integrators report it; the error code is not documented.
        raise QboFault(400, "2010", "Request has invalid or unsupported property",
                       f"Operation cdc with changedSince date {value} which is older than "
                       f"fixed days is not supported.", element="changedSince")
    return moment.timestamp()


def _tombstone(record_id: str, data: dict[str, Any]) -> dict[str, Any]:
    updated = (data.get("MetaData") or {}).get("LastUpdatedTime")
    return {"domain": "QBO", "status": "Deleted", "Id": record_id,
            "MetaData": {"LastUpdatedTime": updated}}
