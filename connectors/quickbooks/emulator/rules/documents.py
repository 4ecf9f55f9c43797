"""What every sales form shares: customer and currency, numbering, dates, lines and tax."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.money import (
    ZERO,
    amount,
    currency_ref,
    quantize,
)
from ml_connector.connectors.quickbooks.emulator.rules.base import clean_ref, is_blank
from ml_connector.connectors.quickbooks.emulator.rules.lines import price_lines
from ml_connector.connectors.quickbooks.emulator.store import StoredEntity

DOC_NUMBER_MAX = 21
BANK_TYPES = ("Bank", "Other Current Asset")


def sales_document(ledger: Ledger, data: dict[str, Any], previous: StoredEntity | None,
                   entity: str, *, customer_required: bool = True) -> dict[str, Any]:
    """Validate and total a sales form; `TotalAmt` = lines - discount + tax.

    The reference gives that sum for every form. Line Amounts are net of tax in every mode:
    `GlobalTaxCalculation: TaxInclusive` says how prices were entered and are shown (a
    sales line's gross is `SalesItemLineDetail.TaxInclusiveAmt`), so the tax is added on a
    tax-inclusive invoice too.
    """
    data = dict(data)
    currency = customer_and_currency(ledger, data, customer_required)
    doc_number(ledger, data, previous, entity)
    data["TxnDate"] = check_date(data.get("TxnDate") or ledger.clock.today(), "TxnDate")
    previous_lines = previous.data.get("Line", []) if previous else []
    priced = price_lines(ledger, data.get("Line"), currency, previous_lines)
    tax = _tax(data, currency)
    total = priced.subtotal - priced.discount + tax
    data["Line"] = priced.lines
    data["TotalAmt"] = quantize(total, currency)
    return data


def customer_and_currency(ledger: Ledger, data: dict[str, Any], required: bool) -> str:
    """Fill `CustomerRef`/`CurrencyRef`; a customer's transactions use its currency."""
    ref = data.get("CustomerRef")
    wanted = (data.get("CurrencyRef") or {}).get("value")
    if not ref:
        if required:
            raise errors.required_missing("CustomerRef")
        currency = wanted or ledger.realm.home_currency
    else:
        customer = ledger.ref("Customer", ref, "CustomerRef")
        data["CustomerRef"] = clean_ref(customer)
        currency = customer.data["CurrencyRef"]["value"]
        if wanted and wanted != currency:
            raise errors.business_rule(f"The currency {wanted} does not match the customer's "
                                       f"currency {currency}.", element="CurrencyRef")
    data["CurrencyRef"] = currency_ref(currency)
    if currency == ledger.realm.home_currency:
        data.pop("ExchangeRate", None)
    else:
        given = data.get("ExchangeRate")
        data["ExchangeRate"] = (amount(given, "ExchangeRate") if given is not None
                                else ledger.realm.rate_for(currency))
    return currency


HOME_FIELDS = {"TotalAmt": "HomeTotalAmt", "Balance": "HomeBalance"}


def home_amounts(ledger: Ledger, data: dict[str, Any], fields: tuple[str, ...]) -> None:
    """`HomeTotalAmt`/`HomeBalance` for a foreign-currency transaction (read-only in QBO)."""
    rate = data.get("ExchangeRate")
    for field in fields:
        data.pop(HOME_FIELDS[field], None)
        if rate is not None:
            value = Decimal(str(data.get(field, 0))) * rate
            data[HOME_FIELDS[field]] = quantize(value, ledger.realm.home_currency)


def doc_number(ledger: Ledger, data: dict[str, Any], previous: StoredEntity | None,
               entity: str) -> None:
    """DocNumber: at most 21 characters, unique per type, generated when omitted."""
    value = data.get("DocNumber")
    if is_blank(value):
        if previous is not None and previous.data.get("DocNumber"):
            data["DocNumber"] = previous.data["DocNumber"]
            return
        data["DocNumber"] = ledger.realm.next_doc_number(entity)
        return
    value = str(value)
    if len(value) > DOC_NUMBER_MAX:
        raise errors.length_out_of_range("DocNumber", DOC_NUMBER_MAX)
    for other in ledger.realm.live(entity):
        if other.data.get("DocNumber") == value and (previous is None or other.id != previous.id):
            raise errors.duplicate_doc_number(value)
    data["DocNumber"] = value


def check_date(value: Any, element: str) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise errors.invalid_property(element, "must be a date (YYYY-MM-DD)") from exc


def _tax(data: dict[str, Any], currency: str) -> Decimal:
    """`TotalTax`, or the sum of the `TaxLine`s when only they are given.

    A percent-based tax line without an Amount is `NetAmountTaxable` times `TaxPercent`,
    rounded to the currency as QBO posts it.
    """
    detail = dict(data.get("TxnTaxDetail") or {})
    lines = []
    for raw in detail.get("TaxLine") or []:
        if not isinstance(raw, dict):
            raise errors.invalid_property("TxnTaxDetail.TaxLine", "must be an object")
        line = dict(raw, DetailType="TaxLineDetail")
        tax = dict(line.get("TaxLineDetail") or {})
        for field in ("TaxPercent", "NetAmountTaxable"):
            if field in tax:
                tax[field] = amount(tax[field], f"TaxLineDetail.{field}")
        if "Amount" in line:
            line["Amount"] = amount(line["Amount"], "TxnTaxDetail.TaxLine.Amount")
        elif tax.get("PercentBased") and "TaxPercent" in tax and "NetAmountTaxable" in tax:
            line["Amount"] = quantize(tax["NetAmountTaxable"] * tax["TaxPercent"] / 100,
                                      currency)
        else:
            raise errors.required_missing("TxnTaxDetail.TaxLine.Amount")
        line["TaxLineDetail"] = tax
        lines.append(line)
    if lines:
        detail["TaxLine"] = lines
    if "TotalTax" in detail:
        total = amount(detail["TotalTax"], "TxnTaxDetail.TotalTax")
    else:
        total = quantize(sum((line["Amount"] for line in lines), ZERO), currency)
    detail["TotalTax"] = total
    data["TxnTaxDetail"] = detail
    return total


def money_account(ledger: Ledger, ref: Any, element: str) -> dict[str, str]:
    """An account money moves through: must be Bank or Other Current Asset."""
    account = ledger.ref("Account", ref, element)
    if account.data.get("AccountType") not in BANK_TYPES:
        raise errors.business_rule(f"{element} must be an account of type Bank or Other "
                                   "Current Asset.", element=element)
    return clean_ref(account, "Name")


def undeposited_funds(ledger: Ledger) -> dict[str, str]:
    """Where a payment lands when it names no account, found by subtype as QBO does."""
    for account in ledger.realm.live("Account"):
        if account.data.get("AccountSubType") == "UndepositedFunds":
            return clean_ref(account, "Name")
    raise errors.business_rule("The company has no Undeposited Funds account.",
                               element="DepositToAccountRef")


def zeroed_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines of a voided transaction: kept, with every amount and quantity set to 0."""
    result = []
    for raw in lines:
        line = dict(raw, Amount=ZERO) if "Amount" in raw else dict(raw)
        detail = line.get("SalesItemLineDetail")
        if isinstance(detail, dict) and "Qty" in detail:
            line["SalesItemLineDetail"] = dict(detail, Qty=ZERO)
        result.append(line)
    return result


def voided_note(note: Any) -> str:
    return f"Voided - {note}" if note else "Voided"
