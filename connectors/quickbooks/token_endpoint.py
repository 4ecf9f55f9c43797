"""Calls to Intuit's token and revoke endpoints (client authentication by HTTP Basic).

`invalid_grant` is raised as `InvalidGrant`, distinct from every other failure: it means
"this refresh token (or code) is dead", which the caller answers by re-reading the store
before giving up. Server errors and timeouts are retryable like any other call.

The token endpoint gets at least `MIN_TIMEOUT_SECONDS`, whatever the connection's API
timeout: Intuit rotates the refresh token when it answers, so an answer given up on is the
only copy of the next refresh token, lost. Waiting longer is always cheaper than asking the
user to authorise again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ml_connector.connectors.quickbooks.settings import QboSettings
from ml_connector.connectors.quickbooks.tokens import TokenSet
from ml_connector.engine.errors import AuthError, RetryableError

HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"
MIN_TIMEOUT_SECONDS = 30.0


class InvalidGrant(Exception):
    """The token endpoint answered `invalid_grant`: the code or refresh token is dead."""

    def __init__(self, description: str, request_id: str | None):
        super().__init__(description)
        self.description, self.request_id = description, request_id


class TokenEndpoint:
    def __init__(self, settings: QboSettings, *, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time):
        self.settings, self.clock = settings, clock
        timeout = max(settings.timeout_seconds, MIN_TIMEOUT_SECONDS)
        self._http = httpx.Client(timeout=timeout, transport=transport,
                                  auth=(settings.client_id, settings.client_secret),
                                  headers={"Accept": "application/json"})

    def exchange_code(self, code: str, realm_id: str) -> TokenSet:
        body = self._post(self.settings.token_url, data={
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": self.settings.redirect_uri})
        return TokenSet.from_response(body, realm_id, self.clock())

    def refresh(self, refresh_token: str, realm_id: str) -> TokenSet:
        body = self._post(self.settings.token_url, data={
            "grant_type": "refresh_token", "refresh_token": refresh_token})
        return TokenSet.from_response(body, realm_id, self.clock())

    def revoke(self, token: str) -> None:
        self._post(self.settings.revoke_url, json={"token": token}, expect_body=False)

    def close(self) -> None:
        self._http.close()

    def _post(self, url: str, *, data: dict[str, str] | None = None,
              json: dict[str, str] | None = None, expect_body: bool = True) -> dict[str, Any]:
        try:
            response = self._http.post(url, data=data, json=json)
        except httpx.TimeoutException as exc:
            raise RetryableError(f"the QuickBooks token endpoint timed out "
                                 f"({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise RetryableError(f"the QuickBooks token endpoint is unreachable "
                                 f"({type(exc).__name__})") from exc
        if response.status_code == 200:
            return response.json() if expect_body and response.content else {}
        raise self._error(response)

    def _error(self, response: httpx.Response) -> Exception:
        request_id = response.headers.get("intuit_tid")
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = body.get("error") if isinstance(body, dict) else None
        description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
        status = response.status_code
        if error == "invalid_grant":
            return InvalidGrant(description or "invalid_grant", request_id)
        if status >= 500 or status == 429:
            return RetryableError(f"the QuickBooks token endpoint answered HTTP {status}",
                                  status=status, request_id=request_id)
        if error == "invalid_client":
            return AuthError("QuickBooks rejected the app's client id or secret; check the "
                             f"connection's client_id and client_secret ({description})",
                             status=status, code=error, request_id=request_id)
        return AuthError(f"the QuickBooks token endpoint answered HTTP {status} "
                         f"{error or ''} {description}".strip(),
                         reauth_command=self.settings.reauth_command, status=status,
                         code=error, request_id=request_id)
