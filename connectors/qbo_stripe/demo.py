"""`ml-connector demo`: the whole product on embedded defaults, no account and no key needed.

It starts both emulators, seeds a small company (30 customers with odd names, a dozen
invoices with several lines, tax, discounts, one in JPY), creates a project with a SQLite
store, runs the pipelines, then plays a month of customers paying (in full and in part), a
refund and two disputes, with webhooks flowing to `serve`, and ends with the reconciliation
report, money included (every payment, refund and dispute booked once, balances equal),
saying how many checks ran. It exits 0 only when everything reconciles.
"""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from ml_connector.connectors.qbo_stripe.checks import uncovered_problems
from ml_connector.connectors.qbo_stripe.sandbox import Sandbox, SandboxOptions
from ml_connector.connectors.qbo_stripe.settling import WebhookService
from ml_connector.connectors.qbo_stripe.story import Story
from ml_connector.engine.cli.progress import progress_display
from ml_connector.engine.cli.reconcile import (
    discrepancy_lines,
    mismatch_lines,
    money_table,
    reconcile_all,
    report_table,
)
from ml_connector.engine.cli.summaries import (
    failures_reported_here,
    listed_once,
    run_summary_line,
    skip_lines,
)
from ml_connector.engine.errors import InvalidInput, RecordsFailed
from ml_connector.engine.model.project import PROJECT_FILE
from ml_connector.engine.sync.cross_checks import Period
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
    console.print(f"the project is kept in {directory}; bring its emulators back with\n"
                  "the state the demo left (Ctrl-C stops them):\n"
                  f"  ml-connector -p {project} emulators start\n"
                  "then, in another terminal, for example:\n"
                  f"  ml-connector -p {project} status\n"
                  f"  ml-connector -p {project} reconcile\n"
                  f"  ml-connector -p {project} serve", soft_wrap=True)


def _run(folder: Path, console: Console, options: SandboxOptions) -> None:
    console.rule("ml-connector demo")
    with console.status("starting the QuickBooks and Stripe emulators, authorising..."):
        sandbox = Sandbox(folder, options).__enter__()
    try:
        _say(console, f"project in {folder}")
        _say(console, f"QuickBooks at {sandbox.qbo_url}, Stripe at {sandbox.stripe_url}")
        runtime = sandbox.runtime()
        try:
            _first_sync(runtime, console)
            with WebhookService(sandbox, runtime) as service:
                _say(console, f"serve is taking webhooks at {service.url}/webhooks/<connection>")
                _a_month_of_business(sandbox, runtime, service, console)
            _report(sandbox, runtime, console)
        finally:
            runtime.close()
    finally:
        sandbox.stop()


def _say(console: Console, text: str) -> None:
    """One line as written: a long path or URL is never broken in two by the console."""
    console.print(text, soft_wrap=True, highlight=False, markup=False)


def _first_sync(runtime: Runtime, console: Console) -> None:
    console.print("first sync of every pipeline:")
    with progress_display(console, quiet=False) as progress, failures_reported_here():
        runner = Runner(runtime, on_outcome=lambda outcome: progress.advance(outcome.pipeline),
                        on_total=progress.total)
        summaries = runner.run_all()
    for summary in summaries:
        _say(console, f"  {run_summary_line(summary)}")
        for line in skip_lines(summary.skip_reasons, console.width - 2):
            _say(console, f"  {line}")
        failures = [f"    failed {f.source_id}: {f.error}" for f in summary.failures]
        for line in listed_once(failures, "    and {n} more failed"):
            _say(console, line)
    if any(s.failed or s.stopped for s in summaries):
        raise RecordsFailed("the first sync had failures; see `ml-connector audit list`")


def _a_month_of_business(sandbox: Sandbox, runtime: Runtime, service: WebhookService,
                         console: Console) -> None:
    """Each step prints a line when done; on a terminal a bar shows how far the month is."""
    month = "a month of business"
    with progress_display(console, quiet=not console.is_terminal, unit="steps",
                          rate=False) as progress:
        def settle() -> None:
            service.settle()
            progress.advance(month)

        story = Story(sandbox, runtime, settle, echo=lambda text: _say(console, f"  • {text}"))
        progress.total(month, len(story.steps()))
        story.play()


def _report(sandbox: Sandbox, runtime: Runtime, console: Console) -> None:
    """The product's reconciliation, money included, over everything the demo did."""
    result = reconcile_all(runtime, list(runtime.pipelines.order), Period(), console,
                           quiet=False)
    problems = uncovered_problems(sandbox)
    report_table(result.pipelines, console.width).print(console)
    money_table(result.money, console.width).print(console)
    for text in [*mismatch_lines(result.mismatches, console.width),
                 *discrepancy_lines(result.discrepancies, console.width),
                 *listed_once(problems, "and {n} more problems")]:
        console.print(Text(text, style="red"), soft_wrap=True)
    if result.failed or problems:
        raise RecordsFailed(f"{result.failed + len(problems)} thing(s) do not reconcile; "
                            f"{result.summary_line()}")
    console.print(f"[green]everything reconciles: {result.ran:,} checks ran (record by record "
                  "and in money), 0 failed[/green]")
