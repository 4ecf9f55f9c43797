"""What to do with one source record: decided once, for a run and for a plan alike.

`Decider.decide` reads what a run reads (the link, a pending intent, the filters, the
rendered payload, and an existing target when match keys may find one) and names the
action. A run (`RecordSync`) performs the writes the decision names; `pipeline plan`
reports them. Because both ask the same function, a plan cannot foresee what a run does
not do.

Two facts only the target can tell turn an update into something else: the target is gone
(`recreate`), or it refuses the change, as a finalized invoice refuses new amounts (then
`on_immutable_change` decides: `when_refused`). A run learns them from the update's answer,
a plan by reading the target; both then apply the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ml_connector.engine.model.pipeline import OnImmutableChange, OnSourceDelete, Pipeline
from ml_connector.engine.plugins.protocol import Connector
from ml_connector.engine.records import FieldPath, Record
from ml_connector.engine.store import Store
from ml_connector.engine.store.intents import Intent
from ml_connector.engine.store.links import Link, LinkState
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.adoption import PipelineBeginnings, may_have_foreign_target
from ml_connector.engine.sync.match_index import Finder
from ml_connector.engine.sync.matching import find_existing
from ml_connector.engine.sync.payloads import cleared_fields, decode, payload_hash
from ml_connector.engine.sync.rendering import Renderer

DELETED_BEFORE_SYNC = "deleted in the source before it was synced"
DELETED_IGNORED = "deleted in the source; on_source_delete is ignore"
DELETED_ALREADY_REMOVED = "deleted in the source; already removed from the target"
REFUSED_IGNORED = "the target refused the change; on_immutable_change is ignore"
FLAGGED_BEFORE = ("flagged by an earlier run: the target refused this change; "
                  "on_immutable_change is flag; tried again when the record changes")
DELETED_KEPT = "deleted in the source; the target refused its removal and is kept"
MERGED_AWAY = "merged into {survivor}; what refers to it goes to the survivor's target"

WHEN_REFUSED = {OnImmutableChange.VOID_AND_RECREATE: Action.RECREATE,
                OnImmutableChange.IGNORE: Action.SKIP,
                OnImmutableChange.FLAG: Action.FLAG}


@dataclass(frozen=True)
class Decision:
    """An action and what performing it needs.

    `interrupted` is a create cut off before its link was written: it is finished first
    (re-sent with its own key, or linked to what it made: `existing`). `existing` is
    otherwise the unlinked target a match key found, to adopt. `clear` names the fields the
    last written payload set and this one does not. `reason` says why a skip writes nothing.
    """

    action: Action
    link: Link | None = None
    payload: dict[str, Any] | None = None
    digest: str | None = None
    clear: tuple[FieldPath, ...] = ()
    existing: Record | None = None
    interrupted: Intent | None = None
    reason: str | None = None   # why nothing is written (a skip): "filter: record.Active"

    @property
    def target_id(self) -> str | None:
        if self.link is not None:
            return self.link.target_id
        return self.existing.id if self.existing is not None else None


def when_refused(pipeline: Pipeline) -> Action:
    """What follows when the target refuses an update, by the pipeline's policy."""
    return WHEN_REFUSED[pipeline.policies.on_immutable_change]


def flag_error(target_id: str, refusal: str) -> str:
    """What a flagged record says, in a run and in a plan alike."""
    return (f"the target {target_id} cannot take this change: {refusal}; the pipeline's "
            "on_immutable_change policy is 'flag'")


class Decider:
    """Decides for the records of one pipeline.

    `sync_dependency` syncs an unlinked parent on demand (a run); without it the renderer
    must render such a reference as a placeholder (a plan). `finder` answers match lookups
    in place of the target's own `find` (a run's listing).
    """

    def __init__(self, pipeline: Pipeline, renderer: Renderer, target: Connector, store: Store,
                 beginnings: PipelineBeginnings, *, finder: Finder | None = None,
                 sync_dependency: Callable[[str, str], None] | None = None):
        self.pipeline, self.renderer, self.target, self.store = pipeline, renderer, target, store
        self.beginnings, self.finder = beginnings, finder
        self.sync_dependency = sync_dependency

    def decide(self, record: Record) -> Decision:
        if self._is_echo(record):
            return Decision(Action.ECHO)
        link = self.store.links.get(self.pipeline.name, record.id)
        context = self.renderer.context(record)
        if self.renderer.counts_as_deleted(record, context):
            return self._removal(record, link)
        if not self.renderer.passes_filter(record, context):
            return Decision(Action.SKIP, link, reason=self.renderer.filter_reason)
        payload = self.renderer.payload(record, self.sync_dependency)
        digest = payload_hash(payload)
        if link is not None:
            return self._linked(link, payload, digest)
        pending = self.store.intents.pending(self.pipeline.name, record.id)
        if pending is not None:
            return self._resumed(record, pending, payload, digest)
        existing = None
        if may_have_foreign_target(self.pipeline, record, self.renderer, context,
                                   self.beginnings):
            existing = self.find_existing(record)
        if existing is not None:
            return Decision(Action.ADOPT_UPDATE, None, payload, digest, existing=existing)
        return Decision(Action.CREATE, None, payload, digest)

    def find_existing(self, record: Record) -> Record | None:
        return find_existing(self.pipeline, record, self.renderer, self.target, self.store,
                             self.finder)

    def _linked(self, link: Link, payload: dict[str, Any], digest: str) -> Decision:
        """A linked record: unchanged, updated, or recreated after a void or removal.

        A removed target comes back by a recreate, except a deactivated one: it still
        exists, and an update brings it the payload (which may reactivate it). So does a
        target that refused its removal (kept). A payload the target refused under the
        flag policy is not tried again until it changes. A record merged into another is
        not synced again: references to it go to the survivor, whose data fills the
        survivor's target.
        """
        if link.state is LinkState.MERGED:
            return Decision(Action.SKIP, link, reason=MERGED_AWAY.format(survivor=link.merged_into))
        deactivated = self.pipeline.policies.on_source_delete is OnSourceDelete.DEACTIVATE
        if link.state is LinkState.VOIDED or (link.state is LinkState.REMOVED
                                              and not deactivated):
            return Decision(Action.RECREATE, link, payload, digest)
        if link.state is LinkState.SYNCED and link.payload_hash == digest:
            return Decision(Action.UNCHANGED, link)
        if link.state is LinkState.FLAGGED and link.payload_hash == digest:
            # Said once, when it was refused: a run repeating it would bury other failures.
            return Decision(Action.SKIP, link, reason=FLAGGED_BEFORE)
        return Decision(Action.UPDATE, link, payload, digest,
                        clear=cleared_fields(link.payload_fields, payload))

    def _resumed(self, record: Record, pending: Intent, payload: dict[str, Any],
                 digest: str) -> Decision:
        """A create was cut off: it ends as a create if re-sending it sends this payload.

        Otherwise what it made (found by the match keys, or made by re-sending it) is
        updated to this payload.
        """
        existing = self.find_existing(record)
        resent = existing is None and payload_hash(decode(pending.payload)) == digest
        return Decision(Action.CREATE if resent else Action.UPDATE, None, payload, digest,
                        existing=existing, interrupted=pending)

    def _removal(self, record: Record, link: Link | None) -> Decision:
        """The source record is gone: remove its target once, as on_source_delete says.

        A create cut off before its link was written is finished first (`interrupted`):
        skipped, the half-made target would stay behind, linked to nothing.
        """
        pending = None
        if link is None:
            pending = self.store.intents.pending(self.pipeline.name, record.id)
            if pending is None:
                return Decision(Action.SKIP, reason=DELETED_BEFORE_SYNC)
        ignored = self.pipeline.policies.on_source_delete is OnSourceDelete.IGNORE
        settled = {LinkState.REMOVED: DELETED_ALREADY_REMOVED, LinkState.KEPT: DELETED_KEPT,
                   LinkState.MERGED: MERGED_AWAY}
        if ignored or (link is not None and link.state in settled):
            reason = DELETED_IGNORED if ignored else settled[_state(link)].format(
                survivor=link.merged_into if link else None)
            return Decision(Action.SKIP, link, interrupted=pending, reason=reason)
        return Decision(Action.REMOVE, link, interrupted=pending)

    def _is_echo(self, record: Record) -> bool:
        """A source record that some pipeline of ours wrote is our own echo, not a change.

        Except one this pipeline links as a source of its own: the pair written both ways
        (`link_back`), or a record it synced before another pipeline adopted it. That
        record is this pipeline's to sync, or a later edit of it would never reach its
        counterpart.
        """
        source = self.pipeline.source
        if self.store.links.by_target(source.connection, source.entity, record.id) is None:
            return False
        return self.store.links.get(self.pipeline.name, record.id) is None


def _state(link: Link | None) -> LinkState:
    assert link is not None, "a settled removal without a link"
    return link.state


def payload_of(decision: Decision) -> Mapping[str, Any]:
    """The payload of a decision that writes one."""
    assert decision.payload is not None, f"a {decision.action} decision without a payload"
    return decision.payload
