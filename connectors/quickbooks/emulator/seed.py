"""A company to work with: minimal sandbox defaults for every realm, and a realistic seed.

Both are written through the same entity rules as API writes, so seeded objects carry
exactly the shapes and computed totals that API-created ones do. Everything is
deterministic: the same seed gives the same ids, names and amounts on every run.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ml_connector.connectors.quickbooks.emulator.entities import rules_for
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.seed_data import (
    ACCOUNTS,
    CUSTOMERS,
    INVOICES,
    ITEMS,
)
from ml_connector.connectors.quickbooks.emulator.store import RealmState, StoredEntity
from ml_connector.connectors.quickbooks.emulator.writes import create

if TYPE_CHECKING:
    from ml_connector.connectors.quickbooks.emulator.state import EmulatorState

BASE_ACCOUNTS = [
    {"Name": "Accounts Receivable (A/R)", "AccountType": "Accounts Receivable",
     "AccountSubType": "AccountsReceivable"},
    {"Name": "Undeposited Funds", "AccountType": "Other Current Asset",
     "AccountSubType": "UndepositedFunds"},
    {"Name": "Checking", "AccountType": "Bank", "AccountSubType": "Checking"},
    {"Name": "Services", "AccountType": "Income", "AccountSubType": "ServiceFeeIncome"},
    {"Name": "Discounts given", "AccountType": "Income",
     "AccountSubType": "DiscountsRefundsGiven"},
]
JPY_RATE = Decimal("0.0064")


def bootstrap(realm: RealmState, ledger: Ledger) -> None:
    """What every new sandbox company has: company info, core accounts, a Services item."""
    stamp = ledger.clock.stamp()
    info = {"Id": "1", "SyncToken": "0", "CompanyName": realm.company_name,
            "LegalName": realm.company_name, "Country": "US", "SupportedLanguages": "en",
            "CompanyAddr": {"Line1": "2600 Marine Way", "City": "Mountain View",
                            "CountrySubDivisionCode": "CA", "PostalCode": "94043"},
            "Email": {"Address": "noreply@quickbooks.example"}, "domain": "QBO",
            "sparse": False, "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp}}
    realm.put(StoredEntity("CompanyInfo", "1", info, ledger.clock.timestamp()))
    realm.next_id = max(realm.next_id, 2)
    realm.exchange_rates.setdefault("JPY", JPY_RATE)
    for account in BASE_ACCOUNTS:
        _make(ledger, "Account", dict(account))
    income = _find(realm, "Account", "Name", "Services")
    _make(ledger, "Item", {"Name": "Services", "Type": "Service",
                           "IncomeAccountRef": {"value": income.id}})
    ledger.events.clear()


def seed(state: EmulatorState, realm_id: str) -> None:
    """Load the sample company into one realm of a running (or not yet started) emulator."""
    with state.lock:
        realm = state.realm(realm_id)
        load_sample_company(realm, Ledger(realm, state.clock))
        state.persist()


def load_sample_company(realm: RealmState, ledger: Ledger) -> None:
    """~30 customers, items, accounts and a dozen invoices (some paid, one in JPY)."""
    for account in ACCOUNTS:
        _make(ledger, "Account", dict(account))
    income = _find(realm, "Account", "Name", "Services")
    for name, kind, price in ITEMS:
        _make(ledger, "Item", {"Name": name, "Type": kind, "UnitPrice": price,
                               "IncomeAccountRef": {"value": income.id}})
    for index, spec in enumerate(CUSTOMERS):
        _make(ledger, "Customer", _customer(index, spec))
    for customer_name, txn_date, lines, extras in INVOICES:
        _invoice(ledger, customer_name, txn_date, lines, extras)
    ledger.events.clear()


def _customer(index: int, spec: dict[str, Any]) -> dict[str, Any]:
    city, region, postcode = spec["city"]
    body: dict[str, Any] = {k: v for k, v in spec.items()
                            if k in ("DisplayName", "CompanyName", "GivenName", "FamilyName")}
    body["BillAddr"] = {"Line1": f"{100 + index * 7} Main Street", "City": city,
                        "CountrySubDivisionCode": region, "PostalCode": postcode,
                        "Country": spec.get("country", "USA")}
    if spec.get("email"):
        body["PrimaryEmailAddr"] = {"Address": spec["email"]}
    body["PrimaryPhone"] = {"FreeFormNumber": f"+1 415 555 {1000 + index:04d}"}
    if spec.get("currency"):
        body["CurrencyRef"] = {"value": spec["currency"]}
    return body


def _invoice(ledger: Ledger, customer_name: str, txn_date: str,
             lines: list[tuple[str, str, str]], extras: dict[str, Any]) -> None:
    customer = _find(ledger.realm, "Customer", "DisplayName", customer_name)
    body: dict[str, Any] = {"CustomerRef": {"value": customer.id}, "TxnDate": txn_date,
                            "Line": [_sales_line(ledger.realm, *line) for line in lines]}
    if "discount_percent" in extras:
        body["Line"].append({"DetailType": "DiscountLineDetail", "DiscountLineDetail": {
            "PercentBased": True, "DiscountPercent": Decimal(str(extras["discount_percent"]))}})
    if "discount_amount" in extras:
        body["Line"].append({"DetailType": "DiscountLineDetail",
                             "Amount": Decimal(str(extras["discount_amount"])),
                             "DiscountLineDetail": {"PercentBased": False}})
    if "tax" in extras:
        body["TxnTaxDetail"] = {"TotalTax": Decimal(str(extras["tax"]))}
    if "memo" in extras:
        body["CustomerMemo"] = {"value": extras["memo"]}
    if customer.data.get("PrimaryEmailAddr"):
        body["BillEmail"] = dict(customer.data["PrimaryEmailAddr"])
    invoice = _make(ledger, "Invoice", body)
    if "paid" in extras:
        total = Decimal(str(invoice["TotalAmt"]))
        paid = total if extras["paid"] == "full" else Decimal(str(extras["paid"]))
        _make(ledger, "Payment", {
            "CustomerRef": {"value": customer.id}, "TotalAmt": paid, "TxnDate": txn_date,
            "Line": [{"Amount": paid,
                      "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})


def _sales_line(realm: RealmState, item_name: str, qty: str, price: str) -> dict[str, Any]:
    item = _find(realm, "Item", "Name", item_name)
    quantity, unit = Decimal(qty), Decimal(price)
    return {"DetailType": "SalesItemLineDetail", "Amount": quantity * unit,
            "Description": f"{item_name} ({qty} x {price})",
            "SalesItemLineDetail": {"ItemRef": {"value": item.id}, "Qty": quantity,
                                    "UnitPrice": unit}}


def _make(ledger: Ledger, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    rules = rules_for(entity)
    assert rules is not None
    return create(ledger, rules, body)


def _find(realm: RealmState, entity: str, field: str, value: str) -> StoredEntity:
    for stored in realm.live(entity):
        if stored.data.get(field) == value:
            return stored
    raise LookupError(f"seed data refers to a missing {entity} {value!r}")
