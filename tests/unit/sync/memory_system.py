"""An in-memory two-sided system for engine tests: honest reads, writes, matching, idempotency.

It counts write calls (the engine promises zero on a re-run with nothing changed) and can be
told to fail in the ways real APIs do (an applied create whose answer is lost, a record that
cannot take a change any more).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ml_connector.engine.errors import (
    ImmutableTargetError,
    NotFoundError,
    PermanentError,
    RetryableError,
)
from ml_connector.engine.plugins.protocol import ConnectorContext, EntitySpec, WebhookRejected
from ml_connector.engine.records import ChangePage, Record, WebhookEvent

WEBHOOK_SECRET = b"whk_test_made_up"


def sign(body: bytes) -> str:
    return hmac.new(WEBHOOK_SECRET, body, hashlib.sha256).hexdigest()


class MemorySystem:
    """The state behind one connection, shared by the plugin and the test's assertions."""

    def __init__(self, entities: Mapping[str, EntitySpec]):
        self.specs = dict(entities)
        self.rows: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in entities}
        self.deleted: dict[str, set[str]] = {name: set() for name in entities}
        self.frozen: set[str] = set()           # ids that refuse amount changes (finalized)
        self.voided: set[str] = set()
        self.calls: Counter[str] = Counter()
        self.keys: dict[str, tuple[dict[str, Any], str]] = {}
        self.lose_answer_of_next_create = 0     # apply the create, then "drop the connection"
        self.cleared: list[tuple[str, ...]] = []     # every field an update was asked to clear
        self.cursors: list[str | None] = []          # the cursor of every read_changes
        self.unclearable: set[tuple[str, ...]] = set()  # fields this system cannot clear
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def put(self, entity: str, record_id: str, data: Mapping[str, Any]) -> None:
        self.rows[entity][record_id] = copy.deepcopy(dict(data))
        self.deleted[entity].discard(record_id)

    def delete(self, entity: str, record_id: str) -> None:
        self.rows[entity].pop(record_id, None)
        self.deleted[entity].add(record_id)

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.calls.items() if op in {"create", "update", "remove"})


class MemoryConnector:
    def __init__(self, system: MemorySystem):
        self.system = system

    def get(self, entity: str, record_id: str) -> Record | None:
        self.system.calls["get"] += 1
        data = self.system.rows[entity].get(record_id)
        return Record(entity, record_id, copy.deepcopy(data)) if data is not None else None

    def read_changes(self, entity: str, cursor: str | None) -> Iterator[ChangePage]:
        """Every record, whatever the cursor: a test sees from `system.cursors` which one
        it was asked for."""
        self.system.calls["read"] += 1
        self.system.cursors.append(cursor)
        rows = sorted(list(self.system.rows[entity].items()), key=lambda kv: kv[0])
        records = [Record(entity, rid, copy.deepcopy(data)) for rid, data in rows]
        gone = sorted(self.system.deleted[entity])
        records += [Record(entity, rid, {}, deleted=True) for rid in gone]
        for start in range(0, len(records), 5):
            yield ChangePage(records[start:start + 5], cursor=f"page{start}")

    def find(self, entity: str, field: str, value: Any) -> list[Record]:
        self.system.calls["find"] += 1
        found = []
        for rid, data in list(self.system.rows[entity].items()):  # creates run alongside
            current: Any = data
            for part in field.split("."):
                current = current.get(part) if isinstance(current, Mapping) else None
            if current == value and rid not in self.system.voided:
                found.append(Record(entity, rid, copy.deepcopy(data)))
        return found

    def create(self, entity: str, payload: Mapping[str, Any], *, idempotency_key: str) -> Record:
        system = self.system
        with system._lock:
            saved = system.keys.get(idempotency_key)
            if saved is not None:
                if saved[0] != dict(payload):
                    raise PermanentError("idempotency key reused with different parameters")
                return Record(entity, saved[1], dict(system.rows[entity][saved[1]]))
            system.calls["create"] += 1
            rid = f"{entity}_{next(system._ids)}"
            system.rows[entity][rid] = copy.deepcopy(dict(payload))
            system.keys[idempotency_key] = (dict(payload), rid)
            if system.lose_answer_of_next_create:
                system.lose_answer_of_next_create -= 1
                raise RetryableError("connection dropped before the answer")
        return Record(entity, rid, dict(payload), request_ids=(f"req_{rid}",))

    def update(self, entity: str, record_id: str, payload: Mapping[str, Any], *,
               clear: Sequence[tuple[str, ...]] = ()) -> Record:
        """Sets the payload's fields (nested objects merged) and drops the `clear` ones,
        except those named in `system.unclearable`, which stay as they were."""
        system = self.system
        if record_id not in system.rows[entity]:
            raise NotFoundError(f"no {entity} {record_id}")
        current = system.rows[entity][record_id]
        if record_id in system.frozen and payload.get("amount") != current.get("amount"):
            raise ImmutableTargetError(f"{entity} {record_id} is finalized")
        system.calls["update"] += 1
        system.cleared.extend(clear)
        _merge(current, payload)
        for path in clear:
            if path not in system.unclearable:
                _drop(current, path)
        return Record(entity, record_id, copy.deepcopy(current))

    def refuses_update(self, entity: str, current: Record,
                       payload: Mapping[str, Any]) -> str | None:
        if current.id in self.system.frozen and payload.get("amount") != current.data.get(
                "amount"):
            return f"{entity} {current.id} is finalized"
        return None

    def remove(self, entity: str, record_id: str, *, mode: str) -> Record | None:
        self.system.calls["remove"] += 1
        if mode == "void":
            self.system.voided.add(record_id)
        elif mode == "deactivate":   # it stays, marked inactive, and an update may come
            self.system.rows[entity][record_id]["active"] = False
        else:
            self.system.rows[entity].pop(record_id, None)
        return None

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        """Deliveries signed with hex HMAC-SHA256 of the body under WEBHOOK_SECRET."""
        expected = hmac.new(WEBHOOK_SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-signature", "")):
            raise WebhookRejected(401, "bad signature")
        try:
            events = json.loads(body)["events"]
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected(400, "malformed body") from None
        return [WebhookEvent(e["id"], e["entity"], e["record_id"], e.get("operation", "update"))
                for e in events]

    def close(self) -> None:
        pass


def _merge(into: dict[str, Any], payload: Mapping[str, Any]) -> None:
    for key, value in payload.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _drop(data: dict[str, Any], path: tuple[str, ...]) -> None:
    *parents, last = path
    for key in parents:
        data = data.get(key)
        if not isinstance(data, dict):
            return
    data.pop(last, None)


class MemoryPlugin:
    description = "in-memory system for tests"

    def __init__(self, name: str, entities: Mapping[str, EntitySpec]):
        self.name = name
        self.system = MemorySystem(entities)
        self._entities = dict(entities)

    def config_schema(self) -> Mapping[str, Any]:
        return {"type": "object", "properties": {"token": {"type": "string", "writeOnly": True}}}

    def entities(self) -> Mapping[str, EntitySpec]:
        return self._entities

    def connect(self, context: ConnectorContext) -> MemoryConnector:
        return MemoryConnector(self.system)

    def emulator_app(self, options: Mapping[str, Any]) -> None:
        return None
