"""Everything `status` shows, gathered from the store and from the connectors themselves.

The engineer on call asks three questions: did the last runs work, is anything stuck (a
cursor that stopped moving, polls that keep failing, a growing inbox, creates left pending,
records failing), and will the next run be able to log in. The first two come from the
store, where `serve` records each poll. The third only a connector can answer, through its
optional `health()` (see `HealthProbe`): a connector without one shows "n/a". The verdict
is the one `/healthz` reaches from the same facts (`triggers.health`), so `status`, run in
another process than `serve`, says why the service is degraded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ml_connector.engine.store import Backlog, PollRecord
from ml_connector.engine.store.audit import RunTotals
from ml_connector.engine.sync.delivery import Answers
from ml_connector.engine.sync.replay import FAILED, source_id_of
from ml_connector.engine.sync.runner import cursor_name
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.triggers.health import (
    ConnectionHealth,
    HealthPolicy,
    Problem,
    connection_health,
    durable_problems,
)

__all__ = ["PipelineStatus", "Status", "age_seconds", "collect_status"]


@dataclass(frozen=True)
class PipelineStatus:
    """One pipeline's last run, cursor, links, pending creates and records failing now."""

    name: str
    last_run: RunTotals | None
    last_trigger: str | None
    cursor: str | None
    cursor_stored: datetime | None
    links: int
    pending_intents: int
    failing_records: int
    last_poll: PollRecord | None = None
    # The target's answer about the record written last (number, status, pay link).
    last_answer: dict[str, Any] | None = None


@dataclass(frozen=True)
class Status:
    at: datetime
    pipelines: list[PipelineStatus]
    inbox: Backlog
    connections: list[ConnectionHealth]
    problems: list[Problem]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "health": {"status": "ok" if self.healthy else "degraded",
                       "problems": [p.as_dict() for p in self.problems]},
            "pipelines": [_pipeline_dict(p, self.at) for p in self.pipelines],
            "inbox": _inbox_dict(self.inbox, self.at),
            "connections": [{"name": c.name, "connector": c.connector,
                             "health": dict(c.health) if c.health is not None else None,
                             "error": c.error} for c in self.connections],
        }


def collect_status(runtime: Runtime, *, now: Callable[[], datetime] | None = None,
                   policy: HealthPolicy | None = None) -> Status:
    """A snapshot of every pipeline and connection of `runtime`'s project. Writes nothing."""
    at = now() if now else datetime.now(UTC)
    policy = policy or HealthPolicy()
    pending = Counter(intent.pipeline for intent in runtime.store.intents.all_pending())
    cursors = runtime.store.cursors.all()
    polls = runtime.store.polls.all()
    pipelines = [_pipeline_status(runtime, name, pending[name], cursors.get(cursor_name(name)),
                                  polls.get(name))
                 for name in runtime.pipelines.order]
    connections = [connection_health(runtime, name)
                   for name in sorted(runtime.project.connections)]
    backlog = runtime.store.inbox.backlog(at - policy.inbox_stall_window)
    problems = durable_problems(runtime, at, policy=policy, connections=connections,
                                backlog=backlog, polls=polls)
    return Status(at, pipelines, backlog, connections, problems)


def _pipeline_status(runtime: Runtime, name: str, pending: int,
                     cursor: tuple[str, datetime] | None,
                     last_poll: PollRecord | None) -> PipelineStatus:
    audit = runtime.store.audit
    newest = audit.query(pipeline=name, limit=1, newest_first=True)
    last_run = audit.run_totals(newest[0].run_id, pipeline=name) if newest else None
    failing = [e for e in audit.latest_per_record(pipeline=name, outcome=FAILED)
               if source_id_of(e.source_ref) is not None]
    return PipelineStatus(
        name=name, last_run=last_run, last_trigger=newest[0].trigger if newest else None,
        cursor=cursor[0] if cursor else None, cursor_stored=cursor[1] if cursor else None,
        links=runtime.store.links.count(name), pending_intents=pending,
        failing_records=len(failing), last_poll=last_poll,
        last_answer=Answers(runtime.store).latest(name))


def age_seconds(then: datetime | None, now: datetime) -> int | None:
    return None if then is None else max(0, int((now - then).total_seconds()))


def _pipeline_dict(p: PipelineStatus, now: datetime) -> dict[str, Any]:
    run = p.last_run
    return {
        "name": p.name,
        "last_run": None if run is None else {
            "run_id": run.run_id, "trigger": p.last_trigger,
            "started": run.started.isoformat() if run.started else None,
            "finished": run.finished.isoformat() if run.finished else None,
            "age_seconds": age_seconds(run.finished, now), "counts": dict(run.counts)},
        "cursor": None if p.cursor is None else {
            "value": p.cursor, "stored": p.cursor_stored.isoformat() if p.cursor_stored else None,
            "age_seconds": age_seconds(p.cursor_stored, now)},
        "links": p.links,
        "pending_intents": p.pending_intents,
        "failing_records": p.failing_records,
        "last_poll": None if p.last_poll is None else _poll_dict(p.last_poll, now),
        "last_answer": p.last_answer,
    }


def _poll_dict(poll: PollRecord, now: datetime) -> dict[str, Any]:
    return {"at": poll.attempted_at.isoformat(), "age_seconds": age_seconds(poll.attempted_at, now),
            "outcome": poll.outcome, "error": poll.error,
            "failures_in_row": poll.failures_in_row,
            "failing_since": poll.failing_since.isoformat() if poll.failing_since else None,
            "succeeded_at": poll.succeeded_at.isoformat() if poll.succeeded_at else None}


def _inbox_dict(inbox: Backlog, now: datetime) -> dict[str, Any]:
    oldest = inbox.oldest_received_at
    return {"depth": inbox.depth, "oldest_waiting_seconds": age_seconds(oldest, now),
            "last_settled": inbox.last_settled_at.isoformat() if inbox.last_settled_at else None,
            "last_error": inbox.last_error}
