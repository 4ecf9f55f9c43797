"""Bringing one target record in line with one source record, exactly once.

The order of writes is what makes retries and crashes safe:

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

from ml_connector.engine.errors import ImmutableTargetError, NotFoundError
from ml_connector.engine.model.pipeline import OnImmutableChange, OnSourceDelete, Pipeline
from ml_connector.engine.plugins.protocol import Connector
from ml_connector.engine.records import Record
from ml_connector.engine.store import Store
from ml_connector.engine.store.intents import Intent
from ml_connector.engine.store.links import Link, LinkState
from ml_connector.engine.sync.adoption import PipelineBeginnings, may_have_foreign_target
from ml_connector.engine.sync.match_index import Finder
from ml_connector.engine.sync.matching import find_existing
from ml_connector.engine.sync.outcome import Outcome
from ml_connector.engine.sync.payloads import decode, encode, idempotency_key, payload_hash
from ml_connector.engine.sync.rendering import Renderer


class RecordSync:
    """The create / update / skip decision and the writes for one pipeline."""

    def __init__(self, pipeline: Pipeline, renderer: Renderer, target: Connector, store: Store,
                 sync_dependency: Callable[[str, str], None],
                 beginnings: PipelineBeginnings, *,
                 finder: Finder | None = None):
        self.pipeline, self.renderer, self.target, self.store = pipeline, renderer, target, store
        self.sync_dependency = sync_dependency
        self.finder = finder
        self.beginnings = beginnings

    def sync(self, record: Record) -> Outcome:
        p = self.pipeline
        if self._is_echo(record):
            return self._outcome(record, "echo")
        link = self.store.links.get(p.name, record.id)
        context = self.renderer.context(record)
        if self.renderer.counts_as_deleted(record, context):
            return self._remove(record, link or self._finish_interrupted_create(record))
        if not self.renderer.passes_filter(record, context):
            return self._outcome(record, "skip", link.target_id if link else None)
        payload = self.renderer.payload(record, self.sync_dependency)
        digest = payload_hash(payload)
        if link is not None and link.state is LinkState.VOIDED:
            return self._create(record, payload, digest, link.generation + 1, "recreate")
        if link is not None:
            if link.payload_hash == digest:
                return self._outcome(record, "unchanged", link.target_id)
            return self._update(record, link, payload, digest)
        pending = self.store.intents.pending(p.name, record.id)
        if pending is not None:
            return self._resume(record, pending, payload, digest)
        existing = None
        if may_have_foreign_target(p, record, self.renderer, context, self.beginnings):
            existing = find_existing(p, record, self.renderer, self.target, self.store,
                                     self.finder)
        if existing is not None:
            return self._adopt(record, existing, payload, digest)
        return self._create(record, payload, digest, 0, "create")

    # -- writes -------------------------------------------------------------------------------

    def _create(self, record: Record, payload: Mapping[str, Any], digest: str, generation: int,
                action: str) -> Outcome:
        key = idempotency_key(self.pipeline.name, record.id, generation, digest)
        intent = self.store.intents.begin(self.pipeline.name, record.id, key, encode(payload))
        outcome = self._complete(record, intent, generation, action)
        if payload_hash(decode(intent.payload)) != digest:  # an older pending intent was re-sent
            return self._update(record, self.store.links.get(self.pipeline.name, record.id),
                                payload, digest)
        return outcome

    def _complete(self, record: Record, intent: Intent, generation: int, action: str) -> Outcome:
        sent = decode(intent.payload)
        created = self.target.create(self.pipeline.target.entity, sent,
                                     idempotency_key=intent.idempotency_key)
        self.store.intents.complete(intent, self._link(record, created, payload_hash(sent),
                                                       generation))
        return self._outcome(record, action, created.id, created.request_ids)

    def _resume(self, record: Record, intent: Intent, payload: Mapping[str, Any],
                digest: str) -> Outcome:
        """Finish a create that was interrupted: adopt what it made, or re-send it unchanged."""
        existing = find_existing(self.pipeline, record, self.renderer, self.target, self.store,
                                 self.finder)
        if existing is None:
            self._complete(record, intent, 0, "create")
        else:
            self.store.intents.complete(intent, self._link(record, existing, None, 0))
        link = self.store.links.get(self.pipeline.name, record.id)
        if link is not None and link.payload_hash == digest:
            return self._outcome(record, "create", link.target_id)
        return self._update(record, link, payload, digest)

    def _finish_interrupted_create(self, record: Record) -> Link | None:
        """The link of a create cut off before its link was written, once it is finished.

        The source record was deleted since, so it can no longer be rendered or matched;
        the intent still holds the payload and key, and re-sending them answers with what
        the first attempt made (or makes it), which the delete policy then removes. Skipped,
        the half-made target would stay behind, linked to nothing, its intent pending.
        """
        pending = self.store.intents.pending(self.pipeline.name, record.id)
        if pending is None:
            return None
        self._complete(record, pending, 0, "create")
        return self.store.links.get(self.pipeline.name, record.id)

    def _adopt(self, record: Record, existing: Record, payload: Mapping[str, Any],
               digest: str) -> Outcome:
        link = self._link(record, existing, None, 0)
        self.store.links.put(link)
        outcome = self._update(record, link, payload, digest)
        action = "adopt+update" if outcome.action == "update" else outcome.action
        return replace(outcome, action=action)

    def _update(self, record: Record, link: Link | None, payload: Mapping[str, Any],
                digest: str) -> Outcome:
        assert link is not None, "update without a link"
        try:
            updated = self.target.update(self.pipeline.target.entity, link.target_id, payload)
        except ImmutableTargetError as exc:
            return self._immutable(record, link, payload, digest, exc)
        except NotFoundError:
            # The target was deleted behind our back: make a new one rather than fail forever.
            self.store.links.put(replace(link, state=LinkState.VOIDED, payload_hash=None))
            return self._create(record, payload, digest, link.generation + 1, "recreate")
        self.store.links.put(replace(link, payload_hash=digest, target_version=updated.version,
                                     updated_at=_now()))
        return self._outcome(record, "update", link.target_id, updated.request_ids)

    def _immutable(self, record: Record, link: Link, payload: Mapping[str, Any], digest: str,
                   exc: ImmutableTargetError) -> Outcome:
        policy = self.pipeline.policies.on_immutable_change
        if policy is OnImmutableChange.VOID_AND_RECREATE:
            self.target.remove(self.pipeline.target.entity, link.target_id, mode="void")
            self.store.links.put(replace(link, state=LinkState.VOIDED, payload_hash=None,
                                         updated_at=_now()))
            return self._create(record, payload, digest, link.generation + 1, "recreate")
        if policy is OnImmutableChange.IGNORE:
            self.store.links.put(replace(link, payload_hash=digest, updated_at=_now()))
            return self._outcome(record, "skip", link.target_id)
        return Outcome(self.pipeline.name, record.id, "flag", link.target_id,
                       error=f"the target {link.target_id} cannot take this change: {exc}; "
                             "the pipeline's on_immutable_change policy is 'flag'")

    def _remove(self, record: Record, link: Link | None) -> Outcome:
        policy = self.pipeline.policies.on_source_delete
        if link is None or policy is OnSourceDelete.IGNORE or link.state is LinkState.REMOVED:
            return self._outcome(record, "skip", link.target_id if link else None)
        removed = self.target.remove(self.pipeline.target.entity, link.target_id,
                                     mode=policy.value)
        self.store.links.put(replace(link, state=LinkState.REMOVED, payload_hash=None,
                                     updated_at=_now()))
        ids = removed.request_ids if removed else ()
        return self._outcome(record, "remove", link.target_id, ids)

    # -- helpers ------------------------------------------------------------------------------

    def _is_echo(self, record: Record) -> bool:
        """A source record that some pipeline of ours wrote is our own echo, not a change."""
        source = self.pipeline.source
        return self.store.links.by_target(source.connection, source.entity, record.id) is not None

    def _link(self, record: Record, target: Record, digest: str | None, generation: int) -> Link:
        t = self.pipeline.target
        return Link(pipeline=self.pipeline.name, source_id=record.id,
                    target_connection=t.connection, target_entity=t.entity, target_id=target.id,
                    payload_hash=digest, generation=generation, target_version=target.version,
                    updated_at=_now())

    def _outcome(self, record: Record, action: str, target_id: str | None = None,
                 request_ids: tuple[str, ...] = ()) -> Outcome:
        return Outcome(self.pipeline.name, record.id, action, target_id, request_ids=request_ids)


def _now() -> datetime:
    return datetime.now(UTC)
