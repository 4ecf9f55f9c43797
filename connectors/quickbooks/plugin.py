"""The `quickbooks` connector plugin (entry point `ml_connector.connectors`)."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable, Mapping
from typing import Any

from ml_connector.connectors.quickbooks import pay_link
from ml_connector.connectors.quickbooks.connector import PAY_LINK_ENTITIES, QuickBooksConnector
from ml_connector.connectors.quickbooks.oauth_flow import (
    authorization_request,
    complete,
    is_local,
    wait_for_redirect,
)
from ml_connector.connectors.quickbooks.settings import QboSettings, config_schema
from ml_connector.connectors.quickbooks.spec import SPECS
from ml_connector.connectors.quickbooks.token_endpoint import TokenEndpoint
from ml_connector.engine.plugins.protocol import ConnectorContext, EntitySpec

AUTH_TIMEOUT = 300.0


class QuickBooksPlugin:
    name = "quickbooks"
    description = "QuickBooks Online Accounting API (OAuth 2.0, query, CDC, webhooks)."
    # QuickBooks batches its own notifications, and our writes (a Payment changing an
    # invoice's balance) come back as bursts of echoes: holding them a second lets the
    # worker read each burst with one `get_many` query instead of one metered read apiece.
    webhook_settle_seconds = 1.0

    def config_schema(self) -> Mapping[str, Any]:
        return config_schema()

    def entities(self) -> Mapping[str, EntitySpec]:
        return dict(SPECS)

    def pay_link_field_problem(self, entity: str, field: str) -> str | None:
        """Why a pipeline cannot write a pay link into `field` of `entity` (None: it can)."""
        if entity not in PAY_LINK_ENTITIES:
            return (f"QuickBooks {entity} records cannot carry a pay link; only "
                    f"{', '.join(PAY_LINK_ENTITIES)} can")
        return pay_link.field_problem(field)

    def connect(self, context: ConnectorContext) -> QuickBooksConnector:
        return QuickBooksConnector.open(context)

    def emulator_app(self, options: Mapping[str, Any]) -> Any:
        from ml_connector.connectors.quickbooks.emulator import create_app

        return create_app(options)

    def emulator_settings(self, base_url: str) -> dict[str, Any]:
        from ml_connector.connectors.quickbooks import emulator_setup

        return emulator_setup.emulator_settings(base_url)

    def emulator_options(self, settings: Mapping[str, Any], *,
                         webhook_url: str) -> dict[str, Any]:
        from ml_connector.connectors.quickbooks import emulator_setup

        return emulator_setup.emulator_options(settings, webhook_url=webhook_url)

    def authorize(self, context: ConnectorContext, *, open_browser: bool = True,
                  read_redirect: Callable[[str], str] | None = None,
                  echo: Callable[[str], None] = print,
                  timeout: float = AUTH_TIMEOUT) -> dict[str, Any]:
        """Run the OAuth flow for one connection and store its tokens (for `connections auth`).

        With a localhost redirect URI the redirect is received on that port; otherwise (or
        when `read_redirect` is given) the user pastes the URL the browser was sent to.
        Returns a summary without secrets: realm id and expiry times.
        """
        settings = QboSettings.from_mapping(context.connection, context.settings,
                                            context.base_url)
        request = authorization_request(settings)
        echo(f"Open this URL to authorise {context.connection}:\n{request.url}")
        if read_redirect is None and is_local(settings.redirect_uri):
            opener = (lambda: webbrowser.open(request.url)) if open_browser else None
            redirect = wait_for_redirect(settings.redirect_uri, timeout, opener)
        else:
            ask = read_redirect or input
            redirect = ask("Paste the full URL your browser was redirected to: ")
        endpoint = TokenEndpoint(settings)
        try:
            tokens = complete(settings, context.credentials, endpoint, redirect, request.state)
        finally:
            endpoint.close()
        echo(f"{context.connection}: authorised for QuickBooks company {tokens.realm_id}")
        return {"connection": context.connection, "realm_id": tokens.realm_id,
                "access_expires_at": tokens.access_expires_at,
                "refresh_expires_at": tokens.refresh_expires_at}


plugin = QuickBooksPlugin()
