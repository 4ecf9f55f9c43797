"""Each delivery policy, end to end: QuickBooks invoices synced to Stripe, then mailed by
Stripe (email), made payable with the pay link written into the QuickBooks invoice
(payable), or left open (none). The write-back is the project's own change: the next run
and the webhook QuickBooks sends for it change nothing in Stripe and write nothing again."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from ml_connector.connectors.qbo_stripe.checks import invariant_problems
from ml_connector.connectors.qbo_stripe.sandbox import QBO_VERIFIER, Sandbox, SandboxOptions
from ml_connector.connectors.qbo_stripe.settling import settle_by_polling
from ml_connector.connectors.qbo_stripe.story import Story
from ml_connector.engine.cli.main import main
from ml_connector.engine.loading.project_loader import shipped_pipelines_dir
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.reconcile import reconcile
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.triggers.routing import pipelines_for

PIPELINE = "invoices-to-stripe"
MARK = "Pay online: "


def pipelines_with(folder: Path, delivery: str) -> Path:
    target = folder / "pipelines"
    shutil.copytree(shipped_pipelines_dir(), target,
                    ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    invoices = target / "invoices-to-stripe.yaml"
    invoices.write_text(re.sub(r"^  delivery: email.*\n", delivery, invoices.read_text(),
                               count=1, flags=re.MULTILINE))
    return target


class _Capture(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def webhook_capture() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Capture", (_Capture,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", received
    finally:
        server.shutdown()
        server.server_close()


def stripe_writes(sandbox: Sandbox) -> list[str]:
    requests = httpx.get(f"{sandbox.stripe_url}/_emulator/requests", timeout=30).json()
    return [f"{r['method']} {r['path']}" for r in requests["requests"]
            if r["method"] in ("POST", "DELETE")]


def open_invoices(sandbox: Sandbox, runtime: Runtime) -> list[tuple[dict[str, Any], str]]:
    """(QuickBooks invoice, Stripe id) of every synced invoice Stripe holds open."""
    qbo = runtime.connector("quickbooks")
    out = []
    for row in sandbox.qbo_query("select * from Invoice"):
        link = runtime.store.links.get(PIPELINE, row["Id"])
        if link is None:
            continue
        if sandbox.stripe_get(f"/v1/invoices/{link.target_id}")["status"] == "open":
            record = qbo.get("Invoice", row["Id"])
            assert record is not None
            out.append((dict(record.data), link.target_id))
    return out


def test_email_mails_each_open_invoice_once_with_its_quickbooks_number(
        tmp_path: Path) -> None:
    options = SandboxOptions(pipelines_dir=pipelines_with(tmp_path, "  delivery: email\n"))
    with Sandbox(tmp_path / "project", options) as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            invoices = open_invoices(sandbox, runtime)
            assert invoices
            for qbo_invoice, stripe_id in invoices:
                sent = httpx.get(f"{sandbox.stripe_url}/_emulator/invoices/{stripe_id}/sent",
                                 timeout=30).json()["sent_at"]
                assert len(sent) == 1
                stripe_invoice = sandbox.stripe_get(f"/v1/invoices/{stripe_id}")
                assert stripe_invoice["number"] == qbo_invoice["DocNumber"]
                assert stripe_invoice["custom_fields"] == [
                    {"name": "Invoice", "value": qbo_invoice["DocNumber"]}]
                assert MARK not in str(qbo_invoice.get("CustomerMemo"))
            Runner(runtime).run_all()
            for _, stripe_id in invoices:   # a second run mails nothing again
                sent = httpx.get(f"{sandbox.stripe_url}/_emulator/invoices/{stripe_id}/sent",
                                 timeout=30).json()["sent_at"]
                assert len(sent) == 1
        finally:
            runtime.close()


def test_none_neither_mails_nor_writes_back(tmp_path: Path) -> None:
    options = SandboxOptions(pipelines_dir=pipelines_with(tmp_path, "  delivery: none\n"))
    with Sandbox(tmp_path / "project", options) as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            invoices = open_invoices(sandbox, runtime)
            assert invoices
            assert not [w for w in stripe_writes(sandbox) if w.endswith("/send")]
            for qbo_invoice, _ in invoices:
                assert MARK not in str(qbo_invoice.get("CustomerMemo"))
                assert MARK not in str(qbo_invoice.get("PrivateNote"))
        finally:
            runtime.close()


def _memo(invoice: dict[str, Any], field: str) -> str:
    value = invoice.get(field)
    return str(value.get("value") if isinstance(value, dict) else value or "")


@pytest.mark.parametrize("field", ["CustomerMemo", "PrivateNote"])
def test_payable_writes_the_pay_link_back_and_its_echo_changes_nothing(
        tmp_path: Path, field: str) -> None:
    delivery = f"  delivery: payable\n  pay_link_field: {field}\n"
    options = SandboxOptions(pipelines_dir=pipelines_with(tmp_path, delivery))
    with Sandbox(tmp_path / "project", options) as sandbox, webhook_capture() as (url, hooks):
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            invoices = open_invoices(sandbox, runtime)
            assert invoices
            assert not [w for w in stripe_writes(sandbox) if w.endswith("/send")]
            for qbo_invoice, stripe_id in invoices:
                link = sandbox.stripe_get(f"/v1/invoices/{stripe_id}")["hosted_invoice_url"]
                assert f"{MARK}{link}" in _memo(qbo_invoice, field).split("\n")
            paid_already = sandbox.qbo_query("select * from Invoice where Balance = '0'")
            assert paid_already
            for row in paid_already:
                assert MARK not in _memo(row, field)   # paid already: nothing to pay

            # The write-back's echo, by poll: a second run reads the changed invoices
            # and writes nothing anywhere.
            sandbox.qbo_admin("webhooks", {"url": url, "format": "cloudevents",
                                           "verifier_token": QBO_VERIFIER})
            before = stripe_writes(sandbox)
            tokens = {i["Id"]: i["SyncToken"] for i, _ in invoices}
            summary = Runner(runtime).run(PIPELINE)
            assert summary.counts[Action.UPDATE] == 0 and summary.failed == 0
            assert stripe_writes(sandbox) == before
            qbo = runtime.connector("quickbooks")
            assert {i: qbo.get("Invoice", i).data["SyncToken"] for i in tokens} == tokens

            # ... and by webhook: a person edits one invoice's other memo, QuickBooks
            # announces it; its sync changes nothing the pay link caused.
            first, stripe_id = invoices[0]
            other = "PrivateNote" if field == "CustomerMemo" else "CustomerMemo"
            edit = {other: "Checked by Jo"} if other == "PrivateNote" else {
                other: {"value": "Checked by Jo"}}
            qbo.update("Invoice", first["Id"], edit)
            sandbox.qbo_admin("webhooks/flush", {})
            assert hooks, "QuickBooks sent no webhook for the edit"
            outcomes = []
            webhook_runner = Runner(runtime, trigger="webhook")
            for headers, body in hooks:
                for event in qbo.parse_webhook(headers, body):
                    for name in pipelines_for(runtime.pipelines, "quickbooks", event.entity):
                        outcomes.append(webhook_runner.sync_id(name, event.record_id))
            mine = [o for o in outcomes if o.pipeline == PIPELINE]
            assert mine and all(not o.failed for o in mine)
            stripe_after = sandbox.stripe_get(f"/v1/invoices/{stripe_id}")
            assert MARK not in str(stripe_after.get("description"))
            again = qbo.get("Invoice", first["Id"]).data
            assert _memo(again, field).count(MARK) == 1   # not written a second time
        finally:
            runtime.close()


def test_a_pay_link_written_into_quickbooks_pays_the_stripe_invoice(tmp_path: Path) -> None:
    delivery = "  delivery: payable\n  pay_link_field: CustomerMemo\n"
    options = SandboxOptions(pipelines_dir=pipelines_with(tmp_path, delivery))
    with Sandbox(tmp_path / "project", options) as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            qbo_invoice, stripe_id = open_invoices(sandbox, runtime)[0]
            line = next(line for line in _memo(qbo_invoice, "CustomerMemo").split("\n")
                        if line.startswith(MARK))
            paid = httpx.post(line[len(MARK):], json={}, timeout=30)
            assert paid.status_code == 200, paid.text
            assert sandbox.stripe_get(f"/v1/invoices/{stripe_id}")["status"] == "paid"
        finally:
            runtime.close()


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    assert exit_info.value.code in (0, None), err
    return out


def test_audit_show_and_status_say_what_stripe_made_of_the_invoice(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    delivery = "  delivery: payable\n  pay_link_field: PrivateNote\n"
    options = SandboxOptions(pipelines_dir=pipelines_with(tmp_path, delivery))
    with Sandbox(tmp_path / "project", options) as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            entry = next(e for e in runtime.store.audit.query(
                pipeline=PIPELINE, limit=50, newest_first=True)
                if ((e.request_summary or {}).get("answer") or {}).get("status") == "open")
            source_id = entry.source_ref.rsplit("/", 1)[-1]
            stripe_id = runtime.store.links.get(PIPELINE, source_id).target_id
        finally:
            runtime.close()
        stripe_invoice = sandbox.stripe_get(f"/v1/invoices/{stripe_id}")
        project = str(sandbox.project_file)
        shown = _cli(capsys, "--project", project, "audit", "show", str(entry.id))
        assert (f"answer       number {stripe_invoice['number']}, "
                f"{stripe_invoice['status']};") in shown
        assert stripe_invoice["hosted_invoice_url"] in shown
        assert f"pay link into PrivateNote of quickbooks/Invoice/{source_id}" in shown
        status = _cli(capsys, "--project", project, "status")
        assert f"last write {stripe_id} (source {source_id}): number " in status
        assert all(len(line) <= 80 for line in status.splitlines()
                   if stripe_invoice["hosted_invoice_url"] not in line)


def test_the_story_with_pay_links_in_quickbooks_reconciles_clean(tmp_path: Path) -> None:
    """The month of business with delivery: payable: a customer pays through the link
    written into the QuickBooks invoice, the payment reaches QuickBooks, nothing drifts."""
    delivery = "  delivery: payable\n  pay_link_field: CustomerMemo\n"
    options = SandboxOptions(pipelines_dir=pipelines_with(tmp_path, delivery))
    with Sandbox(tmp_path / "project", options) as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            log = Story(sandbox, runtime, lambda: settle_by_polling(runtime)).play()
            assert log.pay_link_from == "quickbooks invoice"
            assert len(log.paid_by_pay_link) == 1 and log.mailed_by_stripe == []
            assert invariant_problems(sandbox) == []
            assert [m for r in reconcile(runtime) for m in r.mismatches] == []
            paid = log.paid_by_pay_link[0]
            assert sandbox.stripe_get(f"/v1/invoices/{paid}")["status"] == "paid"
        finally:
            runtime.close()


def test_a_pay_link_that_could_not_be_written_is_written_by_a_later_sync(
        tmp_path: Path) -> None:
    """The invoices lack the custom field at first: each is synced to Stripe and fails with
    the reason; once the field is defined on one, its next sync writes the link, from the
    answer kept since, without writing to Stripe again."""
    delivery = "  delivery: payable\n  pay_link_field: CustomField:Pay link\n"
    options = SandboxOptions(pipelines_dir=pipelines_with(tmp_path, delivery))
    with Sandbox(tmp_path / "project", options) as sandbox:
        runtime = sandbox.runtime()
        try:
            summary = Runner(runtime).run(PIPELINE)
            assert summary.failed > 0
            failure = summary.failures[0]
            assert failure.error is not None
            assert "its pay link could not be written into CustomField:Pay link" in failure.error
            assert "has no custom field named 'Pay link'" in failure.error
            link = runtime.store.links.get(PIPELINE, failure.source_id)
            assert link is not None   # the Stripe invoice exists and is linked
            stripe_invoice = sandbox.stripe_get(f"/v1/invoices/{link.target_id}")

            qbo = runtime.connector("quickbooks")
            qbo.update("Invoice", failure.source_id, {"CustomField": [
                {"DefinitionId": "1", "Name": "Pay link", "Type": "StringType"}]})
            before = stripe_writes(sandbox)
            outcome = Runner(runtime).sync_id(PIPELINE, failure.source_id)
            assert not outcome.failed and outcome.written_back == "CustomField:Pay link"
            assert outcome.action is Action.UNCHANGED and stripe_writes(sandbox) == before
            fields = qbo.get("Invoice", failure.source_id).data["CustomField"]
            assert fields == [{"DefinitionId": "1", "Name": "Pay link", "Type": "StringType",
                               "StringValue": stripe_invoice["hosted_invoice_url"]}]
        finally:
            runtime.close()
