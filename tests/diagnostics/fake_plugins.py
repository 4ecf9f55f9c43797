"""Two made-up connector plugins and a registry holding them, for loading tests.

`ledger` looks like a bookkeeping system and `payments` like a payment processor; neither
talks to anything. They exist so tests can check connections, entities, match fields, remove
modes, secret settings and field names without the real connectors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml_connector.engine import OPEN, EntitySpec, Fields, ListOf

REF = Fields.of("value", "name")
LEDGER_CUSTOMER = Fields.of("Id", "SyncToken", "DisplayName", "Email", "Active", "Notes",
                            PrimaryEmailAddr=Fields.of("Address"),
                            CustomField=ListOf(Fields.of("Name", "StringValue", open=True)))
LEDGER_INVOICE = Fields.of(
    "Id", "SyncToken", "DocNumber", "TxnDate", "TotalAmt", "PrivateNote", CustomerRef=REF,
    CurrencyRef=REF, CustomerMemo=Fields.of("value"),
    Line=ListOf(Fields.of("Id", "Amount", "Description", "DetailType",
                          ItemDetail=Fields.of("Qty", ItemRef=REF))))

# `ledger` describes its entities' fields; `payments` describes only what its customers
# and charges take, so undescribed entities (its invoices) are seen to go unchecked.
LEDGER_ENTITIES = {
    "Customer": EntitySpec("Customer", id_field="Id", version_field="SyncToken",
                           match_fields=("DisplayName", "PrimaryEmailAddr.Address"),
                           remove_modes=("deactivate",), label="Ledger Customer",
                           record_fields=LEDGER_CUSTOMER, payload_fields=LEDGER_CUSTOMER),
    "Invoice": EntitySpec("Invoice", id_field="Id", version_field="SyncToken",
                          match_fields=("DocNumber",), remove_modes=("void", "delete"),
                          label="Ledger Invoice", record_fields=LEDGER_INVOICE,
                          payload_fields=LEDGER_INVOICE),
    "Payment": EntitySpec("Payment", id_field="Id", match_fields=("PaymentRefNum",)),
}

PAYMENTS_CUSTOMER = Fields.of(
    "name", "email", "phone", "description", metadata=OPEN,
    address=Fields.of("line1", "line2", "city", "postal_code", "country"))
PAYMENTS_ENTITIES = {
    "customer": EntitySpec("customer", match_fields=("email", "metadata.*"),
                           payload_fields=PAYMENTS_CUSTOMER),
    "invoice": EntitySpec("invoice", match_fields=("metadata.*",), remove_modes=("void",)),
    "charge": EntitySpec("charge", operations=frozenset({"read"}), remove_modes=(),
                         label="Payments charge",
                         record_fields=Fields.of("id", "amount", "currency", "customer",
                                                 metadata=OPEN)),
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
