"""Reconciliation finds each way the two systems can disagree, and says how to fix it."""

from __future__ import annotations

from decimal import Decimal

from conftest import World

from ml_connector.engine.sync.reconcile import reconcile

PEOPLE, INVOICES = "contacts-to-people", "orders-to-invoices"


def kinds(world: World) -> dict[str, list[tuple[str, str]]]:
    return {r.pipeline: [(m.source_id, m.kind) for m in r.mismatches]
            for r in reconcile(world.runtime)}


def synced_world(world: World) -> World:
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.alpha.put("contact", "c2", {"name": "Bob"})
    world.order("o1", "c1", "10.00", "5.00")
    world.runner().run_all()
    return world


def test_a_synced_world_reconciles_cleanly(world: World) -> None:
    synced_world(world)
    reports = reconcile(world.runtime)
    assert kinds(world) == {PEOPLE: [], INVOICES: []}
    assert [(r.checked, r.matched) for r in reports] == [(2, 2), (1, 1)]


def test_an_unsynced_source_record_is_missing(world: World) -> None:
    synced_world(world)
    world.alpha.put("contact", "c3", {"name": "New"})
    assert kinds(world)[PEOPLE] == [("c3", "missing")]


def test_a_target_edited_behind_our_back_differs_field_by_field(world: World) -> None:
    synced_world(world)
    target = world.runtime.store.links.get(INVOICES, "o1").target_id
    world.beta.rows["invoice"][target]["amount"] = 1400
    report = next(r for r in reconcile(world.runtime) if r.pipeline == INVOICES)
    assert [m.kind for m in report.mismatches] == ["differs"]
    assert "amount: target has 1400, mapping gives 1500" in report.mismatches[0].detail


def test_a_deleted_target_and_a_duplicate_are_both_reported(world: World) -> None:
    synced_world(world)
    gone = world.runtime.store.links.get(PEOPLE, "c2").target_id
    del world.beta.rows["person"][gone]
    world.beta.put("person", "p-dup", {"name": "Ann", "metadata": {"contact_id": "c1"}})
    assert sorted(kinds(world)[PEOPLE]) == [("c1", "duplicate"), ("c2", "target_missing")]


def test_whole_number_amounts_in_another_spelling_are_no_mismatch(world: World) -> None:
    synced_world(world)
    target = world.runtime.store.links.get(INVOICES, "o1").target_id
    invoice = world.beta.rows["invoice"][target]
    invoice["amount"] = "1500.00"                  # metadata-like text
    invoice["lines"][0]["amount"] = Decimal("1000.00")
    invoice["lines"][1]["amount"] = 500.0
    assert kinds(world) == {PEOPLE: [], INVOICES: []}


def test_a_mismatch_shows_values_as_written_never_as_python_reprs(world: World) -> None:
    synced_world(world)
    target = world.runtime.store.links.get(INVOICES, "o1").target_id
    world.beta.rows["invoice"][target]["amount"] = Decimal("14.50")
    person = world.runtime.store.links.get(PEOPLE, "c1").target_id
    world.beta.rows["person"][person]["name"] = "O'Brien"
    details = {m.source_id: m.detail for r in reconcile(world.runtime) for m in r.mismatches}
    assert details == {"o1": "amount: target has 14.50, mapping gives 1500",
                       "c1": "name: target has \"O'Brien\", mapping gives \"Ann\""}


def test_a_field_the_target_holds_in_another_shape_or_not_at_all_differs(world: World) -> None:
    synced_world(world)
    person = world.runtime.store.links.get(PEOPLE, "c1").target_id
    world.beta.rows["person"][person]["name"] = {"first": "Ann"}
    world.beta.rows["person"][person]["metadata"]["contact_id"] = None
    report = next(r for r in reconcile(world.runtime) if r.pipeline == PEOPLE)
    assert [m.detail for m in report.mismatches] == [
        'name: target has {first: "Ann"}, mapping gives "Ann"; '
        'metadata.contact_id: target has (none), mapping gives "c1"']
    assert "changed outside ml-connector" in report.mismatches[0].fix


def test_a_mapped_field_the_target_lacks_differs_but_an_optional_one_left_out_does_not(
        world: World) -> None:
    synced_world(world)
    world.alpha.put("contact", "c2", {"name": "Bob", "email": "bob@x.example"})
    world.runner().run_all(full=True)
    ann = world.runtime.store.links.get(PEOPLE, "c1").target_id
    bob = world.runtime.store.links.get(PEOPLE, "c2").target_id
    del world.beta.rows["person"][ann]["metadata"]["contact_id"]   # c1 has no email: fine
    del world.beta.rows["person"][bob]["email"]
    invoice = world.runtime.store.links.get(INVOICES, "o1").target_id
    world.beta.rows["invoice"][invoice]["lines"].append({"description": "x", "amount": 1})
    details = {m.source_id: m.detail for r in reconcile(world.runtime) for m in r.mismatches}
    assert details == {"c1": 'metadata.contact_id: target has nothing, mapping gives "c1"',
                       "c2": 'email: target has nothing, mapping gives "bob@x.example"',
                       "o1": 'lines[2]: target has {description: "x", amount: 1}, '
                             'mapping gives (none)'}


def test_plan_and_reconcile_see_the_same_fields_differ(world: World) -> None:
    from ml_connector.engine.planning.plan import plan

    synced_world(world)
    world.alpha.put("contact", "c1", {"name": "Ann B", "email": "ann@x.example"})
    [mismatch] = next(r for r in reconcile(world.runtime) if r.pipeline == PEOPLE).mismatches
    [change] = plan(world.runtime, PEOPLE).changes[:1]
    assert [c.field for c in change.changes] == ["name", "email"]
    assert mismatch.detail == ('name: target has "Ann", mapping gives "Ann B"; '
                               'email: target has nothing, mapping gives "ann@x.example"')


def test_reconcile_calls_back_once_per_source_record(world: World) -> None:
    synced_world(world)
    seen: list[None] = []
    reconcile(world.runtime, on_record=lambda: seen.append(None))
    assert len(seen) == 3
