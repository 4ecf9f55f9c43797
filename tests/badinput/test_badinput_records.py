"""Source records with missing or strange fields, through the shipped pipelines.

QuickBooks accepts each of these records; what happens next is decided per case:
- data Stripe can hold (no e-mail, a 300-character address line, names in any script, a
  zero-amount invoice, a negative line inside a positive total) syncs intact, exactly;
- data longer than Stripe allows (a 300-character name, a 27-character phone number) is
  fitted by the shipped mapping: the name cut at a word with an ellipsis, the phone left
  out; the emulator enforces Stripe's limits, so a mapping that forgot would fail here;
- an invoice in a currency no Stripe account can hold fails that record alone, with
  Stripe's reason in the audit trail, while every other record of the run is synced; a
  second run tries it again (it is kept as failed, never dropped) and writes nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ml_connector.connectors.qbo_stripe.sandbox import Sandbox, SandboxOptions
from ml_connector.engine.records import Record
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime

LONG_LINE = "Unit 4, " + "Harbourside Industrial Estate " * 10
assert len(LONG_LINE) >= 300
UNICODE_NAME = "Zoë Ångström & 株式会社サクラ — Ünïcödé 🚀"
LONG_NAME = "Long Name " * 30
LONG_PHONE = "+44 (0) 23 9200 0000 ext 12"

CUSTOMERS: dict[str, dict[str, Any]] = {
    "plain": {"DisplayName": "Plain Trading", "PrimaryEmailAddr": {"Address": "ap@plain.example"}},
    "no-email": {"DisplayName": "No Mail Ltd"},
    "long-address": {"DisplayName": "Long Address Ltd",
                     "BillAddr": {"Line1": LONG_LINE, "City": "Portsmouth", "Country": "GBR"}},
    "unicode-name": {"DisplayName": UNICODE_NAME, "CompanyName": "株式会社サクラ"},
    "long-name": {"DisplayName": LONG_NAME},
    "long-phone": {"DisplayName": "Phone Co", "PrimaryPhone": {"FreeFormNumber": LONG_PHONE}},
    "test-currency": {"DisplayName": "Test Currency Co", "CurrencyRef": {"value": "XTS"}},
}
# Invoice case -> (customer case, line amounts, currency)
INVOICES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "plain": ("plain", ("120.00", "80.00"), None),
    "zero-amount": ("plain", ("0.00",), None),
    "negative-line": ("no-email", ("100.00", "-30.00"), None),
    "unicode-customer": ("unicode-name", ("15.50",), None),
    "currency-stripe-lacks": ("test-currency", ("10.00",), "XTS"),
}
FAILING = {("invoices-to-stripe", "currency-stripe-lacks"): "Invalid currency: xts"}


@dataclass
class World:
    sandbox: Sandbox
    runtime: Runtime
    customers: dict[str, Record]
    invoices: dict[str, Record]
    run_id: str

    def latest(self, pipeline: str, source_id: str) -> Any:
        return self.attempts(pipeline, source_id)[-1]

    def attempts(self, pipeline: str, source_id: str) -> list[Any]:
        """The run's audit rows for one record: a customer an invoice pulled in on demand
        has its create, then the unchanged its own pipeline found."""
        rows = self.runtime.store.audit.query(pipeline=pipeline, run_id=self.run_id,
                                              limit=None)
        mine = [row for row in rows if row.source_ref and row.source_ref.endswith(
            f"/{source_id}")]
        assert mine, f"no audit row for {pipeline} {source_id}"
        return mine

    def stripe(self, path: str) -> list[dict[str, Any]]:
        return list(self.sandbox.stripe_get(path, {"limit": 100})["data"])


def _line(amount: str, item_id: str) -> dict[str, Any]:
    money = Decimal(amount)
    return {"DetailType": "SalesItemLineDetail", "Amount": money, "Description": "Work",
            "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": 1,
                                    "UnitPrice": money}}


def _create_sources(runtime: Runtime) -> tuple[dict[str, Record], dict[str, Record]]:
    qbo = runtime.connector("quickbooks")
    item = qbo.create("Item", {"Name": "Work", "Type": "Service"}, idempotency_key="item").id
    customers = {case: qbo.create("Customer", data, idempotency_key=f"customer-{case}")
                 for case, data in CUSTOMERS.items()}
    invoices = {}
    for case, (customer, amounts, currency) in INVOICES.items():
        body: dict[str, Any] = {"CustomerRef": {"value": customers[customer].id},
                                "TxnDate": "2026-11-02", "DueDate": "2026-12-02",
                                "Line": [_line(a, item) for a in amounts]}
        if currency:
            body["CurrencyRef"] = {"value": currency}
        invoices[case] = qbo.create("Invoice", body, idempotency_key=f"invoice-{case}")
    return customers, invoices


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = Path(tmp_path_factory.mktemp("strange-records"))
    with Sandbox(folder, SandboxOptions(seed_quickbooks=False, workers=4)) as sandbox:
        runtime = sandbox.runtime()
        try:
            customers, invoices = _create_sources(runtime)
            runner = Runner(runtime)
            runner.run_all(["customers-to-stripe", "invoices-to-stripe"])
            yield World(sandbox, runtime, customers, invoices, runner.run_id)
        finally:
            runtime.close()


@pytest.mark.parametrize(("pipeline", "case"), sorted(FAILING))
def test_a_record_stripe_refuses_fails_alone_with_the_reason(world: World, pipeline: str,
                                                            case: str) -> None:
    source = (world.customers if pipeline == "customers-to-stripe" else world.invoices)[case]
    row = world.latest(pipeline, source.id)
    assert row.outcome == "failed" and row.target_ref is None
    assert FAILING[(pipeline, case)] in (row.error or ""), row.error
    assert "Stripe" in (row.error or "")  # says which system refused it


def test_every_other_record_of_the_run_is_synced(world: World) -> None:
    refused = {case for (_, case) in FAILING}
    for pipeline, sources in (("customers-to-stripe", world.customers),
                              ("invoices-to-stripe", world.invoices)):
        for case, record in sources.items():
            if case in refused:
                continue
            rows = world.attempts(pipeline, record.id)
            assert [(r.outcome, r.action) for r in rows if r.action != "unchanged"] == [
                ("ok", "create")], (pipeline, case, [r.error for r in rows])
    assert len(world.stripe("/v1/customers")) == len(CUSTOMERS)
    assert len(world.stripe("/v1/invoices")) == len(INVOICES) - len(FAILING)


def test_strange_but_valid_customers_arrive_exactly(world: World) -> None:
    by_source = {c["metadata"]["qbo_customer_id"]: c for c in world.stripe("/v1/customers")}
    assert by_source[world.customers["no-email"].id]["email"] is None
    long_address = by_source[world.customers["long-address"].id]["address"]
    assert long_address["line1"] == LONG_LINE and long_address["country"] == "GB"
    unicode_customer = by_source[world.customers["unicode-name"].id]
    assert unicode_customer["name"] == UNICODE_NAME
    assert unicode_customer["description"] == "株式会社サクラ"
    long_name = by_source[world.customers["long-name"].id]["name"]
    assert len(long_name) <= 256 and long_name.endswith("…")
    assert LONG_NAME.startswith(long_name.removesuffix("…"))
    long_phone = by_source[world.customers["long-phone"].id]
    assert long_phone["phone"] is None and long_phone["name"] == "Phone Co"


def test_zero_and_negative_line_invoices_match_their_totals_to_the_cent(world: World) -> None:
    by_source = {i["metadata"]["qbo_invoice_id"]: i for i in world.stripe("/v1/invoices")}
    for case in ("plain", "zero-amount", "negative-line", "unicode-customer"):
        qbo = world.invoices[case]
        stripe = by_source[qbo.id]
        assert stripe["total"] == int(Decimal(qbo.data["TotalAmt"]) * 100), case
    assert by_source[world.invoices["zero-amount"].id]["total"] == 0
    assert by_source[world.invoices["negative-line"].id]["total"] == 7000


def test_a_second_run_retries_the_refused_record_and_writes_nothing_else(world: World) -> None:
    runner = Runner(world.runtime)
    customers = runner.run("customers-to-stripe", full=True)
    invoices = runner.run("invoices-to-stripe", full=True)
    assert customers.counts == {"unchanged": len(CUSTOMERS)}
    assert invoices.counts == {"unchanged": len(INVOICES) - 1, "fail": 1}
    (failure,) = invoices.failures
    assert failure.source_id == world.invoices["currency-stripe-lacks"].id
    assert "Invalid currency: xts" in (failure.error or "")
    assert len(world.stripe("/v1/invoices")) == len(INVOICES) - len(FAILING)
