"""One conversation of the connector with QBO, recorded as a cassette and replayed offline.

It runs the same way against the emulator, a real sandbox company (to re-record) or the
cassette: a token refresh, an escaped query, creates, a sparse update, a payment that
closes an invoice, a CDC read and a void. Expiry decisions use a fixed clock and every
value sent later is taken from an earlier answer, so replay sends exactly what was recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import vcr
from vcr.request import Request as VcrRequest

from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.connectors.quickbooks.settings import QboSettings
from ml_connector.connectors.quickbooks.tokens import TokenSet, save_tokens
from ml_connector.engine.http import RetryPolicy
from ml_connector.engine.plugins.protocol import CredentialStore
from ml_connector.engine.redaction import redact, redact_text

CASSETTES = Path(__file__).resolve().parents[3] / "cassettes" / "quickbooks"
CASSETTE = CASSETTES / "test_qbo_connector_cassettes" / "conversation.yaml"
HOST = "https://qbo.test"
REALM = "9341455000000"
ISSUED_AT = 1_000.0
CLOCK = ISSUED_AT + 3_590.0  # ten seconds before the stored access token expires
RETRY = RetryPolicy(max_attempts=3, initial_wait=0.01, max_wait=0.02, jitter=False,
                    max_retry_after=0.02)


@dataclass
class Scrubber:
    """Rewrites what is recorded: one host, one realm id, and every secret masked."""

    origins: tuple[str, ...]
    realm: str

    def text(self, value: str) -> str:
        for origin in self.origins:
            value = value.replace(origin, HOST).replace(urlparse(origin).netloc,
                                                        urlparse(HOST).netloc)
        return redact_text(value.replace(self.realm, REALM))

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


def _without_requestid(r1: VcrRequest, r2: VcrRequest) -> None:
    """Queries match except `requestid`, which is random for updates."""
    def strip(request: VcrRequest) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in request.query if k != "requestid")
    assert strip(r1) == strip(r2), f"{strip(r1)} != {strip(r2)}"


def recorder(mode: str, scrubber: Scrubber | None = None) -> vcr.VCR:
    """`record_mode="none"` replays only; every interaction may be played once."""
    hooks: dict[str, Any] = {}
    if scrubber is not None:
        hooks = {"before_record_request": scrubber.request,
                 "before_record_response": scrubber.response}
    recorder = vcr.VCR(record_mode=mode, match_on=["method", "scheme", "host", "port", "path",
                                                   "qbo_query"],
                       decode_compressed_response=True, **hooks)
    recorder.register_matcher("qbo_query", _without_requestid)
    return recorder


def settings(base: str, client_id: str = "recorded-client",
             client_secret: str = "recorded-secret-fake123",
             environment: str = "sandbox") -> QboSettings:
    return QboSettings.from_mapping("qbo", {
        "client_id": client_id, "client_secret": client_secret, "environment": environment,
        "token_url": f"{base}/oauth2/v1/tokens/bearer",
        "revoke_url": f"{base}/v2/oauth2/tokens/revoke"}, base)


def store_expiring_tokens(credentials: CredentialStore, access: str, refresh: str,
                          realm: str) -> None:
    save_tokens(credentials, TokenSet(access, refresh, realm, ISSUED_AT + 3600,
                                      ISSUED_AT + 8_640_000, 3600))


def open_connector(qbo_settings: QboSettings, credentials: CredentialStore
                   ) -> QuickBooksConnector:
    return QuickBooksConnector(qbo_settings, credentials, clock=lambda: CLOCK, retry=RETRY)


def converse(connector: QuickBooksConnector) -> dict[str, Any]:
    """The conversation; returns what a test checks after replaying it."""
    item = connector.find("Item", "Name", "Services")[0]
    customer = connector.create("Customer", {"DisplayName": "O'Brien Plumbing (cassette)",
                                             "PrimaryEmailAddr": {"Address": "ap@obrien.example"}},
                                idempotency_key="mlc:cassette:customer")
    found = connector.find("Customer", "DisplayName", "O'Brien Plumbing (cassette)")
    invoice = connector.create("Invoice", _invoice(customer.id, item.id),
                               idempotency_key="mlc:cassette:invoice")
    noted = connector.update("Invoice", invoice.id, {"PrivateNote": "stripe_invoice=in_test"})
    total = Decimal(str(invoice.data["TotalAmt"]))
    payment = connector.create("Payment", {
        "CustomerRef": {"value": customer.id}, "TotalAmt": total,
        "Line": [{"Amount": total, "LinkedTxn": [{"TxnId": invoice.id, "TxnType": "Invoice"}]}]},
        idempotency_key="mlc:cassette:payment")
    paid = connector.get("Invoice", invoice.id)
    since = _before(customer.data["MetaData"]["CreateTime"])
    changes = [r for page in connector.read_changes("Invoice", since) for r in page.records]
    voided = connector.remove("Payment", payment.id, mode="void")
    return {"found": [r.id for r in found], "customer": customer.id, "invoice": invoice.id,
            "total": total, "note": noted.data.get("PrivateNote"), "version": noted.version,
            "paid_balance": paid.data["Balance"] if paid else None,
            "changed": [r.id for r in changes], "voided_total": voided.data["TotalAmt"]
            if voided else None}


def _invoice(customer_id: str, item_id: str) -> dict[str, Any]:
    def line(qty: str, price: str, text: str) -> dict[str, Any]:
        return {"DetailType": "SalesItemLineDetail", "Description": text,
                "Amount": Decimal(qty) * Decimal(price),
                "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": Decimal(qty),
                                        "UnitPrice": Decimal(price)}}

    return {"CustomerRef": {"value": customer_id},
            "Line": [line("3", "50.00", "Consulting, 3 h"), line("2", "12.25", "Parts"),
                     {"DetailType": "DiscountLineDetail", "Amount": Decimal("10.00"),
                      "DiscountLineDetail": {"PercentBased": False}}],
            "TxnTaxDetail": {"TotalTax": Decimal("8.52")}}


def _before(stamp: str) -> str:
    return (datetime.fromisoformat(stamp) - timedelta(seconds=1)).isoformat()


SECRET_SHAPES = re.compile(r"eyJ[A-Za-z0-9_-]{10,}|AB11[A-Za-z0-9_-]{10,}|fake123")
