"""The `Stripe-Signature` header, computed exactly as Stripe computes it.

`t=<unix time>,v1=<hex HMAC-SHA256 of "{t}.{raw body}" keyed with the endpoint secret>`,
with one `v1` per secret that is currently valid (two while a secret is being rolled).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, payload: bytes) -> str:
    parts = [f"t={timestamp}"]
    parts += [f"v1={signature(secret, timestamp, payload)}" for secret in secrets]
    return ",".join(parts)
