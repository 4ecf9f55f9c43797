"""The run loop: create, skip unchanged, update, adopt, dependencies, policies, echo, audit."""

from __future__ import annotations

from conftest import World

PEOPLE, INVOICES = "contacts-to-people", "orders-to-invoices"


def test_first_run_creates_one_target_per_source_and_links_them(world: World) -> None:
    for i in range(12):
        world.alpha.put("contact", f"c{i}", {"name": f"Person {i}", "email": f"p{i}@x.example"})
    summary = world.runner().run(PEOPLE)
    assert summary.as_dict()["created"] == 12 and summary.failed == 0
    assert len(world.beta.rows["person"]) == 12
    link = world.runtime.store.links.get(PEOPLE, "c3")
    assert world.beta.rows["person"][link.target_id]["name"] == "Person 3"


def test_rerun_with_nothing_changed_makes_zero_write_calls(world: World) -> None:
    for i in range(7):
        world.alpha.put("contact", f"c{i}", {"name": f"Person {i}"})
    world.runner().run(PEOPLE)
    writes_before = world.beta.writes
    summary = world.runner().run(PEOPLE, full=True)
    assert world.beta.writes == writes_before
    assert summary.counts["unchanged"] == 7


def test_a_changed_source_record_updates_only_that_target(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.alpha.put("contact", "c2", {"name": "Bob"})
    world.runner().run(PEOPLE)
    world.alpha.put("contact", "c2", {"name": "Robert"})
    summary = world.runner().run(PEOPLE, full=True)
    assert summary.counts["update"] == 1 and summary.counts["unchanged"] == 1
    target = world.runtime.store.links.get(PEOPLE, "c2").target_id
    assert world.beta.rows["person"][target]["name"] == "Robert"


def test_existing_target_is_adopted_by_match_key_not_duplicated(world: World) -> None:
    world.beta.put("person", "p-old", {"name": "Ann (old)", "email": "ann@x.example"})
    world.alpha.put("contact", "c1", {"name": "Ann", "email": "ann@x.example"})
    summary = world.runner().run(PEOPLE)
    assert summary.as_dict()["adopted"] == 1
    assert list(world.beta.rows["person"]) == ["p-old"]
    assert world.beta.rows["person"]["p-old"]["name"] == "Ann"
    assert world.runtime.store.links.get(PEOPLE, "c1").target_id == "p-old"


def test_a_target_linked_to_another_source_is_never_adopted_twice(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Ann", "email": "shared@x.example"})
    world.alpha.put("contact", "c2", {"name": "Ann's twin", "email": "shared@x.example"})
    world.runtime.project.__dict__["workers"] = 1  # deterministic order for this case
    world.runner().run(PEOPLE)
    targets = {world.runtime.store.links.get(PEOPLE, c).target_id for c in ("c1", "c2")}
    assert len(targets) == 2 and len(world.beta.rows["person"]) == 2


def test_record_whose_parent_is_not_linked_gets_the_parent_synced_first(world: World) -> None:
    world.alpha.put("contact", "c9", {"name": "New customer"})
    world.order("o1", "c9", "10.00", "2.50")
    summary = world.runner().run(INVOICES)  # the people pipeline has never run
    assert summary.counts["create"] == 1 and summary.failed == 0
    person = world.runtime.store.links.get(PEOPLE, "c9").target_id
    invoice = next(iter(world.beta.rows["invoice"].values()))
    assert invoice["person"] == person
    assert invoice["amount"] == 1250
    assert [line["amount"] for line in invoice["lines"]] == [1000, 250]


def test_many_invoices_of_one_new_customer_create_that_customer_once(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Busy"})
    for i in range(16):
        world.order(f"o{i}", "c1", "1.00")
    summary = world.runner().run(INVOICES)
    assert summary.counts["create"] == 16
    assert len(world.beta.rows["person"]) == 1


def test_missing_parent_fails_only_that_record_and_the_run_goes_on(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "Real"})
    world.order("o1", "c-ghost", "5.00")
    world.order("o2", "c1", "5.00")
    summary = world.runner().run(INVOICES)
    assert summary.counts["create"] == 1 and summary.failed == 1
    assert summary.failures[0].source_id == "o1"
    assert "c-ghost" in summary.failures[0].error


def test_run_all_follows_dependency_order(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "A"})
    world.order("o1", "c1", "3.00")
    summaries = world.runner().run_all()
    assert [s.pipeline for s in summaries] == [PEOPLE, INVOICES]


def test_change_to_a_finalized_target_voids_and_recreates_per_policy(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "A"})
    world.order("o1", "c1", "3.00")
    world.runner().run_all()
    first = world.runtime.store.links.get(INVOICES, "o1").target_id
    world.beta.frozen.add(first)
    world.order("o1", "c1", "3.00", "4.00")
    summary = world.runner().run(INVOICES, full=True)
    assert summary.counts["recreate"] == 1
    second = world.runtime.store.links.get(INVOICES, "o1").target_id
    assert second != first and first in world.beta.voided
    assert world.beta.rows["invoice"][second]["amount"] == 700


def test_deleted_source_removes_target_once_per_policy(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "A"})
    world.runner().run(PEOPLE)
    target = world.runtime.store.links.get(PEOPLE, "c1").target_id
    world.alpha.delete("contact", "c1")
    assert world.runner().run(PEOPLE).counts["remove"] == 1
    assert target not in world.beta.rows["person"]
    assert world.runner().run(PEOPLE).counts["remove"] == 0


def test_a_record_we_wrote_coming_back_as_a_source_change_is_an_echo(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "A"})
    world.runner().run(PEOPLE)
    target = world.runtime.store.links.get(PEOPLE, "c1").target_id
    # The same connection/entity read back as a source: pretend beta/person feeds a pipeline.
    from dataclasses import replace

    from ml_connector.engine.model.pipeline import Endpoint
    from ml_connector.engine.records import Record
    from ml_connector.engine.sync.runner import Runner

    pipeline = world.runtime.pipelines.get(PEOPLE)
    mirrored = replace(pipeline, source=Endpoint("beta", "person"))
    outcome = Runner(world.runtime).sync_record(mirrored, Record("person", target, {"name": "A"}))
    assert outcome.action == "echo"


def test_every_attempt_is_audited_with_its_outcome(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "A"})
    world.order("o1", "c-missing", "1.00")
    runner = world.runner()
    runner.run(PEOPLE)
    runner.run(INVOICES)
    rows = world.runtime.store.audit.query(run_id=runner.run_id, limit=50)
    by_source = {row.source_ref: row for row in rows}
    assert by_source["alpha/contact/c1"].action == "create"
    assert by_source["alpha/contact/c1"].outcome == "ok"
    assert by_source["alpha/contact/c1"].target_ref.startswith("beta/person/")
    assert by_source["alpha/order/o1"].outcome == "failed"
    assert "c-missing" in by_source["alpha/order/o1"].error


def test_render_error_names_record_and_field_and_fails_only_that_record(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "A"})
    world.alpha.put("contact", "c2", {"nom": "no name field"})
    summary = world.runner().run(PEOPLE)
    assert summary.counts["create"] == 1 and summary.failed == 1
    error = summary.failures[0].error
    assert "c2" in error and "name" in error and "contacts-to-people" in error


def test_deleted_when_applies_the_delete_policy_to_a_deactivated_record(world: World) -> None:
    world.alpha.put("contact", "c1", {"name": "A"})
    world.runner().run(PEOPLE)
    target = world.runtime.store.links.get(PEOPLE, "c1").target_id
    world.alpha.put("contact", "c1", {"name": "A", "archived": True})
    assert world.runner().run(PEOPLE, full=True).counts["remove"] == 1
    assert target not in world.beta.rows["person"]


def test_lookup_finds_a_named_record_once_and_fails_clearly_when_absent(world: World) -> None:
    world.beta.put("person", "team-sales", {"name": "Sales"})
    world.alpha.put("contact", "c1", {"name": "A", "team": "Sales"})
    world.alpha.put("contact", "c2", {"name": "B", "team": "Sales"})
    world.alpha.put("contact", "c3", {"name": "C", "team": "Nobody"})
    summary = world.runner().run(PEOPLE)
    people = world.beta.rows["person"]
    assert people[world.runtime.store.links.get(PEOPLE, "c1").target_id]["team"] == "team-sales"
    assert [f.source_id for f in summary.failures] == ["c3"]
    assert "no person record(s) in 'beta' with name = 'Nobody'" in summary.failures[0].error
