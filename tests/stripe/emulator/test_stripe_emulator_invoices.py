"""Invoices through their lifecycle, with totals right to the minor unit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from stripe_flows import DUE, RunningEmulator, add_item, draft, finalize, ok
from stripe_flows import new_customer as _customer


def get(http: httpx.Client, invoice: dict[str, Any], **params: Any) -> dict[str, Any]:
    return ok(http.get(f"/v1/invoices/{invoice['id']}", params=params))


def test_draft_invoice_defaults(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    assert inv["status"] == "draft" and inv["number"] is None
    assert inv["due_date"] == int(DUE) and inv["auto_advance"] is False
    assert inv["metadata"] == {"qbo_invoice_id": "130"}
    assert inv["total"] == inv["amount_due"] == 0


def test_send_invoice_needs_a_due_date(stripe_http: httpx.Client) -> None:
    response = stripe_http.post("/v1/invoices", data={
        "customer": _customer(stripe_http), "collection_method": "send_invoice"})
    assert response.status_code == 400
    assert stripe_http.get("/v1/invoices").json()["data"] == []


@pytest.mark.parametrize(("currency", "lines", "total"), [
    ("usd", ["15000", "2550", "-1000"], 16550),        # $150.00 + $25.50 - $10.00 discount
    ("jpy", ["5000", "1200"], 6200),                   # zero-decimal: whole yen
    ("kwd", ["12500", "1750"], 14250),                 # three decimals: fils
])
def test_totals_in_minor_units(stripe_http: httpx.Client, currency: str, lines: list[str],
                               total: int) -> None:
    inv = draft(stripe_http, currency)
    for amount in lines:
        add_item(stripe_http, inv, amount=amount, description=f"line {amount}")
    inv = get(stripe_http, inv)
    assert inv["currency"] == currency
    assert inv["subtotal"] == inv["total"] == inv["amount_due"] == total
    assert inv["amount_remaining"] == total and inv["amount_paid"] == 0
    assert [line["amount"] for line in inv["lines"]["data"]] == [int(a) for a in lines]


def test_unit_amount_decimal_times_quantity_rounds_half_up(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    item = add_item(stripe_http, inv, unit_amount_decimal="333.5", quantity="3")
    assert item["amount"] == 1001  # 1000.5 rounds up
    assert item["pricing"]["unit_amount_decimal"] == "333.5"
    assert get(stripe_http, inv)["total"] == 1001


def test_negative_items_are_not_discountable_by_default(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    assert add_item(stripe_http, inv, amount="-500")["discountable"] is False
    assert add_item(stripe_http, inv, amount="500")["discountable"] is True


def _tax_rate(http: httpx.Client, percentage: str, inclusive: bool) -> str:
    return str(ok(http.post("/v1/tax_rates", data={
        "display_name": "VAT", "percentage": percentage,
        "inclusive": "true" if inclusive else "false"}))["id"])


def test_exclusive_tax_is_added_per_line(stripe_http: httpx.Client) -> None:
    rate = _tax_rate(stripe_http, "8.25", inclusive=False)
    inv = draft(stripe_http)
    add_item(stripe_http, inv, amount="10000", **{"tax_rates[0]": rate})
    add_item(stripe_http, inv, amount="1999", **{"tax_rates[0]": rate})
    inv = get(stripe_http, inv)
    # 825 + 164.9175 -> 165
    assert [t["amount"] for line in inv["lines"]["data"] for t in line["taxes"]] == [825, 165]
    assert inv["subtotal"] == 11999 and inv["total"] == 11999 + 990
    assert inv["total_excluding_tax"] == 11999
    assert inv["total_taxes"] == [{"amount": 990, "tax_behavior": "exclusive",
                                   "tax_rate_details": {"tax_rate": rate},
                                   "taxability_reason": "standard_rated",
                                   "taxable_amount": 11999, "type": "tax_rate_details"}]


def test_inclusive_tax_is_contained_in_the_total(stripe_http: httpx.Client) -> None:
    rate = _tax_rate(stripe_http, "20", inclusive=True)
    inv = draft(stripe_http)
    add_item(stripe_http, inv, amount="12000", **{"tax_rates[0]": rate})
    inv = get(stripe_http, inv)
    assert inv["total"] == inv["subtotal"] == 12000
    assert inv["total_excluding_tax"] == 10000 and inv["total_taxes"][0]["amount"] == 2000


def test_add_lines_and_lines_endpoint(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    data = {"lines[0][amount]": "100", "lines[0][description]": "a",
            "lines[1][amount]": "250", "lines[1][description]": "b",
            "invoice_metadata[batch]": "7"}
    inv = ok(stripe_http.post(f"/v1/invoices/{inv['id']}/add_lines", data=data))
    assert inv["total"] == 350 and inv["metadata"]["batch"] == "7"
    lines = ok(stripe_http.get(f"/v1/invoices/{inv['id']}/lines"))
    assert [line["description"] for line in lines["data"]] == ["a", "b"]


def test_a_bad_line_in_add_lines_adds_none(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    data = {"lines[0][amount]": "100", "lines[1][bogus]": "x"}
    assert stripe_http.post(f"/v1/invoices/{inv['id']}/add_lines", data=data).status_code == 400
    assert get(stripe_http, inv)["total"] == 0


def test_add_lines_only_on_a_draft(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    add_item(stripe_http, inv, amount="100")
    finalize(stripe_http, inv)
    response = stripe_http.post(f"/v1/invoices/{inv['id']}/add_lines",
                                data={"lines[0][amount]": "50"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "invoice_not_editable"
    assert get(stripe_http, inv)["total"] == 100


def test_add_lines_past_250_items_adds_none(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    add_item(stripe_http, inv, amount="1")
    data = {f"lines[{i}][amount]": "1" for i in range(250)}
    response = stripe_http.post(f"/v1/invoices/{inv['id']}/add_lines", data=data)
    assert response.status_code == 400 and "at most 250" in response.json()["error"]["message"]
    assert get(stripe_http, inv)["total"] == 1
    data.pop("lines[249][amount]")
    assert ok(stripe_http.post(f"/v1/invoices/{inv['id']}/add_lines", data=data))["total"] == 250


def test_add_lines_takes_no_unit_amount_decimal(stripe_http: httpx.Client) -> None:
    """Stripe takes a unit price in add_lines only inside price_data."""
    inv = draft(stripe_http)
    response = stripe_http.post(f"/v1/invoices/{inv['id']}/add_lines", data={
        "lines[0][unit_amount_decimal]": "12.5", "lines[0][quantity]": "2"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parameter_unknown"


def test_add_lines_replays_under_its_idempotency_key(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    data = {"lines[0][amount]": "100", "lines[1][amount]": "200"}
    headers = {"Idempotency-Key": "add-once"}
    first = stripe_http.post(f"/v1/invoices/{inv['id']}/add_lines", data=data, headers=headers)
    again = stripe_http.post(f"/v1/invoices/{inv['id']}/add_lines", data=data, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert get(stripe_http, inv)["total"] == 300


def test_add_lines_announces_each_new_item(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    ok(stripe_http.post(f"/v1/invoices/{inv['id']}/add_lines",
                        data={"lines[0][amount]": "100", "lines[1][amount]": "200"}))
    events = ok(stripe_http.get("/v1/events", params={"type": "invoiceitem.created"}))["data"]
    assert sorted(e["data"]["object"]["amount"] for e in events) == [100, 200]


def test_finalize_numbers_the_invoice_and_creates_the_default_payment(
        stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    add_item(stripe_http, inv, amount="15000")
    inv = finalize(stripe_http, inv)
    assert inv["status"] == "open" and inv["number"]
    assert inv["hosted_invoice_url"] and inv["status_transitions"]["finalized_at"]
    payments = ok(stripe_http.get("/v1/invoice_payments", params={"invoice": inv["id"]}))
    (default,) = payments["data"]
    assert default["is_default"] and default["status"] == "open"
    assert default["amount_requested"] == 15000 and default["amount_paid"] is None
    assert default["payment"]["type"] == "payment_intent"


def test_finalized_amounts_cannot_change(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    item = add_item(stripe_http, inv, amount="15000")
    finalize(stripe_http, inv)
    assert stripe_http.post("/v1/invoiceitems", data={
        "invoice": inv["id"], "amount": "1"}).json()["error"]["code"] == "invoice_not_editable"
    assert stripe_http.post(f"/v1/invoiceitems/{item['id']}",
                            data={"amount": "1"}).status_code == 400
    assert stripe_http.post(f"/v1/invoices/{inv['id']}",
                            data={"due_date": "1900000001"}).status_code == 400
    meta = ok(stripe_http.post(f"/v1/invoices/{inv['id']}", data={"metadata[note]": "ok"}))
    assert meta["metadata"]["note"] == "ok" and meta["total"] == 15000


def test_pay_out_of_band(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    add_item(stripe_http, inv, amount="15000")
    finalize(stripe_http, inv)
    paid = ok(stripe_http.post(f"/v1/invoices/{inv['id']}/pay",
                                data={"paid_out_of_band": "true"}))
    assert paid["status"] == "paid"
    assert paid["amount_paid"] == 15000 and paid["amount_remaining"] == 0
    assert "amount_paid_off_stripe" not in paid
    expanded = get(stripe_http, inv, **{"expand[]": "amount_paid_off_stripe"})
    assert expanded["amount_paid_off_stripe"] == 15000
    statuses = [p["status"] for p in stripe_http.get(
        "/v1/invoice_payments", params={"invoice": inv["id"]}).json()["data"]]
    assert statuses == ["canceled"], "no Stripe payment was made"


def test_pay_with_a_card(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    add_item(stripe_http, inv, amount="15000")
    finalize(stripe_http, inv)
    paid = ok(stripe_http.post(f"/v1/invoices/{inv['id']}/pay",
                                data={"payment_method": "pm_card_visa"}))
    assert paid["status"] == "paid" and paid["amount_paid"] == 15000 and paid["attempted"]
    (payment,) = get(stripe_http, inv, **{"expand[]": "payments"})["payments"]["data"]
    assert payment["status"] == "paid" and payment["amount_paid"] == 15000
    intent = ok(stripe_http.get(f"/v1/payment_intents/{payment['payment']['payment_intent']}"))
    assert intent["status"] == "succeeded" and intent["amount_received"] == 15000


def test_declined_card_leaves_the_invoice_open(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    add_item(stripe_http, inv, amount="15000")
    finalize(stripe_http, inv)
    response = stripe_http.post(f"/v1/invoices/{inv['id']}/pay",
                                data={"payment_method": "pm_card_chargeDeclined"})
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["type"] == "card_error" and error["decline_code"] == "generic_decline"
    inv = get(stripe_http, inv)
    assert inv["status"] == "open" and inv["amount_paid"] == 0 and inv["attempt_count"] == 1


def test_partial_payments_then_full(stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = draft(http)
    add_item(http, inv, amount="10000")
    finalize(http, inv)
    first = stripe_emulator.helper(f"invoices/{inv['id']}/pay", {"amount": 4000})
    assert first["invoice"]["status"] == "open"
    assert first["invoice"]["amount_paid"] == 4000
    assert first["invoice"]["amount_remaining"] == 6000
    assert first["invoice_payment"]["is_default"] is False
    second = stripe_emulator.helper(f"invoices/{inv['id']}/pay", {})
    assert second["invoice"]["status"] == "paid" and second["invoice"]["amount_paid"] == 10000
    paid = http.get("/v1/invoice_payments", params={"invoice": inv["id"], "status": "paid"})
    assert sorted(p["amount_paid"] for p in paid.json()["data"]) == [4000, 6000]


def test_find_the_invoice_a_payment_intent_paid(stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    inv = draft(http)
    add_item(http, inv, amount="10000")
    finalize(http, inv)
    payment = stripe_emulator.helper(f"invoices/{inv['id']}/pay", {})["invoice_payment"]
    intent = payment["payment"]["payment_intent"]
    found = ok(http.get("/v1/invoice_payments", params={
        "payment[type]": "payment_intent", "payment[payment_intent]": intent}))
    assert [p["invoice"] for p in found["data"]] == [inv["id"]]


@pytest.mark.parametrize(("action", "status"), [("void", "void"),
                                                ("mark_uncollectible", "uncollectible")])
def test_void_and_uncollectible(stripe_http: httpx.Client, action: str, status: str) -> None:
    inv = draft(stripe_http)
    add_item(stripe_http, inv, amount="500")
    finalize(stripe_http, inv)
    done = ok(stripe_http.post(f"/v1/invoices/{inv['id']}/{action}"))
    assert done["status"] == status
    again = stripe_http.post(f"/v1/invoices/{inv['id']}/finalize")
    assert again.status_code == 400


def test_uncollectible_invoices_can_still_be_paid(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    add_item(stripe_http, inv, amount="500")
    finalize(stripe_http, inv)
    ok(stripe_http.post(f"/v1/invoices/{inv['id']}/mark_uncollectible"))
    paid = ok(stripe_http.post(f"/v1/invoices/{inv['id']}/pay",
                                data={"paid_out_of_band": "true"}))
    assert paid["status"] == "paid"


def test_only_drafts_can_be_deleted(stripe_http: httpx.Client) -> None:
    kept, gone = draft(stripe_http), draft(stripe_http)
    item = add_item(stripe_http, gone, amount="100")
    add_item(stripe_http, kept, amount="100")
    finalize(stripe_http, kept)
    assert stripe_http.delete(f"/v1/invoices/{kept['id']}").status_code == 400
    assert ok(stripe_http.delete(f"/v1/invoices/{gone['id']}"))["deleted"] is True
    assert stripe_http.get(f"/v1/invoices/{gone['id']}").status_code == 404
    assert stripe_http.get(f"/v1/invoiceitems/{item['id']}").status_code == 404


def test_zero_total_invoice_is_paid_on_finalize(stripe_http: httpx.Client) -> None:
    inv = finalize(stripe_http, draft(stripe_http))
    assert inv["status"] == "paid" and inv["amount_due"] == 0


def test_pending_items_are_pulled_in_only_when_asked(stripe_http: httpx.Client) -> None:
    customer = _customer(stripe_http)
    ok(stripe_http.post("/v1/invoiceitems", data={"customer": customer, "amount": "700",
                                                   "currency": "usd"}))
    base = {"customer": customer, "collection_method": "send_invoice", "due_date": DUE}
    without = ok(stripe_http.post("/v1/invoices", data=base))
    with_items = ok(stripe_http.post("/v1/invoices", data={
        **base, "pending_invoice_items_behavior": "include"}))
    assert without["total"] == 0 and with_items["total"] == 700


def test_invoice_search_by_metadata(stripe_http: httpx.Client) -> None:
    inv = draft(stripe_http)
    found = ok(stripe_http.get("/v1/invoices/search",
                                params={"query": "metadata['qbo_invoice_id']:'130'"}))
    assert [i["id"] for i in found["data"]] == [inv["id"]]
