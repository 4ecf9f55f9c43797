"""A crash between any two steps of a create, then a rerun, leaves one target per source."""

from __future__ import annotations

import pytest
from conftest import World

from ml_connector.engine.store.intents import IntentRepository

PEOPLE, INVOICES = "contacts-to-people", "orders-to-invoices"


class Crash(BaseException):
    """Stands for the process dying: not an error the engine may catch and handle."""


def crash_once(monkeypatch: pytest.MonkeyPatch, cls: type, name: str) -> None:
    original = getattr(cls, name)
    state = {"armed": True}

    def wrapper(*args, **kwargs):
        if state["armed"]:
            state["armed"] = False
            raise Crash(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(cls, name, wrapper)


def test_crash_after_create_before_link_commit_converges_to_one_target(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    crash_once(monkeypatch, IntentRepository, "complete")
    with pytest.raises(Crash):
        world.runner().run(PEOPLE)
    assert len(world.beta.rows["person"]) == 1            # created, but never linked
    assert world.runtime.store.links.get(PEOPLE, "c1") is None
    world.runner().run(PEOPLE)
    assert len(world.beta.rows["person"]) == 1
    assert world.runtime.store.intents.pending(PEOPLE, "c1") is None
    link = world.runtime.store.links.get(PEOPLE, "c1")
    assert link.target_id in world.beta.rows["person"]


def test_crash_recovery_when_the_idempotency_key_was_forgotten(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys are pruned after a day; the match keys still find what the first attempt made."""
    world.alpha.put("contact", "c1", {"name": "Ann"})
    crash_once(monkeypatch, IntentRepository, "complete")
    with pytest.raises(Crash):
        world.runner().run(PEOPLE)
    world.beta.keys.clear()
    world.runner().run(PEOPLE)
    assert len(world.beta.rows["person"]) == 1


def test_crash_before_the_create_was_sent_creates_exactly_once_on_rerun(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from memory_system import MemoryConnector

    world.alpha.put("contact", "c1", {"name": "Ann"})
    crash_once(monkeypatch, MemoryConnector, "create")
    with pytest.raises(Crash):
        world.runner().run(PEOPLE)
    assert world.beta.rows["person"] == {}
    assert world.runtime.store.intents.pending(PEOPLE, "c1") is not None
    world.runner().run(PEOPLE)
    assert len(world.beta.rows["person"]) == 1


def test_dropped_answer_to_a_create_is_not_a_second_record(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.beta.lose_answer_of_next_create = 1
    first = world.runner().run(PEOPLE)
    assert first.failed == 1 and first.failures[0].retryable
    second = world.runner().run(PEOPLE, full=True)
    assert second.failed == 0
    assert len(world.beta.rows["person"]) == 1


def test_source_edited_between_crash_and_rerun_still_one_target_with_new_values(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    crash_once(monkeypatch, IntentRepository, "complete")
    with pytest.raises(Crash):
        world.runner().run(PEOPLE)
    world.alpha.put("contact", "c1", {"name": "Ann Smith"})
    world.beta.keys.clear()
    world.runner().run(PEOPLE)
    assert [p["name"] for p in world.beta.rows["person"].values()] == ["Ann Smith"]


def test_crash_between_void_and_recreate_recreates_once(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from memory_system import MemoryConnector

    world.alpha.put("contact", "c1", {"name": "A"})
    world.order("o1", "c1", "3.00")
    world.runner().run_all()
    first = world.runtime.store.links.get(INVOICES, "o1").target_id
    world.beta.frozen.add(first)
    world.order("o1", "c1", "9.00")
    crash_once(monkeypatch, MemoryConnector, "create")
    with pytest.raises(Crash):
        world.runner().run(INVOICES, full=True)
    assert first in world.beta.voided
    world.runner().run(INVOICES, full=True)
    world.runner().run(INVOICES, full=True)
    live = [i for i, row in world.beta.rows["invoice"].items() if i not in world.beta.voided]
    assert len(live) == 1 and world.beta.rows["invoice"][live[0]]["amount"] == 900
    assert world.beta.calls["remove"] == 1
