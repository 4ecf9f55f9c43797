"""Webhook delivery: signed as Stripe signs, retried, rotated, duplicated, reordered.

Signatures are checked with the official `stripe` package's own verifier, so "signed
exactly as Stripe signs them" is tested against Stripe's code, not ours.
"""

from __future__ import annotations

import json

import httpx
import pytest
import stripe
from stripe_flows import RunningEmulator, customer_pays, ok, webhook_receiver

SECRET = "whsec_test_fake_secret_123"


def _flush(emu: RunningEmulator) -> None:
    assert emu.helper("webhooks/flush", {"timeout": 10})["idle"] is True


def test_endpoint_secret_is_shown_only_on_create(stripe_http: httpx.Client) -> None:
    created = ok(stripe_http.post("/v1/webhook_endpoints", data={
        "url": "https://example.com/hooks", "enabled_events[0]": "invoice.paid"}))
    assert created["secret"].startswith("whsec_")
    fetched = ok(stripe_http.get(f"/v1/webhook_endpoints/{created['id']}"))
    assert "secret" not in fetched and fetched["enabled_events"] == ["invoice.paid"]


def test_deliveries_verify_with_stripes_own_code(stripe_emulator: RunningEmulator) -> None:
    with webhook_receiver(stripe_emulator) as receiver:
        ok(stripe_emulator.http.post("/v1/customers", data={"name": "Hooked"}))
        _flush(stripe_emulator)
    ((headers, body),) = receiver.deliveries
    event = stripe.Webhook.construct_event(body, headers["stripe-signature"], SECRET)
    assert event.type == "customer.created"
    assert event.data.object.name == "Hooked"
    assert headers["content-type"].startswith("application/json")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["stripe-signature"], "whsec_wrong")


def test_only_enabled_events_are_sent(stripe_emulator: RunningEmulator) -> None:
    with webhook_receiver(stripe_emulator, events=["invoice.paid"]) as receiver:
        customer_pays(stripe_emulator, 1000)
        _flush(stripe_emulator)
    assert [json.loads(b)["type"] for _, b in receiver.deliveries] == ["invoice.paid"]


def test_failed_deliveries_are_retried_until_accepted(stripe_emulator: RunningEmulator) -> None:
    http = stripe_emulator.http
    with webhook_receiver(stripe_emulator, fail_first=2) as receiver:
        ok(http.post("/v1/customers", data={"name": "Retry"}))
        _flush(stripe_emulator)
    event_id = ok(http.get("/v1/events"))["data"][0]["id"]
    assert receiver.event_ids() == [event_id] * 3
    attempts = stripe_emulator.helper_get("webhooks/deliveries")["deliveries"]
    assert [(a["attempt"], a["succeeded"]) for a in attempts] == [
        (1, False), (2, False), (3, True)]
    assert ok(http.get(f"/v1/events/{event_id}"))["pending_webhooks"] == 0
    assert ok(http.get("/v1/events", params={"delivery_success": "false"}))["data"] == []


def test_an_endpoint_that_never_answers_well_leaves_the_event_pending(
        emulator_factory: object) -> None:
    with emulator_factory(webhook_retry_delays=[0.01, 0.01]) as emu:  # type: ignore[operator]
        with webhook_receiver(emu, fail_first=100) as receiver:
            ok(emu.http.post("/v1/customers", data={"name": "Never"}))
            _flush(emu)
        pending = ok(emu.http.get("/v1/events", params={"delivery_success": "false"}))
    assert len(receiver.deliveries) == 3, "one attempt and two retries"
    assert [e["pending_webhooks"] for e in pending["data"]] == [1]


def test_rolled_secret_signs_with_both_until_the_old_one_expires(
        stripe_emulator: RunningEmulator) -> None:
    with webhook_receiver(stripe_emulator) as receiver:
        endpoint = receiver.endpoint  # type: ignore[attr-defined]
        new = stripe_emulator.helper(f"webhook_endpoints/{endpoint['id']}/roll_secret",
                                     {"old_valid_for": 3600})["secret"]
        ok(stripe_emulator.http.post("/v1/customers", data={"name": "During"}))
        _flush(stripe_emulator)
        stripe_emulator.helper("clock", {"advance": 3601})
        ok(stripe_emulator.http.post("/v1/customers", data={"name": "After"}))
        _flush(stripe_emulator)
    (during_headers, during), (after_headers, after) = receiver.deliveries
    assert during_headers["stripe-signature"].count("v1=") == 2
    assert after_headers["stripe-signature"].count("v1=") == 1
    stripe.Webhook.construct_event(during, during_headers["stripe-signature"], SECRET)
    stripe.Webhook.construct_event(during, during_headers["stripe-signature"], new)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(after.decode(), after_headers["stripe-signature"],
                                              SECRET, tolerance=None)


def test_duplicated_deliveries_on_demand(emulator_factory: object) -> None:
    with emulator_factory(random_seed=7) as emu:  # type: ignore[operator]
        emu.helper("webhooks/chaos", {"duplicate": True})
        with webhook_receiver(emu) as receiver:
            for i in range(8):
                ok(emu.http.post("/v1/customers", data={"name": f"c{i}"}))
            _flush(emu)
        events = ok(emu.http.get("/v1/events"))["data"]
    delivered = receiver.event_ids()
    assert set(delivered) == {e["id"] for e in events}
    assert len(delivered) > len(events)
    assert all(1 <= delivered.count(e["id"]) <= 3 for e in events)


def test_reordered_deliveries_on_demand(emulator_factory: object) -> None:
    with emulator_factory(random_seed=3) as emu:  # type: ignore[operator]
        emu.helper("webhooks/chaos", {"reorder": True})
        with webhook_receiver(emu) as receiver:
            customer_pays(emu, 2500)
            _flush(emu)
        created_order = [e["id"] for e in reversed(ok(emu.http.get("/v1/events"))["data"])]
    delivered = receiver.event_ids()
    assert sorted(delivered) == sorted(created_order)
    assert delivered != created_order
