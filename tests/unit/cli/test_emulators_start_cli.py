"""`emulators start` says plainly why it cannot start or why it stopped, in plain words."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from ml_connector.engine.cli.main import cli
from ml_connector.engine.loading import load_project
from ml_connector.engine.plugins.emulators import emulated_connections
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.testing.servers import BackgroundServer, free_port


def project(folder: Path, stripe_url: str, *, key_from_env: bool = False) -> Path:
    key = "${env:PAYMENTS_SECRET_KEY}" if key_from_env else "${secret:payments.secret_key}"
    path = folder / "ml-connector.yaml"
    path.write_text(f"""\
version: 1
pipelines: []
connections:
  payments:
    connector: stripe
    base_url: "{stripe_url}"
    settings: {{secret_key: "{key}"}}
""")
    return path


def start(path: Path) -> str:
    result = CliRunner().invoke(cli, ["-p", str(path), "emulators", "start"])
    assert result.exit_code != 0
    return str(result.exception)


def test_a_taken_port_names_the_connection_and_how_to_free_it(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        message = start(project(tmp_path, f"http://127.0.0.1:{port}"))
    assert message.startswith(f"connection payments: port {port} on 127.0.0.1 is already "
                              "in use")
    assert "change the port in its base_url" in message


def test_a_project_on_real_systems_has_no_emulators_to_start(tmp_path: Path) -> None:
    message = start(project(tmp_path, "https://api.stripe.com"))
    assert message.splitlines() == [
        "no connection of this project runs on a local emulator: one does when its connector "
        "ships an emulator and its base_url is a loopback address such as "
        "http://127.0.0.1:PORT",
        "payments: not on a loopback address (https://api.stripe.com), left alone"]


class NoEmulatorPlugin:
    """A connector plugin that ships no emulator a project's connection can run on."""

    name, description = "ledger", "a connector without an emulator"

    def config_schema(self) -> dict:
        return {"type": "object"}

    def entities(self) -> dict:
        return {}

    def connect(self, context: object) -> None:
        raise NotImplementedError

    def emulator_app(self, options: object) -> None:
        return None


def test_a_connector_without_an_emulator_is_named_plainly(tmp_path: Path) -> None:
    path = tmp_path / "ml-connector.yaml"
    path.write_text("version: 1\npipelines: []\nconnections:\n"
                    "  books: {connector: ledger, base_url: 'http://127.0.0.1:8001'}\n")
    registry = PluginRegistry.from_plugins({"ledger": NoEmulatorPlugin()})
    found, notes = emulated_connections(load_project(path, registry=registry), registry)
    assert found == []
    assert notes == ["books: connector ledger ships no emulator that can stand in for a "
                     "connection"]


def test_an_emulator_that_stops_on_its_own_is_named_plainly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYMENTS_SECRET_KEY", "sk_test_emulated")
    monkeypatch.setattr("ml_connector.engine.cli.emulators._wait_for_stop",
                        lambda servers: "payments")
    message = start(project(tmp_path, f"http://127.0.0.1:{free_port()}", key_from_env=True))
    assert message == ("the emulator of connection payments stopped on its own; the others "
                       "were stopped and their state saved")


def test_an_emulator_that_cannot_start_is_named_plainly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: BackgroundServer) -> BackgroundServer:
        raise RuntimeError("the server did not start")

    monkeypatch.setattr(BackgroundServer, "start", refuse)
    monkeypatch.setenv("PAYMENTS_SECRET_KEY", "sk_test_emulated")
    url = f"http://127.0.0.1:{free_port()}"
    message = start(project(tmp_path, url, key_from_env=True))
    assert message == f"connection payments: its emulator did not start on {url}"
