"""Money that reaches Stripe without a QuickBooks invoice is booked in QuickBooks, once.

A Checkout sale by a customer new to both systems becomes one QuickBooks customer and one
sales receipt, whatever crashes in between; that customer is then the one pair both
directions keep in step. A subscription renewal billed in Stripe becomes a receipt with the
invoice's lines; a refund of a sale is booked for the same customer. Both emulators, the
shipped pipelines; the Stripe contract checks every request the runs send.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from ml_connector.connectors.qbo_stripe.checks import invariant_problems
from ml_connector.connectors.qbo_stripe.sandbox import QBO_REALM, Sandbox, SandboxOptions
from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.engine.errors import RetryableError
from ml_connector.engine.loading.project_loader import shipped_pipelines_dir
from ml_connector.engine.store.intents import IntentRepository
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.replay import Replay
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime

SALES, INVOICE_SALES = "stripe-sales-to-quickbooks", "stripe-invoice-sales-to-quickbooks"
NEW_CUSTOMERS, CUSTOMERS, REFUNDS = ("stripe-customers-to-quickbooks", "customers-to-stripe",
                                     "refunds-to-quickbooks")
EMAIL = "bookings@harbour.example"


class Crash(BaseException):
    """Stands for the process dying: nothing the engine may catch and handle."""


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(tmp_path / "project", SandboxOptions(seed_quickbooks=False)) as box:
        yield box


def checkout(sandbox: Sandbox, amount: int = 4999) -> dict[str, Any]:
    """A Checkout page's calls: the buyer becomes a Stripe customer, then pays."""
    customer = sandbox.stripe_post("/v1/customers", {"name": "Harbour Lights: Events",
                                                     "email": EMAIL})
    return sandbox.stripe_post("/v1/payment_intents", {
        "amount": amount, "currency": "usd", "customer": customer["id"],
        "description": "Workshop ticket", "payment_method": "pm_card_visa", "confirm": "true"})


def qbo_write(sandbox: Sandbox, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    """A bookkeeper's edit in QuickBooks, made with a token of the emulator's own."""
    token = sandbox.qbo_admin("connect", {"realm_id": QBO_REALM})["access_token"]
    reply = httpx.post(f"{sandbox.qbo_url}/v3/company/{QBO_REALM}/{entity.lower()}",
                       params={"minorversion": 75}, json=body, timeout=30,
                       headers={"Authorization": f"Bearer {token}",
                                "Accept": "application/json"})
    reply.raise_for_status()
    return reply.json()[entity]


def receipts(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.qbo_query("SELECT * FROM SalesReceipt")


def customers_named(sandbox: Sandbox, email: str = EMAIL) -> list[dict[str, Any]]:
    return [c for c in sandbox.qbo_query("SELECT * FROM Customer")
            if c.get("PrimaryEmailAddr", {}).get("Address") == email]


def run(sandbox: Sandbox, *names: str) -> list[Any]:
    runtime = sandbox.runtime()
    try:
        return [Runner(runtime).run(name) for name in names]
    finally:
        runtime.close()


def assert_one_sale(sandbox: Sandbox, pi: dict[str, Any]) -> dict[str, Any]:
    (receipt,) = receipts(sandbox)
    (customer,) = customers_named(sandbox)
    assert receipt["DocNumber"] == pi["id"][-21:]
    assert Decimal(str(receipt["TotalAmt"])) == Decimal("49.99")
    assert receipt["CurrencyRef"]["value"] == "USD"
    assert receipt["CustomerRef"]["value"] == customer["Id"]
    assert customer["DisplayName"] == "Harbour Lights - Events"
    (line,) = [ln for ln in receipt["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    assert line["Description"] == "Workshop ticket"
    assert line["SalesItemLineDetail"]["ItemRef"]["name"] == "Services"
    return receipt


def test_a_checkout_sale_by_a_new_customer_is_one_receipt_and_one_customer_paired_both_ways(
        sandbox: Sandbox) -> None:
    pi = checkout(sandbox)
    (first,) = run(sandbox, SALES)
    assert first.counts[Action.CREATE] == 1 and first.ok
    assert_one_sale(sandbox, pi)
    (customer,) = customers_named(sandbox)

    # customers-to-stripe adopts the pair: it updates that Stripe customer, with its id.
    (pairing,) = run(sandbox, CUSTOMERS)
    assert pairing.ok and pairing.counts[Action.CREATE] == 0
    stripe_customers = sandbox.stripe_get("/v1/customers")["data"]
    assert [c["id"] for c in stripe_customers] == [pi["customer"]]
    assert stripe_customers[0]["metadata"]["qbo_customer_id"] == customer["Id"]

    # A later QuickBooks edit reaches the same Stripe customer.
    qbo_write(sandbox, "Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"],
                                    "sparse": True, "DisplayName": "Harbour Lights Ltd"})
    run(sandbox, CUSTOMERS)
    stripe_customers = sandbox.stripe_get("/v1/customers")["data"]
    assert [(c["id"], c["name"]) for c in stripe_customers] == [(pi["customer"],
                                                                 "Harbour Lights Ltd")]

    # Running everything again books nothing twice, in either direction.
    again = run(sandbox, SALES, NEW_CUSTOMERS, CUSTOMERS)
    assert all(s.ok and s.counts[Action.CREATE] == 0 for s in again)
    assert len(receipts(sandbox)) == 1 and len(customers_named(sandbox)) == 1
    assert len(sandbox.qbo_query("SELECT * FROM Customer")) == 1


def _crash_at_complete(call: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies as the `call`-th create's link is about to be saved."""
    original, seen = IntentRepository.complete, {"n": 0}

    def complete(self: IntentRepository, *args: Any, **kwargs: Any) -> None:
        seen["n"] += 1
        if seen["n"] == call:
            raise Crash(f"complete #{call}")
        original(self, *args, **kwargs)

    monkeypatch.setattr(IntentRepository, "complete", complete)


def _crash_before_receipt(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies once the customer is made, before the receipt is sent."""
    original, armed = QuickBooksConnector.create, {"yes": True}

    def create(self: QuickBooksConnector, entity: str, *args: Any, **kwargs: Any) -> Any:
        if entity == "SalesReceipt" and armed["yes"]:
            armed["yes"] = False
            raise Crash("before the receipt")
        return original(self, entity, *args, **kwargs)

    monkeypatch.setattr(QuickBooksConnector, "create", create)


@pytest.mark.parametrize("where", ["customer made, link lost", "before the receipt",
                                   "receipt made, link lost"])
def test_a_crash_mid_way_and_a_restart_still_make_one_receipt_and_one_customer(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    pi = checkout(sandbox)
    if where == "before the receipt":
        _crash_before_receipt(monkeypatch)
    else:
        _crash_at_complete(1 if where.startswith("customer") else 2, monkeypatch)
    with pytest.raises(Crash):
        run(sandbox, SALES)
    monkeypatch.undo()
    made = len(receipts(sandbox))
    assert made == (1 if where.startswith("receipt") else 0)
    assert len(customers_named(sandbox)) == 1
    (restart,) = run(sandbox, SALES)
    assert restart.ok
    assert_one_sale(sandbox, pi)
    runtime = sandbox.runtime()
    try:
        (customer,) = customers_named(sandbox)
        assert runtime.store.links.get(NEW_CUSTOMERS, pi["customer"]).target_id == customer["Id"]
        assert runtime.store.links.get(CUSTOMERS, customer["Id"]).target_id == pi["customer"]
        assert runtime.store.intents.all_pending() == []
    finally:
        runtime.close()


def test_a_receipt_whose_answer_was_lost_is_replayed_without_a_second_one(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """QuickBooks made the receipt but its answer never came: the run records a failure,
    and `ml-connector replay --failed` finds the receipt by its DocNumber."""
    pi = checkout(sandbox)
    original = QuickBooksConnector.create

    def lost(self: QuickBooksConnector, entity: str, *args: Any, **kwargs: Any) -> Any:
        made = original(self, entity, *args, **kwargs)
        if entity == "SalesReceipt":
            raise RetryableError("connection dropped before QuickBooks answered")
        return made

    monkeypatch.setattr(QuickBooksConnector, "create", lost)
    (failed,) = run(sandbox, SALES)
    monkeypatch.undo()
    assert failed.failed == 1 and len(receipts(sandbox)) == 1
    runtime: Runtime = sandbox.runtime()
    try:
        report = Replay(runtime).run(Replay(runtime).all_failed())
        assert report.ok and report.outcomes
        again = Replay(runtime).run(Replay(runtime).all_failed())
        assert again.outcomes == []
    finally:
        runtime.close()
    assert_one_sale(sandbox, pi)


def test_a_subscription_renewal_becomes_a_receipt_with_its_lines(sandbox: Sandbox) -> None:
    customer = sandbox.stripe_post("/v1/customers", {"name": "Pat Subscriber",
                                                     "email": "pat@example.org"})
    renewal = sandbox.stripe_admin("subscriptions/renew", {
        "customer": customer["id"], "currency": "usd",
        "items": [{"description": "Pro plan", "amount": 2000},
                  {"description": "Extra seat", "amount": 1050, "quantity": 3}]})
    invoice = renewal["invoice"]
    assert invoice["billing_reason"] == "subscription_cycle" and invoice["status"] == "paid"
    assert invoice["parent"]["subscription_details"]["subscription"] == renewal["subscription"]
    (booked, skipped) = run(sandbox, INVOICE_SALES, SALES)
    assert booked.ok and booked.counts[Action.CREATE] == 1
    assert skipped.counts[Action.CREATE] == 0          # its PaymentIntent is the invoice's
    (receipt,) = receipts(sandbox)
    lines = [(ln["Description"], Decimal(str(ln["Amount"]))) for ln in receipt["Line"]
             if ln["DetailType"] == "SalesItemLineDetail"]
    assert lines == [("Pro plan", Decimal("20.00")), ("Extra seat", Decimal("10.50"))]
    assert Decimal(str(receipt["TotalAmt"])) == Decimal("30.50")
    assert receipt["CurrencyRef"]["value"] == "USD"
    pi = renewal["invoice_payment"]["payment"]["payment_intent"]
    assert receipt["DocNumber"] == pi[-21:]
    (qbo_customer,) = customers_named(sandbox, "pat@example.org")
    assert receipt["CustomerRef"]["value"] == qbo_customer["Id"]
    (rerun,) = run(sandbox, INVOICE_SALES)
    assert rerun.counts[Action.CREATE] == 0 and len(receipts(sandbox)) == 1


def test_a_refund_of_a_checkout_sale_is_booked_for_the_receipts_customer(
        sandbox: Sandbox) -> None:
    pi = checkout(sandbox)
    run(sandbox, SALES)
    receipt = assert_one_sale(sandbox, pi)
    refund = sandbox.stripe_admin(f"charges/{pi['latest_charge']}/refund",
                                  {"amount": 1500, "reason": "requested_by_customer"})
    (booked,) = run(sandbox, REFUNDS)
    assert booked.ok and booked.counts[Action.CREATE] == 1
    (refund_receipt,) = sandbox.qbo_query("SELECT * FROM RefundReceipt")
    assert refund_receipt["CustomerRef"]["value"] == receipt["CustomerRef"]["value"]
    assert Decimal(str(refund_receipt["TotalAmt"])) == Decimal("15.00")
    assert refund_receipt["DocNumber"] == refund["id"][-21:]
    assert pi["latest_charge"] in refund_receipt["PrivateNote"]
    assert refund_receipt["DepositToAccountRef"]["value"] == \
        receipt["DepositToAccountRef"]["value"]


def test_the_demo_checks_hold_receipts_to_the_cent(sandbox: Sandbox) -> None:
    pi = checkout(sandbox)
    run(sandbox, SALES, CUSTOMERS)
    assert invariant_problems(sandbox) == []
    receipt = assert_one_sale(sandbox, pi)
    line = next(ln for ln in receipt["Line"] if ln["DetailType"] == "SalesItemLineDetail")
    qbo_write(sandbox, "SalesReceipt", {
        "Id": receipt["Id"], "SyncToken": receipt["SyncToken"], "sparse": True,
        "Line": [{**line, "Amount": 49.98,
                  "SalesItemLineDetail": {**line["SalesItemLineDetail"], "UnitPrice": 49.98}}]})
    assert invariant_problems(sandbox) == [
        f"QBO sales receipt {receipt['Id']} totals 49.98 USD; Stripe sale {pi['id']} took 4999"]


def test_params_name_the_accounts_and_an_item_named_like_the_sale_is_used(
        tmp_path: Path) -> None:
    pipelines = tmp_path / "pipelines"
    shutil.copytree(shipped_pipelines_dir(), pipelines,
                    ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    path = pipelines / f"{SALES}.yaml"
    text = path.read_text()
    for old, new in (('income_account_name: ""', 'income_account_name: Services'),
                     ('deposit_account_name: ""', 'deposit_account_name: Checking')):
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text)
    options = SandboxOptions(seed_quickbooks=False, pipelines_dir=pipelines)
    with Sandbox(tmp_path / "project", options) as sandbox:
        income = sandbox.qbo_query("SELECT * FROM Account WHERE Name = 'Services'")[0]
        item = qbo_write(sandbox, "Item", {"Name": "Workshop ticket", "Type": "Service",
                                           "IncomeAccountRef": {"value": income["Id"]}})
        checkout(sandbox)
        (booked,) = run(sandbox, SALES)
        assert booked.ok
        (receipt,) = receipts(sandbox)
        checking = sandbox.qbo_query("SELECT * FROM Account WHERE Name = 'Checking'")[0]
    assert receipt["DepositToAccountRef"]["value"] == checking["Id"]
    (line,) = [ln for ln in receipt["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    assert line["SalesItemLineDetail"]["ItemRef"]["value"] == item["Id"]
    assert line["SalesItemLineDetail"]["ItemAccountRef"]["value"] == income["Id"]


def test_a_buyer_whose_metadata_names_a_quickbooks_customer_is_paired_by_that_id(
        sandbox: Sandbox) -> None:
    """The reverse pipeline leaves such a buyer alone; customers-to-stripe adopts it by
    the id, and the sale is booked for that customer (here after a replay)."""
    existing = qbo_write(sandbox, "Customer", {"DisplayName": "Quayside Books",
                                               "PrimaryEmailAddr": {"Address": EMAIL}})
    buyer = sandbox.stripe_post("/v1/customers", {
        "name": "Quayside", "email": "other@quayside.example",
        "metadata[qbo_customer_id]": existing["Id"]})
    sale = sandbox.stripe_post("/v1/payment_intents", {
        "amount": 1200, "currency": "usd", "customer": buyer["id"],
        "payment_method": "pm_card_visa", "confirm": "true"})
    (waiting,) = run(sandbox, SALES)
    assert waiting.failed == 1 and receipts(sandbox) == []
    (paired,) = run(sandbox, CUSTOMERS)
    assert paired.counts[Action.ADOPT_UPDATE] == 1
    runtime = sandbox.runtime()
    try:
        assert Replay(runtime).run(Replay(runtime).all_failed()).ok
    finally:
        runtime.close()
    (receipt,) = receipts(sandbox)
    assert receipt["DocNumber"] == sale["id"][-21:]
    assert receipt["CustomerRef"]["value"] == existing["Id"]
    assert len(sandbox.qbo_query("SELECT * FROM Customer")) == 1
    assert [c["id"] for c in sandbox.stripe_get("/v1/customers")["data"]] == [buyer["id"]]
