"""The connector driven by the engine: QBO-shaped invoices synced into the emulator.

A small in-memory "books" system plays the source. The pipelines are the ones the product
ships in spirit (customers, then invoices with one item per line, the total asserted), so
this checks the connector where it matters: one Stripe record per source record, totals to
the cent, nothing written on a re-run, and the finalized-invoice change policy.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from stripe_flows import TEST_KEY, RunningEmulator, ok

from ml_connector.connectors.stripe.plugin import plugin as stripe_plugin
from ml_connector.engine.loading import load_pipelines, load_project
from ml_connector.engine.plugins.protocol import ConnectorContext, EntitySpec
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.records import ChangePage, Record
from ml_connector.engine.store import Store
from ml_connector.engine.store.links import Link
from ml_connector.engine.sync.outcome import RunSummary
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime

CUSTOMERS = """\
name: customers-to-stripe
description: Customers become Stripe customers.
source: {connection: books, entity: Customer}
target: {connection: stripe, entity: customer}
match:
  - target_field: metadata.qbo_customer_id
    value: "{{ record.Id }}"
  - target_field: email
    value: "{{ record.Email | default(none) }}"
mapping:
  name: "{{ record.DisplayName }}"
  email?: "{{ record.Email }}"
  metadata:
    qbo_customer_id: "{{ record.Id }}"
"""

INVOICES = """\
name: invoices-to-stripe
description: Invoices become finalized Stripe invoices.
depends_on: [customers-to-stripe]
source: {connection: books, entity: Invoice}
target: {connection: stripe, entity: invoice}
match:
  - target_field: metadata.qbo_invoice_id
    value: "{{ record.Id }}"
mapping:
  customer: "{{ link('customers-to-stripe', record.CustomerRef) }}"
  currency: "{{ record.Currency | lower }}"
  collection_method: send_invoice
  days_until_due: 30
  lines:
    for_each: "{{ record.Line }}"
    as: line
    item:
      description: "{{ line.Description }}"
      amount: "{{ line.Amount | minor_units(record.Currency) }}"
  total: "{{ record.TotalAmt | minor_units(record.Currency) }}"
  metadata:
    qbo_invoice_id: "{{ record.Id }}"
policies: {on_source_delete: void, on_immutable_change: POLICY}
"""

PROJECT = """\
version: 1
pipelines: [pipelines]
workers: 2
connections:
  books: {connector: books, settings: {}}
  stripe:
    connector: stripe
    base_url: URL
    settings: {secret_key: "${env:STRIPE_KEY}", mode: test, requests_per_second: 1000}
"""


class Books:
    """A tiny read-only source: the records the test puts there, all of them on every read."""

    name, description = "books", "in-memory source for tests"

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, dict[str, Any]]] = {"Customer": {}, "Invoice": {}}

    def config_schema(self) -> Mapping[str, Any]:
        return {"type": "object"}

    def entities(self) -> Mapping[str, EntitySpec]:
        return {name: EntitySpec(name, id_field="Id", operations=frozenset({"read"}))
                for name in self.rows}

    def connect(self, context: ConnectorContext) -> Books:
        return self

    def emulator_app(self, options: Mapping[str, Any]) -> None:
        return None

    def get(self, entity: str, record_id: str) -> Record | None:
        row = self.rows[entity].get(record_id)
        return Record(entity, record_id, row) if row is not None else None

    def read_changes(self, entity: str, cursor: str | None) -> Iterator[ChangePage]:
        yield ChangePage([Record(entity, k, v) for k, v in self.rows[entity].items()], None)

    def close(self) -> None:
        return None


@dataclass
class World:
    runtime: Runtime
    books: Books
    emulator: RunningEmulator

    def run(self) -> dict[str, RunSummary]:
        return {s.pipeline: s for s in Runner(self.runtime).run_all()}

    def invoice(self, invoice_id: str, currency: str, *amounts: str) -> None:
        lines = [{"Description": f"line {i}", "Amount": Decimal(a)}
                 for i, a in enumerate(amounts)]
        self.books.rows["Invoice"][invoice_id] = {
            "Id": invoice_id, "CustomerRef": "58", "Currency": currency, "Line": lines,
            "TotalAmt": sum((Decimal(a) for a in amounts), Decimal(0))}

    def stripe_invoices(self) -> list[dict[str, Any]]:
        return ok(self.emulator.http.get("/v1/invoices", params={"limit": 100}))["data"]

    def posts(self) -> int:
        return sum(r["method"] == "POST" for r in self.emulator.emulator.state.requests)


def make_world(folder: Path, store: Store, emulator: RunningEmulator, policy: str) -> World:
    (folder / "pipelines").mkdir()
    (folder / "pipelines" / "customers.yaml").write_text(textwrap.dedent(CUSTOMERS))
    (folder / "pipelines" / "invoices.yaml").write_text(INVOICES.replace("POLICY", policy))
    (folder / "ml-connector.yaml").write_text(PROJECT.replace("URL", emulator.url))
    books = Books()
    books.rows["Customer"]["58"] = {"Id": "58", "DisplayName": "Acme Widgets Ltd",
                                    "Email": "ap@acme.example"}
    registry = PluginRegistry.from_plugins({"books": books, "stripe": stripe_plugin})
    project = load_project(folder / "ml-connector.yaml", registry=registry)
    pipelines = load_pipelines(list(project.pipeline_dirs), project=project, registry=registry)
    runtime = Runtime(project=project, registry=registry, store=store, pipelines=pipelines,
                      env={"STRIPE_KEY": TEST_KEY})
    return World(runtime, books, emulator)


@pytest.fixture
def world(tmp_path: Path, store: Store, stripe_emulator: RunningEmulator) -> Iterator[World]:
    made = make_world(tmp_path, store, stripe_emulator, "void_and_recreate")
    yield made
    made.runtime.close()


@pytest.mark.parametrize(("currency", "amounts", "minor_total"), [
    ("USD", ["150.00", "25.50", "-10.00", "0.01"], 16551),
    ("JPY", ["5000", "1200"], 6200),
    ("KWD", ["12.500", "1.750", "0.120"], 14370),
])
def test_synced_invoices_total_the_source_to_the_minor_unit(
        world: World, currency: str, amounts: list[str], minor_total: int) -> None:
    world.invoice("130", currency, *amounts)
    assert all(summary.ok for summary in world.run().values())
    (invoice,) = world.stripe_invoices()
    assert invoice["status"] == "open" and invoice["currency"] == currency.lower()
    assert invoice["total"] == invoice["amount_due"] == minor_total


def test_a_re_run_with_nothing_changed_writes_nothing(world: World) -> None:
    world.invoice("130", "USD", "100.00")
    world.run()
    before = world.posts()
    world.run()
    assert world.posts() == before
    assert len(world.stripe_invoices()) == 1


def test_an_existing_customer_is_adopted_not_duplicated(world: World) -> None:
    existing = ok(world.emulator.http.post("/v1/customers", data={
        "email": "ap@acme.example", "name": "Acme (typed in by hand)"}))
    world.run()
    customers = ok(world.emulator.http.get("/v1/customers"))["data"]
    assert [c["id"] for c in customers] == [existing["id"]]
    assert customers[0]["metadata"] == {"qbo_customer_id": "58"}


def test_an_amount_change_voids_and_recreates(world: World) -> None:
    world.invoice("130", "USD", "100.00", "50.00")
    world.run()
    world.invoice("130", "USD", "100.00", "75.00")
    summary = world.run()["invoices-to-stripe"]
    assert summary.counts["recreate"] == 1, summary.as_dict()
    invoices = {i["status"]: i for i in world.stripe_invoices()}
    assert set(invoices) == {"open", "void"}
    assert invoices["open"]["total"] == 17500 and invoices["void"]["total"] == 15000
    link = world.runtime.store.links.get("invoices-to-stripe", "130")
    assert link is not None and link.target_id == invoices["open"]["id"]


def test_the_flag_policy_leaves_the_invoice_alone(tmp_path: Path, store: Store,
                                                  stripe_emulator: RunningEmulator) -> None:
    world = make_world(tmp_path, store, stripe_emulator, "flag")
    world.invoice("130", "USD", "100.00")
    world.run()
    world.invoice("130", "USD", "120.00")
    summary = world.run()["invoices-to-stripe"]
    world.runtime.close()
    (flagged,) = summary.failures
    assert flagged.action == "flag" and "amounts cannot change" in (flagged.error or "")
    (invoice,) = world.stripe_invoices()
    assert invoice["status"] == "open" and invoice["total"] == 10000


SEARCHES = ("/v1/customers/search", "/v1/invoices/search")


def _requests(world: World, route: str, method: str = "GET") -> list[dict[str, Any]]:
    return [r for r in world.emulator.emulator.state.requests
            if r["route"] == route and r["method"] == method]


def _customer(world: World, **data: str) -> str:
    return str(ok(world.emulator.http.post("/v1/customers", data=data))["id"])


def _linked(world: World, source_id: str) -> str | None:
    link = world.runtime.store.links.get("customers-to-stripe", source_id)
    return link.target_id if link else None


def test_a_first_run_adopts_from_one_listing_without_searching(world: World) -> None:
    by_metadata = _customer(world, email="accounts@beta.example",
                            **{"metadata[qbo_customer_id]": "59"})
    by_email = _customer(world, email="ap@gamma.example")
    unrelated = _customer(world, email="ap@zeta.example")
    for source_id, email in (("59", "ap@beta.example"), ("60", "ap@gamma.example"),
                             ("61", "ap@delta.example")):
        world.books.rows["Customer"][source_id] = {"Id": source_id, "Email": email,
                                                   "DisplayName": f"Customer {source_id}"}
    world.emulator.emulator.state.requests.clear()
    summary = world.run()["customers-to-stripe"]
    assert summary.counts == {"adopt+update": 2, "create": 2}, summary.as_dict()
    assert (_linked(world, "59"), _linked(world, "60")) == (by_metadata, by_email)
    made = {_linked(world, "58"), _linked(world, "61")}
    assert made.isdisjoint({by_metadata, by_email, unrelated, None})
    assert not any(r["route"] in SEARCHES for r in world.emulator.emulator.state.requests)
    assert not [r for r in _requests(world, "/v1/customers") if "email" in r["params"]]
    customers = ok(world.emulator.http.get("/v1/customers", params={"limit": 100}))["data"]
    assert len(customers) == 5


def test_an_incremental_run_still_searches(world: World) -> None:
    world.run()
    world.runtime.store.cursors.put("pipeline:customers-to-stripe", "since-the-first-run")
    existing = _customer(world, **{"metadata[qbo_customer_id]": "62"})
    world.books.rows["Customer"]["62"] = {"Id": "62", "DisplayName": "Later Ltd"}
    world.emulator.emulator.state.requests.clear()
    summary = world.run()["customers-to-stripe"]
    assert summary.counts == {"unchanged": 1, "adopt+update": 1}, summary.as_dict()
    assert _linked(world, "62") == existing
    assert len(_requests(world, "/v1/customers/search")) == 1
    assert _requests(world, "/v1/customers") == []


def test_a_listed_customer_linked_to_another_record_is_not_adopted(world: World) -> None:
    taken = _customer(world, email="shared@acme.example")
    world.runtime.store.links.put(Link(
        pipeline="customers-to-stripe", source_id="57", target_connection="stripe",
        target_entity="customer", target_id=taken, payload_hash=None))
    world.books.rows["Customer"]["63"] = {"Id": "63", "DisplayName": "Acme Branch",
                                          "Email": "shared@acme.example"}
    summary = world.run()["customers-to-stripe"]
    assert summary.counts == {"create": 2}, summary.as_dict()
    assert _linked(world, "63") not in (taken, None)
    assert not any(r["route"] in SEARCHES for r in world.emulator.emulator.state.requests)


def test_the_listing_pages_through_a_large_account(world: World) -> None:
    oldest = _customer(world, **{"metadata[qbo_customer_id]": "59"})
    for number in range(150):
        _customer(world, email=f"filler{number}@acme.example")
    world.books.rows["Customer"]["59"] = {"Id": "59", "DisplayName": "Oldest Ltd"}
    world.emulator.emulator.state.requests.clear()
    summary = world.run()["customers-to-stripe"]
    assert summary.counts == {"adopt+update": 1, "create": 1}, summary.as_dict()
    assert _linked(world, "59") == oldest
    pages = _requests(world, "/v1/customers")
    assert len(pages) == 2 and "starting_after" in pages[1]["params"]
    assert not any(r["route"] in SEARCHES for r in world.emulator.emulator.state.requests)


def test_a_full_re_run_of_linked_records_lists_nothing(world: World) -> None:
    world.run()
    world.emulator.emulator.state.requests.clear()
    summary = Runner(world.runtime).run("customers-to-stripe", full=True)
    assert summary.counts == {"unchanged": 1}, summary.as_dict()
    assert world.emulator.emulator.state.requests == []
