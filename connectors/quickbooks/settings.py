"""A connection's settings, typed, with Intuit's hosts filled in from `environment`.

Every endpoint can be overridden, so one connection can point at production, a sandbox
company, a recording proxy or the local emulator without code changes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ml_connector.engine.errors import InvalidInput

API_HOSTS = {"production": "https://quickbooks.api.intuit.com",
             "sandbox": "https://sandbox-quickbooks.api.intuit.com"}
AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
SCOPE = "com.intuit.quickbooks.accounting"


def config_schema() -> dict[str, Any]:
    text = resources.files("ml_connector.connectors.quickbooks").joinpath(
        "config.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@dataclass(frozen=True)
class QboSettings:
    connection: str
    client_id: str
    client_secret: str
    api_base: str
    environment: str = "sandbox"
    authorize_url: str = AUTHORIZE_URL
    token_url: str = TOKEN_URL
    revoke_url: str = REVOKE_URL
    redirect_uri: str = "http://localhost:8765/callback"
    realm_id: str | None = None
    webhook_verifier_token: str | None = None
    minor_version: int = 75
    requests_per_minute: int = 450
    max_concurrency: int = 10
    refresh_margin_seconds: float = 300.0
    throttle_wait_seconds: float = 60.0
    timeout_seconds: float = 60.0

    @property
    def reauth_command(self) -> str:
        return f"ml-connector connections auth {self.connection}"

    @classmethod
    def from_mapping(cls, connection: str, settings: Mapping[str, Any],
                     base_url: str | None = None) -> QboSettings:
        """Typed settings; a missing client id or secret is an input error naming the key."""
        missing = [key for key in ("client_id", "client_secret") if not settings.get(key)]
        if missing:
            raise InvalidInput(f"connection {connection!r}: missing setting(s) "
                               f"{', '.join(missing)}")
        environment = settings.get("environment", "sandbox")
        if environment not in API_HOSTS:
            raise InvalidInput(f"connection {connection!r}: environment must be 'production' "
                               f"or 'sandbox', not {environment!r}")
        api_base = (base_url or API_HOSTS[environment]).rstrip("/")
        known = {f for f in cls.__dataclass_fields__ if f not in ("connection", "api_base")}
        values = {k: v for k, v in settings.items() if k in known and v is not None}
        return cls(connection=connection, api_base=api_base, **values)
