"""Authentication, headers and error bodies, as a Stripe client library sees them."""

from __future__ import annotations

import httpx
import pytest
from stripe_flows import TEST_KEY, RunningEmulator


def _client(emulator: RunningEmulator, **kwargs: object) -> httpx.Client:
    return httpx.Client(base_url=emulator.url, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_basic_and_bearer_auth_both_work(stripe_emulator: RunningEmulator) -> None:
    with _client(stripe_emulator, auth=(TEST_KEY, "")) as basic:
        assert basic.get("/v1/customers").status_code == 200
    bearer = {"Authorization": f"Bearer {TEST_KEY}"}
    with _client(stripe_emulator, headers=bearer) as client:
        assert client.get("/v1/customers").status_code == 200


def test_missing_key_is_401_with_stripe_error_body(stripe_emulator: RunningEmulator) -> None:
    with _client(stripe_emulator) as anonymous:
        response = anonymous.get("/v1/customers")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "did not provide an API key" in error["message"]
    assert response.headers["Request-Id"].startswith("req_")


def test_unknown_key_is_refused_and_masked(emulator_factory: object) -> None:
    with emulator_factory(api_keys=["sk_test_only_this_one"]) as emu:  # type: ignore[operator]
        with _client(emu, auth=("sk_test_someone_elses_key", "")) as other:
            response = other.get("/v1/customers")
        with _client(emu, auth=("sk_test_only_this_one", "")) as owner:
            assert owner.get("/v1/customers").status_code == 200
    assert response.status_code == 401
    message = response.json()["error"]["message"]
    assert message.startswith("Invalid API Key provided: sk_test_")
    assert "someone_elses" not in message


def test_live_key_is_refused_by_a_test_mode_account(stripe_emulator: RunningEmulator) -> None:
    with _client(stripe_emulator, auth=("sk_live_real_looking_key", "")) as live:
        assert live.get("/v1/customers").status_code == 401


def test_every_answer_has_a_request_id_and_echoes_the_version(
        stripe_http: httpx.Client) -> None:
    ok = stripe_http.get("/v1/customers", headers={"Stripe-Version": "2026-10-28.endive"})
    missing = stripe_http.get("/v1/customers/cus_nope")
    assert ok.headers["Stripe-Version"] == "2026-10-28.endive"
    assert ok.headers["Request-Id"] != missing.headers["Request-Id"]
    assert missing.status_code == 404
    assert missing.json()["error"] | {"request_log_url": None} == {
        "type": "invalid_request_error", "code": "resource_missing", "param": "id",
        "message": "No such customer: 'cus_nope'",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        "request_log_url": None}


def test_versions_sent_are_recorded(stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.http.get("/v1/customers", headers={"Stripe-Version": "2025-03-31.basil"})
    logged = stripe_emulator.emulator.state.requests[-1]
    assert logged["headers"]["stripe-version"] == "2025-03-31.basil"


def test_unknown_parameter_is_rejected_by_name(stripe_http: httpx.Client) -> None:
    response = stripe_http.post("/v1/customers", data={"nmae": "Typo Ltd"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parameter_unknown"
    assert response.json()["error"]["param"] == "nmae"
    assert stripe_http.get("/v1/customers").json()["data"] == []


def test_json_bodies_are_refused(stripe_http: httpx.Client) -> None:
    response = stripe_http.post("/v1/customers", json={"name": "Json Ltd"})
    assert response.status_code == 400
    assert "Content-Type" in response.json()["error"]["message"]


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/nothing_here"),
                                              ("PUT", "/v1/customers")])
def test_unrecognized_urls_answer_404_like_stripe(stripe_http: httpx.Client, method: str,
                                                  path: str) -> None:
    response = stripe_http.request(method, path)
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(
        f"Unrecognized request URL ({method}: {path})")


def test_integer_parameters_are_validated(stripe_http: httpx.Client) -> None:
    response = stripe_http.get("/v1/customers", params={"limit": "many"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parameter_invalid_integer"
