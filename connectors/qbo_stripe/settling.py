"""How the connector catches up after people act: by webhooks through `serve`, or by polling.

Both end in the same state; the tests play the story once each way and compare.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from ml_connector.connectors.qbo_stripe.sandbox import Sandbox
from ml_connector.connectors.qbo_stripe.story import wait_until
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.testing.servers import BackgroundServer
from ml_connector.engine.triggers.service import Service, ServiceOptions

WRITES = ("create", "update", "remove", "recreate", "adopt+update")


def settle_by_polling(runtime: Runtime, rounds: int = 6) -> None:
    """Poll every pipeline until a whole round writes nothing (a chain settles in a few)."""
    for _ in range(rounds):
        summaries = Runner(runtime, trigger="poll").run_all()
        if not any(s.counts[a] for s in summaries for a in WRITES):
            return
    raise RuntimeError(f"the systems did not settle after {rounds} polling rounds")


class WebhookService(AbstractContextManager["WebhookService"]):
    """`serve` on a loopback port, with both emulators' webhooks pointed at it."""

    def __init__(self, sandbox: Sandbox, runtime: Runtime, *, workers: int = 2,
                 qbo_format: str = "cloudevents"):
        self.sandbox, self.runtime = sandbox, runtime
        self.service = Service(runtime, ServiceOptions(workers=workers, poll=False))
        self.server = BackgroundServer(self.service.app())
        self.qbo_format = qbo_format

    def __enter__(self) -> WebhookService:
        self.server.start()
        self.sandbox.connect_webhooks(self.server.url, qbo_format=self.qbo_format)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until both emulators have delivered everything and the inbox is drained.

        Processing an event can cause more (a QuickBooks payment changes an invoice), so it
        repeats until a whole round receives nothing new.
        """
        inbox = self.runtime.store.inbox
        received = -1
        while received != sum(inbox.counts().values()):
            received = sum(inbox.counts().values())
            self.sandbox.qbo_admin("webhooks/flush?timeout=30")
            self.sandbox.stripe_admin("webhooks/flush", {"timeout": 30})
            if not wait_until(lambda: inbox.depth() == 0, timeout):
                raise RuntimeError(f"the webhook inbox still holds {inbox.depth()} event(s)")
