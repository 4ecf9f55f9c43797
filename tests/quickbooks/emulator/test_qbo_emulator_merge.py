"""Merging customers: transactions move, the merged one goes inactive, one Merge webhook."""

from __future__ import annotations

import httpx
from qbo_emulator_kit import Emulator, QboClient, fault_of
from test_qbo_emulator_webhooks import Receiver, flush, hooked, receiver  # noqa: F401

from ml_connector.connectors.quickbooks.emulator import jsonio


def _services(qbo: QboClient) -> str:
    return qbo.find_one("Item", "Name", "Services")["Id"]


def _invoice(qbo: QboClient, customer_id: str, amount: str) -> dict:
    return qbo.create("Invoice", {"CustomerRef": {"value": customer_id}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": amount,
         "SalesItemLineDetail": {"ItemRef": {"value": _services(qbo)}, "Qty": 1,
                                 "UnitPrice": amount}}]})


def test_a_merge_moves_the_invoices_and_deactivates_the_merged_customer(
        emulator: Emulator, qbo: QboClient) -> None:
    survivor = qbo.create("Customer", {"DisplayName": "Acme Ltd"})
    merged = qbo.create("Customer", {"DisplayName": "ACME Limited"})
    invoice = _invoice(qbo, merged["Id"], "120.00")
    since = emulator.state.clock.server_time()
    emulator.admin("clock", {"advance_seconds": 2})
    answer = emulator.admin("customers/merge", {"id": merged["Id"], "into": survivor["Id"]})
    assert answer["moved"] == [f"Invoice/{invoice['Id']}"]
    moved = qbo.read("Invoice", invoice["Id"])
    assert moved["CustomerRef"] == {"value": survivor["Id"], "name": "Acme Ltd"}
    assert int(moved["SyncToken"]) == int(invoice["SyncToken"]) + 1
    gone = qbo.read("Customer", merged["Id"])
    assert gone["Active"] is False and gone["DisplayName"] == "ACME Limited (deleted)"
    assert qbo.read("Customer", survivor["Id"])["Balance"] == 120
    changed = qbo.ok(qbo.get("cdc", entities="Customer,Invoice", changedSince=since))
    items = changed["CDCResponse"][0]["QueryResponse"]
    shown = {name: {r["Id"]: r for r in item[name]} for item in items for name in item
             if isinstance(item[name], list)}
    assert shown["Customer"][merged["Id"]]["Active"] is False
    assert survivor["Id"] in shown["Customer"]
    assert shown["Invoice"][invoice["Id"]]["CustomerRef"]["value"] == survivor["Id"]


def test_a_merge_into_an_inactive_or_the_same_customer_is_refused(
        emulator: Emulator, qbo: QboClient) -> None:
    customer = qbo.create("Customer", {"DisplayName": "Solo"})
    url = f"{emulator.url}/_emulator/customers/merge"
    response = httpx.post(url, json={"id": customer["Id"], "into": customer["Id"]})
    assert response.status_code == 400 and "itself" in jsonio.dumps(fault_of(response))
    response = httpx.post(url, json={"id": customer["Id"], "into": "9999"})
    assert response.status_code == 400 and fault_of(response)["code"] == "610"
    assert qbo.read("Customer", customer["Id"])["Active"] is True


def test_the_merge_webhook_names_both_customers(receiver: Receiver) -> None:  # noqa: F811
    with hooked(receiver) as emulator:
        qbo = emulator.connect()
        survivor = qbo.create("Customer", {"DisplayName": "Keep"})
        merged = qbo.create("Customer", {"DisplayName": "Dupe"})
        flush(emulator)
        receiver.received.clear()
        emulator.admin("customers/merge", {"id": merged["Id"], "into": survivor["Id"]})
        flush(emulator)
    entities = [e for _, body in receiver.received
                for n in jsonio.loads(body)["eventNotifications"]
                for e in n["dataChangeEvent"]["entities"]]
    assert [(e["name"], e["id"], e["operation"], e.get("deletedId")) for e in entities] == [
        ("Customer", survivor["Id"], "Merge", merged["Id"])]


def test_the_cloudevents_merge_carries_deletedid(receiver: Receiver) -> None:  # noqa: F811
    with hooked(receiver, webhook_format="cloudevents") as emulator:
        qbo = emulator.connect()
        survivor = qbo.create("Customer", {"DisplayName": "Keep"})
        merged = qbo.create("Customer", {"DisplayName": "Dupe"})
        flush(emulator)
        receiver.received.clear()
        emulator.admin("customers/merge", {"id": merged["Id"], "into": survivor["Id"]})
        flush(emulator)
    events = [e for _, body in receiver.received for e in jsonio.loads(body)]
    assert [(e["type"], e["intuitentityid"], e["data"]) for e in events] == [
        ("qbo.customer.merged.v1", survivor["Id"], {"deletedid": merged["Id"]})]
