"""`serve`: the webhook endpoints, the inbox workers and the poll scheduler in one process.

Starting: the store is migrated, workers and the scheduler start in threads. Stopping
(SIGTERM/SIGINT, handled by uvicorn): new requests stop, then workers finish the item in hand
and exit; anything not yet processed stays in the inbox (stored before it was answered), and
claimed items whose worker died return after their lease. A restart resumes from the inbox
and the cursors, so nothing is lost.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ml_connector.engine.sync.outcome import Outcome
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.triggers.metrics import ServiceMetrics
from ml_connector.engine.triggers.schedule import PollScheduler
from ml_connector.engine.triggers.webhooks import WebhookIntake
from ml_connector.engine.triggers.worker import InboxWorker

log = logging.getLogger("ml_connector.service")


@dataclass
class ServiceOptions:
    workers: int = 2
    poll: bool = True
    worker_idle_wait: float = 0.2


@dataclass
class Service:
    """The pieces of a running service, kept so tests can drive and inspect them."""

    runtime: Runtime
    options: ServiceOptions = field(default_factory=ServiceOptions)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.metrics = ServiceMetrics(inbox_depth=self.runtime.store.inbox.depth)
        self.runtime.event_hooks = self.metrics.connector_hook
        self.runner = Runner(self.runtime, trigger="webhook", on_outcome=self._count)
        self.intake = WebhookIntake(self.runtime, self.metrics)

    def _count(self, outcome: Outcome) -> None:
        self.metrics.records.labels(outcome.pipeline, outcome.action).inc()

    def start(self) -> None:
        for index in range(self.options.workers):
            worker = InboxWorker(self.runner, self.stop, idle_wait=self.options.worker_idle_wait,
                                 metrics=self.metrics)
            self._spawn(worker.run_forever, f"inbox-{index}")
        if self.options.poll:
            scheduler = PollScheduler(self.runner, self.stop, self.metrics)
            if scheduler.intervals:
                self._spawn(scheduler.run_forever, "poll")

    def _spawn(self, target: object, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self.threads.append(thread)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Let every thread finish what it holds, then return."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout)
        stuck = [t.name for t in self.threads if t.is_alive()]
        if stuck:
            log.warning("threads still busy at shutdown: %s (their items will be retried)",
                        ", ".join(stuck))

    async def healthz(self, _request: Request) -> JSONResponse:
        alive = all(t.is_alive() for t in self.threads) and not self.stop.is_set()
        body = {"status": "ok" if alive else "stopping",
                "inbox_depth": self.runtime.store.inbox.depth()}
        return JSONResponse(body, status_code=200 if alive else 503)

    async def metrics_page(self, _request: Request) -> Response:
        return Response(self.metrics.render(), media_type="text/plain; version=0.0.4")

    def app(self) -> Starlette:
        @contextlib.asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            self.start()
            try:
                yield
            finally:
                self.shutdown()

        routes = [Route("/webhooks/{connection}", self.intake.handle, methods=["POST"]),
                  Route("/healthz", self.healthz), Route("/metrics", self.metrics_page)]
        return Starlette(routes=routes, lifespan=lifespan)
