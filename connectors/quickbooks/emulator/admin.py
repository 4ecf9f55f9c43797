"""The emulator's own control API under `/_emulator/` (not part of QBO).

Tests and the demo use it to switch faults on and off, move the clock, seed a company,
connect without a browser, point webhooks at a receiver and inspect everything.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ml_connector.connectors.quickbooks.emulator import jsonio
from ml_connector.connectors.quickbooks.emulator.bulk import BulkSpec, bulk_seed
from ml_connector.connectors.quickbooks.emulator.errors import QboFault
from ml_connector.connectors.quickbooks.emulator.jsonio import QboJSONResponse
from ml_connector.connectors.quickbooks.emulator.merging import merge_customers
from ml_connector.connectors.quickbooks.emulator.seed import seed
from ml_connector.connectors.quickbooks.emulator.state import EmulatorState


def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = jsonio.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def _error(message: str) -> Response:
    return QboJSONResponse({"error": message}, status_code=400)


async def get_state(request: Request) -> Response:
    return QboJSONResponse(_state(request).snapshot())


async def reset(request: Request) -> Response:
    _state(request).reset()
    return QboJSONResponse({"reset": True})


async def faults(request: Request) -> Response:
    """GET shows the settings; POST replaces them (`expire_tokens` acts once, at once)."""
    state = _state(request)
    if request.method == "POST":
        try:
            settings = state.faults.configure(await _body(request))
        except (ValueError, TypeError) as exc:
            return _error(str(exc))
        if settings.expire_tokens:
            with state.lock:
                state.oauth.expire_access_tokens()
            settings.expire_tokens = False
    return QboJSONResponse(state.faults.describe())


async def fault_counts(request: Request) -> Response:
    """GET: faults injected so far, by kind; POST: the same, then start counting from zero."""
    faults = _state(request).faults
    counts = faults.counted()
    if request.method == "POST":
        faults.reset_counts()
    return QboJSONResponse({"counts": counts})


async def seed_realm(request: Request) -> Response:
    state = _state(request)
    realm_id = str((await _body(request)).get("realm_id") or state.options.realm_id)
    seed(state, realm_id)
    return QboJSONResponse({"seeded": realm_id})


async def bulk(request: Request) -> Response:
    """N customers with invoices in one call (benchmarks): see `bulk.py`."""
    state = _state(request)
    body = await _body(request)
    try:
        spec = BulkSpec.from_mapping(body)
    except (TypeError, ValueError) as exc:
        return _error(str(exc))
    realm_id = str(body.get("realm_id") or state.options.realm_id)
    try:
        made = await asyncio.to_thread(bulk_seed, state, realm_id, spec)
    except QboFault as fault:
        return QboJSONResponse({"Fault": fault.fault()}, status_code=fault.status)
    return QboJSONResponse(made)


async def clock(request: Request) -> Response:
    state = _state(request)
    try:
        state.clock.advance(float((await _body(request)).get("advance_seconds", 0)))
    except (TypeError, ValueError) as exc:
        return _error(str(exc))
    return QboJSONResponse({"now": state.clock.server_time()})


async def connect(request: Request) -> Response:
    """Token response for a realm without the browser step (demo and tests)."""
    state = _state(request)
    realm_id = str((await _body(request)).get("realm_id") or state.options.realm_id)
    with state.lock:
        state.realm(realm_id)
        body = state.oauth.connect(realm_id)
        state.persist()
    return QboJSONResponse({**body, "realmId": realm_id})


async def webhooks(request: Request) -> Response:
    state = _state(request)
    data = await _body(request)
    fmt = data.get("format")
    if fmt not in (None, "classic", "cloudevents"):
        return _error("format must be 'classic' or 'cloudevents'")
    state.webhooks.configure(data.get("url"), fmt, data.get("verifier_token"))
    return QboJSONResponse({"url": state.webhooks.url, "format": state.webhooks.format})


async def flush_webhooks(request: Request) -> Response:
    state = _state(request)
    timeout = float(request.query_params.get("timeout", "10"))
    done = await asyncio.to_thread(state.webhooks.flush, timeout)
    return QboJSONResponse({"flushed": done}, status_code=200 if done else 504)


async def merge_customer(request: Request) -> Response:
    """`{"id": merged, "into": survivor, "realm_id"?}`: what a user's merge in the UI does."""
    state = _state(request)
    body = await _body(request)
    realm_id = str(body.get("realm_id") or state.options.realm_id)
    merged, into = body.get("id"), body.get("into")
    if not merged or not into:
        return _error("give the customer to merge as 'id' and the one it goes into as 'into'")
    with state.lock:
        ledger = state.ledger(realm_id)
        try:
            answer = merge_customers(ledger, str(merged), str(into))
        except QboFault as fault:
            return QboJSONResponse({"Fault": fault.fault()}, status_code=fault.status)
        state.commit(ledger)
    return QboJSONResponse(answer)


async def expire_tokens(request: Request) -> Response:
    state = _state(request)
    realm_id = (await _body(request)).get("realm_id")
    with state.lock:
        count = state.oauth.expire_access_tokens(realm_id)
    return QboJSONResponse({"expired": count})


ROUTES = [
    Route("/_emulator/state", get_state, methods=["GET"]),
    Route("/_emulator/reset", reset, methods=["POST"]),
    Route("/_emulator/faults", faults, methods=["GET", "POST"]),
    Route("/_emulator/faults/counts", fault_counts, methods=["GET", "POST"]),
    Route("/_emulator/seed", seed_realm, methods=["POST"]),
    Route("/_emulator/bulk", bulk, methods=["POST"]),
    Route("/_emulator/clock", clock, methods=["POST"]),
    Route("/_emulator/connect", connect, methods=["POST"]),
    Route("/_emulator/webhooks", webhooks, methods=["POST"]),
    Route("/_emulator/webhooks/flush", flush_webhooks, methods=["POST"]),
    Route("/_emulator/tokens/expire", expire_tokens, methods=["POST"]),
    Route("/_emulator/customers/merge", merge_customer, methods=["POST"]),
]
