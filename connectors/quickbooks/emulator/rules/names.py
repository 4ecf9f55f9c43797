"""Name-list entities (Customer, Item, Account): unique names, deactivation, no deletes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.money import amount, currency_ref
from ml_connector.connectors.quickbooks.emulator.rules.base import (
    COMMON_FILTERS,
    EntityRules,
    ReadView,
    check_text,
    clean_ref,
    is_blank,
)
from ml_connector.connectors.quickbooks.emulator.store import StoredEntity

NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
CUSTOMER_LIMITS = {"DisplayName": 500, "GivenName": 100, "MiddleName": 100,
                   "FamilyName": 100, "Title": 16, "Suffix": 16, "CompanyName": 100,
                   "Notes": 2000, "PrintOnCheckName": 110}
ADDRESS_LIMITS = {"Line1": 500, "Line2": 500, "Line3": 500, "Line4": 500, "Line5": 500,
                  "City": 255, "CountrySubDivisionCode": 255, "PostalCode": 30,
                  "Country": 255}
MAX_JOB_LEVEL = 4
BALANCE_FIELDS = ("Balance", "BalanceWithJobs")


def ensure_unique_name(ledger: Ledger, entity: str, field: str, name: str,
                       self_id: str | None, what: str) -> None:
    """QBO compares names without regard to case; inactive records still hold their name."""
    wanted = name.strip().casefold()
    for other in ledger.realm.live(entity):
        if other.id != self_id and str(other.data.get(field, "")).strip().casefold() == wanted:
            raise errors.duplicate_name(f"Another {what} is already using this name. "
                                        f"Please use a different name. Id={other.id}")


class CustomerRules(EntityRules):
    entity, resource, name_list = "Customer", "customer", True
    filterable = COMMON_FILTERS | {"DisplayName", "GivenName", "MiddleName", "FamilyName",
                                   "CompanyName", "PrimaryEmailAddr", "Active", "Balance",
                                   "BalanceWithJobs", "FullyQualifiedName", "Job"}
    sticky = frozenset({"CurrencyRef"})

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        data = dict(data)
        if is_blank(data.get("DisplayName")):
            data["DisplayName"] = self._name_from_parts(data)
        check_text(data, CUSTOMER_LIMITS, (*NAME_PARTS, "DisplayName", "PrintOnCheckName"))
        self._check_contacts(data)
        ensure_unique_name(ledger, "Customer", "DisplayName", data["DisplayName"],
                           previous.id if previous else None, "customer")
        data["CurrencyRef"] = self._currency(ledger, data, previous)
        data["Active"] = data.get("Active", True) is not False
        self._hierarchy(ledger, data)
        opening = data.pop("Balance", None) if previous is None else None
        for computed in ("Balance", "BalanceWithJobs"):
            data.pop(computed, None)
        if opening is not None:
            data["Balance"] = amount(opening, "Balance")
        return data

    def after_save(self, ledger: Ledger, stored: StoredEntity,
                   previous: dict[str, Any] | None) -> None:
        """A Balance written on create is the opening balance; later it is computed."""
        if previous is None:
            stored.hidden["opening"] = stored.data.pop("Balance", 0)

    @staticmethod
    def _name_from_parts(data: dict[str, Any]) -> str:
        parts = [str(data[p]).strip() for p in NAME_PARTS if not is_blank(data.get(p))]
        if not parts:
            raise errors.required_missing("DisplayName")
        return " ".join(parts)

    @staticmethod
    def _check_contacts(data: dict[str, Any]) -> None:
        email = (data.get("PrimaryEmailAddr") or {}).get("Address")
        if email is not None:
            if len(email) > 100:
                raise errors.length_out_of_range("PrimaryEmailAddr.Address", 100)
            if "@" not in email or "." not in email:
                raise errors.business_rule("Invalid email address format.",
                                           element="PrimaryEmailAddr")
        for phone in ("PrimaryPhone", "Mobile", "AlternatePhone", "Fax"):
            number = (data.get(phone) or {}).get("FreeFormNumber")
            if isinstance(number, str) and len(number) > 30:
                raise errors.length_out_of_range(f"{phone}.FreeFormNumber", 30)
        for address in ("BillAddr", "ShipAddr"):
            if isinstance(data.get(address), dict):
                check_text(data[address], ADDRESS_LIMITS)

    @staticmethod
    def _currency(ledger: Ledger, data: dict[str, Any],
                  previous: StoredEntity | None) -> dict[str, str]:
        wanted = (data.get("CurrencyRef") or {}).get("value")
        if previous is not None:
            current = previous.data["CurrencyRef"]["value"]
            if wanted not in (None, current):
                raise errors.business_rule("A customer's currency cannot be changed once set.",
                                           element="CurrencyRef")
            return currency_ref(current)
        return currency_ref(wanted or ledger.realm.home_currency)

    @staticmethod
    def _hierarchy(ledger: Ledger, data: dict[str, Any]) -> None:
        parent_ref = data.get("ParentRef")
        if not parent_ref:
            data.update(Job=False, FullyQualifiedName=data["DisplayName"], Level=0)
            data.pop("ParentRef", None)
            return
        parent = ledger.ref("Customer", parent_ref, "ParentRef")
        level = int(parent.data.get("Level", 0)) + 1
        if level > MAX_JOB_LEVEL:
            raise errors.business_rule("Sub-customers can be nested at most 4 levels deep.",
                                       element="ParentRef")
        data.update(Job=True, Level=level, ParentRef=clean_ref(parent),
                    FullyQualifiedName=f"{parent.data['FullyQualifiedName']}:"
                                       f"{data['DisplayName']}")

    def render(self, view: ReadView, stored: StoredEntity) -> dict[str, Any]:
        return {**stored.copy_data(), **self._balances(view, stored)}

    def peek(self, view: ReadView, stored: StoredEntity,
             fields: frozenset[str]) -> Mapping[str, Any]:
        if fields.isdisjoint(BALANCE_FIELDS):
            return stored.data
        return {**stored.data, **self._balances(view, stored)}

    @staticmethod
    def _balances(view: ReadView, stored: StoredEntity) -> dict[str, Any]:
        balance = view.customer_balances().get(stored.id)
        return {"Balance": balance.own if balance else 0,
                "BalanceWithJobs": balance.with_jobs if balance else 0}


ACCOUNT_CLASSES = {
    "Bank": ("Asset", "Checking"), "Other Current Asset": ("Asset", "OtherCurrentAssets"),
    "Fixed Asset": ("Asset", "OtherFixedAssets"), "Other Asset": ("Asset", "OtherLongTermAssets"),
    "Accounts Receivable": ("Asset", "AccountsReceivable"),
    "Accounts Payable": ("Liability", "AccountsPayable"),
    "Credit Card": ("Liability", "CreditCard"),
    "Other Current Liability": ("Liability", "OtherCurrentLiabilities"),
    "Long Term Liability": ("Liability", "OtherLongTermLiabilities"),
    "Equity": ("Equity", "OpeningBalanceEquity"), "Income": ("Revenue", "SalesOfProductIncome"),
    "Other Income": ("Revenue", "OtherMiscellaneousIncome"),
    "Expense": ("Expense", "OtherMiscellaneousServiceCost"),
    "Other Expense": ("Expense", "OtherMiscellaneousExpense"),
    "Cost of Goods Sold": ("Expense", "SuppliesMaterialsCogs"),
}


class AccountRules(EntityRules):
    entity, resource, name_list = "Account", "account", True
    filterable = COMMON_FILTERS | {"Name", "AccountType", "AccountSubType", "Classification",
                                   "Active", "CurrentBalance", "FullyQualifiedName", "AcctNum",
                                   "SubAccount"}
    sticky = frozenset({"CurrencyRef"})

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        data = dict(data)
        if is_blank(data.get("Name")):
            raise errors.required_missing("Name")
        check_text(data, {"Name": 100, "AcctNum": 20, "Description": 100}, ("Name",))
        ensure_unique_name(ledger, "Account", "Name", data["Name"],
                           previous.id if previous else None, "account")
        account_type = data.get("AccountType")
        if account_type not in ACCOUNT_CLASSES:
            raise errors.required_missing("AccountType") if account_type is None else \
                errors.business_rule(f"Invalid AccountType {account_type!r}.", "AccountType")
        classification, default_subtype = ACCOUNT_CLASSES[account_type]
        data.setdefault("AccountSubType", default_subtype)
        data.update(Classification=classification, FullyQualifiedName=data["Name"],
                    Active=data.get("Active", True) is not False, SubAccount=False)
        data["CurrencyRef"] = currency_ref((data.get("CurrencyRef") or {}).get("value")
                                           or ledger.realm.home_currency)
        data["CurrentBalance"] = previous.data.get("CurrentBalance", 0) if previous else 0
        return data


class ItemRules(EntityRules):
    entity, resource, name_list = "Item", "item", True
    filterable = COMMON_FILTERS | {"Name", "Type", "Active", "Sku", "FullyQualifiedName"}

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        data = dict(data)
        if is_blank(data.get("Name")):
            raise errors.required_missing("Name")
        check_text(data, {"Name": 100, "Sku": 100, "Description": 4000}, ("Name",))
        ensure_unique_name(ledger, "Item", "Name", data["Name"],
                           previous.id if previous else None, "product or service")
        data.setdefault("Type", "Service")
        for ref_field in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
            if data.get(ref_field):
                account = ledger.ref("Account", data[ref_field], ref_field)
                data[ref_field] = clean_ref(account, "Name")
        if "UnitPrice" in data:
            data["UnitPrice"] = amount(data["UnitPrice"], "UnitPrice")
        data.update(FullyQualifiedName=data["Name"], Active=data.get("Active", True) is not False)
        data.setdefault("Taxable", False)
        return data


class CompanyInfoRules(EntityRules):
    """Company settings are read-only through this emulator."""

    entity, resource, creatable = "CompanyInfo", "companyinfo", False
    filterable = COMMON_FILTERS | {"CompanyName"}

    def prepare(self, ledger: Ledger, data: dict[str, Any],
                previous: StoredEntity | None) -> dict[str, Any]:
        raise errors.unsupported("Operation Create/Update is not supported for CompanyInfo "
                                 "by this emulator.")
