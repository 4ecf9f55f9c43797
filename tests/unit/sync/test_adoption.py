"""Match-key searches are skipped only for records that occurred after the pipeline began."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import INVOICES, World, make_plugins, write_project

from ml_connector.engine.loading import load_pipelines, load_project
from ml_connector.engine.planning.plan import plan
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.store import Store
from ml_connector.engine.sync.adoption import occurred_time
from ml_connector.engine.sync.runtime import Runtime

ORDERS = "orders-to-invoices"
DATED = INVOICES.replace(
    "source: {connection: alpha, entity: order}",
    "source:\n  connection: alpha\n  entity: order\n"
    "  occurred_at: \"{{ record.placed_at | default(none) }}\"")


@pytest.fixture
def dated(tmp_path: Path, store: Store) -> Iterator[World]:
    alpha, beta = make_plugins()
    registry = PluginRegistry.from_plugins({"alpha": alpha, "beta": beta})
    project = load_project(write_project(tmp_path, invoices=DATED), registry=registry)
    pipelines = load_pipelines(list(project.pipeline_dirs), project=project, registry=registry)
    yield World(Runtime(project=project, registry=registry, store=store, pipelines=pipelines),
                alpha.system, beta.system)


def began(world: World, at: datetime) -> None:
    world.runtime.store.cursors.put(f"began:{ORDERS}", at.isoformat())


def order(world: World, order_id: str, placed_at: object) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.order(order_id, "c1", "5.00")
    world.alpha.rows["order"][order_id]["placed_at"] = placed_at


def test_a_record_that_occurred_after_the_pipeline_began_is_created_without_a_search(
        dated: World) -> None:
    began(dated, datetime.now(UTC) - timedelta(hours=1))
    order(dated, "o1", time.time())
    dated.runner().sync_id("contacts-to-people", "c1")
    finds = dated.beta.calls["find"]
    outcome = dated.runner().sync_id(ORDERS, "o1")
    assert outcome.action == "create"
    assert dated.beta.calls["find"] == finds


def test_an_older_record_is_searched_and_its_existing_target_adopted(dated: World) -> None:
    began(dated, datetime.now(UTC) - timedelta(minutes=5))
    dated.beta.put("invoice", "inv-made-by-hand", {"metadata": {"order_id": "o1"}})
    order(dated, "o1", time.time() - 3600)
    outcome = dated.runner().sync_id(ORDERS, "o1")
    assert outcome.action.startswith("adopt") and outcome.target_id == "inv-made-by-hand"
    assert len(dated.beta.rows["invoice"]) == 1


@pytest.mark.parametrize("placed_at", [None, "not a time", True])
def test_a_record_without_a_readable_time_is_searched(dated: World, placed_at: object) -> None:
    began(dated, datetime.now(UTC) - timedelta(hours=1))
    dated.beta.put("invoice", "inv-made-by-hand", {"metadata": {"order_id": "o1"}})
    order(dated, "o1", placed_at)
    assert dated.runner().sync_id(ORDERS, "o1").action.startswith("adopt")


def test_within_a_minute_of_the_beginning_clocks_may_disagree_so_it_searches(
        dated: World) -> None:
    began(dated, datetime.now(UTC))
    dated.beta.put("invoice", "inv-made-by-hand", {"metadata": {"order_id": "o1"}})
    order(dated, "o1", (datetime.now(UTC) + timedelta(seconds=30)).isoformat())
    assert dated.runner().sync_id(ORDERS, "o1").action.startswith("adopt")


def test_the_beginning_is_stored_once_by_the_first_sync_and_never_moves(dated: World) -> None:
    store = dated.runtime.store
    assert store.cursors.get(f"began:{ORDERS}") is None
    order(dated, "o1", time.time() - 10)
    dated.runner().sync_id(ORDERS, "o1")
    first = store.cursors.get(f"began:{ORDERS}")
    assert first is not None
    order(dated, "o2", time.time())
    dated.runner().sync_id(ORDERS, "o2")
    assert store.cursors.get(f"began:{ORDERS}") == first
    assert store.cursors.setdefault(f"began:{ORDERS}", "later") == first


def test_plan_decides_the_same_way_and_writes_nothing(dated: World) -> None:
    order(dated, "o1", time.time() - 3600)
    dated.beta.put("invoice", "inv-made-by-hand", {"metadata": {"order_id": "o1"}})
    changes = {c.source_id: c.action for c in plan(dated.runtime, ORDERS).changes}
    assert changes == {"o1": "adopt+update"}
    assert dated.runtime.store.cursors.get(f"began:{ORDERS}") is None


def test_a_pipeline_without_occurred_at_always_searches(world: World) -> None:
    world.runtime.store.cursors.put(f"began:{ORDERS}", "2000-01-01T00:00:00+00:00")
    world.beta.put("invoice", "inv-made-by-hand", {"metadata": {"order_id": "o1"}})
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.order("o1", "c1", "5.00")
    assert world.runner().sync_id(ORDERS, "o1").action.startswith("adopt")


@pytest.mark.parametrize(("value", "expected"), [
    (0, datetime(1970, 1, 1, tzinfo=UTC)),
    (1.5, datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC)),
    ("2026-11-25T07:00:00-08:00", datetime(2026, 11, 25, 15, 0, tzinfo=UTC)),
    ("2026-11-25", datetime(2026, 11, 25, tzinfo=UTC)),
    (10**20, None), ("soon", None), (None, None), (False, None), ([], None),
])
def test_times_are_read_from_unix_seconds_or_iso_text(value: object,
                                                      expected: datetime | None) -> None:
    assert occurred_time(value) == expected


def test_a_run_that_finds_nothing_still_begins_the_pipeline(dated: World) -> None:
    dated.runner().run(ORDERS)
    stored = dated.runtime.store.cursors.get(f"began:{ORDERS}")
    assert stored is not None
    assert abs(occurred_time(stored) - datetime.now(UTC)) < timedelta(minutes=1)
