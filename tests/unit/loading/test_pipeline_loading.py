"""A valid pipeline file loads into the model a runner reads, with nothing lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ml_connector.engine.diagnostics import Location
from ml_connector.engine.errors import InvalidInput, PipelineInvalid
from ml_connector.engine.loading import UnknownPipeline, load_pipelines, pipeline_files
from ml_connector.engine.mapping import ForEachNode, ObjectNode
from ml_connector.engine.model.pipeline import (
    Endpoint,
    OnImmutableChange,
    OnSourceDelete,
    Policies,
    Trigger,
)

Write = Callable[[str, str], Path]

CUSTOMERS = """\
name: customers-to-payments
source: {connection: ledger, entity: Customer}
target: {connection: payments, entity: customer}
mapping:
  email: "{{ record.PrimaryEmailAddr.Address }}"
"""

INVOICES = """\
name: invoices-to-payments
description: Ledger invoices become payment invoices.
depends_on: [customers-to-payments]
source: {connection: ledger, entity: Invoice, filter: "{{ record.TotalAmt > 0 }}"}
target: {connection: payments, entity: invoice}
match:
  - target_field: metadata.ledger_invoice_id
    value: "{{ record.Id }}"
params: {deposit_account: Undeposited Funds, days: 30}
mapping:
  customer: "{{ link('customers-to-payments', record.CustomerRef.value) }}"
  description?: "{{ record.CustomerMemo.value }}"
  lines:
    for_each: "{{ record.Line }}"
    as: line
    item: {amount: "{{ line.Amount | minor_units('usd') }}"}
policies: {on_source_delete: void, on_immutable_change: void_and_recreate}
triggers:
  - webhook: ledger
  - poll: {every: 2h}
  - poll: {every: 45}
  - manual
"""


@pytest.fixture
def loaded(write: Write, registry: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.chdir(tmp_path)
    write("pipelines/customers.yaml", CUSTOMERS)
    write("pipelines/invoices.yaml", INVOICES)
    return load_pipelines([tmp_path / "pipelines"], project=None, registry=registry)


def test_every_section_reaches_the_model(loaded: Any, tmp_path: Path) -> None:
    invoices = loaded.get("invoices-to-payments")
    assert invoices.description == "Ledger invoices become payment invoices."
    assert invoices.source == Endpoint("ledger", "Invoice")
    assert invoices.target == Endpoint("payments", "invoice")
    assert invoices.depends_on == ("customers-to-payments",)
    assert invoices.params == {"deposit_account": "Undeposited Funds", "days": 30}
    assert invoices.policies == Policies(OnSourceDelete.VOID, OnImmutableChange.VOID_AND_RECREATE)
    assert invoices.path == str(tmp_path / "pipelines" / "invoices.yaml")
    assert invoices.location == Location("pipelines/invoices.yaml", 1, 7)


def test_triggers_and_durations(loaded: Any) -> None:
    assert loaded.get("invoices-to-payments").triggers == (
        Trigger("webhook", connection="ledger"),
        Trigger("poll", every_seconds=7200),
        Trigger("poll", every_seconds=45),
        Trigger("manual"),
    )


def test_defaults_when_optional_sections_are_absent(loaded: Any) -> None:
    customers = loaded.get("customers-to-payments")
    assert customers.triggers == (Trigger("manual"),)
    assert customers.policies == Policies()
    assert customers.match == ()
    assert customers.source_filter is None
    assert customers.description == ""
    assert customers.params == {}


def test_expressions_are_compiled_and_evaluate(loaded: Any) -> None:
    invoices = loaded.get("invoices-to-payments")
    assert invoices.source_filter.evaluate({"record": {"TotalAmt": 5}}) is True
    assert invoices.source_filter.evaluate({"record": {"TotalAmt": 0}}) is False
    (key,) = invoices.match
    assert key.target_field == "metadata.ledger_invoice_id"
    assert key.value.evaluate({"record": {"Id": "130"}}) == "130"
    assert key.value.location == Location("pipelines/invoices.yaml", 8, 12)


def test_mapping_tree_keeps_optional_fields_and_loops(loaded: Any) -> None:
    mapping = loaded.get("invoices-to-payments").mapping
    assert isinstance(mapping, ObjectNode)
    fields = {f.name: f for f in mapping.fields}
    assert list(fields) == ["customer", "description", "lines"]
    assert fields["description"].optional and not fields["customer"].optional
    loop = fields["lines"].value
    assert isinstance(loop, ForEachNode) and loop.var == "line"


def test_order_puts_dependencies_first(loaded: Any) -> None:
    assert loaded.order == ["customers-to-payments", "invoices-to-payments"]
    assert [p.name for p in loaded] == loaded.order
    assert loaded.dependencies_closure("invoices-to-payments") == loaded.order
    assert loaded.dependencies_closure("customers-to-payments") == ["customers-to-payments"]


def test_unknown_pipeline_name_suggests_the_closest(loaded: Any) -> None:
    with pytest.raises(UnknownPipeline) as raised:
        loaded.get("invoice-to-payments")
    assert isinstance(raised.value, InvalidInput) and isinstance(raised.value, KeyError)
    assert str(raised.value) == (
        "unknown pipeline 'invoice-to-payments' (did you mean 'invoices-to-payments'?)")
    with pytest.raises(UnknownPipeline, match="known: customers-to-payments, invoices-to"):
        loaded.dependencies_closure("zzz")


def test_folder_loading_takes_yaml_files_only(write: Write, tmp_path: Path) -> None:
    write("p/b.yaml", "")
    write("p/a.yml", "")
    write("p/notes.txt", "")
    write("p/cases/c.yaml", "")
    assert pipeline_files([tmp_path / "p"]) == [tmp_path / "p/a.yml", tmp_path / "p/b.yaml"]


def test_a_broken_file_fails_the_whole_set(
    write: Write, registry: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    good = write("customers.yaml", CUSTOMERS)
    bad = write("broken.yaml", CUSTOMERS.replace("customers-to-payments", "other").replace(
        "entity: customer", "entity: nothing"))
    with pytest.raises(PipelineInvalid) as raised:
        load_pipelines([good, bad], project=None, registry=registry)
    (only,) = raised.value.diagnostics
    assert only.location == Location("broken.yaml", 3, 40)
    assert "unknown entity 'nothing'" in only.message


def test_files_outside_the_current_folder_are_shown_absolute(
    write: Write, registry: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write("elsewhere/empty.yaml", "")
    monkeypatch.chdir(write("here/.keep", "").parent)
    with pytest.raises(PipelineInvalid) as raised:
        load_pipelines([path], project=None, registry=registry)
    assert raised.value.diagnostics[0].location.file == str(path)
