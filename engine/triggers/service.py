"""`serve`: the webhook endpoints, the inbox workers and the poll scheduler in one process.

Starting: the store is migrated, workers and the scheduler start in threads. Stopping
(SIGTERM/SIGINT, handled by uvicorn): new requests stop, then workers finish the item in hand
and exit; anything not yet processed stays in the inbox (stored before it was answered), and
claimed items whose worker died return after their lease. A restart resumes from the inbox
and the cursors, so nothing is lost.

Two health endpoints answer two questions. `/livez` is for whatever routes webhooks to the
process or restarts it: 200 while it answers HTTP and can reach the store its webhooks go
to, 503 only while it is stopping or cannot. It stays 200 while degraded on purpose: while a
connection's authorisation is revoked, this process is the one that holds the webhooks until
someone re-authorises, so taking it out of rotation or restarting it would help no one.
`/healthz` is for monitoring and alerting: 200 `{"status": "ok"}` only while nothing is
wrong; otherwise 503 `{"status": "degraded", "problems": [...]}`, one entry per reason: the
checks of `health` (polls failing, authorisation broken, the inbox not drained) plus what
only this process sees (a thread that stopped, a worker whose errors repeat, events held
for authorisation, a pipeline file changed on disk since it started).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ml_connector.engine.redaction import redact_text
from ml_connector.engine.store.types import utcnow
from ml_connector.engine.sync.outcome import Outcome
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.triggers.failure_log import FailureLog, one_line
from ml_connector.engine.triggers.health import (
    HealthPolicy,
    Problem,
    definition_problems,
    durable_problems,
)
from ml_connector.engine.triggers.metrics import ServiceMetrics
from ml_connector.engine.triggers.schedule import PollScheduler
from ml_connector.engine.triggers.streaks import KeyedStreaks
from ml_connector.engine.triggers.webhooks import WebhookIntake
from ml_connector.engine.triggers.worker import InboxWorker
from ml_connector.engine.triggers.worker import log as worker_log

log = logging.getLogger("ml_connector.service")

RESTART = "restart `ml-connector serve` (its claimed events return to the inbox)"


@dataclass
class ServiceOptions:
    workers: int = 2
    poll: bool = True
    worker_idle_wait: float = 0.2
    health: HealthPolicy = field(default_factory=HealthPolicy)


@dataclass(frozen=True)
class HealthReport:
    """What `/healthz` answers: ok, degraded (with every problem) or stopping."""

    status: str
    problems: list[Problem]
    inbox_depth: int

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "inbox_depth": self.inbox_depth,
                "problems": [problem.as_dict() for problem in self.problems]}


@dataclass
class Service:
    """The pieces of a running service, kept so tests can drive and inspect them."""

    runtime: Runtime
    options: ServiceOptions = field(default_factory=ServiceOptions)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    clock: Callable[[], datetime] = utcnow   # the health checks' "now"

    def __post_init__(self) -> None:
        self.metrics = ServiceMetrics(inbox_depth=self.runtime.store.inbox.depth)
        self.runtime.event_hooks = self.metrics.connector_hook
        self.runner = Runner(self.runtime, trigger="webhook", on_outcome=self._count)
        self.intake = WebhookIntake(self.runtime, self.metrics)
        failures, auth_waits = FailureLog(worker_log), KeyedStreaks()   # shared by workers
        self.workers = [InboxWorker(self.runner, self.stop, metrics=self.metrics,
                                    idle_wait=self.options.worker_idle_wait, failures=failures,
                                    auth_waits=auth_waits)
                        for _ in range(self.options.workers)]
        self.scheduler = (PollScheduler(self.runner, self.stop, self.metrics)
                          if self.options.poll else None)

    @property
    def poll_intervals(self) -> dict[str, int]:
        """Seconds between polls of each pipeline this service polls (none with --no-poll)."""
        return dict(self.scheduler.intervals) if self.scheduler is not None else {}

    def _count(self, outcome: Outcome) -> None:
        self.metrics.records.labels(outcome.pipeline, outcome.action).inc()

    def start(self) -> None:
        for worker in self.workers:
            self._spawn(worker.run_forever, worker.name)
        if self.scheduler is not None and self.scheduler.intervals:
            self._spawn(self.scheduler.run_forever, "poll")

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

    def health(self) -> HealthReport:
        """Every reason this service is not doing its job right now (none: ok)."""
        policy, now = self.options.health, self.clock()
        backlog = self.runtime.store.inbox.backlog(now - policy.inbox_stall_window)
        depth = backlog.depth
        if self.stop.is_set():
            return HealthReport("stopping", [], depth)
        # First, so the same problem read from the store (which knows since when) replaces it.
        problems = definition_problems(self.runtime)
        problems += durable_problems(self.runtime, now, policy=policy,
                                     polled=self.poll_intervals, backlog=backlog)
        problems += self._thread_problems()
        for worker in self.workers:
            problems += worker.problems(policy)
        if self.scheduler is not None:
            problems += self.scheduler.problems(policy)
        unique = list({(p.check, p.subject, p.problem): p for p in problems}.values())
        return HealthReport("degraded" if unique else "ok", unique, depth)

    def _thread_problems(self) -> list[Problem]:
        return [Problem("worker", thread.name, "the thread stopped", fix=RESTART)
                for thread in self.threads if not thread.is_alive()]

    async def healthz(self, _request: Request) -> JSONResponse:
        report = await run_in_threadpool(self.health)   # it reads the store: off the loop
        return JSONResponse(report.as_dict(), status_code=200 if report.ok else 503)

    def liveness(self) -> tuple[int, dict[str, str]]:
        """`/livez`: whether routing webhooks here is any use (status code, body)."""
        if self.stop.is_set():
            return 503, {"status": "stopping"}
        try:
            self.runtime.store.ping()
        except Exception as exc:  # whatever the driver raises: the store cannot take webhooks
            return 503, {"status": "store unreachable", "problem": redact_text(one_line(exc))}
        return 200, {"status": "alive"}

    async def livez(self, _request: Request) -> JSONResponse:
        status, body = await run_in_threadpool(self.liveness)
        return JSONResponse(body, status_code=status)

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
                  Route("/livez", self.livez), Route("/healthz", self.healthz),
                  Route("/metrics", self.metrics_page)]
        return Starlette(routes=routes, lifespan=lifespan)
