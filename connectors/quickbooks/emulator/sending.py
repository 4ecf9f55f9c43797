"""`POST /invoice/{id}/send`: mark an invoice e-mailed (no mail leaves the emulator)."""

from __future__ import annotations

from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.rules.base import ReadView
from ml_connector.connectors.quickbooks.emulator.rules.sales import InvoiceRules


def send_invoice(ledger: Ledger, invoice_id: str, send_to: str | None) -> dict[str, Any]:
    stored = ledger.realm.get("Invoice", invoice_id)
    if stored is None:
        raise errors.object_not_found("Invoice", invoice_id)
    changes: dict[str, Any] = {"EmailStatus": "EmailSent",
                               "DeliveryInfo": {"DeliveryType": "Email",
                                                "DeliveryTime": ledger.clock.stamp()}}
    if send_to:
        changes["BillEmail"] = {"Address": send_to}
    elif not (stored.data.get("BillEmail") or {}).get("Address"):
        raise errors.business_rule("The invoice has no BillEmail address to send to.",
                                   "BillEmail")
    ledger.touch(stored, changes, operation="Emailed")
    return InvoiceRules().render(ReadView(ledger.realm), stored)
