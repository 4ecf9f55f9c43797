"""Holding a connection's webhook notifications for a short settle window before processing.

A window is a slice of wall-clock time of a fixed length, counted from the epoch: every
notification stored during [k*w, (k+1)*w) becomes due at (k+1)*w. So notifications that
arrive close together become due at the same instant, the next claim finds them together,
and the worker can read their records with one request. Aligning windows to the clock
(rather than, say, "received + w", or a timer that starts with the first notification) keeps
intake stateless: it needs no memory shared between requests, threads or `serve` processes,
and a restart changes nothing. The price is a hold of at most `w` (half of it on average).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from ml_connector.engine.sync.runtime import Runtime


def settle_seconds(runtime: Runtime, connection: str) -> float:
    """The connection's own setting, else what its connector declares, else no hold."""
    configured = runtime.project.connections[connection].webhook_settle_seconds
    if configured is not None:
        return max(0.0, configured)
    declared = getattr(runtime.plugin_for(connection), "webhook_settle_seconds", 0.0)
    if isinstance(declared, bool) or not isinstance(declared, int | float):
        return 0.0  # a plugin's malformed declaration must not hold notifications forever
    return max(0.0, float(declared))


def window_end(now: datetime, seconds: float) -> datetime:
    """When a notification stored at `now` becomes due: the end of its window (or `now`)."""
    if seconds <= 0:
        return now
    stamp = now.timestamp()
    end = (math.floor(stamp / seconds) + 1) * seconds
    return datetime.fromtimestamp(end, UTC)
