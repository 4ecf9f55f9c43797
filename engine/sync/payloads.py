"""Rendered payloads: a canonical hash for change detection, an exact JSON form for intents,
and the fields a payload sets, so the next update knows which ones it no longer sets.

A payload may hold `Decimal` amounts. The hash must not depend on key order or on how a
number was spelled, and the stored intent must give back the very same values when a create
is re-sent after a crash (the idempotency key promises the same parameters).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ml_connector.engine.records import FieldPath

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


def fields_of(payload: Mapping[str, Any]) -> tuple[FieldPath, ...]:
    """Every field a payload sets, as key paths through its nested objects, sorted.

    A list is one field (connectors send lists whole), so is an empty object; a `None`
    value sets nothing (connectors leave it out of the request).
    """
    return tuple(sorted(_paths(payload, ())))


def _paths(value: Mapping[str, Any], prefix: FieldPath) -> Iterator[FieldPath]:
    for key, item in value.items():
        path = (*prefix, str(key))
        if item is None:
            continue
        if isinstance(item, Mapping) and item:
            yield from _paths(item, path)
        else:
            yield path


def cleared_fields(written: Iterable[FieldPath] | None,
                   payload: Mapping[str, Any]) -> tuple[FieldPath, ...]:
    """Fields the last written payload set that `payload` no longer sets.

    Left alone, the target would keep their old values (a metadata key deleted from the
    mapping, an optional field whose source went empty). A field whose parent `payload`
    now sets to a plain value is not listed: writing the parent replaces it anyway. None
    (not known what was written) clears nothing.
    """
    if written is None:
        return ()
    setting = set(fields_of(payload))
    return tuple(path for path in sorted(set(written) - setting)
                 if _unset_in(payload, path))


def _unset_in(payload: Mapping[str, Any], path: FieldPath) -> bool:
    value: Any = payload
    for key in path:
        if not isinstance(value, Mapping):
            return False    # an ancestor is now a plain value: it replaces this field
        value = value.get(key)
        if value is None:
            return True
    return False
