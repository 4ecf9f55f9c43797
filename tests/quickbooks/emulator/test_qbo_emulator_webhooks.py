"""Webhook delivery: signatures, both formats, retries, duplicates and reordering."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import pytest
from qbo_emulator_kit import REALM, Emulator, jsonio, running_emulator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ml_connector.connectors.quickbooks.emulator import sign
from ml_connector.engine.testing.servers import serve_in_thread

VERIFIER = "verifier-token-fake123"


@dataclass
class Receiver:
    """A webhook endpoint that records deliveries and fails the first `failures` ones."""

    url: str = ""
    failures: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.received.append((dict(request.headers), body))
            status = 500 if self.failures > 0 else 200
            self.failures -= 1
            self.statuses.append(status)
        return Response(status_code=status)

    def bodies(self) -> list[object]:
        return [jsonio.loads(body) for _, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    target = Receiver()
    app = Starlette(routes=[Route("/hook", target.endpoint, methods=["POST"])])
    with serve_in_thread(app) as server:
        target.url = f"{server.url}/hook"
        yield target


def hooked(receiver: Receiver, **options: object) -> AbstractContextManager[Emulator]:
    settings = {"webhook_url": receiver.url, "verifier_token": VERIFIER,
                "webhook_retry_scale": 0.001, "webhook_batch_seconds": 0.05, **options}
    return running_emulator(**settings)


def flush(emulator: Emulator) -> None:
    assert emulator.admin("webhooks/flush")["flushed"]


def test_classic_notifications_are_signed_with_the_verifier_token(receiver: Receiver) -> None:
    with hooked(receiver) as emulator:
        created = emulator.connect().create("Customer", {"DisplayName": "Hooked"})
        flush(emulator)
    headers, body = receiver.received[0]
    assert headers["intuit-signature"] == sign(VERIFIER, body)
    assert headers["intuit-signature"] != sign("another-token", body)
    assert headers["content-type"] == "application/json"
    notification = jsonio.loads(body)["eventNotifications"][0]
    assert notification["realmId"] == REALM
    entity = notification["dataChangeEvent"]["entities"][0]
    assert (entity["name"], entity["id"], entity["operation"]) == ("Customer", created["Id"],
                                                                   "Create")
    assert entity["lastUpdated"].endswith("Z")


def test_cloudevents_notifications_carry_type_ids_and_realm(receiver: Receiver) -> None:
    with hooked(receiver, webhook_format="cloudevents") as emulator:
        qbo = emulator.connect()
        created = qbo.create("Customer", {"DisplayName": "Cloudy"})
        qbo.create("Customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True,
                                "Notes": "changed"})
        flush(emulator)
    events = [event for body in receiver.bodies() for event in body]
    headers, body = receiver.received[0]
    assert headers["content-type"] == "application/cloudevents+json"
    assert headers["intuit-signature"] == sign(VERIFIER, body)
    assert [e["type"] for e in events] == ["qbo.customer.created.v1", "qbo.customer.updated.v1"]
    assert {e["intuitentityid"] for e in events} == {created["Id"]}
    assert {e["intuitaccountid"] for e in events} == {REALM}
    assert len({e["id"] for e in events}) == 2


def test_a_payment_announces_the_invoice_it_changed(receiver: Receiver) -> None:
    with hooked(receiver) as emulator:
        qbo = emulator.connect()
        customer = qbo.create("Customer", {"DisplayName": "Payer"})
        item = qbo.find_one("Item", "Name", "Services")["Id"]
        invoice = qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [
            {"DetailType": "SalesItemLineDetail", "Amount": 10,
             "SalesItemLineDetail": {"ItemRef": {"value": item}}}]})
        flush(emulator)
        receiver.received.clear()
        qbo.create("Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 10,
                               "Line": [{"Amount": 10, "LinkedTxn": [
                                   {"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
        flush(emulator)
    entities = [e for body in receiver.bodies()
                for e in body["eventNotifications"][0]["dataChangeEvent"]["entities"]]
    assert {(e["name"], e["operation"]) for e in entities} == {("Payment", "Create"),
                                                               ("Invoice", "Update")}


def test_applying_a_credit_memo_announces_it_and_the_invoice(receiver: Receiver) -> None:
    with hooked(receiver) as emulator:
        qbo = emulator.connect()
        customer = qbo.create("Customer", {"DisplayName": "Credited"})["Id"]
        item = qbo.find_one("Item", "Name", "Services")["Id"]
        lines = [{"DetailType": "SalesItemLineDetail", "Amount": 10,
                  "SalesItemLineDetail": {"ItemRef": {"value": item}}}]
        invoice = qbo.create("Invoice", {"CustomerRef": {"value": customer}, "Line": lines})
        memo = qbo.create("CreditMemo", {"CustomerRef": {"value": customer}, "Line": lines})
        flush(emulator)
        receiver.received.clear()
        qbo.create("Payment", {"CustomerRef": {"value": customer}, "TotalAmt": 0, "Line": [
            {"Amount": 4, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
            {"Amount": 4, "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]}]})
        flush(emulator)
    entities = [e for body in receiver.bodies()
                for e in body["eventNotifications"][0]["dataChangeEvent"]["entities"]]
    changed = {(e["name"], e["operation"]): e["id"] for e in entities}
    assert set(changed) == {("Payment", "Create"), ("Invoice", "Update"),
                            ("CreditMemo", "Update")}
    assert (changed["Invoice", "Update"], changed["CreditMemo", "Update"]) == (
        invoice["Id"], memo["Id"])


def test_failed_deliveries_are_retried_until_acknowledged(receiver: Receiver) -> None:
    receiver.failures = 2
    with hooked(receiver) as emulator:
        emulator.connect().create("Customer", {"DisplayName": "Persistent"})
        flush(emulator)
        delivery = emulator.state.snapshot()["webhooks"]["deliveries"][0]
    assert receiver.statuses == [500, 500, 200]
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 200]
    assert delivery["delivered"] is True
    assert len({body for _, body in receiver.received}) == 1


def test_duplicate_delivery_fault_sends_the_same_body_again(receiver: Receiver) -> None:
    with hooked(receiver, faults={"webhook_duplicates": 2}) as emulator:
        emulator.connect().create("Customer", {"DisplayName": "Echo"})
        flush(emulator)
    assert len(receiver.received) == 3
    assert len({body for _, body in receiver.received}) == 1


def test_reorder_fault_delivers_newer_changes_first(receiver: Receiver) -> None:
    with hooked(receiver, webhook_batch_seconds=0.3,
                faults={"webhook_reorder": True}) as emulator:
        qbo = emulator.connect()
        ids = [qbo.create("Customer", {"DisplayName": f"Order {i}"})["Id"] for i in range(3)]
        flush(emulator)
    delivered = [body["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["id"]
                 for body in receiver.bodies()]
    assert sorted(delivered) == sorted(ids)
    assert delivered != ids


def test_nothing_is_sent_without_a_webhook_url() -> None:
    with running_emulator() as emulator:
        emulator.connect().create("Customer", {"DisplayName": "Quiet"})
        flush(emulator)
        assert emulator.state.snapshot()["webhooks"]["deliveries"] == []


def test_the_webhook_target_can_be_set_at_run_time(receiver: Receiver) -> None:
    with running_emulator(webhook_retry_scale=0.001) as emulator:
        emulator.admin("webhooks", {"url": receiver.url, "format": "cloudevents",
                                    "verifier_token": VERIFIER})
        emulator.connect().create("Customer", {"DisplayName": "Late binding"})
        flush(emulator)
    headers, body = receiver.received[0]
    assert headers["intuit-signature"] == sign(VERIFIER, body)
    assert isinstance(jsonio.loads(body), list)
