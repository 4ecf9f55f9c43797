"""`ml-connector reconcile`: a record-by-record report of where the systems disagree."""

from __future__ import annotations

import click
from rich.table import Table

from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.errors import RecordsFailed
from ml_connector.engine.sync.reconcile import reconcile as make_report


@click.command()
@click.argument("names", nargs=-1)
@pass_state
def reconcile(state: CliState, names: tuple[str, ...]) -> None:
    """Compare source and target for every pipeline (or NAMES); exit 1 on any mismatch."""
    runtime = state.runtime()
    chosen = [runtime.pipelines.get(n).name for n in names] or None
    reports = make_report(runtime, chosen)
    mismatches = [m for r in reports for m in r.mismatches]
    if state.json_output:
        state.emit_json({"clean": not mismatches, "pipelines": [r.as_dict() for r in reports]})
    else:
        table = Table("pipeline", "checked", "in step", "skipped", "mismatches",
                      title="reconciliation")
        for r in reports:
            table.add_row(r.pipeline, str(r.checked), str(r.matched), str(r.skipped),
                          str(len(r.mismatches)))
        state.console.print(table)
        for m in mismatches:
            target = f" -> {m.target_id}" if m.target_id else ""
            click.echo(f"{m.pipeline} {m.source_id}{target}: {m.kind}: {m.detail}\n"
                       f"    fix: {m.fix}")
        click.echo("everything reconciles" if not mismatches
                   else f"{len(mismatches)} mismatch(es)")
    if mismatches:
        raise RecordsFailed(f"{len(mismatches)} record(s) do not reconcile")
