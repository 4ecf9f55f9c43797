"""`create_app(options)`: the Stripe emulator as a Starlette app.

Run it in-process (`serve_in_thread(create_app())`) or from the CLI. `app.state.emulator`
is the `StripeEmulator` behind it, for tests to inspect and drive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ml_connector.connectors.stripe.emulator import (
    charges,
    credit_notes,
    customers,
    disputes,
    events,
    helpers,
    invoice_items,
    invoice_lifecycle,
    invoice_payments,
    invoices,
    refunds,
    saved_methods,
    tax_rates,
    webhook_endpoints,
)
from ml_connector.connectors.stripe.emulator.dispatch import Dispatcher, request_id
from ml_connector.connectors.stripe.emulator.routing import Endpoint
from ml_connector.connectors.stripe.emulator.service import StripeEmulator

MODULES = (customers, invoices, invoice_lifecycle, invoice_items, invoice_payments, charges,
           refunds, disputes, events, tax_rates, webhook_endpoints, saved_methods,
           credit_notes)


def all_endpoints() -> list[Endpoint]:
    return [ep for module in MODULES for ep in module.ENDPOINTS]


def _unrecognized(request: Request) -> Response:
    message = (f"Unrecognized request URL ({request.method}: {request.url.path}). Please see "
               "https://stripe.com/docs or we can help at https://support.stripe.com/.")
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error"}},
                        status_code=404, headers={"Request-Id": request_id()})


def _handler(dispatcher: Dispatcher) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        return await dispatcher(request)

    return handle


def create_app(options: Mapping[str, Any] | None = None) -> Starlette:
    """A fresh emulated Stripe account behind a Starlette app."""
    emulator = StripeEmulator(options)
    routes = helpers.routes(emulator)
    routes += [Route(ep.path, _handler(Dispatcher(emulator, ep)), methods=[ep.method])
               for ep in all_endpoints()]
    routes.append(Route("/{path:path}", _unrecognized,
                        methods=["GET", "POST", "DELETE", "PUT", "PATCH"]))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        emulator.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.emulator = emulator
    return app
