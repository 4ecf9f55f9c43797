"""Small helpers that drive the emulator through common flows in tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from ml_connector.connectors.stripe.emulator import StripeEmulator, create_app
from ml_connector.engine.testing.servers import serve_in_thread

DUE = "1900000000"
TEST_KEY = "sk_test_fake123emulator"

@dataclass
class RunningEmulator:
    """An emulator serving on a real socket: its URL, the object behind it, a client."""

    url: str
    emulator: StripeEmulator
    http: httpx.Client

    def helper(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(f"/_emulator/{path}", json=body or {})
        assert response.status_code == 200, response.text
        return response.json()

    def helper_get(self, path: str) -> Any:
        response = self.http.get(f"/_emulator/{path}")
        assert response.status_code == 200, response.text
        return response.json()

@contextmanager
def running_emulator(**options: Any) -> Iterator[RunningEmulator]:
    app = create_app(options)
    with serve_in_thread(app) as server, httpx.Client(
            base_url=server.url, auth=(TEST_KEY, ""), timeout=10) as http:
        yield RunningEmulator(server.url, app.state.emulator, http)
        app.state.emulator.close()



def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def new_customer(http: httpx.Client, **data: str) -> str:
    return str(ok(http.post("/v1/customers", data={"name": "Buyer", **data}))["id"])


def draft(http: httpx.Client, currency: str = "usd", **extra: str) -> dict[str, Any]:
    data = {"customer": new_customer(http), "collection_method": "send_invoice",
            "due_date": DUE, "auto_advance": "false", "currency": currency,
            "metadata[qbo_invoice_id]": "130", **extra}
    return ok(http.post("/v1/invoices", data=data))


def add_item(http: httpx.Client, invoice: dict[str, Any], **data: str) -> dict[str, Any]:
    return ok(http.post("/v1/invoiceitems", data={"invoice": invoice["id"], **data}))


def finalize(http: httpx.Client, inv: dict[str, Any]) -> dict[str, Any]:
    return ok(http.post(f"/v1/invoices/{inv['id']}/finalize"))


def open_invoice(http: httpx.Client, amount: int, currency: str = "usd") -> dict[str, Any]:
    inv = draft(http, currency)
    add_item(http, inv, amount=str(amount))
    return finalize(http, inv)


def customer_pays(emu: Any, amount: int, currency: str = "usd") -> dict[str, Any]:
    """Finalize an invoice, let the customer pay it online; return the expanded charge."""
    inv = open_invoice(emu.http, amount, currency)
    payment = emu.helper(f"invoices/{inv['id']}/pay", {})["invoice_payment"]
    intent = ok(emu.http.get(f"/v1/payment_intents/{payment['payment']['payment_intent']}"))
    return ok(emu.http.get(f"/v1/charges/{intent['latest_charge']}",
                           params={"expand[]": "balance_transaction"}))


class WebhookReceiver:
    """A local HTTP endpoint that records webhook deliveries; it can fail on purpose."""

    def __init__(self, fail_first: int = 0):
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        with self._lock:
            self.deliveries.append(({k.lower(): v for k, v in request.headers.items()}, body))
            failing = self.fail_first > 0
            self.fail_first -= 1 if failing else 0
        response = Response(status_code=500 if failing else 200)
        await response(scope, receive, send)

    def event_ids(self) -> list[str]:
        return [json.loads(body)["id"] for _, body in self.deliveries]


@contextmanager
def webhook_receiver(emu: RunningEmulator, *, fail_first: int = 0,
                     secret: str = "whsec_test_fake_secret_123",
                     events: list[str] | None = None) -> Iterator[WebhookReceiver]:
    """Serve a receiver and register it on the emulator with a known secret."""
    receiver = WebhookReceiver(fail_first)
    with serve_in_thread(receiver) as server:
        receiver.endpoint = emu.helper("webhook_endpoints", {  # type: ignore[attr-defined]
            "url": server.url + "/hooks", "secret": secret, "enabled_events": events or ["*"]})
        yield receiver


class MemoryCredentials:
    """A CredentialStore in memory, for connectors under test."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def put(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)

    @contextmanager
    def locked(self, key: str) -> Iterator[None]:
        with self._lock:
            yield


WEBHOOK_SECRET = "whsec_test_fake_secret_123"


def connect(url: str, **settings: Any) -> Any:
    """Open the Stripe connector through its plugin, as the engine does.

    Client-side rate limits are raised so tests do not wait; pass `requests_per_second=None`
    for the mode's real limit.
    """
    from ml_connector.connectors.stripe.plugin import plugin
    from ml_connector.engine.plugins.protocol import ConnectorContext

    values = {"secret_key": TEST_KEY, "mode": "test", "webhook_secret": WEBHOOK_SECRET,
              "requests_per_second": 1000, "search_requests_per_second": 1000,
              "endpoint_requests_per_second": 1000, **settings}
    context = ConnectorContext(connection="stripe", settings=values,
                               credentials=MemoryCredentials(), base_url=url)
    return plugin.connect(context)
