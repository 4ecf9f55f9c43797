"""`ml-connector init`: write a starter project file that references secrets, never holds them."""

from __future__ import annotations

from pathlib import Path

import click

from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.model.project import PROJECT_FILE

TEMPLATE = """\
# ml-connector project. Secrets are references: ${env:NAME} reads an environment variable,
# ${secret:CONNECTION.KEY} a value stored encrypted with
#   ml-connector connections set-secret CONNECTION KEY
version: 1
store:
  url: "sqlite:///.ml-connector/state.db"
workers: 8
connections:
  quickbooks:
    connector: quickbooks
    settings:
      environment: sandbox
      client_id: "${env:QBO_CLIENT_ID}"
      client_secret: "${secret:quickbooks.client_secret}"
      redirect_uri: "http://localhost:8765/callback"
      webhook_verifier_token: "${secret:quickbooks.webhook_verifier_token}"
  stripe:
    connector: stripe
    settings:
      mode: test
      api_key: "${secret:stripe.api_key}"
      webhook_secret: "${secret:stripe.webhook_secret}"
"""


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Folder to create the project in.")
@click.option("--force", is_flag=True, help="Overwrite an existing project file.")
def init(directory: Path, force: bool) -> None:
    """Create ml-connector.yaml and the local state folder."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / PROJECT_FILE
    if target.exists() and not force:
        raise InvalidInput(f"{target} already exists (use --force to overwrite)")
    target.write_text(TEMPLATE, encoding="utf-8")
    (directory / ".ml-connector").mkdir(exist_ok=True)
    click.echo(f"created {target}; next: store secrets with "
               "`ml-connector connections set-secret stripe api_key`")
