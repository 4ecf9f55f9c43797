"""`reconcile` proves the money: each problem is found, named with its fix, and the fix works.

One world for the module (both emulators, the shipped pipelines, a first sync): each test
breaks one thing the way it happens in real books, reads what `reconcile` says, runs the
fix command it prints, and leaves the world reconciling again.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ml_connector.connectors.qbo_stripe.money import MoneyCheck
from ml_connector.connectors.qbo_stripe.money_rules import MOVEMENTS
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.engine.cli.main import cli
from ml_connector.engine.sync.cross_checks import Period
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime

AMOUNT = re.compile(r"^-?\d+(\.\d+)? [A-Z]{3}$")
TODAY = datetime.now(UTC).date()


@dataclass
class World:
    sandbox: Sandbox
    runtime: Runtime

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--project", str(self.sandbox.project_file), *args])

    def reconcile(self, *args: str) -> tuple[int, dict[str, Any]]:
        result = self.cli("reconcile", "--json", *args)
        assert result.exit_code in (0, 1), result.output
        return result.exit_code, json.loads(result.stdout)

    def fix(self, command: str) -> Result:
        """Run a fix exactly as printed: `ml-connector ...`."""
        words = shlex.split(command)
        assert words[0] == "ml-connector", command
        result = self.cli(*words[1:])
        assert result.exit_code == 0, result.output
        return result

    def open_invoice(self) -> dict[str, Any]:
        """The open Stripe invoice (of a QuickBooks one, in USD) that still asks for most."""
        found = [invoice for invoice in self.sandbox.stripe_get(
                     "/v1/invoices", {"status": "open", "limit": 100})["data"]
                 if invoice["currency"] == "usd" and invoice["metadata"].get("qbo_invoice_id")]
        assert found, "no open invoice left in the world"
        invoice = max(found, key=lambda i: i["amount_remaining"])
        assert invoice["amount_remaining"] >= 3000, invoice
        return invoice

    def pay_in_stripe(self, cents: int) -> tuple[dict[str, Any], str]:
        """A customer pays part of an invoice online; nothing syncs it yet."""
        invoice, paid = self.paid_in_stripe(cents)
        return invoice, paid["id"]

    def paid_in_stripe(self, cents: int) -> tuple[dict[str, Any], dict[str, Any]]:
        invoice = self.open_invoice()
        self.sandbox.stripe_admin(f"invoices/{invoice['id']}/pay", {"amount": cents})
        paid = self.sandbox.stripe_get("/v1/invoice_payments",
                                       {"invoice": invoice["id"], "status": "paid"})["data"]
        return invoice, paid[0]

    def qbo(self) -> Any:
        return self.runtime.connector("quickbooks")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with Sandbox(tmp_path_factory.mktemp("money")) as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            world = World(sandbox, runtime)
            code, report = world.reconcile("--since", "2000-01-01")
            assert code == 0, report["mismatches"]
            yield world
        finally:
            runtime.close()


def money(report: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [m for m in report["mismatches"] if m["kind"] == kind]


def test_a_stripe_payment_not_in_quickbooks_is_found_and_its_fix_books_it(world: World) -> None:
    invoice, payment = world.pay_in_stripe(1234)
    code, report = world.reconcile()
    assert code == 1 and not report["clean"]
    [found] = money(report, "not_booked")
    assert found["check"] == "invoice payment"
    assert found["ids"]["stripe"] == payment
    assert found["amounts"] == {"stripe": "12.34 USD"}
    assert found["fix"] == f"ml-connector pipeline run payments-to-quickbooks --only {payment}"
    # the QuickBooks invoice still owes what Stripe no longer asks for
    [balance] = money(report, "balance_differs")
    assert balance["ids"]["stripe"] == invoice["id"]
    world.fix(found["fix"])
    assert world.reconcile()[0] == 0


def test_a_quickbooks_payment_claiming_stripe_without_it_is_found_and_removed(
        world: World) -> None:
    invoice = world.open_invoice()
    qbo_invoice = world.qbo().get("Invoice", invoice["metadata"]["qbo_invoice_id"])
    entry = world.qbo().create("Payment", {
        "CustomerRef": qbo_invoice.data["CustomerRef"], "TotalAmt": Decimal("20.00"),
        "CurrencyRef": {"value": "USD"}, "TxnDate": TODAY.isoformat(),
        "PrivateNote": "Stripe payment pi_3NeverHappened00000000 (typed in by hand)",
        "Line": [{"Amount": Decimal("20.00"),
                  "LinkedTxn": [{"TxnId": qbo_invoice.id, "TxnType": "Invoice"}]}]},
        idempotency_key="money-test-orphan")
    code, report = world.reconcile()
    assert code == 1
    [orphan] = money(report, "no_stripe_counterpart")
    assert orphan["ids"] == {"quickbooks": entry.id, "stripe_key": "pi_3NeverHappened00000000"}
    assert orphan["amounts"] == {"quickbooks": "20.00 USD"}
    assert orphan["fix"] == f"ml-connector pipeline remove payments-to-quickbooks {entry.id}"
    world.fix(orphan["fix"])
    assert world.reconcile()[0] == 0


def test_an_amount_off_by_one_cent_is_found_and_rewritten(world: World) -> None:
    _invoice, payment = world.pay_in_stripe(2000)
    world.fix(f"ml-connector pipeline run payments-to-quickbooks --only {payment}")
    link = world.runtime.store.links.get("payments-to-quickbooks", payment)
    assert link is not None
    booked = world.qbo().get("Payment", link.target_id)
    line = {**booked.data["Line"][0], "Amount": Decimal("19.99")}
    world.qbo().update("Payment", booked.id, {"TotalAmt": Decimal("19.99"), "Line": [line]})
    code, report = world.reconcile()
    assert code == 1
    [found] = money(report, "amount_differs")
    assert found["amounts"] == {"stripe": "20.00 USD", "quickbooks": "19.99 USD"}
    assert found["ids"]["quickbooks"] == booked.id
    assert found["fix"] == f"ml-connector pipeline run payments-to-quickbooks --only {payment}"
    world.fix(found["fix"])
    assert world.reconcile()[0] == 0
    assert Decimal(str(world.qbo().get("Payment", booked.id).data["TotalAmt"])) == Decimal("20")


def test_a_payment_booked_by_hand_in_another_currency_is_found_and_replaced(
        world: World) -> None:
    _invoice, paid = world.paid_in_stripe(1500)
    intent = paid["payment"]["payment_intent"]
    # the seeded company's customer in Japan, who is billed in yen
    [customer] = world.qbo().find("Customer", "DisplayName", "株式会社サクラ (Sakura KK)")
    assert customer.data["CurrencyRef"]["value"] == "JPY"
    by_hand = world.qbo().create("Payment", {
        "CustomerRef": {"value": customer.id}, "TotalAmt": Decimal("15"),
        "CurrencyRef": {"value": "JPY"}, "TxnDate": TODAY.isoformat(),
        "PrivateNote": f"Stripe payment {intent} (booked by hand)"},
        idempotency_key="money-test-yen-payment")
    code, report = world.reconcile()
    assert code == 1
    [found] = money(report, "currency_differs")
    assert found["ids"] == {"stripe": paid["id"], "stripe_key": intent,
                            "quickbooks": by_hand.id}
    assert found["amounts"] == {"stripe": "15.00 USD", "quickbooks": "15 JPY"}
    # not the pipeline's own booking: it is taken back, and then the pipeline books it
    assert found["fix"] == f"ml-connector pipeline remove payments-to-quickbooks {by_hand.id}"
    world.fix(found["fix"])
    _, report = world.reconcile()
    [unbooked] = money(report, "not_booked")
    assert unbooked["fix"] == (f"ml-connector pipeline run payments-to-quickbooks --only "
                               f"{paid['id']}")
    world.fix(unbooked["fix"])
    assert world.reconcile()[0] == 0


def test_an_invoice_paid_in_quickbooks_only_is_found_and_marked_paid_in_stripe(
        world: World) -> None:
    invoice = world.open_invoice()
    qbo_invoice = world.qbo().get("Invoice", invoice["metadata"]["qbo_invoice_id"])
    owed = qbo_invoice.data["Balance"]
    world.qbo().create("Payment", {
        "CustomerRef": qbo_invoice.data["CustomerRef"], "TotalAmt": owed,
        "PaymentRefNum": "CHQ-77", "Line": [{"Amount": owed, "LinkedTxn": [
            {"TxnId": qbo_invoice.id, "TxnType": "Invoice"}]}]},
        idempotency_key="money-test-cheque")
    code, report = world.reconcile()
    assert code == 1
    [found] = money(report, "paid_state_differs")
    assert found["ids"] == {"quickbooks": qbo_invoice.id, "stripe": invoice["id"]}
    assert found["amounts"]["quickbooks"] == "0.00 USD"
    assert found["fix"] == (f"ml-connector pipeline run invoices-to-stripe --only "
                            f"{qbo_invoice.id}")
    world.fix(found["fix"])
    assert world.reconcile()[0] == 0
    assert world.sandbox.stripe_get(f"/v1/invoices/{invoice['id']}")["status"] == "paid"


def test_the_period_chooses_which_movements_are_checked(world: World) -> None:
    long_ago = TODAY - timedelta(days=60)
    invoice = world.open_invoice()
    customer = world.qbo().get("Invoice", invoice["metadata"]["qbo_invoice_id"]).data[
        "CustomerRef"]
    entry = world.qbo().create("Payment", {
        "CustomerRef": customer, "TotalAmt": Decimal("7.00"), "CurrencyRef": {"value": "USD"},
        "TxnDate": long_ago.isoformat(), "PrivateNote": "Stripe payment pi_3FromLongAgo0000000"},
        idempotency_key="money-test-old-orphan")
    # by default, since the pipelines began (today): the old entry is not looked at
    code, report = world.reconcile()
    assert code == 0 and report["period"] == {"since": TODAY.isoformat(), "until": None}
    day = long_ago.isoformat()
    code, report = world.reconcile("--since", day, "--until", day)
    assert code == 1 and [m["ids"]["quickbooks"] for m in report["mismatches"]] == [entry.id]
    assert world.reconcile("--since", (long_ago + timedelta(days=1)).isoformat())[0] == 0
    assert world.reconcile("--until", (long_ago - timedelta(days=1)).isoformat())[0] == 0
    world.fix(report["mismatches"][0]["fix"])
    # a Stripe movement of today is outside a period that ended yesterday
    world.pay_in_stripe(500)
    _, report = world.reconcile("--until", (TODAY - timedelta(days=1)).isoformat())
    assert money(report, "not_booked") == []
    _, report = world.reconcile("--since", TODAY.isoformat())
    [found] = money(report, "not_booked")
    world.fix(found["fix"])


def test_json_lists_every_mismatch_with_kind_ids_amounts_and_fix(world: World) -> None:
    _invoice, payment = world.pay_in_stripe(999)
    code, report = world.reconcile()
    assert code == 1
    assert set(report) >= {"clean", "period", "checks", "pipelines", "money", "mismatches"}
    assert report["checks"]["failed"] == len(report["mismatches"]) >= 2
    assert report["checks"]["ran"] > report["checks"]["failed"]
    assert {r["check"] for r in report["money"]} >= {
        "invoice payment", "payment outside an invoice", "refund", "dispute",
        "invoice balance"}
    for mismatch in report["mismatches"]:
        assert set(mismatch) == {"check", "kind", "ids", "amounts", "detail", "fix"}
        assert all(AMOUNT.match(text) for text in mismatch["amounts"].values()), mismatch
    fixes = {m["fix"] for m in report["mismatches"] if m["ids"].get("stripe") == payment}
    assert fixes == {f"ml-connector pipeline run payments-to-quickbooks --only {payment}"}
    world.fix(fixes.pop())


def test_the_human_report_fits_80_columns_and_counts_the_checks(world: World) -> None:
    clean = world.cli("reconcile")
    assert clean.exit_code == 0
    assert re.fullmatch(r"everything reconciles: [\d,]+ checks ran, 0 failed",
                        clean.stdout.splitlines()[-1])
    _invoice, payment = world.pay_in_stripe(300)
    broken = world.cli("reconcile")
    assert broken.exit_code == 1
    lines = broken.stdout.splitlines()
    assert re.fullmatch(r"[\d,]+ checks ran, [1-9]\d* failed", lines[-1])
    fix = f"    fix: ml-connector pipeline run payments-to-quickbooks --only {payment}"
    assert fix in lines
    assert [line for line in lines if len(line) > 80 and line != fix] == []
    world.fix(fix.split("fix: ")[1])


def test_remove_refuses_a_target_whose_source_still_exists(world: World) -> None:
    _invoice, payment = world.pay_in_stripe(400)
    world.fix(f"ml-connector pipeline run payments-to-quickbooks --only {payment}")
    link = world.runtime.store.links.get("payments-to-quickbooks", payment)
    assert link is not None
    refused = world.cli("pipeline", "remove", "payments-to-quickbooks", link.target_id)
    assert refused.exit_code != 0
    assert f"--only {payment}" in refused.output + str(refused.exception)
    assert world.qbo().get("Payment", link.target_id).data["TotalAmt"] == Decimal("4.00")


def test_a_refund_not_in_quickbooks_is_found_and_booked(world: World) -> None:
    _invoice, paid = world.paid_in_stripe(2500)
    world.fix(f"ml-connector pipeline run payments-to-quickbooks --only {paid['id']}")
    intent = world.sandbox.stripe_get(f"/v1/payment_intents/{paid['payment']['payment_intent']}")
    refund = world.sandbox.stripe_admin(f"charges/{intent['latest_charge']}/refund",
                                        {"amount": 500, "reason": "requested_by_customer"})
    code, report = world.reconcile()
    assert code == 1
    [found] = money(report, "not_booked")
    assert (found["check"], found["ids"], found["amounts"]) == (
        "refund", {"stripe": refund["id"]}, {"stripe": "5.00 USD"})
    assert found["fix"] == f"ml-connector pipeline run refunds-to-quickbooks --only {refund['id']}"
    world.fix(found["fix"])
    assert world.reconcile()[0] == 0


def test_the_rules_are_a_table_a_project_without_the_pipeline_leaves_a_row_out(
        world: World) -> None:
    sales = replace(MOVEMENTS[0], name="sale", pipeline="sales-to-quickbooks",
                    qbo_entity="SalesReceipt", claim=r"^Stripe sale (\S+)")
    refunds = [rule for rule in MOVEMENTS if rule.pipeline == "refunds-to-quickbooks"]
    reports = MoneyCheck(movements=[*refunds, sales], balances=[]).run(
        world.runtime, Period(), lambda _task: None)
    assert [r.check for r in reports] == ["refund"]   # no sales pipeline in this project
    assert reports[0].discrepancies == []


SELL = "ml-connector pipeline run stripe-sales-to-quickbooks --only {}"


def checkout_sale(world: World, cents: int) -> dict[str, Any]:
    """A Checkout page's payment by a customer Stripe already has: no invoice behind it."""
    customer = world.open_invoice()["customer"]
    return world.sandbox.stripe_post("/v1/payment_intents", {
        "amount": cents, "currency": "usd", "customer": customer,
        "description": "Workshop ticket", "payment_method": "pm_card_visa", "confirm": "true"})


def test_a_checkout_sale_not_in_quickbooks_is_found_and_its_fix_books_a_receipt(
        world: World) -> None:
    sale = checkout_sale(world, 4999)
    assert sale["status"] == "succeeded"
    code, report = world.reconcile()
    assert code == 1
    [found] = money(report, "not_booked")
    assert (found["check"], found["kind"], found["ids"], found["amounts"]) == (
        "sale", "not_booked", {"stripe": sale["id"]}, {"stripe": "49.99 USD"})
    assert found["fix"] == SELL.format(sale["id"])
    world.fix(found["fix"])
    assert world.reconcile()[0] == 0
    link = world.runtime.store.links.get("stripe-sales-to-quickbooks", sale["id"])
    assert link is not None
    receipt = world.qbo().get("SalesReceipt", link.target_id)
    assert Decimal(str(receipt.data["TotalAmt"])) == Decimal("49.99")


def test_a_sales_receipt_off_by_one_cent_is_found_and_rewritten(world: World) -> None:
    sale = checkout_sale(world, 2500)
    world.fix(SELL.format(sale["id"]))
    link = world.runtime.store.links.get("stripe-sales-to-quickbooks", sale["id"])
    assert link is not None
    booked = world.qbo().get("SalesReceipt", link.target_id)
    [line] = [ln for ln in booked.data["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    detail = {**line["SalesItemLineDetail"], "UnitPrice": Decimal("24.99")}
    world.qbo().update("SalesReceipt", booked.id, {
        "TotalAmt": Decimal("24.99"),
        "Line": [{**line, "Amount": Decimal("24.99"), "SalesItemLineDetail": detail}]})
    code, report = world.reconcile()
    assert code == 1
    [found] = money(report, "amount_differs")
    assert found["check"] == "sale"
    assert found["ids"] == {"stripe": sale["id"], "quickbooks": booked.id}
    assert found["amounts"] == {"stripe": "25.00 USD", "quickbooks": "24.99 USD"}
    assert found["fix"] == SELL.format(sale["id"])
    world.fix(found["fix"])
    assert world.reconcile()[0] == 0
    rewritten = world.qbo().get("SalesReceipt", booked.id).data["TotalAmt"]
    assert Decimal(str(rewritten)) == Decimal("25")


def test_a_renewal_receipt_without_its_stripe_payment_is_the_invoice_sales_pipelines_to_remove(
        world: World) -> None:
    invoice = world.open_invoice()
    customer = world.qbo().get("Invoice", invoice["metadata"]["qbo_invoice_id"]).data[
        "CustomerRef"]
    [item] = world.qbo().find("Item", "Name", "Services")
    entry = world.qbo().create("SalesReceipt", {
        "CustomerRef": customer, "CurrencyRef": {"value": "USD"},
        "TxnDate": TODAY.isoformat(),
        "PrivateNote": "Stripe payment pi_3NoSuchRenewal000000000 of invoice INV-0404 "
                       "(subscription_cycle, invoice payment inpay_3NoSuchRenewal0000)",
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": Decimal("30.00"),
                  "SalesItemLineDetail": {"ItemRef": {"value": item.id}, "Qty": 1,
                                          "UnitPrice": Decimal("30.00")}}]},
        idempotency_key="money-test-orphan-renewal")
    code, report = world.reconcile()
    assert code == 1
    [orphan] = money(report, "no_stripe_counterpart")
    assert orphan["check"] == "invoice sale"
    assert orphan["ids"] == {"quickbooks": entry.id, "stripe_key": "pi_3NoSuchRenewal000000000"}
    assert orphan["amounts"] == {"quickbooks": "30.00 USD"}
    assert orphan["fix"] == (f"ml-connector pipeline remove stripe-invoice-sales-to-quickbooks "
                             f"{entry.id}")
    world.fix(orphan["fix"])
    assert world.reconcile()[0] == 0
