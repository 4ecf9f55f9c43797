"""Inbox items waiting together: one read per (connection, entity), each item settled alone,
and a settle window that makes a burst of notifications due at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from conftest import World
from memory_system import MemoryConnector, MemorySystem, sign

from ml_connector.engine.errors import AuthError, RetryableError
from ml_connector.engine.records import Record
from ml_connector.engine.store import inbox as inbox_module
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.triggers import webhooks as intake_module
from ml_connector.engine.triggers.metrics import ServiceMetrics
from ml_connector.engine.triggers.settling import window_end
from ml_connector.engine.triggers.webhooks import WebhookIntake
from ml_connector.engine.triggers.worker import InboxWorker

PEOPLE = "contacts-to-people"


class BulkConnector(MemoryConnector):
    """The in-memory source, able to read many records at once; `broken` ids fail any read."""

    def __init__(self, system: MemorySystem, broken: frozenset[str] = frozenset(),
                 auth_gone: bool = False):
        super().__init__(system)
        self.broken, self.auth_gone = broken, auth_gone

    def get(self, entity: str, record_id: str) -> Record | None:
        if record_id in self.broken:
            self.system.calls["get"] += 1
            raise RetryableError(f"{record_id} cannot be read just now")
        return super().get(entity, record_id)

    def get_many(self, entity: str, record_ids: Sequence[str]) -> Mapping[str, Record]:
        self.system.calls["get_many"] += 1
        if self.auth_gone:
            raise AuthError("authorisation revoked; run `ml-connector connections auth alpha`")
        if self.broken & set(record_ids):
            raise RetryableError("the system could not answer the whole list")
        rows = self.system.rows[entity]
        return {rid: Record(entity, rid, dict(rows[rid])) for rid in record_ids if rid in rows}


class PoisonedTarget(MemoryConnector):
    """The in-memory target, refusing (for now) to create a person called Poison."""

    def create(self, entity, payload, *, idempotency_key):  # type: ignore[no-untyped-def]
        if payload.get("name") == "Poison":
            raise RetryableError("the target is having trouble with this one")
        return super().create(entity, payload, idempotency_key=idempotency_key)


def use(world: World, monkeypatch: pytest.MonkeyPatch, connection: str,
        connector: MemoryConnector) -> None:
    monkeypatch.setattr(world.runtime.plugin_for(connection), "connect", lambda _ctx: connector)


def notify(world: World, *record_ids: str, entity: str = "contact") -> None:
    for index, record_id in enumerate(record_ids):
        world.runtime.store.inbox.add("alpha", f"evt_{index}_{record_id}", entity, record_id,
                                      "update", {})


def worker(world: World, metrics: ServiceMetrics | None = None) -> InboxWorker:
    return InboxWorker(Runner(world.runtime), threading.Event(), metrics=metrics)


def statuses(world: World) -> dict[str, int]:
    return world.runtime.store.inbox.counts()


def test_a_batch_of_five_notifications_is_read_with_one_request(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    use(world, monkeypatch, "alpha", BulkConnector(world.alpha))
    for n in range(1, 6):
        world.alpha.put("contact", f"c{n}", {"name": f"Person {n}"})
    notify(world, "c1", "c2", "c3", "c4", "c5")
    notify(world, "c3")                                    # a second notice of one record
    metrics = ServiceMetrics(inbox_depth=lambda: 0)
    assert worker(world, metrics).drain_once() == 6
    assert world.alpha.calls["get_many"] == 1 and world.alpha.calls["get"] == 0
    assert sorted(p["name"] for p in world.beta.rows["person"].values()) == [
        f"Person {n}" for n in range(1, 6)]
    assert statuses(world) == {"done": 6}
    sample = metrics.registry.get_sample_value
    assert sample("mlc_inbox_shared_reads_total", {"connection": "alpha"}) == 1
    assert sample("mlc_inbox_shared_read_records_total", {"connection": "alpha"}) == 5


def test_a_record_deleted_since_its_notification_still_takes_the_delete_path(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    use(world, monkeypatch, "alpha", BulkConnector(world.alpha))
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.alpha.put("contact", "c2", {"name": "Bob"})
    world.runner().run(PEOPLE)
    bob = world.runtime.store.links.get(PEOPLE, "c2")
    assert bob is not None
    world.alpha.delete("contact", "c2")
    notify(world, "c1", "c2")
    worker(world).drain_once()
    assert world.alpha.calls["get_many"] == 1 and world.alpha.calls["get"] == 0
    assert world.beta.calls["remove"] == 1
    assert [p["name"] for p in world.beta.rows["person"].values()] == ["Ann"]
    assert statuses(world) == {"done": 2}


def test_one_failing_record_in_a_group_does_not_fail_the_others(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    use(world, monkeypatch, "alpha", BulkConnector(world.alpha))
    use(world, monkeypatch, "beta", PoisonedTarget(world.beta))
    for rid, name in (("c1", "Ann"), ("c2", "Poison"), ("c3", "Cy")):
        world.alpha.put("contact", rid, {"name": name})
    notify(world, "c1", "c2", "c3")
    worker(world).drain_once()
    assert world.alpha.calls["get_many"] == 1
    assert sorted(p["name"] for p in world.beta.rows["person"].values()) == ["Ann", "Cy"]
    assert statuses(world) == {"done": 2, "pending": 1}
    (waiting,) = [world.runtime.store.inbox.get(i) for i in (1, 2, 3)
                  if world.runtime.store.inbox.get(i).status == "pending"]
    assert waiting.record_id == "c2" and "having trouble" in (waiting.last_error or "")


def test_a_shared_read_that_fails_falls_back_to_reading_each_record(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    use(world, monkeypatch, "alpha", BulkConnector(world.alpha, broken=frozenset({"c2"})))
    for rid in ("c1", "c2", "c3"):
        world.alpha.put("contact", rid, {"name": rid.upper()})
    notify(world, "c1", "c2", "c3")
    worker(world).drain_once()
    assert world.alpha.calls["get_many"] == 1 and world.alpha.calls["get"] == 3
    assert sorted(p["name"] for p in world.beta.rows["person"].values()) == ["C1", "C3"]
    assert statuses(world) == {"done": 2, "pending": 1}


def test_without_authorisation_the_whole_group_waits_for_it(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    use(world, monkeypatch, "alpha", BulkConnector(world.alpha, auth_gone=True))
    notify(world, "c1", "c2")
    worker(world).drain_once()
    assert statuses(world) == {"pending": 2}
    assert world.runtime.store.inbox.claim(10, worker="next") == []   # held for a minute
    assert world.beta.calls["create"] == 0


def test_a_connector_without_the_capability_is_read_record_by_record(world: World) -> None:
    for rid in ("c1", "c2"):
        world.alpha.put("contact", rid, {"name": rid})
    notify(world, "c1", "c2")
    worker(world).drain_once()
    assert world.alpha.calls["get"] == 2 and "get_many" not in world.alpha.calls
    assert statuses(world) == {"done": 2}


def test_window_end_is_shared_by_every_moment_of_one_window() -> None:
    start = datetime(2026, 7, 1, 9, 0, 0, tzinfo=UTC)
    ends = {window_end(start + timedelta(milliseconds=ms), 1.0) for ms in (0, 250, 999)}
    assert ends == {start + timedelta(seconds=1)}
    assert window_end(start + timedelta(seconds=1), 1.0) == start + timedelta(seconds=2)
    assert window_end(start, 0) == start


def test_the_settle_window_makes_a_burst_of_notifications_due_together(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(world.runtime.plugin_for("alpha"), "webhook_settle_seconds", 30.0,
                        raising=False)
    alpha = world.runtime.project.connections["alpha"]
    world.runtime.project = replace(world.runtime.project, connections={
        **world.runtime.project.connections,
        "alpha": replace(alpha, webhook_settle_seconds=1.0)})       # the file overrides
    intake = WebhookIntake(world.runtime, ServiceMetrics(inbox_depth=lambda: 0))
    window = datetime(2026, 7, 1, 9, 0, 0, tzinfo=UTC)
    for ms, rid in ((100, "c1"), (900, "c2")):
        monkeypatch.setattr(intake_module, "utcnow", lambda ms=ms: window + timedelta(
            milliseconds=ms))
        body = (f'{{"events": [{{"id": "evt_{rid}", "entity": "contact", '
                f'"record_id": "{rid}"}}]}}').encode()
        assert intake._accept("alpha", {"x-signature": sign(body)}, body).status_code == 200
    inbox = world.runtime.store.inbox
    for moment, expected in ((window + timedelta(milliseconds=999), []),
                             (window + timedelta(seconds=1), ["c1", "c2"])):
        monkeypatch.setattr(inbox_module, "utcnow", lambda moment=moment: moment)
        assert [item.record_id for item in inbox.claim(10, worker="w")] == expected
