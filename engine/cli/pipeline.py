"""`ml-connector pipeline list|validate|plan|run`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.errors import RecordsFailed
from ml_connector.engine.loading import load_workspace
from ml_connector.engine.planning.plan import plan as make_plan
from ml_connector.engine.sync.actions import Action
from ml_connector.engine.sync.outcome import Outcome, RunSummary
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.values import readable
from ml_connector.engine.testing.pipeline_cases import check_pipeline


@click.group()
def pipeline() -> None:
    """List, check, preview and run pipelines."""


@pipeline.command("list")
@pass_state
def list_pipelines(state: CliState) -> None:
    """The project's pipelines in the order they run."""
    pipelines = state.runtime().pipelines
    rows = [{"name": p.name, "source": f"{p.source.connection}/{p.source.entity}",
             "target": f"{p.target.connection}/{p.target.entity}",
             "depends_on": list(p.depends_on), "description": p.description}
            for p in (pipelines.get(name) for name in pipelines.order)]
    if state.json_output:
        state.emit_json(rows)
        return
    table = Table("name", "source", "target", "depends on", "description")
    for row in rows:
        table.add_row(row["name"], row["source"], row["target"], ", ".join(row["depends_on"]),
                      row["description"])
    state.console.print(table)


@pipeline.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@pass_state
def validate(state: CliState, files: tuple[Path, ...]) -> None:
    """Check pipeline files (default: the project's); every problem is reported at once."""
    _, loaded = load_workspace(state.project, registry=state.registry,
                               pipeline_paths=list(files) or None)
    if state.json_output:
        state.emit_json({"valid": True, "pipelines": loaded.order})
    else:
        click.echo(f"{len(loaded.order)} pipeline(s) valid: {', '.join(loaded.order)}")


@pipeline.command()
@click.argument("name")
@click.option("--full", is_flag=True, help="Consider every source record, not only changes.")
@pass_state
def plan(state: CliState, name: str, full: bool) -> None:
    """Show what a run would create, update or skip, field by field. Writes nothing."""
    result = make_plan(state.runtime(), name, full=full)
    if state.json_output:
        state.emit_json(result.as_dict())
        return
    if result.definition_changed:
        click.echo(f"the definition of {result.pipeline} changed since its records were last "
                   f"synced: {result.writes} of {len(result.changes)} record(s) would be "
                   f"written; `{result.command}` applies it")
    for change in result.changes:
        if change.action in {Action.UNCHANGED, Action.ECHO}:
            continue
        target = f" -> {change.target_id}" if change.target_id else ""
        click.echo(f"{change.action:9} {change.source_id}{target}"
                   + (f"  ({change.error})" if change.error else ""))
        for field in change.changes:
            if change.action in {Action.CREATE, Action.RECREATE}:
                click.echo(f"    {field.field}: {readable(field.after)}")
            else:
                click.echo(f"    {field.field}: {readable(field.before)} -> "
                           f"{readable(field.after)}")
    counts = ", ".join(f"{n} {a}" for a, n in sorted(result.counts().items())) or "nothing"
    click.echo(f"plan for {result.pipeline}: {counts}")


@pipeline.command()
@click.argument("name", required=False)
@click.option("--all", "run_all", is_flag=True, help="Run every pipeline in dependency order.")
@click.option("--full", is_flag=True, help="Re-read every source record, not only changes.")
@pass_state
def run(state: CliState, name: str | None, run_all: bool, full: bool) -> None:
    """Sync a pipeline (or --all); exit 1 when any record failed."""
    if bool(name) == run_all:
        raise click.UsageError("give a pipeline NAME or --all (not both)")
    runtime = state.runtime()
    names = list(runtime.pipelines.order) if run_all else [runtime.pipelines.get(name).name]
    with _progress(state) as progress:
        task = progress.add_task("syncing", total=None)

        def tick(outcome: Outcome) -> None:
            progress.update(task, advance=1, description=f"{outcome.pipeline}")

        runner = Runner(runtime, on_outcome=tick)
        summaries = runner.run_all(names, full=full)
    _report(state, summaries)


def _progress(state: CliState) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), console=state.err, transient=True,
                    disable=not state.interactive)


def _report(state: CliState, summaries: list[RunSummary]) -> None:
    if state.json_output:
        state.emit_json([s.as_dict() for s in summaries])
    else:
        for s in summaries:
            d = s.as_dict()
            click.echo(f"{d['pipeline']}: {d['created']} created, {d['updated']} updated, "
                       f"{d['unchanged']} unchanged, {d['skipped']} skipped, "
                       f"{d['failed']} failed")
            for failure in d["failures"][:20]:
                click.echo(f"  failed {failure['source_id']}: {failure['error']}", err=True)
            if s.stopped:
                click.echo(f"  stopped: {s.stopped}", err=True)
    failed = sum(s.failed for s in summaries)
    stopped = [s for s in summaries if s.stopped]
    if stopped:
        raise RecordsFailed(f"run stopped: {stopped[0].stopped}")
    if failed:
        raise RecordsFailed(f"{failed} record(s) failed; they are kept in the audit trail")


@pipeline.command("test")
@click.argument("names", nargs=-1)
@pass_state
def test_cases(state: CliState, names: tuple[str, ...]) -> None:
    """Run the example cases kept in cases/NAME.yaml beside each pipeline (default: all)."""
    _, pipelines = load_workspace(state.project, registry=state.registry)
    chosen = [pipelines.get(n).name for n in names] or list(pipelines.order)
    results = [r for name in chosen for r in check_pipeline(pipelines.get(name), pipelines)]
    failed = [r for r in results if not r.passed]
    if state.json_output:
        state.emit_json([{"pipeline": r.case.pipeline, "case": r.case.name, "passed": r.passed,
                          "problems": list(r.problems)} for r in results])
    else:
        for result in results:
            mark = "ok  " if result.passed else "FAIL"
            click.echo(f"{mark} {result.case.pipeline}: {result.case.name}")
            for problem in result.problems:
                click.echo(f"       {result.case.location}: {problem}")
        click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise RecordsFailed(f"{len(failed)} pipeline case(s) failed")
