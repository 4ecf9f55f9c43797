"""`QuickBooksConnector`: the engine's `Connector` protocol over the QBO Accounting API.

Writes follow QBO's concurrency rule: an update is sparse (only the mapped fields change)
and carries the current SyncToken, taken from the last object this connection saw or read
fresh; a 5010 stale-object answer refetches and retries once before it is a conflict.
Creates carry a `requestid` derived from the engine's idempotency key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from ml_connector.connectors.quickbooks import credit_applications, pay_link, webhooks
from ml_connector.connectors.quickbooks.api import ApiResult, QboApi, request_id_for
from ml_connector.connectors.quickbooks.auth import QboAuth, TokenManager
from ml_connector.connectors.quickbooks.batching import BatchWrite, BatchWriter
from ml_connector.connectors.quickbooks.cdc import ChangeReader
from ml_connector.connectors.quickbooks.query import MAX_PAGE, select
from ml_connector.connectors.quickbooks.records import to_record
from ml_connector.connectors.quickbooks.settings import QboSettings
from ml_connector.connectors.quickbooks.spec import ENTITIES, QboEntity
from ml_connector.connectors.quickbooks.token_endpoint import TokenEndpoint
from ml_connector.connectors.quickbooks.tokens import load_refusal, load_tokens
from ml_connector.engine.errors import (
    AuthError,
    ConflictError,
    ConnectorError,
    NotFoundError,
    PermanentError,
)
from ml_connector.engine.http import RetryPolicy
from ml_connector.engine.plugins.protocol import ConnectorContext, CredentialStore
from ml_connector.engine.plugins.webhook_checks import require_json_body
from ml_connector.engine.records import ChangePage, Record, WebhookEvent

WRITE_ONLY_KEYS = ("Id", "SyncToken", "sparse", "domain", "MetaData")
PAY_LINK_ENTITIES = ("Invoice", "Estimate", "SalesReceipt")
VERSION_CACHE = 10_000
LEAF_SUFFIXES = (".Address", ".value")


class QuickBooksConnector:
    def __init__(self, settings: QboSettings, credentials: CredentialStore, *,
                 transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.time, log: logging.Logger | None = None,
                 on_event: Callable[[str, Mapping[str, Any]], None] | None = None,
                 retry: RetryPolicy | None = None):
        self.settings = settings
        self.endpoint = TokenEndpoint(settings, transport=transport, clock=clock)
        self.tokens = TokenManager(settings, credentials, self.endpoint, clock=clock, log=log,
                                   on_event=on_event)
        self.api = QboApi(settings, QboAuth(self.tokens), self.realm_id, transport=transport,
                          on_event=on_event, retry=retry)
        self.changes = ChangeReader(self.api, lambda: datetime.fromtimestamp(clock(), UTC))
        self.batches = BatchWriter(self.api, settings.reauth_command)
        self._versions: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._versions_lock = threading.Lock()

    @classmethod
    def open(cls, context: ConnectorContext, **options: Any) -> QuickBooksConnector:
        settings = QboSettings.from_mapping(context.connection, context.settings,
                                            context.base_url)
        return cls(settings, context.credentials, log=context.log, on_event=context.on_event,
                   **options)

    def realm_id(self) -> str:
        return self.settings.realm_id or self.tokens.current().realm_id

    # -- reading -----------------------------------------------------------------------------
    def get(self, entity: str, record_id: str) -> Record | None:
        spec = self._entity(entity)
        try:
            result = self.api.read(spec.resource, record_id)
        except NotFoundError:
            return None
        return self._record(spec, result.body[spec.name], result)

    def get_many(self, entity: str, record_ids: Sequence[str]) -> dict[str, Record]:
        """The existing records among `record_ids`, read with `Id IN (...)` queries.

        One query answers up to MAXRESULTS (1000) ids; the statement is POSTed, so no URL
        length bounds the list. A deleted record is not returned by a query, so it is absent,
        as `get` answers None for it; name-list entities ask for inactive rows too, because
        `get` returns a deactivated customer rather than nothing.
        """
        spec = self._entity(entity)
        wanted = list(dict.fromkeys(str(record_id) for record_id in record_ids))
        found: dict[str, Record] = {}
        for start in range(0, len(wanted), MAX_PAGE):
            chunk = wanted[start:start + MAX_PAGE]
            conditions: list[tuple[str, str, Any]] = [("Id", "IN", chunk)]
            if spec.name_list:
                conditions.append(("Active", "IN", (True, False)))
            result = self.api.query(select(spec.name, conditions, page=len(chunk)))
            for row in result.body.get("QueryResponse", {}).get(spec.name, []):
                record = self._record(spec, row, result)
                found[record.id] = record
        return found

    def read_changes(self, entity: str, cursor: str | None) -> Iterator[ChangePage]:
        spec = self._entity(entity)
        for page in self.changes.read(spec, cursor):
            for record in page.records:
                self._remember(record)
            if spec.name == "CreditMemo":
                page = replace(page, records=[self._enriched(r) for r in page.records])
            yield page

    def find(self, entity: str, field: str, value: Any) -> list[Record]:
        """Records whose filterable `field` equals `value` (inactive name-list ones too)."""
        spec = self._entity(entity)
        if field not in spec.spec.match_fields:
            raise PermanentError(f"QuickBooks {entity} cannot be matched on {field!r}; it can "
                                 f"be matched on {', '.join(spec.spec.match_fields)}")
        if value is None or value == "":
            return []
        name = next((field.removesuffix(s) for s in LEAF_SUFFIXES if field.endswith(s)), field)
        conditions: list[tuple[str, str, Any]] = [(name, "=", value)]
        if spec.name_list:
            conditions.append(("Active", "IN", (True, False)))
        result = self.api.query(select(spec.name, conditions))
        rows = result.body.get("QueryResponse", {}).get(spec.name, [])
        return [self._record(spec, row, result) for row in rows]

    # -- writing -----------------------------------------------------------------------------
    def create(self, entity: str, payload: Mapping[str, Any], *, idempotency_key: str) -> Record:
        spec = self._entity(entity)
        body = {k: v for k, v in payload.items() if k not in WRITE_ONLY_KEYS}
        result = self.api.write(spec.resource, body,
                                request_id=request_id_for(idempotency_key))
        return self._record(spec, result.body[spec.name], result)

    def update(self, entity: str, record_id: str, payload: Mapping[str, Any], *,
               clear: Sequence[tuple[str, ...]] = ()) -> Record:
        """A sparse update: the payload's fields change, every other field stays.

        `clear` is left alone: QuickBooks documents no empty value that unsets a field in
        a sparse update, and a full update would wipe every field the mapping does not
        write. The engine sees the fields kept, and `reconcile` reports them.
        """
        spec = self._entity(entity)
        changes = {k: v for k, v in payload.items() if k not in WRITE_ONLY_KEYS}

        def send(version: str) -> ApiResult:
            body = {**changes, "Id": record_id, "SyncToken": version, "sparse": True}
            return self.api.write(spec.resource, body)

        result = self._with_current_version(spec, record_id, send)
        return self._record(spec, result.body[spec.name], result)

    # -- pay links written back (engine/sync/delivery.py) ------------------------------------
    def field_problem(self, entity: str, field: str) -> str | None:
        if entity not in PAY_LINK_ENTITIES:
            return (f"QuickBooks {entity} records cannot carry a pay link; only "
                    f"{', '.join(PAY_LINK_ENTITIES)} can")
        return pay_link.field_problem(field)

    def without_write_back(self, entity: str, record: Record, field: str) -> Record:
        return pay_link.without(record, field)

    def holds_write_back(self, entity: str, record: Record, field: str, link: str) -> bool:
        return pay_link.holds(record, field, link)

    def write_back(self, entity: str, record: Record, field: str, link: str) -> Record:
        """Put `link` into `field` by a sparse update under the record's own SyncToken.

        The fields are computed from the record as read; if it changed since (5010), it is
        read again and they are computed afresh, so a person's edit made meanwhile stays.
        """
        spec = self._entity(entity)
        problem = self.field_problem(entity, field)
        if problem is not None:
            raise PermanentError(problem)
        current = record if record.version is not None else self.get(entity, record.id)
        if current is None:
            raise NotFoundError(f"QuickBooks {entity} {record.id} does not exist")
        for _ in range(2):
            body = {**pay_link.with_link(current, field, link), "Id": record.id,
                    "SyncToken": current.version, "sparse": True}
            try:
                result = self.api.write(spec.resource, body)
            except ConflictError:
                fresh = self.get(entity, record.id)
                if fresh is None:
                    raise NotFoundError(f"QuickBooks {entity} {record.id} does not exist") \
                        from None
                current = fresh
                continue
            return self._record(spec, result.body[spec.name], result)
        raise ConflictError(f"QuickBooks {entity} {record.id} kept changing while its pay "
                            "link was written; it will be retried later")

    def remove(self, entity: str, record_id: str, *, mode: str) -> Record | None:
        spec = self._entity(entity)
        if mode not in spec.spec.remove_modes:
            raise PermanentError(f"QuickBooks {entity} cannot be removed by {mode!r}; it "
                                 f"supports {', '.join(spec.spec.remove_modes)}")
        if self.get(entity, record_id) is None:
            return None
        result = self._with_current_version(spec, record_id,
                                            lambda v: self._remove(spec, record_id, v, mode))
        return self._record(spec, result.body[spec.name], result)

    def _remove(self, spec: QboEntity, record_id: str, version: str, mode: str) -> ApiResult:
        key = {"Id": record_id, "SyncToken": version}
        if mode == "deactivate":
            return self.api.write(spec.resource, {**key, "sparse": True, "Active": False})
        if mode == "delete":
            return self.api.write(spec.resource, key, operation="delete")
        if spec.void_style == "void":
            return self.api.write(spec.resource, key, operation="void")
        return self.api.write(spec.resource, {**key, "sparse": True}, operation="update",
                              include="void")

    def write_batch(self, entity: str, writes: list[BatchWrite]) -> list[Record | ConnectorError]:
        """Many creates/updates to one realm in batch calls of up to 30 operations."""
        spec = self._entity(entity)
        results = self.batches.run(spec, writes)
        for item in results:
            if isinstance(item, Record):
                self._remember(item)
        return results

    def _with_current_version(self, spec: QboEntity, record_id: str,
                              send: Callable[[str], ApiResult]) -> ApiResult:
        """Send with the known SyncToken; on 5010 read the record again and retry once."""
        with self._versions_lock:
            known = self._versions.get((spec.name, record_id))
        version = known or self._fresh_version(spec, record_id)
        try:
            return send(version)
        except ConflictError:
            version = self._fresh_version(spec, record_id)
        try:
            return send(version)
        except ConflictError as exc:
            raise ConflictError(f"QuickBooks {spec.name} {record_id} kept changing while it "
                                f"was being written; it will be retried later: {exc}",
                                status=exc.status, code=exc.code,
                                request_id=exc.request_id) from exc

    def _fresh_version(self, spec: QboEntity, record_id: str) -> str:
        current = self.get(spec.name, record_id)
        if current is None or current.version is None:
            raise NotFoundError(f"QuickBooks {spec.name} {record_id} does not exist")
        return current.version

    # -- webhooks and plumbing ---------------------------------------------------------------
    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        webhooks.verify(headers, body, self.settings.webhook_verifier_token)
        require_json_body(headers)
        try:
            realm = self.realm_id()
        except ConnectorError:
            realm = None
        return webhooks.parse(body, realm)

    def check(self) -> dict[str, Any]:
        """`ml-connector connections test`: read the company's info, say plainly what works."""
        result: dict[str, Any] = {"ok": False, "environment": self.settings.environment,
                                  "api_base": self.settings.api_base}
        try:
            realm = self.realm_id()
            info = self.api.read("companyinfo", realm).body.get("CompanyInfo", {})
        except AuthError as exc:
            return {**result, "problem": str(exc)}
        except ConnectorError as exc:
            problem = str(exc)
            if exc.status == 403:
                problem += (f" (is this a {_other(self.settings.environment)} company behind "
                            f"an {self.settings.environment} setting?)")
            return {**result, "problem": problem, "intuit_tid": exc.request_id}
        return {**result, "ok": True, "realm_id": realm, "company": info.get("CompanyName"),
                **self.health()}

    def health(self) -> dict[str, Any]:
        """Token health for `status` and `/healthz`, read from the store: never the tokens.

        Not authorised, with the problem and the command that fixes it, when there are no
        tokens, when QuickBooks refused the stored refresh token (recorded by whichever
        process it refused), or when the refresh token's lifetime is over.
        """
        credentials = self.tokens.credentials
        tokens = load_tokens(credentials)
        if tokens is None:
            return self._broken("QuickBooks is not authorised for this connection yet")
        now = self.tokens.clock()
        refusal = load_refusal(credentials)
        if refusal is not None and refusal.concerns(tokens):
            return self._broken(f"QuickBooks refused the refresh token on {_utc(refusal.at)} "
                                f"({refusal.reason}): the authorisation was revoked, expired "
                                "or replaced")
        if tokens.refresh_expires_at <= now:
            return self._broken(f"the refresh token expired on {_utc(tokens.refresh_expires_at)}")
        return {"authorised": True,
                "access_token_expires_in_seconds": round(tokens.access_expires_at - now),
                "refresh_token_days_left": round((tokens.refresh_expires_at - now) / 86400, 1)}

    def _broken(self, problem: str) -> dict[str, Any]:
        return {"authorised": False, "problem": problem,
                "fix": f"run `{self.settings.reauth_command}`"}

    def reconcile_view(self, entity: str, record: Record) -> Mapping[str, Any]:
        """The record as a pipeline writes it: without the subtotal line QBO adds on read."""
        lines = record.data.get("Line")
        if not isinstance(lines, list):
            return record.data
        return {**record.data, "Line": [line for line in lines
                                        if line.get("DetailType") != "SubTotalLineDetail"]}

    def close(self) -> None:
        self.api.close()
        self.endpoint.close()

    def _entity(self, name: str) -> QboEntity:
        spec = ENTITIES.get(name)
        if spec is None:
            raise PermanentError(f"unknown QuickBooks entity {name!r}; known: "
                                 f"{', '.join(sorted(ENTITIES))}")
        return spec

    def _record(self, spec: QboEntity, data: Mapping[str, Any], result: ApiResult) -> Record:
        record = to_record(spec.name, data, result.request_id)
        self._remember(record)
        return self._enriched(record) if spec.name == "CreditMemo" else record

    def _enriched(self, record: Record) -> Record:
        """A CreditMemo with the invoices its credit went to (`credit_applications`)."""
        return replace(record, data=credit_applications.enrich(record.data,
                                                               self._payments))

    def _payments(self, ids: list[str], customer_id: str) -> list[Mapping[str, Any]]:
        if ids:
            return [r.data for r in self.get_many("Payment", ids).values()]
        if not customer_id:
            return []
        return [r.data for r in self.find("Payment", "CustomerRef", customer_id)]

    def _remember(self, record: Record) -> None:
        """Keep the SyncToken of every object seen, so an update rarely needs a read first."""
        key = (record.entity, record.id)
        with self._versions_lock:
            if record.deleted or record.version is None:
                self._versions.pop(key, None)
                return
            self._versions[key] = record.version
            self._versions.move_to_end(key)
            while len(self._versions) > VERSION_CACHE:
                self._versions.popitem(last=False)


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _other(environment: str) -> str:
    return "production" if environment == "sandbox" else "sandbox"
