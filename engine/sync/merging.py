"""A source system merged record A into record B: references to A now lead to B's target.

An accounting system merges customers: A's transactions move to B and A is left inactive.
Mirroring that as a delete would destroy A's target (a customer with invoices and cards),
and leaving A's link alone would keep sending whatever still names A (an invoice read
before the merge, a payment of one of A's invoices) to A's target. So:

1. B is linked first (synced if it is not yet): a merge into an unlinked record waits.
2. A's own target, if it has one, is marked as merged into B (connectors that can:
   `MergeMarker`); it is kept, never removed.
3. A's link is marked `merged` into B, in one store transaction. It keeps A's target id
   (so `linked_source` of A's target answers B, and a payment of one of A's old invoices
   is booked to B), while `link()` of A answers B's target (an invoice still naming A
   lands on B's customer). A record that had no link gets one to B's target.

The order makes a retry safe: a crash after 2 repeats an idempotent mark; after 3 the merge
is done and a redelivered notification finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from ml_connector.engine.errors import AuthError, ConnectorError, RetryableError
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.plugins.protocol import Connector, MergeMarker
from ml_connector.engine.store import Store
from ml_connector.engine.store.links import Link, LinkState
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.outcome import Outcome

LINKED = frozenset({LinkState.SYNCED, LinkState.KEPT})
ALREADY_MERGED = "already merged into {survivor}"


def merge(pipeline: Pipeline, store: Store, target: Connector, survivor_id: str,
          merged_id: str, sync_survivor: Callable[[], Outcome]) -> Outcome:
    """Merge `merged_id` into `survivor_id` for one pipeline.

    Fails only as an outcome, except for a lost authorisation (`AuthError`), which the
    caller keeps the notification waiting for, as for any sync.
    """
    outcome = partial(Outcome, pipeline.name, merged_id)

    if merged_id == survivor_id:
        return outcome(Action.SKIP, reason="a record merged into itself")
    survivor = _survivor_link(store, pipeline, survivor_id, sync_survivor)
    if survivor is None:
        return outcome(Action.FAIL, retryable=True,
                       error=f"the merge into {survivor_id} waits: {survivor_id} is not "
                             "linked yet")
    old = store.links.get(pipeline.name, merged_id)
    if old is not None and old.state is LinkState.MERGED and old.merged_into == survivor_id:
        return outcome(Action.SKIP, survivor.target_id,
                       reason=ALREADY_MERGED.format(survivor=survivor_id))
    request_ids: tuple[str, ...] = ()
    kept = old.target_id if old is not None and old.state is not LinkState.MERGED else None
    if kept is not None and kept != survivor.target_id and isinstance(target, MergeMarker):
        try:
            marked = target.mark_merged(pipeline.target.entity, kept, into=survivor_id)
        except AuthError:
            raise
        except ConnectorError as exc:
            return outcome(Action.FAIL, kept, retryable=isinstance(exc, RetryableError),
                           error=f"marking {kept} as merged into {survivor_id} failed: {exc}")
        request_ids = marked.request_ids if marked is not None else ()
    store.links.merge(pipeline.name, merged_id, survivor_id)
    kept_note = f"; its own target {kept} is kept" if kept else ""
    return outcome(Action.MERGE, survivor.target_id, request_ids=request_ids,
                   reason=f"merged into {survivor_id}{kept_note}")


def _survivor_link(store: Store, pipeline: Pipeline, survivor_id: str,
                   sync_survivor: Callable[[], Outcome]) -> Link | None:
    link = store.links.get(pipeline.name, survivor_id)
    if link is None or link.state not in LINKED:
        sync_survivor()
        link = store.links.get(pipeline.name, survivor_id)
    return link if link is not None and link.state in LINKED else None
