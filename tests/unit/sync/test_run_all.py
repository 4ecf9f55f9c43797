"""`run --all`: dependencies reached through link() overlap; others finish first."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import World, make_plugins, write_project

from ml_connector.engine.loading import load_pipelines, load_project
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.records import ChangePage
from ml_connector.engine.store import Store
from ml_connector.engine.sync.runtime import Runtime

PEOPLE, ORDERS = "contacts-to-people", "orders-to-invoices"
# Reads people as they are (linked_source in its filter): must wait for contacts-to-people.
NOTES = """\
name: notes-to-invoices
description: Orders of contacts already synced become invoices too.
depends_on: [contacts-to-people]
source:
  connection: alpha
  entity: order
  filter: "{{ linked_source('contacts-to-people', 'p-' ~ record.contact) is none }}"
target: {connection: beta, entity: invoice}
mapping:
  person: "{{ record.contact }}"
  amount: 1
"""


def world_with(tmp_path: Path, store: Store, extra: str | None = None) -> World:
    alpha, beta = make_plugins()
    registry = PluginRegistry.from_plugins({"alpha": alpha, "beta": beta})
    folder = write_project(tmp_path)
    if extra is not None:
        (tmp_path / "pipelines" / "notes.yaml").write_text(extra)
    project = load_project(folder, registry=registry)
    pipelines = load_pipelines(list(project.pipeline_dirs), project=project, registry=registry)
    return World(Runtime(project=project, registry=registry, store=store, pipelines=pipelines),
                 alpha.system, beta.system)


@pytest.fixture
def both(tmp_path: Path, store: Store) -> Iterator[World]:
    yield world_with(tmp_path, store, NOTES)


def hold_reads(world: World, entity: str, until: threading.Event,
               timeout: float = 5.0) -> list[bool]:
    """Make the read of `entity` wait (up to `timeout`) for `until`; returns whether it was set."""
    connector = world.runtime.connector("alpha")
    original, seen = connector.read_changes, []

    def held(name: str, cursor: str | None) -> Iterator[ChangePage]:
        if name == entity:
            seen.append(until.wait(timeout))
        yield from original(name, cursor)

    connector.read_changes = held  # type: ignore[method-assign]
    return seen


def test_link_only_dependencies_run_alongside_and_pull_parents_on_demand(both: World) -> None:
    for i in range(6):
        both.alpha.put("contact", f"c{i}", {"name": f"Person {i}"})
        both.order(f"o{i}", f"c{i}", "3.00")
    orders_done = threading.Event()
    runner = both.runner()
    runner.on_outcome = lambda o: (o.pipeline == ORDERS and o.source_id == "o5"
                                   and orders_done.set())
    seen = hold_reads(both, "contact", orders_done)
    summaries = {s.pipeline: s for s in runner.run_all([PEOPLE, ORDERS])}
    assert seen == [True]   # the orders finished while the contacts' read was held
    assert summaries[ORDERS].counts["create"] == 6
    # Pulled on demand by the orders, counted as created by their own pipeline, once.
    assert summaries[PEOPLE].as_dict()["created"] == 6
    assert summaries[PEOPLE].as_dict()["unchanged"] == 0
    assert len(both.beta.rows["person"]) == 6 and len(both.beta.rows["invoice"]) == 6


def test_a_dependency_read_as_it_is_finishes_first(both: World) -> None:
    both.alpha.put("contact", "c1", {"name": "Ann"})
    both.order("o1", "c1", "2.00")
    orders_read = threading.Event()
    seen = hold_reads(both, "contact", orders_read, timeout=1.0)   # wait for the orders
    original = both.runtime.connector("alpha").read_changes

    def mark(name: str, cursor: str | None) -> Iterator[ChangePage]:
        if name == "order":
            orders_read.set()
        yield from original(name, cursor)

    both.runtime.connector("alpha").read_changes = mark  # type: ignore[method-assign]
    summaries = [s.pipeline for s in both.runner().run_all([PEOPLE, "notes-to-invoices"])]
    assert summaries == [PEOPLE, "notes-to-invoices"]
    assert seen == [False]   # the orders were not read while the contacts were


def test_which_dependencies_must_finish_first(both: World) -> None:
    pipelines = both.runtime.pipelines
    assert pipelines.must_finish_first(ORDERS) == ()
    assert pipelines.must_finish_first("notes-to-invoices") == (PEOPLE,)


def test_a_stopped_pipeline_keeps_its_waiting_dependents_from_starting(both: World) -> None:
    from ml_connector.engine.errors import AuthError

    def refuse(name: str, cursor: str | None) -> Iterator[ChangePage]:
        raise AuthError("authorisation revoked: run ml-connector connections auth alpha")
        yield  # pragma: no cover

    both.runtime.connector("alpha").read_changes = refuse  # type: ignore[method-assign]
    summaries = both.runner().run_all([PEOPLE, "notes-to-invoices"])
    assert [s.pipeline for s in summaries] == [PEOPLE]
    assert "connections auth alpha" in summaries[0].stopped
