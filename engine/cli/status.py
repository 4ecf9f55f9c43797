"""`ml-connector status`: is every pipeline running, is anything stuck, can the next run log in.

It ends with the verdict `serve`'s `/healthz` gives, from the same stored facts: ok, or
degraded with one line per problem and the command that fixes it where there is one.
"""

from __future__ import annotations

from datetime import datetime

import click

from ml_connector.engine.cli.audit import answer_text, json_option, when_text
from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.cli.tables import labelled
from ml_connector.engine.store import Backlog, PollRecord
from ml_connector.engine.sync.status import PipelineStatus, Status, age_seconds, collect_status
from ml_connector.engine.sync.values import LABELS, readable
from ml_connector.engine.triggers.health import ConnectionHealth, span

CURSOR_SHOWN = 40
WIDTH = 80  # status is read in terminals and in mails from cron alike


@click.command()
@json_option
@pass_state
def status(state: CliState) -> None:
    """Per pipeline: last run and poll, cursor, links, pending creates; inbox; token health;
    and whether the service is healthy, problem by problem."""
    snapshot = collect_status(state.runtime())
    if state.json_output:
        state.emit_json(snapshot.as_dict())
        return
    for line in status_lines(snapshot):
        click.echo(line)


def status_lines(snapshot: Status) -> list[str]:
    lines: list[str] = []
    for pipeline in snapshot.pipelines:
        lines += _pipeline_lines(pipeline, snapshot.at)
    lines += _inbox_lines(snapshot.inbox, snapshot.at)
    lines.append("token health:")
    for connection in snapshot.connections:
        lines += labelled(f"  {connection.name} ({connection.connector}): ",
                          _health_text(connection), WIDTH)
    if snapshot.healthy:
        lines.append("health: ok")
    else:
        lines.append(f"health: degraded, {len(snapshot.problems)} problem(s):")
        for problem in snapshot.problems:
            lines += labelled("  - ", str(problem), WIDTH)
    return lines


def _inbox_lines(inbox: Backlog, now: datetime) -> list[str]:
    line = f"inbox: {inbox.depth} event(s) waiting"
    if inbox.depth and inbox.oldest_received_at is not None:
        line += f", the oldest received {ago(inbox.oldest_received_at, now)}"
    lines = [line]
    if inbox.depth and inbox.last_error:
        lines.append(f"  retrying after: {inbox.last_error}")
    return lines


def _pipeline_lines(p: PipelineStatus, now: datetime) -> list[str]:
    run = p.last_run
    lines = [p.name]
    if run is None:
        lines.append("  last run   never")
    else:  # when, then which run: on one line they would not fit 80 columns
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(run.counts.items()))
        lines += [f"  last run   {when_text(run.finished)} UTC ({ago(run.finished, now)}), "
                  f"{p.last_trigger or 'unknown trigger'}",
                  f"  run        {run.run_id}: {counts}"]
    cursor = "none stored"
    if p.cursor is not None:
        shown = p.cursor if len(p.cursor) <= CURSOR_SHOWN else p.cursor[:CURSOR_SHOWN] + "..."
        cursor = f"{shown} (stored {ago(p.cursor_stored, now)})"
    lines += [f"  cursor     {cursor}",
              f"  links      {p.links}",
              f"  pending    {p.pending_intents} create(s) not yet confirmed"]
    if p.last_poll is not None:
        lines += labelled("  last poll  ", _poll_text(p.last_poll, now), WIDTH)
    if p.last_answer:
        answer = p.last_answer
        lines += labelled("  last write ", f"{answer.get('target_id')} (source "
                                            f"{answer.get('source_id')}): "
                                            f"{answer_text(answer)}", WIDTH)
    if p.failing_records:
        lines.append(f"  failing    {p.failing_records} record(s); "
                     "retry with `ml-connector replay --failed`")
    return lines


def _poll_text(poll: PollRecord, now: datetime) -> str:
    when = f"{when_text(poll.attempted_at)} UTC ({ago(poll.attempted_at, now)})"
    if not poll.failing:
        return f"{when}: {poll.outcome}"
    streak = ("failed" if poll.failures_in_row == 1
              else f"failed {poll.failures_in_row} times in a row")
    if poll.failing_since is not None and poll.failures_in_row > 1:
        streak += f" since {when_text(poll.failing_since)} UTC"
    return f"{when}: {streak}: {poll.error}"


def _health_text(c: ConnectionHealth) -> str:
    if c.error is not None:
        return f"unavailable: {c.error}"
    if c.health is None:
        return "n/a"
    if c.authorised is False:
        fix = c.health.get("fix")
        broken = f"broken: {c.health.get('problem') or 'not authorised'}"
        return f"{broken}; {fix}" if fix else broken
    return readable(c.health, LABELS) or "n/a"


def ago(then: datetime | None, now: datetime) -> str:
    """'5s ago', '3m ago', '2h ago', '4d ago': the unit a person reads at a glance."""
    seconds = age_seconds(then, now)
    return "never" if seconds is None else f"{span(seconds)} ago"
