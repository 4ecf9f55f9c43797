"""The Events API: what happened, newest first, filterable, for 30 days."""

from __future__ import annotations

from typing import Any

import httpx
from stripe_flows import RunningEmulator, ok, open_invoice


def _types(http: httpx.Client, **params: Any) -> list[str]:
    return [e["type"] for e in ok(http.get("/v1/events", params={"limit": 100, **params}))[
        "data"]]


def test_every_state_change_emits_its_event_in_order(stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = open_invoice(http, 5000)
    stripe_emulator.helper(f"invoices/{inv['id']}/pay", {})
    assert list(reversed(_types(http))) == [
        "customer.created", "invoice.created", "invoiceitem.created", "payment_intent.created",
        "invoice.finalized", "charge.succeeded", "payment_intent.succeeded",
        "invoice_payment.paid", "invoice.payment_succeeded", "invoice.paid"]


def test_out_of_band_payment_emits_invoice_paid_but_no_payment(
        stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = open_invoice(http, 5000)
    ok(http.post(f"/v1/invoices/{inv['id']}/pay", data={"paid_out_of_band": "true"},
                 headers={"Idempotency-Key": "oob-1"}))
    (paid,) = ok(http.get("/v1/events", params={"type": "invoice.paid"}))["data"]
    assert paid["request"]["idempotency_key"] == "oob-1"
    assert paid["request"]["id"].startswith("req_")
    assert paid["data"]["previous_attributes"]["status"] == "open"
    assert "invoice.payment_succeeded" not in _types(http)
    assert "charge.succeeded" not in _types(http)


def test_customer_actions_have_no_request(stripe_emulator: RunningEmulator) -> None:
    inv = open_invoice(stripe_emulator.http, 5000)
    stripe_emulator.helper(f"invoices/{inv['id']}/pay", {})
    (paid,) = ok(stripe_emulator.http.get("/v1/events", params={"type": "invoice.paid"}))["data"]
    assert paid["request"] == {"id": None, "idempotency_key": None}


def test_updated_events_carry_previous_attributes(stripe_http: httpx.Client) -> None:
    cust = ok(stripe_http.post("/v1/customers", data={"name": "Old"}))
    ok(stripe_http.post(f"/v1/customers/{cust['id']}", data={"name": "New"}))
    (event,) = ok(stripe_http.get("/v1/events", params={"type": "customer.updated"}))["data"]
    assert event["data"]["previous_attributes"] == {"name": "Old"}
    assert event["data"]["object"]["name"] == "New"


def test_type_wildcard_and_types_list(stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = open_invoice(http, 5000)
    stripe_emulator.helper(f"invoices/{inv['id']}/pay", {})
    assert set(_types(http, type="invoice.*")) == {
        "invoice.created", "invoice.finalized", "invoice.payment_succeeded", "invoice.paid"}
    chosen = _types(http, **{"types[0]": "charge.succeeded", "types[1]": "customer.created"})
    assert chosen == ["charge.succeeded", "customer.created"]
    both = http.get("/v1/events", params={"type": "invoice.paid", "types[0]": "x"})
    assert both.status_code == 400


def test_created_filter_and_paging_backwards(stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    ok(http.post("/v1/customers", data={"name": "early"}))
    later = stripe_emulator.helper("clock", {"advance": 100})["now"]
    for name in ("a", "b", "c"):
        ok(http.post("/v1/customers", data={"name": name}))
    recent = ok(http.get("/v1/events", params={"created[gte]": later}))["data"]
    assert [e["data"]["object"]["name"] for e in recent] == ["c", "b", "a"]
    oldest = recent[-1]["id"]
    newer = ok(http.get("/v1/events", params={"ending_before": oldest, "limit": 1}))
    assert [e["data"]["object"]["name"] for e in newer["data"]] == ["b"]
    assert newer["has_more"] is True


def test_events_older_than_30_days_are_gone(stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    ok(http.post("/v1/customers", data={"name": "old"}))
    event_id = ok(http.get("/v1/events"))["data"][0]["id"]
    stripe_emulator.helper("clock", {"advance": 30 * 86400 + 10})
    assert ok(http.get("/v1/events"))["data"] == []
    assert http.get(f"/v1/events/{event_id}").status_code == 404


def test_retrieve_one_event(stripe_http: httpx.Client) -> None:
    ok(stripe_http.post("/v1/customers", data={"name": "x"}))
    listed = ok(stripe_http.get("/v1/events"))["data"][0]
    assert ok(stripe_http.get(f"/v1/events/{listed['id']}")) == listed


def test_refund_and_dispute_events(stripe_emulator: RunningEmulator) -> None:
    from stripe_flows import customer_pays

    charge = customer_pays(stripe_emulator, 9000)
    refund = stripe_emulator.helper(f"charges/{charge['id']}/refund", {"amount": 1000})
    stripe_emulator.helper(f"refunds/{refund['id']}/fail", {})
    dispute = stripe_emulator.helper(f"charges/{charge['id']}/dispute", {})
    stripe_emulator.helper(f"disputes/{dispute['id']}/close", {"outcome": "won"})
    http = stripe_emulator.http
    assert list(reversed(_types(http, type="refund.*"))) == [
        "refund.created", "refund.failed", "refund.updated"]
    assert list(reversed(_types(http, type="charge.dispute.*"))) == [
        "charge.dispute.created", "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated", "charge.dispute.closed"]
    assert {"charge.refunded", "charge.refund.updated"} <= set(_types(http, type="charge.*"))
