"""`ml-connector emulator NAME`: serve the local emulator a connector plugin offers.

Before serving it prints what a project needs to talk to it: the connection block to paste
into ml-connector.yaml and the commands that store its secrets. These are the emulator's own
made-up credentials, valid nowhere else, so printing them is the point: nobody should have
to read source to find one.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

import click
import uvicorn
import yaml

from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.loading.connections import secret_paths
from ml_connector.engine.plugins.emulators import DEFAULT_SERVE_URL, bind_problem, webhook_url
from ml_connector.engine.plugins.protocol import ConnectorPlugin, EmulatorSetup


@click.command()
@click.argument("name")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--seed/--no-seed", default=True, show_default=True,
              help="Load the emulator's realistic sample data.")
@click.option("--state-file", type=click.Path(dir_okay=False), default=None,
              help="Keep the emulator's state in this file across restarts.")
@click.option("--serve-url", default=DEFAULT_SERVE_URL, show_default=True,
              help="Where `ml-connector serve` listens: webhooks go to SERVE_URL/webhooks/NAME.")
@pass_state
def emulator(state: CliState, name: str, host: str, port: int, seed: bool,
             state_file: str | None, serve_url: str) -> None:
    """Run the local emulator of connector NAME (for demos, tests and benchmarks)."""
    plugin = state.registry.get(name)
    problem = bind_problem(host, port)
    if problem is not None:
        raise InvalidInput(f"{problem}: stop what holds it, or choose another with --port")
    base_url = f"http://{host}:{port}"
    options: dict[str, Any] = {"seed": seed, "state_file": state_file}
    settings: Mapping[str, Any] | None = None
    if isinstance(plugin, EmulatorSetup):
        settings = plugin.emulator_settings(base_url)
        options |= plugin.emulator_options(settings, webhook_url=webhook_url(serve_url, name))
    app = plugin.emulator_app(options)
    if app is None:
        raise InvalidInput(f"connector {name!r} does not ship an emulator")
    if settings is None or state.json_output:
        click.echo(f"{name} emulator on {base_url}", err=True)
    if settings is not None:
        _print_connection(state, plugin, name, base_url, settings, serve_url)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _print_connection(state: CliState, plugin: ConnectorPlugin, name: str, base_url: str,
                      settings: Mapping[str, Any], serve_url: str) -> None:
    secret_keys = {path[0] for path in secret_paths(plugin.config_schema()) if len(path) == 1}
    plain = {k: v for k, v in settings.items() if k not in secret_keys}
    secrets = {k: v for k, v in settings.items() if k in secret_keys}
    if state.json_output:
        state.emit_json({"connector": name, "base_url": base_url, "settings": plain,
                         "secrets": secrets, "webhook_url": webhook_url(serve_url, name)})
        return
    block = {name: {"connector": name, "base_url": base_url,
                    "settings": {**plain, **{k: f"${{secret:{name}.{k}}}" for k in secrets}}}}
    lines = [f"{name} emulator on {base_url}: a local stand-in whose credentials are made up",
             "and valid only here. A project talks to it with this connection (under",
             "`connections:` in ml-connector.yaml):", "",
             yaml.safe_dump(block, sort_keys=False).rstrip(), ""]
    if secrets:
        lines += ["and these secrets, stored with:"]
        lines += [f"  echo {shlex.quote(str(value))} | ml-connector connections set-secret "
                  f"{name} {key}" for key, value in secrets.items()]
    lines += [f"Webhooks go to {webhook_url(serve_url, name)} (`ml-connector serve`).", ""]
    click.echo("\n".join(lines))
