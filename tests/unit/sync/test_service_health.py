"""`/healthz` tells the truth: degraded, reason by reason, while the service cannot do its job.

Polls that keep failing, an authorisation that is gone, an inbox that only grows, a worker
whose errors repeat or a thread that stopped each make it answer 503 with the reason; each
clears on its own once its cause is gone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PEOPLE as PEOPLE_YAML
from conftest import World, make_plugins, write_project
from memory_system import MemoryConnector, MemorySystem, sign
from sqlalchemy import update
from test_service import delivery, post, wait_for

from ml_connector.engine.errors import AuthError, InvalidInput, RetryableError
from ml_connector.engine.loading import load_pipelines, load_project
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.records import ChangePage, Record
from ml_connector.engine.store import Store, tables
from ml_connector.engine.store.types import utcnow
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.sync.status import collect_status
from ml_connector.engine.testing.servers import serve_in_thread
from ml_connector.engine.triggers.health import FAILURES_IN_A_ROW, Problem
from ml_connector.engine.triggers.service import Service, ServiceOptions

PEOPLE = "contacts-to-people"
FIX = "run `ml-connector connections auth alpha`"


class TroubledSource(MemoryConnector):
    """The in-memory source, told to fail the ways a real one does; it reports its health."""

    def __init__(self, system: MemorySystem):
        super().__init__(system)
        self.trouble: Exception | None = None   # raised by every read while set
        self.authorised = True

    def read_changes(self, entity: str, cursor: str | None) -> Iterator[ChangePage]:
        self._check()
        return super().read_changes(entity, cursor)

    def get(self, entity: str, record_id: str) -> Record | None:
        self._check()
        return super().get(entity, record_id)

    def _check(self) -> None:
        if not self.authorised:
            raise AuthError("alpha refused the grant (revoked)",
                            reauth_command="ml-connector connections auth alpha")
        if self.trouble is not None:
            raise self.trouble

    def health(self) -> Mapping[str, Any]:
        if self.authorised:
            return {"authorised": True}
        return {"authorised": False, "problem": "the grant was revoked", "fix": FIX}


@pytest.fixture
def polled(tmp_path: Path, store: Store) -> World:
    """The alpha -> beta world, its people pipeline fed by webhooks and polled every minute."""
    alpha, beta = make_plugins()
    registry = PluginRegistry.from_plugins({"alpha": alpha, "beta": beta})
    people = PEOPLE_YAML + "triggers:\n  - webhook: alpha\n  - poll: {every: 1m}\n"
    project = load_project(write_project(tmp_path, people=people), registry=registry)
    pipelines = load_pipelines(list(project.pipeline_dirs), project=project, registry=registry)
    runtime = Runtime(project=project, registry=registry, store=store, pipelines=pipelines)
    return World(runtime, alpha.system, beta.system)


@pytest.fixture
def source(polled: World, monkeypatch: pytest.MonkeyPatch) -> TroubledSource:
    connector = TroubledSource(polled.alpha)
    monkeypatch.setattr(polled.runtime.plugin_for("alpha"), "connect", lambda _ctx: connector)
    return connector


class Polls:
    """The service's scheduler on a clock the test moves: each call is one poll, now."""

    def __init__(self, service: Service):
        assert service.scheduler is not None
        self.scheduler, self.now = service.scheduler, [0.0]
        self.scheduler.clock = lambda: self.now[0]

    def __call__(self) -> None:
        assert self.scheduler.run_due() == [PEOPLE]
        self.now[0] += 60


@contextmanager
def running(service: Service) -> Iterator[httpx.Client]:
    with serve_in_thread(service.app()) as server, httpx.Client(base_url=server.url) as client:
        yield client


def checks(service: Service) -> list[tuple[str, str]]:
    return [(p.check, p.subject) for p in service.health().problems]


def test_healthz_answers_ok_while_nothing_is_wrong(polled: World) -> None:
    polled.alpha.put("contact", "c1", {"name": "Ann"})
    service = Service(polled.runtime, ServiceOptions(workers=1, worker_idle_wait=0.02))
    with running(service) as client:
        assert wait_for(lambda: polled.runtime.store.polls.get(PEOPLE) is not None)
        health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "inbox_depth": 0, "problems": []}


def test_polls_failing_three_times_in_a_row_degrade_it_until_one_succeeds(
        polled: World, source: TroubledSource) -> None:
    service = Service(polled.runtime, ServiceOptions(workers=0))
    poll = Polls(service)
    source.trouble = RetryableError("alpha answered HTTP 503 five times")
    for _ in range(FAILURES_IN_A_ROW - 1):
        poll()
        assert service.health().ok               # a failure or two is weather, not a fault
    poll()
    report = service.health()
    assert report.status == "degraded" and checks(service) == [("poll", PEOPLE)]
    assert report.problems[0].problem == (
        f"failed {FAILURES_IN_A_ROW} times in a row: alpha answered HTTP 503 five times")
    with running(Service(polled.runtime, ServiceOptions(workers=0))) as client:
        answer = client.get("/healthz")      # the real endpoint, in a service started anew
    assert answer.status_code == 503 and answer.json()["status"] == "degraded"
    assert [p["check"] for p in answer.json()["problems"]] == ["poll"]
    source.trouble = None
    poll()
    assert service.health().ok


def test_a_poll_stopped_by_authorisation_degrades_it_at_once_naming_the_fix(
        polled: World, source: TroubledSource) -> None:
    service = Service(polled.runtime, ServiceOptions(workers=0))
    poll = Polls(service)
    source.authorised = False
    poll()
    report = service.health()
    assert checks(service) == [("authorisation", "alpha"), ("poll", PEOPLE)]
    authorisation, stopped = report.problems
    assert (authorisation.problem, authorisation.fix) == ("the grant was revoked", FIX)
    assert stopped.problem == ("stopped for want of authorisation: alpha: alpha refused the "
                               "grant (revoked); run `ml-connector connections auth alpha` to "
                               "authorise again")
    source.authorised = True                     # authorised again, from another process
    assert checks(service) == [("poll", PEOPLE)]  # until the next poll shows it works
    poll()
    assert service.health().ok


def test_an_event_waiting_longer_than_the_limit_degrades_it(world: World) -> None:
    world.runtime.store.inbox.add("alpha", "evt_1", "contact", "c1", "update", {})
    service = Service(world.runtime, ServiceOptions(workers=0))
    assert service.health().ok
    service.clock = lambda: utcnow() + timedelta(minutes=16)
    report = service.health()
    assert checks(service) == [("inbox", "")]
    assert report.problems[0].problem.startswith(
        "1 event(s) waiting, the oldest for 16m, over the 15m limit")


def test_an_inbox_growing_while_nothing_is_settled_degrades_it_until_drained(
        world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.alpha.put("contact", "c2", {"name": "Bo"})
    inbox = world.runtime.store.inbox
    inbox.add("alpha", "evt_1", "contact", "c1", "update", {})
    six_minutes_ago = utcnow() - timedelta(minutes=6)
    with world.runtime.store.database.write() as conn:
        conn.execute(update(tables.inbox).values(received_at=six_minutes_ago))
    inbox.add("alpha", "evt_2", "contact", "c2", "update", {})   # and one more since
    stalled = Service(world.runtime, ServiceOptions(workers=0))
    report = stalled.health()
    assert checks(stalled) == [("inbox", "")]
    assert report.problems[0].problem == ("1 event(s) arrived in the last 5m and none was "
                                          "processed; 2 waiting")
    with running(Service(world.runtime, ServiceOptions(workers=1, worker_idle_wait=0.02))):
        assert wait_for(lambda: inbox.depth() == 0)
    assert stalled.health().ok


def test_a_worker_survives_an_unexpected_error_and_healthz_says_so_while_it_repeats(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """It used to die of it, and `serve` went on answering 200 while processing nothing."""
    source = TroubledSource(world.alpha)
    monkeypatch.setattr(world.runtime.plugin_for("alpha"), "connect", lambda _ctx: source)
    for n in range(4):
        world.alpha.put("contact", f"c{n}", {"name": f"Person {n}"})
    source.trouble = KeyError("DisplayName")     # a bug, not an error any connector classifies
    service = Service(world.runtime, ServiceOptions(workers=1, poll=False,
                                                    worker_idle_wait=0.02))
    (worker,) = service.workers
    with running(service) as client:
        for n in range(FAILURES_IN_A_ROW):
            post(client, delivery((f"evt_{n}", "contact", f"c{n}")))
        assert wait_for(lambda: worker.item_errors.current() is not None
                        and worker.item_errors.current().count >= FAILURES_IN_A_ROW)
        health = client.get("/healthz")
        assert health.status_code == 503
        (problem,) = health.json()["problems"]
        assert problem["check"] == "worker" and problem["subject"] == worker.name
        assert problem["problem"] == (f"{FAILURES_IN_A_ROW} unexpected errors in a row, the "
                                      "latest: KeyError: 'DisplayName'")
        assert all(thread.is_alive() for thread in service.threads)
        source.trouble = None                        # fixed: the next event goes through
        post(client, delivery(("evt_fixed", "contact", "c3")))
        assert wait_for(lambda: client.get("/healthz").status_code == 200)
    waiting = world.runtime.store.inbox.get(1)
    assert waiting is not None and waiting.status == "pending"   # retried later, not lost
    assert waiting.last_error == "unexpected error: KeyError: 'DisplayName'"


def test_a_worker_loop_that_keeps_failing_backs_off_goes_on_and_recovers(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    service = Service(world.runtime, ServiceOptions(workers=1, poll=False,
                                                    worker_idle_wait=0.001))
    (worker,) = service.workers
    inbox, broken = world.runtime.store.inbox, threading.Event()
    real_claim = inbox.claim

    def claim(limit: int, *, worker: str) -> list:
        if broken.is_set():
            raise ConnectionError("the database went away")
        return real_claim(limit, worker=worker)

    monkeypatch.setattr(inbox, "claim", claim)
    broken.set()
    service.start()
    try:
        assert wait_for(lambda: (streak := worker.loop_errors.current()) is not None
                        and streak.count >= FAILURES_IN_A_ROW)
        (problem,) = service.health().problems
        assert (problem.check, problem.subject) == ("worker", worker.name)
        assert problem.problem.endswith(
            "unexpected errors in a row, the latest: ConnectionError: the database went away")
        broken.clear()
        assert wait_for(lambda: worker.loop_errors.current() is None)
        assert all(thread.is_alive() for thread in service.threads) and service.health().ok
    finally:
        service.shutdown()
    assert service.health().status == "stopping"


def test_a_stopped_thread_degrades_it_and_says_to_restart(world: World,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    service = Service(world.runtime, ServiceOptions(workers=1, poll=False))
    (worker,) = service.workers
    monkeypatch.setattr(worker, "run_forever", lambda: None)   # as if it had been killed
    service.start()
    service.threads[0].join(5)
    (problem,) = service.health().problems
    assert (problem.check, problem.subject, problem.problem) == (
        "worker", worker.name, "the thread stopped")
    assert problem.fix is not None and "restart `ml-connector serve`" in problem.fix
    service.stop.set()


def test_events_held_for_authorisation_degrade_it_until_one_goes_through(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    source = TroubledSource(world.alpha)
    monkeypatch.setattr(world.runtime.plugin_for("alpha"), "connect", lambda _ctx: source)
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.alpha.put("contact", "c2", {"name": "Bo"})
    service = Service(world.runtime, ServiceOptions(workers=1, poll=False))
    (worker,) = service.workers
    source.authorised = False
    world.runtime.store.inbox.add("alpha", "evt_1", "contact", "c1", "update", {})
    assert worker.drain_once() == 1
    assert checks(service) == [("authorisation", "alpha"), ("inbox", "")]
    assert service.health().problems[1].problem == (
        "events from alpha wait for authorisation: alpha refused the grant (revoked); run "
        "`ml-connector connections auth alpha` to authorise again")
    source.authorised = True
    world.runtime.store.inbox.add("alpha", "evt_2", "contact", "c2", "update", {})
    assert worker.drain_once() == 1               # the held one waits out its delay
    assert service.health().ok


def test_a_signed_delivery_is_still_accepted_while_degraded(polled: World,
                                                            source: TroubledSource) -> None:
    """Degraded is a report, not a refusal: events are stored for when it is fixed."""
    source.authorised = False
    service = Service(polled.runtime, ServiceOptions(workers=0, poll=False))
    body = delivery(("evt_1", "contact", "c1"))
    with running(service) as client:
        assert client.get("/healthz").status_code == 503
        answer = client.post("/webhooks/alpha", content=body, headers={"x-signature": sign(body)})
    assert answer.status_code == 200 and answer.json()["stored"] == 1


def test_an_event_through_one_worker_ends_the_wait_another_worker_met(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    source = TroubledSource(world.alpha)
    monkeypatch.setattr(world.runtime.plugin_for("alpha"), "connect", lambda _ctx: source)
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.alpha.put("contact", "c2", {"name": "Bo"})
    service = Service(world.runtime, ServiceOptions(workers=2, poll=False))
    first, second = service.workers
    source.authorised = False
    world.runtime.store.inbox.add("alpha", "evt_1", "contact", "c1", "update", {})
    assert first.drain_once() == 1
    assert [p.check for p in service.health().problems] == ["authorisation", "inbox"]
    source.authorised = True
    world.runtime.store.inbox.add("alpha", "evt_2", "contact", "c2", "update", {})
    assert second.drain_once() == 1
    assert service.health().ok


def test_a_connection_that_cannot_be_opened_degrades_it(world: World,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_context: object) -> None:
        raise InvalidInput("connection 'beta': missing setting(s) token")

    monkeypatch.setattr(world.runtime.plugin_for("beta"), "connect", refuse)
    (problem,) = Service(world.runtime, ServiceOptions(workers=0)).health().problems
    assert (problem.check, problem.subject, problem.problem) == (
        "connection", "beta", "cannot be checked: connection 'beta': missing setting(s) token")


def test_healthz_reads_the_inbox_and_the_polls_once_each(
        polled: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_status import counting

    service = Service(polled.runtime, ServiceOptions(workers=0))
    inbox = counting(monkeypatch, polled.runtime.store.inbox, "backlog", "depth")
    polls = counting(monkeypatch, polled.runtime.store.polls, "all", "get")
    assert service.health().inbox_depth == 0
    assert inbox == ["backlog"] and polls == ["all"]


# -- liveness and redaction --------------------------------------------------------------------

# A made-up key, assembled so no live-shaped key is written in the repository.
LEAKED_KEY = "sk_" + "live_" + "51Hq9ZxLeakedKey000"


def test_livez_stays_200_while_degraded_so_the_process_keeps_its_webhooks(
        polled: World, source: TroubledSource) -> None:
    source.authorised = False                    # QuickBooks' grant revoked, say
    service = Service(polled.runtime, ServiceOptions(workers=0, poll=False))
    with running(service) as client:
        assert client.get("/healthz").status_code == 503
        alive = client.get("/livez")
    assert alive.status_code == 200 and alive.json() == {"status": "alive"}
    service.stop.set()
    assert service.liveness() == (503, {"status": "stopping"})


def test_livez_says_when_the_store_cannot_take_webhooks(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable() -> None:
        raise ConnectionError(f"connection refused (password={LEAKED_KEY})")

    monkeypatch.setattr(world.runtime.store, "ping", unreachable)
    status, body = Service(world.runtime, ServiceOptions(workers=0)).liveness()
    assert status == 503 and body == {
        "status": "store unreachable", "problem": "ConnectionError: connection refused "
                                                  "(password=***)"}


def test_a_problem_masks_secret_shaped_text_whoever_wrote_it() -> None:
    problem = Problem("worker", "worker-1", f"the latest: HTTP 401 for key {LEAKED_KEY}",
                      fix="run with Authorization: Bearer abc123def456ghi")
    assert problem.problem == "the latest: HTTP 401 for key ***"
    assert problem.fix == "run with Authorization: Bearer ***"
    assert LEAKED_KEY not in str(problem) and LEAKED_KEY not in repr(problem.as_dict())


def test_a_secret_in_a_worker_error_reaches_neither_healthz_nor_the_log(
        world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    source = TroubledSource(world.alpha)
    monkeypatch.setattr(world.runtime.plugin_for("alpha"), "connect", lambda _ctx: source)
    source.trouble = RuntimeError(f"the SDK echoed its key {LEAKED_KEY}")
    service = Service(world.runtime, ServiceOptions(workers=1, poll=False))
    (worker,) = service.workers
    for n in range(FAILURES_IN_A_ROW):
        world.alpha.put("contact", f"c{n}", {"name": f"Person {n}"})
        world.runtime.store.inbox.add("alpha", f"evt_{n}", "contact", f"c{n}", "update", {})
    with caplog.at_level(logging.DEBUG, logger="ml_connector.worker"):
        while worker.drain_once():
            pass
    with running(service) as client:
        answer = client.get("/healthz")
    assert answer.status_code == 503 and "the latest: RuntimeError: the SDK echoed its key ***" \
        in answer.text
    assert LEAKED_KEY not in answer.text
    logged = [record.getMessage() for record in caplog.records]
    assert logged and not any(LEAKED_KEY in line for line in logged)
    shown = collect_status(world.runtime)
    assert LEAKED_KEY not in repr(shown.as_dict())
