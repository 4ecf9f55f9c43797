"""`ml-connector connectors list`, `connections list|set-secret`, `secrets rotate-key`."""

from __future__ import annotations

import sys

import click
from rich.table import Table
from rich.text import Text

from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.cli.tables import labelled
from ml_connector.engine.errors import InvalidInput, RecordsFailed
from ml_connector.engine.loading import load_project
from ml_connector.engine.loading.references import describe_unresolved, unresolved_references
from ml_connector.engine.store import Store
from ml_connector.engine.sync.runtime import Runtime
from ml_connector.engine.sync.values import LABELS, readable


@click.group()
def connectors() -> None:
    """Installed connector plugins."""


@connectors.command("list")
@pass_state
def list_connectors(state: CliState) -> None:
    """Installed connector plugins, and plugins that failed to load (with the reason)."""
    registry = state.registry
    broken = {problem.name for problem in registry.problems}
    rows = []
    for name in registry.names():
        if name in broken:
            continue
        plugin = registry.get(name)
        rows.append({"name": name, "description": plugin.description,
                     "entities": sorted(plugin.entities())})
    problems = [{"name": p.name, "problem": p.reason} for p in registry.problems]
    if state.json_output:
        state.emit_json({"connectors": rows, "problems": problems})
        return
    table = Table("connector", "entities", "description")
    table.columns[0].no_wrap = True  # the name `connections` refer to: never cut or wrapped
    for row in rows:
        table.add_row(Text(row["name"]), Text(", ".join(row["entities"])),
                      Text(row["description"]))
    state.console.print(table)
    for problem in problems:
        click.echo(f"broken plugin {problem['name']}: {problem['problem']}", err=True)


@click.group()
def connections() -> None:
    """Configured connections and their stored secrets."""


@connections.command("list")
@pass_state
def list_connections(state: CliState) -> None:
    """Connections of the project (settings show references, never secret values)."""
    project = load_project(state.project, registry=state.registry)
    rows = [{"name": c.name, "connector": c.connector, "base_url": c.base_url}
            for c in project.connections.values()]
    if state.json_output:
        state.emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']}: {row['connector']}"
                   + (f" at {row['base_url']}" if row["base_url"] else ""))


@connections.command("set-secret")
@click.argument("connection")
@click.argument("key")
@pass_state
def set_secret(state: CliState, connection: str, key: str) -> None:
    """Store a secret encrypted, read from stdin or a hidden prompt (never from arguments).

    Reference it in ml-connector.yaml as ${secret:CONNECTION.KEY}.
    """
    project = load_project(state.project, registry=state.registry)
    if connection not in project.connections:
        known = ", ".join(sorted(project.connections)) or "none"
        raise InvalidInput(f"unknown connection '{connection}'; configured: {known}")
    if sys.stdin.isatty():
        value = click.prompt(f"{connection}.{key}", hide_input=True)
    else:
        value = sys.stdin.read().strip()
    if not value:
        raise InvalidInput("no secret value was given on stdin")
    store = Store.open(project.store_url, root=project.root)
    try:
        store.secrets.put(f"{connection}.{key}", value)
    finally:
        store.close()
    click.echo(f"stored {connection}.{key}; reference it as ${{secret:{connection}.{key}}}")


@click.group()
def secrets() -> None:
    """The master key that encrypts stored secrets."""


@secrets.command("rotate-key")
@pass_state
def rotate_key(state: CliState) -> None:
    """Generate a new master key and re-encrypt every stored secret with it."""
    from ml_connector.engine.store.credentials import rotate_master_key
    from ml_connector.engine.store.master_key import MasterKey

    project = load_project(state.project, registry=state.registry)
    store = Store.open(project.store_url, root=project.root)
    try:
        count = rotate_master_key(store, MasterKey.generate())
    finally:
        store.close()
    click.echo(f"re-encrypted {count} secret(s) with a new master key")


@connections.command("auth")
@click.argument("connection")
@click.option("--no-browser", is_flag=True, help="Print the URL instead of opening a browser.")
@click.option("--paste", is_flag=True,
              help="Paste the redirected URL (for servers without a browser or open port).")
@pass_state
def auth(state: CliState, connection: str, no_browser: bool, paste: bool) -> None:
    """Authorise CONNECTION with its system (an OAuth consent flow); tokens are stored encrypted."""
    runtime = state.runtime()
    plugin = runtime.plugin_for(connection)
    authorize = getattr(plugin, "authorize", None)
    if authorize is None:
        raise InvalidInput(f"connection '{connection}' ({plugin.name}) needs no authorisation "
                           "flow: store its secrets with `ml-connector connections set-secret`")
    reader = (lambda prompt: click.prompt(prompt.rstrip(": "))) if paste else None
    summary = authorize(runtime.context(connection), open_browser=not no_browser,
                        read_redirect=reader, echo=lambda text: click.echo(text, err=True))
    if state.json_output:
        state.emit_json(summary)


@connections.command("test")
@click.argument("connection")
@pass_state
def test_connection(state: CliState, connection: str) -> None:
    """Call the real system with the stored credentials and say plainly what works.

    Every setting whose secret or environment variable is missing is named first, each with
    the command that provides it, before any call is made.
    """
    runtime = state.runtime()
    _require_every_value(state, runtime, connection)
    connector = runtime.connector(connection)
    check = getattr(connector, "check", None)
    if check is None:
        raise InvalidInput(f"connection {connection!r} offers no connection test")
    result = dict(check())
    if state.json_output:
        state.emit_json(result)
    else:
        for key, value in result.items():
            for line in labelled(f"{key}: ", readable(value, LABELS), state.console.width):
                click.echo(line)
    if not result.get("ok", False):
        raise RecordsFailed(f"connection {connection!r} is not working: "
                            f"{result.get('problem', 'see above')}")


def _require_every_value(state: CliState, runtime: Runtime, connection: str) -> None:
    """Raise, naming them all, when references of the connection's settings have no value."""
    configured = runtime.project.connections.get(connection)
    if configured is None:
        return  # opening the connector names the unknown connection and the configured ones
    missing = unresolved_references(configured.settings, runtime.env, runtime.store.secrets.get)
    if not missing:
        return
    program = state.program()
    if state.json_output:
        state.emit_json({"ok": False, "connection": connection, "missing": [
            {"setting": m.setting, "reference": f"${{{m.reference.kind}:{m.reference.name}}}",
             "fix": m.problem(connection, program)} for m in missing]})
    raise InvalidInput(describe_unresolved(connection, missing, program))
