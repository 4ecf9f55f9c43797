"""`ml-connector pipeline list|validate|plan|run`."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import click

from ml_connector.engine.cli.progress import progress_display
from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.cli.summaries import (
    KEPT_BECAUSE,
    failures_reported_here,
    kept_lines,
    listed_once,
    run_summary_line,
    skip_lines,
)
from ml_connector.engine.cli.tables import labelled
from ml_connector.engine.errors import RecordsFailed
from ml_connector.engine.loading import load_workspace, pipeline_files
from ml_connector.engine.planning.plan import Plan, PlannedChange
from ml_connector.engine.planning.plan import plan as make_plan
from ml_connector.engine.sync.actions import FAILED_ACTIONS, Action
from ml_connector.engine.sync.outcome import RunSummary
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.single import remove_target, sync_only
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
    blocks = [_pipeline_lines(row, state.console.width) for row in rows]
    click.echo("\n\n".join("\n".join(block) for block in blocks))


def _pipeline_lines(row: dict[str, Any], width: int) -> list[str]:
    """Name and direction on the first line, the description wrapped beneath it: a table
    column narrow enough for 80 columns would hold one word per line."""
    after = f", after {', '.join(row['depends_on'])}" if row["depends_on"] else ""
    head = f"{row['name']}: {row['source']} -> {row['target']}{after}"
    wrap = {"width": width, "break_long_words": False, "break_on_hyphens": False}
    return [*textwrap.wrap(head, subsequent_indent="    ", **wrap),
            *textwrap.wrap(row["description"] or "", initial_indent="  ",
                           subsequent_indent="  ", **wrap)]


@pipeline.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@pass_state
def validate(state: CliState, files: tuple[Path, ...]) -> None:
    """Check pipeline files (default: the project's); every problem is reported at once.

    Files are checked within the project, beside its other pipelines, so what they depend
    on and link to is known; a file stands in for the project's pipeline of its name.
    """
    _, loaded = load_workspace(state.project, registry=state.registry,
                               pipeline_paths=list(files) or None,
                               with_project_pipelines=bool(files))
    chosen = {Path(file).resolve() for file in pipeline_files(list(files))}
    checked = [name for name in loaded.order
               if not files or Path(loaded.get(name).path).resolve() in chosen]
    others = [name for name in loaded.order if name not in checked]
    if state.json_output:
        state.emit_json({"valid": True, "pipelines": checked, "checked_with": others,
                         "diagnostics": [], "summary": {"problems": 0,
                                                        "pipelines": len(checked)}})
        return
    beside = f" (with the project's {', '.join(others)})" if others else ""
    click.echo(f"{len(checked)} pipeline(s) valid: {', '.join(checked)}{beside}")


@pipeline.command()
@click.argument("name")
@click.option("--full", is_flag=True, help="Consider every source record, not only changes.")
@pass_state
def plan(state: CliState, name: str, full: bool) -> None:
    """Show what a run would create, update or skip, field by field. Writes nothing.

    Exit 1 when a record would fail, so a script can stop before the run.
    """
    runtime = state.runtime()
    chosen = runtime.pipelines.get(name).name
    with progress_display(state.err, quiet=state.json_output) as progress:
        result = make_plan(runtime, chosen, full=full,
                           on_record=lambda: progress.advance(chosen))
    changes = result.changes
    counts = dict(sorted(result.counts().items()))
    if state.json_output:
        state.emit_json({**result.as_dict(), "counts": counts})
    else:
        _print_plan(result, changes, counts, state.console.width)
    failing = sum(1 for c in changes if c.action in FAILED_ACTIONS)
    if failing:   # what a run counts as failed: `pipeline run` would exit 1 too
        raise RecordsFailed(f"{failing} record(s) would fail or be flagged; "
                            "fix them (or the mapping) before running")


def _print_plan(result: Plan, changes: list[PlannedChange], counts: dict[str, int],
                width: int) -> None:
    if result.definition_changed:
        for line in labelled("", f"the definition of {result.pipeline} changed since its "
                             f"records were last synced: {result.writes} of {len(changes)} "
                             f"record(s) would be written; `{result.command}` applies it",
                             width):
            click.echo(line)
    for change in changes:
        if change.action in {Action.UNCHANGED, Action.ECHO, Action.SKIP, *FAILED_ACTIONS}:
            continue   # listed below, each with its reason
        target = f" -> {change.target_id}" if change.target_id else ""
        click.echo(f"{change.action:9} {change.source_id}{target}")
        for field in change.changes:
            if change.action in {Action.CREATE, Action.RECREATE}:
                click.echo(f"    {field.field}: {readable(field.after)}")
            else:
                click.echo(f"    {field.field}: {readable(field.before)} -> "
                           f"{readable(field.after)}")
        for kept in change.kept:
            click.echo(f"    {kept}: kept, {KEPT_BECAUSE}")
    for actions, more in (({Action.SKIP}, "and {n} more skipped"),
                          (FAILED_ACTIONS, "and {n} more would fail or be flagged")):
        lines = [f"{c.action:9} {c.source_id}  ({c.reason or c.error or 'no reason recorded'})"
                 for c in changes if c.action in actions]
        for line in listed_once(lines, more):
            click.echo(line)
    summary = ", ".join(f"{n:,} {a}" for a, n in counts.items()) or "nothing"
    click.echo(f"plan for {result.pipeline}: {summary}")
    reasons = Counter(c.reason for c in changes if c.action == Action.SKIP and c.reason)
    for line in skip_lines(reasons, width):
        click.echo(line)


@pipeline.command()
@click.argument("name", required=False)
@click.option("--all", "run_all", is_flag=True, help="Run every pipeline in dependency order.")
@click.option("--full", is_flag=True, help="Re-read every source record, not only changes.")
@click.option("--only", "only", multiple=True, metavar="SOURCE_ID",
              help="Sync just this source record (repeatable), rewriting its target even "
                   "when the source did not change: the repair `reconcile` names.")
@pass_state
def run(state: CliState, name: str | None, run_all: bool, full: bool,
        only: tuple[str, ...]) -> None:
    """Sync a pipeline (or --all); exit 1 when any record failed."""
    if bool(name) == run_all:
        raise click.UsageError("give a pipeline NAME or --all (not both)")
    if only and (run_all or full):
        raise click.UsageError("--only syncs records of one pipeline NAME, without --full")
    runtime = state.runtime()
    names = list(runtime.pipelines.order) if run_all else [runtime.pipelines.get(name).name]
    with progress_display(state.err, quiet=state.json_output) as progress, \
            failures_reported_here():
        runner = Runner(runtime, on_outcome=lambda outcome: progress.advance(outcome.pipeline),
                        on_total=progress.total)
        summaries = ([sync_only(runner, names[0], list(only))] if only
                     else runner.run_all(names, full=full))
    _report(state, summaries)


@pipeline.command()
@click.argument("name")
@click.argument("target_id")
@pass_state
def remove(state: CliState, name: str, target_id: str) -> None:
    """Remove a target record of NAME's target entity that has no source behind it.

    For what `reconcile` finds booked without a source (or booked twice): the record is
    voided when its system can void it, deleted otherwise. A target linked to a source
    record that still exists is refused: that one is in step, or wants `run --only`.
    """
    runtime = state.runtime()
    removed = remove_target(runtime, runtime.pipelines.get(name).name, target_id)
    if state.json_output:
        state.emit_json(removed)
    else:
        click.echo(f"{removed['mode']} {removed['entity']} {target_id}")


def _report(state: CliState, summaries: list[RunSummary]) -> None:
    if state.json_output:
        state.emit_json([s.as_dict() for s in summaries])
    else:
        for s in summaries:
            click.echo(run_summary_line(s))
            for line in skip_lines(s.skip_reasons, state.console.width):
                click.echo(line)
            for line in kept_lines(s.kept, state.console.width):
                click.echo(line)
            failures = [f"  failed {f.source_id}: {f.error}" for f in s.failures]
            for line in listed_once(failures, f"  and {{n}} more failed: ml-connector audit "
                                              f"list --run {s.run_id} --outcome failed"):
                click.echo(line, err=True)
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
