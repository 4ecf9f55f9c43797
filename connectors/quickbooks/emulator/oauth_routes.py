"""HTTP endpoints of the emulated Intuit OAuth server (same paths as Intuit's hosts)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from ml_connector.connectors.quickbooks.emulator import jsonio
from ml_connector.connectors.quickbooks.emulator.oauth import OAuthError
from ml_connector.connectors.quickbooks.emulator.state import EmulatorState, transaction_id

AUTHORIZE_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator


async def authorize(request: Request) -> Response:
    """Auto-approve: redirect straight back with `code`, `state` and `realmId`."""
    state = _state(request)
    try:
        with state.lock:
            location = state.oauth.authorize(dict(request.query_params))
            realm_id = request.query_params.get("realmId") or state.options.realm_id
            state.realm(realm_id)
    except OAuthError as exc:
        return PlainTextResponse(f"{exc.error}: {exc.description}", status_code=exc.status)
    return RedirectResponse(location, status_code=302)


async def token(request: Request) -> Response:
    state = _state(request)
    form = _form(await request.body())
    hard = request.headers.get(HARD_EXPIRY_HEADER, "").lower() == "true"
    try:
        with state.lock:
            body = state.oauth.token(request.headers.get("authorization"), form, hard)
            state.persist()
    except OAuthError as exc:
        return _json(exc.body(), exc.status)
    return _json(body, 200)


async def revoke(request: Request) -> Response:
    state = _state(request)
    try:
        payload = jsonio.loads(await request.body() or b"{}")
    except ValueError:
        payload = {}
    token_value = str(payload.get("token", "")) if isinstance(payload, dict) else ""
    try:
        with state.lock:
            state.oauth.revoke(request.headers.get("authorization"), token_value)
            state.persist()
    except OAuthError as exc:
        return _json(exc.body(), exc.status)
    return Response(status_code=200, headers={"intuit_tid": transaction_id()})


async def discovery(request: Request) -> Response:
    """The OpenID discovery document, pointing at this emulator's own endpoints."""
    base = str(request.base_url).rstrip("/")
    return JSONResponse({
        "issuer": base, "authorization_endpoint": base + AUTHORIZE_PATH,
        "token_endpoint": base + TOKEN_PATH, "revocation_endpoint": base + REVOKE_PATH,
        "userinfo_endpoint": base + "/v1/openid_connect/userinfo",
        "jwks_uri": base + "/op/v1/jwks",
        "scopes_supported": ["com.intuit.quickbooks.accounting", "openid", "profile",
                             "email", "phone", "address"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"]})


def _form(raw: bytes) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body (the token endpoint's only format)."""
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def _json(body: dict[str, Any], status: int) -> Response:
    return JSONResponse(body, status_code=status,
                        headers={**NO_STORE, "intuit_tid": transaction_id()})
