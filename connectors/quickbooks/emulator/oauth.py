"""Intuit OAuth 2.0 as the connector meets it: authorize, code exchange, refresh, revoke.

The rules that matter for a connector are enforced strictly: authorization codes are
single-use and short-lived; access tokens expire after the configured TTL; every refresh
rotates the refresh token and the superseded one answers `invalid_grant` at once (unless a
grace period is configured: then it answers with the current pair, counted as a
`grace_refreshes`); revoking any token of a grant kills the whole grant. Counters (`stats`)
let tests prove "exactly one refresh per rotation" and "zero invalid_grant".
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ml_connector.connectors.quickbooks.emulator import errors
from ml_connector.connectors.quickbooks.emulator.clock import Clock
from ml_connector.connectors.quickbooks.emulator.options import EmulatorOptions

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
HARD_LIFETIME = 5 * 365 * 24 * 3600


class OAuthError(Exception):
    """A token-endpoint error: `{"error", "error_description"}` with its HTTP status."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(f"{error}: {description}")
        self.status, self.error, self.description = status, error, description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class Grant:
    grant_id: str
    realm_id: str
    client_id: str
    scope: str
    created_at: float
    current_refresh: str = ""
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    grant_id: str
    expires_at: float
    superseded_at: float | None = None


@dataclass
class AccessToken:
    token: str
    grant_id: str
    realm_id: str
    expires_at: float


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    realm_id: str
    scope: str
    expires_at: float
    used: bool = False


class OAuthServer:
    """Token bookkeeping; the HTTP layer (`oauth_routes`) only translates to and from it."""

    def __init__(self, options: EmulatorOptions, clock: Clock):
        self.options, self.clock = options, clock
        self.grants: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.codes: dict[str, AuthCode] = {}
        self.stats: Counter[str] = Counter()

    # -- authorize ---------------------------------------------------------------------
    def authorize(self, params: dict[str, str]) -> str:
        """The redirect URL for an authorization request (auto-approved)."""
        if params.get("client_id") != self.options.client_id:
            raise OAuthError(400, "invalid_client", "Unknown client_id")
        redirect_uri = params.get("redirect_uri", "")
        allowed = self.options.redirect_uris
        if not redirect_uri or (allowed and redirect_uri not in allowed):
            raise OAuthError(400, "invalid_request", "redirect_uri is not registered")
        reply: dict[str, str] = {"state": params.get("state", "")}
        scope = params.get("scope", "")
        if params.get("response_type") != "code":
            reply["error"] = "unsupported_response_type"
        elif ACCOUNTING_SCOPE not in scope.split():
            reply["error"] = "invalid_scope"
        elif params.get("emulator_decision") == "deny":
            reply["error"] = "access_denied"
        else:
            realm_id = params.get("realmId") or self.options.realm_id
            code = self._new_code(params["client_id"], redirect_uri, realm_id, scope)
            reply = {"code": code, "state": reply["state"], "realmId": realm_id}
        separator = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{separator}{urlencode(reply)}"

    def _new_code(self, client_id: str, redirect_uri: str, realm_id: str, scope: str) -> str:
        code = "AB" + secrets.token_urlsafe(40)
        self.codes[code] = AuthCode(code, client_id, redirect_uri, realm_id, scope,
                                    self.clock.timestamp() + self.options.auth_code_ttl)
        return code

    # -- token endpoint ----------------------------------------------------------------
    def token(self, authorization: str | None, form: dict[str, str],
              hard_expiry: bool = False) -> dict[str, Any]:
        self._client(authorization)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(form, hard_expiry)
        if grant_type == "refresh_token":
            return self._refresh(form.get("refresh_token", ""), hard_expiry)
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type {grant_type!r}")

    def _client(self, authorization: str | None) -> None:
        """HTTP Basic client authentication with the app's id and secret."""
        scheme, _, encoded = (authorization or "").partition(" ")
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, _, secret = decoded.partition(":")
        valid = (scheme.lower() == "basic"
                 and secrets.compare_digest(client_id, self.options.client_id)
                 and secrets.compare_digest(secret, self.options.client_secret))
        if not valid:
            self.stats["invalid_client"] += 1
            raise OAuthError(401, "invalid_client", "Client authentication failed")

    def _exchange(self, form: dict[str, str], hard_expiry: bool) -> dict[str, Any]:
        code = self.codes.get(form.get("code", ""))
        now = self.clock.timestamp()
        if code is None or code.used or code.expires_at <= now:
            raise self._invalid_grant("Invalid authorization code")
        if form.get("redirect_uri") != code.redirect_uri:
            raise self._invalid_grant("redirect_uri does not match the authorization request")
        code.used = True
        grant = Grant(secrets.token_hex(8), code.realm_id, code.client_id, code.scope, now)
        self.grants[grant.grant_id] = grant
        self.stats["code_exchanges"] += 1
        return self._issue(grant, rotate=True, hard_expiry=hard_expiry)

    def _refresh(self, token: str, hard_expiry: bool) -> dict[str, Any]:
        record = self.refresh_tokens.get(token)
        now = self.clock.timestamp()
        if record is None:
            raise self._invalid_grant("Incorrect or invalid refresh token")
        grant = self.grants[record.grant_id]
        if grant.revoked or record.expires_at <= now:
            raise self._invalid_grant("Token has been expired or revoked.")
        rotate = record.superseded_at is None
        if not rotate and now - record.superseded_at > self.options.refresh_token_grace:
            raise self._invalid_grant("Token invalid")
        if not rotate:  # a superseded token, still within the grace period
            self.stats["grace_refreshes"] += 1
        self.stats["refreshes"] += 1
        return self._issue(grant, rotate=rotate, hard_expiry=hard_expiry)

    def _invalid_grant(self, description: str) -> OAuthError:
        self.stats["invalid_grant"] += 1
        return OAuthError(400, "invalid_grant", description)

    def _issue(self, grant: Grant, *, rotate: bool, hard_expiry: bool) -> dict[str, Any]:
        """A new access token; a new refresh token when rotating (the old one dies now)."""
        now = self.clock.timestamp()
        if rotate:
            old = self.refresh_tokens.get(grant.current_refresh)
            if old is not None:
                old.superseded_at = now
            grant.current_refresh = "AB11" + secrets.token_urlsafe(36)
            self.stats["rotations"] += 1
        refresh = self.refresh_tokens.setdefault(
            grant.current_refresh, RefreshToken(grant.current_refresh, grant.grant_id, 0))
        refresh.expires_at = now + self.options.refresh_token_ttl
        access = AccessToken("eyJ" + secrets.token_urlsafe(48), grant.grant_id, grant.realm_id,
                             now + self.options.access_token_ttl)
        self.access_tokens[access.token] = access
        body: dict[str, Any] = {
            "token_type": "bearer", "access_token": access.token,
            "expires_in": int(self.options.access_token_ttl),
            "refresh_token": refresh.token,
            "x_refresh_token_expires_in": int(self.options.refresh_token_ttl)}
        if hard_expiry:
            body["x_refresh_token_hard_expires_in"] = int(grant.created_at + HARD_LIFETIME - now)
        return body

    def connect(self, realm_id: str) -> dict[str, Any]:
        """Mint a grant without the browser step (admin shortcut for demos and tests)."""
        grant = Grant(secrets.token_hex(8), realm_id, self.options.client_id, ACCOUNTING_SCOPE,
                      self.clock.timestamp())
        self.grants[grant.grant_id] = grant
        return self._issue(grant, rotate=True, hard_expiry=False)

    # -- revoke and API access -----------------------------------------------------------
    def revoke(self, authorization: str | None, token: str) -> None:
        """Revoking either token of a grant disconnects the app from that company."""
        self._client(authorization)
        record = self.refresh_tokens.get(token) or self.access_tokens.get(token)
        if record is not None:
            self.grants[record.grant_id].revoked = True
            self.stats["revocations"] += 1

    def check_access(self, authorization: str | None, realm_id: str) -> None:
        """Raise the 401 fault QBO answers unless the bearer token is valid for this realm."""
        scheme, _, token = (authorization or "").partition(" ")
        record = self.access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if record is None or self.grants[record.grant_id].revoked:
            self.stats["rejected_access"] += 1
            raise errors.authentication_failed("Token invalid or revoked")
        if record.expires_at <= self.clock.timestamp():
            self.stats["expired_access"] += 1
            raise errors.authentication_failed("Token expired")
        if record.realm_id != realm_id:
            raise errors.authorization_failed(f"The token is not authorised for company "
                                              f"{realm_id}.")

    def expire_access_tokens(self, realm_id: str | None = None) -> int:
        """Make every live access token (of one realm, or all) expire now."""
        now, count = self.clock.timestamp(), 0
        for record in self.access_tokens.values():
            if (realm_id is None or record.realm_id == realm_id) and record.expires_at > now:
                record.expires_at = now
                count += 1
        return count
