"""The whole story through both emulators, once by webhooks and once by polling alone.

After it: every promise of the design holds (read straight from both systems), the
reconciliation is clean, and both ways end in the same state.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ml_connector.connectors.qbo_stripe.checks import (
    final_state,
    invariant_problems,
    minor,
    qbo_all,
    stripe_all,
)
from ml_connector.connectors.qbo_stripe.money import MoneyCheck
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.connectors.qbo_stripe.settling import WebhookService, settle_by_polling
from ml_connector.connectors.qbo_stripe.story import Story
from ml_connector.engine.sync.cross_checks import Period
from ml_connector.engine.sync.reconcile import reconcile
from ml_connector.engine.sync.runner import Runner

STATES: dict[str, Any] = {}


def play(folder: Path, mode: str) -> dict[str, Any]:
    with Sandbox(folder) as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            if mode == "webhooks":
                with WebhookService(sandbox, runtime) as service:
                    log = Story(sandbox, runtime, service.settle).play()
            else:
                log = Story(sandbox, runtime, lambda: settle_by_polling(runtime)).play()
            problems = invariant_problems(sandbox) + merge_problems(sandbox, log.merged_customers)
            mismatches = [m for r in reconcile(runtime) for m in r.mismatches]
            # the product's money reconciliation agrees with the oracle above
            mismatches += [d for r in MoneyCheck().run(runtime, Period(), lambda _task: None)
                           for d in r.discrepancies]
            links = {qbo_id: runtime.store.links.get("customers-to-stripe", qbo_id)
                     for qbo_id in log.merged_customers}
            return {"log": log, "problems": problems, "mismatches": mismatches,
                    "state": final_state(sandbox), "sandbox": sandbox, "merged": links}
        finally:
            runtime.close()


def merge_problems(sandbox: Sandbox, merged: dict[str, str]) -> list[str]:
    """A merged customer's Stripe customer is kept; the survivor's invoices are on its own."""
    customers = {c["metadata"].get("qbo_customer_id"): c["id"]
                 for c in stripe_all(sandbox, "/v1/customers")}
    live = {i["metadata"].get("qbo_invoice_id"): i["customer"]
            for i in stripe_all(sandbox, "/v1/invoices") if i["status"] != "void"}
    problems = [f"the Stripe customer of merged QBO customer {qbo_id} is gone"
                for qbo_id in merged if qbo_id not in customers]
    for into in set(merged.values()):
        for invoice in qbo_all(sandbox, "Invoice", f"WHERE CustomerRef = '{into}'"):
            if live.get(invoice["Id"]) not in (None, customers.get(into)):
                problems.append(f"QBO invoice {invoice['Id']} of {into} is on Stripe customer "
                                f"{live[invoice['Id']]}, not {customers.get(into)}")
    return problems


@pytest.mark.parametrize("mode", ["webhooks", "polling"])
def test_the_whole_story_keeps_both_systems_in_step(
        tmp_path: Path, mode: str, stripe_requests_follow_the_contract: list[Any]) -> None:
    result = play(tmp_path, mode)
    # Every Stripe request of the run is checked against Stripe's API description afterwards.
    assert sum(r.url.path.startswith("/v1/") for r in stripe_requests_follow_the_contract) > 50
    assert result["problems"] == []
    assert result["mismatches"] == []
    log, state = result["log"], result["state"]
    assert len(log.paid_in_full) == 4 and len(log.refunds) == 1 and len(log.paid_by_link) == 1
    assert sorted(log.disputes.values()) == ["lost", "won"]
    # One invoice Stripe mailed is paid through the pay link that mail carried.
    assert len(log.paid_by_pay_link) == 1 and log.mailed_by_stripe == log.paid_by_pay_link
    assert log.pay_link_from == "stripe e-mail"
    assert len(log.merged_customers) == 1
    # The Merge webhook names the survivor; polling sees only a deactivated customer.
    expected = "merged" if mode == "webhooks" else "removed"
    assert [link.state for link in result["merged"].values()] == [expected]
    assert len(log.sales) == 2
    assert sorted(Decimal(total) for total in state["sales"]) == [Decimal("71.50"),
                                                                 Decimal("84.50")]
    for qbo_id in log.voided_qbo_invoices:
        assert state["invoices"][qbo_id]["stripe"] is None          # voided in Stripe too
    bundle, inclusive = (state["invoices"][qbo_id] for qbo_id in log.other_shapes)
    # 250 bundle + 12.50 shipping - 5%; 125 net + 20% VAT: QuickBooks' totals, in Stripe
    assert Decimal(bundle["total"]) == Decimal("249.37")
    assert bundle["stripe"][:2] == ("open", 24937)
    assert Decimal(inclusive["total"]) == Decimal("150.00")
    assert inclusive["stripe"][:2] == ("open", 15000)
    for qbo_id in log.paid_in_quickbooks:
        assert Decimal(state["invoices"][qbo_id]["balance"]) == 0
        assert state["invoices"][qbo_id]["stripe"][0] == "paid"    # paid out of band
    assert len(log.credited) == 1
    for qbo_id, _memo in log.credited:                              # credit note in Stripe
        invoice = state["invoices"][qbo_id]
        assert Decimal(invoice["total"]) - Decimal(invoice["balance"]) == Decimal("25.00")
        assert invoice["stripe"][0] == "open"
        assert invoice["stripe"][3] == minor(invoice["balance"], "USD")
    STATES[mode] = state


def test_webhooks_and_polling_end_in_the_same_state() -> None:
    if set(STATES) != {"webhooks", "polling"}:
        pytest.fail("both story runs must pass first (run the whole module)")
    assert STATES["webhooks"] == STATES["polling"]
