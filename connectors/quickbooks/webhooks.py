"""Webhook deliveries: verify `intuit-signature`, then read either payload format.

The signature is base64(HMAC-SHA256(verifier token, raw body)), compared in constant time
over the exact bytes received, before anything is parsed. Both formats are accepted: the
classic `{"eventNotifications": [...]}` object and the CloudEvents array. Notifications
carry ids only; the engine fetches each record by GET. Several notifications of one record
in one delivery collapse into one event (one fetch). Notifications for other companies than
this connection's, and for entities the connector does not know, are acknowledged and
ignored: they are genuine, so refusing them would only make Intuit retry them for days.

A signed body is trusted to come from Intuit, not to be well formed: fields of the wrong
type are skipped rather than allowed to raise, and a notification without a usable id
never becomes an event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ml_connector.connectors.quickbooks.spec import ENTITIES
from ml_connector.engine import bounded_json
from ml_connector.engine.plugins.protocol import WebhookRejected
from ml_connector.engine.records import WebhookEvent

SIGNATURE_HEADER = "intuit-signature"
ACTIONS = {"created": "create", "updated": "update", "deleted": "delete", "voided": "void",
           "merged": "merge", "emailed": "emailed"}
_BY_LOWER = {name.lower(): name for name in ENTITIES}


def signature(verifier_token: str, body: bytes) -> str:
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(headers: Mapping[str, str], body: bytes, verifier_token: str | None) -> None:
    """Raise `WebhookRejected` unless the delivery is signed with our verifier token."""
    if not verifier_token:
        raise WebhookRejected(403, "no webhook_verifier_token is configured for this "
                                   "connection")
    given = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
    if not given:
        raise WebhookRejected(401, "missing intuit-signature header")
    expected = signature(verifier_token, body)
    if not hmac.compare_digest(expected.encode("ascii"), given.strip().encode("ascii",
                                                                               "replace")):
        raise WebhookRejected(401, "intuit-signature does not match the body")


def parse(body: bytes, realm_id: str | None) -> list[WebhookEvent]:
    """Events of one verified delivery, one per record, for this connection's realm."""
    try:
        payload = bounded_json.loads(body, parse_float=Decimal)
    except bounded_json.TooDeep as exc:
        raise WebhookRejected(400, str(exc)) from None
    except ValueError as exc:
        raise WebhookRejected(400, "the body is not JSON") from exc
    if isinstance(payload, list):
        events = list(_cloudevents(payload))
    elif isinstance(payload, dict) and "eventNotifications" in payload:
        events = list(_classic(payload["eventNotifications"]))
    else:
        raise WebhookRejected(400, "neither a CloudEvents array nor eventNotifications")
    mine = [e for e in events if e.entity in ENTITIES and e.record_id
             and (realm_id is None or e.account == realm_id)]
    return _collapse(mine)


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a list; anything else in it (or a non-list) contributes nothing."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A string or whole-number field as text; any other type counts as absent."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value)


def _classic(notifications: Any) -> Iterable[WebhookEvent]:
    for notification in _dicts(notifications):
        realm = _text(notification.get("realmId"))
        change = notification.get("dataChangeEvent")
        for item in _dicts(change.get("entities") if isinstance(change, dict) else None):
            name, record_id = _entity(item.get("name")), _text(item.get("id"))
            operation = _text(item.get("operation")).lower() or "update"
            stamp, deleted_id = _text(item.get("lastUpdated")), _text(item.get("deletedId"))
            key = f"{realm}|{name}|{record_id}|{operation}|{stamp}"
            event_id = "classic-" + hashlib.sha256(key.encode()).hexdigest()[:32]
            yield WebhookEvent(event_id, name, record_id, operation, account=realm,
                               occurred_at=stamp or None, extra=_merged(deleted_id))
            if deleted_id:
                yield _merged_away(event_id, name, deleted_id, realm, stamp)


def _cloudevents(events: list[Any]) -> Iterable[WebhookEvent]:
    for event in events:
        if not isinstance(event, dict) or "specversion" not in event:
            raise WebhookRejected(400, "a CloudEvents item without specversion")
        event_id = _text(event.get("id"))
        if not event_id:  # the id is what deduplicates redeliveries; CloudEvents require it
            raise WebhookRejected(400, "a CloudEvents item without id")
        parts = _text(event.get("type")).split(".")
        if len(parts) < 3 or parts[0] != "qbo":
            continue
        name, operation = _entity(parts[1]), ACTIONS.get(parts[2], parts[2]) or "update"
        realm, stamp = _text(event.get("intuitaccountid")), _text(event.get("time"))
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        deleted_id = _text(data.get("deletedid") or data.get("deletedId"))
        yield WebhookEvent(event_id, name, _text(event.get("intuitentityid")), operation,
                           account=realm, occurred_at=stamp or None, extra=_merged(deleted_id))
        if deleted_id:
            yield _merged_away(event_id, name, deleted_id, realm, stamp)


def _entity(name: Any) -> str:
    text = _text(name)
    return _BY_LOWER.get(text.lower(), text)


def _merged(deleted_id: str) -> dict[str, str]:
    return {"deleted_id": deleted_id} if deleted_id else {}


def _merged_away(event_id: str, name: str, record_id: str, realm: str,
                 stamp: str) -> WebhookEvent:
    """A merge removes `deletedId`: announce it as a delete of that record."""
    return WebhookEvent(f"{event_id}:merged-away", name, record_id, "delete", account=realm,
                        occurred_at=stamp or None)


def _collapse(events: list[WebhookEvent]) -> list[WebhookEvent]:
    """One event per (realm, entity, id): the latest by time, since the record is fetched."""
    latest: dict[tuple[str | None, str, str], WebhookEvent] = {}
    for event in events:
        key = (event.account, event.entity, event.record_id)
        current = latest.get(key)
        if current is None or (event.occurred_at or "") >= (current.occurred_at or ""):
            latest[key] = event
    return list(latest.values())
