"""`ml-connector emulators start`: a project's local emulators, back with the state they kept.

It lives in the engine, not beside the demo, because nothing in it belongs to one system:
the project file says which connections sit on a loopback port, and each plugin's
`EmulatorSetup` turns the connection's own settings (its stored secrets resolved) into
emulator options. So the emulators accept exactly the credentials the project holds,
deliver webhooks to the project's `serve`, and any plugin with an emulator gets the same.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click

from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.errors import InvalidInput, MlConnectorError
from ml_connector.engine.plugins.emulators import (
    DEFAULT_SERVE_URL,
    EmulatedConnection,
    emulated_connections,
    port_problem,
    state_file,
    webhook_url,
)
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.testing.servers import BackgroundServer


@click.group()
def emulators() -> None:
    """The local emulators standing in for this project's connections."""


@emulators.command("start")
@click.option("--serve-url", default=DEFAULT_SERVE_URL, show_default=True,
              help="Where this project's `ml-connector serve` listens: each emulator sends "
                   "its webhooks to SERVE_URL/webhooks/CONNECTION.")
@click.option("--seed/--no-seed", default=True, show_default=True,
              help="Sample data for an emulator that has no saved state yet.")
@pass_state
def start(state: CliState, serve_url: str, seed: bool) -> None:
    """Run the emulator of every connection on a loopback base_url until Ctrl-C or SIGTERM.

    Each listens on its base_url's port and keeps its state in .ml-connector/emulators/
    (saved as it changes and when stopped), so it comes back as it was left, demo included.
    """
    runtime = state.runtime()
    found, notes = emulated_connections(runtime.project, runtime.registry)
    if not found:
        raise InvalidInput("no connection of this project runs on a local emulator: one does "
                           "when its connector ships an emulator and its base_url is a "
                           "loopback address such as http://127.0.0.1:PORT\n"
                           + "\n".join(notes))
    problems = [problem for connection in found if (problem := port_problem(connection))]
    if problems:
        raise InvalidInput("\n".join(problems))
    with ExitStack() as running:
        servers = {connection.name: running.enter_context(
                       _emulator(runtime, connection, serve_url, seed)) for connection in found}
        for note in notes:
            click.echo(note, err=True)
        click.echo(f"webhooks go to {serve_url}/webhooks/<connection>; to take them:\n"
                   f"  {state.program()} serve\n"
                   "Ctrl-C stops the emulators and saves their state.", err=True)
        stopped = _wait_for_stop(servers)
    if stopped is not None:
        raise MlConnectorError(f"the emulator of connection {stopped} stopped on its own; "
                               "the others were stopped and their state saved")
    click.echo("emulators stopped; their state is saved", err=True)


@contextmanager
def _emulator(runtime: Runtime, connection: EmulatedConnection, serve_url: str,
              seed: bool) -> Iterator[BackgroundServer]:
    """One emulator serving in the background, configured from the connection's settings."""
    settings = runtime.context(connection.name).settings
    path = state_file(runtime.project.root, connection.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    options = {**connection.plugin.emulator_options(
                   settings, webhook_url=webhook_url(serve_url, connection.name)),
               "seed": seed, "state_file": str(path)}
    app = connection.plugin.emulator_app(options)
    try:
        server = BackgroundServer(app, host=connection.host, port=connection.port).start()
    except RuntimeError:
        raise InvalidInput(port_problem(connection) or f"connection {connection.name}: its "
                           f"emulator did not start on {connection.url}") from None
    click.echo(f"{connection.name}: emulator on {connection.url}\n"
               f"  state in {_shown(path)}", err=True)
    try:
        yield server
    finally:
        server.stop()


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _wait_for_stop(servers: dict[str, BackgroundServer]) -> str | None:
    """Block until SIGINT or SIGTERM (None), or until one emulator stops on its own (its name).

    The caller then stops the others cleanly, which saves their state.
    """
    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in signals}
    try:
        while not stop.wait(0.5):
            dead = next((name for name, server in servers.items() if not server.alive), None)
            if dead is not None:
                return dead
        return None
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
