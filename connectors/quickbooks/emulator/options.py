"""Emulator options: one typed place for every knob, with unknown keys refused.

A misspelt option (`acess_token_ttl`) silently ignored would make a test pass against the
defaults; refusing it, with the known names listed, makes the mistake visible at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_REALM = "9341455000000"


@dataclass
class EmulatorOptions:
    """Everything `create_app(options)` understands; all values have working defaults."""

    access_token_ttl: float = 3600
    refresh_token_ttl: float = 8_726_400
    refresh_token_grace: float = 0
    auth_code_ttl: float = 600
    client_id: str = "emulator-client-id"
    client_secret: str = "emulator-client-secret"
    redirect_uris: tuple[str, ...] = ()
    realm_id: str = DEFAULT_REALM
    webhook_url: str | None = None
    webhook_format: str = "classic"
    verifier_token: str = "emulator-verifier-token"
    webhook_retry_scale: float = 1.0
    webhook_max_attempts: int = 10
    webhook_batch_seconds: float = 0.05
    state_file: str | None = None
    seed: bool = False
    enforce_limits: bool = True
    requests_per_minute: int = 500
    max_concurrent: int = 10
    batch_requests_per_minute: int = 40
    utc_offset_hours: float = -7.0
    faults: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any] | None) -> EmulatorOptions:
        known = {f.name for f in fields(cls)}
        values = dict(options or {})
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(_unknown_message(unknown, known))
        if "redirect_uris" in values:
            values["redirect_uris"] = tuple(values["redirect_uris"])
        result = cls(**values)
        if result.webhook_format not in ("classic", "cloudevents"):
            raise ValueError("webhook_format must be 'classic' or 'cloudevents', "
                             f"not {result.webhook_format!r}")
        return result


def _unknown_message(unknown: list[str], known: set[str]) -> str:
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return f"unknown emulator option(s): {', '.join(hints)}; known: {', '.join(sorted(known))}"
