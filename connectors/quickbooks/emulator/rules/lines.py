"""Transaction lines: ids, line numbers, item look-ups and the totals QBO computes from them.

Rules from the API reference: a sales line counts only when it names an Item (otherwise it
is a description and its Amount is ignored); a percent discount applies to the subtotal;
QBO adds one SubTotalLineDetail line to every response; a line Id that exists on the object
updates that line, anything else creates a new one. `SHIPPING_ITEM_ID` is an item of its
own that no Item query lists. A bundle (`GroupLineDetail`) carries its component sales
lines in `GroupLineDetail.Line`; its Amount is theirs added up, and that is what counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.money import ZERO, amount, quantize
from ml_connector.connectors.quickbooks.emulator.rules.base import clean_ref

COUNTED = {"SalesItemLineDetail", "GroupLineDetail"}
SPECIAL_ITEMS = {"SHIPPING_ITEM_ID": "Shipping"}
KNOWN = COUNTED | {"DescriptionOnly", "DiscountLineDetail", "SubTotalLineDetail"}


@dataclass
class PricedLines:
    lines: list[dict[str, Any]] = field(default_factory=list)
    subtotal: Decimal = ZERO
    discount: Decimal = ZERO


class _LineIds:
    """Keeps the Ids of lines that already exist on the object, numbers the new ones."""

    def __init__(self, previous_lines: list[dict[str, Any]]):
        self.known = {str(line.get("Id")) for line in previous_lines if line.get("Id")}
        numbers = [int(i) for i in self.known if i.isdigit()]
        self.next = max(numbers, default=0) + 1
        self.used: set[str] = set()

    def assign(self, requested: Any) -> str:
        wanted = str(requested) if requested is not None else ""
        if wanted in self.known and wanted not in self.used:
            self.used.add(wanted)
            return wanted
        while str(self.next) in self.known or str(self.next) in self.used:
            self.next += 1
        value = str(self.next)
        self.used.add(value)
        self.next += 1
        return value


def price_lines(ledger: Ledger, raw_lines: Any, currency: str,
                previous_lines: list[dict[str, Any]]) -> PricedLines:
    """Normalise sales-form lines and compute subtotal and discount."""
    if not isinstance(raw_lines, list) or not raw_lines:
        raise errors.required_missing("Line")
    ids, result, discounts = _LineIds(previous_lines), PricedLines(), []
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise errors.invalid_property("Line", "must be an object")
        detail_type = raw.get("DetailType")
        if detail_type not in KNOWN:
            raise errors.invalid_property("Line.DetailType", f"{detail_type!r} is not valid")
        if detail_type == "SubTotalLineDetail":
            continue
        line = _line(ledger, raw, ids)
        if detail_type == "GroupLineDetail":
            _bundle(ledger, line, ids, currency)
        if detail_type == "DiscountLineDetail":
            discounts.append(line)
            continue
        line["LineNum"] = len(result.lines) + 1
        if _counts(line):
            result.subtotal += line["Amount"]
        result.lines.append(line)
    result.lines.append({"Amount": quantize(result.subtotal, currency),
                         "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    for line in discounts:
        line["Amount"] = _discount_amount(ledger, line, result.subtotal, currency)
        line["LineNum"] = len(result.lines)
        result.discount += line["Amount"]
        result.lines.append(line)
    return result


def _line(ledger: Ledger, raw: dict[str, Any], ids: _LineIds) -> dict[str, Any]:
    line = dict(raw)
    line["Id"] = ids.assign(raw.get("Id"))
    description = line.get("Description")
    if isinstance(description, str) and len(description) > 4000:
        raise errors.length_out_of_range("Line.Description", 4000)
    if line["DetailType"] == "SalesItemLineDetail":
        _sales_detail(ledger, line)
    elif "Amount" in line:
        line["Amount"] = amount(line["Amount"], "Line.Amount")
    return line


def _bundle(ledger: Ledger, line: dict[str, Any], ids: _LineIds, currency: str) -> None:
    """Price each component like a sales line; the bundle's Amount is their sum."""
    detail = dict(line.get("GroupLineDetail") or {})
    line["GroupLineDetail"] = detail
    if detail.get("GroupItemRef"):
        group = ledger.ref("Item", detail["GroupItemRef"], "Line.GroupLineDetail.GroupItemRef")
        detail["GroupItemRef"] = clean_ref(group, "Name")
    if "Quantity" in detail:
        detail["Quantity"] = amount(detail["Quantity"], "GroupLineDetail.Quantity")
    raw_components = detail.get("Line")
    if not isinstance(raw_components, list) or not raw_components:
        raise errors.required_missing("Line.GroupLineDetail.Line")
    components = []
    for number, raw in enumerate(raw_components, start=1):
        if not isinstance(raw, dict) or raw.get("DetailType") != "SalesItemLineDetail":
            raise errors.invalid_property("Line.GroupLineDetail.Line",
                                          "components must be SalesItemLineDetail lines")
        component = _line(ledger, raw, ids)
        component["LineNum"] = number
        components.append(component)
    detail["Line"] = components
    line["Amount"] = quantize(sum((c["Amount"] for c in components if _counts(c)), ZERO),
                              currency)


def _sales_detail(ledger: Ledger, line: dict[str, Any]) -> None:
    detail = dict(line.get("SalesItemLineDetail") or {})
    line["SalesItemLineDetail"] = detail
    if not detail.get("ItemRef"):
        if "Amount" in line:
            line["Amount"] = amount(line["Amount"], "Line.Amount")
        return
    special = SPECIAL_ITEMS.get(str((detail["ItemRef"] or {}).get("value")))
    if special is not None:
        detail["ItemRef"] = {"value": detail["ItemRef"]["value"], "name": special}
        detail.pop("Qty", None)
        detail.pop("UnitPrice", None)
        line["Amount"] = amount(line.get("Amount", 0), "Line.Amount")
        return
    item = ledger.ref("Item", detail["ItemRef"], "Line.SalesItemLineDetail.ItemRef")
    detail["ItemRef"] = clean_ref(item, "Name")
    if detail.get("ItemAccountRef"):   # the line's income account, in place of the item's
        account = ledger.ref("Account", detail["ItemAccountRef"],
                             "Line.SalesItemLineDetail.ItemAccountRef")
        detail["ItemAccountRef"] = clean_ref(account, "Name")
    qty = amount(detail["Qty"], "Qty") if "Qty" in detail else None
    price = amount(detail["UnitPrice"], "UnitPrice") if "UnitPrice" in detail else None
    if qty is not None:
        detail["Qty"] = qty
    if price is not None:
        detail["UnitPrice"] = price
    if "Amount" in line:
        line["Amount"] = amount(line["Amount"], "Line.Amount")
    else:
        unit = price if price is not None else item.data.get("UnitPrice", ZERO)
        line["Amount"] = (qty if qty is not None else Decimal(1)) * unit


def _counts(line: dict[str, Any]) -> bool:
    if line["DetailType"] == "SalesItemLineDetail":
        return bool(line["SalesItemLineDetail"].get("ItemRef")) and "Amount" in line
    return line["DetailType"] in COUNTED and "Amount" in line


def _discount_amount(ledger: Ledger, line: dict[str, Any], subtotal: Decimal,
                     currency: str) -> Decimal:
    detail = dict(line.get("DiscountLineDetail") or {})
    line["DiscountLineDetail"] = detail
    if detail.get("DiscountAccountRef"):
        account = ledger.ref("Account", detail["DiscountAccountRef"], "DiscountAccountRef")
        detail["DiscountAccountRef"] = clean_ref(account, "Name")
    if detail.get("PercentBased"):
        percent = amount(detail.get("DiscountPercent", 0), "DiscountPercent")
        detail["DiscountPercent"] = percent
        return quantize(subtotal * percent / 100, currency)
    if "Amount" not in line:
        raise errors.required_missing("Line.Amount")
    return amount(line["Amount"], "Line.Amount")
