"""A large company in one call: N customers, each with invoices of a few lines.

Benchmarks need companies of 1,000 to 100,000 customers, and the API is far too slow a way
to make them (one request per record). Going through `writes.create` one by one is not
enough either: every customer create scans all customers for a duplicate name, which makes
a 100,000-customer company quadratic.

So the first customer is prepared by the entity rules, with every check, and the others
reuse that prepared shape with their own name, e-mail, phone and address swapped in (the
names are generated unique, and checked once against the names already taken). Invoices go
through the invoice rules one by one, which cost the same for every invoice, so their lines
and totals are exactly what an API create would give. No webhook fires for seeded records,
as for the sample company.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.entities import rules_for
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.rules.base import EntityRules
from ml_connector.connectors.quickbooks.emulator.store import StoredEntity

if TYPE_CHECKING:
    from ml_connector.connectors.quickbooks.emulator.state import EmulatorState

MAX_CUSTOMERS = 1_000_000
MAX_INVOICES_PER_CUSTOMER = 100
MAX_LINES = 50
CITIES = (("Portland", "OR", "97201"), ("Austin", "TX", "73301"),
          ("Boston", "MA", "02110"), ("Fresno", "CA", "93650"))


@dataclass(frozen=True)
class BulkSpec:
    """How much to make. `prefix` keeps names apart when a company is seeded twice."""

    customers: int
    invoices_per_customer: int = 1
    lines_per_invoice: int = 3
    prefix: str = "Bulk"

    @classmethod
    def from_mapping(cls, body: dict[str, Any]) -> BulkSpec:
        """Read the admin route's JSON body; a value out of range is a ValueError."""
        spec = cls(customers=int(body.get("customers", 0)),
                   invoices_per_customer=int(body.get("invoices_per_customer", 1)),
                   lines_per_invoice=int(body.get("lines_per_invoice", 3)),
                   prefix=str(body.get("prefix", "Bulk")))
        spec.check()
        return spec

    def check(self) -> None:
        for name, value, top in (("customers", self.customers, MAX_CUSTOMERS),
                                 ("invoices_per_customer", self.invoices_per_customer,
                                  MAX_INVOICES_PER_CUSTOMER),
                                 ("lines_per_invoice", self.lines_per_invoice, MAX_LINES)):
            if not 0 <= value <= top:
                raise ValueError(f"{name} must be between 0 and {top}, not {value}")
        if self.invoices_per_customer and not self.lines_per_invoice:
            raise ValueError("an invoice needs at least one line")
        if not self.prefix.strip() or ":" in self.prefix:
            raise ValueError("prefix must be non-blank text without ':'")


def bulk_seed(state: EmulatorState, realm_id: str, spec: BulkSpec) -> dict[str, Any]:
    """Add the customers and invoices of `spec` to one realm; returns counts and id ranges."""
    spec.check()
    with state.lock:
        realm = state.realm(realm_id)
        ledger = Ledger(realm, state.clock)
        customers = _customers(ledger, spec)
        invoices = _invoices(ledger, spec, customers)
        ledger.events.clear()
        state.persist()
    return {"realm_id": realm_id, "customers": len(customers), "invoices": len(invoices),
            "customer_ids": _span(customers), "invoice_ids": _span(invoices)}


def _customers(ledger: Ledger, spec: BulkSpec) -> list[StoredEntity]:
    if not spec.customers:
        return []
    rules = _rules("Customer")
    taken = {str(c.data.get("DisplayName", "")).strip().casefold()
             for c in ledger.realm.live("Customer")}
    made = [_save(ledger, rules, rules.prepare(ledger, _customer_body(spec, 0), None))]
    template = made[0].data
    for index in range(1, spec.customers):
        body = _customer_body(spec, index)
        if body["DisplayName"].casefold() in taken:
            raise errors.duplicate_name("Another customer is already using this name. Please "
                                        f"use a different name. Name={body['DisplayName']}")
        made.append(_save(ledger, rules, _from_template(template, body)))
    return made


def _customer_body(spec: BulkSpec, index: int) -> dict[str, Any]:
    name = f"{spec.prefix} Customer {index + 1:07d}"
    city, region, postcode = CITIES[index % len(CITIES)]
    slug = f"{spec.prefix.lower().replace(' ', '-')}-{index + 1}"
    return {"DisplayName": name, "CompanyName": f"{name} Ltd",
            "PrimaryEmailAddr": {"Address": f"billing@{slug}.example"},
            "PrimaryPhone": {"FreeFormNumber": f"+1 503 555 {index % 10_000:04d}"},
            "BillAddr": {"Line1": f"{index + 1} Main Street", "City": city,
                         "CountrySubDivisionCode": region, "PostalCode": postcode,
                         "Country": "USA"}}


def _from_template(template: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The prepared first customer with this customer's own values in place."""
    data = {k: v for k, v in template.items()
            if k not in ("Id", "SyncToken", "domain", "sparse", "MetaData")}
    data.update(body, FullyQualifiedName=body["DisplayName"])
    return data


def _invoices(ledger: Ledger, spec: BulkSpec,
              customers: list[StoredEntity]) -> list[StoredEntity]:
    if not spec.invoices_per_customer:
        return []
    rules = _rules("Invoice")
    item = next((i for i in ledger.realm.live("Item") if i.data.get("Type") == "Service"),
                None)
    if item is None:
        raise errors.object_not_found("Item", "any service item", "ItemRef")
    made = []
    for number, customer in enumerate(customers):
        for offset in range(spec.invoices_per_customer):
            seq = number * spec.invoices_per_customer + offset
            body = _invoice_body(customer, item, spec, seq)
            made.append(_save(ledger, rules, rules.prepare(ledger, body, None)))
    return made


def _invoice_body(customer: StoredEntity, item: StoredEntity, spec: BulkSpec,
                  seq: int) -> dict[str, Any]:
    lines = []
    for line in range(spec.lines_per_invoice):
        qty, price = Decimal(1 + (seq + line) % 4), Decimal(25 + (seq * 7 + line * 13) % 400)
        lines.append({"DetailType": "SalesItemLineDetail", "Amount": qty * price,
                      "Description": f"Service {line + 1} for invoice {seq + 1}",
                      "SalesItemLineDetail": {"ItemRef": {"value": item.id}, "Qty": qty,
                                              "UnitPrice": price}})
    return {"CustomerRef": {"value": customer.id}, "TxnDate": "2026-10-01",
            "DueDate": "2026-10-31", "Line": lines,
            "BillEmail": dict(customer.data.get("PrimaryEmailAddr") or {})}


def _save(ledger: Ledger, rules: EntityRules, data: dict[str, Any]) -> StoredEntity:
    stored = ledger.create(rules.entity, data)
    rules.after_save(ledger, stored, None)
    return stored


def _rules(entity: str) -> EntityRules:
    rules = rules_for(entity)
    assert rules is not None, entity
    return rules


def _span(made: list[StoredEntity]) -> list[str]:
    return [made[0].id, made[-1].id] if made else []
