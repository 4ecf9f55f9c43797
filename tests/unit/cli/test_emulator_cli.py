"""`ml-connector emulator NAME` prints what a project needs to talk to it, and it works.

The emulator is served on a real loopback port, a project is written from nothing but the
printed text (the connection block and the set-secret commands), and `connections test`
then succeeds: no credential has to be looked up in the source.
"""

from __future__ import annotations

import json
import shlex
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner, Result

from ml_connector.engine.cli.main import cli
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.testing.servers import BackgroundServer, free_port


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What the command handed to uvicorn, instead of serving in the foreground."""
    captured: dict[str, Any] = {}
    monkeypatch.setattr("ml_connector.engine.cli.emulator.uvicorn.run",
                        lambda app, **kwargs: captured.update(app=app, **kwargs))
    monkeypatch.delenv("ML_CONNECTOR_MASTER_KEY", raising=False)
    return captured


@pytest.fixture
def serving(launched: dict[str, Any]) -> Iterator[Any]:
    servers: list[BackgroundServer] = []

    def serve() -> BackgroundServer:
        server = BackgroundServer(launched["app"], port=launched["port"]).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


def cli_run(*args: str, **kwargs: Any) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)


def project_from(printed: str, folder: Path) -> Path:
    """A project holding the printed connection, its secrets stored by the printed commands."""
    block = printed.split("ml-connector.yaml):\n", 1)[1].split("\n\n", 1)[0]
    project = folder / "ml-connector.yaml"
    project.write_text("version: 1\npipelines: []\nconnections:\n"
                       + "".join(f"  {line}\n" for line in block.splitlines()))
    for line in printed.splitlines():
        if " | ml-connector connections set-secret " in line:
            value = shlex.split(line.split(" | ")[0])[1]
            connection, key = line.split()[-2:]
            stored = cli_run("-p", str(project), "connections", "set-secret", connection, key,
                             input=f"{value}\n")
            assert stored.exit_code == 0, stored.output
    return project


def test_stripe_emulator_prints_a_key_and_webhook_secret_a_project_can_use(
        tmp_path: Path, launched: dict[str, Any], serving: Any) -> None:
    port = free_port()
    printed = cli_run("emulator", "stripe", "--port", str(port), "--no-seed").stdout
    assert f"stripe emulator on http://127.0.0.1:{port}" in printed
    assert "echo sk_test_" in printed and "echo whsec_" in printed
    project = project_from(printed, tmp_path)
    serving()
    tested = cli_run("-p", str(project), "--json", "connections", "test", "stripe")
    assert json.loads(tested.stdout)["ok"] is True
    assert json.loads(tested.stdout)["webhook_secret"] == "set"
    emulator = launched["app"].state.emulator
    with Runtime.open(project) as runtime:
        secret = runtime.store.secrets.get("stripe.webhook_secret")
    [endpoint] = emulator.state.objects["webhook_endpoint"].values()
    assert endpoint["url"] == "http://127.0.0.1:8080/webhooks/stripe"
    assert emulator.webhooks.secrets_for(endpoint["id"]) == [secret]


def test_stripe_emulator_accepts_the_printed_key_only(launched: dict[str, Any],
                                                      serving: Any) -> None:
    port = free_port()
    printed = json.loads(cli_run("--json", "emulator", "stripe", "--port", str(port)).stdout)
    url = serving().url
    key = printed["secrets"]["secret_key"]
    assert httpx.get(f"{url}/v1/customers", auth=(key, "")).status_code == 200
    assert httpx.get(f"{url}/v1/customers", auth=("sk_test_not_printed_1", "")).status_code == 401


def test_quickbooks_emulator_prints_the_app_company_and_verifier_a_project_needs(
        tmp_path: Path, launched: dict[str, Any], serving: Any) -> None:
    port = free_port()
    printed = cli_run("emulator", "quickbooks", "--port", str(port)).stdout
    for secret in ("client_secret", "webhook_verifier_token"):
        assert f" | ml-connector connections set-secret quickbooks {secret}" in printed
    settings = yaml.safe_load(printed.split("ml-connector.yaml):\n", 1)[1]
                              .split("\n\n", 1)[0])["quickbooks"]["settings"]
    project = project_from(printed, tmp_path)
    serving()
    authorise(project)
    tested = cli_run("-p", str(project), "--json", "connections", "test", "quickbooks")
    report = json.loads(tested.stdout)
    assert report["ok"] is True and report["realm_id"] == settings["realm_id"]
    with Runtime.open(project) as runtime:
        verifier = runtime.store.secrets.get("quickbooks.webhook_verifier_token")
    webhooks = launched["app"].state.emulator.webhooks
    assert (webhooks.url, webhooks.verifier_token) == (
        "http://127.0.0.1:8080/webhooks/quickbooks", verifier)


def test_a_taken_port_is_said_before_anything_is_printed(launched: dict[str, Any]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = CliRunner().invoke(cli, ["emulator", "stripe", "--port", str(port)])
    assert str(result.exception) == (f"port {port} on 127.0.0.1 is already in use: stop what "
                                     "holds it, or choose another with --port")
    assert result.stdout == "" and launched == {}


def authorise(project: Path) -> None:
    """`connections auth`, with the browser's consent and redirect played by httpx."""
    shown: list[str] = []

    def follow(_prompt: str) -> str:
        url = next(line for text in shown for line in text.splitlines()
                   if line.startswith("http"))
        return httpx.get(url, follow_redirects=False).headers["location"]

    with Runtime.open(project) as runtime:
        runtime.plugin_for("quickbooks").authorize(  # type: ignore[attr-defined]
            runtime.context("quickbooks"), open_browser=False, read_redirect=follow,
            echo=shown.append)
