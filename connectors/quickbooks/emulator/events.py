"""A change to one object, as webhooks announce it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChangeEvent:
    """`operation` is QBO's webhook verb: Create, Update, Delete, Void, Merge or Emailed."""

    realm_id: str
    entity: str
    record_id: str
    operation: str
    last_updated: str
    deleted_id: str | None = None
