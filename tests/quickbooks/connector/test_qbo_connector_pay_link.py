"""A pay link written into a QuickBooks invoice: CustomerMemo, PrivateNote or a custom field,
by a sparse update; what a person wrote stays, and the record read back without the link is
the record as it was before, so the engine sees its own write as no change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.engine.errors import PermanentError

LINK = "https://pay.example/i/abc123"
NEWER = "https://pay.example/i/def456"


def _invoice(connector: QuickBooksConnector, **extra: Any) -> Any:
    customer = connector.create("Customer", {"DisplayName": "Pay Link Ltd"},
                                idempotency_key="pl-c")
    item = connector.find("Item", "Name", "Services")[0].id
    body = {"CustomerRef": {"value": customer.id}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": Decimal("80.00"),
         "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1,
                                 "UnitPrice": Decimal("80.00")}}], **extra}
    return connector.create("Invoice", body, idempotency_key="pl-i")


@pytest.mark.parametrize(("field", "before"), [
    ("CustomerMemo", {"CustomerMemo": {"value": "Thanks for your business!"}}),
    ("PrivateNote", {"PrivateNote": "Call before delivery"}),
    ("CustomerMemo", {}),
])
def test_a_memo_gets_the_link_on_a_line_of_its_own(connector: QuickBooksConnector,
                                                   field: str, before: dict[str, Any]) -> None:
    invoice = _invoice(connector, **before)
    written = connector.write_back("Invoice", invoice, field, LINK)
    assert int(written.version or 0) == int(invoice.version or 0) + 1
    read = connector.get("Invoice", invoice.id)
    assert read is not None and connector.holds_write_back("Invoice", read, field, LINK)
    memo = read.data[field]["value"] if field == "CustomerMemo" else read.data[field]
    assert memo.split("\n")[-1] == f"Pay online: {LINK}"
    seen = connector.without_write_back("Invoice", read, field)
    assert seen.data.get(field) == invoice.data.get(field)   # as a person left it
    assert read.data["TotalAmt"] == invoice.data["TotalAmt"]   # a sparse update

    replaced = connector.write_back("Invoice", read, field, NEWER)   # a recreated invoice
    memo = (replaced.data[field]["value"] if field == "CustomerMemo"
            else replaced.data[field])
    assert LINK not in memo and memo.count("Pay online: ") == 1


def test_a_custom_field_is_written_by_its_definition(connector: QuickBooksConnector) -> None:
    fields = [{"DefinitionId": "1", "Name": "Crew", "Type": "StringType", "StringValue": "B"},
              {"DefinitionId": "2", "Name": "Pay link", "Type": "StringType"}]
    invoice = _invoice(connector, CustomField=fields)
    connector.write_back("Invoice", invoice, "CustomField:Pay link", LINK)
    read = connector.get("Invoice", invoice.id)
    assert read is not None
    assert read.data["CustomField"] == [
        fields[0], {"DefinitionId": "2", "Name": "Pay link", "Type": "StringType",
                    "StringValue": LINK}]
    assert connector.without_write_back("Invoice", read, "CustomField:Pay link").data[
        "CustomField"] == fields


def test_a_custom_field_the_form_lacks_is_named_in_the_error(
        connector: QuickBooksConnector) -> None:
    invoice = _invoice(connector)
    with pytest.raises(PermanentError, match="has no custom field named 'Pay link'"):
        connector.write_back("Invoice", invoice, "CustomField:Pay link", LINK)


def test_the_emulator_refuses_a_custom_field_without_its_definition(
        connector: QuickBooksConnector) -> None:
    invoice = _invoice(connector)
    with pytest.raises(PermanentError, match="DefinitionId"):
        connector.update("Invoice", invoice.id, {"CustomField": [
            {"Name": "Pay link", "Type": "StringType", "StringValue": LINK}]})


def test_an_edit_made_meanwhile_is_kept(connector: QuickBooksConnector) -> None:
    invoice = _invoice(connector, CustomerMemo={"value": "Old text"})
    connector.update("Invoice", invoice.id, {"CustomerMemo": {"value": "New text"}})
    connector.write_back("Invoice", invoice, "CustomerMemo", LINK)   # `invoice` is stale now
    read = connector.get("Invoice", invoice.id)
    assert read is not None
    assert read.data["CustomerMemo"]["value"] == f"New text\nPay online: {LINK}"
