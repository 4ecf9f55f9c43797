"""One conversation of the connector with Stripe, recorded as a cassette and replayed offline.

It runs the same way against the emulator, Stripe's test mode (to re-record) or the
cassette: a customer created and found by e-mail, an invoice created (draft, two lines in
one add_lines request, the total checked, finalized), its memo updated, an amount change
refused, the invoice voided, a missing object read, and a poll of the Events API. Every
value sent later is taken from an earlier answer, so replay sends exactly what was
recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import vcr
from vcr.request import Request as VcrRequest

from ml_connector.connectors.stripe.api import StripeApi
from ml_connector.connectors.stripe.connector import StripeConnector
from ml_connector.connectors.stripe.settings import API_BASE, StripeSettings
from ml_connector.engine.errors import ImmutableTargetError
from ml_connector.engine.redaction import redact, redact_text

CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "stripe"
CASSETTE = CASSETTES / "test_stripe_connector_cassettes" / "conversation.yaml"
RECORDED_KEY = "sk_test_recorded"
EMAIL = "ap@cassette.example"


class Scrubber:
    """Rewrites what is recorded: the API origin becomes api.stripe.com, secrets are masked."""

    def __init__(self, origin: str):
        self.origin = origin.rstrip("/")

    def text(self, value: str) -> str:
        value = value.replace(self.origin, API_BASE)
        return redact_text(value.replace(urlparse(self.origin).netloc, urlparse(API_BASE).netloc))

    def request(self, request: VcrRequest) -> VcrRequest:
        request.uri = self.text(request.uri)
        masked = redact(dict(request.headers))
        for name in list(request.headers):
            request.headers[name] = self.text(str(masked[name]))
        if request.body:
            body = request.body if isinstance(request.body, bytes) else request.body.encode()
            request.body = self.text(body.decode("utf-8")).encode("utf-8")
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        body = response["body"]["string"]
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        response["body"]["string"] = self.text(text).encode("utf-8")
        masked = redact({k: v for k, v in response["headers"].items()
                         if k.lower() != "content-length"})
        response["headers"] = {k: [self.text(str(x)) for x in (v if isinstance(v, list)
                                                               else [v])]
                               for k, v in masked.items()}
        return response


def recorder(mode: str, scrubber: Scrubber | None = None) -> vcr.VCR:
    """Requests match on everything they send, the form body included."""
    hooks: dict[str, Any] = {}
    if scrubber is not None:
        hooks = {"before_record_request": scrubber.request,
                 "before_record_response": scrubber.response}
    return vcr.VCR(record_mode=mode, decode_compressed_response=True,
                   match_on=["method", "scheme", "host", "port", "path", "query", "body"],
                   **hooks)


def open_connector(base_url: str = API_BASE, key: str = RECORDED_KEY) -> StripeConnector:
    settings = StripeSettings.from_mapping("stripe", {"secret_key": key, "max_attempts": 1},
                                           base_url)
    return StripeConnector(settings, StripeApi(settings))


def converse(connector: StripeConnector) -> dict[str, Any]:
    """The conversation; returns what a test checks after replaying it."""
    customer = connector.create("customer", {"name": "O'Brien Plumbing (cassette)",
                                             "email": EMAIL,
                                             "metadata": {"qbo_customer_id": "4242"}},
                                idempotency_key="mlc:cassette:customer")
    found = connector.find("customer", "email", EMAIL)
    payload = {"customer": customer.id, "currency": "usd", "collection_method": "send_invoice",
               "days_until_due": 30, "metadata": {"qbo_invoice_id": "130"},
               "lines": [{"description": "Consulting, 3 h", "amount": 15000},
                         {"description": "Discount", "amount": -1000}], "total": 14000}
    invoice = connector.create("invoice", payload, idempotency_key="mlc:cassette:invoice")
    noted = connector.update("invoice", invoice.id, {**payload, "description": "Thank you"})
    try:
        connector.update("invoice", invoice.id, {**payload, "total": 15000,
                                                 "lines": payload["lines"][:1]})
        refused = False
    except ImmutableTargetError:
        refused = True
    voided = connector.remove("invoice", invoice.id, mode="void")
    changes = [r.id for p in connector.read_changes("customer", None) for r in p.records]
    return {"customer": customer.id, "found": [r.id for r in found],
            "invoice_status": invoice.data["status"], "total": invoice.data["total"],
            "memo": noted.data["description"], "refused": refused,
            "voided": voided.data["status"] if voided else None,
            "missing": connector.get("invoice", "in_missing_cassette"),
            "listed": customer.id in changes}
