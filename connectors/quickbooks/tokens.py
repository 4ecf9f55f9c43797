"""The OAuth token pair of one connection, as stored (encrypted) in the credential store.

Access and refresh token travel together as one JSON value under one key, so a rotation is
persisted atomically: no reader can ever see a new access token next to a dead refresh
token. Expiry is kept as absolute times, computed when the token response arrived.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ml_connector.engine.plugins.protocol import CredentialStore

TOKENS_KEY = "oauth_tokens"


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
