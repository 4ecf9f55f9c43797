"""`ml-connector status`: is every pipeline running, is anything stuck, can the next run log in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import click

from ml_connector.engine.cli.audit import json_option, when_text
from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.sync.status import (
    ConnectionHealth,
    PipelineStatus,
    Status,
    age_seconds,
    collect_status,
)

CURSOR_SHOWN = 40


@click.command()
@json_option
@pass_state
def status(state: CliState) -> None:
    """Per pipeline: last run, cursor, links, pending creates; inbox depth; token health."""
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
    lines.append(f"inbox: {snapshot.inbox_depth} event(s) waiting")
    lines.append("token health:")
    lines += [f"  {_health_line(c)}" for c in snapshot.connections]
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
    if p.failing_records:
        lines.append(f"  failing    {p.failing_records} record(s); "
                     "retry with `ml-connector replay --failed`")
    return lines


def _health_line(c: ConnectionHealth) -> str:
    head = f"{c.name} ({c.connector}):"
    if c.error is not None:
        return f"{head} unavailable: {c.error}"
    if c.health is None:
        return f"{head} n/a"
    return f"{head} {_pairs(c.health) or 'n/a'}"


def _pairs(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}: {_value(value)}" for key, value in values.items())


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{" + _pairs(value) + "}"
    return "n/a" if value is None else str(value)


def ago(then: datetime | None, now: datetime) -> str:
    """'5s ago', '3m ago', '2h ago', '4d ago': the unit a person reads at a glance."""
    seconds = age_seconds(then, now)
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"
