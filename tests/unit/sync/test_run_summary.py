"""A run's failures are records, each with its latest result: a later success clears it."""

from __future__ import annotations

import time

from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.outcome import Outcome, RunSummary

PIPELINE = "contacts-to-people"


def outcome(source_id: str, action: Action, error: str | None = None) -> Outcome:
    return Outcome(PIPELINE, source_id, action, error=error)


def test_a_record_that_failed_and_then_went_through_is_not_a_failure() -> None:
    summary = RunSummary(PIPELINE, "run1")
    summary.add(outcome("c1", Action.FAIL, "timed out"))
    summary.add(outcome("c2", Action.FAIL, "bad data"))
    summary.add(outcome("c1", Action.UPDATE))
    assert [f.source_id for f in summary.failures] == ["c2"]
    assert summary.failed == 1 and summary.as_dict()["failures"][0]["source_id"] == "c2"
    summary.add(outcome("c2", Action.CREATE))
    assert summary.ok and summary.failed == 0


def test_a_record_failing_twice_is_listed_once_with_its_latest_error() -> None:
    summary = RunSummary(PIPELINE, "run1")
    summary.add(outcome("c1", Action.FAIL, "first"))
    summary.add(outcome("c2", Action.FAIL, "other"))
    summary.add(outcome("c1", Action.FLAG, "second"))
    assert [(f.source_id, f.error) for f in summary.failures] == [("c2", "other"),
                                                                  ("c1", "second")]


def test_many_failures_are_counted_without_rescanning_the_earlier_ones() -> None:
    summary = RunSummary(PIPELINE, "run1")
    started = time.perf_counter()
    for n in range(30_000):
        summary.add(outcome(f"c{n}", Action.FAIL, "bad data"))
    assert summary.failed == 30_000
    assert time.perf_counter() - started < 3.0
