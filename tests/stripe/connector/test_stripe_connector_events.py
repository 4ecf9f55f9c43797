"""Polling: a full listing first, then Events since the cursor, and listing again when the
cursor has left Stripe's 30-day window."""

from __future__ import annotations

from typing import Any

from stripe_flows import RunningEmulator, ok


def _pages(connector: Any, entity: str, cursor: str | None) -> tuple[list[list[str]], str]:
    pages = list(connector.read_changes(entity, cursor))
    stored = [p.cursor for p in pages if p.cursor is not None]
    return [[r.id for r in p.records] for p in pages], stored[-1] if stored else cursor


def _customer(emu: RunningEmulator, name: str) -> str:
    return str(ok(emu.http.post("/v1/customers", data={"name": name}))["id"])


def test_first_read_lists_everything_then_only_changes(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    first, second = _customer(stripe_emulator, "a"), _customer(stripe_emulator, "b")
    pages, cursor = _pages(stripe_connector, "customer", None)
    assert sorted(i for page in pages for i in page) == sorted([first, second])
    nothing, cursor = _pages(stripe_connector, "customer", cursor)
    assert [i for page in nothing for i in page] == []
    third = _customer(stripe_emulator, "c")
    ok(stripe_emulator.http.post(f"/v1/customers/{first}", data={"name": "a2"}))
    ok(stripe_emulator.http.post(f"/v1/customers/{first}", data={"name": "a3"}))
    changed, cursor = _pages(stripe_connector, "customer", cursor)
    assert changed == [[third, first]], "oldest change first, each record once"
    records = [r for p in stripe_connector.read_changes("customer", None) for r in p.records]
    assert {r.data["name"] for r in records} >= {"a3"}, "records are read as they are now"


def test_deleted_records_come_through_as_deleted(stripe_emulator: RunningEmulator,
                                                 stripe_connector: Any) -> None:
    gone = _customer(stripe_emulator, "gone")
    _, cursor = _pages(stripe_connector, "customer", None)
    stripe_emulator.http.delete(f"/v1/customers/{gone}")
    (page,) = list(stripe_connector.read_changes("customer", cursor))
    (record,) = page.records
    assert record.id == gone and record.deleted


def test_a_cursor_older_than_30_days_falls_back_to_listing(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    first = _customer(stripe_emulator, "a")
    _, cursor = _pages(stripe_connector, "customer", None)
    stripe_emulator.helper("clock", {"advance": 31 * 86400})
    later = _customer(stripe_emulator, "b")
    pages, new_cursor = _pages(stripe_connector, "customer", cursor)
    assert sorted(i for page in pages for i in page) == sorted([first, later])
    assert new_cursor != cursor


def test_payments_arrive_through_their_events(stripe_emulator: RunningEmulator,
                                              stripe_connector: Any) -> None:
    from stripe_flows import open_invoice

    _, cursor = _pages(stripe_connector, "invoice_payment", None)
    inv = open_invoice(stripe_emulator.http, 5000)
    paid = stripe_emulator.helper(f"invoices/{inv['id']}/pay", {})["invoice_payment"]
    pages, _ = _pages(stripe_connector, "invoice_payment", cursor)
    assert pages == [[paid["id"]]]


def test_many_events_are_paged(stripe_emulator: RunningEmulator) -> None:
    from stripe_flows import connect

    connector = connect(stripe_emulator.url)
    _, cursor = _pages(connector, "customer", None)
    made = [_customer(stripe_emulator, f"c{i}") for i in range(130)]
    pages, _ = _pages(connector, "customer", cursor)
    connector.close()
    assert [len(p) for p in pages] == [100, 30]
    assert [i for page in pages for i in page] == made


def test_entities_without_events_are_always_listed(stripe_emulator: RunningEmulator,
                                                   stripe_connector: Any) -> None:
    from stripe_flows import customer_pays

    customer_pays(stripe_emulator, 1000)
    (page,) = list(stripe_connector.read_changes("balance_transaction", None))
    assert len(page.records) == 1 and page.cursor is None


def test_a_full_listing_says_up_front_how_many_records_it_yields(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    """The listing is read whole before the first page is handed over, so progress displays
    can show done of total."""
    for name in ("a", "b", "c"):
        _customer(stripe_emulator, name)
    pages = list(stripe_connector.read_changes("customer", None))
    listed = sum(len(page.records) for page in pages)
    assert listed >= 3 and {page.total for page in pages} == {listed}
