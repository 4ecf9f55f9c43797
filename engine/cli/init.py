"""`ml-connector init`: write a starter project file that references secrets, never holds them.

The connections section is derived from the installed plugins' config schemas, so a new
plugin gets a sensible starter block without any change here: a required secret (`writeOnly`)
becomes a `${secret:...}` reference, an optional one a commented-out reference (a reference
to a secret nobody stored would stop the connection from opening), and the other settings
their schema default or first example. What is left to do is printed, step by step.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml

from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.model.project import DEFAULT_STORE_URL, PROJECT_FILE, Project

HEADER = """\
# ml-connector project. Secrets are references: ${env:NAME} reads an environment variable,
# ${secret:CONNECTION.KEY} a value stored encrypted with
#   ml-connector connections set-secret CONNECTION KEY
"""


@dataclass
class StarterConnection:
    """One connection's starter block, and what a user still has to provide for it."""

    settings: dict[str, Any] = field(default_factory=dict)
    to_fill: dict[str, str] = field(default_factory=dict)           # key -> description
    secrets: list[str] = field(default_factory=list)                # required secret keys
    optional_secrets: dict[str, str] = field(default_factory=dict)  # key -> description


def starter_connection(connection: str, schema: Mapping[str, Any]) -> StarterConnection:
    """Settings a user fills in: secrets as references, the rest from defaults or examples."""
    required = set(schema.get("required", ()))
    starter = StarterConnection()
    for key, spec in schema.get("properties", {}).items():
        description = str(spec.get("description", "")).strip()
        if spec.get("writeOnly") and key in required:
            starter.settings[key] = f"${{secret:{connection}.{key}}}"
            starter.secrets.append(key)
        elif spec.get("writeOnly"):
            starter.optional_secrets[key] = description
        elif "default" in spec:
            starter.settings[key] = spec["default"]
        elif spec.get("examples"):
            starter.settings[key] = spec["examples"][0]
        elif key in required:
            starter.settings[key] = ""
            starter.to_fill[key] = description
    return starter


def starter_connections(state: CliState) -> dict[str, StarterConnection]:
    registry = state.registry
    broken = {problem.name for problem in registry.problems}
    return {name: starter_connection(name, registry.get(name).config_schema())
            for name in registry.names() if name not in broken}


def render_project(connections: Mapping[str, StarterConnection]) -> str:
    """The project file's text: plain YAML, with each optional secret as a comment."""
    head = {"version": 1, "store": {"url": DEFAULT_STORE_URL}, "workers": Project.workers}
    text = HEADER + yaml.safe_dump(head, sort_keys=False) + "connections:\n"
    for name, starter in connections.items():
        block = {name: {"connector": name, "settings": starter.settings}}
        text += textwrap.indent(yaml.safe_dump(block, sort_keys=False), "  ")
        if starter.optional_secrets:
            text += ("      # Optional secrets: store one with `ml-connector connections "
                     f"set-secret {name} KEY`,\n      # then uncomment its line.\n")
        for key, description in starter.optional_secrets.items():
            note = f"  # {description}" if description else ""
            text += f"      # {key}: ${{secret:{name}.{key}}}{note}\n"
    return text


def next_steps(target: Path, connections: Mapping[str, StarterConnection]) -> list[str]:
    """What is left before the project works, in the order to do it."""
    steps = [f"  fill in {name}.settings.{key} in {target.name}: {description}"
             for name, starter in connections.items()
             for key, description in starter.to_fill.items()]
    steps += [f"  ml-connector connections set-secret {name} {key}"
              for name, starter in connections.items() for key in starter.secrets]
    return steps


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Folder to create the project in.")
@click.option("--force", is_flag=True, help="Overwrite an existing project file.")
@pass_state
def init(state: CliState, directory: Path, force: bool) -> None:
    """Create ml-connector.yaml and the local state folder."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / PROJECT_FILE
    if target.exists() and not force:
        raise InvalidInput(f"{target} already exists (use --force to overwrite)")
    connections = starter_connections(state)
    target.write_text(render_project(connections), encoding="utf-8")
    (directory / ".ml-connector").mkdir(exist_ok=True)
    click.echo(f"created {target}")
    steps = next_steps(target, connections)
    if steps:
        click.echo("before it can connect:\n" + "\n".join(steps))
