"""Polling on the intervals the pipelines declare (`triggers: - poll: {every: 15m}`).

A poll is an ordinary incremental run from the stored cursor, so a webhook that was missed is
caught by the next poll, and a change both saw is synced once (the second finds it unchanged).
One pipeline never polls twice at the same time.

Each poll's outcome is stored (`store.polls`): `status` and `/healthz` read it there. A
failing poll is logged as one line naming the pipeline, the connection when its connector
says it is the one that cannot log in, the cause and the fix; the same failure again is not
logged again (see `failure_log`), and its recovery is. A pipeline whose file changed on
disk since the service loaded it is not polled (its poll is stored as stale) until the
service is restarted and loads the file as it is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ml_connector.engine.errors import DefinitionChanged
from ml_connector.engine.store.polls import BROKE, RAN, RECORDS_FAILED, STALE, STOPPED
from ml_connector.engine.sync.outcome import RunSummary
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.triggers.failure_log import FailureLog, one_line
from ml_connector.engine.triggers.health import (
    CHANGED_ON_DISK,
    RESTART_TO_LOAD,
    HealthPolicy,
    Problem,
    connection_health,
)
from ml_connector.engine.triggers.metrics import ServiceMetrics
from ml_connector.engine.triggers.streaks import ErrorStreak

log = logging.getLogger("ml_connector.schedule")

MAX_LOOP_BACKOFF = 30.0


def poll_intervals(runner: Runner) -> dict[str, int]:
    """Seconds between polls, per pipeline that declares a poll trigger."""
    pipelines = runner.runtime.pipelines
    intervals = {}
    for name in pipelines.order:
        for trigger in pipelines.get(name).triggers:
            if trigger.kind == "poll" and trigger.every_seconds:
                intervals[name] = min(intervals.get(name, trigger.every_seconds),
                                      trigger.every_seconds)
    return intervals


class PollScheduler:
    """Runs each polled pipeline every interval until `stop` is set; first poll at start."""

    def __init__(self, runner: Runner, stop: threading.Event, metrics: ServiceMetrics | None,
                 intervals: dict[str, int] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.runner, self.stop, self.metrics, self.clock = runner, stop, metrics, clock
        self.intervals = poll_intervals(runner) if intervals is None else intervals
        self.due = dict.fromkeys(self.intervals, 0.0)
        self.failures = FailureLog(log)
        self.loop_errors = ErrorStreak()

    def run_forever(self) -> None:
        """Poll until stopped; an error outside any one poll backs off and goes on."""
        while not self.stop.is_set():
            try:
                self.run_due()
            except Exception as exc:  # e.g. the store unreachable: the scheduler must go on
                errors = self.loop_errors.failed(one_line(exc))
                self.failures.failed("loop", one_line(exc),
                                     f"the poll scheduler failed, retrying: {one_line(exc)}", exc)
                self.stop.wait(min(MAX_LOOP_BACKOFF, 2.0 ** errors))
                continue
            if self.loop_errors.current() is not None:
                self.loop_errors.succeeded()
                self.failures.recovered("loop", "the poll scheduler works again")
            next_due = min(self.due.values(), default=self.clock() + 1.0)
            self.stop.wait(max(0.05, min(1.0, next_due - self.clock())))

    def run_due(self) -> list[str]:
        """Poll every pipeline whose time has come, in dependency order; returns their names."""
        ran = []
        for name in self.runner.runtime.pipelines.order:
            if name not in self.due or self.clock() < self.due[name] or self.stop.is_set():
                continue
            self.due[name] = self.clock() + self.intervals[name]
            ran.append(name)
            self._poll(name)
        return ran

    def problems(self, policy: HealthPolicy) -> list[Problem]:
        streak = self.loop_errors.current()
        if streak is None or streak.count < policy.failures_in_a_row:
            return []
        return [Problem("worker", "poll", f"{streak.count} unexpected errors in a row, the "
                        f"latest: {streak.last}", since=streak.since)]

    def _poll(self, name: str) -> None:
        try:
            summary = self.runner.fork(trigger="poll").run(name)
        except DefinitionChanged:   # not run: an older definition must not undo a newer one
            self._failed(name, STALE, f"{CHANGED_ON_DISK}; {RESTART_TO_LOAD}")
            return
        except Exception as exc:  # a poll that breaks must not stop the service
            self._failed(name, BROKE, one_line(exc), exc)
            return
        if summary.stopped:  # authorisation lost: the message names the fix
            self._failed(name, STOPPED, self._who_cannot_log_in(name, summary.stopped))
        else:
            self._ran(name, summary)

    def _ran(self, name: str, summary: RunSummary) -> None:
        self.runner.runtime.store.polls.succeeded(
            name, outcome=RECORDS_FAILED if summary.failed else RAN)
        self._count(name, "failed" if summary.failed else "ok")
        self.failures.recovered(name, f"poll of {name} works again")

    def _failed(self, name: str, outcome: str, cause: str,
                exc: BaseException | None = None) -> None:
        self.runner.runtime.store.polls.failed(name, outcome, cause)
        self._count(name, {STOPPED: "stopped", STALE: "stale"}.get(outcome, "error"))
        self.failures.failed(name, cause, f"poll of {name} failed: {cause}", exc)

    def _who_cannot_log_in(self, name: str, reason: str) -> str:
        """`reason`, after the pipeline's connections whose connectors say they cannot log in.

        The run only knows that authorisation stopped it, not whose; connectors that offer
        `health()` know whether it is theirs.
        """
        pipeline = self.runner.runtime.pipelines.get(name)
        ends = dict.fromkeys((pipeline.source.connection, pipeline.target.connection))
        broken = [c for c in ends
                  if connection_health(self.runner.runtime, c).authorised is False]
        return f"{', '.join(broken)}: {reason}" if broken else reason

    def _count(self, name: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.polls.labels(name, outcome).inc()

