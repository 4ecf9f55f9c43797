"""`ml-connector`: the command line. Exit codes: 0 ok, 1 some records failed, 2 invalid input."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import sys
from pathlib import Path

import click

from ml_connector.engine.cli.audit import audit
from ml_connector.engine.cli.connections import connections, connectors, secrets
from ml_connector.engine.cli.emulator import emulator
from ml_connector.engine.cli.emulators import emulators
from ml_connector.engine.cli.init import init
from ml_connector.engine.cli.pipeline import pipeline
from ml_connector.engine.cli.reconcile import reconcile
from ml_connector.engine.cli.replay import replay
from ml_connector.engine.cli.serve import serve
from ml_connector.engine.cli.state import CliState
from ml_connector.engine.cli.status import status
from ml_connector.engine.errors import MlConnectorError, PipelineInvalid
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.redaction import RedactingFilter


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", "-p", type=click.Path(path_type=Path), default=None,
              envvar="ML_CONNECTOR_PROJECT",
              help="Project file or folder (default: ml-connector.yaml here or above).")
@click.option("--json", "json_output", is_flag=True, help="Machine-readable JSON output.")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, project: Path | None, json_output: bool, verbose: int) -> None:
    """Keep two systems in step with declarative YAML pipelines and connector plugins."""
    _configure_logging(verbose)
    state = CliState(project=project, json_output=json_output)
    if isinstance(ctx.obj, PluginRegistry):  # tests hand in a registry instead of entry points
        state._registry = ctx.obj
    ctx.obj = state
    ctx.call_on_close(state.close)


for command in (init, pipeline, connectors, connections, secrets, emulator, emulators,
                serve, reconcile, audit, replay, status):
    cli.add_command(command)


def _add_plugin_commands() -> None:
    """Commands that installed packages contribute (entry-point group ml_connector.commands).

    A package that fails to load is reported on stderr and the rest of the CLI still works.
    """
    for entry in importlib.metadata.entry_points(group="ml_connector.commands"):
        try:
            command = entry.load()
        except Exception as exc:  # a broken extension must not break the whole CLI
            click.echo(f"warning: command '{entry.name}' could not be loaded: {exc}", err=True)
            continue
        if isinstance(command, click.Command) and entry.name not in cli.commands:
            cli.add_command(command, entry.name)


_add_plugin_commands()


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("ml_connector")
    root.handlers[:] = [handler]
    root.setLevel(level)


def _json_requested(argv: list[str] | None) -> bool:
    """Whether the command line asked for `--json`, read without running anything."""
    args = sys.argv[1:] if argv is None else argv
    try:
        with cli.make_context("ml-connector", list(args), resilient_parsing=True) as ctx:
            return bool(ctx.params.get("json_output"))
    except click.ClickException:
        return False


def _report_invalid(exc: PipelineInvalid, *, as_json: bool) -> None:
    """Every problem, located: as lines on stderr, or as one JSON document on stdout."""
    count = len(exc.diagnostics)
    if as_json:
        files = {d.location.file for d in exc.diagnostics}
        click.echo(json.dumps({"valid": False,
                               "diagnostics": [d.as_dict() for d in exc.diagnostics],
                               "summary": {"problems": count, "files": len(files)}},
                              indent=2))
        return
    for diagnostic in exc.diagnostics:
        click.echo(str(diagnostic), err=True)
    click.echo(f"{count} problem(s) found", err=True)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: product errors become one clear message and their exit code."""
    try:
        cli.main(args=argv, prog_name="ml-connector", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except PipelineInvalid as exc:
        _report_invalid(exc, as_json=_json_requested(argv))
        sys.exit(exc.exit_code)
    except MlConnectorError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(0)
