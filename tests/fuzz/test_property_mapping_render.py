"""Properties of rendering a mapping, for any record hypothesis can think of.

Money conversion has its own properties beside the mapping unit tests; these are about the
renderer: a value passes through with its Python type, text from a record is never run as
a template, lists keep their length and order, optional fields come and go with their
data, and rendering neither changes the record nor depends on anything but its input.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ml_connector.engine.diagnostics import Location
from ml_connector.engine.mapping import CONTEXT_NAMES, MappingNode, compile_mapping, render

PROPERTY = settings(max_examples=80, deadline=None)
HERE = Location("pipelines/property.yaml", 1, 1)


def compiled(mapping: Any) -> MappingNode:
    node, problems = compile_mapping(mapping, lambda _path: HERE, CONTEXT_NAMES, ("mapping",))
    assert problems == []
    return node


def rendered(node: MappingNode, record: dict[str, Any]) -> Any:
    context = {"record": record, "params": {}, "source": {"id": "1"}}
    return render(node, context, pipeline="property", record_id="1")


def same(left: Any, right: Any) -> bool:
    """Equal, and of the same type at every level (1 == 1.0 == True would not do)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    return bool(left == right)


text = st.text(max_size=20)
# Text that looks like other types, or like a template, is still just text.
tricky_text = st.one_of(text, st.sampled_from(["478", "0012", "1e3", "true", "None", "null",
                                               "{{ 7 * 7 }}", "{% if 1 %}x{% endif %}",
                                               "{# c #}", "<b>&amp;</b>", "[1, 2]", ""]))
scalars = st.one_of(st.none(), st.booleans(), st.integers(),
                    st.decimals(allow_nan=False, allow_infinity=False, places=4),
                    tricky_text)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=4),
                      max_leaves=12)


@PROPERTY
@given(value=values)
def test_a_single_expression_passes_any_value_through_with_its_type(value: Any) -> None:
    node = compiled({"field": "{{ record.value }}", "nested": {"again": "{{ record.value }}"}})
    out = rendered(node, {"value": value})
    assert same(out["field"], value) and same(out["nested"]["again"], value)


@PROPERTY
@given(value=st.one_of(st.none(), st.booleans(), st.integers(), text.filter(
    lambda t: not any(mark in t for mark in ("{{", "{%", "{#")))))
def test_a_value_without_template_syntax_is_kept_as_written(value: Any) -> None:
    assert same(rendered(compiled({"field": value}), {})["field"], value)


# The pipeline's own text around the expression is Jinja template text, whose line breaks
# Jinja normalises (and drops at the very end); the record's text, the point here, is free.
around = st.text(st.characters(exclude_characters="{}\r\n"), max_size=5)


@PROPERTY
@given(inserted=tricky_text, before=around, after=around)
def test_record_text_is_inserted_verbatim_never_run_as_a_template(
        inserted: str, before: str, after: str) -> None:
    node = compiled({"mixed": f"{before}{{{{ record.text }}}}{after}",
                     "single": "{{ record.text }}"})
    out = rendered(node, {"text": inserted})
    assert out == {"mixed": before + inserted + after, "single": inserted}


lines = st.lists(st.fixed_dictionaries({"text": tricky_text,
                                        "amount": st.decimals(-(10**9), 10**9, places=2)}),
                 max_size=12)


@PROPERTY
@given(items=lines)
def test_for_each_keeps_every_item_in_order(items: list[dict[str, Any]]) -> None:
    node = compiled({"lines": {"for_each": "{{ record.lines }}", "as": "line", "item": {
        "description": "{{ line.text }}", "cents": "{{ line.amount | minor_units('usd') }}"}}})
    out = rendered(node, {"lines": items})["lines"]
    assert [line["description"] for line in out] == [item["text"] for item in items]
    assert [line["cents"] for line in out] == [int(item["amount"] * 100) for item in items]
    assert all(type(line["cents"]) is int for line in out)
    assert sum(line["cents"] for line in out) == int(sum((i["amount"] for i in items),
                                                         Decimal(0)) * 100)


@PROPERTY
@given(record=st.dictionaries(st.sampled_from(["email", "memo", "other"]), values, max_size=3))
def test_an_optional_field_is_present_exactly_when_its_data_is(record: dict[str, Any]) -> None:
    node = compiled({"email?": "{{ record.email }}", "memo?": {"text": "{{ record.memo }}"},
                     "always": "fixed"})
    out = rendered(node, record)
    assert ("email" in out) == ("email" in record)
    assert ("memo" in out) == ("memo" in record)
    assert out["always"] == "fixed"


MANY = {"copy": "{{ record }}", "keys": "{{ record | list }}", "count": "{{ record | length }}",
        "items": {"for_each": "{{ record | dictsort }}", "as": "pair",
                  "item": "{{ pair[0] }}={{ pair[1] }}"},
        "sorted": "{{ record.values() | map('string') | sort | list }}"}


@PROPERTY
@given(record=st.dictionaries(st.text(min_size=1, max_size=6), values, max_size=5))
def test_rendering_never_changes_the_record_and_always_gives_the_same_payload(
        record: dict[str, Any]) -> None:
    before = copy.deepcopy(record)
    node = compiled(MANY)
    first, second = rendered(node, record), rendered(node, record)
    assert same(record, before)
    assert same(first, second)
    assert first["count"] == len(record) and first["keys"] == list(record)
