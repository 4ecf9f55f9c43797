"""Inbox items waiting together, grouped by what they name, so each group is read at once.

Notifications carry ids only, and a burst of them (a settle window's worth) often names many
records of one entity: our own writes echo back that way. A connector offering `get_many`
answers a whole group with one request where `get` would take one per item, and on metered
APIs the reads are the expensive kind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ml_connector.engine.records import Record
from ml_connector.engine.store import InboxItem

ReadMany = Callable[[str, Sequence[str]], Mapping[str, Record]]

# How long records read together may serve the items after them. A group is synced item by
# item after one read; were that to take long, a newer notification for the same record could
# be read fresh and synced by another worker before this one writes its older copy. Reading
# the rest of the group again after this long keeps that window as short as a lone `get`'s.
MAX_READ_AGE = 2.0


@dataclass(frozen=True)
class SourceGroup:
    """The claimed items of one (connection, entity), in claim order."""

    connection: str
    entity: str
    items: list[InboxItem]

    def ids_from(self, index: int) -> list[str]:
        """The distinct record ids of the items from `index` on."""
        return list(dict.fromkeys(item.record_id for item in self.items[index:]))


def group_by_source(items: Iterable[InboxItem]) -> list[SourceGroup]:
    """Items grouped by (connection, entity); groups in the order their first item came."""
    groups: dict[tuple[str, str], list[InboxItem]] = {}
    for item in items:
        groups.setdefault((item.connection, item.entity), []).append(item)
    return [SourceGroup(connection, entity, members)
            for (connection, entity), members in groups.items()]


@dataclass
class SharedRead:
    """Records read together for a group: present when found, absent when not (deleted)."""

    records: Mapping[str, Record]
    ids: frozenset[str]
    read_at: float = field(default_factory=time.monotonic)

    @classmethod
    def read(cls, read_many: ReadMany, entity: str, ids: Sequence[str]) -> SharedRead:
        return cls(dict(read_many(entity, ids)), frozenset(ids))

    def answers(self, record_id: str, *, now: float | None = None) -> bool:
        """Whether this read covers `record_id` and is still recent enough to sync from."""
        age = (time.monotonic() if now is None else now) - self.read_at
        return record_id in self.ids and age <= MAX_READ_AGE

    def record(self, record_id: str) -> Record | None:
        return self.records.get(record_id)


def bulk_reader(connector: object) -> ReadMany | None:
    """The connector's optional `get_many`, or None when it has none."""
    method = getattr(connector, "get_many", None)
    return method if callable(method) else None
