"""A subscription's period billed by Stripe itself: the invoice, its lines, its payment."""

from __future__ import annotations

from stripe_flows import RunningEmulator, ok


def _customer(emu: RunningEmulator) -> dict:
    return ok(emu.http.post("/v1/customers", data={"name": "Subscriber",
                                                   "email": "sub@example.org"}))


def test_a_renewal_is_a_paid_subscription_invoice_with_subscription_lines(
        stripe_emulator: RunningEmulator) -> None:
    cust = _customer(stripe_emulator)
    renewal = stripe_emulator.helper("subscriptions/renew", {
        "customer": cust["id"], "currency": "usd",
        "items": [{"description": "Pro plan", "amount": 2000},
                  {"description": "Extra seat", "amount": 1050, "quantity": 3}]})
    inv = ok(stripe_emulator.http.get(f"/v1/invoices/{renewal['invoice']['id']}"))
    sub = renewal["subscription"]
    assert sub.startswith("sub_")
    assert (inv["billing_reason"], inv["status"], inv["collection_method"]) == (
        "subscription_cycle", "paid", "charge_automatically")
    assert inv["parent"] == {"quote_details": None, "type": "subscription_details",
                             "subscription_details": {"metadata": {}, "subscription": sub}}
    assert (inv["total"], inv["amount_paid"], inv["amount_remaining"]) == (3050, 3050, 0)
    lines = inv["lines"]["data"]
    assert [(ln["description"], ln["amount"], ln["quantity"]) for ln in lines] == [
        ("Pro plan", 2000, 1), ("Extra seat", 1050, 3)]
    for line in lines:
        assert line["parent"]["type"] == "subscription_item_details"
        details = line["parent"]["subscription_item_details"]
        assert details["subscription"] == sub and details["subscription_item"].startswith("si_")
        assert line["period"]["end"] > line["period"]["start"]
    assert ok(stripe_emulator.http.get("/v1/invoiceitems",
                                       params={"invoice": inv["id"]}))["data"] == []
    paid = ok(stripe_emulator.http.get("/v1/invoice_payments", params={"invoice": inv["id"]}))
    (payment,) = [p for p in paid["data"] if p["status"] == "paid"]
    assert payment["amount_paid"] == 3050 and payment["payment"]["type"] == "payment_intent"
    pi = ok(stripe_emulator.http.get(
        f"/v1/payment_intents/{payment['payment']['payment_intent']}"))
    assert pi["status"] == "succeeded" and pi["customer"] == cust["id"]


def test_the_next_period_of_the_same_subscription_is_a_new_invoice(
        stripe_emulator: RunningEmulator) -> None:
    cust = _customer(stripe_emulator)
    items = [{"description": "Basic", "amount": 900}]
    first = stripe_emulator.helper("subscriptions/renew", {
        "customer": cust["id"], "items": items, "billing_reason": "subscription_create"})
    second = stripe_emulator.helper("subscriptions/renew", {
        "customer": cust["id"], "items": items, "subscription": first["subscription"]})
    assert first["invoice"]["billing_reason"] == "subscription_create"
    assert second["invoice"]["id"] != first["invoice"]["id"]
    assert second["subscription"] == first["subscription"]
    assert second["invoice"]["number"] != first["invoice"]["number"]


def test_a_renewal_without_items_or_customer_is_refused(
        stripe_emulator: RunningEmulator) -> None:
    cust = _customer(stripe_emulator)
    http = stripe_emulator.http
    for body in ({"customer": cust["id"], "items": []}, {"items": [{"amount": 100}]},
                 {"customer": cust["id"], "items": [{"description": "no amount"}]},
                 {"customer": cust["id"], "items": [{"amount": 100}],
                  "billing_reason": "manual"}):
        reply = http.post("/_emulator/subscriptions/renew", json=body)
        assert reply.status_code == 400, body
        assert reply.json()["error"]["message"]
