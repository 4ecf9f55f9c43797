"""Signed webhook delivery, classic or CloudEvents, retried on Intuit's schedule.

Changes are gathered for `webhook_batch_seconds`, grouped per realm into one POST, signed
with `intuit-signature` = base64(HMAC-SHA256(verifier token, raw body)) and delivered in
order by one worker thread: while a delivery is being retried, later ones wait (Intuit
holds later events back the same way). Only HTTP 200 acknowledges a delivery. Retry delays
follow the documented schedule, multiplied by `webhook_retry_scale` so tests can run it in
milliseconds. Fault settings add duplicate copies, out-of-order delivery and deliveries held
back (so a poll can see a change before its webhook arrives); each is counted as a fault.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import httpx

from ml_connector.connectors.quickbooks.emulator import jsonio
from ml_connector.connectors.quickbooks.emulator.clock import parse_datetime
from ml_connector.connectors.quickbooks.emulator.events import ChangeEvent
from ml_connector.connectors.quickbooks.emulator.faults import FaultInjector
from ml_connector.connectors.quickbooks.emulator.options import EmulatorOptions

RETRY_SCHEDULE = (0, 10, 20, 30, 300, 1200, 7200, 14400, 21600)
ACTIONS = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided",
           "Merge": "merged", "Emailed": "emailed"}
DELIVERY_TIMEOUT = 3.0


def sign(verifier_token: str, body: bytes) -> str:
    """The `intuit-signature` header value for a raw body."""
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def utc_text(stamp: str) -> str:
    return parse_datetime(stamp).astimezone(UTC).isoformat(timespec="milliseconds")\
        .replace("+00:00", "Z")


def classic_body(realm_id: str, events: list[ChangeEvent]) -> list[dict[str, Any]]:
    entities = []
    for event in events:
        entry = {"name": event.entity, "id": event.record_id, "operation": event.operation,
                 "lastUpdated": utc_text(event.last_updated)}
        if event.deleted_id:
            entry["deletedId"] = event.deleted_id
        entities.append(entry)
    return [{"eventNotifications": [{"realmId": realm_id,
                                     "dataChangeEvent": {"entities": entities}}]}]


def cloudevents_body(realm_id: str, events: list[ChangeEvent]) -> list[Any]:
    array = []
    for event in events:
        data = {"deletedid": event.deleted_id} if event.deleted_id else {}
        array.append({"specversion": "1.0", "id": str(uuid.uuid4()),
                      "source": "intuit.emulator.qbo",
                      "type": f"qbo.{event.entity.lower()}.{ACTIONS[event.operation]}.v1",
                      "datacontenttype": "application/json",
                      "time": utc_text(event.last_updated),
                      "intuitentityid": event.record_id, "intuitaccountid": realm_id,
                      "data": data})
    return [array]


@dataclass
class Delivery:
    """One POST and what happened to it (kept for tests and `GET /_emulator/state`)."""

    body: bytes
    content_type: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False
    copies: int = 0

    def describe(self) -> dict[str, Any]:
        return {"body": jsonio.loads(self.body), "content_type": self.content_type,
                "attempts": self.attempts, "delivered": self.delivered, "copies": self.copies}


class WebhookDispatcher:
    def __init__(self, options: EmulatorOptions, faults: FaultInjector):
        self.url, self.format = options.webhook_url, options.webhook_format
        self.verifier_token = options.verifier_token
        self.retry_scale, self.max_attempts = options.webhook_retry_scale, \
            options.webhook_max_attempts
        self.batch_seconds, self.faults = options.webhook_batch_seconds, faults
        self.deliveries: list[Delivery] = []
        self._events: list[ChangeEvent] = []
        self._outbox: deque[Delivery] = deque()
        self._busy = False
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def configure(self, url: str | None = None, fmt: str | None = None,
                  verifier_token: str | None = None) -> None:
        with self._cond:
            self.url = url if url is not None else self.url
            self.format = fmt or self.format
            self.verifier_token = verifier_token or self.verifier_token

    def publish(self, events: list[ChangeEvent]) -> None:
        """Queue changes for delivery; nothing happens while no URL is configured."""
        if not events or not self.url:
            return
        with self._cond:
            self._events.extend(events)
            self._ensure_thread()
            self._cond.notify_all()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name="qbo-emulator-webhooks")
            self._thread.start()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued change was delivered or given up; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._events and not self._outbox and not self._busy, timeout)

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        with self._cond:
            self._events.clear()
            self._outbox.clear()
            self.deliveries.clear()

    def _run(self) -> None:
        with httpx.Client(timeout=DELIVERY_TIMEOUT) as client:
            while not self._stop.is_set():
                delivery = self._next()
                if delivery is not None:
                    self._deliver(client, delivery)
                    with self._cond:
                        self._busy = False
                        self._cond.notify_all()

    def _next(self) -> Delivery | None:
        with self._cond:
            self._cond.wait_for(lambda: self._events or self._outbox or self._stop.is_set(),
                                timeout=1.0)
        if self._stop.is_set():
            return None
        self._stop.wait(self.batch_seconds)
        reorder = self.faults.settings.webhook_reorder
        with self._cond:
            self._package(reorder)
            if not self._outbox:
                return None
            self._busy = True
            if reorder and len(self._outbox) > 1:
                self.faults.count("webhook_reordered")
            return self._outbox.pop() if reorder else self._outbox.popleft()

    def _package(self, reorder: bool) -> None:
        """Turn gathered changes into POST bodies: one per realm, or one per change."""
        events, self._events = self._events, []
        by_realm: dict[str, list[ChangeEvent]] = {}
        for event in events:
            by_realm.setdefault(event.realm_id, []).append(event)
        build = cloudevents_body if self.format == "cloudevents" else classic_body
        content_type = ("application/cloudevents+json" if self.format == "cloudevents"
                        else "application/json")
        for realm_id, realm_events in by_realm.items():
            groups = [[e] for e in realm_events] if reorder else [realm_events]
            for group in groups:
                for body in build(realm_id, group):
                    delivery = Delivery(jsonio.dumps(body).encode(), content_type)
                    self.deliveries.append(delivery)
                    self._outbox.append(delivery)

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        held = self.faults.webhook_delay()
        if held:
            self.faults.count("webhook_delayed")
            if self._stop.wait(held):
                return
        for attempt in range(self.max_attempts):
            delay = RETRY_SCHEDULE[min(attempt, len(RETRY_SCHEDULE) - 1)] * self.retry_scale
            if self._stop.wait(delay):
                return
            if self._post(client, delivery):
                delivery.delivered = True
                for _ in range(self.faults.extra_copies()):
                    self._post(client, delivery)
                    delivery.copies += 1
                    self.faults.count("webhook_duplicate")
                return

    def _post(self, client: httpx.Client, delivery: Delivery) -> bool:
        headers = {"content-type": delivery.content_type,
                   "intuit-signature": sign(self.verifier_token, delivery.body)}
        try:
            response = client.post(str(self.url), content=delivery.body, headers=headers)
        except httpx.HTTPError as exc:
            delivery.attempts.append({"status": None, "error": type(exc).__name__})
            return False
        delivery.attempts.append({"status": response.status_code, "error": None})
        return response.status_code == 200
