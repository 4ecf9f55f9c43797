"""Saved payment methods and the subscription list, and what deleting a customer does to them."""

from __future__ import annotations

import httpx
from stripe_flows import RunningEmulator, new_customer, ok


def _saved(http: httpx.Client, customer: str) -> list[dict]:
    return ok(http.get(f"/v1/customers/{customer}/payment_methods"))["data"]


def test_an_attached_card_is_listed_for_its_customer_only(stripe_http: httpx.Client) -> None:
    mine, other = new_customer(stripe_http), new_customer(stripe_http)
    method = ok(stripe_http.post("/v1/payment_methods/pm_card_mastercard/attach",
                                 data={"customer": mine}))
    assert method["id"].startswith("pm_") and method["customer"] == mine
    assert [m["card"]["brand"] for m in _saved(stripe_http, mine)] == ["mastercard"]
    assert _saved(stripe_http, other) == []


def test_attaching_an_unknown_card_or_to_an_unknown_customer_is_refused(
        stripe_http: httpx.Client) -> None:
    customer = new_customer(stripe_http)
    unknown = stripe_http.post("/v1/payment_methods/pm_card_nosuch/attach",
                               data={"customer": customer})
    assert unknown.status_code == 400
    nobody = stripe_http.post("/v1/payment_methods/pm_card_visa/attach",
                              data={"customer": "cus_nobody"})
    assert nobody.status_code == 404


def test_deleting_a_customer_detaches_cards_and_cancels_subscriptions(
        stripe_emulator: RunningEmulator, stripe_http: httpx.Client) -> None:
    customer = new_customer(stripe_http)
    method = ok(stripe_http.post("/v1/payment_methods/pm_card_visa/attach",
                                 data={"customer": customer}))
    stripe_emulator.emulator.state.add({"id": "sub_emu2", "object": "subscription",
                                        "customer": customer, "status": "active"})
    listed = ok(stripe_http.get("/v1/subscriptions", params={"customer": customer}))
    assert [s["id"] for s in listed["data"]] == ["sub_emu2"]
    ok(stripe_http.delete(f"/v1/customers/{customer}"))
    assert stripe_emulator.emulator.state.objects["payment_method"][method["id"]][
        "customer"] is None
    assert ok(stripe_http.get("/v1/subscriptions", params={"customer": customer}))["data"] == []
    every = ok(stripe_http.get("/v1/subscriptions",
                               params={"customer": customer, "status": "all"}))
    assert [s["status"] for s in every["data"]] == ["canceled"]
    assert stripe_http.get("/v1/subscriptions", params={"status": "bogus"}).status_code == 400
