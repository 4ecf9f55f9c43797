"""What `serve` tells the person who starts it: what it will poll and when, where webhooks go.

A pipeline missing from the polls, or a connection missing from the webhook paths, is then
noticed at start rather than a day later from a record that never arrived.
"""

from __future__ import annotations

import textwrap
from datetime import datetime

from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.triggers.service import Service

WIDTH = 80   # a terminal's width: pipeline lists wrap under themselves, not mid-name
ENDPOINTS = "  route webhooks and restarts by /livez; alert on /healthz; metrics at /metrics"


def announcement(service: Service, url: str, started: datetime) -> list[str]:
    """The lines `serve` prints once it is about to listen on `url`."""
    lines = [f"serving on {url}", ENDPOINTS]
    lines += _poll_lines(service, started)
    routes = webhook_routes(service.runtime)
    if not routes:
        return [*lines, "webhooks: none (no connection's connector takes webhooks)"]
    lines.append("webhooks accepted:")
    width = max(len(f"/webhooks/{name}") for name in routes)
    for name, pipelines in routes.items():
        head = f"  POST {f'/webhooks/{name}':<{width}}  -> "
        fed = ", ".join(pipelines) or "no pipeline reads from it"
        lines += textwrap.wrap(fed, WIDTH, initial_indent=head,
                               subsequent_indent=" " * len(head), break_on_hyphens=False)
    return lines


def _poll_lines(service: Service, started: datetime) -> list[str]:
    intervals = service.poll_intervals
    if not intervals:
        why = "no pipeline declares a poll trigger" if service.scheduler else "polling is off"
        return [f"polls: none ({why})"]
    width = max(map(len, intervals))
    return [f"polls, each first at start ({started:%Y-%m-%d %H:%M:%S} UTC), then every "
            "interval:",
            *(f"  {name:<{width}}  every {interval_text(seconds)}"
              for name, seconds in intervals.items())]


def webhook_routes(runtime: Runtime) -> dict[str, list[str]]:
    """Connections that take webhooks, each with the pipelines its events feed, in run order.

    A connection takes webhooks when its connector names webhook events for an entity, or
    when a pipeline declares a `webhook` trigger from it.
    """
    pipelines = [runtime.pipelines.get(name) for name in runtime.pipelines.order]
    declared = {t.connection for p in pipelines for t in p.triggers if t.kind == "webhook"}
    return {name: [p.name for p in pipelines if p.source.connection == name]
            for name in sorted(runtime.project.connections)
            if name in declared or _announces_changes(runtime, name)}


def _announces_changes(runtime: Runtime, connection: str) -> bool:
    try:
        entities = runtime.plugin_for(connection).entities()
    except Exception:  # a plugin that cannot say is not listed; its endpoint still answers
        return False
    return any(spec.webhook_events for spec in entities.values())


def interval_text(seconds: int) -> str:
    """An interval as declared, exactly: '15m', '1h', '90s'."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
