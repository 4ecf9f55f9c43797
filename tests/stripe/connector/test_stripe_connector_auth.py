"""The secret key: sent as Basic auth with the pinned version; the wrong mode is refused."""

from __future__ import annotations

import base64

import pytest
from stripe_flows import TEST_KEY, RunningEmulator, connect

from ml_connector.connectors.stripe.auth import key_mode
from ml_connector.engine.errors import AuthError, InvalidInput


def test_requests_carry_basic_auth_and_the_pinned_version(
        stripe_emulator: RunningEmulator, stripe_connector: object) -> None:
    stripe_connector.find("customer", "email", "nobody@example.com")  # type: ignore[attr-defined]
    (logged,) = stripe_emulator.emulator.state.requests
    assert logged["headers"]["stripe-version"] == "2026-10-28.endive"


def test_the_key_is_the_basic_auth_user(
        stripe_requests_follow_the_contract: list, stripe_connector: object) -> None:
    stripe_connector.get("customer", "cus_missing")  # type: ignore[attr-defined]
    (request,) = stripe_requests_follow_the_contract
    scheme, _, value = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(value).decode() == f"{TEST_KEY}:"


@pytest.mark.parametrize(("key", "mode"), [("sk_live_fake123", "test"),
                                           ("sk_test_fake123", "live"),
                                           ("rk_live_fake123", "test")])
def test_a_key_of_the_other_mode_is_refused_before_any_call(
        stripe_emulator: RunningEmulator, key: str, mode: str) -> None:
    with pytest.raises(InvalidInput, match=f"marked mode: {mode}"):
        connect(stripe_emulator.url, secret_key=key, mode=mode)
    assert stripe_emulator.emulator.state.requests == []


def test_restricted_and_secret_keys_are_both_keys() -> None:
    assert key_mode("rk_test_abc") == "test" and key_mode("sk_live_abc") == "live"
    with pytest.raises(InvalidInput, match="pk_"):
        key_mode("pk_test_abc")


def test_a_refused_key_is_an_auth_error_naming_the_fix(emulator_factory: object) -> None:
    with emulator_factory(api_keys=["sk_test_the_right_one"]) as emu:  # type: ignore[operator]
        connector = connect(emu.url, secret_key="sk_test_a_revoked_one")
        with pytest.raises(AuthError) as caught:
            connector.get("customer", "cus_1")
    assert "ml-connector connections set-secret stripe secret_key" in str(caught.value)
    assert caught.value.request_id and caught.value.request_id.startswith("req_")
    assert "revoked_one" not in str(caught.value)


def test_the_client_stays_under_the_test_mode_rate_limit(
        stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"rate_limits": True})  # Stripe's 25 per second
    connector = connect(stripe_emulator.url, max_attempts=1, requests_per_second=None)
    for _ in range(30):
        connector.get("customer", "cus_missing")
    connector.close()
    statuses = [r["status"] for r in stripe_emulator.emulator.state.requests]
    assert statuses == [404] * 30, "no request was refused with 429"
