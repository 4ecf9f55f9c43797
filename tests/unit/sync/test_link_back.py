"""A record made the other way round is linked both ways, so both directions keep one pair.

People appear first in beta and become alpha contacts (`people-to-contacts`, with
`link_back: contacts-to-people`). From then on alpha leads: an edit of the contact updates
the same person instead of being taken for an echo of our own write or making a second
person, and the person's later changes no longer flow back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from memory_system import MemoryPlugin
from test_crash_recovery import Crash, crash_once

from ml_connector.engine.errors import PipelineInvalid
from ml_connector.engine.loading import load_pipelines, load_project
from ml_connector.engine.plugins.protocol import EntitySpec
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.store import Store
from ml_connector.engine.store.intents import IntentRepository
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime

FORWARD, BACK = "contacts-to-people", "people-to-contacts"

CONTACTS_TO_PEOPLE = """\
name: contacts-to-people
description: Contacts become people.
source: {connection: alpha, entity: contact}
target: {connection: beta, entity: person}
match:
  - target_field: metadata.contact_id
    value: "{{ source.id }}"
mapping:
  name: "{{ record.name }}"
  metadata:
    contact_id: "{{ source.id }}"
"""

PEOPLE_TO_CONTACTS = """\
name: people-to-contacts
description: People alpha has not met become contacts; alpha leads from then on.
link_back: {back}
source:
  connection: beta
  entity: person
  filter: "{{ linked_source('contacts-to-people', source.id) is none }}"
target: {connection: alpha, entity: contact}
match:
  - target_field: email
    value: "{{ record.email }}"
mapping:
  name: "{{ record.name }}"
  email: "{{ record.email }}"
"""

PROJECT = """\
version: 1
pipelines: [pipelines]
workers: 2
connections:
  alpha: {connector: alpha, settings: {}}
  beta: {connector: beta, settings: {}}
"""


def _plugins() -> tuple[MemoryPlugin, MemoryPlugin]:
    alpha = MemoryPlugin("alpha", {"contact": EntitySpec("contact", match_fields=("email",))})
    beta = MemoryPlugin("beta", {"person": EntitySpec("person",
                                                      match_fields=("metadata.contact_id",))})
    return alpha, beta


def _runtime(folder: Path, store: Store, back: str = FORWARD
             ) -> tuple[Runtime, MemoryPlugin, MemoryPlugin]:
    alpha, beta = _plugins()
    (folder / "pipelines").mkdir(parents=True, exist_ok=True)
    (folder / "pipelines" / "forward.yaml").write_text(CONTACTS_TO_PEOPLE)
    (folder / "pipelines" / "back.yaml").write_text(
        PEOPLE_TO_CONTACTS.replace("{back}", back))
    (folder / "ml-connector.yaml").write_text(PROJECT)
    registry = PluginRegistry.from_plugins({"alpha": alpha, "beta": beta})
    project = load_project(folder / "ml-connector.yaml", registry=registry)
    pipelines = load_pipelines(list(project.pipeline_dirs), project=project, registry=registry)
    return Runtime(project=project, registry=registry, store=store,
                   pipelines=pipelines), alpha, beta


@pytest.fixture
def world(tmp_path: Path, store: Store) -> Iterator[tuple[Runtime, MemoryPlugin, MemoryPlugin]]:
    yield _runtime(tmp_path, store)


def test_a_record_made_the_other_way_is_updated_by_the_forward_pipeline(world) -> None:
    runtime, alpha, beta = world
    beta.system.put("person", "p1", {"name": "Ann", "email": "ann@example.org"})
    made = Runner(runtime).run(BACK)
    assert made.counts[Action.CREATE] == 1
    (contact_id,) = alpha.system.rows["contact"]
    back_link = runtime.store.links.get(FORWARD, contact_id)
    assert back_link is not None and back_link.target_id == "p1"

    first = Runner(runtime).run(FORWARD)     # not an echo: writes its own payload to p1
    assert first.counts[Action.UPDATE] == 1
    assert beta.system.rows["person"]["p1"]["metadata"] == {"contact_id": contact_id}

    alpha.system.rows["contact"][contact_id]["name"] = "Ann Lee"
    edited = Runner(runtime).run(FORWARD)
    assert edited.counts[Action.UPDATE] == 1
    assert list(beta.system.rows["person"]) == ["p1"]
    assert beta.system.rows["person"]["p1"]["name"] == "Ann Lee"

    beta.system.rows["person"]["p1"]["name"] = "Annie"
    again = Runner(runtime).run(BACK)        # alpha leads once the pair exists
    assert again.counts[Action.SKIP] == 1 and again.counts[Action.CREATE] == 0
    assert len(alpha.system.rows["contact"]) == 1
    assert alpha.system.rows["contact"][contact_id]["name"] == "Ann Lee"


def test_records_the_forward_pipeline_made_are_still_echoes_the_other_way(world) -> None:
    runtime, alpha, beta = world
    alpha.system.put("contact", "c1", {"name": "Bo"})
    Runner(runtime).run(FORWARD)
    back = Runner(runtime).run(BACK)
    assert back.counts[Action.ECHO] == 1
    assert list(alpha.system.rows["contact"]) == ["c1"]
    assert runtime.store.links.get(BACK, beta.system.rows["person"].popitem()[0]) is None


def test_a_crash_before_the_links_are_saved_still_ends_with_one_pair(
        world, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime, alpha, beta = world
    beta.system.put("person", "p1", {"name": "Cy", "email": "cy@example.org"})
    crash_once(monkeypatch, IntentRepository, "complete")
    with pytest.raises(Crash):
        Runner(runtime).run(BACK)
    assert len(alpha.system.rows["contact"]) == 1            # made, linked nowhere yet
    assert runtime.store.links.get(BACK, "p1") is None
    Runner(runtime).run(BACK)
    (contact_id,) = alpha.system.rows["contact"]
    assert runtime.store.links.get(BACK, "p1").target_id == contact_id
    assert runtime.store.links.get(FORWARD, contact_id).target_id == "p1"
    Runner(runtime).run(FORWARD)
    assert list(beta.system.rows["person"]) == ["p1"]


def test_an_adopted_record_is_paired_both_ways_too(world) -> None:
    runtime, alpha, beta = world
    alpha.system.put("contact", "c9", {"name": "Di", "email": "di@example.org"})
    beta.system.put("person", "p1", {"name": "Di", "email": "di@example.org"})
    # alpha's c9 was never synced forward: the back pipeline adopts it by e-mail.
    adopted = Runner(runtime).run(BACK)
    assert adopted.counts[Action.ADOPT_UPDATE] == 1
    assert runtime.store.links.get(FORWARD, "c9").target_id == "p1"
    Runner(runtime).run(FORWARD)
    assert list(beta.system.rows["person"]) == ["p1"]


def test_a_record_adopted_the_other_way_keeps_its_first_pair(world) -> None:
    """A contact already synced forward is adopted by a second person with its e-mail:
    its own pair stays, and its edits still reach its own person."""
    runtime, alpha, beta = world
    alpha.system.put("contact", "c1", {"name": "Ed", "email": "ed@example.org"})
    Runner(runtime).run(FORWARD)
    (first_person,) = beta.system.rows["person"]
    beta.system.rows["person"]["p2"] = {"name": "Ed", "email": "ed@example.org"}
    adopted = Runner(runtime).run(BACK)
    assert adopted.counts[Action.ADOPT_UPDATE] == 1
    assert runtime.store.links.get(FORWARD, "c1").target_id == first_person
    alpha.system.rows["contact"]["c1"]["name"] = "Edward"
    edited = Runner(runtime).run(FORWARD)
    assert edited.counts[Action.UPDATE] == 1
    assert beta.system.rows["person"][first_person]["name"] == "Edward"
    assert len(alpha.system.rows["contact"]) == 1


def test_link_back_must_name_a_pipeline_of_the_other_direction(tmp_path: Path,
                                                                store: Store) -> None:
    with pytest.raises(PipelineInvalid) as raised:
        _runtime(tmp_path, store, back=BACK)
    assert "link_back: 'people-to-contacts' syncs beta person to alpha contact; expected " \
           "a pipeline from alpha contact to beta person" in str(raised.value)
    with pytest.raises(PipelineInvalid) as unknown:
        _runtime(tmp_path / "other", store, back="contacts-to-peple")
    assert "link_back: unknown pipeline 'contacts-to-peple'" in str(unknown.value)
    assert "contacts-to-people" in str(unknown.value)
