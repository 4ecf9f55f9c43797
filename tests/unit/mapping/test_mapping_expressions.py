"""What an expression evaluates to, and that it is compiled once, not once per record."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from jinja2 import Environment

from ml_connector.engine.diagnostics import Location
from ml_connector.engine.mapping import CONTEXT_NAMES, compile_expression, render
from ml_connector.engine.mapping.environment import default_environment

HERE = Location("pipelines/test.yaml", 4, 9)
RECORD = {"Id": "478", "TotalAmt": Decimal("150.10"), "Balance": 0, "Active": True,
          "DocNumber": "1001", "Memo": None, "Line": [{"Amount": Decimal("1.50")}]}


def value_of(source: Any, **context: Any) -> Any:
    expression = compile_expression(source, HERE, CONTEXT_NAMES)
    return expression.evaluate({"record": RECORD, **context})


@pytest.mark.parametrize("source, expected", [
    ("{{ 15 }}", 15),
    ("{{ none }}", None),
    ("{{ record.TotalAmt }}", Decimal("150.10")),
    ("{{ record.Id }}", "478"),
    ("{{ record.Balance }}", 0),
    ("{{ record.Active }}", True),
    ("{{ record.Line }}", [{"Amount": Decimal("1.50")}]),
    ("{{ record.TotalAmt + record.Line[0].Amount }}", Decimal("151.60")),
    ("{{ [record.Id, record.DocNumber] }}", ["478", "1001"]),
    ("{{- record.Id -}}", "478"),
])
def test_a_single_expression_keeps_its_python_type(source: str, expected: Any) -> None:
    value = value_of(source)
    assert value == expected
    assert type(value) is type(expected)


def test_text_that_looks_like_a_number_stays_text() -> None:
    assert value_of("{{ record.Id }}") == "478"
    assert value_of("{{ '007' }}") == "007"


@pytest.mark.parametrize("source, expected", [
    ("Invoice {{ record.DocNumber }}", "Invoice 1001"),
    ("{{ record.Id }}-{{ record.DocNumber }}", "478-1001"),
    (" {{ record.Balance }}", " 0"),
    ("{% if record.Active %}yes{% else %}no{% endif %}", "yes"),
    ("{{ record.TotalAmt }} USD", "150.10 USD"),
])
def test_a_mixed_template_renders_text(source: str, expected: str) -> None:
    assert value_of(source) == expected


@pytest.mark.parametrize("source", ["send_invoice", 42, True, None, "", "{ not jinja }"])
def test_a_plain_value_is_returned_as_written(source: Any) -> None:
    expression = compile_expression(source, HERE, CONTEXT_NAMES)
    assert expression.kind == "literal"
    assert expression.evaluate({}) == source
    assert type(expression.evaluate({})) is type(source)


def test_expressions_know_their_kind_place_and_names() -> None:
    native = compile_expression("{{ link('c', record.Id) }}", HERE, CONTEXT_NAMES)
    template = compile_expression("{{ params.prefix }}-{{ record.Id }}", HERE, CONTEXT_NAMES)
    assert (native.kind, template.kind) == ("native", "template")
    assert native.names == frozenset({"link", "record"})
    assert template.names == frozenset({"params", "record"})
    assert native.location == HERE
    assert native.source == "{{ link('c', record.Id) }}"


def test_names_set_inside_the_template_are_not_context_names() -> None:
    source = "{% for l in record.Line %}{% set a = l.Amount %}{{ a }};{% endfor %}"
    expression = compile_expression(source, HERE, CONTEXT_NAMES)
    assert expression.names == frozenset({"record"})
    assert expression.evaluate({"record": RECORD}) == "1.50;"


def test_a_generator_result_becomes_a_list() -> None:
    source = "{{ record.Line | map(attribute='Amount') }}"
    assert value_of(source) == [Decimal("1.50")]


def test_default_works_across_a_missing_parent() -> None:
    assert value_of("{{ record.CustomerMemo.value | default(none) }}") is None
    assert value_of("{{ record.CustomerMemo.value is defined }}") is False


def test_an_expression_is_compiled_once_for_many_records() -> None:
    """10,000 renders of compiled mappings must not compile a single template again."""
    expression = compile_expression("{{ record.TotalAmt | minor_units('usd') }}", HERE,
                                    CONTEXT_NAMES)
    template = compile_expression("Invoice {{ record.DocNumber }}", HERE, CONTEXT_NAMES)
    env = default_environment()
    with mock.patch.object(Environment, "compile", wraps=env.compile) as compiled, \
            mock.patch.object(Environment, "parse", wraps=env.parse) as parsed:
        for n in range(10_000):
            context = {"record": {"TotalAmt": Decimal(n) / 100, "DocNumber": str(n)}}
            assert render(expression, context, pipeline="p", record_id=str(n)) == n
            assert template.evaluate(context) == f"Invoice {n}"
    assert compiled.call_count == 0
    assert parsed.call_count == 0


def test_the_counter_would_see_a_compilation() -> None:
    """Guards the test above: the patched method does see compilations when they happen."""
    env = default_environment()
    with mock.patch.object(Environment, "compile", wraps=env.compile) as compiled:
        compile_expression("{{ record.Id }}", HERE, CONTEXT_NAMES)
    assert compiled.call_count == 1


def test_expressions_compare_by_what_and_where() -> None:
    first = compile_expression("{{ record.Id }}", HERE, CONTEXT_NAMES)
    again = compile_expression("{{ record.Id }}", HERE, CONTEXT_NAMES)
    elsewhere = compile_expression("{{ record.Id }}", Location("other.yaml", 1, 1),
                                   CONTEXT_NAMES)
    assert first == again and hash(first) == hash(again)
    assert first != elsewhere
