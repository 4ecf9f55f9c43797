"""The service: signed webhooks stored then synced once, polling, health, metrics, restarts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
from conftest import World
from memory_system import sign

from ml_connector.engine.testing.servers import serve_in_thread
from ml_connector.engine.triggers.schedule import PollScheduler
from ml_connector.engine.triggers.service import Service, ServiceOptions

PEOPLE = "contacts-to-people"


def delivery(*events: tuple[str, str, str]) -> bytes:
    return json.dumps({"events": [{"id": i, "entity": e, "record_id": r}
                                  for i, e, r in events]}).encode()


@contextmanager
def running(service: Service) -> Iterator[httpx.Client]:
    """The service on a real loopback port, with its lifespan (workers start and stop)."""
    with serve_in_thread(service.app()) as server, httpx.Client(base_url=server.url) as client:
        yield client


def post(client: httpx.Client, body: bytes, signature: str | None = None):
    return client.post("/webhooks/alpha", content=body,
                       headers={"x-signature": sign(body) if signature is None else signature})


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_webhook_is_stored_answered_then_synced_once_despite_redelivery(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    service = Service(world.runtime, ServiceOptions(workers=2, poll=False))
    with running(service) as client:
        body = delivery(("evt_1", "contact", "c1"))
        first, again = post(client, body), post(client, body)
        assert first.status_code == 200 and first.json()["stored"] == 1
        assert again.json() == {"received": 1, "stored": 0, "duplicates": 1}
        assert wait_for(lambda: world.runtime.store.inbox.depth() == 0)
    assert len(world.beta.rows["person"]) == 1
    assert world.runtime.store.links.get(PEOPLE, "c1") is not None


def test_forged_signature_changes_nothing_and_is_answered_4xx(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    service = Service(world.runtime, ServiceOptions(workers=1, poll=False))
    with running(service) as client:
        response = post(client, delivery(("evt_1", "contact", "c1")), signature="00" * 32)
        assert response.status_code == 401
        assert world.runtime.store.inbox.depth() == 0
        unknown = client.post("/webhooks/nope", content=b"{}")
        assert unknown.status_code == 404
    assert world.beta.rows["person"] == {}


def test_oversized_body_is_refused_before_parsing(world: World) -> None:
    service = Service(world.runtime, ServiceOptions(workers=1, poll=False))
    service.intake.max_body = 100
    with running(service) as client:
        body = delivery(*[(f"evt_{i}", "contact", f"c{i}") for i in range(10)])
        assert post(client, body).status_code == 413
    assert world.runtime.store.inbox.depth() == 0


def test_events_stored_before_a_stop_are_processed_after_a_restart(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    stopped = Service(world.runtime, ServiceOptions(workers=0, poll=False))
    with running(stopped) as client:
        assert post(client, delivery(("evt_1", "contact", "c1"))).status_code == 200
    assert world.runtime.store.inbox.depth() == 1 and world.beta.rows["person"] == {}
    restarted = Service(world.runtime, ServiceOptions(workers=1, poll=False))
    with running(restarted):
        assert wait_for(lambda: world.runtime.store.inbox.depth() == 0)
    assert len(world.beta.rows["person"]) == 1


def test_health_and_metrics_report_what_happened(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    service = Service(world.runtime, ServiceOptions(workers=1, poll=False))
    with running(service) as client:
        post(client, delivery(("evt_1", "contact", "c1")))
        post(client, delivery(("evt_2", "contact", "c1")), signature="bad")
        assert wait_for(lambda: world.runtime.store.inbox.depth() == 0)
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["inbox_depth"] == 0
        text = client.get("/metrics").text
    assert 'mlc_webhook_events_total{connection="alpha",outcome="accepted"} 1.0' in text
    assert 'mlc_webhook_events_total{connection="alpha",outcome="rejected"} 1.0' in text
    assert f'mlc_records_synced_total{{action="create",pipeline="{PEOPLE}"}} 1.0' in text
    assert "mlc_inbox_depth 0.0" in text


def test_a_missed_webhook_is_caught_by_the_next_poll_and_synced_once(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})   # its webhook was lost
    service = Service(world.runtime, ServiceOptions(workers=1, poll=False))
    now = [0.0]
    scheduler = PollScheduler(service.runner, threading.Event(), service.metrics,
                              intervals={PEOPLE: 60}, clock=lambda: now[0])
    assert scheduler.run_due() == [PEOPLE]
    assert len(world.beta.rows["person"]) == 1
    with running(service) as client:           # the webhook arrives late after all
        post(client, delivery(("evt_late", "contact", "c1")))
        assert wait_for(lambda: world.runtime.store.inbox.depth() == 0)
    assert scheduler.run_due() == []                     # not due again yet
    now[0] = 61.0
    assert scheduler.run_due() == [PEOPLE]
    assert len(world.beta.rows["person"]) == 1
    assert world.beta.calls["create"] == 1 and world.beta.calls["update"] == 0
