"""Reading and writing through the connector: ids, idempotent creates, SyncToken recovery,
sparse updates, removal modes, matching with escaping, classified errors, batch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from qbo_connector_kit import REALM, Emulator, connector_for

from ml_connector.connectors.quickbooks.batching import BatchWrite
from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.engine.errors import ConflictError, PermanentError, RetryableError
from ml_connector.engine.store import Store


def invoice_body(connector: QuickBooksConnector, customer_id: str,
                 amount: str = "150.00") -> dict[str, Any]:
    item = connector.find("Item", "Name", "Services")[0].id
    return {"CustomerRef": {"value": customer_id}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": Decimal(amount),
         "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1,
                                 "UnitPrice": Decimal(amount)}}]}


def test_create_and_get_round_trip_with_exact_money(connector: QuickBooksConnector) -> None:
    customer = connector.create("Customer", {"DisplayName": "Zoë Café"}, idempotency_key="k1")
    assert customer.version == "0" and customer.request_ids
    invoice = connector.create("Invoice", invoice_body(connector, customer.id, "0.10"),
                               idempotency_key="k2")
    fetched = connector.get("Invoice", invoice.id)
    assert fetched is not None and fetched.data["TotalAmt"] == Decimal("0.10")
    assert isinstance(fetched.data["TotalAmt"], Decimal)
    assert connector.get("Invoice", "999999") is None


def test_the_same_idempotency_key_creates_once(connector: QuickBooksConnector,
                                               emulator: Emulator) -> None:
    first = connector.create("Customer", {"DisplayName": "Once"}, idempotency_key="mlc:c:1")
    again = connector.create("Customer", {"DisplayName": "Once"}, idempotency_key="mlc:c:1")
    assert again.id == first.id
    assert len(connector.find("Customer", "DisplayName", "Once")) == 1


def test_a_create_whose_answer_was_lost_is_applied_once(connector: QuickBooksConnector,
                                                        emulator: Emulator) -> None:
    emulator.admin("faults", {"rate_drop": 1.0, "drop_after_apply": True})
    with pytest.raises(RetryableError):
        connector.create("Customer", {"DisplayName": "Lost answer"}, idempotency_key="mlc:x")
    emulator.admin("faults", {})
    created = connector.create("Customer", {"DisplayName": "Lost answer"},
                               idempotency_key="mlc:x")
    assert [r.id for r in connector.find("Customer", "DisplayName", "Lost answer")] == [
        created.id]


def test_transient_faults_are_retried(connector: QuickBooksConnector,
                                      emulator: Emulator) -> None:
    emulator.admin("faults", {"rate_5xx": 0.5, "rate_429": 0.2, "seed": 7})
    for index in range(6):
        connector.create("Customer", {"DisplayName": f"Retried {index}"},
                         idempotency_key=f"mlc:r:{index}")
    emulator.admin("faults", {})
    rows = connector.find("Customer", "DisplayName", "Retried 5")
    assert len(rows) == 1
    assert emulator.state.snapshot()["requests"]["POST customer"] > 6


def test_update_is_sparse_and_recovers_from_a_stale_sync_token(
        connector: QuickBooksConnector, emulator: Emulator, store: Store) -> None:
    created = connector.create("Customer", {"DisplayName": "Sparse", "Notes": "keep"},
                               idempotency_key="k")
    other = connector_for(emulator, store)
    other.update("Customer", created.id, {"CompanyName": "Changed elsewhere"})
    updated = connector.update("Customer", created.id, {"GivenName": "Ana"})
    assert updated.version == "2"
    assert updated.data["Notes"] == "keep"
    assert updated.data["CompanyName"] == "Changed elsewhere"
    assert updated.data["GivenName"] == "Ana"


class ConcurrentEditor(httpx.HTTPTransport):
    """Before every update of the customer, someone else updates it first."""

    def __init__(self, other: QuickBooksConnector, record_id: str):
        super().__init__()
        self.other, self.record_id, self.sent = other, record_id, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/customer") \
                and b'"sparse":true' in request.content:
            self.sent += 1
            self.other.update("Customer", self.record_id, {"Notes": f"other {self.sent}"})
        return super().handle_request(request)


def test_an_update_that_keeps_losing_is_a_conflict(connector: QuickBooksConnector,
                                                   emulator: Emulator, store: Store) -> None:
    created = connector.create("Customer", {"DisplayName": "Contested"}, idempotency_key="k")
    editor = ConcurrentEditor(connector_for(emulator, store), created.id)
    contested = connector_for(emulator, store, transport=editor)
    with pytest.raises(ConflictError, match="kept changing"):
        contested.update("Customer", created.id, {"GivenName": "Mine"})
    assert editor.sent == 2


def test_removal_modes(connector: QuickBooksConnector) -> None:
    customer = connector.create("Customer", {"DisplayName": "Leaving"}, idempotency_key="k1")
    body = invoice_body(connector, customer.id)
    invoice = connector.create("Invoice", body, idempotency_key="k2")
    payment = connector.create("Payment", {
        "CustomerRef": {"value": customer.id}, "TotalAmt": Decimal("150.00"),
        "Line": [{"Amount": Decimal("150.00"),
                  "LinkedTxn": [{"TxnId": invoice.id, "TxnType": "Invoice"}]}]},
        idempotency_key="k3")
    voided = connector.remove("Payment", payment.id, mode="void")
    assert voided is not None and voided.data["TotalAmt"] == 0
    reopened = connector.get("Invoice", invoice.id)
    assert reopened is not None and reopened.data["Balance"] == Decimal("150.00")
    void_invoice = connector.remove("Invoice", invoice.id, mode="void")
    assert void_invoice is not None and void_invoice.data["TotalAmt"] == 0
    doomed = connector.create("Invoice", body, idempotency_key="k4")
    deleted = connector.remove("Invoice", doomed.id, mode="delete")
    assert deleted is not None and deleted.deleted
    assert connector.get("Invoice", doomed.id) is None
    assert connector.remove("Invoice", doomed.id, mode="delete") is None
    inactive = connector.remove("Customer", customer.id, mode="deactivate")
    assert inactive is not None and inactive.data["Active"] is False
    with pytest.raises(PermanentError, match="deactivate"):
        connector.remove("Customer", customer.id, mode="delete")


@pytest.mark.parametrize("name", ["O'Brien Plumbing", "Back\\Slash Ltd", "x' OR '1'='1",
                                  "100% Organic", "株式会社サクラ"])
def test_find_escapes_values(connector: QuickBooksConnector, name: str) -> None:
    decoy = connector.create("Customer", {"DisplayName": "Decoy"}, idempotency_key="d")
    created = connector.create("Customer", {"DisplayName": name}, idempotency_key="n")
    found = connector.find("Customer", "DisplayName", name)
    assert [r.id for r in found] == [created.id]
    assert decoy.id not in [r.id for r in found]


def test_find_sees_inactive_customers_and_matches_email(connector: QuickBooksConnector) -> None:
    created = connector.create("Customer", {"DisplayName": "Dormant",
                                            "PrimaryEmailAddr": {"Address": "d@x.example"}},
                               idempotency_key="k")
    connector.remove("Customer", created.id, mode="deactivate")
    assert [r.id for r in connector.find("Customer", "DisplayName", "Dormant")] == [created.id]
    by_mail = connector.find("Customer", "PrimaryEmailAddr.Address", "d@x.example")
    assert [r.id for r in by_mail] == [created.id]


def test_find_refuses_fields_qbo_cannot_filter(connector: QuickBooksConnector) -> None:
    with pytest.raises(PermanentError, match="cannot be matched on 'Notes'"):
        connector.find("Customer", "Notes", "x")


def test_errors_are_classified_with_useful_messages(connector: QuickBooksConnector) -> None:
    connector.create("Customer", {"DisplayName": "Taken"}, idempotency_key="k1")
    with pytest.raises(PermanentError) as caught:
        connector.create("Customer", {"DisplayName": "Taken"}, idempotency_key="k2")
    assert caught.value.code == "6240" and "already uses this name" in str(caught.value)
    assert caught.value.request_id  # the intuit_tid, for a support ticket
    with pytest.raises(PermanentError, match="unknown QuickBooks entity 'Widget'"):
        connector.get("Widget", "1")


def test_a_write_referring_to_a_missing_record_is_permanent_not_not_found(
        connector: QuickBooksConnector) -> None:
    from ml_connector.engine.errors import NotFoundError

    with pytest.raises(PermanentError) as caught:
        connector.create("Invoice", invoice_body(connector, "424242"), idempotency_key="k")
    assert not isinstance(caught.value, NotFoundError)


def test_batch_writes_go_30_at_a_time_and_fail_per_item(connector: QuickBooksConnector,
                                                        emulator: Emulator) -> None:
    connector.create("Customer", {"DisplayName": "Batch 7"}, idempotency_key="pre")
    writes = [BatchWrite({"DisplayName": f"Batch {i}"}, f"mlc:b:{i}") for i in range(35)]
    results = connector.write_batch("Customer", writes)
    assert len(results) == 35
    failed = [i for i, r in enumerate(results) if isinstance(r, Exception)]
    assert failed == [7]
    assert isinstance(results[7], PermanentError) and results[7].code == "6240"
    assert emulator.state.snapshot()["requests"]["POST batch"] == 2
    names = {r.data["DisplayName"] for r in results if not isinstance(r, Exception)}
    assert "Batch 34" in names


def test_connector_uses_the_realm_of_its_tokens(connector: QuickBooksConnector) -> None:
    assert connector.realm_id() == REALM
