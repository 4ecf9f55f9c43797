"""CDC (window, deletes, 1,000-object cap, cursor) and batch (limits, per-item faults)."""

from __future__ import annotations

from datetime import datetime, timedelta

from qbo_emulator_kit import REALM, Emulator, QboClient, fault_of

from ml_connector.connectors.quickbooks.emulator.entities import RULES
from ml_connector.connectors.quickbooks.emulator.writes import create


def cdc(qbo: QboClient, since: str, entities: str = "Customer,Invoice") -> list[dict]:
    return qbo.ok(qbo.get("cdc", entities=entities, changedSince=since))["CDCResponse"][0][
        "QueryResponse"]


def test_cdc_returns_only_what_changed_after_the_cursor(emulator: Emulator,
                                                        qbo: QboClient) -> None:
    qbo.create("Customer", {"DisplayName": "Before"})
    emulator.admin("clock", {"advance_seconds": 5})
    since = emulator.state.clock.server_time()
    emulator.admin("clock", {"advance_seconds": 5})
    qbo.create("Customer", {"DisplayName": "After"})
    items = cdc(qbo, since)
    assert [[c["DisplayName"] for c in item["Customer"]] for item in items] == [["After"]]


def test_the_answer_time_is_a_cursor_that_misses_nothing(emulator: Emulator,
                                                         qbo: QboClient) -> None:
    first = qbo.ok(qbo.get("cdc", entities="Customer",
                           changedSince=emulator.state.clock.server_time()))
    created = qbo.create("Customer", {"DisplayName": "Next"})
    items = cdc(qbo, first["time"], "Customer")
    assert [c["Id"] for c in items[0]["Customer"]] == [created["Id"]]


def test_deleted_objects_come_after_live_ones_as_tombstones(emulator: Emulator,
                                                            qbo: QboClient) -> None:
    since = emulator.state.clock.server_time()
    customer = qbo.create("Customer", {"DisplayName": "Owner"})
    item = qbo.find_one("Item", "Name", "Services")["Id"]
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 5,
         "SalesItemLineDetail": {"ItemRef": {"value": item}}}]}
    doomed, kept = qbo.create("Invoice", body), qbo.create("Invoice", body)
    qbo.post("invoice", {"Id": doomed["Id"], "SyncToken": "0"}, operation="delete")
    items = cdc(qbo, since, "Invoice")
    invoices = items[0]["Invoice"]
    assert invoices[0]["Id"] == kept["Id"] and "status" not in invoices[0]
    assert invoices[1] == {"domain": "QBO", "status": "Deleted", "Id": doomed["Id"],
                           "MetaData": {"LastUpdatedTime": invoices[1]["MetaData"][
                               "LastUpdatedTime"]}}


def test_entities_without_changes_are_absent(emulator: Emulator, qbo: QboClient) -> None:
    since = emulator.state.clock.server_time()
    qbo.create("Customer", {"DisplayName": "Only customers changed"})
    items = cdc(qbo, since, "Invoice,Customer,Payment")
    assert [next(iter(item)) for item in items] == ["Customer"]


def test_cdc_refuses_a_cursor_older_than_30_days(emulator: Emulator, qbo: QboClient) -> None:
    now = datetime.fromisoformat(emulator.state.clock.server_time())
    inside = (now - timedelta(days=29, hours=23)).isoformat()
    assert qbo.get("cdc", entities="Customer", changedSince=inside).status_code == 200
    outside = (now - timedelta(days=30, minutes=1)).isoformat()
    response = qbo.get("cdc", entities="Customer", changedSince=outside)
    assert response.status_code == 400
    assert "older than" in fault_of(response)["Detail"]


def test_cdc_refuses_unknown_entities_and_missing_parameters(qbo: QboClient) -> None:
    assert qbo.get("cdc", entities="Widget", changedSince="2026-01-01").status_code == 400
    assert fault_of(qbo.get("cdc", changedSince="2026-01-01"))["code"] == "2020"


def test_cdc_answers_at_most_1000_objects_oldest_first(emulator: Emulator,
                                                       qbo: QboClient) -> None:
    since = emulator.state.clock.server_time()
    with emulator.state.lock:
        ledger = emulator.state.ledger(REALM)
        rules = RULES["Customer"]
        for index in range(1005):
            create(ledger, rules, {"DisplayName": f"Bulk {index:04d}"})
    customers = cdc(qbo, since, "Customer")[0]["Customer"]
    assert len(customers) == 1000
    assert customers[0]["DisplayName"] == "Bulk 0000"
    assert customers[-1]["DisplayName"] == "Bulk 0999"


def test_batch_items_succeed_and_fail_independently(qbo: QboClient) -> None:
    existing = qbo.create("Customer", {"DisplayName": "Taken"})
    answer = qbo.ok(qbo.post("batch", {"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Fresh"}},
        {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Taken"}},
        {"bId": "3", "operation": "update", "Customer": {
            "Id": existing["Id"], "SyncToken": "0", "sparse": True, "Notes": "ok"}},
        {"bId": "4", "operation": "update", "Customer": {
            "Id": existing["Id"], "SyncToken": "0", "sparse": True, "Notes": "stale"}},
        {"bId": "5", "Query": "SELECT COUNT(*) FROM Customer WHERE DisplayName = 'Fresh'"},
    ]}))["BatchItemResponse"]
    by_id = {item["bId"]: item for item in answer}
    assert by_id["1"]["Customer"]["DisplayName"] == "Fresh"
    assert by_id["2"]["Fault"]["Error"][0]["code"] == "6240"
    assert by_id["3"]["Customer"]["SyncToken"] == "1"
    assert by_id["4"]["Fault"]["Error"][0]["code"] == "5010"
    assert by_id["5"]["QueryResponse"] == {"totalCount": 1}


def test_batch_void_uses_options_data(qbo: QboClient) -> None:
    customer = qbo.create("Customer", {"DisplayName": "Voider"})
    payment = qbo.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 5})
    answer = qbo.ok(qbo.post("batch", {"BatchItemRequest": [
        {"bId": "v", "operation": "update", "optionsData": "void",
         "Payment": {"Id": payment["Id"], "SyncToken": "0", "sparse": True}}]}))
    assert answer["BatchItemResponse"][0]["Payment"]["TotalAmt"] == 0


def test_batch_refuses_more_than_30_items_and_bad_bids(qbo: QboClient) -> None:
    items = [{"bId": str(i), "Query": "SELECT * FROM Item"} for i in range(31)]
    assert qbo.post("batch", {"BatchItemRequest": items}).status_code == 400
    assert qbo.post("batch", {"BatchItemRequest": items[:30]}).status_code == 200
    twice = [{"bId": "same", "Query": "SELECT * FROM Item"}] * 2
    assert qbo.post("batch", {"BatchItemRequest": twice}).status_code == 400
    long_bid = [{"bId": "b" * 11, "Query": "SELECT * FROM Item"}]
    assert qbo.post("batch", {"BatchItemRequest": long_bid}).status_code == 400


def test_batch_requestid_is_limited_to_36_characters(qbo: QboClient) -> None:
    body = {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Item"}]}
    assert qbo.post("batch", body, requestid="r" * 36).status_code == 200
    assert fault_of(qbo.post("batch", body, requestid="r" * 37))["code"] == "2050"
