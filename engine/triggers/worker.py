"""Draining the webhook inbox: each stored event becomes a sync of the record it names.

Events carry ids, and a sender does not promise order, so a worker never trusts the event's
copy of the record: it fetches the record as it is now and syncs that. Items claimed together
are grouped by (connection, entity); when the connector can read many records in one request
(`get_many`), each group is read once, and every item is then synced from that read. A failed
item is retried with backoff up to a budget, then kept as failed (visible, replayable), never
dropped; each item is settled on its own, whether or not its record was read with others.
An event of a pipeline whose file changed on disk since the service loaded it waits, like
one without authorisation, for the restarted service.

A worker never dies of an unexpected error: an item that raises one is retried like any
failed item, a loop that raises one (the store unreachable) backs off and goes on. Both are
logged once per cause (see `failure_log`) and counted (see `streaks`), so `/healthz` says
degraded while they repeat instead of answering 200 while nothing is processed.
"""

from __future__ import annotations

import logging
import threading
import uuid

from ml_connector.engine.errors import AuthError, DefinitionChanged
from ml_connector.engine.store import InboxItem
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.triggers.coalescing import (
    ReadMany,
    SharedRead,
    SourceGroup,
    bulk_reader,
    group_by_source,
)
from ml_connector.engine.triggers.failure_log import FailureLog, one_line
from ml_connector.engine.triggers.health import (
    CHANGED_ON_DISK,
    RESTART_TO_LOAD,
    HealthPolicy,
    Problem,
)
from ml_connector.engine.triggers.metrics import ServiceMetrics
from ml_connector.engine.triggers.routing import pipelines_for
from ml_connector.engine.triggers.streaks import ErrorStreak, KeyedStreaks

log = logging.getLogger("ml_connector.worker")

MAX_ATTEMPTS = 8
# Large enough that a settle window's notifications (a few a second) are claimed, and read,
# together; small, because a worker that dies strands its whole claim until the lease runs
# out (60 s), and a restart should find little of its work held up that way.
BATCH = 10
AUTH_RETRY_DELAY = 60
MAX_LOOP_BACKOFF = 30.0


class InboxWorker:
    """One worker thread's loop: claim a batch, read each group, sync each item, settle it."""

    def __init__(self, runner: Runner, stop: threading.Event, *, batch: int = BATCH,
                 idle_wait: float = 0.2, max_attempts: int = MAX_ATTEMPTS,
                 metrics: ServiceMetrics | None = None, failures: FailureLog | None = None,
                 auth_waits: KeyedStreaks | None = None):
        """`failures` and `auth_waits` are shared by a service's workers: a cause is logged
        once, and an event of a connection going through ends that connection's wait
        whichever worker held the others."""
        self.runner, self.stop = runner, stop
        self.batch, self.idle_wait, self.max_attempts = batch, idle_wait, max_attempts
        self.metrics = metrics
        self.name = f"worker-{uuid.uuid4().hex[:8]}"
        self.failures = failures or FailureLog(log)
        self.loop_errors = ErrorStreak()     # claiming or settling failed
        self.item_errors = ErrorStreak()     # an item raised what no sync should
        self.auth_waits = auth_waits or KeyedStreaks()   # held for authorisation, by connection

    def run_forever(self) -> None:
        """Drain until stopped; an unexpected error backs off (up to 30 s) and goes on."""
        while not self.stop.is_set():
            try:
                drained = self.drain_once()
            except Exception as exc:  # the loop must outlive anything one claim can raise
                errors = self.loop_errors.failed(one_line(exc))
                self.failures.failed(("loop", self.name), one_line(exc),
                                     f"inbox worker {self.name} failed, retrying: "
                                     f"{one_line(exc)}", exc)
                self.stop.wait(min(MAX_LOOP_BACKOFF, self.idle_wait * 2 ** errors))
                continue
            if self.loop_errors.current() is not None:
                self.loop_errors.succeeded()
                self.failures.recovered(("loop", self.name),
                                        f"inbox worker {self.name} works again")
            if not drained:
                self.stop.wait(self.idle_wait)

    def problems(self, policy: HealthPolicy) -> list[Problem]:
        """What `/healthz` must hear of: errors repeating, events held for authorisation."""
        found = []
        for streak in (self.loop_errors.current(), self.item_errors.current()):
            if streak is not None and streak.count >= policy.failures_in_a_row:
                found.append(Problem("worker", self.name, f"{streak.count} unexpected errors "
                                     f"in a row, the latest: {streak.last}", since=streak.since))
        for connection, waiting in self.auth_waits.current().items():
            found.append(Problem("inbox", "", f"events from {connection} wait for "
                                 f"authorisation: {waiting.last}", since=waiting.since))
        return found

    def drain_once(self) -> int:
        """Process one claimed batch; returns how many items it settled."""
        inbox = self.runner.runtime.store.inbox
        items = inbox.claim(self.batch, worker=self.name)
        # A merge first: the changes it caused (transactions moved to the survivor) are then
        # synced knowing the merge, as one batch usually holds them all.
        for group in group_by_source(sorted(items, key=lambda i: i.operation != "merge")):
            self._process_group(group)
        return len(items)

    def process(self, item: InboxItem, shared: SharedRead | None = None) -> None:
        """Sync one item, from `shared` when that covers it (else read alone), and settle it."""
        inbox = self.runner.runtime.store.inbox
        try:
            errors = self._sync(item, shared)
        except AuthError as exc:
            self._await_authorisation(item, exc)
            return
        except DefinitionChanged as exc:
            self._await_restart(item, exc)
            return
        except Exception as exc:  # a bug or an unclassified error: retry it, keep the worker
            self._unexpected(item, exc)
            return
        self._processed(item)
        if not errors:
            inbox.done(item.id)
            return
        retry = item.attempts < self.max_attempts
        inbox.failed(item.id, "; ".join(errors), retry=retry,
                     delay=min(300, 2 ** item.attempts))

    def _process_group(self, group: SourceGroup) -> None:
        read_many = self._reader(group)
        shared: SharedRead | None = None
        for index, item in enumerate(group.items):
            if read_many is not None and (shared is None or not shared.answers(item.record_id)):
                shared = self._read_together(read_many, group, index)
                if shared is None:
                    return
            self.process(item, shared)

    def _reader(self, group: SourceGroup) -> ReadMany | None:
        """`get_many` when it saves requests here: two or more records, pipelines to feed."""
        if len(group.ids_from(0)) < 2:
            return None
        pipelines = self.runner.runtime.pipelines
        if not pipelines_for(pipelines, group.connection, group.entity):
            return None
        try:
            connector = self.runner.runtime.connector(group.connection)
        except Exception:  # opening fails per item below, where it is reported as it always was
            return None
        return bulk_reader(connector)

    def _read_together(self, read_many: ReadMany, group: SourceGroup,
                       index: int) -> SharedRead | None:
        """Read the records of the items from `index` on; None once those items are handled.

        Without authorisation every one of them waits for it, as a lone item would. Any other
        failure of the shared read falls back to reading item by item, so one record the
        system cannot return does not hold back the rest of the group.
        """
        ids = group.ids_from(index)
        try:
            shared = SharedRead.read(read_many, group.entity, ids)
        except AuthError as exc:
            for item in group.items[index:]:
                self._await_authorisation(item, exc)
            return None
        except Exception as exc:  # even a bug of get_many must not hold the group back
            log.warning("reading %d %s records of %s together failed, reading them one by "
                        "one: %s", len(ids), group.entity, group.connection, one_line(exc))
            for item in group.items[index:]:
                self.process(item)
            return None
        if self.metrics is not None:
            self.metrics.shared_reads.labels(group.connection).inc()
            self.metrics.shared_read_records.labels(group.connection).inc(len(ids))
        return shared

    def _await_authorisation(self, item: InboxItem, exc: AuthError) -> None:
        """Authorisation is gone: keep the event pending for after re-authorisation."""
        self.runner.runtime.store.inbox.failed(item.id, str(exc), retry=True,
                                               delay=AUTH_RETRY_DELAY)
        self.auth_waits.failed(item.connection, str(exc))
        self.failures.failed(("authorisation", item.connection), str(exc),
                             f"events from {item.connection} wait for authorisation: {exc}")

    def _await_restart(self, item: InboxItem, exc: DefinitionChanged) -> None:
        """A pipeline file changed on disk: keep the event for the restarted service, which
        syncs it as the file is now (`/healthz` reports the change itself)."""
        text = f"{CHANGED_ON_DISK}; {RESTART_TO_LOAD}"
        self.runner.runtime.store.inbox.failed(item.id, f"pipeline {exc.pipeline}: {text}",
                                               retry=True, delay=AUTH_RETRY_DELAY)
        self.failures.failed(("definition", exc.pipeline), text,
                             f"events of pipeline {exc.pipeline} wait: {text}")

    def _unexpected(self, item: InboxItem, exc: Exception) -> None:
        """Retry the item as a failed one, with backoff; count and log the error once."""
        cause = one_line(exc)
        self.item_errors.failed(cause)
        self.failures.failed(("item", self.name), cause,
                             f"inbox worker {self.name}: event {item.event_id} of "
                             f"{item.connection} failed unexpectedly, it will be retried: "
                             f"{cause}", exc)
        self.runner.runtime.store.inbox.failed(
            item.id, f"unexpected error: {cause}", retry=item.attempts < self.max_attempts,
            delay=min(300, 2 ** item.attempts))

    def _processed(self, item: InboxItem) -> None:
        """An item went through: whatever streak it ends, `/healthz` forgets it."""
        if self.item_errors.current() is not None:
            self.item_errors.succeeded()
            self.failures.recovered(("item", self.name),
                                    f"inbox worker {self.name} processes events again")
        if self.auth_waits.succeeded(item.connection):
            self.failures.recovered(("authorisation", item.connection),
                                    f"events from {item.connection} are processed again")

    def _sync(self, item: InboxItem, shared: SharedRead | None) -> list[str]:
        errors = []
        pipelines = self.runner.runtime.pipelines
        for name in pipelines_for(pipelines, item.connection, item.entity):
            if shared is not None and item.record_id in shared.ids:
                outcome = self.runner.sync_read(name, item.record_id,
                                                shared.record(item.record_id))
            else:
                outcome = self.runner.sync_id(name, item.record_id)
            if outcome.action is Action.FAIL and outcome.retryable:
                errors.append(f"{name}: {outcome.error}")
            merged_id = _merged_id(item)
            if merged_id and not (outcome.action is Action.FAIL and outcome.retryable):
                merged = self.runner.merge(name, item.record_id, merged_id)
                if merged.action is Action.FAIL and merged.retryable:
                    errors.append(f"{name}: {merged.error}")
        return errors


def _merged_id(item: InboxItem) -> str | None:
    """The record a merge notification merged away (`item.record_id` survives), if any."""
    if item.operation != "merge":
        return None
    extra = (item.payload or {}).get("extra") or {}
    merged = extra.get("deleted_id") if isinstance(extra, dict) else None
    return str(merged) if merged else None

