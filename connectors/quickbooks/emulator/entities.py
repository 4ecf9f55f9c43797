"""The entities the emulator knows, by name and by the lower-case URL resource name."""

from __future__ import annotations

from ml_connector.connectors.quickbooks.emulator.rules.banking import (
    DepositRules,
    JournalEntryRules,
)
from ml_connector.connectors.quickbooks.emulator.rules.base import EntityRules
from ml_connector.connectors.quickbooks.emulator.rules.names import (
    AccountRules,
    CompanyInfoRules,
    CustomerRules,
    ItemRules,
)
from ml_connector.connectors.quickbooks.emulator.rules.payments import PaymentRules
from ml_connector.connectors.quickbooks.emulator.rules.sales import (
    CreditMemoRules,
    InvoiceRules,
    RefundReceiptRules,
    SalesReceiptRules,
)

RULES: dict[str, EntityRules] = {rules.entity: rules for rules in (
    CustomerRules(), ItemRules(), AccountRules(), CompanyInfoRules(), InvoiceRules(),
    CreditMemoRules(), RefundReceiptRules(), SalesReceiptRules(), PaymentRules(),
    DepositRules(), JournalEntryRules(),
)}
BY_RESOURCE: dict[str, EntityRules] = {rules.resource: rules for rules in RULES.values()}


def rules_for(entity: str) -> EntityRules | None:
    """Rules by entity name; QBO entity names are case sensitive (`Customer`, `Invoice`)."""
    return RULES.get(entity)


def rules_for_resource(resource: str) -> EntityRules | None:
    """Rules by URL resource; URIs are case sensitive and lower-case (`customer`)."""
    return BY_RESOURCE.get(resource)
