"""`ml-connector emulator NAME`: serve the local emulator a connector plugin offers."""

from __future__ import annotations

import click
import uvicorn

from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.errors import InvalidInput


@click.command()
@click.argument("name")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--seed/--no-seed", default=True, show_default=True,
              help="Load the emulator's realistic sample data.")
@click.option("--state-file", type=click.Path(dir_okay=False), default=None,
              help="Keep the emulator's state in this file across restarts.")
@pass_state
def emulator(state: CliState, name: str, host: str, port: int, seed: bool,
             state_file: str | None) -> None:
    """Run the local emulator of connector NAME (for demos, tests and benchmarks)."""
    plugin = state.registry.get(name)
    app = plugin.emulator_app({"seed": seed, "state_file": state_file})
    if app is None:
        raise InvalidInput(f"connector {name!r} does not ship an emulator")
    click.echo(f"{name} emulator on http://{host}:{port}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
