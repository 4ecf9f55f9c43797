"""Idempotency keys for the requests a write makes after its first one."""

from __future__ import annotations

import hashlib


def derived_key(*parts: str) -> str:
    """The same key for the same step of the same write, on every retry."""
    return "mlc:" + hashlib.sha256(":".join(parts).encode()).hexdigest()[:40]
