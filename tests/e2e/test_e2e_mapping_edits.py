"""A mapping edit in a copy of the shipped pipelines reaches Stripe with an ordinary run.

The run after the edit is incremental as ever (no `--full`): it sees that the pipeline
changed, reads every record once, writes the records the edit changes and no other, and
clears in Stripe what the mapping no longer writes. Stripe's own requests are counted.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx

from ml_connector.connectors.qbo_stripe.sandbox import Sandbox, SandboxOptions
from ml_connector.engine.loading.project_loader import shipped_pipelines_dir
from ml_connector.engine.planning.plan import plan
from ml_connector.engine.sync.reconcile import reconcile
from ml_connector.engine.sync.runner import Runner

CUSTOMERS = "customers-to-stripe"
DESCRIPTION = '  description?: "{{ record.CompanyName }}"\n'
COMPANY_KEY = '    qbo_customer_id: "{{ record.Id }}"\n'


def copied_pipelines(folder: Path, edit: tuple[str, str] | None = None) -> Path:
    target = folder / "pipelines"
    shutil.copytree(shipped_pipelines_dir(), target,
                    ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    if edit is not None:
        edit_customers(target, *edit)
    return target


def edit_customers(pipelines: Path, old: str, new: str) -> None:
    path = pipelines / f"{CUSTOMERS}.yaml"
    text = path.read_text()
    assert old in text, f"the shipped {CUSTOMERS} mapping no longer has {old!r}"
    path.write_text(text.replace(old, new, 1))


def customer_writes(sent: list[httpx.Request], since: int) -> list[str]:
    """The Stripe customers updated by the requests sent since `since`."""
    return [r.url.path.rsplit("/", 1)[1] for r in sent[since:]
            if r.method == "POST" and r.url.path.startswith("/v1/customers/")]


def linked_customers(sandbox: Sandbox, runtime: Any) -> dict[str, dict[str, Any]]:
    """Every QuickBooks customer's Stripe customer as Stripe shows it, by QuickBooks row."""
    rows = sandbox.qbo_query("SELECT * FROM Customer")
    links = {row["Id"]: runtime.store.links.get(CUSTOMERS, row["Id"]) for row in rows}
    return {row["Id"]: {"qbo": row, "stripe": sandbox.stripe_get(
        f"/v1/customers/{links[row['Id']].target_id}")} for row in rows if links[row["Id"]]}


def test_an_edited_template_updates_exactly_the_customers_it_changes(
        tmp_path: Path, stripe_requests_follow_the_contract: list[httpx.Request]) -> None:
    sent = stripe_requests_follow_the_contract
    pipelines = copied_pipelines(tmp_path)
    with Sandbox(tmp_path / "project", SandboxOptions(pipelines_dir=pipelines)) as sandbox:
        first = sandbox.runtime()
        try:
            Runner(first).run_all()
        finally:
            first.close()
        edit_customers(pipelines, DESCRIPTION,
                       '  description?: "{{ record.CompanyName }} (from QuickBooks)"\n')
        runtime = sandbox.runtime()
        try:
            customers = linked_customers(sandbox, runtime)
            affected = {c["stripe"]["id"] for c in customers.values()
                        if c["qbo"].get("CompanyName")}
            foreseen = plan(runtime, CUSTOMERS)
            before = len(sent)
            Runner(runtime).run(CUSTOMERS)
            written = customer_writes(sent, before)
            after = linked_customers(sandbox, runtime)
            again = len(sent)
            Runner(runtime).run(CUSTOMERS)
            rewritten = customer_writes(sent, again)
        finally:
            runtime.close()
    assert 0 < len(affected) < len(customers)
    assert foreseen.definition_changed and foreseen.writes == len(affected)
    assert sorted(written) == sorted(affected)
    for c in after.values():
        company = c["qbo"].get("CompanyName")
        assert c["stripe"]["description"] == (f"{company} (from QuickBooks)" if company
                                              else None)
    assert rewritten == []


def test_keys_removed_from_the_mapping_are_removed_from_the_stripe_customers(
        tmp_path: Path, stripe_requests_follow_the_contract: list[httpx.Request]) -> None:
    sent = stripe_requests_follow_the_contract
    with_key = (COMPANY_KEY, COMPANY_KEY + '    qbo_company?: "{{ record.CompanyName }}"\n')
    pipelines = copied_pipelines(tmp_path, with_key)
    with Sandbox(tmp_path / "project", SandboxOptions(pipelines_dir=pipelines)) as sandbox:
        first = sandbox.runtime()
        try:
            Runner(first).run_all()
            held = {i: c["stripe"] for i, c in linked_customers(sandbox, first).items()
                    if c["qbo"].get("CompanyName")}
        finally:
            first.close()
        edit_customers(pipelines, with_key[1], with_key[0])
        edit_customers(pipelines, DESCRIPTION, "")
        runtime = sandbox.runtime()
        try:
            before = len(sent)
            Runner(runtime).run(CUSTOMERS)
            written = customer_writes(sent, before)
            after = linked_customers(sandbox, runtime)
            mismatches = [m for r in reconcile(runtime, [CUSTOMERS]) for m in r.mismatches]
        finally:
            runtime.close()
    assert held and all(c["metadata"].get("qbo_company") and c["description"]
                        for c in held.values())
    assert sorted(written) == sorted(c["id"] for c in held.values())
    for qbo_id, customer in after.items():
        assert "qbo_company" not in customer["stripe"]["metadata"]
        assert customer["stripe"]["description"] is None
        assert customer["stripe"]["metadata"]["qbo_customer_id"] == qbo_id
    bodies = [r.content.decode() + "&" for r in sent[before:]
              if r.method == "POST" and r.url.path.startswith("/v1/customers/")]
    assert len(bodies) == len(held)
    assert all("&metadata%5Bqbo_company%5D=&" in b and "&description=&" in b for b in bodies)
    assert mismatches == []
