"""Switchable faults and rate limits."""

from __future__ import annotations

import httpx
from stripe_flows import RunningEmulator, ok


def test_error_fault_answers_without_executing(stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"faults": [
        {"kind": "error", "status": 503, "method": "POST", "path": "/v1/customers",
         "times": 1, "headers": {"Stripe-Should-Retry": "true"}}]})
    http = stripe_emulator.http
    failed = http.post("/v1/customers", data={"name": "x"})
    assert failed.status_code == 503
    assert failed.json()["error"]["type"] == "api_error"
    assert failed.headers["Stripe-Should-Retry"] == "true"
    assert ok(http.get("/v1/customers"))["data"] == []
    assert http.post("/v1/customers", data={"name": "x"}).status_code == 200, "used up"


def test_error_fault_with_a_stripe_error_code(stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"faults": [
        {"kind": "error", "status": 429, "times": 1,
         "error": {"type": "invalid_request_error", "code": "lock_timeout",
                   "message": "This object cannot be accessed right now."}}]})
    response = stripe_emulator.http.get("/v1/customers")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "lock_timeout"


def test_faults_can_be_listed_and_cleared(stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"faults": [{"kind": "slow", "delay": 0.01}]})
    assert len(stripe_emulator.helper_get("faults")["faults"]) == 1
    stripe_emulator.http.delete("/_emulator/faults")
    assert stripe_emulator.helper_get("faults")["faults"] == []


def test_bad_fault_definitions_are_refused(stripe_emulator: RunningEmulator) -> None:
    response = stripe_emulator.http.post("/_emulator/faults",
                                         json={"faults": [{"kind": "explode"}]})
    assert response.status_code == 400


# A long window keeps these tests independent of how fast the machine sends requests.
HOUR_WINDOW = {"window_seconds": 3600}
# The account-wide limit alone, with the per-endpoint one out of the way.
GLOBAL_ONLY = {"endpoint": 10_000, **HOUR_WINDOW}


def test_test_mode_rate_limit_is_25(stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"rate_limits": GLOBAL_ONLY})
    http = stripe_emulator.http
    statuses = [http.get("/v1/customers" if i % 2 else "/v1/events").status_code
                for i in range(26)]
    assert statuses == [200] * 25 + [429]


def test_each_endpoint_allows_25_on_its_own(stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"rate_limits": {"global": 10_000, **HOUR_WINDOW}})
    http = stripe_emulator.http
    created = [http.post("/v1/customers", data={"name": f"c{i}"}) for i in range(26)]
    assert [r.status_code for r in created] == [200] * 25 + [429]
    assert created[-1].json()["error"]["code"] == "rate_limit"
    assert len(ok(http.get("/v1/customers", params={"limit": 100}))["data"]) == 25
    # Another method on the same path, and one path template for every id, are
    # endpoints of their own with budgets of their own.
    ids = [ok(r)["id"] for r in created[:25]]
    fetched = [http.get(f"/v1/customers/{ids[i % 25]}").status_code for i in range(26)]
    assert fetched == [200] * 25 + [429]


def test_a_request_refused_by_one_limit_uses_no_other_budget(
        stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"rate_limits": {
        "global": 3, "endpoint": 2, **HOUR_WINDOW}})
    http = stripe_emulator.http
    statuses = [http.get("/v1/customers").status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    assert http.get("/v1/events").status_code == 200, "the refusals spent no global budget"
    assert http.get("/v1/events").status_code == 429


def test_unknown_rate_limit_names_are_refused(stripe_emulator: RunningEmulator) -> None:
    response = stripe_emulator.http.post("/_emulator/faults",
                                         json={"rate_limits": {"endpiont": 5}})
    assert response.status_code == 400
    assert "endpiont" in response.json()["error"]["message"]


def test_rate_limit_error_body(stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"rate_limits": {"global": 1, **HOUR_WINDOW}})
    http = stripe_emulator.http
    http.get("/v1/customers")
    response = http.get("/v1/customers")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limit"


def test_search_has_its_own_lower_limit(stripe_emulator: RunningEmulator) -> None:
    stripe_emulator.helper("faults", {"rate_limits": HOUR_WINDOW})
    http = stripe_emulator.http
    query = {"query": "email:'a@b.example'"}
    statuses = [http.get("/v1/customers/search", params=query).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


def test_live_mode_allows_100(emulator_factory: object) -> None:
    key = ("sk_" + "live_fake123emulator", "")  # assembled: no live-shaped literal
    with emulator_factory(livemode=True) as emu, httpx.Client(  # type: ignore[operator]
            base_url=emu.url, auth=key) as live:
        live.post("/_emulator/faults", json={"rate_limits": GLOBAL_ONLY})
        statuses = [live.get("/v1/customers").status_code for _ in range(101)]
    assert statuses == [200] * 100 + [429]
