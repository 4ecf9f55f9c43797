"""The plugin as the engine finds and uses it: entry point, schema, entities, protocol."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from stripe_flows import TEST_KEY, RunningEmulator, connect

from ml_connector.connectors.stripe.plugin import plugin
from ml_connector.engine.model.pipeline import OnSourceDelete
from ml_connector.engine.plugins.protocol import Connector, ConnectorPlugin
from ml_connector.engine.plugins.registry import PluginRegistry


def test_the_entry_point_names_this_plugin() -> None:
    (found,) = [ep for ep in entry_points(group="ml_connector.connectors")
                if ep.name == "stripe"]
    assert found.load() is plugin
    assert PluginRegistry.from_entry_points().get("stripe") is plugin


def test_plugin_and_connector_follow_the_protocol(stripe_emulator: RunningEmulator) -> None:
    assert isinstance(plugin, ConnectorPlugin)
    connector = connect(stripe_emulator.url)
    assert isinstance(connector, Connector)
    connector.close()


def test_config_schema_marks_every_secret_write_only() -> None:
    schema: dict[str, Any] = dict(plugin.config_schema())
    Draft202012Validator.check_schema(schema)
    secrets = {k for k, v in schema["properties"].items() if v.get("writeOnly")}
    assert secrets == {"secret_key", "webhook_secret", "previous_webhook_secret"}
    validator = Draft202012Validator(schema)
    assert validator.is_valid({"secret_key": TEST_KEY, "mode": "test"})
    assert not validator.is_valid({"secret_key": "pk_test_publishable"})
    assert not validator.is_valid({"secret_key": TEST_KEY, "mode": "staging"})


def test_entities_declare_what_the_connector_does() -> None:
    entities = plugin.entities()
    writable = {n for n, s in entities.items() if "create" in s.operations}
    assert writable == {"customer", "invoice", "credit_note"}
    delete_policies = {p.value for p in OnSourceDelete}
    for spec in entities.values():
        assert set(spec.remove_modes) <= delete_policies
        assert spec.id_field == "id" and "id" in spec.match_fields
    assert "metadata.*" in entities["customer"].match_fields
    assert "invoice_payment.paid" in entities["invoice_payment"].webhook_events


def test_emulator_app_is_the_emulator() -> None:
    app = plugin.emulator_app({"seed": True})
    assert len(app.state.emulator.state.objects["customer"]) == 5
    app.state.emulator.close()


@pytest.mark.parametrize("missing", [{}, {"secret_key": ""}])
def test_missing_key_is_an_input_error(stripe_emulator: RunningEmulator,
                                       missing: dict[str, str]) -> None:
    from stripe_flows import MemoryCredentials

    from ml_connector.engine.errors import InvalidInput
    from ml_connector.engine.plugins.protocol import ConnectorContext

    context = ConnectorContext(connection="stripe", settings=missing,
                               credentials=MemoryCredentials(), base_url=stripe_emulator.url)
    with pytest.raises(InvalidInput, match="secret_key"):
        plugin.connect(context)


def test_connection_check_says_what_works(stripe_emulator: RunningEmulator,
                                          emulator_factory: Any) -> None:
    connector = connect(stripe_emulator.url)
    good = connector.check()
    connector.close()
    assert good["ok"] is True and good["mode"] == "test"
    assert good["request_id"].startswith("req_") and good["webhook_secret"] == "set"
    with emulator_factory(api_keys=["sk_test_only_this"]) as emu:
        refused = connect(emu.url, secret_key="sk_test_not_that", max_attempts=1)
        bad = refused.check()
        refused.close()
    assert bad["ok"] is False and "set-secret stripe secret_key" in bad["problem"]
