"""Values compare as what they say (amounts as numbers) and show as plain text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ml_connector.engine.sync.payloads import cleared_fields, fields_of
from ml_connector.engine.sync.values import readable, same_value


@pytest.mark.parametrize(("want", "have"), [
    (30, Decimal("30.00")), (Decimal("30.00"), 30), (Decimal("30.00"), "30"),
    (30, 30.0), ("30.00", Decimal("30")), (None, ""), ("", None), (True, "true"),
    (date(2026, 11, 2), "2026-11-02"), ("cus_1", "cus_1"),
])
def test_the_same_value_in_another_spelling_is_the_same(want: object, have: object) -> None:
    assert same_value(want, have)


@pytest.mark.parametrize(("want", "have"), [
    (30, Decimal("30.01")), ("0012", "12"), ("30", "30.00"), (True, 1), (False, "0"),
    (None, "x"), ("x", None), (0, None), ("Ann", "ann"),
])
def test_different_values_differ(want: object, have: object) -> None:
    assert not same_value(want, have)


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("30.00"), "30.00"), (1500, "1500"), (2.5, "2.5"), (None, "(none)"),
    (True, "true"), ("O'Brien", '"O\'Brien"'), ("line 1\nline 2", '"line 1⏎line 2"'),
    ({"city": "Leeds", "n": Decimal("1.0")}, '{city: "Leeds", n: 1.0}'),
    ([1, 2], "[1, 2]"), ([{"amount": 1}], "[1 item]"), (date(2026, 1, 2), "2026-01-02"),
])
def test_values_read_as_plain_text(value: object, shown: str) -> None:
    assert readable(value) == shown


def test_a_field_a_payload_stopped_setting_is_cleared_unless_its_parent_replaces_it() -> None:
    before = fields_of({"name": "A", "phone": "1", "metadata": {"id": "1", "team": "red"},
                        "address": {"line1": "x", "city": "y"}, "lines": [{"amount": 1}]})
    assert before == (("address", "city"), ("address", "line1"), ("lines",), ("metadata", "id"),
                      ("metadata", "team"), ("name",), ("phone",))
    now = {"name": "A", "phone": None, "metadata": {"id": "1"}, "address": "x, y"}
    assert cleared_fields(before, now) == (("lines",), ("metadata", "team"), ("phone",))
    assert cleared_fields(None, now) == ()


@pytest.mark.parametrize(("value", "on_a_line", "in_a_case_file", "after_a_label"), [
    (None, "(none)", "null", "n/a"),
    (True, "true", "true", "yes"),
    ("Acme\nLtd", '"Acme⏎Ltd"', '"Acme\\nLtd"', "Acme\nLtd"),
    ("x" * 90, '"' + "x" * 79 + '…"', '"' + "x" * 90 + '"', "x" * 90),
    ([1, 2], "[1, 2]", "[1, 2]", "1, 2"),
    ([], "[]", "[]", "none"),
    ({"city": "Leeds", "ok": False}, '{city: "Leeds", ok: false}',
     '{city: "Leeds", ok: false}', "city: Leeds, ok: no"),
    (list(range(7)), "[7 items]", "[0, 1, 2, 3, 4, 5, 6]", "0, 1, 2, 3, 4, 5, 6"),
])
def test_one_formatter_spells_a_value_for_each_reader(value: object, on_a_line: str,
                                                      in_a_case_file: str,
                                                      after_a_label: str) -> None:
    from ml_connector.engine.sync.values import CASE_FILE, LABELS

    assert readable(value) == on_a_line
    assert readable(value, CASE_FILE) == in_a_case_file
    assert readable(value, LABELS) == after_a_label


def test_no_other_value_formatter_is_left_in_the_engine() -> None:
    import ml_connector.engine.cli.tables as tables
    import ml_connector.engine.testing.pipeline_cases as cases

    assert not hasattr(tables, "plain") and not hasattr(cases, "_shown")
