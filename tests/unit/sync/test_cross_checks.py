"""The extension point `reconcile` finds money checks through, and the period they cover."""

from __future__ import annotations

import importlib.metadata
from datetime import date

import pytest

from ml_connector.connectors.qbo_stripe.money import MoneyCheck
from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.sync import cross_checks
from ml_connector.engine.sync.cross_checks import Period, day_of, installed_checks


def test_a_period_includes_both_of_its_days_and_an_open_end_takes_everything() -> None:
    november = Period(date(2026, 11, 1), date(2026, 11, 30))
    assert november.holds(date(2026, 11, 1)) and november.holds(date(2026, 11, 30))
    assert not november.holds(date(2026, 10, 31)) and not november.holds(date(2026, 12, 1))
    assert Period().holds(date(1999, 1, 1))
    assert Period(since=date(2026, 11, 1)).holds(date(2030, 1, 1))


def test_a_period_that_ends_before_it_starts_is_refused_with_both_days() -> None:
    with pytest.raises(InvalidInput, match="--since 2026-12-01 is after --until 2026-11-01"):
        Period(date(2026, 12, 1), date(2026, 11, 1))


@pytest.mark.parametrize(("value", "day"), [
    (1795000000, date(2026, 11, 18)),          # a Stripe time (Unix seconds, UTC)
    ("2026-11-18", date(2026, 11, 18)),         # a QuickBooks TxnDate
    ("2026-11-18T23:30:00-08:00", date(2026, 11, 19)),   # a time elsewhere, in UTC
    ("2026-11-18T10:00:00Z", date(2026, 11, 18)),
    (None, None), ("", None)])
def test_days_are_read_from_either_system(value: object, day: date | None) -> None:
    assert day_of(value) == day


def test_the_shipped_money_check_is_installed_through_the_entry_point() -> None:
    assert any(isinstance(check, MoneyCheck) for check in installed_checks())


def test_a_broken_check_is_an_error_that_names_its_entry_point(
        monkeypatch: pytest.MonkeyPatch) -> None:
    broken = importlib.metadata.EntryPoint("books-extra", "no_such_module.money:checks",
                                           cross_checks.ENTRY_POINT_GROUP)
    monkeypatch.setattr(cross_checks.importlib.metadata, "entry_points",
                        lambda group: [broken])
    with pytest.raises(InvalidInput, match=r"'books-extra' \(no_such_module.money:checks\)"):
        installed_checks()
