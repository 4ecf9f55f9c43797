"""Rendering a compiled mapping for one record: payload shape, optional fields, errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapping_testkit import compile_yaml

from ml_connector.engine.diagnostics import Location
from ml_connector.engine.errors import MissingLink, RenderError
from ml_connector.engine.mapping import CONTEXT_NAMES, MappingNode, compile_expression, render

INVOICE_MAPPING = """\
mapping:
  customer: "{{ link('customers-to-stripe', record.CustomerRef.value) }}"
  currency: "{{ record.CurrencyRef.value | lower }}"
  collection_method: send_invoice
  due_date: "{{ record.DueDate | unix_timestamp }}"
  description?: "{{ record.CustomerMemo.value }}"
  lines:
    for_each: "{{ record.Line | selectattr('DetailType', 'equalto', 'SalesItemLineDetail') }}"
    as: line
    item:
      description: "{{ line.Description }}"
      amount: "{{ line.Amount | minor_units(record.CurrencyRef.value) }}"
  metadata:
    qbo_invoice_id: "{{ record.Id }}"
    qbo_doc_number: "Doc {{ record.DocNumber }}"
  tags: ["{{ record.Id }}", fixed]
"""


def invoice(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "Id": "478", "DocNumber": "1001", "DueDate": "2024-01-31",
        "CustomerRef": {"value": "58"}, "CurrencyRef": {"value": "USD"},
        "Line": [
            {"DetailType": "SalesItemLineDetail", "Description": "Widget",
             "Amount": Decimal("100.00")},
            {"DetailType": "SalesItemLineDetail", "Description": "Gadget",
             "Amount": Decimal("50.10")},
            {"DetailType": "SubTotalLineDetail", "Amount": Decimal("150.10")},
        ],
    }
    record.update(changes)
    return record


def link(pipeline: str, source_id: str) -> str:
    return f"cus_{source_id}"


def compiled(text: str = INVOICE_MAPPING) -> MappingNode:
    node, diagnostics = compile_yaml(text)
    assert diagnostics == []
    return node


def run(node: MappingNode, record: dict[str, Any], **context: Any) -> Any:
    return render(node, {"record": record, "link": link, **context},
                  pipeline="invoices-to-stripe", record_id=str(record.get("Id")))


def test_an_invoice_renders_to_the_target_payload() -> None:
    payload = run(compiled(), invoice(CustomerMemo={"value": "Thanks"}))
    assert payload == {
        "customer": "cus_58",
        "currency": "usd",
        "collection_method": "send_invoice",
        "due_date": 1706659200,
        "description": "Thanks",
        "lines": [{"description": "Widget", "amount": 10000},
                  {"description": "Gadget", "amount": 5010}],
        "metadata": {"qbo_invoice_id": "478", "qbo_doc_number": "Doc 1001"},
        "tags": ["478", "fixed"],
    }


def test_an_optional_field_is_left_out_when_undefined() -> None:
    payload = run(compiled(), invoice())
    assert "description" not in payload
    assert payload["customer"] == "cus_58"


def test_an_optional_object_is_left_out_when_a_field_inside_is_undefined() -> None:
    node = compiled('mapping:\n  address?:\n    line1: "{{ record.BillAddr.Line1 }}"\n'
                    '  name: "{{ record.Name }}"\n')
    assert run(node, {"Name": "Acme"}) == {"name": "Acme"}
    with_address = {"Name": "Acme", "BillAddr": {"Line1": "1 Market St"}}
    assert run(node, with_address) == {"name": "Acme", "address": {"line1": "1 Market St"}}


def test_an_optional_field_still_fails_on_a_real_error() -> None:
    node = compiled('mapping:\n  amount?: "{{ record.Amount | minor_units(\'usd\') }}"\n')
    with pytest.raises(RenderError, match="has more decimals than USD allows"):
        run(node, {"Id": "1", "Amount": Decimal("1.005")})


def test_a_required_field_that_is_undefined_names_its_path() -> None:
    record = invoice()
    del record["Line"][1]["Description"]
    with pytest.raises(RenderError) as caught:
        run(compiled(), record)
    error = caught.value
    assert error.field == "lines[1].description"
    assert error.pipeline == "invoices-to-stripe"
    assert error.record_id == "478"
    assert error.expression == "{{ line.Description }}"
    assert error.reason == "no field 'Description'"


def test_a_nested_field_error_names_the_dotted_path() -> None:
    record = invoice(DocNumber=None)
    del record["DocNumber"]
    with pytest.raises(RenderError) as caught:
        run(compiled(), record)
    assert caught.value.field == "metadata.qbo_doc_number"


def test_for_each_over_no_elements_gives_an_empty_list() -> None:
    assert run(compiled(), invoice(Line=[]))["lines"] == []


def test_for_each_over_something_that_is_not_a_list_fails_clearly() -> None:
    with pytest.raises(RenderError) as caught:
        run(compiled('mapping:\n  lines:\n    for_each: "{{ record.Line }}"\n'
                     '    item: "{{ item }}"\n'), {"Id": "9", "Line": "abc"})
    assert caught.value.field == "lines"
    assert caught.value.reason == "for_each needs a list, got text"


def test_nested_for_each_sees_both_loop_names() -> None:
    node = compiled(
        "mapping:\n"
        "  groups:\n"
        "    for_each: \"{{ record.Groups }}\"\n"
        "    as: group\n"
        "    item:\n"
        "      for_each: \"{{ group.Items }}\"\n"
        "      item: \"{{ group.Name }}-{{ item }}\"\n")
    record = {"Groups": [{"Name": "a", "Items": [1, 2]}, {"Name": "b", "Items": [3]}]}
    assert run(node, record) == {"groups": [["a-1", "a-2"], ["b-3"]]}


def test_missing_link_propagates_unchanged() -> None:
    def unlinked(pipeline: str, source_id: str) -> str:
        raise MissingLink(pipeline, source_id)

    with pytest.raises(MissingLink) as caught:
        render(compiled(), {"record": invoice(), "link": unlinked},
               pipeline="invoices-to-stripe", record_id="478")
    assert type(caught.value) is MissingLink
    assert (caught.value.pipeline, caught.value.source_id) == ("customers-to-stripe", "58")


def test_render_error_never_shows_the_context() -> None:
    secret = "sk_" + "live_51HxSECRETvalue0123456789"  # assembled: no live-shaped literal
    node = compiled('mapping:\n  total: "{{ record.Amount / record.Zero }}"\n'
                    '  key: "{{ params[record.Key] }}"\n  n: "{{ record.Name | int + \'a\' }}"\n')
    context = {"record": {"Amount": 1, "Zero": 0, "Key": secret, "Name": secret},
               "params": {"api_key": secret}}
    for field_text in ('{{ record.Amount / record.Zero }}', '{{ params[record.Key] }}',
                       "{{ record.Name | int + 'a' }}"):
        expression = compile_expression(field_text, Location("p.yaml", 1, 1), CONTEXT_NAMES)
        with pytest.raises(RenderError) as caught:
            render(expression, context, pipeline="p", record_id="1", field="f")
        assert secret not in str(caught.value)
        assert secret not in caught.value.reason
        assert caught.value.__cause__ is None
    with pytest.raises(RenderError):
        render(node, context, pipeline="p", record_id="1")


def test_a_data_driven_missing_key_is_masked_in_the_reason() -> None:
    expression = compile_expression("{{ params[record.Key] }}", Location("p.yaml", 1, 1),
                                    CONTEXT_NAMES)
    with pytest.raises(RenderError) as caught:
        render(expression, {"record": {"Key": "customer-secret-name"}, "params": {}},
               pipeline="p", record_id="1", field="f")
    assert caught.value.reason == "no field '***'"


@pytest.mark.parametrize("source", [
    "{{ ''.__class__ }}",
    "{{ record.__class__.__mro__ }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ record.__len__() }}",
    "{{ record.items.__self__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ record['__class__'] }}",
    "x {{ ''.__class__.__mro__[1].__subclasses__() }}",
])
def test_the_sandbox_refuses_python_internals(source: str) -> None:
    expression = compile_expression(source, Location("p.yaml", 1, 1), CONTEXT_NAMES)
    context = {"record": {"Secret": "sk_test_fake123"}}
    with pytest.raises(RenderError) as caught:
        render(expression, context, pipeline="p", record_id="1", field="f")
    reason = caught.value.reason
    assert reason.startswith("access to '_") and reason.endswith("' is not allowed")
    assert "sk_test_fake123" not in str(caught.value)


def test_an_optional_field_does_not_hide_a_sandbox_refusal() -> None:
    node = compiled("mapping:\n  probe?: \"{{ record.__class__ }}\"\n")
    with pytest.raises(RenderError, match="is not allowed"):
        run(node, {"Id": "1"})


def test_a_top_level_expression_error_has_a_readable_field() -> None:
    expression = compile_expression("{{ record.Nope }}", Location("p.yaml", 1, 1),
                                    CONTEXT_NAMES)
    with pytest.raises(RenderError) as caught:
        render(expression, {"record": {}}, pipeline="p", record_id="1")
    assert caught.value.field == "(value)"
    assert "no field 'Nope'" in str(caught.value)


@pytest.mark.parametrize("source", [
    "{{ record.Line.pop() }}",
    "{{ record.update({'Id': 'x'}) }}",
    "{{ record.Line.append(1) or 1 }}",
])
def test_an_expression_cannot_change_the_record_it_reads(source: str) -> None:
    record = {"Id": "1", "Line": [1, 2]}
    expression = compile_expression(source, Location("p.yaml", 1, 1), CONTEXT_NAMES)
    with pytest.raises(RenderError, match="is not allowed"):
        render(expression, {"record": record}, pipeline="p", record_id="1", field="f")
    assert record == {"Id": "1", "Line": [1, 2]}


def test_a_context_name_the_runner_did_not_provide_is_reported() -> None:
    expression = compile_expression("{{ now }}", Location("p.yaml", 1, 1), CONTEXT_NAMES)
    with pytest.raises(RenderError) as caught:
        render(expression, {}, pipeline="p", record_id="1", field="f")
    assert caught.value.reason == "'now' is undefined"


def test_a_list_index_past_the_end_says_so() -> None:
    expression = compile_expression("{{ record.Line[3].Amount }}", Location("p.yaml", 1, 1),
                                    CONTEXT_NAMES)
    with pytest.raises(RenderError) as caught:
        render(expression, {"record": {"Line": [1, 2]}}, pipeline="p", record_id="1")
    assert caught.value.reason == "no item 3 in a list of 2"


def test_for_each_items_inside_a_literal_list_are_spliced_in_place() -> None:
    """Several source lists become one target list: sales lines, discounts, then tax."""
    node, problems = compile_yaml(
        "mapping:\n"
        " lines:\n"
        "  - for_each: \"{{ record.sales }}\"\n"
        "    as: s\n"
        "    item: {amount: \"{{ s }}\"}\n"
        "  - for_each: \"{{ record.discounts }}\"\n"
        "    as: d\n"
        "    item: {amount: \"{{ -d }}\"}\n"
        "  - {amount: \"{{ record.tax }}\", description: Tax}\n")
    assert problems == []
    payload = render(node, {"record": {"sales": [10, 20], "discounts": [5], "tax": 2}},
                     pipeline="p", record_id="r1")
    assert payload == {"lines": [{"amount": 10}, {"amount": 20}, {"amount": -5},
                                 {"amount": 2, "description": "Tax"}]}


def test_an_error_inside_a_spliced_for_each_names_the_item_in_the_whole_list() -> None:
    node, problems = compile_yaml(
        "mapping:\n"
        " lines:\n"
        "  - {amount: 1}\n"
        "  - for_each: \"{{ record.things }}\"\n"
        "    as: it\n"
        "    item: {amount: \"{{ it.price }}\"}\n")
    assert problems == []
    with pytest.raises(RenderError) as caught:
        render(node, {"record": {"things": [{"price": 2}, {}]}}, pipeline="p", record_id="r1")
    assert caught.value.field == "lines[2].amount"


@pytest.mark.parametrize("text", ["{{ 'a' * 10**9 }}", "{{ (2 ** 1000) ** 1000 }}",
                                  "{{ [1] * 10000000 }}"])
def test_expressions_cannot_build_huge_values(text: str) -> None:
    expr = compile_expression(text, Location("p.yaml", 1, 1), CONTEXT_NAMES)
    with pytest.raises(RenderError, match="is not allowed"):
        render(expr, {}, pipeline="p", record_id="r1")


def test_ordinary_multiplication_and_powers_still_work() -> None:
    expr = compile_expression("{{ 'ab' * 3 ~ (2 ** 10) ~ (3 * 4) }}", Location("p.yaml", 1, 1),
                              CONTEXT_NAMES)
    assert render(expr, {}, pipeline="p", record_id="r1") == "ababab102412"
