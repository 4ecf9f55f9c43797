"""Webhook endpoints and signed, retried, optionally duplicated or reordered delivery.

Each event goes to every enabled endpoint whose `enabled_events` match it. A background
thread POSTs the event JSON with a `Stripe-Signature` header; anything but a 2xx answer (or
no answer) is retried after the configured delays, as Stripe retries over hours. On demand
(`chaos`) each delivery is sent one to three times, deliveries waiting together are
shuffled, and a share of them is held back for `delay` seconds, because Stripe promises
neither exactly-once, nor ordered, nor prompt delivery. Each of these is counted.

The thread never holds the state lock while it waits for a receiver, so a receiver may call
the emulator's API from its webhook handler.
"""

from __future__ import annotations

import heapq
import itertools
import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from ml_connector.connectors.stripe.emulator.signing import signature_header
from ml_connector.connectors.stripe.emulator.state import EmulatorState

REORDER_WINDOW = 0.05


@dataclass
class Chaos:
    duplicate: bool = False
    reorder: bool = False
    delay: float = 0.0        # seconds a held-back delivery waits
    delay_rate: float = 0.0   # the share of deliveries held back


@dataclass(order=True)
class Delivery:
    due: float
    seq: int
    event_id: str = field(compare=False)
    endpoint_id: str = field(compare=False)
    attempt: int = field(compare=False, default=1)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24).replace("-", "A").replace("_", "B")


class WebhookHub:
    """Queues and sends the deliveries of one emulator's events."""

    def __init__(self, state: EmulatorState):
        self.state = state
        self.chaos = Chaos()
        self.attempts: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self._queue: list[Delivery] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._busy = 0
        self._succeeded: set[tuple[str, str]] = set()
        state.event_listeners.append(self.on_event)
        state.webhooks = self

    # Endpoint secrets (private: Stripe shows a secret only when the endpoint is created).

    def secrets_for(self, endpoint_id: str) -> list[str]:
        now = self.state.clock.exact()
        entries = self.state.private_of(endpoint_id).get("secrets", [])
        return [e["secret"] for e in entries
                if e["expires_at"] is None or e["expires_at"] > now]

    def set_secret(self, endpoint_id: str, secret: str) -> None:
        self.state.private_of(endpoint_id)["secrets"] = [{"secret": secret, "expires_at": None}]

    def roll_secret(self, endpoint_id: str, old_valid_for: float) -> str:
        """A new secret; the old one keeps signing for `old_valid_for` seconds."""
        entries = self.state.private_of(endpoint_id).setdefault("secrets", [])
        expires = self.state.clock.exact() + old_valid_for
        for entry in entries:
            if entry["expires_at"] is None or entry["expires_at"] > expires:
                entry["expires_at"] = expires
        secret = new_secret()
        entries.append({"secret": secret, "expires_at": None})
        return secret

    # Queueing.

    def on_event(self, event: dict[str, Any]) -> None:
        for endpoint in self.state.objects["webhook_endpoint"].values():
            if endpoint["status"] != "enabled" or not _wants(endpoint, event["type"]):
                continue
            event["pending_webhooks"] += 1
            copies = self.state.random.randint(1, 3) if self.chaos.duplicate else 1
            for _ in range(copies):
                self._push(Delivery(time.monotonic() + self._held_back(), next(self._seq),
                                    event["id"], endpoint["id"]))
            self._count("webhook_duplicate", copies - 1)

    def _held_back(self) -> float:
        """0, or `chaos.delay` seconds for the share `chaos.delay_rate` of deliveries."""
        if self.chaos.delay <= 0 or self.state.random.random() >= self.chaos.delay_rate:
            return 0.0
        self._count("webhook_delayed")
        return self.chaos.delay

    def _count(self, kind: str, n: int = 1) -> None:
        if n:
            with self._cond:
                self.counts[kind] += n

    def counted(self) -> dict[str, int]:
        with self._cond:
            return dict(self.counts)

    def reset_counts(self) -> None:
        with self._cond:
            self.counts.clear()

    def _push(self, delivery: Delivery) -> None:
        with self._cond:
            heapq.heappush(self._queue, delivery)
            self._start_locked()
            self._cond.notify_all()

    def _start_locked(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name="stripe-emulator-webhooks")
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> None:
        """Drop queued deliveries and the delivery log; turn chaos off."""
        self.wait_idle(timeout=2.0)
        with self._cond:
            self._queue.clear()
            self.attempts.clear()
            self._succeeded.clear()
            self.counts.clear()
            self.chaos = Chaos()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or being sent (retries count as queued)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + self._busy

    # The sending thread.

    def _run(self) -> None:
        with httpx.Client(timeout=self.state.options.webhook_timeout) as client:
            while True:
                batch = self._next_batch()
                if batch is None:
                    return
                for delivery in batch:
                    self._send(client, delivery)
                with self._cond:
                    self._busy -= len(batch)
                    self._cond.notify_all()

    def _next_batch(self) -> list[Delivery] | None:
        with self._cond:
            while True:
                if self._stopping:
                    return None
                now = time.monotonic()
                if self._queue and self._queue[0].due <= now:
                    break
                wait = self._queue[0].due - now if self._queue else None
                self._cond.wait(wait)
            if self.chaos.reorder:
                self._cond.wait(REORDER_WINDOW)
            now = time.monotonic()
            batch = []
            while self._queue and self._queue[0].due <= now:
                batch.append(heapq.heappop(self._queue))
            if self.chaos.reorder and len(batch) > 1:
                self.state.random.shuffle(batch)
                self.counts["webhook_reordered"] += 1
            self._busy += len(batch)
            return batch

    def _send(self, client: httpx.Client, delivery: Delivery) -> None:
        prepared = self._prepare(delivery)
        if prepared is None:
            return
        url, body, headers = prepared
        status, error = None, None
        try:
            status = client.post(url, content=body, headers=headers).status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        self._record(delivery, url, status, error)

    def _prepare(self, delivery: Delivery) -> tuple[str, bytes, dict[str, str]] | None:
        with self.state.lock:
            endpoint = self.state.objects["webhook_endpoint"].get(delivery.endpoint_id)
            event = self.state.events_by_id.get(delivery.event_id)
            if endpoint is None or event is None or endpoint["status"] != "enabled":
                return None
            body = json.dumps(event, indent=2).encode()
            header = signature_header(self.secrets_for(endpoint["id"]),
                                      self.state.clock.now(), body)
            return endpoint["url"], body, {
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": header, "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}

    def _record(self, delivery: Delivery, url: str, status: int | None,
                error: str | None) -> None:
        ok = status is not None and 200 <= status < 300
        with self.state.lock:
            self.attempts.append({"event": delivery.event_id, "endpoint": delivery.endpoint_id,
                                  "url": url, "attempt": delivery.attempt, "status": status,
                                  "error": error, "succeeded": ok, "at": time.time()})
            key = (delivery.event_id, delivery.endpoint_id)
            if ok and key not in self._succeeded:
                self._succeeded.add(key)
                event = self.state.events_by_id[delivery.event_id]
                event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)
        delays = self.state.options.webhook_retry_delays
        if not ok and delivery.attempt <= len(delays):
            self._push(Delivery(time.monotonic() + delays[delivery.attempt - 1],
                                next(self._seq), delivery.event_id, delivery.endpoint_id,
                                delivery.attempt + 1))


def _wants(endpoint: dict[str, Any], event_type: str) -> bool:
    enabled = endpoint["enabled_events"]
    return "*" in enabled or event_type in enabled
