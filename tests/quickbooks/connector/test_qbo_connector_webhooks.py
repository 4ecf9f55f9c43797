"""Webhooks through the connector: signatures checked before parsing, both formats read,
forged deliveries rejected, notifications of one record collapsed into one fetch."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from qbo_connector_kit import REALM, VERIFIER, Emulator, connector_for, grant_tokens
from qbo_connector_kit import running_emulator as emulator_with
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.connectors.quickbooks.webhooks import signature
from ml_connector.engine.plugins.protocol import WebhookRejected
from ml_connector.engine.store import Store
from ml_connector.engine.testing.servers import serve_in_thread


class Inbox:
    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []

    async def receive(self, request: Request) -> Response:
        self.deliveries.append((dict(request.headers), await request.body()))
        return Response(status_code=200)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    target = Inbox()
    app = Starlette(routes=[Route("/hook", target.receive, methods=["POST"])])
    with serve_in_thread(app) as server:
        yield target, f"{server.url}/hook"


@pytest.mark.parametrize("fmt", ["classic", "cloudevents"])
def test_emulator_deliveries_parse_into_events(inbox: tuple[Inbox, str], store: Store,
                                               fmt: str) -> None:
    target, url = inbox
    with emulator_with(webhook_url=url, webhook_format=fmt, verifier_token=VERIFIER,
                       webhook_retry_scale=0.001) as emulator:
        grant_tokens(emulator, store)
        connector = connector_for(emulator, store)
        created = connector.create("Customer", {"DisplayName": "Hooked"}, idempotency_key="k")
        connector.update("Customer", created.id, {"Notes": "changed"})
        assert emulator.admin("webhooks/flush")["flushed"]
    events = [e for headers, body in target.deliveries
              for e in connector.parse_webhook(headers, body)]
    assert {(e.entity, e.record_id, e.account) for e in events} == {
        ("Customer", created.id, REALM)}
    assert {e.operation for e in events} <= {"create", "update"}
    assert all(e.event_id for e in events)


def test_a_forged_or_unsigned_delivery_is_rejected(connector: QuickBooksConnector) -> None:
    body = json.dumps({"eventNotifications": [{"realmId": REALM, "dataChangeEvent": {
        "entities": [{"name": "Invoice", "id": "1", "operation": "Update"}]}}]}).encode()
    forged = signature("someone-elses-token", body)
    with pytest.raises(WebhookRejected) as caught:
        connector.parse_webhook({"intuit-signature": forged}, body)
    assert caught.value.status == 401
    with pytest.raises(WebhookRejected) as unsigned:
        connector.parse_webhook({}, body)
    assert unsigned.value.status == 401
    tampered = body.replace(b'"1"', b'"2"')
    with pytest.raises(WebhookRejected):
        connector.parse_webhook({"intuit-signature": signature(VERIFIER, body)}, tampered)


def test_without_a_verifier_token_nothing_is_accepted(emulator: Emulator, store: Store) -> None:
    grant_tokens(emulator, store)
    connector = connector_for(emulator, store, webhook_verifier_token=None)
    body = b"[]"
    with pytest.raises(WebhookRejected) as caught:
        connector.parse_webhook({"intuit-signature": signature(VERIFIER, body)}, body)
    assert caught.value.status == 403


def signed(body: object) -> tuple[dict[str, str], bytes]:
    raw = json.dumps(body).encode()
    return {"Intuit-Signature": signature(VERIFIER, raw)}, raw


def test_notifications_of_one_record_collapse_and_other_realms_are_ignored(
        connector: QuickBooksConnector) -> None:
    headers, body = signed({"eventNotifications": [
        {"realmId": REALM, "dataChangeEvent": {"entities": [
            {"name": "Invoice", "id": "130", "operation": "Create",
             "lastUpdated": "2026-07-01T16:20:31.000Z"},
            {"name": "Invoice", "id": "130", "operation": "Update",
             "lastUpdated": "2026-07-01T16:20:35.000Z"},
            {"name": "Customer", "id": "27", "operation": "Merge",
             "lastUpdated": "2026-07-01T16:21:02.000Z", "deletedId": "31"}]}},
        {"realmId": "1111", "dataChangeEvent": {"entities": [
            {"name": "Invoice", "id": "9", "operation": "Update"}]}}]})
    events = connector.parse_webhook(headers, body)
    summary = sorted((e.entity, e.record_id, e.operation) for e in events)
    assert summary == [("Customer", "27", "merge"), ("Customer", "31", "delete"),
                       ("Invoice", "130", "update")]
    again = connector.parse_webhook(headers, body)
    assert sorted(e.event_id for e in again) == sorted(e.event_id for e in events)


def test_cloudevents_carry_their_own_ids(connector: QuickBooksConnector) -> None:
    headers, body = signed([
        {"specversion": "1.0", "id": "88cd52aa", "source": "intuit.x",
         "type": "qbo.invoice.voided.v1", "time": "2026-07-01T16:20:31.179851517Z",
         "intuitentityid": "130", "intuitaccountid": REALM},
        {"specversion": "1.0", "id": "99aa", "source": "intuit.x",
         "type": "qbo.customer.merged.v1", "time": "2026-07-01T16:20:32Z",
         "intuitentityid": "27", "intuitaccountid": REALM, "data": {"deletedid": "31"}}])
    events = {(e.entity, e.record_id): e for e in connector.parse_webhook(headers, body)}
    assert events[("Invoice", "130")].event_id == "88cd52aa"
    assert events[("Invoice", "130")].operation == "void"
    assert events[("Customer", "27")].extra == {"deleted_id": "31"}
    assert events[("Customer", "31")].operation == "delete"


@pytest.mark.parametrize("payload", [b"not json", b'{"something": "else"}', b'[{"id": "x"}]'])
def test_signed_but_malformed_deliveries_are_400(connector: QuickBooksConnector,
                                                 payload: bytes) -> None:
    with pytest.raises(WebhookRejected) as caught:
        connector.parse_webhook({"intuit-signature": signature(VERIFIER, payload)}, payload)
    assert caught.value.status == 400
