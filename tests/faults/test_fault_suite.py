"""The fault run at CI size: every fault at once, the sync SIGKILLed at least 20 times.

The figures are printed (run pytest with -s to see them) and every promise is asserted:
nothing doubled, nothing lost, both systems agreeing record by record, nothing pending,
no invalid_grant. `python tests/faults/run_faults.py --kills 60 --scale 20` is the larger
run of the same code.
"""

from __future__ import annotations

import pytest
from fault_figures import FaultReport
from fault_world import KIND_NAMES
from run_faults import run

KILLS = 20


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> FaultReport:
    folder = tmp_path_factory.mktemp("faults")
    result = run(folder, kills=KILLS, scale=2, life=(1.0, 4.0), echo=print)
    print("\n" + result.table())
    return result


def test_nothing_is_doubled_and_nothing_is_lost(report: FaultReport) -> None:
    assert [e for t in report.tallies for e in t.examples] == []
    assert report.duplicates == 0 and report.lost == 0
    assert report.records > 50


def test_every_promise_holds_after_the_run(report: FaultReport) -> None:
    assert report.failures() == []


def test_the_sync_was_killed_often_and_came_back_each_time(report: FaultReport) -> None:
    assert report.kills >= KILLS
    assert report.lives == report.kills + 1        # started once, restarted after each kill
    assert report.unexpected_exits == []


def test_every_kind_of_fault_was_met(report: FaultReport) -> None:
    kinds = [name for kind, name in KIND_NAMES.items() if kind != "expired_token"]
    missing = [kind for kind in kinds if report.faults[kind] == 0]
    assert missing == [], f"faults never injected: {missing} (got {dict(report.faults)})"


def test_tokens_rotated_many_times_without_one_invalid_grant(report: FaultReport) -> None:
    assert report.token_refreshes >= 5
    assert report.invalid_grants == 0
    # A superseded token is only ever used again when a kill took its refresh's answer.
    assert report.grace_refreshes <= report.kills

