"""Polling Stripe's Events API for changes since a cursor, with a full listing as fallback.

Events are kept for 30 days and listed newest first. The cursor is the last processed
event (`<created>:<event id>`); a poll pages forward from it (`ending_before`), oldest
events first, and fetches each changed object as it is now, because events may be stale
and arrive in any order. When the cursor's event has left the 30-day window (or there is no
cursor), every object is listed instead, and the newest event seen before the listing
becomes the cursor, so nothing that happens during the listing is missed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ml_connector.connectors.stripe.api import PAGE_SIZE, StripeApi
from ml_connector.connectors.stripe.reads import Reader
from ml_connector.connectors.stripe.spec import StripeEntity, entity
from ml_connector.engine.errors import NotFoundError
from ml_connector.engine.records import ChangePage, Record

NO_EVENT = "none"


@dataclass(frozen=True)
class Cursor:
    created: int | None
    event_id: str | None

    def text(self) -> str:
        return f"{self.created if self.created is not None else ''}:{self.event_id or NO_EVENT}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        if not text or ":" not in text:
            return None
        created, _, event_id = text.partition(":")
        return cls(int(created) if created else None,
                   None if event_id == NO_EVENT else event_id)

    @classmethod
    def of(cls, event: dict[str, Any]) -> Cursor:
        return cls(int(event["created"]), str(event["id"]))


class ChangeReader:
    def __init__(self, api: StripeApi, reader: Reader):
        self.api, self.reader = api, reader

    def read_changes(self, name: str, cursor: str | None) -> Iterator[ChangePage]:
        ent = entity(name)
        since = Cursor.parse(cursor)
        if not ent.events or since is None or not self._in_window(since):
            yield from self._full_listing(ent)
        else:
            yield from self._since(ent, since)

    def _types(self, ent: StripeEntity) -> dict[str, Any]:
        return {"types": list(ent.events)}

    def _in_window(self, since: Cursor) -> bool:
        if since.event_id is None:
            return True
        try:
            self.api.get(f"/v1/events/{since.event_id}")
        except NotFoundError:
            return False
        return True

    def _full_listing(self, ent: StripeEntity) -> Iterator[ChangePage]:
        mark = self._newest(ent)
        pages = list(self.reader.pages(ent)) or [[]]
        total = sum(len(records) for records in pages)
        for index, records in enumerate(pages):
            last = index == len(pages) - 1
            yield ChangePage(records, mark.text() if last and mark else None, total)

    def _newest(self, ent: StripeEntity) -> Cursor | None:
        if not ent.events:
            return None
        found = self.api.get("/v1/events", {**self._types(ent), "limit": 1}).body["data"]
        return Cursor.of(found[0]) if found else Cursor(None, None)

    def _since(self, ent: StripeEntity, since: Cursor) -> Iterator[ChangePage]:
        if since.event_id is None:
            yield from self._all_events(ent)
            return
        before = since.event_id
        while True:
            page = self.api.get("/v1/events", {**self._types(ent), "limit": PAGE_SIZE,
                                               "ending_before": before}).body
            events = list(reversed(page["data"]))  # oldest first
            if events:
                yield ChangePage(self._current(ent, events), Cursor.of(events[-1]).text())
                before = events[-1]["id"]
            if not page.get("has_more") or not events:
                return

    def _all_events(self, ent: StripeEntity) -> Iterator[ChangePage]:
        events = [e for page in self.api.list_all("/v1/events", self._types(ent))
                  for e in page.body["data"]]
        events.reverse()
        chunks = [events[start:start + PAGE_SIZE] for start in range(0, len(events), PAGE_SIZE)]
        total = sum(len({e["data"]["object"]["id"] for e in chunk}) for chunk in chunks)
        for chunk in chunks:
            yield ChangePage(self._current(ent, chunk), Cursor.of(chunk[-1]).text(), total)
        if not events:
            yield ChangePage([], None)

    def _current(self, ent: StripeEntity, events: list[dict[str, Any]]) -> list[Record]:
        """Each object the events name, once, as it is now (or as deleted)."""
        records: dict[str, Record] = {}
        for event in events:
            obj = event["data"]["object"]
            if obj["id"] in records:
                continue
            current = self.reader.get(ent.name, obj["id"])
            records[obj["id"]] = current or Record(ent.name, obj["id"], obj, deleted=True)
        return list(records.values())
