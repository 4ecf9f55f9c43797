"""`ml-connector reconcile`: a record-by-record report of where the systems disagree."""

from __future__ import annotations

import click
from rich.console import Console

from ml_connector.engine.cli.progress import progress_display
from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.cli.summaries import listed_once
from ml_connector.engine.cli.tables import Col, FittedTable, fit_table
from ml_connector.engine.errors import RecordsFailed
from ml_connector.engine.sync.reconcile import Mismatch, PipelineReport
from ml_connector.engine.sync.reconcile import reconcile as make_report
from ml_connector.engine.sync.runtime import Runtime

REPORT_COLUMNS = (Col("pipeline", min_width=16), Col("checked", keep=True, justify="right"),
                  Col("in step", keep=True, justify="right"),
                  Col("skipped", keep=True, justify="right"),
                  Col("mismatches", keep=True, justify="right"))


@click.command()
@click.argument("names", nargs=-1)
@pass_state
def reconcile(state: CliState, names: tuple[str, ...]) -> None:
    """Compare source and target for every pipeline (or NAMES); exit 1 on any mismatch."""
    runtime = state.runtime()
    chosen = [runtime.pipelines.get(n).name for n in names] or list(runtime.pipelines.order)
    reports = reconcile_with_progress(runtime, chosen, state.err, quiet=state.json_output)
    mismatches = list(dict.fromkeys(m for r in reports for m in r.mismatches))  # each once
    if state.json_output:
        state.emit_json({"clean": not mismatches, "pipelines": [r.as_dict() for r in reports]})
    else:
        report_table(reports, state.console.width).print(state.console)
        for text in mismatch_lines(mismatches):
            click.echo(text)
        click.echo("everything reconciles" if not mismatches
                   else f"{len(mismatches)} mismatch(es)")
    if mismatches:
        raise RecordsFailed(f"{len(mismatches)} record(s) do not reconcile")


def reconcile_with_progress(runtime: Runtime, names: list[str], console: Console, *,
                            quiet: bool) -> list[PipelineReport]:
    """Reconcile pipeline by pipeline, each record examined counted on the display."""
    with progress_display(console, quiet=quiet) as progress:
        return [report for name in names
                for report in make_report(runtime, [name],
                                          on_record=lambda name=name: progress.advance(name))]


def report_table(reports: list[PipelineReport], width: int) -> FittedTable:
    rows = [[r.pipeline, f"{r.checked:,}", f"{r.matched:,}", f"{r.skipped:,}",
             f"{len(r.mismatches):,}"] for r in reports]
    return fit_table(REPORT_COLUMNS, rows, width, title="reconciliation")


def mismatch_lines(mismatches: list[Mismatch]) -> list[str]:
    """Each mismatch once, up to a limit, then how many more: `--json` has them all."""
    texts = []
    for m in mismatches:
        target = f" -> {m.target_id}" if m.target_id else ""
        texts.append(f"{m.pipeline} {m.source_id}{target}: {m.kind}: {m.detail}\n"
                     f"    fix: {m.fix}")
    return listed_once(texts, "and {n} more: ml-connector --json reconcile lists them all")
