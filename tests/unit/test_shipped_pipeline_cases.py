"""Every shipped pipeline's mapping cases, run the way `ml-connector pipeline test` runs them.

One test per case, so a failure names the case and lists its problems (the field, what was
expected, what was rendered). The cases live in `pipelines/cases/`, beside the pipelines.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from ml_connector.engine.loading import PipelineSet, load_workspace
from ml_connector.engine.loading.project_loader import shipped_pipelines_dir
from ml_connector.engine.mapping.currencies import minor_unit_exponent
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.testing.pipeline_cases import (
    PipelineCase,
    cases_file,
    load_cases,
    run_case,
)

CASES_DIR = shipped_pipelines_dir() / "cases"


def _all_cases() -> Iterator[PipelineCase]:
    for path in sorted(CASES_DIR.glob("*.yaml")):
        yield from load_cases(path)


CASES = list(_all_cases())


def _payload_cases_of(pipeline: str) -> list[Any]:
    return [pytest.param(c, id=c.name) for c in CASES
            if c.pipeline == pipeline and c.expect_error is None]


@pytest.fixture(scope="module")
def shipped() -> PipelineSet:
    """The shipped pipelines, loaded with the installed connector plugins, as the CLI does."""
    _, pipelines = load_workspace(registry=PluginRegistry.from_entry_points(),
                                  pipeline_paths=[shipped_pipelines_dir()])
    return pipelines


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.pipeline}: {c.name}") for c in CASES])
def test_case_renders_exactly_what_it_expects(case: PipelineCase, shipped: PipelineSet) -> None:
    result = run_case(case, shipped)
    if not result.passed:
        pytest.fail(f"{case.location}: {case.pipeline}: {case.name}\n  "
                    + "\n  ".join(result.problems), pytrace=False)


def test_every_shipped_pipeline_has_cases_with_payloads_and_errors(shipped: PipelineSet) -> None:
    """A pipeline without cases would pass `pipeline test` only by failing loudly; keep both
    kinds of case (a payload, a refused record) for each so neither side goes unchecked."""
    gaps = []
    for name in shipped.order:
        if not cases_file(shipped.get(name)).exists():
            gaps.append(f"{name}: no cases file")
        mine = [c for c in CASES if c.pipeline == name]
        if not any(c.expect_error is None for c in mine):
            gaps.append(f"{name}: no case with an expected payload")
        if not any(c.expect_error is not None for c in mine):
            gaps.append(f"{name}: no case with an expected error")
    assert gaps == []


@pytest.mark.parametrize("case", _payload_cases_of("invoices-to-stripe"))
def test_invoice_lines_add_up_to_the_quickbooks_total(case: PipelineCase) -> None:
    """The design's promise: the Stripe invoice's amount due equals the QBO total exactly."""
    lines = sum(line["amount"] for line in case.expect["lines"])
    assert lines == case.expect["total"] == _minor_units_of_record_total(case)


@pytest.mark.parametrize("case", _payload_cases_of("disputes-to-quickbooks"))
def test_dispute_journal_entries_balance(case: PipelineCase) -> None:
    """QuickBooks refuses a journal entry whose debits and credits differ."""
    totals = {"Debit": Decimal(0), "Credit": Decimal(0)}
    for line in case.expect["Line"]:
        totals[line["JournalEntryLineDetail"]["PostingType"]] += line["Amount"]
    assert totals["Debit"] == totals["Credit"] > 0


def _minor_units_of_record_total(case: PipelineCase) -> int:
    """TotalAmt of the QuickBooks record in minor units, computed apart from the mapping."""
    exponent = minor_unit_exponent(case.record["CurrencyRef"]["value"])
    scaled = Decimal(case.record["TotalAmt"]).scaleb(exponent)
    assert scaled == scaled.to_integral_value(), "TotalAmt is finer than its currency"
    return int(scaled)
