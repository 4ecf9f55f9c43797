"""`pipeline plan` predicts what the next run does, record by record, all through the story.

Before every run of every pipeline (the first backfill, then each round of catching up after
each step people take in the story) the pipeline is planned, then run, and the action the
plan predicted for each record is compared with the action the run took.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.connectors.qbo_stripe.story import Story
from ml_connector.engine.planning.plan import plan
from ml_connector.engine.sync.actions import WRITE_ACTIONS, Action
from ml_connector.engine.sync.outcome import Outcome
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime

ROUNDS = 6


class PlanThenRun:
    """Settles the systems by polling, one pipeline at a time, each one planned first."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.disagreements: list[str] = []
        self.seen: set[Action] = set()

    def settle(self) -> None:
        for _ in range(ROUNDS):
            if not any([self.plan_and_run(name) for name in self.runtime.pipelines.order]):
                return
        raise AssertionError(f"the systems did not settle in {ROUNDS} rounds")

    def plan_and_run(self, name: str) -> bool:
        """Whether the run wrote anything."""
        predicted = {c.source_id: c.action for c in reversed(plan(self.runtime, name).changes)}
        taken: dict[str, Action] = {}

        def note(outcome: Outcome) -> None:
            if outcome.pipeline == name:
                taken.setdefault(outcome.source_id, outcome.action)

        Runner(self.runtime, trigger="poll", on_outcome=note).run(name)
        for source_id in sorted(predicted.keys() | taken.keys()):
            want, got = predicted.get(source_id), taken.get(source_id)
            if want != got:
                self.disagreements.append(f"{name} {source_id}: planned {want}, ran {got}")
        self.seen.update(taken.values())
        return any(action in WRITE_ACTIONS for action in taken.values())


def test_plan_predicts_every_action_of_every_run_across_the_story(
        tmp_path: Path, stripe_requests_follow_the_contract: list[Any]) -> None:
    with Sandbox(tmp_path) as sandbox:
        runtime = sandbox.runtime()
        try:
            steps = PlanThenRun(runtime)
            steps.settle()                      # the first backfill
            Story(sandbox, runtime, steps.settle).play()
        finally:
            runtime.close()
    assert steps.disagreements == []
    assert steps.seen >= {Action.CREATE, Action.UPDATE, Action.UNCHANGED, Action.RECREATE,
                          Action.REMOVE, Action.SKIP}


def test_a_finalized_invoice_found_by_its_key_is_planned_as_the_run_treats_it(
        tmp_path: Path, stripe_requests_follow_the_contract: list[Any]) -> None:
    """A sent Stripe invoice the store has no link to (a store restored from an older
    backup), whose QuickBooks invoice then gains a line: adopting it, Stripe refuses the new
    amounts, and void_and_recreate makes a new invoice. The plan says so first."""
    with Sandbox(tmp_path) as sandbox:
        runtime = sandbox.runtime()
        try:
            steps = PlanThenRun(runtime)
            steps.settle()
            story = Story(sandbox, runtime, steps.settle)
            invoice = story._qbo_invoice_for("Kate Whelan")
            old = runtime.store.links.get("invoices-to-stripe", invoice.id)
            assert sandbox.stripe_get(f"/v1/invoices/{old.target_id}")["status"] == "open"
            runtime.store.links.remove("invoices-to-stripe", invoice.id)
            story.edit_an_invoice_after_it_was_sent()
            predicted = {c.source_id: c for c in plan(runtime, "invoices-to-stripe").changes}
            steps.plan_and_run("invoices-to-stripe")
            new = runtime.store.links.get("invoices-to-stripe", invoice.id)
            voided = sandbox.stripe_get(f"/v1/invoices/{old.target_id}")["status"]
        finally:
            runtime.close()
    assert steps.disagreements == []
    assert predicted[invoice.id].action is Action.RECREATE
    assert predicted[invoice.id].target_id == old.target_id
    assert new.target_id != old.target_id and voided == "void"
