"""The emulator's memory: every object by kind and id, the clock, and what happened.

Objects are stored as the plain JSON dicts Stripe returns, so a response is a copy of the
stored value (after expansion) and the whole state can be written to a JSON file. Data Stripe
keeps but does not show (which charge a PaymentIntent made, a customer's search snapshots)
lives in `private`, keyed by object id.

Handlers run one at a time under `lock`; `request` holds the id and idempotency key of the
request being handled so events can name the request that caused them.
"""

from __future__ import annotations

import copy
import json
import os
import random
import string
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml_connector.connectors.stripe.emulator.errors import missing
from ml_connector.connectors.stripe.emulator.options import EmulatorOptions
from ml_connector.connectors.stripe.emulator.search import SearchIndex

PREFIXES: dict[str, str] = {
    "customer": "cus", "invoice": "in", "invoiceitem": "ii", "line_item": "il",
    "invoice_payment": "inpay", "payment_intent": "pi", "charge": "ch", "refund": "re",
    "dispute": "dp", "balance_transaction": "txn", "event": "evt", "webhook_endpoint": "we",
    "tax_rate": "txr", "payment_method": "pm", "price": "price", "product": "prod",
    "subscription": "sub", "subscription_item": "si",
    "credit_note": "cn", "credit_note_line_item": "cnli",
}
KIND_BY_PREFIX = {prefix: kind for kind, prefix in PREFIXES.items()}
_ALPHABET = string.ascii_letters + string.digits


class Clock:
    """Stripe's notion of now, in Unix seconds; tests move it forward instead of sleeping."""

    def __init__(self, offset: float = 0.0):
        self.offset = offset

    def now(self) -> int:
        return int(self.exact())

    def exact(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> int:
        self.offset += seconds
        return self.now()


@dataclass
class RequestInfo:
    """The request being handled, as events report it (`request.id`, `idempotency_key`)."""

    id: str | None = None
    idempotency_key: str | None = None
    # Where the request reached the emulator, for links it hands out (hosted invoice pages).
    base_url: str | None = None


class EmulatorState:
    """All objects of one emulated account (one mode: test or live)."""

    def __init__(self, options: EmulatorOptions):
        self.options = options
        self.lock = threading.RLock()
        self.clock = Clock()
        self.random = random.Random(options.random_seed)
        self.objects: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in PREFIXES}
        self.private: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.events_by_id: dict[str, dict[str, Any]] = {}
        self.counters: dict[str, int] = {}
        self.request = RequestInfo()
        self.requests: list[dict[str, Any]] = []
        self.event_listeners: list[Callable[[dict[str, Any]], None]] = []
        self.search = {"customer": SearchIndex(), "invoice": SearchIndex()}
        self.webhooks: Any = None  # the WebhookHub, which registers itself

    def clear(self) -> None:
        """Forget everything (the clock too), as a newly opened account."""
        for bucket in self.objects.values():
            bucket.clear()
        for container in (self.private, self.events_by_id, self.counters):
            container.clear()
        self.events.clear()
        self.requests.clear()
        self.search = {kind: SearchIndex() for kind in self.search}
        self.clock.offset = 0.0

    @property
    def livemode(self) -> bool:
        return self.options.livemode

    def new_id(self, kind: str) -> str:
        suffix = "".join(self.random.choice(_ALPHABET) for _ in range(24))
        return f"{PREFIXES[kind]}_{suffix}"

    def next_number(self, counter: str) -> int:
        self.counters[counter] = self.counters.get(counter, 0) + 1
        return self.counters[counter]

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["object"]][obj["id"]] = obj
        return obj

    def get(self, kind: str, object_id: str, *, param: str = "id") -> dict[str, Any]:
        """The stored object (mutable), or Stripe's `resource_missing` 404."""
        found = self.objects[kind].get(object_id)
        if found is None:
            raise missing(kind, object_id, param)
        return found

    def find(self, object_id: str) -> dict[str, Any] | None:
        """Any object by id alone, from its prefix (for `expand[]`)."""
        kind = KIND_BY_PREFIX.get(object_id.split("_", 1)[0])
        return self.objects[kind].get(object_id) if kind else None

    def remove(self, kind: str, object_id: str) -> dict[str, Any]:
        return self.objects[kind].pop(object_id)

    def newest_first(self, kind: str) -> list[dict[str, Any]]:
        return list(reversed(self.objects[kind].values()))

    def index_for_search(self, obj: dict[str, Any], *, deleted: bool = False) -> None:
        """Make the object's current state searchable after the configured lag."""
        index = self.search.get(obj["object"])
        if index is None:
            return
        visible_at = self.clock.exact() + self.options.search_lag_seconds
        if deleted:
            index.forget(obj["id"], visible_at)
        else:
            index.index(obj, visible_at)

    def private_of(self, object_id: str) -> dict[str, Any]:
        return self.private.setdefault(object_id, {})

    def snapshot(self, obj: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(obj)

    def iter_all(self) -> Iterator[dict[str, Any]]:
        for bucket in self.objects.values():
            yield from bucket.values()

    # Persistence: one JSON document, written atomically after every change.

    def dump(self) -> dict[str, Any]:
        return {"objects": self.objects, "private": self.private, "events": self.events,
                "counters": self.counters, "clock_offset": self.clock.offset}

    def load(self, data: dict[str, Any]) -> None:
        for kind, bucket in data.get("objects", {}).items():
            self.objects.setdefault(kind, {}).update(bucket)
        self.private.update(data.get("private", {}))
        self.events.extend(data.get("events", []))
        self.events_by_id.update((e["id"], e) for e in self.events)
        self.counters.update(data.get("counters", {}))
        self.clock.offset = float(data.get("clock_offset", 0.0))
        for kind, index in self.search.items():
            for obj in self.objects.get(kind, {}).values():
                index.index(obj, 0.0)

    def save(self) -> None:
        path = self.options.state_file
        if not path:
            return
        target = Path(path)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_text(json.dumps(self.dump(), default=str))
        os.replace(tmp, target)

    def load_file(self) -> bool:
        path = self.options.state_file
        if not path or not Path(path).exists():
            return False
        self.load(json.loads(Path(path).read_text()))
        return True
