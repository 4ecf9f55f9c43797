"""Whether the service is doing its job, reason by reason, for `/healthz` and `status`.

`serve` answers webhooks 200 as long as it can store them, so that answer says nothing about
whether anything gets synced. Each check here finds one way the service can look alive while
doing nothing useful, and says what is wrong and, when known, what fixes it:

- poll: the same pipeline's poll failed `FAILURES_IN_A_ROW` (3) times in a row, or the
  latest one stopped for want of authorisation, which no retry repairs;
- authorisation: a connection's connector says (`health()`) it cannot log in; a connection
  whose connector cannot even be opened or asked counts too;
- inbox: the oldest waiting event has waited longer than `INBOX_MAX_WAIT` (15 min), or over
  a whole `INBOX_STALL_WINDOW` (5 min) events kept arriving and none was settled;
- pipeline: a pipeline's file changed on disk since `serve` loaded it, so `serve` syncs
  nothing of it until restarted (its latest poll says so in the store; `serve` also sees
  it at once for every pipeline, polled or not).

These read only the store and the connectors' `health()`, so `status`, in another process,
reaches the verdict `/healthz` does; `serve` adds what only it can see (its own threads).
Every check clears itself once its cause is gone: a poll succeeds, a connector finds the new
tokens another process stored, the inbox moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ml_connector.engine.redaction import redact, redact_text
from ml_connector.engine.store import Backlog, PollRecord
from ml_connector.engine.sync.runtime import Runtime

FAILURES_IN_A_ROW = 3
CHANGED_ON_DISK = "pipelines changed on disk since serve started"
RESTART_TO_LOAD = "restart `ml-connector serve` to load them"
INBOX_MAX_WAIT = timedelta(minutes=15)
INBOX_STALL_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class HealthPolicy:
    """The thresholds of the checks (the module's constants unless a caller needs others)."""

    failures_in_a_row: int = FAILURES_IN_A_ROW
    inbox_max_wait: timedelta = INBOX_MAX_WAIT
    inbox_stall_window: timedelta = INBOX_STALL_WINDOW


@dataclass(frozen=True)
class Problem:
    """One reason the service is degraded: which check, about what, why, and the fix.

    Its texts are redacted here, whatever made them: they quote errors (an inbox item's, a
    worker's, a poll's, a connector's), and an error may carry a token or a key, which must
    reach neither `/healthz`, `status` nor a log.
    """

    check: str          # poll | authorisation | connection | inbox | worker | pipeline
    subject: str        # the pipeline, connection or thread concerned ("" for the inbox)
    problem: str
    fix: str | None = None
    since: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "problem", redact_text(self.problem))
        if self.fix is not None:
            object.__setattr__(self, "fix", redact_text(self.fix))

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "subject": self.subject, "problem": self.problem,
                "fix": self.fix, "since": self.since.isoformat() if self.since else None}

    def __str__(self) -> str:
        head = f"{self.check} {self.subject}".strip()
        return f"{head}: {self.problem}" + (f"; {self.fix}" if self.fix else "")


@dataclass(frozen=True)
class ConnectionHealth:
    """What a connection's connector says about its credentials; `health` None means n/a.

    `error` is set when the connector could not be opened or its probe failed.
    """

    name: str
    connector: str
    health: Mapping[str, Any] | None
    error: str | None = None

    @property
    def authorised(self) -> bool | None:
        """False when the connector says it cannot log in; None when it does not say."""
        value = self.health.get("authorised") if self.health is not None else None
        return value if isinstance(value, bool) else None


def connection_health(runtime: Runtime, name: str) -> ConnectionHealth:
    """Ask the connection's connector for `health()`, if it has one; never raise."""
    connector_name = runtime.project.connections[name].connector
    try:
        probe = getattr(runtime.connector(name), "health", None)
        if not callable(probe):
            return ConnectionHealth(name, connector_name, None)
        return ConnectionHealth(name, connector_name, redact(dict(probe())))
    except Exception as exc:  # a plugin's optional probe must not take the whole report down
        return ConnectionHealth(name, connector_name, None,
                                error=redact_text(str(exc) or type(exc).__name__))


def connection_problems(connections: Iterable[ConnectionHealth]) -> list[Problem]:
    problems = []
    for c in connections:
        if c.error is not None:
            problems.append(Problem("connection", c.name, f"cannot be checked: {c.error}"))
        elif c.authorised is False and c.health is not None:
            problem = str(c.health.get("problem") or "not authorised")
            fix = c.health.get("fix")
            problems.append(Problem("authorisation", c.name, problem,
                                    fix=str(fix) if fix else None))
    return problems


def poll_problems(polls: Mapping[str, PollRecord], pipelines: Iterable[str],
                  policy: HealthPolicy) -> list[Problem]:
    """Pipelines among `pipelines` whose polls keep failing or stopped for authorisation."""
    problems = []
    for name in pipelines:
        record = polls.get(name)
        if record is None or not record.failing:
            continue
        if record.stale:
            problems.append(changed_on_disk(name, since=record.failing_since))
            continue
        if record.stopped:
            text = f"stopped for want of authorisation: {record.error}"
        elif record.failures_in_row >= policy.failures_in_a_row:
            text = f"failed {record.failures_in_row} times in a row: {record.error}"
        else:
            continue
        problems.append(Problem("poll", name, text, since=record.failing_since))
    return problems


def changed_on_disk(pipeline: str, *, since: datetime | None = None) -> Problem:
    """The problem of a service that holds an older file of `pipeline` than the one on disk."""
    return Problem("pipeline", pipeline, CHANGED_ON_DISK, fix=RESTART_TO_LOAD, since=since)


def definition_problems(runtime: Runtime) -> list[Problem]:
    """The pipelines of `runtime` whose files changed on disk since it loaded them."""
    return [changed_on_disk(name) for name in runtime.pipelines.order
            if runtime.pipeline_files.changed(runtime.pipelines.get(name))]


def inbox_problems(backlog: Backlog, now: datetime, policy: HealthPolicy) -> list[Problem]:
    """A waiting event too old, or a window in which events arrived and none was settled.

    `backlog` must count arrivals since `now - policy.inbox_stall_window`.
    """
    if not backlog.depth or backlog.oldest_received_at is None:
        return []
    problems = []
    waited = now - backlog.oldest_received_at
    retrying = f" (retried after: {backlog.last_error})" if backlog.last_error else ""
    if waited > policy.inbox_max_wait:
        problems.append(Problem("inbox", "", (
            f"{backlog.depth} event(s) waiting, the oldest for {span(waited)}, over the "
            f"{span(policy.inbox_max_wait)} limit{retrying}"), since=backlog.oldest_received_at))
    window = policy.inbox_stall_window
    settled_lately = (backlog.last_settled_at is not None
                      and backlog.last_settled_at >= now - window)
    if backlog.arrived_since and waited >= window and not settled_lately:
        problems.append(Problem("inbox", "", (
            f"{backlog.arrived_since} event(s) arrived in the last {span(window)} and none "
            f"was processed; {backlog.depth} waiting{retrying}"), since=now - window))
    return problems


def durable_problems(runtime: Runtime, now: datetime, *, policy: HealthPolicy | None = None,
                     polled: Iterable[str] | None = None,
                     connections: Iterable[ConnectionHealth] | None = None,
                     backlog: Backlog | None = None,
                     polls: Mapping[str, PollRecord] | None = None) -> list[Problem]:
    """Every problem the store and the connectors show, whichever process asks.

    `polled` limits the poll check to the pipelines a service polls (by default all);
    `connections`, `backlog` and `polls` save reading them again when the caller has them
    already (the backlog counting arrivals since `now - policy.inbox_stall_window`).
    """
    policy = policy or HealthPolicy()
    if connections is None:
        connections = [connection_health(runtime, name)
                       for name in sorted(runtime.project.connections)]
    wanted = set(runtime.pipelines.order if polled is None else polled)
    pipelines = [name for name in runtime.pipelines.order if name in wanted]
    if backlog is None:
        backlog = runtime.store.inbox.backlog(now - policy.inbox_stall_window)
    if polls is None:
        polls = runtime.store.polls.all()
    return [*connection_problems(connections),
            *poll_problems(polls, pipelines, policy),
            *inbox_problems(backlog, now, policy)]


def span(length: timedelta | float) -> str:
    """'5s', '3m', '2h', '4d': a length in the largest whole unit, read at a glance."""
    seconds = int(length.total_seconds() if isinstance(length, timedelta) else length)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(0, seconds)}s"
