"""The README's main command: `ml-connector demo` runs everything locally and exits 0, and
the project it leaves with `--dir` works afterwards, emulators brought back included."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result
from processes import MAIN, emulators, serve

from ml_connector.connectors.qbo_stripe.sandbox import QBO_REALM, STRIPE_KEY
from ml_connector.connectors.qbo_stripe.story import wait_until
from ml_connector.engine.cli.main import cli
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.testing.servers import free_port


@dataclass
class DemoRun:
    folder: Path
    result: subprocess.CompletedProcess[str]

    @property
    def project(self) -> Path:
        return self.folder / "ml-connector.yaml"

    def base_url(self, connection: str) -> str:
        data = yaml.safe_load(self.project.read_text(encoding="utf-8"))
        return data["connections"][connection]["base_url"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One demo for the module: it is the slowest step, and both tests read what it left."""
    parent = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "-c", MAIN, "demo", "--dir", str(parent / "demo")],
                            capture_output=True, text=True, timeout=300, cwd=parent)
    return DemoRun(parent / "demo", result)


def test_demo_runs_the_whole_product_and_reconciles(demo_run: DemoRun) -> None:
    result = demo_run.result
    assert result.returncode == 0, result.stderr[-3000:]
    assert "everything reconciles" in result.stderr
    # the reconciliation includes the money, and says how many checks it ran
    for rule in ("invoice payment", "payment outside an invoice", "refund", "dispute",
                 "invoice balance"):
        assert re.search(rf"│ {rule} +│ +[1-9][\d,]* │ +0 │", result.stderr), rule
    assert re.search(r"everything reconciles: [\d,]+ checks ran .*, 0 failed", result.stderr)
    assert "customers-to-stripe: 30 created" in result.stderr
    assert (demo_run.folder / ".ml-connector" / "state.db").exists()
    assert f"ml-connector -p {demo_run.folder} emulators start" in result.stderr


def test_the_demo_project_works_once_its_emulators_are_back(demo_run: DemoRun) -> None:
    assert demo_run.result.returncode == 0, demo_run.result.stderr[-3000:]
    qbo, stripe = demo_run.base_url("quickbooks"), demo_run.base_url("stripe")
    port = free_port()
    with emulators(demo_run.project, [qbo, stripe], f"http://127.0.0.1:{port}") as running:
        assert cli_in(demo_run, "status").exit_code == 0
        assert cli_in(demo_run, "reconcile").exit_code == 0
        plan = cli_in(demo_run, "pipeline", "plan", "customers-to-stripe")
        assert plan.exit_code == 0, plan.output
        counts = json.loads(plan.stdout)["counts"]   # nothing to write:
        assert set(counts) == {"unchanged", "skip"} and counts["skip"] == 1  # skip: merged
        books = cli_in(demo_run, "connections", "test", "quickbooks")
        assert books.exit_code == 0, books.output
        assert json.loads(books.stdout)["realm_id"] == QBO_REALM    # still authorised
        assert cli_in(demo_run, "connections", "test", "stripe").exit_code == 0
        with serve(demo_run.project, port), Runtime.open(demo_run.project) as runtime:
            links = runtime.store.links
            payments = len(list(links.for_pipeline("payments-to-quickbooks")))
            customer = new_quickbooks_customer(qbo)
            paid = pay_an_open_invoice(stripe)
            assert wait_until(lambda: links.get("customers-to-stripe", customer) is not None
                              and len(list(links.for_pipeline("payments-to-quickbooks")))
                              == payments + 1, 60)
        running.send_signal(signal.SIGTERM)
        assert running.wait(timeout=30) == 0
    saved = json.loads((demo_run.folder / ".ml-connector" / "emulators" / "stripe.json")
                       .read_text(encoding="utf-8"))
    assert saved["objects"]["invoice"][paid]["status"] == "paid"


def cli_in(demo_run: DemoRun, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(demo_run.project), "--json", *args])


def new_quickbooks_customer(base_url: str) -> str:
    """A customer created through the emulator's API, as someone in QuickBooks would."""
    token = _post(f"{base_url}/_emulator/connect", json={"realm_id": QBO_REALM})["access_token"]
    body = _post(f"{base_url}/v3/company/{QBO_REALM}/customer?minorversion=75",
                 json={"DisplayName": "Lighthouse Books",
                       "PrimaryEmailAddr": {"Address": "ap@lighthouse.example"}},
                 headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    return str(body["Customer"]["Id"])


def pay_an_open_invoice(base_url: str) -> str:
    """A customer pays one of the demo's open Stripe invoices online; returns its id."""
    reply = httpx.get(f"{base_url}/v1/invoices", params={"status": "open", "limit": 1},
                      auth=(STRIPE_KEY, ""), timeout=30)
    reply.raise_for_status()
    invoice = reply.json()["data"][0]["id"]
    _post(f"{base_url}/_emulator/invoices/{invoice}/pay", json={})
    return str(invoice)


def _post(url: str, **kwargs: Any) -> Any:
    reply = httpx.post(url, timeout=30, **kwargs)
    reply.raise_for_status()
    return reply.json()
