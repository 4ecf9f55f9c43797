"""Invoice, CreditMemo, RefundReceipt and SalesReceipt."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.money import ZERO
from ml_connector.connectors.quickbooks.emulator.rules.balances import (
    applications,
    applied_total,
)
from ml_connector.connectors.quickbooks.emulator.rules.base import (
    COMMON_FILTERS,
    EntityRules,
    check_text,
)
from ml_connector.connectors.quickbooks.emulator.rules.documents import (
    check_date,
    home_amounts,
    money_account,
    sales_document,
    undeposited_funds,
    voided_note,
    zeroed_lines,
)
from ml_connector.connectors.quickbooks.emulator.store import StoredEntity

TXN_FILTERS = COMMON_FILTERS | {"DocNumber", "TxnDate", "CustomerRef", "TotalAmt"}
DEFAULT_TERMS_DAYS = 30


class _Receivable(EntityRules):
    """A document payments can be applied to: Balance = TotalAmt - payments applied."""

    sticky = frozenset({"DocNumber"})

    def open_amounts(self, ledger: Ledger, data: dict[str, Any],
                     previous: StoredEntity | None) -> None:
        applied = applied_total(ledger.realm, self.entity, previous.id) if previous else ZERO
        total = Decimal(str(data["TotalAmt"]))
        if applied > total:
            raise errors.business_rule(f"The total cannot be less than the {applied} already "
                                       "applied by payments; unlink them first.", "Line")
        data["Balance"] = total - applied
        data["LinkedTxn"] = linked_payments(ledger, self.entity, previous.id) if previous else []
        home_amounts(ledger, data, ("TotalAmt", "Balance"))

    def before_delete(self, ledger: Ledger, stored: StoredEntity) -> None:
        if applied_total(ledger.realm, self.entity, stored.id):
            raise errors.business_rule(f"This {self.entity} has linked payments; unlink them "
                                       "before deleting it.")


def linked_payments(ledger: Ledger, entity: str, record_id: str) -> list[dict[str, str]]:
    seen: list[str] = []
    for payment_id, _ in applications(ledger.realm, entity, record_id):
        if payment_id not in seen:
            seen.append(payment_id)
    return [{"TxnId": pid, "TxnType": "Payment"} for pid in seen]


def refresh_receivable(ledger: Ledger, entity: str, record_id: str) -> None:
    """Recompute Balance and LinkedTxn after a payment changed; bump it only if it moved."""
    stored = ledger.realm.get(entity, record_id)
    if stored is None:
        return
    applied = applied_total(ledger.realm, entity, record_id)
    changes: dict[str, Any] = {
        "Balance": Decimal(str(stored.data.get("TotalAmt", 0))) - applied,
        "LinkedTxn": linked_payments(ledger, entity, record_id)}
    if entity == "CreditMemo":
        changes["RemainingCredit"] = changes["Balance"]
    if all(stored.data.get(k) == v for k, v in changes.items()):
        return
    data = dict(stored.data, **changes)
    home_amounts(ledger, data, ("TotalAmt", "Balance"))
    ledger.touch(stored, {k: v for k, v in data.items() if k.startswith("Home") or k in changes})


CUSTOM_FIELDS_MAX = 3   # legacy custom fields of a sales form (api-reference.md A3)


def check_custom_fields(data: dict[str, Any]) -> None:
    """`CustomField` entries name their definition by `DefinitionId`; a sales form has at
    most three, and the connector writes only string fields."""
    fields = data.get("CustomField")
    if fields is None:
        return
    if not isinstance(fields, list) or len(fields) > CUSTOM_FIELDS_MAX:
        raise errors.invalid_property("CustomField", f"must be a list of at most "
                                                     f"{CUSTOM_FIELDS_MAX} custom fields")
    for entry in fields:
        if not isinstance(entry, dict) or entry.get("DefinitionId") in (None, ""):
            raise errors.required_missing("CustomField.DefinitionId")
        if entry.get("Type", "StringType") != "StringType" and "StringValue" in entry:
            raise errors.invalid_property("CustomField.Type", "a StringValue needs StringType")


class InvoiceRules(_Receivable):
    entity, resource, void_mode = "Invoice", "invoice", "void"
    filterable = TXN_FILTERS | {"DueDate", "Balance", "EmailStatus", "PrintStatus"}

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        data = sales_document(ledger, data, previous, self.entity)
        check_text(data, {"PrivateNote": 4000})
        check_custom_fields(data)
        due = data.get("DueDate") or (date.fromisoformat(data["TxnDate"])
                                      + timedelta(days=DEFAULT_TERMS_DAYS)).isoformat()
        data["DueDate"] = check_date(due, "DueDate")
        self.open_amounts(ledger, data, previous)
        customer = ledger.realm.get("Customer", data["CustomerRef"]["value"])
        for address in ("BillAddr", "ShipAddr"):
            if not data.get(address) and customer and customer.data.get(address):
                data[address] = dict(customer.data[address])
        data.setdefault("EmailStatus", "NotSet")
        data.setdefault("PrintStatus", "NotSet")
        return data

    def voided(self, ledger: Ledger, stored: StoredEntity) -> dict[str, Any]:
        data = {k: v for k, v in stored.data.items()
                if k not in ("Id", "SyncToken", "MetaData", "domain", "sparse")}
        data.update(Line=zeroed_lines(data.get("Line", [])), TotalAmt=ZERO, Balance=ZERO,
                    LinkedTxn=[], PrivateNote=voided_note(data.get("PrivateNote")))
        data["TxnTaxDetail"] = dict(data.get("TxnTaxDetail") or {}, TotalTax=ZERO)
        home_amounts(ledger, data, ("TotalAmt", "Balance"))
        return data

    def after_void(self, ledger: Ledger, stored: StoredEntity,
                   previous: dict[str, Any]) -> None:
        """A voided invoice releases its payments: they become unapplied customer credit."""
        from ml_connector.connectors.quickbooks.emulator.rules.payments import unlink_target

        unlink_target(ledger, "Invoice", stored.id)


class CreditMemoRules(_Receivable):
    """Credit owed to a customer, applied to invoices through payments.

    A void (`?operation=void`, as for an invoice) zeroes it and takes its credit back from
    the payments that applied it, so the invoices it lowered owe that amount again.
    """

    entity, resource, void_mode = "CreditMemo", "creditmemo", "void"
    filterable = TXN_FILTERS | {"Balance"}

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        data = sales_document(ledger, data, previous, self.entity)
        self.open_amounts(ledger, data, previous)
        data["RemainingCredit"] = data["Balance"]
        return data

    def voided(self, ledger: Ledger, stored: StoredEntity) -> dict[str, Any]:
        data = {k: v for k, v in stored.data.items()
                if k not in ("Id", "SyncToken", "MetaData", "domain", "sparse")}
        data.update(Line=zeroed_lines(data.get("Line", [])), TotalAmt=ZERO, Balance=ZERO,
                    RemainingCredit=ZERO, LinkedTxn=[],
                    PrivateNote=voided_note(data.get("PrivateNote")))
        data["TxnTaxDetail"] = dict(data.get("TxnTaxDetail") or {}, TotalTax=ZERO)
        home_amounts(ledger, data, ("TotalAmt", "Balance"))
        return data

    def after_void(self, ledger: Ledger, stored: StoredEntity,
                   previous: dict[str, Any]) -> None:
        from ml_connector.connectors.quickbooks.emulator.rules.payments import withdraw_credit

        withdraw_credit(ledger, stored.id)


class RefundReceiptRules(EntityRules):
    """Money paid back: a negative sale paid out of `DepositToAccountRef` (required)."""

    entity, resource = "RefundReceipt", "refundreceipt"
    filterable = TXN_FILTERS
    sticky = frozenset({"DocNumber"})

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        if not data.get("DepositToAccountRef"):
            raise errors.required_missing("DepositToAccountRef")
        data = sales_document(ledger, data, previous, self.entity, customer_required=False)
        data["DepositToAccountRef"] = money_account(ledger, data["DepositToAccountRef"],
                                                    "DepositToAccountRef")
        data.update(Balance=ZERO, RemainingCredit=ZERO)
        home_amounts(ledger, data, ("TotalAmt",))
        return data


class SalesReceiptRules(EntityRules):
    """Payment taken at the time of sale; lands in Undeposited Funds unless told otherwise."""

    entity, resource, void_mode = "SalesReceipt", "salesreceipt", "include"
    filterable = TXN_FILTERS
    sticky = frozenset({"DocNumber"})

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        data = sales_document(ledger, data, previous, self.entity, customer_required=False)
        ref = data.get("DepositToAccountRef")
        data["DepositToAccountRef"] = (money_account(ledger, ref, "DepositToAccountRef")
                                       if ref else undeposited_funds(ledger))
        data["Balance"] = ZERO
        home_amounts(ledger, data, ("TotalAmt",))
        return data

    def voided(self, ledger: Ledger, stored: StoredEntity) -> dict[str, Any]:
        data = {k: v for k, v in stored.data.items()
                if k not in ("Id", "SyncToken", "MetaData", "domain", "sparse")}
        data.update(Line=zeroed_lines(data.get("Line", [])), TotalAmt=ZERO,
                    PrivateNote=voided_note(data.get("PrivateNote")))
        return data
