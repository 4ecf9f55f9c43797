"""Two made-up connector plugins and a registry holding them, for loading tests.

`ledger` looks like a bookkeeping system and `payments` like a payment processor; neither
talks to anything. They exist so tests can check connections, entities, match fields, remove
modes and secret settings without the real connectors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_connector.engine.plugins.protocol import EntitySpec

LEDGER_ENTITIES = {
    "Customer": EntitySpec("Customer", id_field="Id", version_field="SyncToken",
                           match_fields=("DisplayName", "PrimaryEmailAddr.Address"),
                           remove_modes=("deactivate",)),
    "Invoice": EntitySpec("Invoice", id_field="Id", version_field="SyncToken",
                          match_fields=("DocNumber",), remove_modes=("void", "delete")),
    "Payment": EntitySpec("Payment", id_field="Id", match_fields=("PaymentRefNum",)),
}

PAYMENTS_ENTITIES = {
    "customer": EntitySpec("customer", match_fields=("email", "metadata.*")),
    "invoice": EntitySpec("invoice", match_fields=("metadata.*",), remove_modes=("void",)),
    "charge": EntitySpec("charge", operations=frozenset({"read"}), remove_modes=()),
}

LEDGER_CONFIG = {
    "type": "object",
    "required": ["client_id", "client_secret"],
    "additionalProperties": False,
    "properties": {
        "environment": {"enum": ["sandbox", "production"]},
        "client_id": {"type": "string", "pattern": "^[A-Za-z0-9]+$"},
        "client_secret": {"type": "string", "writeOnly": True, "minLength": 8},
        "minor_version": {"type": "integer", "minimum": 1},
    },
}

PAYMENTS_CONFIG = {
    "type": "object",
    "required": ["api_key"],
    "additionalProperties": False,
    "properties": {
        "api_key": {"type": "string", "writeOnly": True},
        "webhook": {
            "type": "object",
            "properties": {"signing_secret": {"type": "string", "writeOnly": True}},
        },
        "api_version": {"type": "string"},
    },
}


class FakePlugin:
    """A plugin that only describes itself: enough for loading, nothing to connect to."""

    def __init__(self, name: str, entities: Mapping[str, EntitySpec], config: Mapping[str, Any]):
        self.name, self.description = name, f"fake {name} connector"
        self._entities, self._config = entities, config

    def entities(self) -> Mapping[str, EntitySpec]:
        return self._entities

    def config_schema(self) -> Mapping[str, Any]:
        return self._config


class FakeRegistry:
    """The registry interface loading uses: `get(name)` (KeyError when absent) and `names()`."""

    def __init__(self, *plugins: FakePlugin):
        self._plugins = {plugin.name: plugin for plugin in plugins}

    def get(self, name: str) -> FakePlugin:
        return self._plugins[name]

    def names(self) -> list[str]:
        return sorted(self._plugins)


def fake_registry() -> FakeRegistry:
    return FakeRegistry(FakePlugin("ledger", LEDGER_ENTITIES, LEDGER_CONFIG),
                        FakePlugin("payments", PAYMENTS_ENTITIES, PAYMENTS_CONFIG))
