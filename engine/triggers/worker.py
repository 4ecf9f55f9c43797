"""Draining the webhook inbox: each stored event becomes a sync of the record it names.

Events carry ids, and a sender does not promise order, so a worker never trusts the event's
copy of the record: it fetches the record as it is now and syncs that. A failed item is
retried with backoff up to a budget, then kept as failed (visible, replayable), never dropped.
"""

from __future__ import annotations

import logging
import threading
import uuid

from ml_connector.engine.errors import AuthError
from ml_connector.engine.store import InboxItem
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.triggers.routing import pipelines_for

log = logging.getLogger("ml_connector.worker")

MAX_ATTEMPTS = 8


class InboxWorker:
    """One worker thread's loop: claim a batch, sync each item, settle it."""

    def __init__(self, runner: Runner, stop: threading.Event, *, batch: int = 10,
                 idle_wait: float = 0.2, max_attempts: int = MAX_ATTEMPTS):
        self.runner, self.stop = runner, stop
        self.batch, self.idle_wait, self.max_attempts = batch, idle_wait, max_attempts
        self.name = f"worker-{uuid.uuid4().hex[:8]}"

    def run_forever(self) -> None:
        while not self.stop.is_set():
            if not self.drain_once():
                self.stop.wait(self.idle_wait)

    def drain_once(self) -> int:
        """Process one claimed batch; returns how many items it settled."""
        inbox = self.runner.runtime.store.inbox
        items = inbox.claim(self.batch, worker=self.name)
        for item in items:
            self.process(item)
        return len(items)

    def process(self, item: InboxItem) -> None:
        inbox = self.runner.runtime.store.inbox
        try:
            errors = self._sync(item)
        except AuthError as exc:
            # Authorisation is gone: keep the event pending for after re-authorisation.
            inbox.failed(item.id, str(exc), retry=True, delay=60)
            log.error("%s", exc)
            return
        if not errors:
            inbox.done(item.id)
            return
        retry = item.attempts < self.max_attempts
        inbox.failed(item.id, "; ".join(errors), retry=retry,
                     delay=min(300, 2 ** item.attempts))

    def _sync(self, item: InboxItem) -> list[str]:
        errors = []
        pipelines = self.runner.runtime.pipelines
        for name in pipelines_for(pipelines, item.connection, item.entity):
            outcome = self.runner.sync_id(name, item.record_id)
            if outcome.action == "fail" and outcome.retryable:
                errors.append(f"{name}: {outcome.error}")
        return errors
