"""Mapping cases kept as data, run by `ml-connector pipeline test` and by pytest alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_plugins, write_project

from ml_connector.engine.cli.main import cli
from ml_connector.engine.errors import PipelineInvalid
from ml_connector.engine.plugins.registry import PluginRegistry

CASES = """\
pipeline: orders-to-invoices
cases:
  - name: two lines, amounts in exact cents
    id: o1
    record:
      contact: c7
      total: 12.5
      lines: [{text: a, amount: 10.00}, {text: b, amount: 2.50}]
    links: {contacts-to-people: {c7: person_7}}
    expect:
      person: person_7
      amount: 1250
      lines: [{description: a, amount: 1000}, {description: b, amount: 250}]
      metadata: {order_id: o1}
  - name: an unlinked contact is reported
    record: {contact: c8, total: 1, lines: []}
    expect_error: "record 'c8' of pipeline 'contacts-to-people' is not linked"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PluginRegistry:
    alpha, beta = make_plugins()
    write_project(tmp_path)
    (tmp_path / "pipelines" / "cases").mkdir()
    (tmp_path / "pipelines" / "cases" / "orders-to-invoices.yaml").write_text(CASES)
    monkeypatch.chdir(tmp_path)
    return PluginRegistry.from_plugins({"alpha": alpha, "beta": beta})


def test_passing_cases_pass(project: PluginRegistry) -> None:
    result = CliRunner().invoke(cli, ["pipeline", "test", "orders-to-invoices"], obj=project)
    assert result.exit_code == 0, result.output
    assert "2 passed, 0 failed" in result.output


def test_a_wrong_amount_fails_and_names_the_field(project: PluginRegistry,
                                                   tmp_path: Path) -> None:
    cases = tmp_path / "pipelines" / "cases" / "orders-to-invoices.yaml"
    cases.write_text(cases.read_text().replace("amount: 1250", "amount: 1205"))
    result = CliRunner().invoke(cli, ["pipeline", "test", "orders-to-invoices"], obj=project)
    assert result.exit_code == 1
    assert "amount: expected 1205, got 1250" in result.output


def test_type_matters_decimal_is_not_minor_units(project: PluginRegistry,
                                                 tmp_path: Path) -> None:
    cases = tmp_path / "pipelines" / "cases" / "orders-to-invoices.yaml"
    cases.write_text(cases.read_text().replace("amount: 1250", "amount: 1250.0"))
    result = CliRunner().invoke(cli, ["--json", "pipeline", "test", "orders-to-invoices"],
                                obj=project)
    problems = json.loads(result.output.split("\nerror")[0])[0]["problems"]
    assert problems == ["amount: expected 1250.0 (a decimal), got 1250 (a whole number)"]


def test_a_pipeline_without_cases_fails_rather_than_passing_silently(
        project: PluginRegistry) -> None:
    result = CliRunner().invoke(cli, ["pipeline", "test", "contacts-to-people"], obj=project)
    assert result.exit_code == 1 and "no cases file" in result.output


def test_a_malformed_cases_file_is_located(project: PluginRegistry, tmp_path: Path) -> None:
    cases = tmp_path / "pipelines" / "cases" / "orders-to-invoices.yaml"
    cases.write_text(cases.read_text().replace("    expect:\n", "    expekt:\n", 1))
    result = CliRunner().invoke(cli, ["pipeline", "test", "orders-to-invoices"], obj=project)
    assert isinstance(result.exception, PipelineInvalid) and result.exception.exit_code == 2
    assert str(result.exception).splitlines() == [
        "pipelines/cases/orders-to-invoices.yaml:10:5: unknown field 'expekt' in cases[0] "
        "(did you mean 'expect'?)"]


def test_a_case_with_both_or_neither_expectation_is_located(project: PluginRegistry,
                                                             tmp_path: Path) -> None:
    cases = tmp_path / "pipelines" / "cases" / "orders-to-invoices.yaml"
    both = cases.read_text().replace("    expect_error:", "    expect: {}\n    expect_error:")
    cases.write_text(both)
    result = CliRunner().invoke(cli, ["pipeline", "test", "orders-to-invoices"], obj=project)
    assert str(result.exception).splitlines() == [
        "pipelines/cases/orders-to-invoices.yaml:15:5: a case needs exactly one of 'expect' "
        "(the payload) or 'expect_error' (text of the expected error)"]
