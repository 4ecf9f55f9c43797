"""Fault injection and published limits: 429/3001, 5xx, dropped connections, expiry."""

from __future__ import annotations

import threading

import httpx
import pytest
from qbo_emulator_kit import REALM, Emulator, QboClient, fault_of, running_emulator

from ml_connector.connectors.quickbooks.emulator import create_app


def test_the_per_minute_limit_answers_429_with_code_3001() -> None:
    with running_emulator(requests_per_minute=5) as emulator:
        qbo = emulator.connect()
        statuses = [qbo.get(f"companyinfo/{REALM}").status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        error = fault_of(qbo.get(f"companyinfo/{REALM}"))
        assert error["code"] == "3001" and "ThrottleExceeded" in error["Message"]


def test_limits_can_be_switched_off() -> None:
    with running_emulator(requests_per_minute=2, enforce_limits=False) as emulator:
        qbo = emulator.connect()
        assert {qbo.get(f"companyinfo/{REALM}").status_code for _ in range(4)} == {200}


def test_more_than_the_concurrent_limit_is_throttled() -> None:
    with running_emulator(max_concurrent=1, faults={"rate_slow": 1.0,
                                                    "slow_seconds": 0.5}) as emulator:
        token = emulator.connect().http.headers["Authorization"]
        statuses: list[int] = []

        def call() -> None:
            response = httpx.get(f"{emulator.url}/v3/company/{REALM}/companyinfo/{REALM}",
                                 headers={"Authorization": token}, timeout=10)
            statuses.append(response.status_code)

        threads = [threading.Thread(target=call) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200, 429]


def test_injected_5xx_is_a_system_fault_and_changes_nothing(emulator: Emulator,
                                                           qbo: QboClient) -> None:
    emulator.admin("faults", {"rate_5xx": 1.0})
    response = qbo.post("customer", {"DisplayName": "Never"})
    assert response.status_code in (500, 503)
    body = response.json()["Fault"]
    assert body["type"] == "SystemFault" and body["Error"][0]["code"] == "10000"
    emulator.admin("faults", {})
    assert qbo.query("SELECT * FROM Customer WHERE DisplayName = 'Never'") == {}


def test_injected_429_is_a_throttle_fault(emulator: Emulator, qbo: QboClient) -> None:
    emulator.admin("faults", {"rate_429": 1.0})
    response = qbo.get(f"companyinfo/{REALM}")
    assert response.status_code == 429 and fault_of(response)["code"] == "3001"


def test_a_dropped_connection_after_apply_is_healed_by_the_same_requestid(
        emulator: Emulator, qbo: QboClient) -> None:
    emulator.admin("faults", {"rate_drop": 1.0, "drop_after_apply": True})
    with pytest.raises(httpx.TransportError):
        qbo.post("customer", {"DisplayName": "Applied"}, requestid="create-applied-1")
    emulator.admin("faults", {})
    retry = qbo.ok(qbo.post("customer", {"DisplayName": "Applied"},
                            requestid="create-applied-1"))
    rows = qbo.query("SELECT * FROM Customer WHERE DisplayName = 'Applied'")["Customer"]
    assert [r["Id"] for r in rows] == [retry["Customer"]["Id"]]


def test_a_connection_dropped_before_apply_changes_nothing(emulator: Emulator,
                                                           qbo: QboClient) -> None:
    emulator.admin("faults", {"rate_drop": 1.0, "drop_after_apply": False})
    with pytest.raises(httpx.TransportError):
        qbo.post("customer", {"DisplayName": "Lost"})
    emulator.admin("faults", {})
    assert qbo.query("SELECT * FROM Customer WHERE DisplayName = 'Lost'") == {}


def test_expire_tokens_makes_live_tokens_fail_with_401(emulator: Emulator,
                                                       qbo: QboClient) -> None:
    assert qbo.get(f"companyinfo/{REALM}").status_code == 200
    settings = emulator.admin("faults", {"expire_tokens": True})
    assert settings["expire_tokens"] is False  # a one-shot action, not a lasting state
    response = qbo.get(f"companyinfo/{REALM}")
    assert response.status_code == 401 and fault_of(response)["code"] == "3200"
    assert emulator.connect().get(f"companyinfo/{REALM}").status_code == 200


def test_the_same_seed_gives_the_same_faults(emulator: Emulator, qbo: QboClient) -> None:
    def outcomes() -> list[int]:
        emulator.admin("faults", {"rate_5xx": 0.5, "seed": 1234})
        return [qbo.get(f"companyinfo/{REALM}").status_code for _ in range(12)]

    first, second = outcomes(), outcomes()
    assert first == second
    assert 200 in first and any(status >= 500 for status in first)


def test_unknown_fault_settings_are_refused_with_a_hint(emulator: Emulator) -> None:
    response = httpx.post(f"{emulator.url}/_emulator/faults", json={"rate_500": 0.5})
    assert response.status_code == 400
    assert "did you mean 'rate_5xx'" in response.json()["error"]


def test_unknown_emulator_options_are_refused() -> None:
    with pytest.raises(ValueError, match=r"'acess_token_ttl' \(did you mean 'access_token_ttl'"):
        create_app({"acess_token_ttl": 5})
