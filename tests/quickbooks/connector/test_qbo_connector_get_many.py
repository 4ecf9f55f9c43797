"""Reading many records by id at once: one `Id IN (...)` query per 1,000 ids, deleted ones
absent, deactivated customers present (as `get` returns them)."""

from __future__ import annotations

from typing import Any

from qbo_connector_kit import REALM, Emulator

from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.connectors.quickbooks.emulator.entities import RULES
from ml_connector.connectors.quickbooks.emulator.writes import create


def requests(emulator: Emulator) -> dict[str, int]:
    return dict(emulator.state.snapshot()["requests"])


def invoice_body(connector: QuickBooksConnector, customer: str, amount: int) -> dict[str, Any]:
    item = connector.find("Item", "Name", "Services")[0].id
    return {"CustomerRef": {"value": customer}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": amount,
         "SalesItemLineDetail": {"ItemRef": {"value": item}}}]}


def test_five_invoices_are_read_with_one_query(connector: QuickBooksConnector,
                                              emulator: Emulator) -> None:
    customer = connector.create("Customer", {"DisplayName": "Bulk Reader"},
                                idempotency_key="c").id
    invoices = [connector.create("Invoice", invoice_body(connector, customer, 10 + n),
                                 idempotency_key=f"i{n}") for n in range(5)]
    before = requests(emulator)
    found = connector.get_many("Invoice", [i.id for i in invoices] + [invoices[0].id])
    after = requests(emulator)
    assert after.get("POST query", 0) - before.get("POST query", 0) == 1
    assert sum(after.values()) - sum(before.values()) == 1
    assert set(found) == {i.id for i in invoices}
    for invoice in invoices:
        alone = connector.get("Invoice", invoice.id)
        assert alone is not None
        assert found[invoice.id].version == alone.version
        assert found[invoice.id].data["TotalAmt"] == alone.data["TotalAmt"]


def test_deleted_and_unknown_ids_are_absent_and_inactive_customers_present(
        connector: QuickBooksConnector) -> None:
    customer = connector.create("Customer", {"DisplayName": "Leaving"}, idempotency_key="c")
    kept = connector.create("Invoice", invoice_body(connector, customer.id, 5),
                            idempotency_key="kept")
    doomed = connector.create("Invoice", invoice_body(connector, customer.id, 6),
                              idempotency_key="doomed")
    connector.remove("Invoice", doomed.id, mode="delete")
    connector.remove("Customer", customer.id, mode="deactivate")
    assert set(connector.get_many("Invoice", [kept.id, doomed.id, "987654"])) == {kept.id}
    customers = connector.get_many("Customer", [customer.id])
    assert customers[customer.id].data["Active"] is False


def test_more_ids_than_a_query_page_are_read_in_chunks_of_1000(
        connector: QuickBooksConnector, emulator: Emulator) -> None:
    with emulator.state.lock:
        ledger = emulator.state.ledger(REALM)
        ids = [create(ledger, RULES["Customer"], {"DisplayName": f"Many {n:04d}"})["Id"]
               for n in range(1001)]
    before = requests(emulator).get("POST query", 0)
    found = connector.get_many("Customer", ids)
    assert requests(emulator).get("POST query", 0) - before == 2
    assert set(found) == set(ids)
