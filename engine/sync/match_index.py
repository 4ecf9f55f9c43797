"""Matching a backfill against one listing of the target instead of a search per record.

When a run reads its source from the beginning (the first run, or `run --full`), nearly every
source record is unlinked, and `find` would be called once per match key for each of them:
on APIs whose search is rate-limited and eventually consistent, that search budget bounds
the whole run. If the target connector offers `match_listing` (see `MatchListing`), the run
instead lists the target entity once, keeps only (field, key) -> target ids, and answers
each lookup from memory; a hit (rare when backfilling into an empty account) is fetched with
`get`, which is cheaper than a search and reads the record as it is now.

The listing is taken the first time the run needs a match, not when it starts, so a full
re-run whose records are all linked lists nothing.

What the listing cannot see, and why that is safe:

- Records this run creates are not in it, but the run links each one as it creates it, and
  a linked source record is never matched again. A create whose answer was lost stays a
  pending intent; resuming it re-sends the same idempotency key, which answers with the
  record the first attempt made, so the index need not contain it.
- Records others create in the target after the listing are a race either way: a search
  could miss them as well (it lags writes), and a record made after the source record was
  matched would be a duplicate no matter how the match was done.
- Records changed or removed after the listing are re-checked when they are hit: `get`
  must still find them, `admits` must accept them, and the field must still hold the key.

Memory: one dict per match field from key to id(s); the listed records themselves are
dropped page by page, so 100,000 target records cost a few tens of megabytes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Protocol

from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.plugins.protocol import Connector, MatchListing
from ml_connector.engine.records import Record

log = logging.getLogger("ml_connector.sync")

_MISSING = object()


class Finder(Protocol):
    """What matching asks: the records of `entity` whose `field` equals `value`."""

    def find(self, entity: str, field: str, value: Any) -> list[Record]: ...


class MatchIndex:
    """(field, key) -> target ids of one listing; nothing else of the records is kept."""

    def __init__(self, fields: Sequence[str], listing: MatchListing):
        self._key, self._admits = listing.key, listing.admits
        self._ids: dict[str, dict[Hashable, str | tuple[str, ...]]] = {f: {} for f in fields}
        self.size = 0
        for record in listing.records:
            self._add(record)

    def _add(self, record: Record) -> None:
        self.size += 1
        for field, table in self._ids.items():
            key = self._key_at(record, field)
            if key is None:
                continue
            known = table.get(key)
            if known is None:
                table[key] = record.id
            elif isinstance(known, str):
                table[key] = (known, record.id)
            else:
                table[key] = (*known, record.id)

    def candidates(self, field: str, value: Any) -> tuple[str, ...]:
        """Ids of the listed records `find(field, value)` would have returned."""
        key = self._key(field, value)
        found = self._ids[field].get(key) if key is not None else None
        if found is None:
            return ()
        return (found,) if isinstance(found, str) else found

    def still_matches(self, record: Record, field: str, value: Any) -> bool:
        """Whether a candidate fetched now is still one `find(field, value)` would return."""
        key = self._key(field, value)
        return key is not None and self._admits(record) and self._key_at(record, field) == key

    def _key_at(self, record: Record, field: str) -> Hashable | None:
        value = value_at(record.data, field)
        return None if value is _MISSING or value is None else self._key(field, value)


class ListingFinder:
    """`find` for one run of one pipeline, answered from a listing of the target entity.

    Thread-safe: a run's workers share it, and the listing is taken once, by the first one
    that needs it. Lookups of another entity, or all of them when the connector offers no
    listing for these fields, go to the connector's own `find`.
    """

    def __init__(self, target: Connector, entity: str, fields: Sequence[str]):
        self.target, self.entity, self.fields = target, entity, tuple(dict.fromkeys(fields))
        self._index: MatchIndex | None = None
        self._listed = False
        self._lock = threading.Lock()

    def find(self, entity: str, field: str, value: Any) -> list[Record]:
        index = self._built() if entity == self.entity and field in self.fields else None
        if index is None:
            return self.target.find(entity, field, value)
        found = (self.target.get(entity, target_id)
                 for target_id in index.candidates(field, value))
        return [record for record in found
                if record is not None and index.still_matches(record, field, value)]

    def _built(self) -> MatchIndex | None:
        with self._lock:
            if not self._listed:
                offer = getattr(self.target, "match_listing", None)
                listing = offer(self.entity, self.fields) if offer is not None else None
                if listing is not None:
                    self._index = MatchIndex(self.fields, listing)
                    log.info("matching %s records against a listing of %d existing ones",
                             self.entity, self._index.size)
                self._listed = True
            return self._index


def listing_finder(pipeline: Pipeline, target: Connector) -> ListingFinder | None:
    """The finder a run reading its source from the beginning should match with, if any."""
    if not pipeline.match or getattr(target, "match_listing", None) is None:
        return None
    return ListingFinder(target, pipeline.target.entity,
                         [key.target_field for key in pipeline.match])


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path (`metadata.source_id`), or `_MISSING` when there is none.

    A key may itself hold dots (`metadata.acme.id`): the longest key present wins, as a
    miss here would mean a duplicate where a search would have found the record.
    """
    if not isinstance(data, Mapping):
        return _MISSING
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        head = ".".join(parts[:split])
        if head in data:
            rest = ".".join(parts[split:])
            return data[head] if not rest else value_at(data[head], rest)
    return _MISSING
