"""The emulator answers with the shapes of the API reference's own JSON examples.

Each test replays the request of one example (ids mapped to the emulator's objects) and
compares the answer field by field with the transcribed example in
`fixtures/reference_examples.json`.
"""

from __future__ import annotations

import copy
from typing import Any

from qbo_emulator_kit import (
    EXAMPLES,
    REALM,
    Emulator,
    QboClient,
    assert_like_example,
    authorize,
    jsonio,
    token_request,
)

from ml_connector.connectors.quickbooks.emulator.events import ChangeEvent
from ml_connector.connectors.quickbooks.emulator.webhooks import classic_body, cloudevents_body


def check(name: str, actual: Any) -> None:
    example = EXAMPLES[name]
    assert_like_example(example["response"], actual, example["vary"])


def make_invoice(qbo: QboClient) -> tuple[dict[str, Any], dict[str, Any]]:
    customer = qbo.create("Customer", EXAMPLES["customer_create"]["request"])
    body = copy.deepcopy(EXAMPLES["invoice_create"]["request"])
    body["CustomerRef"]["value"] = customer["Id"]
    body["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] = \
        qbo.find_one("Item", "Name", "Services")["Id"]
    response = qbo.ok(qbo.post("invoice", body))
    return customer, response


def test_customer_create_answers_like_the_reference(qbo: QboClient) -> None:
    response = qbo.ok(qbo.post("customer", EXAMPLES["customer_create"]["request"]))
    check("customer_create", response)


def test_invoice_create_answers_like_the_reference(qbo: QboClient) -> None:
    _, response = make_invoice(qbo)
    check("invoice_create", response)


def test_sparse_update_answers_like_the_reference(qbo: QboClient) -> None:
    _, created = make_invoice(qbo)
    invoice = created["Invoice"]
    for note in ("first", "second"):  # bring SyncToken to "2" as in the example
        invoice = qbo.create("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"],
                                         "sparse": True, "PrivateNote": note})
    body = dict(EXAMPLES["invoice_sparse_update"]["request"], Id=invoice["Id"])
    check("invoice_sparse_update", qbo.ok(qbo.post("invoice", body)))


def test_payment_create_and_delete_answer_like_the_reference(qbo: QboClient) -> None:
    customer, created = make_invoice(qbo)
    body = copy.deepcopy(EXAMPLES["payment_create"]["request"])
    body["CustomerRef"]["value"] = customer["Id"]
    body["Line"][0]["LinkedTxn"][0]["TxnId"] = created["Invoice"]["Id"]
    body["DepositToAccountRef"]["value"] = qbo.find_one("Account", "Name", "Checking")["Id"]
    payment = qbo.ok(qbo.post("payment", body))
    check("payment_create", payment)
    deleted = qbo.post("payment", {"Id": payment["Payment"]["Id"], "SyncToken": "0"},
                       operation="delete")
    check("payment_delete", qbo.ok(deleted))


def test_query_answers_like_the_reference(qbo: QboClient) -> None:
    qbo.create("Customer", EXAMPLES["customer_create"]["request"])
    check("query", {**qbo.ok(qbo.get(
        "query", query="SELECT * FROM Customer WHERE DisplayName = 'Acme Widgets Ltd'"))})
    check("query_no_match", qbo.ok(qbo.get(
        "query", query="SELECT * FROM Customer WHERE DisplayName = 'Nobody'")))
    check("query_count", qbo.ok(qbo.get("query", query="SELECT COUNT(*) FROM Customer")))


def test_cdc_answers_like_the_reference(emulator: Emulator, qbo: QboClient) -> None:
    since = emulator.state.clock.server_time()
    customer, created = make_invoice(qbo)
    invoice = created["Invoice"]
    for _ in range(3):
        customer = qbo.create("Customer", {"Id": customer["Id"],
                                           "SyncToken": customer["SyncToken"], "sparse": True,
                                           "Notes": "touched"})
    paid = qbo.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 150,
                                  "Line": [{"Amount": 150, "LinkedTxn": [
                                      {"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
    assert paid["UnappliedAmt"] == 0
    doomed = qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]},
                                    "Line": invoice["Line"][:1]})
    qbo.post("invoice", {"Id": doomed["Id"], "SyncToken": "0"}, operation="delete")
    answer = qbo.ok(qbo.get("cdc", entities="Customer,Invoice", changedSince=since))
    check("cdc", answer)


def test_batch_answers_like_the_reference(qbo: QboClient) -> None:
    _, created = make_invoice(qbo)
    body = copy.deepcopy(EXAMPLES["batch"]["request"])
    body["BatchItemRequest"][1]["Invoice"]["Id"] = created["Invoice"]["Id"]
    check("batch", qbo.ok(qbo.post("batch", body)))
    delete = {"BatchItemRequest": [{"bId": "b3", "operation": "delete", "Invoice": {
        "Id": created["Invoice"]["Id"], "SyncToken": "0"}}]}
    check("batch_delete_item", qbo.ok(qbo.post("batch", delete))["BatchItemResponse"][0])


def test_duplicate_name_fault_answers_like_the_reference(qbo: QboClient) -> None:
    qbo.create("Customer", {"DisplayName": "Acme Widgets Ltd"})
    response = qbo.post("customer", {"DisplayName": "Acme Widgets Ltd"})
    assert response.status_code == 400
    check("fault_duplicate_name", jsonio.loads(response.content))


def test_token_answers_like_the_reference(emulator: Emulator) -> None:
    callback = authorize(emulator.url)
    response = token_request(emulator.url, {"grant_type": "authorization_code",
                                            "code": callback["code"],
                                            "redirect_uri": "http://127.0.0.1:8765/callback"})
    check("token", response.json())
    bad = token_request(emulator.url, {"grant_type": "refresh_token", "refresh_token": "nope"})
    assert bad.status_code == 400
    check("token_error", bad.json())


def test_webhook_payloads_look_like_the_reference() -> None:
    event = ChangeEvent(REALM, "Invoice", "130", "Update", "2026-07-01T09:20:31-07:00")
    check("webhook_classic", classic_body(REALM, [event])[0])
    check("webhook_cloudevents", cloudevents_body(REALM, [event])[0])
