"""`init`'s template and the README's "Using it with your own accounts" steps agree.

Following the documented steps on a freshly written project leaves no setting without a
value: every secret the template references is stored by a documented step, every other
secret is optional (a commented-out reference), and every setting to fill in is named.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ml_connector.engine.cli.main import cli
from ml_connector.engine.loading import load_project
from ml_connector.engine.loading.references import unresolved_references
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.sync.runtime import Runtime

README = Path(__file__).resolve().parents[3] / "README.md"
SET_SECRET = re.compile(r"ml-connector connections set-secret (\S+) (\S+)")
REFERENCE = re.compile(r"\$\{secret:([a-z][\w-]*)\.(\w+)\}")


def own_accounts_steps() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("## Using it with your own accounts", 1)[1].split("\n## ", 1)[0]


@pytest.fixture
def initialised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    monkeypatch.delenv("ML_CONNECTOR_MASTER_KEY", raising=False)
    result = CliRunner().invoke(cli, ["init", "--dir", str(tmp_path)], catch_exceptions=False)
    return tmp_path / "ml-connector.yaml", result.output


def test_every_referenced_secret_is_a_documented_step_and_init_says_it(initialised) -> None:
    project, printed = initialised
    referenced = {m.groups() for line in project.read_text().splitlines()
                  if not line.lstrip().startswith("#") for m in REFERENCE.finditer(line)}
    assert referenced == {("quickbooks", "client_secret"), ("stripe", "secret_key")}
    assert referenced <= set(SET_SECRET.findall(own_accounts_steps()))
    assert referenced <= set(SET_SECRET.findall(printed))


def test_optional_secrets_are_commented_out_and_documented_for_webhooks(initialised) -> None:
    project, _ = initialised
    commented = {m.groups() for line in project.read_text().splitlines()
                 if line.lstrip().startswith("#") for m in REFERENCE.finditer(line)}
    assert commented == {("quickbooks", "webhook_verifier_token"),
                         ("stripe", "webhook_secret"), ("stripe", "previous_webhook_secret")}
    documented = set(SET_SECRET.findall(own_accounts_steps()))
    assert {("quickbooks", "webhook_verifier_token"), ("stripe", "webhook_secret")} <= documented
    schemas = PluginRegistry.from_entry_points()
    for connection, key in commented:
        schema = schemas.get(connection).config_schema()
        assert schema["properties"][key]["writeOnly"] and key not in schema["required"]


def test_the_documented_steps_leave_no_setting_without_a_value(initialised) -> None:
    project, printed = initialised
    assert "fill in quickbooks.settings.client_id" in printed
    assert "client_id" in own_accounts_steps()
    data = yaml.safe_load(project.read_text())
    data["connections"]["quickbooks"]["settings"]["client_id"] = "ABc123client"
    project.write_text(yaml.safe_dump(data))
    for connection, key in set(SET_SECRET.findall(own_accounts_steps())):
        stored = CliRunner().invoke(cli, ["-p", str(project), "connections", "set-secret",
                                          connection, key], input="sk_test_made_up_value\n")
        assert stored.exit_code == 0, stored.output
    registry = PluginRegistry.from_entry_points()
    loaded = load_project(project, registry=registry)
    with Runtime.open(project, registry=registry) as runtime:
        for connection in loaded.connections.values():
            assert unresolved_references(connection.settings, {},
                                         runtime.store.secrets.get) == [], connection.name
