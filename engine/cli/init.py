"""`ml-connector init`: write a starter project file that references secrets, never holds them.

The connections section is derived from the installed plugins' config schemas, so a new
plugin gets a sensible starter block without any change here: secret (`writeOnly`) settings
become `${secret:...}` references, others their schema default or first example.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def starter_settings(connection: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """Settings a user fills in: secrets as references, the rest from defaults or examples."""
    required = set(schema.get("required", ()))
    settings: dict[str, Any] = {}
    for key, spec in schema.get("properties", {}).items():
        if spec.get("writeOnly"):
            settings[key] = f"${{secret:{connection}.{key}}}"
        elif "default" in spec:
            settings[key] = spec["default"]
        elif spec.get("examples"):
            settings[key] = spec["examples"][0]
        elif key in required:
            settings[key] = ""
    return settings


def starter_project(state: CliState) -> dict[str, Any]:
    registry = state.registry
    broken = {problem.name for problem in registry.problems}
    connections = {
        name: {"connector": name,
               "settings": starter_settings(name, registry.get(name).config_schema())}
        for name in registry.names() if name not in broken
    }
    return {"version": 1, "store": {"url": DEFAULT_STORE_URL}, "workers": Project.workers,
            "connections": connections}


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
    body = yaml.safe_dump(starter_project(state), sort_keys=False)
    target.write_text(HEADER + body, encoding="utf-8")
    (directory / ".ml-connector").mkdir(exist_ok=True)
    click.echo(f"created {target}; store each secret it references with "
               "`ml-connector connections set-secret CONNECTION KEY`")
