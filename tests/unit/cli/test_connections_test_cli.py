"""`connections test` names every setting without a value, with its fix, before any call."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ml_connector.engine.cli.main import cli
from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.plugins.protocol import ConnectorContext
from ml_connector.engine.plugins.registry import PluginRegistry

PROJECT = """\
version: 1
pipelines: []
connections:
  ledger:
    connector: ledger
    settings:
      account: "${env:LEDGER_ACCOUNT}"
      api_key: "${secret:ledger.api_key}"
      signing_secret: "${secret:ledger.signing_secret}"
"""


class LedgerConnector:
    def __init__(self, calls: list[Mapping[str, Any]], settings: Mapping[str, Any]):
        self.calls, self.settings = calls, settings

    def check(self) -> dict[str, Any]:
        self.calls.append(dict(self.settings))
        return {"ok": True, "account": self.settings["account"]}

    def close(self) -> None:
        pass


class LedgerPlugin:
    """A system whose `check()` is its API call: a test can see whether it was made."""

    name = "ledger"
    description = "a ledger for tests"

    def __init__(self) -> None:
        self.calls: list[Mapping[str, Any]] = []

    def config_schema(self) -> Mapping[str, Any]:
        return {"type": "object", "properties": {
            "account": {"type": "string"},
            "api_key": {"type": "string", "writeOnly": True},
            "signing_secret": {"type": "string", "writeOnly": True}}}

    def entities(self) -> Mapping[str, Any]:
        return {}

    def connect(self, context: ConnectorContext) -> LedgerConnector:
        return LedgerConnector(self.calls, context.settings)

    def emulator_app(self, options: Mapping[str, Any]) -> None:
        return None


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[LedgerPlugin, Path]:
    monkeypatch.delenv("LEDGER_ACCOUNT", raising=False)
    monkeypatch.delenv("ML_CONNECTOR_MASTER_KEY", raising=False)
    (tmp_path / "ml-connector.yaml").write_text(PROJECT)
    return LedgerPlugin(), tmp_path / "ml-connector.yaml"


def run(plugin: LedgerPlugin, project: Path, *args: str, **kwargs: Any):
    return CliRunner().invoke(cli, ["--project", str(project), *args],
                              obj=PluginRegistry.from_plugins({"ledger": plugin}), **kwargs)


def test_every_missing_value_is_named_with_its_command_before_any_call(ledger) -> None:
    plugin, project = ledger
    result = run(plugin, project, "connections", "test", "ledger")
    assert isinstance(result.exception, InvalidInput)      # exit code 2 through `main`
    message = str(result.exception)
    program = f"ml-connector -p {project}"
    assert message.splitlines() == [
        "connection 'ledger': 3 settings have no value:",
        "  setting 'account': environment variable LEDGER_ACCOUNT is not set",
        "  setting 'api_key': no stored secret 'ledger.api_key'; store it with "
        f"`{program} connections set-secret ledger api_key`",
        "  setting 'signing_secret': no stored secret 'ledger.signing_secret'; store it with "
        f"`{program} connections set-secret ledger signing_secret`",
    ]
    assert plugin.calls == []


def test_json_lists_the_missing_values_and_what_provides_each(ledger) -> None:
    plugin, project = ledger
    run(plugin, project, "connections", "set-secret", "ledger", "api_key", input="k-123\n")
    result = run(plugin, project, "--json", "connections", "test", "ledger",
                 env={"LEDGER_ACCOUNT": "acct-9"})
    assert isinstance(result.exception, InvalidInput)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["missing"] == [{
        "setting": "signing_secret", "reference": "${secret:ledger.signing_secret}",
        "fix": "no stored secret 'ledger.signing_secret'; store it with "
               f"`ml-connector -p {project} connections set-secret ledger signing_secret`"}]
    assert "k-123" not in result.output
    assert plugin.calls == []


def test_once_every_value_is_there_the_system_is_called(ledger) -> None:
    plugin, project = ledger
    for key, value in (("api_key", "k-123"), ("signing_secret", "s-456")):
        stored = run(plugin, project, "connections", "set-secret", "ledger", key,
                     input=f"{value}\n")
        assert stored.exit_code == 0, stored.output
    result = run(plugin, project, "connections", "test", "ledger",
                 env={"LEDGER_ACCOUNT": "acct-9"})
    assert result.exit_code == 0, result.output
    assert "account: acct-9" in result.output
    assert plugin.calls == [{"account": "acct-9", "api_key": "k-123",
                             "signing_secret": "s-456"}]
