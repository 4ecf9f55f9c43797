"""The OAuth token pair of one connection, as stored (encrypted) in the credential store.

Access and refresh token travel together as one JSON value under one key, so a rotation is
persisted atomically: no reader can ever see a new access token next to a dead refresh
token. Expiry is kept as absolute times, computed when the token response arrived.

When QuickBooks refuses the stored refresh token (revoked, expired or replaced), a
`Refusal` is stored beside the pair: the process that saw it may be `serve`, and `status`,
run elsewhere, must still be able to say the authorisation is broken. It names the refused
token by a fingerprint only, so new tokens from re-authorising make it moot without anyone
having to clear it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ml_connector.engine.plugins.protocol import CredentialStore

TOKENS_KEY = "oauth_tokens"
REFUSAL_KEY = "oauth_refusal"


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    realm_id: str
    access_expires_at: float
    refresh_expires_at: float
    lifetime: float

    @classmethod
    def from_response(cls, body: Mapping[str, Any], realm_id: str, now: float) -> TokenSet:
        """From a token-endpoint answer (`expires_in` and `x_refresh_token_expires_in`)."""
        lifetime = float(body.get("expires_in", 3600))
        return cls(access_token=str(body["access_token"]),
                   refresh_token=str(body["refresh_token"]), realm_id=realm_id,
                   access_expires_at=now + lifetime,
                   refresh_expires_at=now + float(body.get("x_refresh_token_expires_in",
                                                           8_640_000)),
                   lifetime=lifetime)

    def margin(self, configured: float) -> float:
        """Refresh this long before expiry: the configured margin, but at most a fifth of
        the token's life, so short-lived tokens are not refreshed on every call."""
        return min(configured, self.lifetime / 5)

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.access_expires_at - now <= seconds

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        return cls(**json.loads(text))


def load_tokens(credentials: CredentialStore) -> TokenSet | None:
    stored = credentials.get(TOKENS_KEY)
    return TokenSet.from_json(stored) if stored else None


def save_tokens(credentials: CredentialStore, tokens: TokenSet) -> None:
    credentials.put(TOKENS_KEY, tokens.to_json())


def fingerprint(token: str) -> str:
    """Enough of a token's hash to recognise it again, nothing that could be used as it."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Refusal:
    """QuickBooks refused a refresh token: which one (by fingerprint), when, and why."""

    refresh_fingerprint: str
    at: float
    reason: str

    @classmethod
    def of(cls, tokens: TokenSet, reason: str, at: float) -> Refusal:
        return cls(fingerprint(tokens.refresh_token), at, reason)

    def concerns(self, tokens: TokenSet) -> bool:
        """Whether `tokens` are the ones refused (not a pair stored since)."""
        return self.refresh_fingerprint == fingerprint(tokens.refresh_token)


def save_refusal(credentials: CredentialStore, refusal: Refusal) -> None:
    credentials.put(REFUSAL_KEY, json.dumps(asdict(refusal), sort_keys=True))


def load_refusal(credentials: CredentialStore) -> Refusal | None:
    stored = credentials.get(REFUSAL_KEY)
    return Refusal(**json.loads(stored)) if stored else None
