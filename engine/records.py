"""The values that cross the line between the engine and a connector plugin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# One field of a payload or record: its key path through nested objects, for example
# ("metadata", "order_id"). A tuple, not a dotted string, because keys may hold dots.
FieldPath = tuple[str, ...]


@dataclass(frozen=True)
class Record:
    """One object of an external system, as a connector read or wrote it.

    `version` is the system's own concurrency token (a sync token, an ETag) when it has one;
    `request_ids` are the vendor's ids of the HTTP calls that produced this value, kept for
    the audit trail so a support ticket can quote them.

    `answer` is what a connector wants a person to see of the object it just wrote (an
    invoice's number, status and pay link): the audit trail and `status` show it, and a
    pipeline that writes a link back into its source takes it from here.
    """

    entity: str
    id: str
    data: Mapping[str, Any]
    version: str | None = None
    deleted: bool = False
    request_ids: tuple[str, ...] = ()
    answer: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangePage:
    """A page of changed records and the cursor to store once the page is processed.

    The cursor is opaque to the engine. Storing it only after the page's records are synced
    means a crash re-reads the page (at-least-once), and links make the re-read harmless.
    `total` is how many records the whole read yields, for connectors that know it before
    the last page (most read lazily and leave it None); it only feeds progress displays.
    """

    records: list[Record]
    cursor: str | None
    total: int | None = None


@dataclass(frozen=True)
class WebhookEvent:
    """One change a webhook announced: which record, what happened, under which event id.

    `event_id` deduplicates redeliveries. `record` is the object as the event carried it, when
    it carried one; it may be stale, because senders do not guarantee order.
    """

    event_id: str
    entity: str
    record_id: str
    operation: str
    account: str | None = None
    occurred_at: str | None = None
    record: Record | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
