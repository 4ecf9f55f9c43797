"""Deactivating or merging a QuickBooks customer never deletes its Stripe customer.

Both emulators and the shipped pipelines: a deactivated customer is marked in Stripe and
unmarked when it comes back; a merge (delivered as QuickBooks' signed webhook, then through
the inbox) points the merged customer's link at the survivor's Stripe customer, so its
moved invoice and the survivor's new ones land there, and the merged Stripe customer is
kept, marked. A redelivered notification changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.engine.store.links import LinkState
from ml_connector.engine.sync.context import LinkLookup
from ml_connector.engine.sync.reconcile import reconcile
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.testing.servers import serve_in_thread
from ml_connector.engine.triggers.worker import InboxWorker

CUSTOMERS, INVOICES = "customers-to-stripe", "invoices-to-stripe"


class Receiver:
    """Stands in for `serve`'s webhook route: keeps each signed delivery as it came."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.deliveries.append((dict(request.headers), body))
        return Response(status_code=200)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Sandbox, Runtime, Receiver]]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])])
    with serve_in_thread(app) as server, Sandbox(tmp_path / "project") as sandbox:
        sandbox.connect_webhooks(server.url)
        sandbox.qbo_admin("webhooks", {"url": f"{server.url}/hook", "format": "classic"})
        runtime = sandbox.runtime()
        try:
            yield sandbox, runtime, receiver
        finally:
            runtime.close()


def _customer(runtime: Runtime, name: str) -> str:
    return runtime.connector("quickbooks").create(
        "Customer", {"DisplayName": name}, idempotency_key=f"test-{name}").id


def _invoice(runtime: Runtime, customer_id: str, amount: str, key: str) -> str:
    qbo = runtime.connector("quickbooks")
    item = qbo.find("Item", "Name", "Hours")[0].id
    return qbo.create("Invoice", {"CustomerRef": {"value": customer_id}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": Decimal(amount),
         "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1,
                                 "UnitPrice": Decimal(amount)}}]},
        idempotency_key=key).id


def _deliver(sandbox: Sandbox, runtime: Runtime, receiver: Receiver,
             entities: tuple[str, ...] = ("Customer", "Invoice")) -> int:
    """Hand what QuickBooks sent to the engine as `serve` does, then drain the inbox.

    Only notifications of `entities` are handed on (to hold some back, as a settle window
    or a slow delivery would); the rest are dropped.
    """
    assert sandbox.qbo_admin("webhooks/flush")["flushed"]
    with receiver.lock:
        deliveries, receiver.deliveries = receiver.deliveries, []
    stored = 0
    for headers, body in deliveries:
        for event in runtime.connector("quickbooks").parse_webhook(headers, body):
            if event.entity not in entities:
                continue
            stored += runtime.store.inbox.add(
                "quickbooks", event.event_id, event.entity, event.record_id, event.operation,
                {"account": event.account, "occurred_at": event.occurred_at,
                 "extra": dict(event.extra), "record": None})
    worker = InboxWorker(Runner(runtime, trigger="webhook"), threading.Event())
    while worker.drain_once():
        pass
    return stored


def _stripe_customer(sandbox: Sandbox, customer_id: str) -> dict[str, Any]:
    return sandbox.stripe_get(f"/v1/customers/{customer_id}")


def _merges(runtime: Runtime) -> list[Any]:
    return [e for e in runtime.store.audit.query(pipeline=CUSTOMERS, limit=None)
            if e.action == "merge"]


def _customer_deletes(sandbox: Sandbox) -> list[str]:
    requests = sandbox.stripe_get("/_emulator/requests")["requests"]
    return [r["path"] for r in requests
            if r["method"] == "DELETE" and r["path"].startswith("/v1/customers")]


def test_a_deactivated_customer_is_marked_and_unmarked_when_it_comes_back(
        world: tuple[Sandbox, Runtime, Receiver]) -> None:
    sandbox, runtime, _ = world
    qbo = runtime.connector("quickbooks")
    customer_id = _customer(runtime, "Dormant Traders")
    _invoice(runtime, customer_id, "80.00", "inv-dormant")
    Runner(runtime).run_all()
    stripe_id = runtime.store.links.get(CUSTOMERS, customer_id).target_id

    qbo.update("Customer", customer_id, {"Active": False})
    summary = Runner(runtime).run(CUSTOMERS)
    assert summary.counts["remove"] == 1
    marked = _stripe_customer(sandbox, stripe_id)
    assert not marked.get("deleted") and marked["metadata"]["qbo_active"] == "false"
    assert "qbo_deactivated_at" in marked["metadata"]
    assert Runner(runtime).run(CUSTOMERS, full=True).counts["remove"] == 0

    qbo.update("Customer", customer_id, {"Active": True})
    assert Runner(runtime).run(CUSTOMERS).counts["update"] == 1
    back = _stripe_customer(sandbox, stripe_id)
    assert "qbo_active" not in back["metadata"] and "qbo_deactivated_at" not in back["metadata"]
    assert runtime.store.links.get(CUSTOMERS, customer_id).state is LinkState.SYNCED
    assert _customer_deletes(sandbox) == []


def test_a_merge_repoints_the_link_and_keeps_both_stripe_customers(
        world: tuple[Sandbox, Runtime, Receiver]) -> None:
    sandbox, runtime, receiver = world
    survivor = _customer(runtime, "Harbour Foods Ltd")
    merged = _customer(runtime, "Harbour Foods Limited")
    old_invoice = _invoice(runtime, merged, "120.00", "inv-merged")
    Runner(runtime).run_all()
    links = runtime.store.links
    survivor_stripe = links.get(CUSTOMERS, survivor).target_id
    merged_stripe = links.get(CUSTOMERS, merged).target_id
    sandbox.stripe_post("/v1/payment_methods/pm_card_visa/attach", {"customer": merged_stripe})
    _deliver(sandbox, runtime, receiver)   # the creations' own notifications

    sandbox.qbo_admin("customers/merge", {"id": merged, "into": survivor})
    assert _deliver(sandbox, runtime, receiver) >= 2   # Merge, the moved invoice

    link = links.get(CUSTOMERS, merged)
    assert (link.state, link.target_id, link.merged_into) == (LinkState.MERGED, merged_stripe,
                                                              survivor)
    # What still names the merged customer (a late read, a payment) reaches the survivor.
    lookup = LinkLookup(runtime.store, runtime.pipelines)
    assert lookup.link(CUSTOMERS, merged) == survivor_stripe
    assert lookup.linked_source(CUSTOMERS, merged_stripe) == survivor
    kept = _stripe_customer(sandbox, merged_stripe)
    assert not kept.get("deleted") and kept["metadata"]["qbo_merged_into"] == survivor
    saved = sandbox.stripe_get(f"/v1/customers/{merged_stripe}/payment_methods")
    assert len(saved["data"]) == 1
    moved = links.get(INVOICES, old_invoice).target_id
    assert sandbox.stripe_get(f"/v1/invoices/{moved}")["customer"] == survivor_stripe

    new_invoice = _invoice(runtime, survivor, "45.00", "inv-after")
    Runner(runtime).run(INVOICES)
    created = links.get(INVOICES, new_invoice).target_id
    assert sandbox.stripe_get(f"/v1/invoices/{created}")["customer"] == survivor_stripe

    # The merged customer, inactive now, is skipped by every later run: nothing is removed.
    summary = Runner(runtime).run(CUSTOMERS, full=True)
    assert summary.counts["remove"] == 0 and summary.failed == 0
    assert _customer_deletes(sandbox) == []
    merges = _merges(runtime)
    assert [(e.source_ref, e.target_ref) for e in merges] == [
        (f"quickbooks/Customer/{merged}", f"stripe/customer/{survivor_stripe}")]
    assert (links.get(CUSTOMERS, merged).state, links.get(CUSTOMERS, survivor).state) == (
        LinkState.MERGED, LinkState.SYNCED)
    assert merged_stripe in merges[0].request_summary["reason"]


def test_a_redelivered_merge_changes_nothing(world: tuple[Sandbox, Runtime, Receiver]) -> None:
    sandbox, runtime, receiver = world
    survivor = _customer(runtime, "Quay Cafe")
    merged = _customer(runtime, "Quay Café")
    Runner(runtime).run(CUSTOMERS)
    _deliver(sandbox, runtime, receiver)
    sandbox.qbo_admin("customers/merge", {"id": merged, "into": survivor})
    assert sandbox.qbo_admin("webhooks/flush")["flushed"]
    delivery = list(receiver.deliveries)
    _deliver(sandbox, runtime, receiver)
    first = runtime.store.links.get(CUSTOMERS, merged)

    receiver.deliveries = delivery        # Intuit retries a delivery it thinks failed
    assert _deliver(sandbox, runtime, receiver) == 0   # same event ids: duplicates
    again = Runner(runtime).merge(CUSTOMERS, survivor, merged)
    assert again.action == "skip" and "already merged" in (again.reason or "")
    assert runtime.store.links.get(CUSTOMERS, merged) == first
    merges = _merges(runtime)
    assert len(merges) == 1


def test_a_payment_of_the_merged_customers_invoice_is_booked_to_the_survivor(
        world: tuple[Sandbox, Runtime, Receiver]) -> None:
    sandbox, runtime, receiver = world
    survivor = _customer(runtime, "Lark Studio")
    merged = _customer(runtime, "Lark Studios")
    invoice = _invoice(runtime, merged, "60.00", "inv-lark")
    Runner(runtime).run_all()
    _deliver(sandbox, runtime, receiver)
    stripe_invoice = runtime.store.links.get(INVOICES, invoice).target_id

    sandbox.qbo_admin("customers/merge", {"id": merged, "into": survivor})
    _deliver(sandbox, runtime, receiver, entities=("Customer",))   # the moved invoice waits
    # The customer pays the invoice Stripe still holds for the merged customer.
    sandbox.stripe_admin(f"invoices/{stripe_invoice}/pay", {})
    summary = Runner(runtime).run("payments-to-quickbooks")
    assert summary.counts["create"] == 1 and summary.failed == 0
    booked = sandbox.qbo_query(f"SELECT * FROM Payment WHERE CustomerRef = '{survivor}'")
    assert [p["Line"][0]["LinkedTxn"][0]["TxnId"] for p in booked] == [invoice]
    assert sandbox.qbo_query(f"SELECT * FROM Invoice WHERE Id = '{invoice}'")[0]["Balance"] \
        == 0


def test_a_paid_invoice_of_the_merged_customer_stays_where_it_was_paid(
        world: tuple[Sandbox, Runtime, Receiver]) -> None:
    sandbox, runtime, receiver = world
    survivor = _customer(runtime, "Fen Books")
    merged = _customer(runtime, "Fen Bookshop")
    invoice = _invoice(runtime, merged, "30.00", "inv-fen")
    Runner(runtime).run_all()
    stripe_invoice = runtime.store.links.get(INVOICES, invoice).target_id
    sandbox.stripe_admin(f"invoices/{stripe_invoice}/pay", {})
    Runner(runtime).run_all()
    _deliver(sandbox, runtime, receiver)

    sandbox.qbo_admin("customers/merge", {"id": merged, "into": survivor})
    _deliver(sandbox, runtime, receiver)
    summary = Runner(runtime).run(INVOICES, full=True)
    assert summary.failed == 0 and summary.counts["recreate"] == 0
    paid = sandbox.stripe_get(f"/v1/invoices/{stripe_invoice}")
    assert paid["status"] == "paid"
    assert paid["customer"] == runtime.store.links.get(CUSTOMERS, merged).target_id
    assert paid["metadata"]["qbo_customer_id"] == survivor
    failed = [e for e in runtime.store.audit.query(pipeline=INVOICES, limit=None)
              if e.outcome == "failed"]
    assert failed == []
    mismatches = [m for r in reconcile(runtime, [INVOICES]) for m in r.mismatches
                  if m.source_id == invoice]
    assert [m.detail for m in mismatches] == []
