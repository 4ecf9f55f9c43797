"""The Stripe connector: the engine's `Connector` interface over the pieces of this package.

Customers, invoices and credit notes can be written; payments, refunds, disputes, charges,
PaymentIntents and balance transactions are read-only, as their source of truth is Stripe.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ml_connector.connectors.stripe import customers, webhooks
from ml_connector.connectors.stripe.api import StripeApi
from ml_connector.connectors.stripe.clearing import (
    CUSTOMER_OBJECTS,
    CUSTOMER_TEXT,
    INVOICE_TEXT,
    clearable,
)
from ml_connector.connectors.stripe.credit_notes import CreditNotes
from ml_connector.connectors.stripe.events import ChangeReader
from ml_connector.connectors.stripe.invoices import Invoices
from ml_connector.connectors.stripe.match_listing import match_listing
from ml_connector.connectors.stripe.reads import Reader
from ml_connector.connectors.stripe.settings import API_VERSION, StripeSettings
from ml_connector.connectors.stripe.spec import entity
from ml_connector.engine import WRITE_ONLY, FieldPath
from ml_connector.engine.errors import ConnectorError, PermanentError
from ml_connector.engine.plugins.protocol import MatchListing
from ml_connector.engine.plugins.webhook_checks import require_json_body
from ml_connector.engine.records import ChangePage, Record, WebhookEvent

WRITABLE = ("customer", "invoice", "credit_note")
# payload keys that ask for a step
STEPS = ("finalize", "paid_out_of_band", "delivery", "amount_owed")


class StripeConnector:
    def __init__(self, settings: StripeSettings, api: StripeApi):
        self.settings, self.api = settings, api
        self.reader = Reader(api)
        self.changes = ChangeReader(api, self.reader)
        self._merged_customers: dict[str, bool] = {}

    def _writable(self, name: str) -> None:
        entity(name)
        if name not in WRITABLE:
            raise PermanentError(f"Stripe {name} records are read-only for this connector")

    def get(self, entity: str, record_id: str) -> Record | None:
        return self.reader.get(entity, record_id)

    def read_changes(self, entity: str, cursor: str | None) -> Iterator[ChangePage]:
        return self.changes.read_changes(entity, cursor)

    def find(self, entity: str, field: str, value: Any) -> list[Record]:
        return self.reader.find(entity, field, value)

    def match_listing(self, entity: str, fields: Sequence[str]) -> MatchListing | None:
        """Customers and invoices listed for a backfill's matching, instead of searches."""
        return match_listing(self.reader, entity, fields)

    def create(self, entity: str, payload: Mapping[str, Any], *, idempotency_key: str) -> Record:
        self._writable(entity)
        if entity == "customer":
            return customers.create(self.api, payload, idempotency_key)
        if entity == "credit_note":
            return CreditNotes(self.api).create(payload, idempotency_key)
        return Invoices(self.api).create(payload, idempotency_key)

    def update(self, entity: str, record_id: str, payload: Mapping[str, Any], *,
               clear: Sequence[tuple[str, ...]] = ()) -> Record:
        self._writable(entity)
        if entity == "customer":
            return customers.update(self.api, record_id, payload, clear)
        if entity == "credit_note":
            return CreditNotes(self.api).update(record_id, payload, clear)
        return Invoices(self.api).update(record_id, payload, clear)

    def refuses_update(self, entity: str, current: Record,
                       payload: Mapping[str, Any]) -> str | None:
        """Why an update would be refused: a finalized invoice's amounts cannot change, nor
        a credit note's."""
        if entity == "credit_note":
            return CreditNotes(self.api).refusal(current.data, payload)
        if entity != "invoice":
            return None
        return Invoices(self.api).refusal(current.data, payload)

    def reconcile_view(self, entity: str, record: Record) -> Mapping[str, Any]:
        """An invoice as a pipeline writes it: its lines as a list, its control flags
        WRITE_ONLY.

        `finalize`, `paid_out_of_band` and `amount_owed` ask for steps, not fields to compare:
        a person may finalize a draft, and an invoice paid through Stripe was not paid
        out of band though the source shows it paid.

        A paid invoice of a customer merged into another does not compare its customer: it
        cannot move to the survivor's Stripe customer, and stays, paid, where it was.
        """
        if entity != "invoice":
            return record.data
        shown = {**record.data, **dict.fromkeys(STEPS, WRITE_ONLY),
                 "lines": Invoices(self.api).lines.of(dict(record.data))}
        if record.data.get("status") == "paid" and self._merged(record.data.get("customer")):
            shown["customer"] = WRITE_ONLY   # it stays with the merged customer it was paid by
        return shown

    def clears(self, entity: str, path: FieldPath) -> bool:
        """Whether Stripe unsets this field when an update sends it empty (see clearing)."""
        if entity == "customer":
            return clearable(path, text=CUSTOMER_TEXT, objects=CUSTOMER_OBJECTS)
        return entity == "invoice" and clearable(path, text=INVOICE_TEXT)

    def _merged(self, customer_id: Any) -> bool:
        """Whether a customer is marked merged (asked once per customer: marks stay)."""
        if not isinstance(customer_id, str):
            return False
        if customer_id not in self._merged_customers:
            reply = self.api.get_or_none(f"/v1/customers/{customer_id}")
            metadata = (reply.body.get("metadata") or {}) if reply is not None else {}
            self._merged_customers[customer_id] = bool(metadata.get(customers.MERGED_INTO))
        return self._merged_customers[customer_id]

    def remove(self, entity: str, record_id: str, *, mode: str) -> Record | None:
        self._writable(entity)
        if entity == "customer":
            return customers.remove(self.api, record_id, mode)
        if entity == "credit_note":
            return CreditNotes(self.api).remove(record_id, mode)
        return Invoices(self.api).remove(record_id, mode)

    def mark_merged(self, entity: str, record_id: str, *, into: str) -> Record | None:
        """Keep the customer of a source record merged into `into`, marked as merged."""
        self._writable(entity)
        if entity != "customer":
            raise PermanentError(f"Stripe {entity} records cannot be marked merged")
        return customers.mark_merged(self.api, record_id, into)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        webhooks.verify(headers, body, self.settings.webhook_secrets,
                        tolerance=self.settings.webhook_tolerance_seconds)
        require_json_body(headers)
        return webhooks.parse(body, livemode=self.settings.mode == "live")

    def check(self) -> dict[str, Any]:
        """`ml-connector connections test`: one cheap authenticated call, said plainly."""
        result: dict[str, Any] = {"ok": False, "mode": self.settings.mode,
                                  "api_base": self.settings.api_base,
                                  "api_version": API_VERSION,
                                  "webhook_secret": "set" if self.settings.webhook_secrets
                                  else "not set (webhooks will be refused)"}
        try:
            reply = self.api.get("/v1/customers", {"limit": 1})
        except ConnectorError as exc:
            return {**result, "problem": str(exc), "request_id": exc.request_id}
        return {**result, "ok": True, "request_id": next(iter(reply.request_ids), None)}

    def close(self) -> None:
        self.api.close()
