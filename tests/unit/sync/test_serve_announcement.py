"""What `serve` says when it starts: what it will poll and when, which webhook paths it takes."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import World
from test_service_health import polled  # noqa: F401  (fixture)

from ml_connector.engine.triggers.announce import announcement, interval_text
from ml_connector.engine.triggers.service import Service, ServiceOptions

STARTED = datetime(2025, 3, 4, 9, 30, 5, tzinfo=UTC)
URL = "http://127.0.0.1:8080"


def test_it_lists_each_poll_with_its_interval_and_each_webhook_path(
        polled: World) -> None:  # noqa: F811
    service = Service(polled.runtime, ServiceOptions(workers=0))
    assert announcement(service, URL, STARTED) == [
        "serving on http://127.0.0.1:8080",
        "  route webhooks and restarts by /livez; alert on /healthz; metrics at /metrics",
        "polls, each first at start (2025-03-04 09:30:05 UTC), then every interval:",
        "  contacts-to-people  every 1m",
        "webhooks accepted:",
        "  POST /webhooks/alpha  -> contacts-to-people, orders-to-invoices"]


def test_without_polling_or_webhooks_it_says_so(world: World) -> None:
    off = announcement(Service(world.runtime, ServiceOptions(workers=0, poll=False)), URL,
                       STARTED)
    assert off[2:] == ["polls: none (polling is off)",
                       "webhooks: none (no connection's connector takes webhooks)"]
    undeclared = announcement(Service(world.runtime, ServiceOptions(workers=0)), URL, STARTED)
    assert undeclared[2] == "polls: none (no pipeline declares a poll trigger)"


def test_intervals_read_as_they_were_declared() -> None:
    assert [interval_text(s) for s in (30, 90, 300, 900, 3600, 5400, 86400)] == [
        "30s", "90s", "5m", "15m", "1h", "90m", "24h"]
