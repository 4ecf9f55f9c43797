"""The data API: `/v3/company/{realmId}/...` for reads, writes, query, CDC and batch.

Order of checks per request, as a client experiences QBO: bearer token (401), published
limits (429 / 3001), injected faults (429, 5xx, slow, dropped), a repeated `requestid`
(the saved answer), then the operation itself. A request carrying `X-Emulator-Faults: off`
meets no injected fault: a fault test's own reads, and the people it plays, are not the
client under test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ml_connector.connectors.quickbooks.emulator import errors, jsonio
from ml_connector.connectors.quickbooks.emulator.batch import run_batch
from ml_connector.connectors.quickbooks.emulator.cdc import change_data
from ml_connector.connectors.quickbooks.emulator.entities import rules_for_resource
from ml_connector.connectors.quickbooks.emulator.errors import QboFault
from ml_connector.connectors.quickbooks.emulator.faults import Decision
from ml_connector.connectors.quickbooks.emulator.ledger import Ledger
from ml_connector.connectors.quickbooks.emulator.responses import (
    DroppedConnection,
    cached_response,
    envelope,
    fault_response,
)
from ml_connector.connectors.quickbooks.emulator.rules.base import ReadView
from ml_connector.connectors.quickbooks.emulator.search import run_query
from ml_connector.connectors.quickbooks.emulator.sending import send_invoice
from ml_connector.connectors.quickbooks.emulator.state import EmulatorState
from ml_connector.connectors.quickbooks.emulator.writes import write

MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
NO_FAULTS_HEADER = "x-emulator-faults"


async def handle(request: Request) -> Response:
    state: EmulatorState = request.app.state.emulator
    realm_id, path = request.path_params["realm"], request.path_params["rest"].strip("/")
    state.requests[f"{request.method} {path.split('/')[0]}"] += 1
    try:
        with state.lock:
            state.oauth.check_access(request.headers.get("authorization"), realm_id)
        with state.limits.admit(realm_id, batch=path == "batch"):
            exempt = request.headers.get(NO_FAULTS_HEADER, "").lower() == "off"
            decision = Decision() if exempt else state.faults.decide()
            await _before(state, decision, realm_id)
            body = await request.body()
            response = _answer(state, request, realm_id, path, body)
        if decision.kind == "drop":
            return DroppedConnection()
        return response
    except _Dropped:
        return DroppedConnection()
    except QboFault as fault:
        return fault_response(fault, state.clock.server_time())


async def _before(state: EmulatorState, decision: Decision, realm_id: str) -> None:
    """Injected faults that happen before the operation runs."""
    if decision.expire_token:
        with state.lock:
            state.oauth.expire_access_tokens(realm_id)
        raise errors.authentication_failed("Token expired")
    if decision.slow:
        await asyncio.sleep(decision.slow)
    if decision.kind == "429":
        raise errors.throttled()
    if decision.kind == "5xx":
        raise errors.system_fault(decision.status)
    if decision.kind == "drop" and not state.faults.settings.drop_after_apply:
        raise _Dropped()


class _Dropped(Exception):
    """Internal: drop before applying (the request never reached the ledger)."""


def _answer(state: EmulatorState, request: Request, realm_id: str, path: str,
            body: bytes) -> Response:
    request_id = request.query_params.get("requestid")
    limit = MAX_BATCH_REQUEST_ID if path == "batch" else MAX_REQUEST_ID
    if request_id is not None and len(request_id) > limit:
        raise errors.length_out_of_range("requestid", limit)
    with state.lock:
        realm = state.realm(realm_id)
        if request_id and request_id in realm.request_cache:
            return cached_response(*realm.request_cache[request_id])
        ledger = Ledger(realm, state.clock)
        try:
            payload, status = _route(state, ledger, request, path, body), 200
        except QboFault as fault:
            payload, status = {"Fault": fault.fault()}, fault.status
        response = envelope(payload, state.clock.server_time(), status)
        if request_id:
            state.remember(realm, request_id, (status, bytes(response.body).decode()))
        if status == 200:
            state.commit(ledger)
        return response


def _route(state: EmulatorState, ledger: Ledger, request: Request, path: str,
           body: bytes) -> dict[str, Any]:
    parts = path.split("/")
    method, params = request.method, request.query_params
    if parts == ["query"]:
        statement = params.get("query") if method == "GET" else _text(body)
        if not statement:
            raise errors.required_missing("query")
        return {"QueryResponse": run_query(ledger.realm, statement)}
    if parts == ["cdc"] and method == "GET":
        return change_data(ledger.realm, state.clock, params.get("entities"),
                           params.get("changedSince"))
    if parts == ["batch"] and method == "POST":
        return {"BatchItemResponse": run_batch(ledger, _json(body))}
    handler = _ENTITY_ROUTES.get((method, len(parts)))
    rules = rules_for_resource(parts[0])
    if handler is None or rules is None:
        raise errors.not_found_route(request.url.path)
    return handler(ledger, request, parts, body, rules)


def _read(ledger: Ledger, request: Request, parts: list[str], body: bytes,
          rules: Any) -> dict[str, Any]:
    record_id = parts[1]
    if rules.entity == "CompanyInfo":
        record_id = "1" if record_id in (ledger.realm.realm_id, "1") else record_id
    stored = ledger.realm.get(rules.entity, record_id)
    if stored is None:
        raise errors.object_not_found(rules.entity, record_id)
    return {rules.entity: rules.render(ReadView(ledger.realm), stored)}


def _write(ledger: Ledger, request: Request, parts: list[str], body: bytes,
           rules: Any) -> dict[str, Any]:
    params = request.query_params
    result = write(ledger, rules, _json(body), params.get("operation"), params.get("include"))
    return {rules.entity: result}


def _send(ledger: Ledger, request: Request, parts: list[str], body: bytes,
          rules: Any) -> dict[str, Any]:
    if parts[2] != "send" or rules.entity != "Invoice":
        raise errors.not_found_route(request.url.path)
    return {"Invoice": send_invoice(ledger, parts[1], request.query_params.get("sendTo"))}


_ENTITY_ROUTES: dict[tuple[str, int], Callable[..., dict[str, Any]]] = {
    ("GET", 2): _read, ("POST", 1): _write, ("POST", 3): _send}


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.unsupported("Unsupported Operation: the payload is not UTF-8.") from exc


def _json(body: bytes) -> Any:
    text = _text(body)
    try:
        return jsonio.loads(text)
    except ValueError as exc:
        raise errors.invalid_property("body", f"is not valid JSON ({exc})") from exc
