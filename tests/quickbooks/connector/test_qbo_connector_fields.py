"""The QBO entities' declared fields, as `pipeline validate` uses them.

A misspelt QuickBooks field in a pipeline is reported at load, located, with the right
spelling; what QBO lets a company add (custom fields) and what QBO returns besides the
documented fields is never reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector.engine.errors import PipelineInvalid
from ml_connector.engine.loading import load_pipelines
from ml_connector.engine.plugins.registry import PluginRegistry

INVOICES = """\
name: invoices-to-stripe
description: QuickBooks invoices become Stripe invoices.
source: {connection: quickbooks, entity: Invoice}
target: {connection: stripe, entity: invoice}
mapping:
  customer: "{{ CUSTOMER }}"
  currency: "{{ record.CurrencyRef.value | lower }}"
  lines:
    for_each: "{{ record.Line | selectattr('DetailType', 'equalto', 'SalesItemLineDetail') }}"
    as: line
    item:
      description: "{{ line.DESCRIPTION }}"
      amount: "{{ line.Amount | minor_units(record.CurrencyRef.value) }}"
"""

PAYMENTS = """\
name: payments-to-quickbooks
description: Stripe payments become QuickBooks payments.
source: {connection: stripe, entity: payment_intent}
target: {connection: quickbooks, entity: Payment}
mapping:
  CustomerRef: {value: "{{ record.metadata.qbo_customer_id }}"}
  TotalAmt: "{{ record.amount_received | major_units(record.currency) }}"
  PaymentRefNum: "{{ record.id[-21:] }}"
  Line:
    - Amount: "{{ record.amount_received | major_units(record.currency) }}"
      LinkedTxn: [{TxnId: "{{ record.metadata.qbo_invoice_id }}", TXNTYPE: Invoice}]
"""


def problems(tmp_path: Path, text: str, **fields: str) -> list[str]:
    """What loading `text` reports, with `fields` replaced ({"CUSTOMER": "CustomerRef"})."""
    for placeholder, written in fields.items():
        text = text.replace(placeholder, written)
    path = tmp_path / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_pipelines([path], project=None, registry=PluginRegistry.from_entry_points())
    except PipelineInvalid as invalid:
        return [f"{d.location.line}:{d.location.col}: {d.message}" for d in invalid.diagnostics]
    return []


def test_a_misspelt_invoice_field_is_reported_with_the_right_spelling(tmp_path: Path) -> None:
    found = problems(tmp_path, INVOICES, CUSTOMER="record.CustomrRef.value",
                     DESCRIPTION="Descripton")
    assert found == [
        "6:13: mapping.customer: record.CustomrRef is not a field of QuickBooks Invoice "
        "(did you mean 'CustomerRef'?)",
        "12:20: mapping.lines.item.description: line.Descripton is not a field of QuickBooks "
        "Invoice Line (did you mean 'Description'?)",
    ]
    assert problems(tmp_path, INVOICES, CUSTOMER="record.CustomerRef.value",
                    DESCRIPTION="Description") == []


def test_a_field_a_quickbooks_payment_does_not_take_is_reported(tmp_path: Path) -> None:
    assert problems(tmp_path, PAYMENTS, TXNTYPE="TxnTyp") == [
        "11:67: mapping.Line[0].LinkedTxn[0].TxnTyp: QuickBooks Payment does not accept a "
        "field 'TxnTyp' in Line[].LinkedTxn[] (did you mean 'TxnType'?)"]
    assert problems(tmp_path, PAYMENTS, TXNTYPE="TxnType") == []


@pytest.mark.parametrize("expression", [
    "record.CustomField | selectattr('Name', 'equalto', 'Region') | map(attribute='StringValue')"
    " | first",
    "(record.CustomField | first).AnyNewKeyQuickBooksAdds",
    "record.MetaData.LastUpdatedTime ~ record.LinkedTxn[0].TxnId ~ record.HomeTotalAmt",
    "record.get('AFieldThisConnectorDoesNotDescribe')",
])
def test_custom_fields_and_what_quickbooks_returns_are_never_reported(
        tmp_path: Path, expression: str) -> None:
    assert problems(tmp_path, INVOICES, CUSTOMER=f"({expression}) | default('')",
                    DESCRIPTION="Description") == []


def test_custom_fields_can_be_written(tmp_path: Path) -> None:
    with_custom_field = PAYMENTS.replace("  PaymentRefNum:", (
        "  CustomField:\n"
        "    - {DefinitionId: '1', Name: Region, Type: StringType, StringValue: EU}\n"
        "  PaymentRefNum:"))
    assert problems(tmp_path, with_custom_field, TXNTYPE="TxnType") == []
