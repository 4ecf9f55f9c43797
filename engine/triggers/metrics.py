"""Prometheus metrics of one service process.

A registry per service (not the library's global one) so tests and several services in one
process never share counters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


class ServiceMetrics:
    """The counters `serve` exposes on /metrics."""

    def __init__(self, inbox_depth: Callable[[], float]):
        self.registry = CollectorRegistry()
        self.events = Counter("mlc_webhook_events_total", "Webhook events received",
                              ["connection", "outcome"], registry=self.registry)
        self.records = Counter("mlc_records_synced_total", "Records synced, by outcome",
                               ["pipeline", "action"], registry=self.registry)
        self.retries = Counter("mlc_http_retries_total", "HTTP requests retried",
                               ["connection"], registry=self.registry)
        self.throttled = Counter("mlc_http_throttled_total", "HTTP 429 answers received",
                                 ["connection"], registry=self.registry)
        self.refreshes = Counter("mlc_token_refreshes_total", "Access tokens refreshed",
                                 ["connection"], registry=self.registry)
        self.polls = Counter("mlc_polls_total", "Scheduled polls run, by outcome",
                             ["pipeline", "outcome"], registry=self.registry)
        self.shared_reads = Counter(
            "mlc_inbox_shared_reads_total",
            "Reads of many inbox items' records at once (one get_many each)",
            ["connection"], registry=self.registry)
        self.shared_read_records = Counter(
            "mlc_inbox_shared_read_records_total",
            "Distinct records asked for by those shared reads, found or not",
            ["connection"], registry=self.registry)
        depth = Gauge("mlc_inbox_depth", "Webhook events stored and not yet processed",
                      registry=self.registry)
        depth.set_function(inbox_depth)

    def connector_hook(self, connection: str) -> Callable[[str, Mapping[str, Any]], None]:
        """The `on_event` callback handed to a connector of `connection`."""
        def hook(kind: str, _details: Mapping[str, Any]) -> None:
            if kind == "retry":
                self.retries.labels(connection).inc()
            elif kind == "throttled":
                self.throttled.labels(connection).inc()
            elif kind == "token_refresh":
                self.refreshes.labels(connection).inc()
        return hook

    def render(self) -> bytes:
        return generate_latest(self.registry)
