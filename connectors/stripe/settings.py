"""A Stripe connection's settings, typed, with the defaults of its mode filled in.

The API version is pinned here, not configurable: the connector reads objects in the shapes
of exactly this version, and sends it on every request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ml_connector.engine.errors import InvalidInput

API_BASE = "https://api.stripe.com"
API_VERSION = "2026-10-28.endive"
DEFAULT_RATE = {"test": 25.0, "live": 100.0}


def config_schema() -> dict[str, Any]:
    text = resources.files("ml_connector.connectors.stripe").joinpath(
        "config.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@dataclass(frozen=True)
class StripeSettings:
    connection: str
    secret_key: str
    api_base: str = API_BASE
    mode: str = "test"
    webhook_secret: str | None = None
    previous_webhook_secret: str | None = None
    webhook_tolerance_seconds: int = 300
    requests_per_second: float | None = None
    search_requests_per_second: float = 20.0
    endpoint_requests_per_second: float = 25.0
    max_attempts: int = 5
    timeout_seconds: float = 80.0

    @property
    def rate(self) -> float:
        return self.requests_per_second or DEFAULT_RATE[self.mode]

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.webhook_secret, self.previous_webhook_secret) if s)

    @property
    def reset_key_command(self) -> str:
        return f"ml-connector connections set-secret {self.connection} secret_key"

    @classmethod
    def from_mapping(cls, connection: str, settings: Mapping[str, Any],
                     base_url: str | None = None) -> StripeSettings:
        """Typed settings; a missing key or unknown mode is an input error naming it."""
        if not settings.get("secret_key"):
            raise InvalidInput(f"connection {connection!r}: missing setting secret_key")
        mode = settings.get("mode", "test")
        if mode not in DEFAULT_RATE:
            raise InvalidInput(f"connection {connection!r}: mode must be 'test' or 'live', "
                               f"not {mode!r}")
        known = {f for f in cls.__dataclass_fields__ if f not in ("connection", "api_base")}
        values = {k: v for k, v in settings.items() if k in known and v is not None}
        return cls(connection=connection, api_base=(base_url or API_BASE).rstrip("/"),
                   **values)
