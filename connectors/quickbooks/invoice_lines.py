"""The `qbo_invoice_lines` filter: a QuickBooks invoice as the lines a payment API bills.

QuickBooks writes an invoice in several shapes: item lines, bundles (a `GroupLineDetail`
line whose components sit in `GroupLineDetail.Line`), shipping (an item line naming
`SHIPPING_ITEM_ID`), discounts by amount or by percent, inline subtotals and text lines that
bill nothing, and tax in `TxnTaxDetail`, one `TaxLine` per rate. Its `TotalAmt` is the
lines, less the discounts, plus the tax. Written as template expressions that would take a
page of YAML no one could edit safely; here it is one call, and the pipeline still says
what each line's text and amount become. The connector contributes it to every mapping
through the `ml_connector.filters` entry point, as it knows these shapes and the engine
knows no system's.

The lines returned always add up to `TotalAmt`. When they cannot (a bundle whose components
disagree with it, a line of a kind this does not know), or when an amount is finer than the
payment side can carry, the filter fails and names the QuickBooks line and what to change:
an invoice that is sent wrong is worse than one that is not sent.

Messages quote line numbers, Ids and amounts only, never descriptions or names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ml_connector.engine.mapping.conversions import (
    FilterError,
    describe_type,
    fail_if_undefined,
    to_decimal,
)
from ml_connector.engine.mapping.currencies import minor_unit_exponent, normalize_currency

SHIPPING_ITEM = "SHIPPING_ITEM_ID"
NOT_BILLED = frozenset({"DescriptionOnly", "SubTotalLineDetail"})
ZERO = Decimal(0)


def qbo_invoice_lines(record: object) -> list[dict[str, Any]]:
    """Billed lines of a QuickBooks invoice: `description`, signed `amount`, `kind`.

    `kind` is `item`, `shipping`, `bundle`, `discount` or `tax`; amounts are Decimals in
    the invoice currency (major units), discounts negative. Item, shipping and bundle lines
    come in QuickBooks order, then the discounts, then one line per tax rate.
    """
    fail_if_undefined(record)
    if not isinstance(record, Mapping):
        raise FilterError(f"qbo_invoice_lines needs an invoice record, got "
                          f"{describe_type(record)}")
    try:
        currency = normalize_currency((record.get("CurrencyRef") or {}).get("value"))
    except ValueError as exc:
        raise FilterError(f"qbo_invoice_lines: the invoice's CurrencyRef: {exc}") from None
    raw_lines = record.get("Line") or []
    if not isinstance(raw_lines, Sequence):
        raise FilterError("qbo_invoice_lines: the invoice's Line is not a list")
    billed, discounts = [], []
    for line in raw_lines:
        if not isinstance(line, Mapping):
            raise FilterError("qbo_invoice_lines: a Line entry is not an object")
        kind = line.get("DetailType")
        if kind == "DiscountLineDetail":
            discounts.append(_discount(line))
        elif kind == "GroupLineDetail":
            billed.append(_bundle(line, currency))
        elif kind == "SalesItemLineDetail":
            if _has_item(line):
                billed.append(_item(line))
        elif kind not in NOT_BILLED and line.get("Amount") not in (None, 0):
            raise FilterError(f"{_where(line)} is a {kind} line, which cannot be billed "
                              "in Stripe; change it to an item, bundle or discount line")
    taxes = _taxes(record, billed, discounts, currency)
    result = billed + discounts + taxes
    for where, entry in _sources(result):
        _check_representable(entry["amount"], currency, where)
    _check_total(record, result, currency)
    return result


def _has_item(line: Mapping[str, Any]) -> bool:
    """A sales line without an item is text to QuickBooks: its Amount is not in TotalAmt."""
    return bool((line.get("SalesItemLineDetail") or {}).get("ItemRef"))


def _where(line: Mapping[str, Any], component_of: Mapping[str, Any] | None = None) -> str:
    """How a person finds the line in QuickBooks: its number on the form and its Id."""
    if component_of is not None:
        return f"{_where(component_of)}, component Id {line.get('Id', '?')}"
    number = line.get("LineNum")
    return f"line {number} (Id {line.get('Id', '?')})" if number else \
        f"line Id {line.get('Id', '?')}"


def _amount(line: Mapping[str, Any], where: str) -> Decimal:
    if line.get("Amount") is None:
        raise FilterError(f"{where} has no Amount; give it one in QuickBooks")
    try:
        return to_decimal(line["Amount"], "qbo_invoice_lines")
    except FilterError as exc:
        raise FilterError(f"{where}: {exc}") from None


def _entry(kind: str, description: Any, amount: Decimal, line: Any) -> dict[str, Any]:
    return {"kind": kind, "description": str(description), "amount": amount,
            "source": line}


def _item(line: Mapping[str, Any]) -> dict[str, Any]:
    ref = line["SalesItemLineDetail"]["ItemRef"]
    shipping = str(ref.get("value")) == SHIPPING_ITEM
    fallback = "Shipping" if shipping else ref.get("name") or f"Item {ref.get('value')}"
    description = line["Description"] if line.get("Description") is not None else fallback
    return _entry("shipping" if shipping else "item", description,
                  _amount(line, _where(line)), line)


def _bundle(line: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """A bundle bills as one line: the sum of its components, which QuickBooks prices."""
    detail = line.get("GroupLineDetail") or {}
    components = [c for c in detail.get("Line") or []
                  if isinstance(c, Mapping) and c.get("DetailType") == "SalesItemLineDetail"
                  and _has_item(c)]
    ref = detail.get("GroupItemRef") or {}
    description = line.get("Description") or ref.get("name") or "Bundle"
    if not components:
        return _entry("bundle", description, _amount(line, _where(line)), line)
    total = sum((_amount(c, _where(c, line)) for c in components), ZERO)
    stated = _amount(line, _where(line)) if line.get("Amount") is not None else total
    if stated != total:
        raise FilterError(f"{_where(line)} is a bundle of {_shown(stated, currency)} whose "
                          f"components add up to {_shown(total, currency)}; open it in "
                          "QuickBooks and save it so its amount is recomputed")
    return _entry("bundle", description, total, line)


def _discount(line: Mapping[str, Any]) -> dict[str, Any]:
    detail = line.get("DiscountLineDetail") or {}
    description = line.get("Description")
    if description is None:
        percent = detail.get("DiscountPercent")
        description = (f"Discount {_percent(percent)}%" if detail.get("PercentBased")
                       and percent is not None else "Discount")
    return _entry("discount", description, -_amount(line, _where(line)), line)


def _percent(value: Any) -> str:
    """8.25 -> "8.25", 5 -> "5", 7.50 -> "7.5": a rate as people write it."""
    number = to_decimal(value, "qbo_invoice_lines")
    return f"{number.normalize():f}"


def _taxes(record: Mapping[str, Any], billed: list[dict[str, Any]],
           discounts: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    """One line per tax rate, named after it; one plain "Tax" line if the rates disagree.

    QuickBooks line amounts exclude tax, also on a tax-inclusive invoice, and `TotalAmt`
    adds `TotalTax`. An invoice whose lines already make up `TotalAmt` says otherwise: its
    amounts include the tax, so the tax lines show what is included, at zero.
    """
    detail = record.get("TxnTaxDetail") or {}
    total_tax = to_decimal(detail.get("TotalTax", 0), "qbo_invoice_lines")
    if total_tax == 0:
        return []
    code = (detail.get("TxnTaxCodeRef") or {}).get("name")
    rates = [t for t in detail.get("TaxLine") or [] if isinstance(t, Mapping)
             and t.get("Amount") is not None]
    taxes = [_entry("tax", _tax_name(t, code), to_decimal(t["Amount"], "qbo_invoice_lines"),
                    t) for t in rates]
    if sum((t["amount"] for t in taxes), ZERO) != total_tax:
        taxes = [_entry("tax", "Tax", total_tax, detail)]
    if record.get("GlobalTaxCalculation") == "TaxInclusive" and "TotalAmt" in record:
        before_tax = sum((e["amount"] for e in billed + discounts), ZERO)
        if before_tax == to_decimal(record["TotalAmt"], "qbo_invoice_lines"):
            return [dict(t, amount=ZERO, description=f"{t['description']} (included: "
                                                      f"{_shown(t['amount'], currency)})")
                    for t in taxes]
    return taxes


def _tax_name(tax: Mapping[str, Any], code: str | None) -> str:
    detail = tax.get("TaxLineDetail") or {}
    name = (detail.get("TaxRateRef") or {}).get("name") or code
    percent = detail.get("TaxPercent")
    rate = f"{_percent(percent)}%" if percent is not None else ""
    if name:
        return f"Tax: {name} {rate}".rstrip()
    return f"Tax {rate}".rstrip()


def _check_total(record: Mapping[str, Any], lines: list[dict[str, Any]],
                 currency: str) -> None:
    if record.get("TotalAmt") is None:
        return
    wanted = to_decimal(record["TotalAmt"], "qbo_invoice_lines")
    got = sum((line["amount"] for line in lines), ZERO)
    if got != wanted:
        raise FilterError(f"the invoice's billed lines, discounts and tax add up to "
                          f"{_shown(got, currency)} {currency} but its TotalAmt is "
                          f"{_shown(wanted, currency)}; check that every "
                          "line with an amount is an item, bundle, shipping or discount "
                          "line and that TxnTaxDetail.TotalTax is the tax charged")


def _sources(result: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each result with where its amount came from, for messages; drops `source`."""
    for entry in result:
        source = entry.pop("source")
        if entry["kind"] != "tax":
            where = _where(source)
        elif isinstance(source, Mapping) and "TaxLineDetail" in source:
            rate = (source["TaxLineDetail"].get("TaxRateRef") or {}).get("value", "?")
            where = f"the tax line of TaxRateRef {rate}"
        else:
            where = "TxnTaxDetail.TotalTax"
        yield where, entry


def _shown(amount: Decimal, currency: str) -> str:
    """An amount written with its currency's decimals (20 -> "20.00"), never rounded."""
    step = Decimal(1).scaleb(-minor_unit_exponent(currency))
    exact = amount.quantize(step) if amount == amount.quantize(step) else amount
    return f"{exact:f}"


def _check_representable(amount: Decimal, currency: str, where: str) -> None:
    """Stripe counts in whole minor units, and in steps of 10 for three-decimal ones."""
    exponent = minor_unit_exponent(currency)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise FilterError(f"{where}: {amount:f} {currency} has more decimals than {currency} "
                          f"allows; round it in QuickBooks to {exponent} decimals")
    if exponent == 3 and minor % 10:
        raise FilterError(f"{where}: {amount:f} {currency} cannot be sent to Stripe, which "
                          f"takes {currency} amounts in steps of 0.010; round it in "
                          "QuickBooks to two decimals")
