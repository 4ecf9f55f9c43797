"""`ml-connector serve` as a real process: SIGTERM loses nothing, a restart resumes."""

from __future__ import annotations

import signal
from pathlib import Path

from processes import serve

from ml_connector.connectors.qbo_stripe.checks import invariant_problems
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.connectors.qbo_stripe.story import wait_until
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.testing.servers import free_port


def test_sigterm_finishes_cleanly_and_a_restart_drains_the_inbox(tmp_path: Path) -> None:
    with Sandbox(tmp_path) as sandbox:
        runtime = sandbox.runtime()
        try:
            Runner(runtime).run_all()
            invoices = [link.target_id for link in
                        runtime.store.links.for_pipeline("invoices-to-stripe")][:5]
            port = free_port()
            with serve(sandbox.project_file, port) as first:
                sandbox.connect_webhooks(f"http://127.0.0.1:{port}")
                for invoice in invoices:
                    status = sandbox.stripe_get(f"/v1/invoices/{invoice}")["status"]
                    if status == "open":
                        sandbox.stripe_admin(f"invoices/{invoice}/pay")
                sandbox.stripe_admin("webhooks/flush", {"timeout": 30})
                first.send_signal(signal.SIGTERM)
                assert first.wait(timeout=60) == 0
            received = sum(runtime.store.inbox.counts().values())
            assert received > 0                      # every delivery was stored before its 2xx
            with serve(sandbox.project_file, port):
                assert wait_until(lambda: runtime.store.inbox.depth() == 0, 60)
                sandbox.stripe_admin("webhooks/flush", {"timeout": 30})
                assert wait_until(lambda: runtime.store.inbox.depth() == 0, 60)
            assert invariant_problems(sandbox) == []
            assert runtime.store.inbox.counts().get("failed", 0) == 0
        finally:
            runtime.close()
