"""A project with the two real connectors, wired to a recording upstream, for bad-input tests.

The connections are named `quickbooks` and `stripe`, use the real plugins (so deliveries go
through their real `parse_webhook`), and read their secrets from the encrypted store. Every
API base URL points at `Upstream`, a loopback server that only counts what reaches it: a
delivery that is processed makes the worker fetch the record it names, so "the upstream saw
nothing" means "nothing was processed".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sqlite3
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse

from ml_connector.connectors.quickbooks.tokens import TokenSet, save_tokens
from ml_connector.engine.loading import load_workspace
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.store import MasterKey, Store, tables
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.testing.servers import BackgroundServer, serve_in_thread
from ml_connector.engine.triggers.service import Service, ServiceOptions

REALM = "9341455000000"
OTHER_REALM = "1234567890123"
QBO_VERIFIER = "qbo-verifier-badinput-fake123"
QBO_CLIENT_SECRET = "qbo-client-secret-badinput-fake123"
STRIPE_KEY = "sk_test_fakeBadInput123"
STRIPE_WEBHOOK_SECRET = "whsec_fakeBadInput123"

CUSTOMERS = """\
name: customers-to-stripe
description: QuickBooks customers become Stripe customers.
source: {connection: quickbooks, entity: Customer}
target: {connection: stripe, entity: customer}
match:
  - target_field: metadata.qbo_customer_id
    value: "{{ record.Id }}"
mapping:
  name: "{{ record.DisplayName }}"
  metadata:
    qbo_customer_id: "{{ record.Id }}"
triggers:
  - webhook: quickbooks
"""

REFUNDS = """\
name: refunds-to-quickbooks
description: Stripe refunds become QuickBooks refund receipts.
source: {connection: stripe, entity: refund}
target: {connection: quickbooks, entity: RefundReceipt}
mapping:
  PrivateNote: "{{ record.id }}"
  TotalAmt: "{{ record.amount | major_units(record.currency) }}"
triggers:
  - webhook: stripe
"""


def project_yaml(upstream: str) -> str:
    return textwrap.dedent(f"""\
        version: 1
        store: {{url: "sqlite:///state.db"}}
        pipelines: [pipelines]
        workers: 2
        connections:
          quickbooks:
            connector: quickbooks
            base_url: "{upstream}"
            settings:
              client_id: badinput-client
              client_secret: "${{secret:quickbooks.client_secret}}"
              realm_id: "{REALM}"
              token_url: "{upstream}/oauth2/v1/tokens/bearer"
              webhook_verifier_token: "${{secret:quickbooks.webhook_verifier_token}}"
          stripe:
            connector: stripe
            base_url: "{upstream}"
            settings:
              secret_key: "${{secret:stripe.secret_key}}"
              webhook_secret: "${{secret:stripe.webhook_secret}}"
        """)


class Upstream:
    """Stands in for both APIs: counts every request and answers 404 to all of them.

    A 404 is neither retried nor an authorisation problem, so a worker that does process an
    event settles it at once instead of keeping the service busy with retries.
    """

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        with self._lock:
            self.requests.append(f"{request.method} {request.url.path}")
        body = {"error": {"type": "invalid_request_error", "code": "resource_missing",
                          "message": "No such object (upstream stand-in)"}}
        await JSONResponse(body, status_code=404)(scope, receive, send)


@dataclass
class World:
    """The runtime, its store and the upstream's record of requests."""

    runtime: Runtime
    upstream: Upstream

    @property
    def store(self) -> Store:
        return self.runtime.store

    def rows(self, table: str) -> int:
        """Rows of a store table in any state (a processed inbox item still counts)."""
        path = self.runtime.project.root / "state.db"
        with closing(sqlite3.connect(path)) as db:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def nothing_happened(self) -> bool:
        """Nothing stored, nothing audited, nothing fetched from either API."""
        return (self.rows(tables.inbox.name) == 0 and self.rows(tables.audit.name) == 0
                and self.upstream.requests == [])


def open_world(folder: Path, upstream_url: str, upstream: Upstream) -> World:
    (folder / "pipelines").mkdir(parents=True)
    (folder / "pipelines" / "customers.yaml").write_text(CUSTOMERS)
    (folder / "pipelines" / "refunds.yaml").write_text(REFUNDS)
    (folder / "ml-connector.yaml").write_text(project_yaml(upstream_url))
    registry = PluginRegistry.from_entry_points()
    project, pipelines = load_workspace(folder / "ml-connector.yaml", registry=registry)
    store = Store.open(project.store_url, root=project.root, master_key=MasterKey.generate())
    for key, value in (("quickbooks.client_secret", QBO_CLIENT_SECRET),
                       ("quickbooks.webhook_verifier_token", QBO_VERIFIER),
                       ("stripe.secret_key", STRIPE_KEY),
                       ("stripe.webhook_secret", STRIPE_WEBHOOK_SECRET)):
        store.secrets.put(key, value)
    now = time.time()   # authorised, as `connections auth` leaves it: /healthz starts ok
    save_tokens(store.credentials("quickbooks"), TokenSet(
        "made-up-access-badinput", "made-up-refresh-badinput", REALM, now + 3600,
        now + 100 * 86400, 3600))
    runtime = Runtime(project=project, registry=registry, store=store, pipelines=pipelines,
                      env={})
    return World(runtime, upstream)


@contextmanager
def upstream_server() -> Iterator[tuple[Upstream, BackgroundServer]]:
    upstream = Upstream()
    with serve_in_thread(upstream) as server:
        yield upstream, server


@contextmanager
def running(world: World, *, max_body: int | None = None) -> Iterator[httpx.Client]:
    """The real service on a loopback port, with one inbox worker draining as it would."""
    service = Service(world.runtime, ServiceOptions(workers=1, poll=False,
                                                    worker_idle_wait=0.02))
    if max_body is not None:
        service.intake.max_body = max_body
    with serve_in_thread(service.app()) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


# -- deliveries, signed the way each sender signs them (independently of the product) -------

def qbo_signature(body: bytes, token: str = QBO_VERIFIER) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def qbo_headers(body: bytes, **extra: str) -> dict[str, str]:
    return {"content-type": "application/json", "intuit-signature": qbo_signature(body),
            **extra}


def qbo_classic(entity: str = "Customer", record_id: str = "58", realm: str = REALM,
                operation: str = "Update") -> bytes:
    return json.dumps({"eventNotifications": [{"realmId": realm, "dataChangeEvent": {
        "entities": [{"name": entity, "id": record_id, "operation": operation,
                      "lastUpdated": "2026-07-01T16:20:31.657Z"}]}}]}).encode()


def qbo_cloudevent(event_type: str = "qbo.customer.updated.v1", record_id: str = "58",
                   realm: str = REALM, event_id: str = "88cd52aa") -> bytes:
    return json.dumps([{"specversion": "1.0", "id": event_id, "source": "intuit.test",
                        "type": event_type, "time": "2026-07-01T16:20:31.179Z",
                        "intuitentityid": record_id, "intuitaccountid": realm,
                        "data": {}}]).encode()


def stripe_signature(body: bytes, *, at: int | None = None,
                     secret: str = STRIPE_WEBHOOK_SECRET) -> str:
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def stripe_headers(body: bytes, *, at: int | None = None, **extra: str) -> dict[str, str]:
    return {"content-type": "application/json; charset=utf-8",
            "stripe-signature": stripe_signature(body, at=at), **extra}


def stripe_event(event_type: str = "refund.created", object_id: str = "re_1",
                 event_id: str = "evt_1", **extra: Any) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": event_type,
                       "created": 1783000005, "livemode": False,
                       "api_version": "2026-10-28.endive",
                       "request": {"id": None, "idempotency_key": None},
                       "data": {"object": {"id": object_id, "object": "refund"}},
                       **extra}).encode()
