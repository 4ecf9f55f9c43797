"""A target removed (deactivated, voided) and then written again is in step once more:
its link says so, and the next run writes nothing."""

from __future__ import annotations

from pathlib import Path

from conftest import PEOPLE, World, make_plugins, write_project

from ml_connector.engine.loading import load_pipelines, load_project
from ml_connector.engine.plugins.protocol import EntitySpec
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.store import Store
from ml_connector.engine.store.links import LinkState
from ml_connector.engine.sync.runtime import Runtime

NAME = "contacts-to-people"
DEACTIVATING = PEOPLE.replace("on_source_delete: delete", "on_source_delete: deactivate")


def _deactivating_world(folder: Path, store: Store) -> World:
    alpha, beta = make_plugins()
    beta.entities()["person"] = EntitySpec("person", match_fields=("metadata.contact_id",
                                                                   "email"),
                                           remove_modes=("delete", "deactivate"))
    registry = PluginRegistry.from_plugins({"alpha": alpha, "beta": beta})
    project = load_project(write_project(folder, people=DEACTIVATING), registry=registry)
    pipelines = load_pipelines(list(project.pipeline_dirs), project=project, registry=registry)
    runtime = Runtime(project=project, registry=registry, store=store, pipelines=pipelines)
    return World(runtime, alpha.system, beta.system)


def test_a_deactivated_target_updated_again_is_synced_and_then_left_alone(
        tmp_path: Path, store: Store) -> None:
    world = _deactivating_world(tmp_path, store)
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.runner().run(NAME)
    world.alpha.put("contact", "c1", {"name": "Ann", "archived": True})
    assert world.runner().run(NAME, full=True).counts["remove"] == 1
    assert world.runtime.store.links.get(NAME, "c1").state is LinkState.REMOVED

    world.alpha.put("contact", "c1", {"name": "Ann Again"})
    assert world.runner().run(NAME, full=True).counts["update"] == 1
    assert world.runtime.store.links.get(NAME, "c1").state is LinkState.SYNCED

    writes = world.beta.writes
    summary = world.runner().run(NAME, full=True)
    assert summary.counts["unchanged"] == 1
    assert world.beta.writes == writes


def test_a_target_recreated_after_a_void_is_synced_and_then_left_alone(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.order("o1", "c1", "10.00")
    world.runner().run_all()
    world.beta.frozen.add(world.runtime.store.links.get("orders-to-invoices", "o1").target_id)
    world.order("o1", "c1", "12.00")
    assert world.runner().run("orders-to-invoices", full=True).counts["recreate"] == 1
    assert world.runtime.store.links.get("orders-to-invoices", "o1").state is LinkState.SYNCED

    writes = world.beta.writes
    assert world.runner().run("orders-to-invoices", full=True).counts["unchanged"] == 1
    assert world.beta.writes == writes
