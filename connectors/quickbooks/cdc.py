"""Incremental reads: CDC since a cursor, split when an answer is cut at 1,000 objects, and a
full read by query when there is no cursor or it has left CDC's 30-day window.

Cursor semantics (the engine stores a page's cursor after syncing its records):

- The cursor is the `time` of the last CDC answer that was complete (fewer than 1,000
  objects): every change up to that server time has been handed over. Server time, never
  the local clock, so clock skew cannot open a gap.
- A CDC answer holding 1,000 objects is cut. The next request starts one second before the
  newest object seen (QBO stamps whole seconds), objects already handed over are skipped,
  and the page's cursor is that restart point, so a crash resumes without a gap.
- QBO lists deletions after the live objects. When a cut answer contains only live objects,
  deletions in the part already passed can only be found by a full read; when it reaches
  into the deletions, the restart point follows the newest deletion, so none is lost.
- A full read (no cursor, or one older than `CDC_WINDOW`) pages through a query and stores
  the server time of its first page only with its last page: a crash mid-way starts the
  full read again rather than skipping the unread pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from ml_connector.connectors.quickbooks.api import QboApi
from ml_connector.connectors.quickbooks.query import MAX_PAGE, select
from ml_connector.connectors.quickbooks.records import to_record, updated_at
from ml_connector.connectors.quickbooks.spec import QboEntity
from ml_connector.engine.records import ChangePage, Record

CDC_LIMIT = 1000
CDC_WINDOW = timedelta(days=29)  # QBO allows 30; a day of margin for clock skew


class ChangeReader:
    def __init__(self, api: QboApi, now: Callable[[], datetime]):
        self.api, self.now = api, now

    def read(self, entity: QboEntity, cursor: str | None) -> Iterator[ChangePage]:
        if cursor is None or self._too_old(cursor):
            yield from self.full(entity)
        else:
            yield from self.incremental(entity, cursor)

    def _too_old(self, cursor: str) -> bool:
        try:
            moment = _parse(cursor)
        except ValueError:
            return True
        return self.now() - moment > CDC_WINDOW

    def incremental(self, entity: QboEntity, cursor: str) -> Iterator[ChangePage]:
        since, seen = cursor, set[tuple[str, str | None, bool]]()
        while True:
            result = self.api.cdc([entity.name], since)
            objects = _objects(result.body, entity.name)
            records = [r for r in (to_record(entity.name, o, result.request_id) for o in objects)
                       if (r.id, r.version, r.deleted) not in seen]
            seen.update((r.id, r.version, r.deleted) for r in records)
            if len(objects) < CDC_LIMIT:
                yield ChangePage(records, result.time or since)
                return
            restart = _restart_point(objects)
            if restart is None or _parse(restart) <= _parse(since):
                yield ChangePage(records, None)
                yield from self._dense_window(entity, since)
                return
            yield ChangePage(records, restart)
            since = restart

    def _dense_window(self, entity: QboEntity, since: str) -> Iterator[ChangePage]:
        """More than 1,000 changes within one second: page through a query instead."""
        conditions = [("MetaData.LastUpdatedTime", ">=", since)]
        yield from self._paged(entity, conditions, order_by="MetaData.LastUpdatedTime")

    def full(self, entity: QboEntity) -> Iterator[ChangePage]:
        conditions = [("Active", "IN", (True, False))] if entity.name_list else []
        yield from self._paged(entity, conditions, order_by="Id")

    def _paged(self, entity: QboEntity, conditions: list, order_by: str
               ) -> Iterator[ChangePage]:
        start, started_at = 1, None
        while True:
            result = self.api.query(select(entity.name, conditions, order_by=order_by,
                                           start=start, page=MAX_PAGE))
            started_at = started_at or result.time
            rows = result.body.get("QueryResponse", {}).get(entity.name, [])
            records = [to_record(entity.name, row, result.request_id) for row in rows]
            if len(rows) < MAX_PAGE:
                yield ChangePage(records, started_at)
                return
            yield ChangePage(records, None)
            start += MAX_PAGE


def _objects(body: dict, entity: str) -> list[dict]:
    found: list[dict] = []
    for response in body.get("CDCResponse", []):
        for item in response.get("QueryResponse", []) or []:
            if isinstance(item, dict):
                found.extend(item.get(entity, []) or [])
    return found


def _restart_point(objects: list[dict]) -> str | None:
    """One second before the newest change in a cut answer (deletions if it reached them)."""
    deleted = [o for o in objects if str(o.get("status", "")).lower() == "deleted"]
    pool = deleted or objects
    stamps = [s for s in (updated_at(o) for o in pool) if s]
    if not stamps:
        return None
    newest = max(stamps, key=_parse)
    return (_parse(newest) - timedelta(seconds=1)).isoformat()


def _parse(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"cursor without a UTC offset: {text!r}")
    return value


def records_of(pages: Iterator[ChangePage]) -> list[Record]:
    """All records of some pages (tests and small reads)."""
    return [record for page in pages for record in page.records]
