"""Webhook verification and parsing: good, forged, stale, rotated; redeliveries dedupe."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from stripe_flows import WEBHOOK_SECRET, RunningEmulator, connect, ok, webhook_receiver

from ml_connector.connectors.stripe.emulator.signing import signature_header
from ml_connector.connectors.stripe.webhooks import verify
from ml_connector.engine.plugins.protocol import WebhookRejected


def _delivery(emu: RunningEmulator, action: Any) -> tuple[dict[str, str], bytes]:
    with webhook_receiver(emu) as receiver:
        action()
        emu.helper("webhooks/flush", {})
    return receiver.deliveries[-1]


def test_a_real_delivery_parses_into_the_change_it_announces(
        stripe_emulator: RunningEmulator, stripe_connector: Any) -> None:
    headers, body = _delivery(stripe_emulator, lambda: ok(stripe_emulator.http.post(
        "/v1/customers", data={"name": "Hooked"}, headers={"Idempotency-Key": "ours-1"})))
    (event,) = stripe_connector.parse_webhook(headers, body)
    assert (event.entity, event.operation) == ("customer", "create")
    assert event.event_id.startswith("evt_") and event.record_id.startswith("cus_")
    assert event.record is not None and event.record.data["name"] == "Hooked"
    assert event.extra["idempotency_key"] == "ours-1"
    assert event.extra["type"] == "customer.created"


def _signed(body: bytes, secrets: list[str], at: int | None = None) -> dict[str, str]:
    return {"Stripe-Signature": signature_header(secrets, at or int(time.time()), body)}


BODY = json.dumps({"id": "evt_1", "object": "event", "type": "refund.created",
                   "created": 1783000005, "livemode": False, "api_version": "2026-10-28.endive",
                   "request": {"id": None, "idempotency_key": None},
                   "data": {"object": {"id": "re_1", "object": "refund"}}}).encode()


def test_good_signature() -> None:
    verify(_signed(BODY, [WEBHOOK_SECRET]), BODY, [WEBHOOK_SECRET], tolerance=300)


@pytest.mark.parametrize(("headers", "reason"), [
    ({}, "missing Stripe-Signature"),
    ({"Stripe-Signature": "t=123"}, "no v1 signature"),
    ({"Stripe-Signature": "garbage"}, "no timestamp"),
])
def test_malformed_headers_are_rejected(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(WebhookRejected, match=reason) as caught:
        verify(headers, BODY, [WEBHOOK_SECRET], tolerance=300)
    assert caught.value.status == 400


def test_forged_signature_and_tampered_body() -> None:
    with pytest.raises(WebhookRejected, match="no v1 signature matches"):
        verify(_signed(BODY, ["whsec_attacker_guess"]), BODY, [WEBHOOK_SECRET], tolerance=300)
    tampered = BODY.replace(b"re_1", b"re_2")
    with pytest.raises(WebhookRejected, match="no v1 signature matches"):
        verify(_signed(BODY, [WEBHOOK_SECRET]), tampered, [WEBHOOK_SECRET], tolerance=300)


def test_a_v0_signature_is_not_enough() -> None:
    header = _signed(BODY, [WEBHOOK_SECRET])["Stripe-Signature"].replace("v1=", "v0=")
    with pytest.raises(WebhookRejected):
        verify({"Stripe-Signature": header}, BODY, [WEBHOOK_SECRET], tolerance=300)


def test_stale_timestamp() -> None:
    now = 1_800_000_000
    headers = _signed(BODY, [WEBHOOK_SECRET], at=now - 301)
    with pytest.raises(WebhookRejected, match="older than 300 seconds"):
        verify(headers, BODY, [WEBHOOK_SECRET], tolerance=300, now=lambda: now)
    verify(_signed(BODY, [WEBHOOK_SECRET], at=now - 299), BODY, [WEBHOOK_SECRET],
           tolerance=300, now=lambda: now)


def test_rotated_secret_with_two_v1_values() -> None:
    old, new = WEBHOOK_SECRET, "whsec_test_fake_new_secret_456"
    headers = _signed(BODY, [old, new])
    assert headers["Stripe-Signature"].count("v1=") == 2
    verify(headers, BODY, [old], tolerance=300)
    verify(headers, BODY, [new], tolerance=300)
    verify(_signed(BODY, [new]), BODY, [new, old], tolerance=300)


def test_rotation_end_to_end(stripe_emulator: RunningEmulator) -> None:
    new_secret: dict[str, str] = {}
    with webhook_receiver(stripe_emulator) as receiver:
        endpoint = receiver.endpoint  # type: ignore[attr-defined]
        new_secret["value"] = stripe_emulator.helper(
            f"webhook_endpoints/{endpoint['id']}/roll_secret", {"old_valid_for": 60})["secret"]
        ok(stripe_emulator.http.post("/v1/customers", data={"name": "Rolled"}))
        stripe_emulator.helper("webhooks/flush", {})
    headers, body = receiver.deliveries[-1]
    for configured in ({"webhook_secret": WEBHOOK_SECRET},
                       {"webhook_secret": new_secret["value"],
                        "previous_webhook_secret": WEBHOOK_SECRET}):
        connector = connect(stripe_emulator.url, **configured)
        assert len(connector.parse_webhook(headers, body)) == 1
        connector.close()


def test_events_of_the_other_mode_are_rejected(stripe_connector: Any) -> None:
    live = BODY.replace(b'"livemode": false', b'"livemode": true')
    with pytest.raises(WebhookRejected, match="live-mode event"):
        stripe_connector.parse_webhook(_signed(live, [WEBHOOK_SECRET]), live)


def test_events_no_entity_follows_are_accepted_and_ignored(stripe_connector: Any) -> None:
    other = BODY.replace(b"refund.created", b"payout.paid")
    assert stripe_connector.parse_webhook(_signed(other, [WEBHOOK_SECRET]), other) == []


def test_no_secret_configured_is_a_server_side_problem(stripe_emulator: RunningEmulator) -> None:
    connector = connect(stripe_emulator.url, webhook_secret=None)
    with pytest.raises(WebhookRejected) as caught:
        connector.parse_webhook(_signed(BODY, [WEBHOOK_SECRET]), BODY)
    assert caught.value.status == 500
    connector.close()


def test_a_redelivered_event_is_stored_once(tmp_path: Path, stripe_connector: Any) -> None:
    from ml_connector.engine.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}", root=tmp_path)
    try:
        added = []
        for _ in range(3):  # Stripe delivers at least once: the same event again
            (event,) = stripe_connector.parse_webhook(_signed(BODY, [WEBHOOK_SECRET]), BODY)
            added.append(store.inbox.add("stripe", event.event_id, event.entity,
                                         event.record_id, event.operation, {}))
    finally:
        store.close()
    assert added == [True, False, False]
