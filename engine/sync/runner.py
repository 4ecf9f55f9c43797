"""Running pipelines: read changed source records, sync each, store the cursor, audit it all.

Records of a page are synced concurrently (bounded by the project's `workers`); the HTTP
layer's per-connection rate limiter keeps the total under each API's limits. The cursor is
stored only after a whole page is processed, so a crash re-reads at most one page, and the
links make re-reading harmless.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ml_connector.engine.errors import (
    AuthError,
    ConnectorError,
    DefinitionChanged,
    RecordError,
    RetryableError,
)
from ml_connector.engine.model.pipeline import Pipeline
from ml_connector.engine.plugins.protocol import Connector
from ml_connector.engine.records import Record
from ml_connector.engine.store.audit import AuditEntry
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.adoption import PipelineBeginnings
from ml_connector.engine.sync.context import LinkLookup
from ml_connector.engine.sync.delivery import Delivery, source_view
from ml_connector.engine.sync.fingerprint import Definitions
from ml_connector.engine.sync.locks import KeyedLocks
from ml_connector.engine.sync.match_index import Finder, listing_finder
from ml_connector.engine.sync.merging import merge
from ml_connector.engine.sync.outcome import Outcome, RunSummary
from ml_connector.engine.sync.record_sync import RecordSync
from ml_connector.engine.sync.rendering import Renderer
from ml_connector.engine.sync.request_summary import RecordingRenderer, request_summary
from ml_connector.engine.sync.runtime import Runtime

log = logging.getLogger("ml_connector.sync")

OUTCOME_OF_ACTION = {Action.UNCHANGED: "unchanged", Action.SKIP: "skipped",
                     Action.ECHO: "skipped", Action.FAIL: "failed", Action.FLAG: "failed"}


def cursor_name(pipeline: str) -> str:
    return f"pipeline:{pipeline}"


class Runner:
    """Runs pipelines of one runtime. Thread-safe: webhook workers share one instance."""

    def __init__(self, runtime: Runtime, *, trigger: str = "manual",
                 on_outcome: Callable[[Outcome], None] | None = None, run_id: str | None = None,
                 locks: KeyedLocks | None = None,
                 on_total: Callable[[str, int], None] | None = None):
        """`on_outcome` hears every record synced; `on_total` hears (pipeline, records) when a
        source says up front how many records a run will read. Both are for displays."""
        self.runtime, self.trigger, self.on_outcome = runtime, trigger, on_outcome
        self.on_total = on_total
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self._locks = locks or KeyedLocks()
        self._links = LinkLookup(runtime.store, runtime.pipelines, connectors=runtime.connector)
        self._beginnings = PipelineBeginnings(runtime.store)
        self._listings: dict[str, Finder] = {}   # pipelines in a first run: their listing
        self._running: dict[str, RunSummary] = {}  # pipelines running now: their summary
        self._delivery = Delivery(runtime)

    def fork(self, *, trigger: str) -> Runner:
        """A runner with its own run id that shares this one's record locks and callbacks."""
        return Runner(self.runtime, trigger=trigger, on_outcome=self.on_outcome,
                      locks=self._locks, on_total=self.on_total)

    # -- whole pipelines ----------------------------------------------------------------------

    def run(self, name: str, *, full: bool = False) -> RunSummary:
        """Sync every source record changed since the stored cursor (every record when `full`).

        After an edit of the pipeline's definition (its mapping, params, filter, match or
        policies: see fingerprint.py) the run reads every record, so the edit reaches the
        records it changes; unchanged payloads still cost no write. The definition is
        recorded once a run finishes without being stopped; records that failed under it
        are synced again by each later run until they go through.

        A pipeline whose file changed on disk since this process loaded it is not run at
        all (`DefinitionChanged`): its older definition must not undo the newer one's work.

        Reading from the beginning, unlinked records are matched against one listing of the
        target, when its connector offers one, rather than a search each (see match_index).
        """
        pipeline = self.runtime.pipelines.get(name)
        self._check_on_disk(pipeline)
        summary = RunSummary(pipeline.name, self.run_id)
        self._running[pipeline.name] = summary   # first: parents pulled from now on count here
        try:
            self._run(pipeline, summary, full)
        finally:
            self._running.pop(pipeline.name, None)
            self._listings.pop(pipeline.name, None)
        return summary

    def _run(self, pipeline: Pipeline, summary: RunSummary, full: bool) -> None:
        """The run itself, into `summary`; `run` keeps the runs in progress around it."""
        source = self.runtime.connector(pipeline.source.connection)
        store = self.runtime.store
        if pipeline.source_occurred_at is not None:
            self._beginnings.of(pipeline.name)   # a run, even of nothing, begins the pipeline
        definitions = Definitions(store)
        definitions.adopt(pipeline)
        reread = full or not definitions.current(pipeline)
        owed = set() if reread else definitions.owed(pipeline)
        cursor = None if reread else store.cursors.get(cursor_name(pipeline.name))
        finder = None
        if cursor is None:
            finder = listing_finder(pipeline, self.runtime.connector(pipeline.target.connection))
            if finder is not None:   # parents pulled on demand meanwhile match against it too
                self._listings[pipeline.name] = finder
        try:
            read = self._read_changes(pipeline, source, cursor, finder, summary, owed)
            self._sync_owed(pipeline, owed - read, summary)
            self._check_on_disk(pipeline)
            failed = {failure.source_id for failure in summary.failures}
            definitions.synced(pipeline, owed=failed if reread else owed & failed)
        except AuthError as exc:
            summary.stopped = str(exc)
            self._audit_failure(pipeline, None, exc)

    def _read_changes(self, pipeline: Pipeline, source: Connector, cursor: str | None,
                      finder: Finder | None, summary: RunSummary, owed: set[str]) -> set[str]:
        """Sync each page from `cursor`, storing the cursor after it; the `owed` ids read."""
        read: set[str] = set()
        for page in source.read_changes(pipeline.source.entity, cursor):
            self._check_on_disk(pipeline)
            if page.total is not None and self.on_total is not None:
                self.on_total(pipeline.name, page.total)
            for outcome in self._sync_all(pipeline, page.records, finder):
                summary.add(outcome)
            read.update(record.id for record in page.records if record.id in owed)
            if page.cursor is not None:
                self.runtime.store.cursors.put(cursor_name(pipeline.name), page.cursor)
        return read

    def _sync_owed(self, pipeline: Pipeline, owed: set[str], summary: RunSummary) -> None:
        """Sync again, by id, the records that failed under the current definition."""
        if owed:
            log.info("pipeline %s: syncing again %d record(s) that failed after its last "
                     "edit", pipeline.name, len(owed))
        for source_id in sorted(owed):
            summary.add(self.sync_id(pipeline.name, source_id))

    def _check_on_disk(self, pipeline: Pipeline) -> None:
        """Raise `DefinitionChanged` when the pipeline's file is not the one loaded."""
        if self.runtime.pipeline_files.changed(pipeline):
            raise DefinitionChanged(pipeline.name, pipeline.path)

    def run_all(self, names: Iterable[str] | None = None, *, full: bool = False
                ) -> list[RunSummary]:
        """Run pipelines, each once its dependencies allow; summaries in dependency order.

        A pipeline starts when the dependencies it must see finished have finished
        (`PipelineSet.must_finish_first`); one that reaches a dependency only through
        `link()` starts alongside it and pulls each parent it needs on demand. So invoices
        do not wait for the last customer, and both share the APIs' budgets instead of
        leaving one idle. Once a pipeline is stopped (authorisation lost), no pipeline that
        has not started yet starts.
        """
        pipelines = self.runtime.pipelines
        wanted = [n for n in pipelines.order if names is None or n in set(names)]
        finished = {name: threading.Event() for name in wanted}
        summaries: dict[str, RunSummary] = {}
        stop = threading.Event()

        def run_when_ready(name: str) -> None:
            try:
                for dependency in pipelines.must_finish_first(name):
                    if dependency in finished:
                        finished[dependency].wait()
                if stop.is_set():
                    return
                summary = summaries[name] = self.run(name, full=full)
                if summary.stopped:
                    stop.set()
            except BaseException:
                stop.set()   # a run that broke stops the rest, as it did one after another
                raise
            finally:
                finished[name].set()

        if len(wanted) == 1:
            run_when_ready(wanted[0])
        else:
            with ThreadPoolExecutor(max_workers=len(wanted), thread_name_prefix="run") as pool:
                list(pool.map(run_when_ready, wanted))
        return [summaries[name] for name in wanted if name in summaries]

    # -- single records -----------------------------------------------------------------------

    def sync_id(self, name: str, source_id: str, *, finder: Finder | None = None) -> Outcome:
        """Fetch one source record by id and sync it (webhooks, replay, on-demand parents)."""
        pipeline = self.runtime.pipelines.get(name)
        self._check_on_disk(pipeline)
        source = self.runtime.connector(pipeline.source.connection)
        try:
            record = source.get(pipeline.source.entity, source_id)
        except AuthError:
            raise
        except ConnectorError as exc:
            return self._record_failure(pipeline, source_id, exc)
        return self.sync_read(name, source_id, record, finder=finder)

    def sync_read(self, name: str, source_id: str, record: Record | None, *,
                  finder: Finder | None = None) -> Outcome:
        """Sync a source record the caller has already read; None means it does not exist.

        This is `sync_id` after its read, for callers that read many records at once: a
        missing record takes the delete path, exactly as when `get` answers None.
        """
        pipeline = self.runtime.pipelines.get(name)
        self._check_on_disk(pipeline)
        if record is None:
            record = Record(pipeline.source.entity, source_id, {}, deleted=True)
        return self.sync_record(pipeline, record, finder=finder)

    def sync_record(self, pipeline: Pipeline, record: Record, *,
                    finder: Finder | None = None) -> Outcome:
        """Sync one record under its lock, audit the attempt, and never raise for one record.

        `finder` answers match lookups in place of the target's `find` (a run's listing).
        """
        renderer = RecordingRenderer(pipeline, self._links, source_view(self.runtime, pipeline))
        with self._locks.hold((pipeline.name, record.id)):
            try:
                outcome = self._record_sync(pipeline, renderer, finder).sync(record)
                outcome = self._delivery.after(pipeline, record, outcome)
            except AuthError:
                raise
            except (RecordError, ConnectorError) as exc:
                outcome = self._record_failure(pipeline, record.id, exc, audit=False)
            self._audit(outcome, request_summary(
                pipeline, renderer.rendered,
                source_ids=(*record.request_ids, *outcome.source_request_ids),
                target_ids=outcome.request_ids, reason=outcome.reason,
                answer=outcome.answer, written_back=outcome.written_back))
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    def merge(self, name: str, survivor_id: str, merged_id: str) -> Outcome:
        """The source merged `merged_id` into `survivor_id`: re-point the merged one's link.

        Held under the merged record's lock, so a sync of it cannot interleave; audited as
        one row that names the target the merged record's link now leads to.
        """
        pipeline = self.runtime.pipelines.get(name)
        self._check_on_disk(pipeline)
        target = self.runtime.connector(pipeline.target.connection)
        with self._locks.hold((pipeline.name, merged_id)):
            outcome = merge(pipeline, self.runtime.store, target, survivor_id, merged_id,
                            lambda: self.sync_id(name, survivor_id))
            self._audit(outcome, request_summary(pipeline, None, target_ids=outcome.request_ids,
                                                 reason=outcome.reason))
        if outcome.failed:
            log.warning("pipeline %s: merging %s into %s failed: %s", name, merged_id,
                        survivor_id, outcome.error)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    # -- internals ----------------------------------------------------------------------------

    def _sync_all(self, pipeline: Pipeline, records: list[Record],
                  finder: Finder | None) -> list[Outcome]:
        workers = max(1, min(self.runtime.project.workers, len(records)))
        if workers == 1:
            return [self.sync_record(pipeline, record, finder=finder) for record in records]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync") as pool:
            return list(pool.map(lambda r: self.sync_record(pipeline, r, finder=finder),
                                 records))

    def _record_sync(self, pipeline: Pipeline, renderer: Renderer,
                     finder: Finder | None = None) -> RecordSync:
        target = self.runtime.connector(pipeline.target.connection)
        return RecordSync(pipeline, renderer, target, self.runtime.store, self._sync_dependency,
                          self._beginnings, finder=finder)

    def _sync_dependency(self, name: str, source_id: str) -> None:
        outcome = self.sync_id(name, source_id, finder=self._listings.get(name))
        running = self._running.get(name)
        if running is not None and outcome.action is not Action.UNCHANGED and not outcome.failed:
            running.add_pulled(outcome)   # its own loop will find it unchanged
        if outcome.failed or outcome.target_id is None:
            reason = outcome.error or f"it was {outcome.action}"
            raise RecordError(f"dependency {name}/{source_id} could not be synced: {reason}")

    def _record_failure(self, pipeline: Pipeline, source_id: str, exc: Exception,
                        *, audit: bool = True) -> Outcome:
        outcome = Outcome(pipeline.name, source_id, Action.FAIL, error=str(exc),
                          retryable=isinstance(exc, RetryableError),
                          request_ids=tuple(filter(None, [getattr(exc, "request_id", None)])))
        log.warning("pipeline %s record %s failed: %s", pipeline.name, source_id, exc)
        if audit:  # the source read failed: its request id is the source system's
            self._audit(outcome, request_summary(pipeline, None,
                                                 source_ids=outcome.request_ids))
        return outcome

    def _audit_failure(self, pipeline: Pipeline, source_id: str | None, exc: Exception) -> None:
        self._audit(Outcome(pipeline.name, source_id or "", Action.FAIL, error=str(exc)))

    def _audit(self, outcome: Outcome, summary: dict[str, Any] | None = None) -> None:
        """One append-only row; `summary` names fields and request ids, never values."""
        pipeline = self.runtime.pipelines.get(outcome.pipeline)
        request_ids = list(outcome.request_ids)
        if summary is not None:
            request_ids = [*summary["source"]["request_ids"], *summary["target"]["request_ids"]]
        src, tgt = pipeline.source, pipeline.target
        self.runtime.store.audit.append(AuditEntry(
            id=None, run_id=self.run_id, pipeline=outcome.pipeline,
            source_ref=f"{src.connection}/{src.entity}/{outcome.source_id}",
            target_ref=(f"{tgt.connection}/{tgt.entity}/{outcome.target_id}"
                        if outcome.target_id else None),
            action=outcome.action.value, outcome=OUTCOME_OF_ACTION.get(outcome.action, "ok"),
            error=outcome.error, request_summary=summary, request_ids=request_ids,
            trigger=self.trigger, at=None))
