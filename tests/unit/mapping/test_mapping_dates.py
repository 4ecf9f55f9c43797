"""Date filters: QBO plain dates to Stripe Unix seconds and back, in an explicit zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from ml_connector.engine.diagnostics import Location
from ml_connector.engine.mapping import CONTEXT_NAMES, compile_expression
from ml_connector.engine.mapping.conversions import FilterError
from ml_connector.engine.mapping.dates import date_from_unix, unix_timestamp


@pytest.mark.parametrize("value, tz, expected", [
    ("2024-01-31", "UTC", 1706659200),
    ("1970-01-01", "UTC", 0),
    ("2024-01-31", "utc", 1706659200),
    ("2024-01-31", "Europe/Paris", 1706659200 - 3600),
    ("2024-07-01", "America/New_York", 1719792000 + 4 * 3600),
    (date(2024, 1, 31), "UTC", 1706659200),
    ("2024-01-31T10:00:00+02:00", "UTC", 1706659200 + 8 * 3600),
    ("2024-01-31T10:00:00+02:00", "Asia/Tokyo", 1706659200 + 8 * 3600),
    ("2024-01-31T10:00:00Z", "UTC", 1706659200 + 10 * 3600),
    ("2024-01-31T10:00:00", "Europe/Paris", 1706659200 + 9 * 3600),
    (datetime(2024, 1, 31, 1, 0, tzinfo=UTC), "UTC", 1706659200 + 3600),
])
def test_unix_timestamp(value: Any, tz: str, expected: int) -> None:
    result = unix_timestamp(value, tz)
    assert result == expected and type(result) is int


@pytest.mark.parametrize("bad, fragment", [
    ("2024-13-01", "'2024-13-01' is not an ISO date"),
    ("31/01/2024", "is not an ISO date"),
    (1706659200, "needs a date such as '2024-01-31', got int"),
    (None, "got none"),
])
def test_unix_timestamp_refuses_what_is_not_a_date(bad: Any, fragment: str) -> None:
    with pytest.raises(FilterError) as caught:
        unix_timestamp(bad)
    assert fragment in str(caught.value)


def test_an_unknown_time_zone_is_named() -> None:
    with pytest.raises(FilterError, match="unknown time zone 'Mars/Olympus'"):
        unix_timestamp("2024-01-31", "Mars/Olympus")
    with pytest.raises(FilterError, match="unknown time zone"):
        date_from_unix(0, "../etc/passwd")


@pytest.mark.parametrize("value, tz, expected", [
    (1706659200, "UTC", "2024-01-31"),
    (1706659200 - 1, "UTC", "2024-01-30"),
    (1706659200 - 3600, "Europe/Paris", "2024-01-31"),
    (1706659200 + 3600, "America/Los_Angeles", "2024-01-30"),
    ("1706659200", "UTC", "2024-01-31"),
    (0, "UTC", "1970-01-01"),
])
def test_date_from_unix(value: Any, tz: str, expected: str) -> None:
    assert date_from_unix(value, tz) == expected


def test_date_from_unix_refuses_what_is_not_a_time() -> None:
    with pytest.raises(FilterError, match="needs Unix seconds"):
        date_from_unix("yesterday")
    with pytest.raises(FilterError, match="needs Unix seconds, got a boolean"):
        date_from_unix(True)


@pytest.mark.parametrize("day", ["2024-02-29", "2023-12-31", "2024-03-31", "2024-10-27"])
@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "Pacific/Auckland", "America/Denver"])
def test_a_date_survives_the_round_trip_in_its_zone(day: str, tz: str) -> None:
    assert date_from_unix(unix_timestamp(day, tz), tz) == day


def test_date_filters_work_in_expressions() -> None:
    expression = compile_expression(
        "{{ record.DueDate | unix_timestamp('Europe/Paris') | date_from_unix('Europe/Paris') }}",
        Location("p.yaml", 1, 1), CONTEXT_NAMES)
    assert expression.evaluate({"record": {"DueDate": "2024-01-31"}}) == "2024-01-31"
