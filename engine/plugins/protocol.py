"""The one small interface between the engine and every connector plugin.

A plugin is a factory object discovered through the `ml_connector.connectors` entry-point
group. It describes its configuration (a JSON Schema whose `writeOnly` properties are
secrets) and its entities, and it opens a `Connector` for one configured connection. The
engine drives connectors only through the methods below, so a new system needs no change
to the engine.

Some capabilities are optional: the engine looks for them with getattr and does without when
they are absent, so a plugin offers them only when its system can: `health()` (see
`HealthProbe`), `reconcile_view(...)`, `get_many(...)` (see `BulkReader`),
`refuses_update(...)` (see `UpdateCheck`) on a connector, `webhook_settle_seconds` on a
plugin (see `ConnectorPlugin`), and an emulator that stands in for a connection (see
`EmulatorSetup`, checked with isinstance).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ml_connector.engine.plugins.fields import Fields
from ml_connector.engine.records import ChangePage, FieldPath, Record, WebhookEvent


@dataclass(frozen=True)
class EntitySpec:
    """What the engine needs to know about one entity of a system.

    `match_fields` are the target fields a pipeline may use as match keys (they must be
    searchable in the system); `webhook_events` name the notifications that announce changes
    of this entity; `operations` is the subset of {"read", "create", "update", "remove"} the
    connector supports for it.

    `record_fields` (what a record holds, as the connector reads it) and `payload_fields`
    (what a payload written to it may carry) let a pipeline's field names be checked when it
    loads; None leaves that side unchecked. `label` is how messages name the entity to a
    person ("Books Invoice"); without one they say `connector 'name'`.
    """

    name: str
    id_field: str = "id"
    version_field: str | None = None
    cursor_field: str | None = None
    match_fields: tuple[str, ...] = ()
    webhook_events: tuple[str, ...] = ()
    operations: frozenset[str] = frozenset({"read", "create", "update", "remove"})
    remove_modes: tuple[str, ...] = ("delete",)
    description: str = ""
    label: str = ""
    record_fields: Fields | None = None
    payload_fields: Fields | None = None


class CredentialStore(Protocol):
    """Encrypted, per-connection secret storage shared by every worker process.

    `locked(key)` serialises a critical section (such as an OAuth refresh) across threads and
    processes that share the store, so only one worker rotates a token at a time.
    """

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def locked(self, key: str) -> AbstractContextManager[None]: ...


@dataclass
class ConnectorContext:
    """Everything the engine hands a connector when it opens one connection.

    `settings` has secret references already resolved; a connector must never log it.
    `on_event` receives operational events for metrics: pass it to `ApiClient(on_event=...)`
    (request, retry, throttled) and call it with ("token_refresh", {...}) when credentials
    are renewed.
    """

    connection: str
    settings: Mapping[str, Any]
    credentials: CredentialStore
    base_url: str | None = None
    on_event: Callable[[str, Mapping[str, Any]], None] | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("ml_connector"))


class WebhookRejected(Exception):
    """A webhook delivery that must not be processed; `status` is the HTTP answer to give."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def _admit_any(record: Record) -> bool:
    return True


@dataclass(frozen=True)
class MatchListing:
    """Every record of an entity that `find` could return, for matching a backfill at once.

    A first run (or `run --full`) of a pipeline with match keys would otherwise call `find`
    once per key for every source record: on APIs whose search is slow, rate-limited or
    eventually consistent, one paged listing of the target is both cheaper and exact. A
    connector offers it with the optional method
    `match_listing(entity, fields) -> MatchListing | None` (found with getattr, like
    `reconcile_view`); None says these fields cannot be matched from a listing, and the
    engine calls `find` as before.

    The engine keeps only `key(field, value at field)` -> record id of each listed record
    and later fetches a candidate with `get`, so the contract is: for every `field` and
    `value`, the listed records whose key for the value at `field` (a dotted path into
    `data`) equals `key(field, value)` are exactly those `find(entity, field, value)` would
    return, and `admits(record)` tells whether `find` could return a record as `get` reads
    it (e.g. not once it is voided). `key` answers None for a value `find` would find
    nothing for. `records` is iterated once, lazily: stream it page by page.
    """

    records: Iterable[Record]
    key: Callable[[str, Any], Hashable | None]
    admits: Callable[[Record], bool] = _admit_any


@runtime_checkable
class Connector(Protocol):
    """An open connection to one system. Every method may raise a `ConnectorError` subclass."""

    def get(self, entity: str, record_id: str) -> Record | None:
        """The record as it is now, or None when it does not exist (or was deleted)."""
        ...

    def read_changes(self, entity: str, cursor: str | None) -> Iterator[ChangePage]:
        """Pages of records changed since `cursor` (all records when it is None)."""
        ...

    def find(self, entity: str, field: str, value: Any) -> list[Record]:
        """Records whose `field` (a dotted path, e.g. `metadata.source_id`) equals `value`."""
        ...

    def create(self, entity: str, payload: Mapping[str, Any], *, idempotency_key: str) -> Record:
        """Create one record; the same key with the same payload must never create twice."""
        ...

    def update(self, entity: str, record_id: str, payload: Mapping[str, Any], *,
               clear: Sequence[FieldPath] = ()) -> Record:
        """Bring an existing record to `payload`, honouring the system's concurrency rule.

        `clear` names fields the previous payload set and this one does not (a key deleted
        from the mapping, an optional field whose source went empty), as key paths such as
        ("metadata", "old_key"): the record should no longer hold them. Clear those the
        system lets you clear and leave the rest; the engine sees in the returned record
        which fields kept a value, and `reconcile` reports them. The engine passes `clear`
        only when it names something, and never to an `update` without the parameter: such
        a connector keeps those fields, and plan and run say so.
        """
        ...

    def remove(self, entity: str, record_id: str, *, mode: str) -> Record | None:
        """Delete, void or deactivate a record, as `mode` (one of the entity's remove_modes)."""
        ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        """Verify a delivery's signature and parse it; raise `WebhookRejected` when forged."""
        ...

    def close(self) -> None: ...


class BulkReader(Protocol):
    """Optional: a connector that can read many records of one entity in a single request.

    The inbox worker uses it to read, with one call, every record that notifications waiting
    together name, instead of one `get` per notification; a connector without it is read
    with `get`, record by record.
    """

    def get_many(self, entity: str, record_ids: Sequence[str]) -> Mapping[str, Record]:
        """The records that exist, by id; an id that does not exist (or was deleted) is absent.

        An absent id is treated exactly like `get` returning None. The connector splits the
        ids into as many requests as its system's limits require.
        """
        ...


class HealthProbe(Protocol):
    """Optional: a connector that can tell whether its credentials still work.

    `ml-connector status` shows the answer per connection and `serve`'s `/healthz` reports
    degraded while it says the connection is not authorised. Both may run in another process
    than the one that met the problem, so `health()` must answer from what the credential
    store holds (never by calling the API: `/healthz` asks on every probe), and a connector
    that learns its authorisation is dead (a refresh refused) stores that fact there.
    """

    def health(self) -> Mapping[str, Any]:
        """Facts about the credentials, shown as they are; never a secret.

        The engine reads three keys: `authorised` (False when the next call cannot log in),
        and with it `problem` (what is wrong, in a sentence) and `fix` (what to run, e.g.
        "run `ml-connector connections auth NAME`"). Any other key is shown as it is, such as
        when the access token expires.
        """
        ...


@runtime_checkable
class FieldClearing(Protocol):
    """Optional: a connector that can say which fields `update(..., clear=)` unsets.

    A system may unset some fields and not others (a metadata key, but not an amount).
    The engine then asks the connector to clear only those it can, `pipeline plan` shows
    only those clears, and both name the rest as kept. A connector without it is assumed
    to clear every field it is given (and one whose `update` has no `clear`, none).
    """

    def clears(self, entity: str, path: FieldPath) -> bool:
        """Whether an update of `entity` given `path` in `clear` unsets that field."""
        ...


@runtime_checkable
class UpdateCheck(Protocol):
    """Optional: a connector that can tell, without writing, that an update would be refused.

    `update` raises `ImmutableTargetError` when the system cannot take a change (a finalized
    invoice's amounts, say), and the pipeline's `on_immutable_change` policy decides what
    follows. `pipeline plan` writes nothing, so it asks this instead, with the record as
    `get` read it, and predicts the same outcome. A connector without it is assumed to
    accept every update.
    """

    def refuses_update(self, entity: str, current: Record,
                       payload: Mapping[str, Any]) -> str | None:
        """Why `update(entity, current.id, payload)` would raise ImmutableTargetError, or None.

        Read only what is needed to answer; never write.
        """
        ...


@runtime_checkable
class MergeMarker(Protocol):
    """Optional: a connector that can mark a target whose source record was merged away.

    When a source system merges record A into B, the engine points A's link at B's target
    and asks this to mark A's target (kept, never deleted) with B's source id. A connector
    without it leaves A's target as it is; the re-pointed link is what matters.
    """

    def mark_merged(self, entity: str, record_id: str, *, into: str) -> Record | None:
        """Mark `record_id` as merged into the source record `into`; None when it is gone."""
        ...


@runtime_checkable
class ConnectorPlugin(Protocol):
    """The object a plugin's entry point names: describes a system and opens connections.

    Optionally it declares `webhook_settle_seconds: float`: how long a connection's webhook
    notifications are held after intake so that those arriving close together are processed
    together (and read with one `get_many`). It defaults to 0 (process at once); a
    connection's `webhook_settle_seconds` in the project file overrides it.
    """

    name: str
    description: str

    def config_schema(self) -> Mapping[str, Any]:
        """JSON Schema (draft 2020-12) of a connection's `settings`; secrets are `writeOnly`."""
        ...

    def entities(self) -> Mapping[str, EntitySpec]: ...

    def connect(self, context: ConnectorContext) -> Connector: ...

    def emulator_app(self, options: Mapping[str, Any]) -> Any | None:
        """An ASGI app emulating the system locally, or None when the plugin has none.

        Every emulator the CLI runs understands at least `seed` (start with sample data
        when there is no saved state) and `state_file` (keep the state in this JSON file,
        saved as it changes and when the app shuts down, loaded when it starts).
        """
        ...


@runtime_checkable
class EmulatorSetup(Protocol):
    """Optional, on a plugin whose emulator can stand in for a configured connection.

    A plugin declares it by having both methods. `ml-connector emulator NAME` prints
    `emulator_settings(base_url)` so nobody has to read source to find a credential, and
    `ml-connector emulators start` starts, for each connection whose base_url is a loopback
    address, `emulator_app({**emulator_options(settings, webhook_url=...), "seed": ...,
    "state_file": ...})` on that port: the emulator accepts the connection's own credentials
    and delivers its webhooks to `serve`.
    """

    def emulator_settings(self, base_url: str) -> Mapping[str, Any]:
        """A connection's settings (secrets included: made-up values only the emulator
        accepts) for talking to the emulator at `base_url`; `emulator_options` of these
        settings must make the emulator accept them."""
        ...

    def emulator_options(self, settings: Mapping[str, Any], *,
                         webhook_url: str) -> Mapping[str, Any]:
        """Emulator options under which it accepts a connection with these resolved
        `settings` and delivers the connection's webhooks to `webhook_url`."""
        ...
