"""Poll intervals are read the way people write them."""

from __future__ import annotations

import pytest

from ml_connector.engine.loading.durations import parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), (45, 45), (" 5m ", 300),
])
def test_accepted_forms(text: int | str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["15", "15 minutes", "1w", "m", "", "1.5h", True, 0, "0s", -5])
def test_rejected_forms_say_what_is_accepted(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)  # type: ignore[arg-type]
