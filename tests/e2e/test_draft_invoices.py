"""With `finalize: false` Stripe invoices stay drafts, and an edit in QuickBooks changes the
draft in place: same Stripe invoice, new lines and total, nothing voided."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from ml_connector.connectors.qbo_stripe.checks import minor, stripe_all
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox, SandboxOptions
from ml_connector.engine.loading.project_loader import shipped_pipelines_dir
from ml_connector.engine.sync.runner import Runner


def drafts_pipelines(folder: Path) -> Path:
    target = folder / "pipelines"
    shutil.copytree(shipped_pipelines_dir(), target,
                    ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    invoices = target / "invoices-to-stripe.yaml"
    invoices.write_text(invoices.read_text().replace("  finalize: true\n",
                                                     "  finalize: false\n", 1))
    return target


def test_an_edited_draft_is_changed_in_place(tmp_path: Path) -> None:
    options = SandboxOptions(pipelines_dir=drafts_pipelines(tmp_path))
    with Sandbox(tmp_path / "project", options) as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            qbo = runtime.connector("quickbooks")
            customer = qbo.find("Customer", "DisplayName", "Kate Whelan")[0]
            invoice = qbo.find("Invoice", "CustomerRef", customer.id)[0]
            before = runtime.store.links.get("invoices-to-stripe", invoice.id).target_id
            assert sandbox.stripe_get(f"/v1/invoices/{before}")["status"] == "draft"

            lines = [line for line in invoice.data["Line"]
                     if line.get("DetailType") == "SalesItemLineDetail"]
            item = qbo.find("Item", "Name", "Hours")[0].id
            lines.append({"DetailType": "SalesItemLineDetail", "Amount": Decimal("45.00"),
                          "Description": "Extra visit",
                          "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 1,
                                                  "UnitPrice": Decimal("45.00")}})
            edited = qbo.update("Invoice", invoice.id, {"Line": lines})
            summary = Runner(runtime).run("invoices-to-stripe", full=True)
            assert summary.counts["update"] == 1 and summary.counts["recreate"] == 0

            after = runtime.store.links.get("invoices-to-stripe", invoice.id).target_id
            draft = sandbox.stripe_get(f"/v1/invoices/{after}")
            assert after == before and draft["status"] == "draft"
            assert draft["total"] == minor(edited.data["TotalAmt"], "USD")
            assert [i for i in stripe_all(sandbox, "/v1/invoices") if i["status"] == "void"] == []
        finally:
            runtime.close()
