"""What the connector knows about each QBO entity, in one place per entity.

`SPECS` holds the engine-facing `EntitySpec`s; `QboEntity` adds what only this connector
needs (URL resource, whether it is a name list, how it is voided). Match fields are the
properties QBO lets a query filter on, so a pipeline can match on them; the fields each
entity has are in `fields.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ml_connector.connectors.quickbooks.fields import FIELDS, RECORD_FIELDS
from ml_connector.engine.plugins.protocol import EntitySpec

READ_WRITE = frozenset({"read", "create", "update", "remove"})


@dataclass(frozen=True)
class QboEntity:
    spec: EntitySpec
    resource: str
    name_list: bool = False
    void_style: str | None = None  # "void" (?operation=void) or "include" (include=void)

    @property
    def name(self) -> str:
        return self.spec.name


def _entity(name: str, *, match: tuple[str, ...], remove: tuple[str, ...],
            name_list: bool = False, void_style: str | None = None,
            description: str = "", operations: frozenset[str] = READ_WRITE) -> QboEntity:
    spec = EntitySpec(name=name, id_field="Id", version_field="SyncToken",
                      cursor_field="MetaData.LastUpdatedTime", match_fields=match,
                      webhook_events=(f"qbo.{name.lower()}.created.v1",
                                      f"qbo.{name.lower()}.updated.v1",
                                      f"qbo.{name.lower()}.deleted.v1"),
                      operations=operations, remove_modes=remove, description=description,
                      label=f"QuickBooks {name}",
                      record_fields=RECORD_FIELDS.get(name, FIELDS[name]),
                      payload_fields=FIELDS[name])
    return QboEntity(spec, name.lower(), name_list, void_style)


ENTITIES: dict[str, QboEntity] = {e.name: e for e in (
    _entity("Customer", name_list=True, remove=("deactivate",),
            match=("Id", "DisplayName", "CompanyName", "GivenName", "FamilyName",
                   "PrimaryEmailAddr", "PrimaryEmailAddr.Address"),
            description="A customer (name list: deactivated, never deleted)."),
    _entity("Item", name_list=True, remove=("deactivate",), match=("Id", "Name", "Sku"),
            description="A product or service used on sales lines."),
    _entity("Account", name_list=True, remove=("deactivate",),
            match=("Id", "Name", "AccountType", "AccountSubType"),
            description="A ledger account (Undeposited Funds, bank, income ...)."),
    _entity("Invoice", void_style="void", remove=("void", "delete"),
            match=("Id", "DocNumber", "CustomerRef", "CustomerRef.value"),
            description="A sales invoice; paid when Balance reaches 0."),
    _entity("Payment", void_style="include", remove=("void", "delete"),
            match=("Id", "PaymentRefNum", "CustomerRef", "CustomerRef.value"),
            description="Money received, applied to invoices through LinkedTxn lines."),
    _entity("RefundReceipt", remove=("delete",), match=("Id", "DocNumber", "CustomerRef"),
            description="Money paid back to a customer."),
    _entity("CreditMemo", void_style="void", remove=("void", "delete"),
            match=("Id", "DocNumber", "CustomerRef"),
            description="Credit owed to a customer; `AppliedTo` names the invoices its "
                        "credit was applied to (through payments) and how much each got."),
    _entity("SalesReceipt", void_style="include", remove=("void", "delete"),
            match=("Id", "DocNumber", "CustomerRef"),
            description="A sale paid on the spot."),
    _entity("Deposit", remove=("delete",), match=("Id",),
            description="Receipts moved into a bank account (e.g. a Stripe payout)."),
    _entity("JournalEntry", remove=("delete",), match=("Id", "DocNumber"),
            description="A balanced booking (e.g. a dispute's loss)."),
)}

SPECS: dict[str, EntitySpec] = {name: entity.spec for name, entity in ENTITIES.items()}
