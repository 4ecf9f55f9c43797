"""QBO objects as the engine's `Record`s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_connector.engine.records import Record


def to_record(entity: str, data: Mapping[str, Any], request_id: str | None) -> Record:
    """A live object or a CDC tombstone (`{"status": "Deleted", ...}`) as a `Record`."""
    ids = (request_id,) if request_id else ()
    deleted = str(data.get("status", "")).lower() == "deleted"
    return Record(entity=entity, id=str(data["Id"]), data=dict(data),
                  version=None if deleted else _text(data.get("SyncToken")),
                  deleted=deleted, request_ids=ids)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def updated_at(data: Mapping[str, Any]) -> str | None:
    meta = data.get("MetaData")
    return meta.get("LastUpdatedTime") if isinstance(meta, Mapping) else None
