"""`create_app(options)`: the emulator as one Starlette application.

OAuth, the data API and the control API share one host here; the connector reaches them
through its overridable `base_url` and OAuth endpoint URLs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

from ml_connector.connectors.quickbooks.emulator import admin, api, oauth_routes
from ml_connector.connectors.quickbooks.emulator.options import EmulatorOptions
from ml_connector.connectors.quickbooks.emulator.state import EmulatorState


def create_app(options: Mapping[str, Any] | None = None) -> Starlette:
    """A fresh emulator; its state is `app.state.emulator` (an `EmulatorState`)."""
    settings = EmulatorOptions.from_mapping(options)
    state = EmulatorState(settings)
    if settings.seed:
        state.realm(settings.realm_id)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.webhooks.close()
        state.persist()  # what changed without an event (a token refresh) survives a restart

    routes = [
        Route(oauth_routes.AUTHORIZE_PATH, oauth_routes.authorize, methods=["GET"]),
        Route(oauth_routes.TOKEN_PATH, oauth_routes.token, methods=["POST"]),
        Route(oauth_routes.REVOKE_PATH, oauth_routes.revoke, methods=["POST"]),
        Route("/.well-known/openid_configuration", oauth_routes.discovery, methods=["GET"]),
        Route("/.well-known/openid_sandbox_configuration", oauth_routes.discovery,
              methods=["GET"]),
        Route("/v3/company/{realm}/{rest:path}", api.handle, methods=["GET", "POST"]),
        *admin.ROUTES,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.emulator = state
    return app
