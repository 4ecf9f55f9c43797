"""Rendered payloads: a canonical hash for change detection, and an exact JSON form for intents.

A payload may hold `Decimal` amounts. The hash must not depend on key order or on how a
number was spelled, and the stored intent must give back the very same values when a create
is re-sent after a crash (the idempotency key promises the same parameters).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_DECIMAL_TAG = "$decimal"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {_DECIMAL_TAG: format(value.normalize(), "f") if value == value.to_integral()
                else str(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"a mapping produced a value of type {type(value).__name__}, "
                    "which cannot be sent to a connector")


def encode(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of `payload`, with `Decimal` values tagged so `decode` restores them."""
    return json.loads(json.dumps(payload, default=_default))


def decode(stored: Any) -> Any:
    """Undo `encode`: tagged decimals become `Decimal` again, everything else unchanged."""
    if isinstance(stored, dict):
        if set(stored) == {_DECIMAL_TAG}:
            return Decimal(stored[_DECIMAL_TAG])
        return {key: decode(value) for key, value in stored.items()}
    if isinstance(stored, list):
        return [decode(item) for item in stored]
    return stored


def payload_hash(payload: Mapping[str, Any]) -> str:
    """Stable digest of a rendered payload: equal payloads hash equal, whatever the key order."""
    canonical = json.dumps(payload, default=_default, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key(pipeline: str, source_id: str, generation: int, digest: str) -> str:
    """Deterministic key for one create: the same record, generation and payload give the same key.

    Including the payload digest means a key is never reused with different parameters (an
    idempotency error from APIs that check); the intent row, not the key, is what prevents a second
    create after a crash, because the intent keeps the exact payload the key was first sent with.
    """
    raw = f"mlc:{pipeline}:{source_id}:g{generation}:{digest[:24]}"
    if len(raw) <= 200:
        return raw
    return f"mlc:{hashlib.sha256(raw.encode()).hexdigest()}"
