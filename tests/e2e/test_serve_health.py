"""`serve`'s health on the emulators: a revoked QuickBooks grant, then authorising again.

A user disconnects the app in QuickBooks (the grant is revoked at the emulator's revoke
endpoint, as Intuit's is); the next poll or webhook meets it. `/healthz` must then say
degraded, naming the connection and the command that fixes it, `status` (another process)
must say the same, and both must come back to ok on their own once `connections auth` has
stored new tokens and the next poll or webhook succeeds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ml_connector.connectors.qbo_stripe.sandbox import (
    QBO_CLIENT_ID,
    QBO_CLIENT_SECRET,
    QBO_REALM,
    QBO_VERIFIER,
    Sandbox,
)
from ml_connector.connectors.qbo_stripe.story import wait_until
from ml_connector.connectors.quickbooks.tokens import load_tokens
from ml_connector.engine.cli.main import cli
from ml_connector.engine.store import Store
from ml_connector.engine.testing.servers import free_port, serve_in_thread
from ml_connector.engine.triggers.schedule import PollScheduler
from ml_connector.engine.triggers.service import Service, ServiceOptions

CUSTOMERS = "customers-to-stripe"
FIX = "run `ml-connector connections auth quickbooks`"
MAIN = "from ml_connector.engine.cli.main import main; main()"
SHIPPED_POLLS = {"customers-to-stripe": "15m", "invoices-to-stripe": "15m",
                 "payments-to-quickbooks": "5m", "payment-intents-to-quickbooks": "5m",
                 "refunds-to-quickbooks": "5m", "disputes-to-quickbooks": "5m",
                 "credit-memos-to-stripe": "15m",
                 "stripe-sales-to-quickbooks": "5m", "stripe-invoice-sales-to-quickbooks": "5m"}


def revoke_quickbooks(sandbox: Sandbox) -> None:
    """What disconnecting the app in QuickBooks does: the grant's tokens die, all of them."""
    runtime = sandbox.runtime()
    try:
        tokens = load_tokens(runtime.store.credentials("quickbooks"))
    finally:
        runtime.close()
    assert tokens is not None
    reply = httpx.post(f"{sandbox.qbo_url}/v2/oauth2/tokens/revoke",
                       json={"token": tokens.refresh_token},
                       auth=(QBO_CLIENT_ID, QBO_CLIENT_SECRET), timeout=30)
    reply.raise_for_status()


def problems(client: httpx.Client) -> list[tuple[str, str]]:
    return [(p["check"], p["subject"]) for p in client.get("/healthz").json()["problems"]]


def status(sandbox: Sandbox) -> str:
    result = CliRunner().invoke(cli, ["--project", str(sandbox.project_file), "status"],
                                env={"QBO_CLIENT_ID": QBO_CLIENT_ID})
    assert result.exit_code == 0, result.output
    return result.output


class Polls:
    """One pipeline polled by the running service, on a clock the test moves."""

    def __init__(self, service: Service, store: Store):
        self.now, self.store = [0.0], store
        service.scheduler = PollScheduler(service.runner, service.stop, service.metrics,
                                          intervals={CUSTOMERS: 60}, clock=lambda: self.now[0])

    def first(self) -> None:
        assert wait_until(lambda: self.store.polls.get(CUSTOMERS) is not None, 60)

    def next(self) -> None:
        before = self.store.polls.get(CUSTOMERS)
        assert before is not None
        self.now[0] += 60
        assert wait_until(lambda: self.store.polls.get(CUSTOMERS) != before, 60)


def test_healthz_and_status_report_a_revoked_grant_until_quickbooks_is_authorised_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with Sandbox(tmp_path) as sandbox:
        runtime = sandbox.runtime()
        try:
            service = Service(runtime, ServiceOptions(workers=1))
            polls = Polls(service, runtime.store)
            with serve_in_thread(service.app()) as server, \
                    httpx.Client(base_url=server.url, timeout=30) as client, \
                    caplog.at_level(logging.ERROR, logger="ml_connector.schedule"):
                polls.first()
                assert client.get("/healthz").json()["status"] == "ok"
                revoke_quickbooks(sandbox)
                polls.next()
                answer = client.get("/healthz")
                assert answer.status_code == 503 and answer.json()["status"] == "degraded"
                assert client.get("/livez").status_code == 200   # still the one to route to
                broken = answer.json()["problems"][0]
                assert (broken["check"], broken["subject"], broken["fix"]) == (
                    "authorisation", "quickbooks", FIX)
                assert "QuickBooks refused the refresh token" in broken["problem"]
                assert problems(client) == [("authorisation", "quickbooks"), ("poll", CUSTOMERS)]
                shown = status(sandbox)
                assert "  quickbooks (quickbooks): broken: QuickBooks refused the refresh token" \
                    in shown and f"; {FIX}\n" in shown
                assert "health: degraded, 2 problem(s):" in shown
                assert "authorised: True" not in shown
                sandbox._authorise_quickbooks()      # `connections auth`, in its own process
                assert problems(client) == [("poll", CUSTOMERS)]   # until a poll succeeds
                polls.next()
                assert client.get("/healthz").status_code == 200
            assert "health: ok" in status(sandbox)
        finally:
            runtime.close()
    failures = [r.getMessage() for r in caplog.records if r.name == "ml_connector.schedule"]
    assert failures == [
        f"poll of {CUSTOMERS} failed: quickbooks: QuickBooks no longer accepts this "
        "connection's refresh token (Token has been expired or revoked.); it was revoked, "
        "expired or replaced; run `ml-connector connections auth quickbooks` to authorise "
        "again"]


# -- the real command --------------------------------------------------------------------------

@contextmanager
def serve_process(sandbox: Sandbox, port: int) -> Iterator[list[str]]:
    """`ml-connector serve` as a user starts it; yields its stderr lines as they come."""
    process = subprocess.Popen(
        [sys.executable, "-c", MAIN, "--project", str(sandbox.project_file), "serve",
         "--port", str(port)],
        env={**os.environ, "QBO_CLIENT_ID": QBO_CLIENT_ID}, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    assert process.stderr is not None
    stream = process.stderr
    reader = threading.Thread(target=lambda: lines.extend(line.rstrip("\n")
                                                          for line in stream), daemon=True)
    reader.start()
    try:
        yield lines
    finally:
        process.terminate()
        process.wait(timeout=60)
        reader.join(10)


def quickbooks_notification(record_id: str) -> tuple[bytes, dict[str, str]]:
    """A CloudEvents delivery for a changed customer, signed as Intuit signs it."""
    body = json.dumps([{"specversion": "1.0", "id": uuid.uuid4().hex, "source": "intuit.test",
                        "type": "qbo.customer.updated.v1", "time": "2026-07-01T16:20:31.179Z",
                        "intuitentityid": record_id, "intuitaccountid": QBO_REALM,
                        "data": {}}]).encode()
    digest = hmac.new(QBO_VERIFIER.encode(), body, hashlib.sha256).digest()
    return body, {"content-type": "application/json",
                  "intuit-signature": base64.b64encode(digest).decode()}


def health_of(url: str) -> httpx.Response | None:
    try:
        return httpx.get(f"{url}/healthz", timeout=5)
    except httpx.TransportError:
        return None


def test_the_serve_command_says_what_it_polls_and_reports_a_revoked_grant_until_renewed(
        tmp_path: Path) -> None:
    with Sandbox(tmp_path) as sandbox:
        runtime = sandbox.runtime()
        port, url = free_port(), ""
        try:
            with serve_process(sandbox, port) as stderr:
                url = f"http://127.0.0.1:{port}"
                assert wait_until(lambda: (h := health_of(url)) is not None
                                  and h.status_code == 200, 60), stderr
                assert stderr[:2] == [f"serving on {url}", "  route webhooks and restarts "
                                      "by /livez; alert on /healthz; metrics at /metrics"]
                assert stderr[2].startswith("polls, each first at start (")
                polls = 3 + len(SHIPPED_POLLS)
                listed = {line.split()[0]: line.split()[-1] for line in stderr[3:polls]}
                assert listed == SHIPPED_POLLS
                assert stderr[polls] == "webhooks accepted:"
                assert stderr[polls + 1:polls + 9] == [
                    "  POST /webhooks/quickbooks  -> customers-to-stripe, invoices-to-stripe,",
                    "                                credit-memos-to-stripe",
                    "  POST /webhooks/stripe      -> payment-intents-to-quickbooks,",
                    "                                payments-to-quickbooks, "
                    "disputes-to-quickbooks,",
                    "                                refunds-to-quickbooks,",
                    "                                stripe-customers-to-quickbooks,",
                    "                                stripe-invoice-sales-to-quickbooks,",
                    "                                stripe-sales-to-quickbooks"]
                assert max(len(line) for line in stderr[:polls + 9]) <= 80
                # the first polls (a whole first sync) run at start; let them finish
                assert wait_until(lambda: len(runtime.store.polls.all())
                                  == len(SHIPPED_POLLS), 120), stderr
                customer = sandbox.qbo_query("select * from Customer")[0]["Id"]
                revoke_quickbooks(sandbox)
                body, headers = quickbooks_notification(customer)
                assert httpx.post(f"{url}/webhooks/quickbooks", content=body,
                                  headers=headers).json()["stored"] == 1
                assert wait_until(lambda: health_of(url).status_code == 503, 30), stderr  # type: ignore[union-attr]
                report = health_of(url).json()  # type: ignore[union-attr]
                assert report["problems"][0]["subject"] == "quickbooks"
                assert report["problems"][0]["fix"] == FIX
                sandbox._authorise_quickbooks()
                body, headers = quickbooks_notification(customer)
                httpx.post(f"{url}/webhooks/quickbooks", content=body, headers=headers)
                assert wait_until(lambda: health_of(url).status_code == 200, 30), \
                    health_of(url).json()  # type: ignore[union-attr]
        finally:
            runtime.close()
    waits = [line for line in stderr if "wait for authorisation" in line]
    assert len(waits) == 1 and "Traceback" not in "\n".join(stderr)
