"""`ml-connector replay`: sync failed records again once their cause is fixed.

Exactly one selector says which records: one audit entry's, a run's failures, the failures of
a time range, or every record whose latest attempt failed. Each is re-read from its source
and rendered with the pipelines as they are now; see `engine.sync.replay` for why this can
never create a second target record. Exit code 1 when anything still fails.
"""

from __future__ import annotations

from datetime import datetime

import click

from ml_connector.engine.cli.audit import WHEN, json_option
from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.cli.summaries import failures_reported_here, listed_once
from ml_connector.engine.errors import RecordsFailed
from ml_connector.engine.sync.replay import Replay, ReplayReport, Selection

SELECTORS = "--id, --run, --since/--until or --failed"


@click.command()
@click.option("--id", "audit_id", type=int, help="The record of this audit entry.")
@click.option("--run", "run_id", help="Every record whose latest attempt in this run failed.")
@click.option("--since", type=WHEN, help="Records that failed from this time on "
                                          "(ISO, UTC by default; or 2h, 7d).")
@click.option("--until", type=WHEN, help="Records that failed before this time.")
@click.option("--failed", is_flag=True, help="Every record whose latest attempt failed.")
@json_option
@pass_state
def replay(state: CliState, audit_id: int | None, run_id: str | None,
           since: datetime | None, until: datetime | None, failed: bool) -> None:
    """Re-read failed records from their source and sync them with today's pipelines."""
    chosen = [audit_id is not None, run_id is not None,
              since is not None or until is not None, failed]
    if sum(chosen) != 1:
        raise click.UsageError(f"choose exactly one of {SELECTORS}")
    replayer = Replay(state.runtime())
    selection = _select(replayer, audit_id, run_id, since, until)
    with failures_reported_here():
        report = replayer.run(selection)
    if state.json_output:
        state.emit_json(report.as_dict())
    else:
        _print(report)
    if report.stopped:
        raise RecordsFailed(f"replay stopped: {report.stopped}")
    if report.failures:
        raise RecordsFailed(f"{len(report.failures)} record(s) still failing; they stay in "
                            "the audit trail (ml-connector audit list --outcome failed)")


def _select(replayer: Replay, audit_id: int | None, run_id: str | None,
            since: datetime | None, until: datetime | None) -> Selection:
    if audit_id is not None:
        return replayer.by_audit_id(audit_id)
    if run_id is not None:
        return replayer.by_run(run_id)
    if since is not None or until is not None:
        return replayer.by_time(since, until)
    return replayer.all_failed()


def _print(report: ReplayReport) -> None:
    """A line per record, those still failing first, up to a limit; the audit has the rest."""
    lines = []
    for outcome in sorted(report.outcomes, key=lambda o: not o.failed):
        result = f"failed: {outcome.error}" if outcome.failed else outcome.action
        target = f" -> {outcome.target_id}" if outcome.target_id and not outcome.failed else ""
        lines.append(f"{outcome.pipeline} {outcome.source_id}: {result}{target}")
    more = f"and {{n}} more: ml-connector audit list --run {report.run_id}"
    for line in listed_once(lines, more):
        click.echo(line)
    left_out = [f"{item.pipeline} {item.source_id}: left out, {reason}"
                for item, reason in report.left_out]
    for line in listed_once(left_out, "and {n} more left out"):
        click.echo(line)
    if not report.outcomes and not report.stopped:
        click.echo("nothing to replay")
        return
    counts = ", ".join(f"{n} {action}" for action, n in report.counts().items()) or "none"
    click.echo(f"replay {report.run_id}: {len(report.outcomes)} record(s) replayed ({counts}), "
               f"{len(report.failures)} still failing")
    if report.stopped:
        click.echo(f"stopped: {report.stopped}", err=True)
