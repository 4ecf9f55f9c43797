"""A two-system project (alpha -> beta) running on the in-memory systems, on every store backend."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from memory_system import MemoryPlugin, MemorySystem

from ml_connector.engine.loading import load_pipelines, load_project
from ml_connector.engine.plugins.protocol import EntitySpec
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.store import Store
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime

PEOPLE = """\
name: contacts-to-people
description: Contacts become people.
source:
  connection: alpha
  entity: contact
  deleted_when: "{{ record.archived | default(false) }}"
target: {connection: beta, entity: person}
match:
  - target_field: metadata.contact_id
    value: "{{ source.id }}"
  - target_field: email
    value: "{{ record.email | default(none) }}"
mapping:
  name: "{{ record.name }}"
  email?: "{{ record.email }}"
  team?: "{{ lookup('beta', 'person', 'name', record.team) }}"
  metadata:
    contact_id: "{{ source.id }}"
policies: {on_source_delete: delete}
"""

INVOICES = """\
name: orders-to-invoices
description: Orders become invoices for the linked person.
depends_on: [contacts-to-people]
source: {connection: alpha, entity: order}
target: {connection: beta, entity: invoice}
match:
  - target_field: metadata.order_id
    value: "{{ source.id }}"
mapping:
  person: "{{ link('contacts-to-people', record.contact) }}"
  amount: "{{ record.total | minor_units('usd') }}"
  lines:
    for_each: "{{ record.lines }}"
    as: line
    item:
      description: "{{ line.text }}"
      amount: "{{ line.amount | minor_units('usd') }}"
  metadata:
    order_id: "{{ source.id }}"
policies: {on_source_delete: void, on_immutable_change: void_and_recreate}
"""

PROJECT = """\
version: 1
pipelines: [pipelines]
workers: 4
connections:
  alpha: {connector: alpha, settings: {}}
  beta: {connector: beta, settings: {}}
"""


@dataclass
class World:
    runtime: Runtime
    alpha: MemorySystem
    beta: MemorySystem

    def runner(self) -> Runner:
        return Runner(self.runtime)

    def order(self, order_id: str, contact: str, *amounts: str) -> None:
        lines = [{"text": f"line {i}", "amount": Decimal(a)} for i, a in enumerate(amounts)]
        self.alpha.put("order", order_id, {"contact": contact, "lines": lines,
                                           "total": sum((Decimal(a) for a in amounts),
                                                        Decimal(0))})


def make_plugins() -> tuple[MemoryPlugin, MemoryPlugin]:
    alpha = MemoryPlugin("alpha", {"contact": EntitySpec("contact"), "order": EntitySpec("order")})
    beta = MemoryPlugin("beta", {
        "person": EntitySpec("person", match_fields=("metadata.contact_id", "email")),
        "invoice": EntitySpec("invoice", match_fields=("metadata.order_id",),
                              remove_modes=("delete", "void")),
    })
    return alpha, beta


def write_project(folder: Path, *, people: str = PEOPLE, invoices: str = INVOICES) -> Path:
    (folder / "pipelines").mkdir(parents=True, exist_ok=True)
    (folder / "pipelines" / "people.yaml").write_text(textwrap.dedent(people))
    (folder / "pipelines" / "invoices.yaml").write_text(textwrap.dedent(invoices))
    (folder / "ml-connector.yaml").write_text(PROJECT)
    return folder / "ml-connector.yaml"


def with_pipelines(world: World, *, people: str = PEOPLE, invoices: str = INVOICES) -> World:
    """The same systems and store after the pipeline files were edited and loaded again."""
    folder, registry = world.runtime.project.root, world.runtime.registry
    project = load_project(write_project(folder, people=people, invoices=invoices),
                           registry=registry)
    pipelines = load_pipelines(list(project.pipeline_dirs), project=project, registry=registry)
    runtime = Runtime(project=project, registry=registry, store=world.runtime.store,
                      pipelines=pipelines)
    return World(runtime, world.alpha, world.beta)


@pytest.fixture
def world(tmp_path: Path, store: Store) -> Iterator[World]:
    alpha, beta = make_plugins()
    registry = PluginRegistry.from_plugins({"alpha": alpha, "beta": beta})
    project = load_project(write_project(tmp_path), registry=registry)
    pipelines = load_pipelines(list(project.pipeline_dirs), project=project, registry=registry)
    runtime = Runtime(project=project, registry=registry, store=store, pipelines=pipelines)
    yield World(runtime, alpha.system, beta.system)
