"""The whole story through both emulators, once by webhooks and once by polling alone.

After it: every promise of the design holds (read straight from both systems), the
reconciliation is clean, and both ways end in the same state.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ml_connector.connectors.qbo_stripe.checks import final_state, invariant_problems
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
            problems = invariant_problems(sandbox)
            mismatches = [m for r in reconcile(runtime) for m in r.mismatches]
            # the product's money reconciliation agrees with the oracle above
            mismatches += [d for r in MoneyCheck().run(runtime, Period(), lambda _task: None)
                           for d in r.discrepancies]
            return {"log": log, "problems": problems, "mismatches": mismatches,
                    "state": final_state(sandbox), "sandbox": sandbox}
        finally:
            runtime.close()


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
    for qbo_id in log.voided_qbo_invoices:
        assert state["invoices"][qbo_id]["stripe"] is None          # voided in Stripe too
    for qbo_id in log.paid_in_quickbooks:
        assert Decimal(state["invoices"][qbo_id]["balance"]) == 0
        assert state["invoices"][qbo_id]["stripe"][0] == "paid"    # paid out of band
    STATES[mode] = state


def test_webhooks_and_polling_end_in_the_same_state() -> None:
    if set(STATES) != {"webhooks", "polling"}:
        pytest.fail("both story runs must pass first (run the whole module)")
    assert STATES["webhooks"] == STATES["polling"]
