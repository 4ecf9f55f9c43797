"""Every field the emulator returns is one the connector declares for its entity.

`pipeline validate` reports a source field the connector does not declare, so a field QBO
returns but the declaration lacks would stop a pipeline that reads it. The emulator returns
what QBO returns (computed fields, echoed references, voided documents); every key at every
depth of every object it holds must be declared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from qbo_emulator_kit import QboClient, running_emulator

from ml_connector.connectors.quickbooks.fields import FIELDS
from ml_connector.engine import Fields, ListOf, Value


def undeclared(value: Any, shape: Any, path: str) -> Iterator[str]:
    """Paths in `value` that `shape` does not declare."""
    if isinstance(shape, Value):
        return
    if isinstance(shape, ListOf) and isinstance(value, list):
        for item in value:
            yield from undeclared(item, shape.item, f"{path}[]")
    elif isinstance(shape, Fields) and isinstance(value, dict):
        for key, inner in value.items():
            if key in shape.named:
                yield from undeclared(inner, shape.named[key], f"{path}.{key}")
            elif not shape.open:
                yield f"{path}.{key}"


def one_of(qbo: QboClient, statement: str) -> str:
    entity = statement.split()[3]
    return qbo.query(statement)[entity][0]["Id"]


def make_one_of_each(qbo: QboClient) -> None:
    """The transactions the seed has none of, shaped as the shipped pipelines write them."""
    customer = one_of(qbo, "SELECT * FROM Customer WHERE DisplayName = 'Kate Whelan'")
    item = one_of(qbo, "SELECT * FROM Item WHERE Name = 'Hours'")
    funds = one_of(qbo, "SELECT * FROM Account WHERE AccountSubType = 'UndepositedFunds'")
    bank = one_of(qbo, "SELECT * FROM Account WHERE Name = 'Checking'")
    losses = one_of(qbo, "SELECT * FROM Account WHERE Name = 'Dispute Losses'")
    line = {"DetailType": "SalesItemLineDetail", "Amount": 75, "Description": "Hours",
            "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1, "UnitPrice": 75}}
    sale = {"CustomerRef": {"value": customer}, "Line": [line], "PrivateNote": "note"}
    for entity in ("CreditMemo", "SalesReceipt"):
        qbo.create(entity, sale)
    qbo.create("RefundReceipt", {**sale, "DepositToAccountRef": {"value": funds}})
    qbo.create("JournalEntry", {"DocNumber": "dp_1", "Line": [
        {"Amount": 10, "DetailType": "JournalEntryLineDetail", "Description": "withdrawn",
         "JournalEntryLineDetail": {"PostingType": side, "AccountRef": {"value": account}}}
        for side, account in (("Debit", losses), ("Credit", funds))]})
    payment = qbo.create("Payment", {"CustomerRef": {"value": customer}, "TotalAmt": 20,
                                     "PaymentRefNum": "pi_1", "PrivateNote": "Stripe"})
    qbo.create("Deposit", {"DepositToAccountRef": {"value": bank}, "Line": [
        {"Amount": 20, "LinkedTxn": [{"TxnId": payment["Id"], "TxnType": "Payment",
                                      "TxnLineId": "0"}]}]})
    invoice = qbo.query("SELECT * FROM Invoice")["Invoice"][0]
    qbo.ok(qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]},
                    operation="void"))


@pytest.fixture(scope="module")
def records() -> Iterator[dict[str, list[dict[str, Any]]]]:
    with running_emulator(seed=True) as emulator:
        qbo = emulator.connect()
        make_one_of_each(qbo)
        found = {entity: qbo.query(f"SELECT * FROM {entity} MAXRESULTS 1000").get(entity, [])
                 for entity in FIELDS}
        qbo.http.close()
        yield found


@pytest.mark.parametrize("entity", sorted(FIELDS))
def test_every_field_the_emulator_returns_is_declared(
        records: dict[str, list[dict[str, Any]]], entity: str) -> None:
    assert records[entity], f"the emulator holds no {entity} to compare"
    found = sorted({path for record in records[entity]
                    for path in undeclared(record, FIELDS[entity], entity)})
    assert found == []
