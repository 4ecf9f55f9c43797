"""The people of a fault run: a bookkeeper in QuickBooks and customers paying in Stripe.

People are not the client under test. The bookkeeper works in QuickBooks with a login of
her own (her own OAuth grant, not the project's tokens) and her requests are marked exempt
from injected faults, as someone typing into QuickBooks does not go through the connector's
network. Customers act through the Stripe emulator's helper routes, which faults never touch.

`PeopleStory` is the shipped story played by these people; `Crowd` adds `scale` more
customers doing the same kinds of things, so a larger run has more records in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from fault_world import NO_FAULTS

from ml_connector.connectors.qbo_stripe.sandbox import (
    QBO_CLIENT_ID,
    QBO_CLIENT_SECRET,
    QBO_REALM,
    Sandbox,
)
from ml_connector.connectors.qbo_stripe.story import Story
from ml_connector.connectors.quickbooks.connector import QuickBooksConnector
from ml_connector.connectors.quickbooks.settings import QboSettings
from ml_connector.connectors.quickbooks.tokens import TokenSet, save_tokens
from ml_connector.engine.sync.runtime import Runtime


class ExemptTransport(httpx.HTTPTransport):
    """Marks every request as not under test, so injected faults pass it by."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.headers.update(NO_FAULTS)
        return super().handle_request(request)


class MemoryCredentials:
    """The bookkeeper's own login, kept in memory (a `CredentialStore`)."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lock = threading.RLock()

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def put(self, key: str, value: str) -> None:
        self._values[key] = value

    def delete(self, key: str) -> None:
        self._values.pop(key, None)

    @contextmanager
    def locked(self, key: str) -> Iterator[None]:
        with self._lock:
            yield


def bookkeeper(sandbox: Sandbox) -> QuickBooksConnector:
    """A QuickBooks client logged in with a grant of its own, exempt from faults."""
    url = sandbox.qbo_url
    settings = QboSettings.from_mapping("bookkeeper", {
        "client_id": QBO_CLIENT_ID, "client_secret": QBO_CLIENT_SECRET,
        "token_url": f"{url}/oauth2/v1/tokens/bearer",
        "revoke_url": f"{url}/v2/oauth2/tokens/revoke"}, url)
    credentials = MemoryCredentials()
    grant = sandbox.qbo_admin("connect", {"realm_id": QBO_REALM})
    save_tokens(credentials, TokenSet.from_response(grant, QBO_REALM, time.time()))
    return QuickBooksConnector(settings, credentials, transport=ExemptTransport())


class PeopleStory(Story):
    """The shipped story, with the bookkeeper's own QuickBooks login."""

    def __init__(self, sandbox: Sandbox, runtime: Runtime, settle: Callable[[], None],
                 echo: Callable[[str], None] = lambda _text: None):
        super().__init__(sandbox, runtime, settle, echo)
        self._qbo = bookkeeper(sandbox)


@dataclass
class CrowdLog:
    customers: list[str] = field(default_factory=list)       # QBO customer ids
    invoices: dict[int, str] = field(default_factory=dict)    # crowd number -> QBO invoice id
    voided: list[str] = field(default_factory=list)
    paid_online: int = 0
    paid_by_cheque: int = 0
    refunds: int = 0
    disputes: int = 0
    skipped: list[str] = field(default_factory=list)          # actions with nothing to act on


class Crowd:
    """`scale` more customers: invoiced, some edited or voided, paid, refunded, disputed."""

    def __init__(self, sandbox: Sandbox, runtime: Runtime, settle: Callable[[], None],
                 scale: int):
        self.sandbox, self.runtime, self.settle, self.scale = sandbox, runtime, settle, scale
        self.qbo = bookkeeper(sandbox)
        self.log = CrowdLog()

    def play(self) -> CrowdLog:
        for step in (self.invoice_everyone, self.edit_and_void, self.pay, self.refund,
                     self.dispute):
            step()
            self.settle()
        return self.log

    # -- QuickBooks ---------------------------------------------------------------------------

    def invoice_everyone(self) -> None:
        hours = self.qbo.find("Item", "Name", "Hours")[0].id
        for n in range(self.scale):
            customer = self.qbo.create("Customer", {
                "DisplayName": f"Crowd Customer {n:04d}",
                "PrimaryEmailAddr": {"Address": f"crowd{n}@example.test"}},
                idempotency_key=f"crowd-customer-{n}")
            self.log.customers.append(customer.id)
            lines = [_line(f"Work item {k}", Decimal(1000 + 137 * n + 11 * k) / 100, hours)
                     for k in range(1 + n % 3)]
            invoice = self.qbo.create("Invoice", {
                "CustomerRef": {"value": customer.id}, "TxnDate": "2026-11-02",
                "DueDate": "2026-12-02", "Line": lines}, idempotency_key=f"crowd-invoice-{n}")
            self.log.invoices[n] = invoice.id

    def edit_and_void(self) -> None:
        """Every fourth invoice gets another line; every fifth is voided."""
        hours = self.qbo.find("Item", "Name", "Hours")[0].id
        for n, invoice_id in self.log.invoices.items():
            if n % 5 == 4:
                self.qbo.remove("Invoice", invoice_id, mode="void")
                self.log.voided.append(invoice_id)
            elif n % 4 == 1:
                current = self.qbo.get("Invoice", invoice_id)
                assert current is not None
                lines = [line for line in current.data["Line"]
                         if line.get("DetailType") == "SalesItemLineDetail"]
                lines.append(_line("Late addition", Decimal("19.99"), hours))
                self.qbo.update("Invoice", invoice_id, {"Line": lines})

    # -- Stripe -------------------------------------------------------------------------------

    def pay(self) -> None:
        """Most pay online (one in three pays half); every sixth pays by cheque instead."""
        for n, invoice_id in self._live_invoices():
            if n % 6 == 3:
                self._cheque(invoice_id)
                continue
            invoice = self._stripe_invoice(invoice_id)
            if invoice is None or invoice["status"] != "open":
                self.log.skipped.append(f"pay {invoice_id}")
                continue
            amount = invoice["amount_remaining"] // 2 if n % 3 == 2 else None
            self.sandbox.stripe_admin(f"invoices/{invoice['id']}/pay",
                                      {} if amount is None else {"amount": amount})
            self.log.paid_online += 1

    def refund(self) -> None:
        for n, invoice_id in self._live_invoices():
            if n % 4 == 0 and (charge := self._charge(invoice_id)) is not None:
                self.sandbox.stripe_admin(f"charges/{charge}/refund", {"amount": 500})
                self.log.refunds += 1

    def dispute(self) -> None:
        """Every seventh paid charge is disputed; half the disputes are closed at once."""
        for n, invoice_id in self._live_invoices():
            if n % 7 != 5 or (charge := self._charge(invoice_id)) is None:
                continue
            dispute = self.sandbox.stripe_admin(f"charges/{charge}/dispute")
            if n % 2:
                self.sandbox.stripe_admin(f"disputes/{dispute['id']}/close",
                                          {"outcome": "lost" if n % 4 == 1 else "won"})
            self.log.disputes += 1

    # -- helpers ------------------------------------------------------------------------------

    def _live_invoices(self) -> list[tuple[int, str]]:
        return [(n, i) for n, i in self.log.invoices.items() if i not in self.log.voided]

    def _cheque(self, invoice_id: str) -> None:
        invoice = self.qbo.get("Invoice", invoice_id)
        assert invoice is not None
        balance = invoice.data["Balance"]
        self.qbo.create("Payment", {
            "CustomerRef": invoice.data["CustomerRef"], "TotalAmt": balance,
            "PaymentRefNum": f"CHQ-{invoice_id}",
            "Line": [{"Amount": balance, "LinkedTxn": [{"TxnId": invoice_id,
                                                         "TxnType": "Invoice"}]}]},
            idempotency_key=f"crowd-cheque-{invoice_id}")
        self.log.paid_by_cheque += 1

    def _stripe_invoice(self, qbo_invoice_id: str) -> dict[str, Any] | None:
        """The Stripe invoice the connector linked, if any (a link may lag a recreate)."""
        link = self.runtime.store.links.get("invoices-to-stripe", qbo_invoice_id)
        if link is None:
            return None
        try:
            return dict(self.sandbox.stripe_get(f"/v1/invoices/{link.target_id}"))
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 404:
                return None
            raise

    def _charge(self, qbo_invoice_id: str) -> str | None:
        invoice = self._stripe_invoice(qbo_invoice_id)
        if invoice is None:
            return None
        payments = self.sandbox.stripe_get("/v1/invoice_payments", {
            "invoice": invoice["id"], "status": "paid"})["data"]
        online = [p for p in payments if p["payment"]["type"] == "payment_intent"]
        if not online:
            return None
        intent = online[0]["payment"]["payment_intent"]
        return str(self.sandbox.stripe_get(f"/v1/payment_intents/{intent}")["latest_charge"])


def _line(description: str, amount: Decimal, item_id: str) -> dict[str, Any]:
    return {"DetailType": "SalesItemLineDetail", "Amount": amount, "Description": description,
            "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": 1,
                                    "UnitPrice": amount}}
