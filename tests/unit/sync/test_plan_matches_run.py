"""Plan and run make one decision: what `plan` predicts for a record is what the run does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import INVOICES as INVOICES_YAML
from conftest import World, with_pipelines

from ml_connector.engine.planning.plan import plan
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.outcome import Outcome
from ml_connector.engine.sync.runner import Runner

PEOPLE, INVOICES = "contacts-to-people", "orders-to-invoices"


def plan_then_run(world: World, name: str) -> tuple[dict[str, Action], dict[str, Action]]:
    """What the plan predicted and what the run then did, by source id."""
    predicted = {c.source_id: c.action for c in plan(world.runtime, name).changes}
    taken: dict[str, Action] = {}

    def note(outcome: Outcome) -> None:
        if outcome.pipeline == name:
            taken.setdefault(outcome.source_id, outcome.action)

    Runner(world.runtime, on_outcome=note).run(name)
    return predicted, taken


def synced(world: World) -> World:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.alpha.put("contact", "c2", {"name": "Bob"})
    world.order("o1", "c1", "3.00")
    world.runner().run_all()
    return world


def edit_a_contact(world: World) -> None:
    world.alpha.put("contact", "c2", {"name": "Robert"})


def archive_a_contact(world: World) -> None:
    world.alpha.put("contact", "c2", {"name": "Bob", "archived": True})


def adopt_a_person(world: World) -> None:
    world.beta.put("person", "p-by-hand", {"name": "Cy", "email": "cy@x.example"})
    world.alpha.put("contact", "c3", {"name": "Cy", "email": "cy@x.example"})


def delete_a_target(world: World) -> None:
    del world.beta.rows["person"][world.runtime.store.links.get(PEOPLE, "c1").target_id]
    world.alpha.put("contact", "c1", {"name": "Ann again"})


def a_new_contact(world: World) -> None:
    world.alpha.put("contact", "c4", {"name": "Dee"})


Scenario = Callable[[World], None]


@pytest.mark.parametrize(("scenario", "record", "action"), [
    (a_new_contact, "c4", Action.CREATE),
    (edit_a_contact, "c2", Action.UPDATE),
    (edit_a_contact, "c1", Action.UNCHANGED),
    (archive_a_contact, "c2", Action.REMOVE),
    (adopt_a_person, "c3", Action.ADOPT_UPDATE),
    (delete_a_target, "c1", Action.RECREATE),
])
def test_people_plan_predicts_the_run(world: World, scenario: Scenario, record: str,
                                      action: Action) -> None:
    scenario(synced(world))
    predicted, taken = plan_then_run(world, PEOPLE)
    assert predicted == taken
    assert taken[record] is action


def test_a_removed_target_is_skipped_afterwards_in_plan_and_run(world: World) -> None:
    archive_a_contact(synced(world))
    world.runner().run(PEOPLE)
    predicted, taken = plan_then_run(world, PEOPLE)
    assert predicted == taken and taken["c2"] is Action.SKIP


def test_a_finalized_target_is_foreseen_voided_and_recreated(world: World) -> None:
    synced(world)
    world.beta.frozen.add(world.runtime.store.links.get(INVOICES, "o1").target_id)
    world.order("o1", "c1", "3.00", "4.00")
    predicted, taken = plan_then_run(world, INVOICES)
    assert predicted == taken == {"o1": Action.RECREATE}


@pytest.mark.parametrize(("policy", "action"), [("void_and_recreate", Action.RECREATE),
                                                ("flag", Action.FLAG),
                                                ("ignore", Action.SKIP)])
def test_a_finalized_unlinked_target_found_by_its_key_is_foreseen_as_the_run_does_it(
        world: World, policy: str, action: Action) -> None:
    """An existing invoice the match key finds, already finalized with other amounts."""
    world = with_pipelines(world, invoices=INVOICES_YAML.replace("void_and_recreate", policy))
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.runner().run(PEOPLE)
    person = world.runtime.store.links.get(PEOPLE, "c1").target_id
    world.beta.put("invoice", "inv_old", {"person": person, "amount": 100, "lines": [],
                                         "metadata": {"order_id": "o1"}})
    world.beta.frozen.add("inv_old")
    world.order("o1", "c1", "3.00")
    predicted, taken = plan_then_run(world, INVOICES)
    assert predicted == taken == {"o1": action}


def test_an_unchanged_amount_of_a_finalized_target_is_an_update(world: World) -> None:
    synced(world)
    world.beta.frozen.add(world.runtime.store.links.get(INVOICES, "o1").target_id)
    world.alpha.rows["order"]["o1"]["lines"][0]["text"] = "renamed line"
    predicted, taken = plan_then_run(world, INVOICES)
    assert predicted == taken == {"o1": Action.UPDATE}


def test_a_record_that_cannot_render_fails_in_plan_and_run(world: World) -> None:
    synced(world)
    world.alpha.put("contact", "c9", {"nom": "no name"})
    predicted, taken = plan_then_run(world, PEOPLE)
    assert predicted == taken and taken["c9"] is Action.FAIL


def test_an_interrupted_create_resumes_as_plan_says(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.beta.lose_answer_of_next_create = 1
    world.runner().run(PEOPLE)                     # applied, answer lost: intent pending
    predicted, taken = plan_then_run(world, PEOPLE)
    assert predicted == taken and taken["c1"] in {Action.CREATE, Action.UPDATE}
    assert len(world.beta.rows["person"]) == 1


def test_plan_writes_nothing(world: World) -> None:
    synced(world)
    edit_a_contact(world)
    store = world.runtime.store
    links, cursors, writes = (list(store.links.for_pipeline(PEOPLE)), store.cursors.all(),
                              world.beta.writes)
    plan(world.runtime, PEOPLE)
    assert list(store.links.for_pipeline(PEOPLE)) == links
    assert store.cursors.all() == cursors and world.beta.writes == writes


def test_plan_calls_back_once_per_source_record(world: World) -> None:
    synced(world)
    seen: list[None] = []
    plan(world.runtime, PEOPLE, on_record=lambda: seen.append(None))
    assert len(seen) == 2
