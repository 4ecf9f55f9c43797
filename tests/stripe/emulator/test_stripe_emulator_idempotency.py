"""Idempotency keys behave as Stripe's: replay, conflicts, and retries after failures."""

from __future__ import annotations

import threading

import httpx
import pytest
from stripe_flows import RunningEmulator, ok


def _post(http: httpx.Client, key: str, **data: str) -> httpx.Response:
    return http.post("/v1/customers", data=data, headers={"Idempotency-Key": key})


def _customers(http: httpx.Client) -> list[str]:
    return [c["id"] for c in ok(http.get("/v1/customers"))["data"]]


def test_same_key_same_params_replays_the_saved_answer(stripe_http: httpx.Client) -> None:
    first = _post(stripe_http, "k-1", name="Acme")
    second = _post(stripe_http, "k-1", name="Acme")
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _customers(stripe_http) == [first.json()["id"]]


def test_same_key_other_params_is_an_idempotency_error(stripe_http: httpx.Client) -> None:
    _post(stripe_http, "k-2", name="Acme")
    clash = _post(stripe_http, "k-2", name="Globex")
    assert clash.status_code == 400
    assert clash.json()["error"]["type"] == "idempotency_error"
    assert len(_customers(stripe_http)) == 1


def test_same_key_on_another_endpoint_is_an_idempotency_error(
        stripe_http: httpx.Client) -> None:
    _post(stripe_http, "k-3", name="Acme")
    clash = stripe_http.post("/v1/tax_rates", headers={"Idempotency-Key": "k-3"},
                             data={"display_name": "x", "percentage": "1", "inclusive": "false"})
    assert clash.json()["error"]["type"] == "idempotency_error"


def test_validation_failures_are_not_saved(stripe_http: httpx.Client) -> None:
    bad = _post(stripe_http, "k-4", email="not-an-email")
    assert bad.status_code == 400
    good = _post(stripe_http, "k-4", email="fixed@example.com")
    assert good.status_code == 200, "a rejected request saves nothing under its key"


def test_saved_card_errors_are_replayed(stripe_emulator: RunningEmulator) -> None:
    from stripe_flows import open_invoice

    http = stripe_emulator.http
    inv = open_invoice(http, 5000)
    headers = {"Idempotency-Key": "pay-1"}
    data = {"payment_method": "pm_card_chargeDeclined"}
    first = http.post(f"/v1/invoices/{inv['id']}/pay", data=data, headers=headers)
    again = http.post(f"/v1/invoices/{inv['id']}/pay", data=data, headers=headers)
    assert first.status_code == again.status_code == 402
    assert first.json()["error"]["charge"] == again.json()["error"]["charge"]
    charges = ok(http.get("/v1/charges"))["data"]
    assert len(charges) == 1, "the retry did not charge the card again"


def test_concurrent_request_with_the_same_key_is_409(stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"faults": [
        {"kind": "slow", "delay": 0.5, "method": "POST", "path": "/v1/customers", "times": 1}]})
    results: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: results.append(
        _post(stripe_emulator.http, "k-5", name="Acme")))
    slow.start()
    for _ in range(100):  # wait until the slow request holds the key
        if stripe_emulator.emulator.idempotency._in_flight:
            break
        threading.Event().wait(0.01)
    with httpx.Client(base_url=stripe_emulator.url, auth=stripe_emulator.http.auth) as other:
        conflict = _post(other, "k-5", name="Acme")
    slow.join()
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_key_in_use"
    assert results[0].status_code == 200
    assert _post(stripe_emulator.http, "k-5", name="Acme").json()["id"] == results[0].json()["id"]


def test_dropped_connection_then_retry_makes_one_customer(
        stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"faults": [
        {"kind": "drop", "method": "POST", "path": "/v1/customers", "times": 1}]})
    with pytest.raises(httpx.TransportError):
        _post(stripe_emulator.http, "k-6", name="Acme")
    retried = _post(stripe_emulator.http, "k-6", name="Acme")
    assert retried.status_code == 200
    assert _customers(stripe_emulator.http) == [retried.json()["id"]]


def test_without_a_key_a_retry_after_a_drop_duplicates(stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"faults": [
        {"kind": "drop", "method": "POST", "path": "/v1/customers", "times": 1}]})
    with pytest.raises(httpx.TransportError):
        stripe_emulator.http.post("/v1/customers", data={"name": "Acme"})
    stripe_emulator.http.post("/v1/customers", data={"name": "Acme"})
    assert len(_customers(stripe_emulator.http)) == 2


def test_keys_expire_after_24_hours(stripe_emulator: RunningEmulator) -> None:
    first = _post(stripe_emulator.http, "k-7", name="Acme").json()
    stripe_emulator.helper("clock", {"advance": 24 * 3600 + 1})
    second = _post(stripe_emulator.http, "k-7", name="Acme").json()
    assert first["id"] != second["id"]


def test_overlong_keys_are_refused(stripe_http: httpx.Client) -> None:
    assert _post(stripe_http, "k" * 256, name="Acme").status_code == 400
