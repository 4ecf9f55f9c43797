"""A change the target refuses, under `on_immutable_change` ignore or flag: said once, why."""

from __future__ import annotations

from conftest import INVOICES as INVOICES_YAML
from conftest import World, with_pipelines

from ml_connector.engine.planning.plan import plan

INVOICES = "orders-to-invoices"


def refused_once(world: World, policy: str) -> World:
    """o1 invoiced, its invoice finalized, then its amount changed in the source."""
    edited = with_pipelines(world, invoices=INVOICES_YAML.replace("void_and_recreate", policy))
    world.alpha.put("contact", "c1", {"name": "Ann"})
    world.order("o1", "c1", "10.00")
    edited.runner().run_all()
    world.beta.frozen.add(world.runtime.store.links.get(INVOICES, "o1").target_id)
    world.order("o1", "c1", "12.00")
    return edited


def test_a_change_ignored_by_policy_says_why_in_plan_run_and_audit(world: World) -> None:
    edited = refused_once(world, "ignore")
    planned = plan(edited.runtime, INVOICES).changes[0]
    assert planned.action == "skip" and "on_immutable_change is ignore" in planned.reason
    runner = edited.runner()
    outcome = runner.sync_id(INVOICES, "o1")
    assert outcome.action == "skip" and outcome.reason == planned.reason
    entry = edited.runtime.store.audit.query(run_id=runner.run_id)[-1]
    assert entry.request_summary["reason"] == outcome.reason


def test_a_flagged_record_is_flagged_once_then_skipped_until_its_source_changes(
        world: World) -> None:
    edited = refused_once(world, "flag")
    first = edited.runner().run(INVOICES, full=True)
    assert [f.action for f in first.failures] == ["flag"]
    assert "cannot take this change" in first.failures[0].error

    again = edited.runner().run(INVOICES, full=True)
    assert again.failed == 0 and again.counts["skip"] == 1
    [(reason, _)] = again.skip_reasons.items()
    assert "flagged" in reason and "on_immutable_change is flag" in reason
    assert plan(edited.runtime, INVOICES, full=True).changes[0].reason == reason
    flags = [e for e in edited.runtime.store.audit.query(limit=None) if e.action == "flag"]
    assert len(flags) == 1

    world.order("o1", "c1", "15.00")   # a new change is tried, and flagged, afresh
    assert [f.action for f in edited.runner().run(INVOICES, full=True).failures] == ["flag"]
    world.beta.frozen.clear()          # a person reopened the invoice, and edits the order
    world.order("o1", "c1", "15.00", "1.00")
    assert edited.runner().run(INVOICES, full=True).counts["update"] == 1
    assert edited.runner().run(INVOICES, full=True).counts["unchanged"] == 1
