"""Bringing one target record in line with one source record, exactly once.

What to do is decided in engine/sync/decision.py (the same decision `pipeline plan`
reports); this module performs the writes it names. The order of writes is what makes
retries and crashes safe:

1. an intent row (record, idempotency key, the exact payload) is committed before a create;
2. the create carries that key, so a repeat returns the first result instead of a second record;
3. the link (and the intent's completion) is committed in one transaction after the create.

A crash between 1 and 3 leaves a pending intent; the next attempt first looks for the record
by its match keys, then re-sends the same payload with the same key. Either way one target
record per source record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ml_connector.engine.errors import ImmutableTargetError, NotFoundError, RemovalRefused
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.plugins.protocol import Connector
from ml_connector.engine.records import FieldPath, Record
from ml_connector.engine.store import Store
from ml_connector.engine.store.intents import Intent
from ml_connector.engine.store.links import Link, LinkState
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.adoption import PipelineBeginnings
from ml_connector.engine.sync.clearing import split_clear
from ml_connector.engine.sync.decision import (
    REFUSED_IGNORED,
    Decider,
    Decision,
    flag_error,
    payload_of,
    when_refused,
)
from ml_connector.engine.sync.match_index import Finder
from ml_connector.engine.sync.outcome import Outcome
from ml_connector.engine.sync.payloads import decode, encode, fields_of, idempotency_key
from ml_connector.engine.sync.payloads import payload_hash as hash_of
from ml_connector.engine.sync.rendering import Renderer
from ml_connector.engine.sync.views import dotted, holds


class RecordSync:
    """Performs the decided create / update / remove for the records of one pipeline."""

    def __init__(self, pipeline: Pipeline, renderer: Renderer, target: Connector, store: Store,
                 sync_dependency: Callable[[str, str], None],
                 beginnings: PipelineBeginnings, *,
                 finder: Finder | None = None):
        self.pipeline, self.target, self.store = pipeline, target, store
        self.decider = Decider(pipeline, renderer, target, store, beginnings, finder=finder,
                               sync_dependency=sync_dependency)

    def sync(self, record: Record) -> Outcome:
        decision = self.decider.decide(record)
        if decision.interrupted is not None:
            return self._resume(record, decision, decision.interrupted)
        return self._perform(record, decision)

    def _perform(self, record: Record, d: Decision) -> Outcome:
        if d.action is Action.CREATE:
            return self._create(record, payload_of(d), 0, Action.CREATE)
        if d.action is Action.RECREATE:
            return self._recreate(record, _linked(d), payload_of(d))
        if d.action is Action.UPDATE:
            return self._update(record, _linked(d), payload_of(d), d.clear)
        if d.action is Action.ADOPT_UPDATE:
            return self._adopt(record, d)
        if d.action is Action.REMOVE:
            return self._remove(record, _linked(d))
        return replace(self._outcome(record, d.action, d.target_id), reason=d.reason)

    # -- writes -------------------------------------------------------------------------------

    def _create(self, record: Record, payload: Mapping[str, Any], generation: int,
                action: Action) -> Outcome:
        digest = hash_of(payload)
        key = idempotency_key(self.pipeline.name, record.id, generation, digest)
        intent = self.store.intents.begin(self.pipeline.name, record.id, key, encode(payload))
        outcome = self._complete(record, intent, generation, action)
        if hash_of(decode(intent.payload)) != digest:  # an older pending intent was re-sent
            return self._update(record, self._link_of(record), payload)
        return outcome

    def _recreate(self, record: Record, link: Link, payload: Mapping[str, Any]) -> Outcome:
        return self._create(record, payload, link.generation + 1, Action.RECREATE)

    def _complete(self, record: Record, intent: Intent, generation: int,
                  action: Action) -> Outcome:
        sent = decode(intent.payload)
        created = self.target.create(self.pipeline.target.entity, sent,
                                     idempotency_key=intent.idempotency_key)
        self.store.intents.complete(intent, self._link(record, created, sent, generation),
                                    *self._back_links(record, created.id))
        return replace(self._outcome(record, action, created.id, created.request_ids),
                       answer=created.answer or None)

    def _resume(self, record: Record, d: Decision, intent: Intent) -> Outcome:
        """Finish a create that was cut off (adopt what it made, or re-send it unchanged),
        then carry on with what was decided: the update, or the removal of a deleted record."""
        if d.existing is None:
            self._complete(record, intent, 0, Action.CREATE)
        else:
            self.store.intents.complete(intent, self._link(record, d.existing, None, 0),
                                        *self._back_links(record, d.existing.id))
        link = self._link_of(record)
        if d.action is Action.REMOVE:
            return self._remove(record, link)
        if d.action is not Action.UPDATE:   # a create re-sent as it was, or a skip
            return replace(self._outcome(record, d.action, link.target_id), reason=d.reason)
        return self._update(record, link, payload_of(d))

    def _adopt(self, record: Record, d: Decision) -> Outcome:
        assert d.existing is not None, "adopt without a target"
        link = self._link(record, d.existing, None, 0)
        self.store.links.put(link, *self._back_links(record, d.existing.id))
        outcome = self._update(record, link, payload_of(d))
        if outcome.action is not Action.UPDATE:
            return outcome
        return replace(outcome, action=Action.ADOPT_UPDATE)

    def _update(self, record: Record, link: Link, payload: Mapping[str, Any],
                clear: tuple[FieldPath, ...] = ()) -> Outcome:
        # `clear` goes only to a connector that takes it, and only when it names something.
        sent, unclearable = split_clear(self.target, self.pipeline.target.entity, clear)
        extra = {"clear": sent} if sent else {}
        try:
            updated = self.target.update(self.pipeline.target.entity, link.target_id, payload,
                                         **extra)
        except ImmutableTargetError as exc:
            return self._refused(record, link, payload, exc)
        except NotFoundError:
            # The target was deleted behind our back: make a new one rather than fail forever.
            self.store.links.put(replace(link, state=LinkState.VOIDED, payload_hash=None))
            return self._recreate(record, link, payload)
        held = tuple(path for path in (*unclearable, *sent) if holds(updated.data, path))
        # Fields it cannot clear stay among those written: they were not cleared.
        kept = (*unclearable, *(path for path in sent if path in held))
        # SYNCED again: a deactivated or kept target just updated is in step, not still removed.
        self.store.links.put(replace(link, state=LinkState.SYNCED, payload_hash=hash_of(payload),
                                     target_version=updated.version, updated_at=_now(),
                                     payload_fields=(*fields_of(payload), *kept)))
        return replace(self._outcome(record, Action.UPDATE, link.target_id,
                                     updated.request_ids), kept=tuple(map(dotted, held)),
                       answer=updated.answer or None)

    def _refused(self, record: Record, link: Link, payload: Mapping[str, Any],
                 exc: ImmutableTargetError) -> Outcome:
        action = when_refused(self.pipeline)
        if action is Action.RECREATE:
            self.target.remove(self.pipeline.target.entity, link.target_id, mode="void")
            self.store.links.put(replace(link, state=LinkState.VOIDED, payload_hash=None,
                                         updated_at=_now()))
            return self._recreate(record, link, payload)
        if action is Action.SKIP:
            self.store.links.put(replace(link, state=LinkState.SYNCED,
                                         payload_hash=hash_of(payload),
                                         payload_fields=fields_of(payload), updated_at=_now()))
            return replace(self._outcome(record, Action.SKIP, link.target_id),
                           reason=REFUSED_IGNORED)
        self.store.links.put(replace(link, state=LinkState.FLAGGED,
                                     payload_hash=hash_of(payload), updated_at=_now()))
        return Outcome(self.pipeline.name, record.id, Action.FLAG, link.target_id,
                       error=flag_error(link.target_id, str(exc)))

    def _remove(self, record: Record, link: Link) -> Outcome:
        """Apply on_source_delete; a target that refuses (it holds more than itself) stays.

        A refused removal is flagged once and the link marked kept, so later syncs of the
        deleted record skip it and a record that comes back updates the target it still has.
        """
        mode = self.pipeline.policies.on_source_delete.value
        try:
            removed = self.target.remove(self.pipeline.target.entity, link.target_id,
                                         mode=mode)
        except RemovalRefused as exc:
            self.store.links.put(replace(link, state=LinkState.KEPT, payload_hash=None,
                                         updated_at=_now()))
            return Outcome(self.pipeline.name, record.id, Action.FLAG, link.target_id,
                           error=f"on_source_delete {mode} refused, the target is kept: {exc}",
                           request_ids=tuple(filter(None, [exc.request_id])))
        self.store.links.put(replace(link, state=LinkState.REMOVED, payload_hash=None,
                                     updated_at=_now()))
        ids = removed.request_ids if removed else ()
        return self._outcome(record, Action.REMOVE, link.target_id, ids)

    # -- helpers ------------------------------------------------------------------------------

    def _link_of(self, record: Record) -> Link:
        link = self.store.links.get(self.pipeline.name, record.id)
        assert link is not None, f"record {record.id} has no link after its create"
        return link

    def _back_links(self, record: Record, target_id: str) -> tuple[Link, ...]:
        """The pair as the `link_back` pipeline sees it, unless that one already has its own.

        Written with no payload hash, so that pipeline's next look at the record writes its
        own payload to this source record (its own id in the record's metadata, say), and
        its echo check knows the pair for what it is.
        """
        name = self.pipeline.link_back
        if name is None or self.store.links.get(name, target_id) is not None:
            return ()
        s = self.pipeline.source
        return (Link(pipeline=name, source_id=target_id, target_connection=s.connection,
                     target_entity=s.entity, target_id=record.id, payload_hash=None,
                     target_version=record.version, updated_at=_now()),)

    def _link(self, record: Record, target: Record, sent: Mapping[str, Any] | None,
              generation: int) -> Link:
        """The link to `target`; `sent` is the payload it was written with (None: adopted)."""
        t = self.pipeline.target
        return Link(pipeline=self.pipeline.name, source_id=record.id,
                    target_connection=t.connection, target_entity=t.entity, target_id=target.id,
                    payload_hash=hash_of(sent) if sent is not None else None,
                    generation=generation, target_version=target.version, updated_at=_now(),
                    payload_fields=fields_of(sent) if sent is not None else None)

    def _outcome(self, record: Record, action: Action, target_id: str | None = None,
                 request_ids: tuple[str, ...] = ()) -> Outcome:
        return Outcome(self.pipeline.name, record.id, action, target_id, request_ids=request_ids)


def _linked(decision: Decision) -> Link:
    assert decision.link is not None, f"a {decision.action} decision without a link"
    return decision.link


def _now() -> datetime:
    return datetime.now(UTC)
