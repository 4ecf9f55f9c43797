"""OAuth: auto-approved authorize, single-use codes, expiring access, strict rotation, revoke."""

from __future__ import annotations

import base64

import httpx
import pytest
from qbo_emulator_kit import (
    CLIENT_ID,
    REALM,
    REDIRECT_URI,
    Emulator,
    QboClient,
    authorize,
    fault_of,
    running_emulator,
    token_request,
)


def exchange(emulator: Emulator, **extra: str) -> dict[str, str]:
    callback = authorize(emulator.url, **extra)
    response = token_request(emulator.url, {"grant_type": "authorization_code",
                                            "code": callback["code"],
                                            "redirect_uri": REDIRECT_URI})
    assert response.status_code == 200, response.text
    return {**response.json(), "realmId": callback["realmId"]}


def refresh(emulator: Emulator, token: str) -> httpx.Response:
    return token_request(emulator.url, {"grant_type": "refresh_token", "refresh_token": token})


def api(emulator: Emulator, access_token: str, realm: str = REALM) -> httpx.Response:
    return QboClient(emulator.url, realm, access_token).get(f"companyinfo/{realm}")


def test_authorize_redirects_back_with_code_state_and_realm(emulator: Emulator) -> None:
    callback = authorize(emulator.url, state="csrf-123", realmId="4620816365000000")
    assert callback["state"] == "csrf-123"
    assert callback["realmId"] == "4620816365000000"
    assert callback["code"]


def test_authorize_without_accounting_scope_redirects_with_an_error(emulator: Emulator) -> None:
    callback = authorize(emulator.url, scope="openid email")
    assert callback == {"state": "xyz", "error": "invalid_scope"}


def test_authorize_rejects_an_unknown_client_without_redirecting(emulator: Emulator) -> None:
    response = httpx.get(f"{emulator.url}/connect/oauth2", params={
        "client_id": "someone-else", "response_type": "code", "redirect_uri": REDIRECT_URI,
        "scope": "com.intuit.quickbooks.accounting", "state": "s"}, follow_redirects=False)
    assert response.status_code == 400


def test_code_exchange_gives_tokens_that_open_the_realm(emulator: Emulator) -> None:
    tokens = exchange(emulator)
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
    assert api(emulator, tokens["access_token"]).status_code == 200


def test_a_code_works_once(emulator: Emulator) -> None:
    callback = authorize(emulator.url)
    form = {"grant_type": "authorization_code", "code": callback["code"],
            "redirect_uri": REDIRECT_URI}
    assert token_request(emulator.url, form).status_code == 200
    again = token_request(emulator.url, form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_code_exchange_needs_the_same_redirect_uri(emulator: Emulator) -> None:
    callback = authorize(emulator.url)
    response = token_request(emulator.url, {"grant_type": "authorization_code",
                                            "code": callback["code"],
                                            "redirect_uri": "http://127.0.0.1:9/other"})
    assert response.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(emulator: Emulator) -> None:
    callback = authorize(emulator.url)
    response = token_request(emulator.url, {"grant_type": "authorization_code",
                                            "code": callback["code"],
                                            "redirect_uri": REDIRECT_URI}, secret="wrong")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_refresh_rotates_and_the_superseded_token_is_dead_at_once(emulator: Emulator) -> None:
    first = exchange(emulator)
    second = refresh(emulator, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    stale = refresh(emulator, first["refresh_token"])
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"
    third = refresh(emulator, second["refresh_token"])
    assert third.status_code == 200
    stats = emulator.state.snapshot()["oauth"]
    assert stats["refreshes"] == 2 and stats["invalid_grant"] == 1


def test_a_grace_period_lets_the_superseded_token_answer_with_the_current_one() -> None:
    with running_emulator(refresh_token_grace=60) as emulator:
        first = exchange(emulator)
        second = refresh(emulator, first["refresh_token"]).json()
        late = refresh(emulator, first["refresh_token"])
        assert late.status_code == 200
        assert late.json()["refresh_token"] == second["refresh_token"]


def test_access_tokens_expire_after_the_ttl_and_refresh_restores_access() -> None:
    with running_emulator(access_token_ttl=30) as emulator:
        tokens = exchange(emulator)
        assert api(emulator, tokens["access_token"]).status_code == 200
        emulator.admin("clock", {"advance_seconds": 31})
        expired = api(emulator, tokens["access_token"])
        assert expired.status_code == 401
        assert fault_of(expired)["code"] == "3200"
        renewed = refresh(emulator, tokens["refresh_token"]).json()
        assert api(emulator, renewed["access_token"]).status_code == 200


def test_revoking_the_refresh_token_kills_the_whole_grant(emulator: Emulator) -> None:
    tokens = exchange(emulator)
    basic = base64.b64encode(f"{CLIENT_ID}:test-client-secret-fake123".encode()).decode()
    response = httpx.post(f"{emulator.url}/v2/oauth2/tokens/revoke",
                          json={"token": tokens["refresh_token"]},
                          headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200
    assert api(emulator, tokens["access_token"]).status_code == 401
    assert refresh(emulator, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_token_opens_only_its_own_realm(emulator: Emulator) -> None:
    tokens = exchange(emulator)
    response = api(emulator, tokens["access_token"], realm="1111")
    assert response.status_code == 401 and fault_of(response)["code"] == "120"


@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic abc"])
def test_requests_without_a_valid_bearer_token_get_401(emulator: Emulator,
                                                       header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{emulator.url}/v3/company/{REALM}/companyinfo/{REALM}",
                         headers=headers)
    assert response.status_code == 401
    assert fault_of(response)["code"] == "3200"


def test_hard_expiry_is_reported_only_when_asked(emulator: Emulator) -> None:
    tokens = exchange(emulator)
    plain = refresh(emulator, tokens["refresh_token"]).json()
    assert "x_refresh_token_hard_expires_in" not in plain
    asked = token_request(emulator.url, {"grant_type": "refresh_token",
                                         "refresh_token": plain["refresh_token"]},
                          headers={"x-include-refresh-token-hard-expires-in": "true"}).json()
    assert 0 < asked["x_refresh_token_hard_expires_in"] <= 5 * 365 * 24 * 3600


def test_discovery_document_points_at_the_emulator(emulator: Emulator) -> None:
    document = httpx.get(f"{emulator.url}/.well-known/openid_configuration").json()
    assert document["token_endpoint"] == f"{emulator.url}/oauth2/v1/tokens/bearer"
    assert document["authorization_endpoint"] == f"{emulator.url}/connect/oauth2"
    assert document["revocation_endpoint"] == f"{emulator.url}/v2/oauth2/tokens/revoke"
