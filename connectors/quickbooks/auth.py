"""Bearer authentication that keeps a rotating QBO token pair alive across workers.

    request ──> access token expiring within the margin? ──yes──> refresh ──┐
       │                                                                    │
       └──────────────<──────────── Authorization: Bearer <access> <───────┘
    response 401? ──yes──> refresh (unless another worker already did) ──> send once more

A refresh happens under `credentials.locked(...)`, so one worker per realm rotates at a
time, across threads and processes sharing the store. Inside the lock the stored pair is
read again first: if another worker already rotated it, its access token is used and no
second refresh is made. A new pair is persisted before its access token is used, because
the old refresh token is dead the moment the new one exists. On `invalid_grant` the store
is read once more (a winner may have saved a newer pair); only then does the sync stop,
with an `AuthError` naming the command that re-authorises, and the refusal is stored so
that `health()` in any process reports the authorisation broken until it is renewed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Mapping
from typing import Any

import httpx

from ml_connector.connectors.quickbooks.settings import QboSettings
from ml_connector.connectors.quickbooks.token_endpoint import InvalidGrant, TokenEndpoint
from ml_connector.connectors.quickbooks.tokens import (
    TOKENS_KEY,
    Refusal,
    TokenSet,
    load_tokens,
    save_refusal,
    save_tokens,
)
from ml_connector.engine.errors import AuthError
from ml_connector.engine.plugins.protocol import CredentialStore

REFRESH_TOKEN_WARNING = 14 * 24 * 3600
EventHook = Callable[[str, Mapping[str, Any]], None]


class TokenManager:
    """The current access token of one connection, refreshed when needed."""

    def __init__(self, settings: QboSettings, credentials: CredentialStore,
                 endpoint: TokenEndpoint, *, clock: Callable[[], float] = time.time,
                 log: logging.Logger | None = None, on_event: EventHook | None = None):
        self.settings, self.credentials, self.endpoint = settings, credentials, endpoint
        self.clock, self.on_event = clock, on_event
        self.log = log or logging.getLogger("ml_connector.connectors.quickbooks")
        self._cached: TokenSet | None = None
        self._lock = threading.Lock()
        self._warned = False

    def current(self) -> TokenSet:
        """The pair in use (from memory, else from the store); AuthError when never authorised."""
        tokens = self._cached or load_tokens(self.credentials)
        if tokens is None:
            raise AuthError("QuickBooks is not authorised for this connection yet",
                            reauth_command=self.settings.reauth_command)
        self._cached = tokens
        return tokens

    def access_token(self) -> str:
        """A token valid for at least the refresh margin, refreshing first if needed."""
        tokens = self.current()
        if tokens.expires_within(tokens.margin(self.settings.refresh_margin_seconds),
                                 self.clock()):
            tokens = self.refresh(rejected=tokens.access_token)
        return tokens.access_token

    def refresh(self, rejected: str) -> TokenSet:
        """Rotate the pair because `rejected` is expiring or was refused (a 401)."""
        with self._lock, self.credentials.locked(TOKENS_KEY):
            stored = load_tokens(self.credentials)
            if stored is None:
                raise AuthError("the stored QuickBooks authorisation is gone",
                                reauth_command=self.settings.reauth_command)
            if self._usable(stored, rejected):
                self._cached = stored
                return stored
            try:
                fresh = self.endpoint.refresh(stored.refresh_token, stored.realm_id)
            except InvalidGrant as exc:
                return self._after_invalid_grant(stored, exc)
            save_tokens(self.credentials, fresh)
            self._cached = fresh
        self._emit_refresh(fresh)
        return fresh

    def _usable(self, stored: TokenSet, rejected: str) -> bool:
        """Another worker already rotated: its fresh access token is not the rejected one."""
        margin = stored.margin(self.settings.refresh_margin_seconds)
        return stored.access_token != rejected and not stored.expires_within(margin,
                                                                             self.clock())

    def _after_invalid_grant(self, used: TokenSet, exc: InvalidGrant) -> TokenSet:
        again = load_tokens(self.credentials)
        if again is not None and again.refresh_token != used.refresh_token:
            self._cached = again
            return again
        save_refusal(self.credentials, Refusal.of(used, exc.description, self.clock()))
        raise AuthError(f"QuickBooks no longer accepts this connection's refresh token "
                        f"({exc.description}); it was revoked, expired or replaced",
                        reauth_command=self.settings.reauth_command, code="invalid_grant",
                        request_id=exc.request_id)

    def _emit_refresh(self, fresh: TokenSet) -> None:
        remaining = fresh.refresh_expires_at - self.clock()
        if remaining < REFRESH_TOKEN_WARNING and not self._warned:
            self._warned = True
            self.log.warning("the QuickBooks refresh token of %s expires in %.0f day(s); run "
                             "`%s` before then", self.settings.connection, remaining / 86400,
                             self.settings.reauth_command)
        if self.on_event is not None:
            self.on_event("token_refresh", {"connection": self.settings.connection,
                                            "realm_id": fresh.realm_id})


class QboAuth(httpx.Auth):
    """httpx authentication: bearer token, refreshed before expiry and once on a 401."""

    def __init__(self, tokens: TokenManager):
        self.tokens = tokens

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response,
                                                             None]:
        token = self.tokens.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            renewed = self.tokens.refresh(rejected=token)
            request.headers["Authorization"] = f"Bearer {renewed.access_token}"
            yield request
