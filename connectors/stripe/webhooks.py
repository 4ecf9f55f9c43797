"""Verifying and parsing Stripe webhook deliveries.

`Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...]`: the signed payload is
`"{t}.{raw body}"`, HMAC-SHA256 keyed with the endpoint's `whsec_` secret. A delivery is
genuine when any `v1` matches any configured secret (several `v1` values, and an old and a
new secret, coexist while a secret is rolled) and `t` is within the tolerance; comparisons
are constant-time, and other schemes (`v0`) are ignored so they cannot be used to downgrade.

Events name the object that changed and carry a copy of it, which may be stale: Stripe does
not deliver in order. The engine fetches the object again before syncing; deduplication by
event id happens in the engine's inbox.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ml_connector.connectors.stripe.spec import ENTITY_OF_EVENT
from ml_connector.engine.plugins.protocol import WebhookRejected
from ml_connector.engine.records import Record, WebhookEvent

HEADER = "stripe-signature"


def parse_header(header: str) -> tuple[int, list[str]]:
    timestamp, signatures = None, []
    for item in header.split(","):
        scheme, _, value = item.strip().partition("=")
        if scheme == "t" and value.isdigit():
            timestamp = int(value)
        elif scheme == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookRejected(400, "Stripe-Signature has no timestamp or no v1 signature")
    return timestamp, signatures


def expected_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(headers: Mapping[str, str], body: bytes, secrets: Sequence[str], *,
           tolerance: int, now: Callable[[], float] = time.time) -> None:
    """Raise `WebhookRejected` unless the delivery is signed by one of `secrets`, recently."""
    if not secrets:
        raise WebhookRejected(500, "no webhook_secret is configured for this connection")
    header = next((v for k, v in headers.items() if k.lower() == HEADER), None)
    if header is None:
        raise WebhookRejected(400, "missing Stripe-Signature header")
    timestamp, signatures = parse_header(header)
    expected = [expected_signature(secret, timestamp, body) for secret in secrets]
    if not any(hmac.compare_digest(sig, want) for sig in signatures for want in expected):
        raise WebhookRejected(400, "no v1 signature matches the webhook secret")
    if now() - timestamp > tolerance:
        raise WebhookRejected(400, f"signature timestamp is older than {tolerance} seconds")


def parse(body: bytes, *, livemode: bool) -> list[WebhookEvent]:
    """The change an event announces, or nothing for event types no entity follows."""
    try:
        event = json.loads(body)
        obj = event["data"]["object"]
        event_id, event_type = str(event["id"]), str(event["type"])
    except (ValueError, KeyError, TypeError):
        raise WebhookRejected(400, "the body is not a Stripe event") from None
    if bool(event.get("livemode")) != livemode:
        mode = "live" if event.get("livemode") else "test"
        raise WebhookRejected(400, f"a {mode}-mode event was sent to a connection of the "
                                   "other mode")
    name = ENTITY_OF_EVENT.get(event_type)
    if name is None or not isinstance(obj, dict) or "id" not in obj:
        return []
    deleted = event_type.endswith(".deleted")
    request = event.get("request") or {}
    return [WebhookEvent(
        event_id=event_id, entity=name, record_id=str(obj["id"]),
        operation=_operation(event_type), account=event.get("account"),
        occurred_at=datetime.fromtimestamp(int(event["created"]), UTC).isoformat(),
        record=Record(name, str(obj["id"]), obj, deleted=deleted),
        extra=_extra(event, request))]


def _operation(event_type: str) -> str:
    if event_type.endswith(".created"):
        return "create"
    return "delete" if event_type.endswith(".deleted") else "update"


def _extra(event: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    return {"type": event["type"], "api_version": event.get("api_version"),
            "request_id": request.get("id"), "idempotency_key": request.get("idempotency_key"),
            "changed": sorted(event["data"].get("previous_attributes") or {})}
