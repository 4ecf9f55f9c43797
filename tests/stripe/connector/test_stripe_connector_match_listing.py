"""A backfill's listing of customers and invoices finds exactly what `find` finds.

The engine answers a first run's match lookups from one listing of the target instead of a
search per record; if the two ever disagreed, a backfill would adopt a different record (or
none, and duplicate it). So each lookup is asked both ways against the same account.
"""

from __future__ import annotations

from typing import Any

from stripe_flows import RunningEmulator, add_item, draft, finalize, new_customer, ok

from ml_connector.engine.sync.match_index import ListingFinder

SEARCHES = ("/v1/customers/search", "/v1/invoices/search")


def _ids(records: list[Any]) -> list[str]:
    return sorted(record.id for record in records)


def _searches(emu: RunningEmulator) -> int:
    return sum(r["route"] in SEARCHES for r in emu.emulator.state.requests)


def test_customer_lookups_agree_with_find(stripe_emulator: RunningEmulator,
                                          stripe_connector: Any) -> None:
    http = stripe_emulator.http
    acme = new_customer(http, email="ap@acme.example", **{"metadata[qbo_customer_id]": "58"})
    new_customer(http, email="AP@Acme.example")  # Stripe's e-mail filter is case-sensitive
    new_customer(http, email="billing@beta.example", **{"metadata[qbo_customer_id]": "59"})
    gone = new_customer(http, **{"metadata[qbo_customer_id]": "60"})
    ok(http.delete(f"/v1/customers/{gone}"))
    new_customer(http, email="shared@gamma.example")
    new_customer(http, email="shared@gamma.example")
    fields = ["metadata.qbo_customer_id", "email", "id"]
    finder = ListingFinder(stripe_connector, "customer", fields)
    lookups = [("metadata.qbo_customer_id", "58"), ("metadata.qbo_customer_id", 59),
               ("metadata.qbo_customer_id", "60"), ("metadata.qbo_customer_id", "61"),
               ("email", "ap@acme.example"), ("email", "AP@Acme.example"),
               ("email", "Ap@acme.example"), ("email", "shared@gamma.example"),
               ("email", "nobody@gamma.example"), ("id", acme), ("id", gone)]
    listed = {lookup: _ids(finder.find("customer", *lookup)) for lookup in lookups}
    assert _searches(stripe_emulator) == 0
    searched = {lookup: _ids(stripe_connector.find("customer", *lookup)) for lookup in lookups}
    assert listed == searched
    assert listed[("email", "ap@acme.example")] == [acme]
    assert len(listed[("email", "shared@gamma.example")]) == 2


def test_invoice_lookups_agree_with_find_and_skip_voided_ones(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    http = stripe_emulator.http
    live = draft(http)  # metadata qbo_invoice_id 130
    voided = draft(http, **{"metadata[qbo_invoice_id]": "131"})
    add_item(http, voided, amount="500")
    finalize(http, voided)
    ok(http.post(f"/v1/invoices/{voided['id']}/void"))
    finder = ListingFinder(stripe_connector, "invoice", ["metadata.qbo_invoice_id", "customer"])
    lookups = [("metadata.qbo_invoice_id", "130"), ("metadata.qbo_invoice_id", "131"),
               ("customer", live["customer"]), ("customer", voided["customer"])]
    listed = {lookup: _ids(finder.find("invoice", *lookup)) for lookup in lookups}
    searched = {lookup: _ids(stripe_connector.find("invoice", *lookup)) for lookup in lookups}
    assert listed == searched
    assert listed[("metadata.qbo_invoice_id", "130")] == [live["id"]]
    assert listed[("metadata.qbo_invoice_id", "131")] == []


def test_a_candidate_changed_since_the_listing_is_checked_again(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    http = stripe_emulator.http
    moved = new_customer(http, email="old@acme.example")
    finder = ListingFinder(stripe_connector, "customer", ["email"])
    assert _ids(finder.find("customer", "email", "old@acme.example")) == [moved]
    ok(http.post(f"/v1/customers/{moved}", data={"email": "new@acme.example"}))
    assert finder.find("customer", "email", "old@acme.example") == []


def test_fields_without_a_listing_rule_stay_on_search(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    named = new_customer(stripe_emulator.http, name="Acme Widgets")
    finder = ListingFinder(stripe_connector, "customer", ["name"])
    assert _ids(finder.find("customer", "name", "Acme Widgets")) == [named]
    gets = [r["route"] for r in stripe_emulator.emulator.state.requests if r["method"] == "GET"]
    assert gets == ["/v1/customers/search"]
