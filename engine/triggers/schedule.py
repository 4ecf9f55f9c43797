"""Polling on the intervals the pipelines declare (`triggers: - poll: {every: 15m}`).

A poll is an ordinary incremental run from the stored cursor, so a webhook that was missed is
caught by the next poll, and a change both saw is synced once (the second finds it unchanged).
One pipeline never polls twice at the same time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.triggers.metrics import ServiceMetrics

log = logging.getLogger("ml_connector.schedule")


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

    def run_forever(self) -> None:
        while not self.stop.is_set():
            self.run_due()
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

    def _poll(self, name: str) -> None:
        try:
            summary = self.runner.fork(trigger="poll").run(name)
            outcome = "stopped" if summary.stopped else ("failed" if summary.failed else "ok")
        except Exception:  # a poll that breaks must not stop the service; it is logged
            log.exception("poll of %s failed", name)
            outcome = "error"
        else:
            if summary.stopped:  # e.g. authorisation lost: the message names the fix
                log.error("poll of %s stopped: %s", name, summary.stopped)
        if self.metrics is not None:
            self.metrics.polls.labels(name, outcome).inc()
