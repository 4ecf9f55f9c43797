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
