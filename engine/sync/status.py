"""Everything `status` shows, gathered from the store and from the connectors themselves.

The engineer on call asks three questions: did the last runs work, is anything stuck (a
cursor that stopped moving, a growing inbox, creates left pending, records failing), and will
the next run be able to log in. The first two come from the store. The third only a
connector can answer, so a connector may offer an optional `health()` method returning a
mapping (for example when its access token expires and how old its refresh token is). It is
found with `getattr`, not declared in the plugin Protocol, so existing plugins keep working and
simply show "n/a". `health()` should read what the connector already holds, not call its API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ml_connector.engine.redaction import redact, redact_text
from ml_connector.engine.store.audit import RunTotals
from ml_connector.engine.sync.replay import FAILED, source_id_of
from ml_connector.engine.sync.runner import cursor_name
from ml_connector.engine.sync.runtime import Runtime


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


@dataclass(frozen=True)
class ConnectionHealth:
    """What a connection's connector says about its credentials; `health` None means n/a."""

    name: str
    connector: str
    health: Mapping[str, Any] | None
    error: str | None = None


@dataclass(frozen=True)
class Status:
    at: datetime
    pipelines: list[PipelineStatus]
    inbox_depth: int
    connections: list[ConnectionHealth]

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "pipelines": [_pipeline_dict(p, self.at) for p in self.pipelines],
            "inbox": {"depth": self.inbox_depth},
            "connections": [{"name": c.name, "connector": c.connector,
                             "health": dict(c.health) if c.health is not None else None,
                             "error": c.error} for c in self.connections],
        }


def collect_status(runtime: Runtime, *, now: Callable[[], datetime] | None = None) -> Status:
    """A snapshot of every pipeline and connection of `runtime`'s project. Writes nothing."""
    at = now() if now else datetime.now(UTC)
    pending = Counter(intent.pipeline for intent in runtime.store.intents.all_pending())
    cursors = runtime.store.cursors.all()
    pipelines = [_pipeline_status(runtime, name, pending[name], cursors.get(cursor_name(name)))
                 for name in runtime.pipelines.order]
    connections = [connection_health(runtime, name)
                   for name in sorted(runtime.project.connections)]
    return Status(at, pipelines, runtime.store.inbox.depth(), connections)


def _pipeline_status(runtime: Runtime, name: str, pending: int,
                     cursor: tuple[str, datetime] | None) -> PipelineStatus:
    audit = runtime.store.audit
    newest = audit.query(pipeline=name, limit=1, newest_first=True)
    last_run = audit.run_totals(newest[0].run_id, pipeline=name) if newest else None
    failing = [e for e in audit.latest_per_record(pipeline=name, outcome=FAILED)
               if source_id_of(e.source_ref) is not None]
    return PipelineStatus(
        name=name, last_run=last_run, last_trigger=newest[0].trigger if newest else None,
        cursor=cursor[0] if cursor else None, cursor_stored=cursor[1] if cursor else None,
        links=runtime.store.links.count(name), pending_intents=pending,
        failing_records=len(failing))


def connection_health(runtime: Runtime, name: str) -> ConnectionHealth:
    """Ask the connection's connector for `health()`, if it has one; never raise."""
    connector_name = runtime.project.connections[name].connector
    try:
        probe = getattr(runtime.connector(name), "health", None)
        if not callable(probe):
            return ConnectionHealth(name, connector_name, None)
        return ConnectionHealth(name, connector_name, redact(dict(probe())))
    except Exception as exc:  # a plugin's optional probe must not take the whole status down
        return ConnectionHealth(name, connector_name, None,
                                error=redact_text(str(exc) or type(exc).__name__))


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
    }
