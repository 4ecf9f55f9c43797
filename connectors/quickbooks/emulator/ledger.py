"""Write access to one realm for the entity rules: reference look-ups and change stamping.

Rules validate everything before they change anything; the ledger collects the change
events of one request so they are announced (webhooks) only once the request succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.clock import Clock
from ml_connector.connectors.quickbooks.emulator.events import ChangeEvent
from ml_connector.connectors.quickbooks.emulator.store import RealmState, StoredEntity


@dataclass
class Ledger:
    realm: RealmState
    clock: Clock
    events: list[ChangeEvent] = field(default_factory=list)

    def ref(self, entity: str, ref: Any, element: str, *,
            require_active: bool = True) -> StoredEntity:
        """The object a `{"value": id}` reference points at; 610 when absent or inactive."""
        ref_id = ref.get("value") if isinstance(ref, Mapping) else None
        if ref_id in (None, ""):
            raise errors.required_missing(element)
        stored = self.realm.get(entity, str(ref_id))
        if stored is None or (require_active and stored.data.get("Active") is False):
            raise errors.object_not_found(entity, str(ref_id), element)
        return stored

    def create(self, entity: str, data: dict[str, Any]) -> StoredEntity:
        """Store a new object with a fresh Id, SyncToken "0" and creation stamps."""
        record_id = self.realm.allocate_id()
        stamp = self.clock.stamp()
        body = {"Id": record_id, "SyncToken": "0", **data, "domain": "QBO", "sparse": False,
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp}}
        stored = StoredEntity(entity, record_id, body, self.clock.timestamp())
        self.realm.put(stored)
        self.record(stored, "Create")
        return stored

    def replace(self, stored: StoredEntity, data: dict[str, Any], operation: str | None = "Update"
                ) -> StoredEntity:
        """Replace an object's content, bumping SyncToken and LastUpdatedTime.

        `operation` None changes it silently: CDC shows it, no webhook names it (as the
        customer merged away, whose change the survivor's Merge notification announces).
        """
        meta = dict(stored.data.get("MetaData", {}))
        meta["LastUpdatedTime"] = self.clock.stamp()
        token = str(int(stored.data.get("SyncToken", "0")) + 1)
        stored.data = {"Id": stored.id, "SyncToken": token, **data, "domain": "QBO",
                       "sparse": False, "MetaData": meta}
        stored.updated_at = self.clock.timestamp()
        if operation is not None:
            self.record(stored, operation)
        return stored

    def touch(self, stored: StoredEntity, changes: Mapping[str, Any],
              operation: str | None = "Update") -> None:
        """A change QBO makes itself (an invoice's Balance after a payment, a send)."""
        data = {k: v for k, v in stored.data.items()
                if k not in ("Id", "SyncToken", "MetaData", "domain", "sparse")}
        data.update(changes)
        self.replace(stored, data, operation)

    def delete(self, stored: StoredEntity) -> None:
        stored.deleted = True
        stored.updated_at = self.clock.timestamp()
        meta = dict(stored.data.get("MetaData", {}))
        meta["LastUpdatedTime"] = self.clock.stamp()
        stored.data["MetaData"] = meta
        self.record(stored, "Delete")

    def record(self, stored: StoredEntity, operation: str,
               deleted_id: str | None = None) -> None:
        self.events.append(ChangeEvent(self.realm.realm_id, stored.entity, stored.id,
                                       operation, self.clock.stamp(), deleted_id))
