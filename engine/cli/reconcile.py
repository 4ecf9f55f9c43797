"""`ml-connector reconcile`: where the systems disagree, record by record and in money.

Two kinds of check run: each pipeline's records field by field (engine/sync/reconcile.py),
and the cross-system checks installed packages contribute (engine/sync/cross_checks.py),
such as every payment in one system booked once in the other. The latter look at a period of
days, by default from the day the pipelines began with this store.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import click
from rich.console import Console

from ml_connector.engine.cli.audit import json_option
from ml_connector.engine.cli.progress import progress_display
from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.cli.summaries import listed_once
from ml_connector.engine.cli.tables import Col, FittedTable, fit_table
from ml_connector.engine.errors import RecordsFailed
from ml_connector.engine.sync.cross_checks import (
    CrossCheck,
    CrossCheckReport,
    Discrepancy,
    Period,
    installed_checks,
    pipelines_began,
    run_checks,
)
from ml_connector.engine.sync.reconcile import Mismatch, PipelineReport
from ml_connector.engine.sync.reconcile import reconcile as make_report
from ml_connector.engine.sync.runtime import Runtime

REPORT_COLUMNS = (Col("pipeline", min_width=16), Col("checked", keep=True, justify="right"),
                  Col("in step", keep=True, justify="right"),
                  Col("skipped", keep=True, justify="right"),
                  Col("mismatches", keep=True, justify="right"))
MONEY_COLUMNS = (Col("money", min_width=16), Col("checked", keep=True, justify="right"),
                 Col("failed", keep=True, justify="right"))
DAY = click.DateTime(formats=["%Y-%m-%d"])


@dataclass
class Reconciliation:
    """Everything one `reconcile` found: per pipeline, per money rule, and the period."""

    period: Period
    pipelines: list[PipelineReport] = field(default_factory=list)
    money: list[CrossCheckReport] = field(default_factory=list)

    @property
    def mismatches(self) -> list[Mismatch]:
        return list(dict.fromkeys(m for r in self.pipelines for m in r.mismatches))

    @property
    def discrepancies(self) -> list[Discrepancy]:
        return [d for r in self.money for d in r.discrepancies]

    @property
    def ran(self) -> int:
        return sum(r.checked for r in self.pipelines) + sum(r.checked for r in self.money)

    @property
    def failed(self) -> int:
        return len(self.mismatches) + len(self.discrepancies)

    def summary_line(self) -> str:
        counts = f"{self.ran:,} checks ran, {self.failed:,} failed"
        return counts if self.failed else f"everything reconciles: {counts}"

    def as_dict(self) -> dict[str, Any]:
        return {"clean": not self.failed, "period": self.period.as_dict(),
                "checks": {"ran": self.ran, "failed": self.failed},
                "pipelines": [r.as_dict() for r in self.pipelines],
                "money": [r.as_dict() for r in self.money],
                "mismatches": [*(_field_entry(m) for m in self.mismatches),
                               *(d.as_dict() for d in self.discrepancies)]}


@click.command()
@click.argument("names", nargs=-1)
@click.option("--since", type=DAY, help="Money moved from this day on (YYYY-MM-DD, UTC; "
                                        "default: the day the pipelines began).")
@click.option("--until", type=DAY, help="Money moved up to this day, included (YYYY-MM-DD).")
@json_option
@pass_state
def reconcile(state: CliState, names: tuple[str, ...], since: datetime | None,
              until: datetime | None) -> None:
    """Compare both systems record by record and in money; exit 1 on any mismatch.

    NAMES limits the record-by-record comparison to these pipelines; the money checks always
    look at every pipeline that books money.
    """
    runtime = state.runtime()
    chosen = [runtime.pipelines.get(n).name for n in names] or list(runtime.pipelines.order)
    period = default_period(runtime, since.date() if since else None,
                            until.date() if until else None)
    result = reconcile_all(runtime, chosen, period, state.err, quiet=state.json_output)
    if state.json_output:
        state.emit_json(result.as_dict())
    else:
        print_reconciliation(result, state.console)
    if result.failed:
        raise RecordsFailed(f"{result.failed} check(s) failed")


def default_period(runtime: Runtime, since: date | None, until: date | None) -> Period:
    """The days asked for; an open start means since the pipelines began (or, for a
    period that ends before they began, from the very start)."""
    if since is None:
        began = pipelines_began(runtime.store)
        since = began if until is None or began is None or began <= until else None
    return Period(since, until)


def reconcile_all(runtime: Runtime, names: list[str], period: Period, console: Console, *,
                  quiet: bool, checks: list[CrossCheck] | None = None) -> Reconciliation:
    """Record by record for `names`, then every installed cross-system check."""
    result = Reconciliation(period, reconcile_with_progress(runtime, names, console,
                                                            quiet=quiet))
    chosen = installed_checks() if checks is None else checks
    with progress_display(console, quiet=quiet) as progress:
        result.money = run_checks(runtime, period, chosen, progress.advance)
    return result


def reconcile_with_progress(runtime: Runtime, names: list[str], console: Console, *,
                            quiet: bool) -> list[PipelineReport]:
    """Reconcile pipeline by pipeline, each record examined counted on the display."""
    with progress_display(console, quiet=quiet) as progress:
        return [report for name in names
                for report in make_report(runtime, [name],
                                          on_record=lambda name=name: progress.advance(name))]


def print_reconciliation(result: Reconciliation, console: Console) -> None:
    """The two tables, each problem with its fix, and how many checks ran and failed."""
    report_table(result.pipelines, console.width).print(console)
    if result.money:
        money_table(result.money, console.width).print(console)
    for text in [*mismatch_lines(result.mismatches, console.width),
                 *discrepancy_lines(result.discrepancies, console.width)]:
        console.print(text, soft_wrap=True, highlight=False, markup=False)
    console.print(result.summary_line(), highlight=False, markup=False)


def report_table(reports: list[PipelineReport], width: int) -> FittedTable:
    rows = [[r.pipeline, f"{r.checked:,}", f"{r.matched:,}", f"{r.skipped:,}",
             f"{len(r.mismatches):,}"] for r in reports]
    return fit_table(REPORT_COLUMNS, rows, width, title="reconciliation")


def money_table(reports: list[CrossCheckReport], width: int) -> FittedTable:
    rows = [[r.check, f"{r.checked:,}", f"{len(r.discrepancies):,}"] for r in reports]
    return fit_table(MONEY_COLUMNS, rows, width, title="money")


def mismatch_lines(mismatches: list[Mismatch], width: int = 80) -> list[str]:
    """Each mismatch once, wrapped to `width`, up to a limit, then how many more: `--json`
    has them all."""
    wrap = {"width": width, "break_long_words": False, "break_on_hyphens": False}
    texts = []
    for m in mismatches:
        target = f" -> {m.target_id}" if m.target_id else ""
        texts.append("\n".join([
            *textwrap.wrap(f"{m.pipeline} {m.source_id}{target}: {m.kind}: {m.detail}",
                           subsequent_indent="    ", **wrap),
            *textwrap.wrap(f"fix: {m.fix}", initial_indent="    ", subsequent_indent="      ",
                           **wrap)]))
    return listed_once(texts, "and {n} more: ml-connector reconcile --json lists them all")


def discrepancy_lines(found: list[Discrepancy], width: int = 80) -> list[str]:
    """Each money problem wrapped to `width`, its fix command alone on the next line."""
    wrap = {"width": width, "break_long_words": False, "break_on_hyphens": False}
    texts = ["\n".join([*textwrap.wrap(f"{d.check}: {d.kind}: {d.detail}",
                                       subsequent_indent="    ", **wrap),
                        f"    fix: {d.fix}"]) for d in found]
    return listed_once(texts, "and {n} more money problems: ml-connector reconcile --json "
                              "lists them all")


def _field_entry(m: Mismatch) -> dict[str, Any]:
    """A record-by-record mismatch in the shape of the money ones, for one list of all."""
    ids = {"source": m.source_id, **({"target": m.target_id} if m.target_id else {})}
    return {"check": m.pipeline, "kind": m.kind, "ids": ids, "amounts": {},
            "detail": m.detail, "fix": m.fix}
