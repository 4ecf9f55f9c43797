"""Verifying and parsing Stripe webhook deliveries.

`Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...]`: the signed payload is
`"{t}.{raw body}"`, HMAC-SHA256 keyed with the endpoint's `whsec_` secret. A delivery is
genuine when any `v1` matches any configured secret (several `v1` values, and an old and a
new secret, coexist while a secret is rolled) and `t` is within the tolerance; comparisons
are constant-time, and other schemes (`v0`) are ignored so they cannot be used to downgrade.

Events name the object that changed and carry a copy of it, which may be stale: Stripe does
not deliver in order. The engine fetches the object again before syncing; deduplication by
event id happens in the engine's inbox. Genuine events the connector cannot use (a type no
entity follows, or a Connect event about another account, whose objects this connection
cannot read) are acknowledged and ignored: refusing them would only make Stripe retry them
for days. A signed body is trusted to come from Stripe, not to be well formed: a field of
the wrong type is a 400 or is left out, never an exception.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ml_connector.connectors.stripe.spec import ENTITY_OF_EVENT
from ml_connector.engine import bounded_json
from ml_connector.engine.plugins.protocol import WebhookRejected
from ml_connector.engine.records import Record, WebhookEvent

HEADER = "stripe-signature"
# Clocks drift a little, so a timestamp slightly ahead is genuine; one far ahead would stay
# "recent" for as long as the sender likes, which is what the tolerance exists to prevent.
FUTURE_SKEW_SECONDS = 60


def parse_header(header: str) -> tuple[int, list[str]]:
    timestamp, signatures = None, []
    for item in header.split(","):
        scheme, _, value = item.strip().partition("=")
        if scheme == "t" and _is_number(value):
            timestamp = int(value)
        elif scheme == "v1" and value and value.isascii():  # hex; anything else cannot match
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookRejected(400, "Stripe-Signature has no timestamp or no v1 signature")
    return timestamp, signatures


def _is_number(value: str) -> bool:
    """ASCII digits of a plausible Unix time (`isdigit` alone also passes '²')."""
    return value.isascii() and value.isdigit() and len(value) <= 12


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
    age = now() - timestamp
    if age > tolerance:
        raise WebhookRejected(400, f"signature timestamp is older than {tolerance} seconds")
    if -age > FUTURE_SKEW_SECONDS:
        raise WebhookRejected(400, "signature timestamp is more than "
                                   f"{FUTURE_SKEW_SECONDS} seconds in the future")


def parse(body: bytes, *, livemode: bool) -> list[WebhookEvent]:
    """The change an event announces; nothing for events this connection does not follow."""
    event = _event(body)
    if bool(event.get("livemode")) != livemode:
        mode = "live" if event.get("livemode") else "test"
        raise WebhookRejected(400, f"a {mode}-mode event was sent to a connection of the "
                                   "other mode")
    if event.get("account"):  # Connect: an object of another account, unreadable from here
        return []
    name, obj = ENTITY_OF_EVENT.get(event["type"]), event["data"]["object"]
    object_id = obj.get("id") if isinstance(obj, dict) else None
    if name is None or not isinstance(object_id, str) or not object_id:
        return []
    event_type = event["type"]
    return [WebhookEvent(
        event_id=event["id"], entity=name, record_id=object_id,
        operation=_operation(event_type), account=None, occurred_at=_time(event.get("created")),
        record=Record(name, object_id, obj, deleted=event_type.endswith(".deleted")),
        extra=_extra(event))]


def _event(body: bytes) -> dict[str, Any]:
    """The event object, checked for the fields every event has; 400 when it is not one."""
    try:
        event = bounded_json.loads(body)
    except bounded_json.TooDeep as exc:
        raise WebhookRejected(400, str(exc)) from None
    except ValueError:
        event = None
    data = event.get("data") if isinstance(event, dict) else None
    if not (isinstance(data, dict) and "object" in data and _nonempty(event.get("id"))
            and _nonempty(event.get("type"))):
        raise WebhookRejected(400, "the body is not a Stripe event")
    return event


def _nonempty(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _time(created: Any) -> str | None:
    """`created` (Unix seconds) as ISO 8601, or None when it is not a usable time."""
    if isinstance(created, bool) or not isinstance(created, int):
        return None
    try:
        return datetime.fromtimestamp(created, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _operation(event_type: str) -> str:
    if event_type.endswith(".created"):
        return "create"
    return "delete" if event_type.endswith(".deleted") else "update"


def _extra(event: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request") if isinstance(event.get("request"), dict) else {}
    previous = event["data"].get("previous_attributes")
    return {"type": event["type"], "api_version": _string(event.get("api_version")),
            "request_id": _string(request.get("id")),
            "idempotency_key": _string(request.get("idempotency_key")),
            "changed": sorted(previous) if isinstance(previous, dict) else []}


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None
