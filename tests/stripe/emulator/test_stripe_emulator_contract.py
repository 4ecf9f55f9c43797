"""Every object the emulator returns has the fields, types and enums of the `stripe`
package's class for its resource (API 2026-10-28.endive), and agrees with Stripe's 2023
OpenAPI spec wherever the two have not diverged.

A tour drives every resource through its states and collects every JSON answer, including
expansions and the objects inside events; each object found is checked.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import stripe
from stripe_contract.shapes import RESOURCES, check_object, check_resource
from stripe_contract.spec import resource_schema
from stripe_contract.spec_shapes import check_against_spec
from stripe_contract.walk import resources_in
from stripe_flows import TEST_KEY, RunningEmulator, ok, webhook_receiver


def _tour(emu: RunningEmulator, http: httpx.Client) -> None:
    rate = ok(http.post("/v1/tax_rates", data={"display_name": "VAT", "percentage": "20",
                                               "inclusive": "false"}))
    cust = ok(http.post("/v1/customers", data={
        "name": "Tour", "email": "tour@example.com", "address[country]": "US",
        "shipping[name]": "Dock", "shipping[address][city]": "Oakland"}))
    ok(http.post(f"/v1/customers/{cust['id']}", data={"metadata[qbo_customer_id]": "1"}))
    ok(http.get("/v1/customers/search", params={"query": "email:'tour@example.com'"}))
    invoices = []
    for amounts in (["10000", "-1000"], ["5000"], ["700"], ["900"]):
        inv = ok(http.post("/v1/invoices", data={
            "customer": cust["id"], "collection_method": "send_invoice", "days_until_due": "30",
            "description": "Tour"}))
        for amount in amounts:
            ok(http.post("/v1/invoiceitems", data={"invoice": inv["id"], "amount": amount,
                                                   "tax_rates[0]": rate["id"]}))
        invoices.append(ok(http.post(f"/v1/invoices/{inv['id']}/finalize")))
    paid, partial, oob, voided = invoices
    emu.helper(f"invoices/{paid['id']}/pay", {})
    emu.helper(f"invoices/{partial['id']}/pay", {"amount": 1000})
    ok(http.post(f"/v1/invoices/{oob['id']}/pay", data={"paid_out_of_band": "true"}))
    ok(http.post(f"/v1/invoices/{voided['id']}/void"))
    note = ok(http.post("/v1/credit_notes", data={"invoice": partial["id"], "amount": "500",
                                                  "memo": "Tour"}))
    ok(http.post(f"/v1/credit_notes/{note['id']}/void"))
    ok(http.post("/v1/credit_notes", data={"invoice": oob["id"], "amount": "100",
                                           "out_of_band_amount": "100"}))
    ok(http.get("/v1/credit_notes", params={"invoice": partial["id"]}))
    _payments_tour(emu, http, paid)
    renewal = emu.helper("subscriptions/renew", {"customer": cust["id"], "items": [
        {"description": "Pro plan", "amount": 2000}, {"amount": 900, "quantity": 3}]})
    ok(http.get(f"/v1/invoices/{renewal['invoice']['id']}"))
    ok(http.get(f"/v1/invoices/{renewal['invoice']['id']}/lines"))
    ok(http.get("/v1/invoices", params={"expand[0]": "data.payments"}))
    ok(http.get(f"/v1/invoices/{paid['id']}/lines"))
    ok(http.get("/v1/invoiceitems"))
    ok(http.post("/v1/webhook_endpoints", data={"url": "https://example.com/h",
                                                "enabled_events[0]": "*"}))
    ok(http.get("/v1/webhook_endpoints"))


def _payments_tour(emu: RunningEmulator, http: httpx.Client, paid: dict[str, Any]) -> None:
    payments = ok(http.get("/v1/invoice_payments", params={
        "invoice": paid["id"], "expand[0]": "data.payment.payment_intent"}))
    charge_id = payments["data"][0]["payment"]["payment_intent"]["latest_charge"]
    refund = ok(http.post("/v1/refunds", data={"charge": charge_id, "amount": "100"}))
    emu.helper(f"refunds/{refund['id']}/fail", {})
    ok(http.get(f"/v1/charges/{charge_id}", params={
        "expand[0]": "refunds", "expand[1]": "balance_transaction"}))
    dispute = emu.helper(f"charges/{charge_id}/dispute", {})
    emu.helper(f"disputes/{dispute['id']}/close", {"outcome": "won"})
    ok(http.get("/v1/disputes"))
    ok(http.get("/v1/balance_transactions", params={"limit": 100}))
    ok(http.get("/v1/payment_intents"))
    ok(http.post("/v1/payment_intents", data={"amount": "5000", "currency": "usd",
                                              "payment_method": "pm_card_visa",
                                              "confirm": "true"}))
    ok(http.get("/v1/events", params={"limit": 100}))


@pytest.fixture(scope="module")
def tour_documents(shared_stripe_emulator: RunningEmulator) -> list[Any]:
    """Every JSON answer of the tour, and every webhook payload it caused."""
    emu = shared_stripe_emulator
    emu.emulator.reset()
    answers: list[Any] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        if response.headers.get("content-type", "").startswith("application/json"):
            answers.append(response.json())

    with webhook_receiver(emu) as receiver, httpx.Client(
            base_url=emu.url, auth=(TEST_KEY, ""), event_hooks={"response": [keep]}) as http:
        _tour(emu, http)
        emu.helper("webhooks/flush", {})
    answers += [json.loads(body) for _, body in receiver.deliveries]
    emu.emulator.reset()
    return answers


def test_the_tour_meets_every_resource(tour_documents: list[Any]) -> None:
    seen = {obj["object"] for doc in tour_documents for obj in resources_in(doc)}
    assert seen == set(RESOURCES)


def test_every_object_matches_the_stripe_package(tour_documents: list[Any]) -> None:
    problems = sorted({p for doc in tour_documents for obj in resources_in(doc)
                       for p in check_resource(obj)})
    assert problems == []


def test_every_object_agrees_with_the_2023_spec(tour_documents: list[Any]) -> None:
    problems = sorted({p for doc in tour_documents for obj in resources_in(doc)
                       for p in check_against_spec(obj)})
    assert problems == []


def test_the_spec_knows_the_resources_that_existed_in_2023() -> None:
    missing = [name for name in RESOURCES if resource_schema(name) is None]
    assert missing == ["invoice_payment"], "InvoicePayment is the only post-2023 resource"


# The checker itself must catch what it is for.

def _customer() -> dict[str, Any]:
    return {"id": "cus_1", "object": "customer", "address": None, "balance": 0,
            "business_name": None, "created": 1, "currency": None, "customer_account": None,
            "default_source": None, "delinquent": False, "description": None,
            "discount": None, "email": None, "individual_name": None, "invoice_prefix": "A",
            "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                                 "footer": None, "rendering_options": None},
            "livemode": False, "metadata": {}, "name": None, "next_invoice_sequence": 1,
            "phone": None, "preferred_locales": [], "shipping": None, "tax_exempt": "none",
            "test_clock": None}


@pytest.mark.parametrize(("change", "problem"), [
    ({"balance": "0"}, "customer.balance: expected int"),
    ({"tax_exempt": "sometimes"}, "customer.tax_exempt: 'sometimes' not one of"),
    ({"nmae": "x"}, "customer.nmae: not a field of Customer"),
    ({"metadata": {"k": 1}}, "customer.metadata.k: expected string"),
    ({"invoice_settings": {"footer": 3}}, "customer.invoice_settings.footer: expected str"),
])
def test_checker_rejects_wrong_shapes(change: dict[str, Any], problem: str) -> None:
    assert check_resource(_customer()) == []
    problems = check_resource(_customer() | change)
    assert any(p.startswith(problem) for p in problems), problems


def test_checker_rejects_a_missing_field() -> None:
    broken = _customer()
    del broken["created"]
    assert check_resource(broken) == ["customer.created: missing"]


def test_fields_new_since_2023_must_be_present() -> None:
    broken = _customer()
    del broken["customer_account"]  # not in the 2023 spec: only the package knows it
    assert check_resource(broken) == ["customer.customer_account: missing"]


def test_nested_objects_need_their_non_nullable_fields() -> None:
    assert check_object({"account": None}, stripe.Invoice.Issuer, "issuer", top=False) == [
        "issuer.type: missing"]


def test_removed_basil_fields_are_caught() -> None:
    invoice_fields = {"paid", "paid_out_of_band", "payment_intent", "charge"}
    assert not invoice_fields & set(stripe.Invoice.__annotations__)


def test_the_official_client_works_against_the_emulator(
        stripe_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    # Telemetry would write an id into the user's home folder and send it along.
    monkeypatch.setattr(stripe, "enable_telemetry", False)
    client = stripe.StripeClient(TEST_KEY, base_addresses={"api": stripe_emulator.url},
                                 max_network_retries=0)
    customer = client.v1.customers.create({"name": "SDK", "metadata": {"qbo_customer_id": "9"}})
    invoice = client.v1.invoices.create({"customer": customer.id, "currency": "usd",
                                         "collection_method": "send_invoice",
                                         "days_until_due": 30, "auto_advance": False})
    client.v1.invoice_items.create({"invoice": invoice.id, "amount": 4200,
                                    "description": "via SDK"})
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    paid = client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})
    assert (finalized.status, finalized.total, paid.status) == ("open", 4200, "paid")
    listed = client.v1.invoice_payments.list({"invoice": invoice.id})
    assert [p.status for p in listed.data] == ["canceled"]
