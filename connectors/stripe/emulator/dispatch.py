"""The path every API request takes, in Stripe's order of checks:

    faults (error)  ->  authentication  ->  rate limits  ->  parameters  ->  idempotency
    ->  faults (slow)  ->  the handler, under the state lock  ->  save the idempotent answer
    ->  faults (drop)  ->  the JSON answer with `Request-Id` and `Stripe-Version`

A request carrying `X-Emulator-Faults: off` meets no injected fault (a fault test's own
reads are not the client under test). Errors anywhere become Stripe's error body. Every
request is logged in `state.requests` (method, path, decoded parameters, the headers that
matter) so tests can check what a client sent.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from ml_connector.connectors.stripe.emulator.errors import StripeError
from ml_connector.connectors.stripe.emulator.expand import render
from ml_connector.connectors.stripe.emulator.faults import Fault
from ml_connector.connectors.stripe.emulator.forms import FormError, decode_form
from ml_connector.connectors.stripe.emulator.idempotency import fingerprint
from ml_connector.connectors.stripe.emulator.params import Params
from ml_connector.connectors.stripe.emulator.routing import Call, Endpoint
from ml_connector.connectors.stripe.emulator.service import StripeEmulator
from ml_connector.connectors.stripe.emulator.state import RequestInfo

FORM = "application/x-www-form-urlencoded"
NO_FAULTS_HEADER = "x-emulator-faults"
log = logging.getLogger(__name__)


class DroppedConnection(Response):
    """Starts an answer and aborts it: the client sees the connection die."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"4096")]})
        raise ConnectionAbortedError("emulated dropped connection")


def request_id() -> str:
    return "req_" + secrets.token_hex(7)


def _api_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(value.strip()).decode().partition(":")[0]
        except ValueError:
            return None
        return user or None
    return None


def _authenticate(emulator: StripeEmulator, request: Request) -> None:
    key = _api_key(request)
    if key is None:
        raise StripeError(401, "You did not provide an API key. You need to provide your API "
                          "key in the Authorization header, using Bearer auth (e.g. "
                          "'Authorization: Bearer YOUR_SECRET_KEY').")
    if not emulator.accepts_key(key):
        masked = key[:8] + "*" * max(0, len(key) - 12) + key[-4:]
        raise StripeError(401, f"Invalid API Key provided: {masked}")


async def _params(request: Request, method: str) -> Params:
    values: dict[str, Any] = {}
    try:
        if request.url.query:
            values.update(decode_form(request.url.query))
        if method == "POST":
            body = (await request.body()).decode()
            kind = request.headers.get("content-type", "").split(";")[0].strip()
            if body and kind != FORM:
                raise StripeError(400, f"Invalid request: unsupported Content-Type {kind}. "
                                  f"Send request bodies as {FORM}.")
            values.update(decode_form(body))
    except FormError as exc:
        raise StripeError(400, str(exc)) from None
    return Params(values)


class Dispatcher:
    """Runs one `Endpoint` for one request."""

    def __init__(self, emulator: StripeEmulator, endpoint: Endpoint):
        self.emulator, self.endpoint = emulator, endpoint

    async def __call__(self, request: Request) -> Response:
        rid, method = request_id(), request.method
        exempt = request.headers.get(NO_FAULTS_HEADER, "").lower() == "off"
        faults = {} if exempt else {
            f.kind: f for f in self.emulator.faults.take(method, request.url.path)}
        key = request.headers.get("idempotency-key") if method == "POST" else None
        status, body, extra = 500, {}, {}
        params: Params | None = None
        try:
            if "error" in faults:
                raise faults["error"].as_error()
            _authenticate(self.emulator, request)
            self.emulator.rate_limits.check(
                self.endpoint.search, f"{self.endpoint.method} {self.endpoint.path}")
            params = await _params(request, method)
            params.check_known(self.endpoint.params)
            status, body, extra = await self._run(request, rid, params, key, faults)
        except StripeError as exc:
            status, body = exc.status, exc.body(rid, self.emulator.state.livemode)
            extra = exc.headers
        self._log(request, rid, params, status)
        if "drop" in faults:
            return DroppedConnection()
        return self._respond(request, rid, status, body, extra, key)

    async def _run(self, request: Request, rid: str, params: Params, key: str | None,
                   faults: dict[str, Fault]) -> tuple[int, dict[str, Any], dict[str, str]]:
        state = self.emulator.state
        print_ = fingerprint(request.method, request.url.path, params.values)
        if key is not None:
            with state.lock:
                saved = self.emulator.idempotency.begin(key, print_, state.clock.exact())
            if saved is not None:
                return saved.status, saved.body, {"Idempotent-Replayed": "true"}
        status, body, save = 200, {}, True
        try:
            if "slow" in faults:
                self.emulator.faults.count("slow")
                await asyncio.sleep(faults["slow"].delay)
            status, body = 200, self._execute(request, rid, params, key)
        except StripeError as exc:
            status, body, save = exc.status, exc.body(rid, state.livemode), exc.saved
            raise
        except Exception as exc:
            log.exception("emulator handler failed for %s %s", request.method,
                          request.url.path)
            error = StripeError(500, "An unknown error occurred in the emulator.",
                                type="api_error", saved=True)
            status, body = error.status, error.body(rid, state.livemode)
            raise error from exc
        finally:
            if key is not None:
                with state.lock:
                    self.emulator.idempotency.finish(key, print_, status, body,
                                                     state.clock.exact(), save=save)
        return status, body, {}

    def _execute(self, request: Request, rid: str, params: Params,
                 key: str | None) -> dict[str, Any]:
        state = self.emulator.state
        with state.lock:
            state.request = RequestInfo(rid, key, str(request.base_url).rstrip("/"))
            try:
                call = Call(state, params, dict(request.path_params), request.method)
                result = self.endpoint.handler(call)
                return render(state, result, params.expand())
            finally:
                state.request = RequestInfo()
                if self.endpoint.mutates:
                    state.save()

    def _log(self, request: Request, rid: str, params: Params | None, status: int) -> None:
        headers = {name: request.headers[name] for name in
                   ("stripe-version", "idempotency-key", "content-type")
                   if name in request.headers}
        with self.emulator.state.lock:
            self.emulator.state.requests.append({
                "id": rid, "method": request.method, "path": request.url.path,
                "route": self.endpoint.path, "params": params.values if params else None,
                "headers": headers, "status": status})

    def _respond(self, request: Request, rid: str, status: int, body: dict[str, Any],
                 extra: dict[str, str], key: str | None) -> Response:
        headers = {"Request-Id": rid,
                   "Stripe-Version": request.headers.get("stripe-version",
                                                         self.emulator.options.api_version),
                   **extra}
        if key is not None:
            headers["Idempotency-Key"] = key
        return JSONResponse(body, status_code=status, headers=headers)
