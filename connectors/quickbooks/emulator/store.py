"""Per-realm storage of QBO objects: what a company holds and how ids are handed out."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class StoredEntity:
    """One object as QBO would return it, plus the precise time of its last change.

    `data` is the full response object (Id, SyncToken, MetaData, domain included).
    `updated_at` keeps sub-second precision for CDC, while `MetaData` shows whole seconds
    as QBO does. A deleted object stays as a tombstone so CDC can report it.
    """

    entity: str
    id: str
    data: dict[str, Any]
    updated_at: float
    deleted: bool = False
    hidden: dict[str, Any] = field(default_factory=dict)

    def copy_data(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)


@dataclass
class RealmState:
    """One company: its objects, id counters and the saved answers of `requestid`s."""

    realm_id: str
    home_currency: str = "USD"
    exchange_rates: dict[str, Decimal] = field(default_factory=dict)
    objects: dict[str, dict[str, StoredEntity]] = field(default_factory=dict)
    next_id: int = 1
    doc_numbers: dict[str, int] = field(default_factory=dict)
    request_cache: dict[str, tuple[int, str]] = field(default_factory=dict)
    company_name: str = "Sandbox Company"

    def allocate_id(self) -> str:
        value = self.next_id
        self.next_id += 1
        return str(value)

    def next_doc_number(self, entity: str) -> str:
        value = self.doc_numbers.get(entity, 1000) + 1
        self.doc_numbers[entity] = value
        return str(value)

    def table(self, entity: str) -> Mapping[str, StoredEntity]:
        """The stored objects of `entity`; a read of a name never written creates nothing,
        so the realm holds tables only of entities the emulator models."""
        return self.objects.get(entity, {})

    def get(self, entity: str, record_id: str) -> StoredEntity | None:
        """The live (not deleted) object, or None."""
        stored = self.table(entity).get(str(record_id))
        return None if stored is None or stored.deleted else stored

    def live(self, entity: str) -> Iterator[StoredEntity]:
        for stored in self.table(entity).values():
            if not stored.deleted:
                yield stored

    def put(self, stored: StoredEntity) -> None:
        self.objects.setdefault(stored.entity, {})[stored.id] = stored

    def rate_for(self, currency: str) -> Decimal:
        """Home-currency units per one unit of `currency` (1 for the home currency)."""
        if currency == self.home_currency:
            return Decimal(1)
        return self.exchange_rates.get(currency, Decimal(1))
