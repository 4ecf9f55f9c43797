"""`ml-connector demo`: the whole product on embedded defaults, no account and no key needed.

It starts both emulators, seeds a small company (30 customers with odd names, a dozen
invoices with several lines, tax, discounts, one in JPY), creates a project with a SQLite
store, runs the pipelines, then plays a month of customers paying (in full and in part), a
refund and two disputes, with webhooks flowing to `serve`, and ends with the reconciliation
report. It exits 0 only when everything reconciles.
"""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ml_connector.connectors.qbo_stripe.checks import invariant_problems
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox, SandboxOptions
from ml_connector.connectors.qbo_stripe.settling import WebhookService
from ml_connector.connectors.qbo_stripe.story import Story
from ml_connector.engine.errors import InvalidInput, RecordsFailed
from ml_connector.engine.model.project import PROJECT_FILE
from ml_connector.engine.sync.outcome import Outcome, RunSummary
from ml_connector.engine.sync.reconcile import PipelineReport, reconcile
from ml_connector.engine.sync.runner import Runner
from ml_connector.engine.sync.runtime import Runtime


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Keep the demo project here (default: a temporary folder).")
def demo(directory: Path | None) -> None:
    """Run both systems locally and watch them stay in step (exit 0 when all reconciles).

    With --dir the project stays there, its emulators' state included, to look around in.
    """
    console = Console(stderr=True)
    if directory is not None:
        _refuse_a_used_folder(directory)
        try:
            _run(directory, console, SandboxOptions(keep_state=True))
        finally:
            if (directory / PROJECT_FILE).exists():
                _how_to_look_around(directory, console)
        return
    with tempfile.TemporaryDirectory(prefix="ml-connector-demo-") as folder:
        _run(Path(folder), console, SandboxOptions())


def _refuse_a_used_folder(directory: Path) -> None:
    """A second demo in the same folder would meet the first one's records and links."""
    if (directory / PROJECT_FILE).exists() or (directory / ".ml-connector").exists():
        raise InvalidInput(f"{directory} already holds a project: give --dir a new or empty "
                           "folder (or remove this one)")


def _how_to_look_around(directory: Path, console: Console) -> None:
    project = shlex.quote(str(directory))
    console.print(f"the project is kept in {directory}; bring its emulators back with the "
                  f"state the demo left (Ctrl-C stops them):\n"
                  f"  ml-connector -p {project} emulators start\n"
                  f"then, in another terminal: ml-connector -p {project} status "
                  "(or reconcile, audit list, serve, ...)", soft_wrap=True)


def _run(folder: Path, console: Console, options: SandboxOptions) -> None:
    console.rule("ml-connector demo")
    with console.status("starting the QuickBooks and Stripe emulators, authorising..."):
        sandbox = Sandbox(folder, options).__enter__()
    try:
        console.print(f"project in {folder}; QuickBooks at {sandbox.qbo_url}, "
                      f"Stripe at {sandbox.stripe_url}")
        runtime = sandbox.runtime()
        try:
            _first_sync(runtime, console)
            with WebhookService(sandbox, runtime) as service:
                console.print(f"serve is taking webhooks at {service.url}/webhooks/<connection>")
                with console.status("a month of business..."):
                    Story(sandbox, runtime, service.settle,
                          echo=lambda text: console.print(f"  • {text}")).play()
            _report(sandbox, runtime, console)
        finally:
            runtime.close()
    finally:
        sandbox.stop()


def _first_sync(runtime: Runtime, console: Console) -> None:
    console.print("first sync of every pipeline:")
    with console.status("syncing...") as status:
        def tick(outcome: Outcome) -> None:
            status.update(f"syncing {outcome.pipeline}: {outcome.source_id}")

        summaries = Runner(runtime, on_outcome=tick).run_all()
    for summary in summaries:
        console.print(f"  {_summary_line(summary)}")
    if any(s.failed or s.stopped for s in summaries):
        raise RecordsFailed("the first sync had failures; see `ml-connector audit list`")


def _summary_line(summary: RunSummary) -> str:
    d = summary.as_dict()
    return (f"{d['pipeline']}: {d['created']} created, {d['updated']} updated, "
            f"{d['unchanged']} unchanged, {d['skipped']} skipped, {d['failed']} failed")


def _report(sandbox: Sandbox, runtime: Runtime, console: Console) -> None:
    reports = reconcile(runtime)
    problems = invariant_problems(sandbox)
    console.print(_table(reports))
    mismatches = [m for r in reports for m in r.mismatches]
    for m in mismatches:
        console.print(f"[red]{m.pipeline} {m.source_id}: {m.kind}: {m.detail}[/red]")
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    if mismatches or problems:
        raise RecordsFailed(f"{len(mismatches) + len(problems)} thing(s) do not reconcile")
    console.print("[green]everything reconciles: both systems agree, record by record[/green]")


def _table(reports: list[PipelineReport]) -> Table:
    table = Table("pipeline", "checked", "in step", "skipped", "mismatches",
                  title="reconciliation")
    for r in reports:
        table.add_row(r.pipeline, str(r.checked), str(r.matched), str(r.skipped),
                      str(len(r.mismatches)))
    return table
