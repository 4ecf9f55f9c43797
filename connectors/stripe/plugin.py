"""The `stripe` connector plugin (entry point `ml_connector.connectors.stripe.plugin:plugin`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from typing import Any

from ml_connector.connectors.stripe.api import StripeApi
from ml_connector.connectors.stripe.auth import check_key_mode
from ml_connector.connectors.stripe.connector import StripeConnector
from ml_connector.connectors.stripe.fields import payload_fields, record_fields
from ml_connector.connectors.stripe.settings import StripeSettings, config_schema
from ml_connector.connectors.stripe.spec import ENTITIES
from ml_connector.engine.plugins.protocol import ConnectorContext, EntitySpec


class StripePlugin:
    name = "stripe"
    description = "Stripe: customers and invoices written, payments, refunds and disputes read."

    def config_schema(self) -> Mapping[str, Any]:
        return config_schema()

    def entities(self) -> Mapping[str, EntitySpec]:
        return described_entities()

    def connect(self, context: ConnectorContext) -> StripeConnector:
        """Open a connection; a key of the wrong mode is refused before any request."""
        settings = StripeSettings.from_mapping(context.connection, context.settings,
                                               context.base_url)
        check_key_mode(context.connection, settings.secret_key, settings.mode)
        return StripeConnector(settings, StripeApi(settings, on_event=context.on_event))

    def emulator_app(self, options: Mapping[str, Any]) -> Any:
        from ml_connector.connectors.stripe.emulator import create_app

        return create_app(options)

    def emulator_settings(self, base_url: str) -> dict[str, Any]:
        from ml_connector.connectors.stripe import emulator_setup

        return emulator_setup.emulator_settings(base_url)

    def emulator_options(self, settings: Mapping[str, Any], *,
                         webhook_url: str) -> dict[str, Any]:
        from ml_connector.connectors.stripe import emulator_setup

        return emulator_setup.emulator_options(settings, webhook_url=webhook_url)


@cache
def described_entities() -> dict[str, EntitySpec]:
    """The entities with their fields: decoded once, when a pipeline is first checked."""
    return {name: replace(ent.spec, record_fields=record_fields(ent),
                          payload_fields=payload_fields(name))
            for name, ent in ENTITIES.items()}


plugin = StripePlugin()
