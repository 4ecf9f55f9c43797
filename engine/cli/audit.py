"""`ml-connector audit list|show`: what happened to each record, when, and why.

The audit trail is how a finance team answers "what happened to invoice 1042". `list` finds
attempts by pipeline, record, outcome, run and time; `show` tells one attempt's whole story,
including the other attempts on the same record, so a failure can be read next to the retry
that fixed it. Payload values are never stored, so nothing here can show them: the "diff" is
which fields were sent and whether the payload's hash changed since the previous attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click
from rich import box

from ml_connector.engine.cli.state import CliState, pass_state
from ml_connector.engine.cli.tables import Col, FittedTable, fit_table, labelled
from ml_connector.engine.errors import InvalidInput
from ml_connector.engine.loading.durations import parse_duration
from ml_connector.engine.store.audit import AuditEntry
from ml_connector.engine.sync.replay import source_id_of

OUTCOMES = ("ok", "unchanged", "skipped", "failed", "retried")
HISTORY = 20
F = TypeVar("F", bound=Callable[..., Any])


class When(click.ParamType):
    """An ISO date or date-time (UTC unless it has an offset), or an age such as 2h or 7d."""

    name = "when"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            return datetime.now(UTC) - timedelta(seconds=parse_duration(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"'{text}' is not a time; write 2024-05-01, 2024-05-01T13:30, "
                      "2024-05-01T13:30+02:00, or an age such as 30m, 2h, 7d", param, ctx)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


WHEN = When()


def json_option(command: F) -> F:
    """`--json` after the command as well as before it (`audit list --json`)."""

    def enable(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            ctx.ensure_object(CliState).json_output = True

    return click.option("--json", "json_output", is_flag=True, expose_value=False,
                        callback=enable, help="Machine-readable JSON output.")(command)


def when_text(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    """One audit row as scripts read it; the same keys in `list` and `show`."""
    return {
        "id": entry.id, "at": entry.at.isoformat() if entry.at else None,
        "run_id": entry.run_id, "trigger": entry.trigger, "pipeline": entry.pipeline,
        "source_ref": entry.source_ref, "target_ref": entry.target_ref,
        "action": entry.action, "outcome": entry.outcome, "error": entry.error,
        "reason": reason_of(entry),
        "request_ids": list(entry.request_ids), "request_summary": entry.request_summary,
    }


@click.group()
def audit() -> None:
    """Read the audit trail: every attempt on every record."""


@audit.command("list")
@click.option("--pipeline", help="Only this pipeline's attempts.")
@click.option("--record", help="A record's id in either system, or a ref such as "
                               "conn/entity/id.")
@click.option("--outcome", type=click.Choice(OUTCOMES), help="Only attempts that ended so.")
@click.option("--run", "run_id", help="Only this run's attempts.")
@click.option("--since", type=WHEN, help="From this time on (ISO, UTC by default; or 2h, 7d).")
@click.option("--until", type=WHEN, help="Before this time (ISO, UTC by default; or 2h, 7d).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="At most this many attempts, newest first.")
@json_option
@pass_state
def list_entries(state: CliState, pipeline: str | None, record: str | None,
                 outcome: str | None, run_id: str | None, since: datetime | None,
                 until: datetime | None, limit: int) -> None:
    """Attempts matching every filter given, newest first."""
    runtime = state.runtime()
    entries = runtime.store.audit.query(pipeline=pipeline, record=record, outcome=outcome,
                                        run_id=run_id, since=since, until=until, limit=limit,
                                        newest_first=True)
    if state.json_output:
        state.emit_json([entry_dict(e) for e in entries])
        return
    if not entries:
        hint = ""
        if pipeline is not None and pipeline not in runtime.pipelines:
            hint = f" (the project has no pipeline '{pipeline}')"
        click.echo(f"no audit entries match{hint}")
        return
    fitted = audit_table(entries, state.console.width)
    fitted.print(state.console)
    if fitted.left_out:
        click.echo(f"({', '.join(fitted.left_out)}: left out at this width; "
                   "`audit show ID` has them)")


AUDIT_COLUMNS = (
    Col("id", keep=True, justify="right"), Col("time (UTC)", keep=True),
    Col("pipeline", min_width=12, shrink_rank=1), Col("source", min_width=16, keep_end=True),
    Col("action", keep=True), Col("outcome", keep=True, drop_rank=3),
    Col("target", min_width=14, keep_end=True, drop_rank=2),
    Col("detail", min_width=16, drop_rank=1),
)


def audit_table(entries: list[AuditEntry], width: int) -> FittedTable:
    """One attempt per line, ids always whole: `audit show ID` is the next command."""
    rows = [[str(e.id), when_text(e.at), e.pipeline, e.source_ref or "-", e.action, e.outcome,
             e.target_ref or "-", _first_line(e.error or reason_of(e) or "")]
            for e in entries]
    return fit_table(AUDIT_COLUMNS, rows, width, box=box.SIMPLE_HEAD, show_edge=False,
                     pad_edge=False, collapse_padding=True)


def reason_of(entry: AuditEntry) -> str | None:
    """Why an attempt wrote nothing (the filter that excluded the record, ...), if recorded."""
    return (entry.request_summary or {}).get("reason")


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


@audit.command("show")
@click.argument("entry_id", metavar="ID", type=int)
@json_option
@pass_state
def show(state: CliState, entry_id: int) -> None:
    """One attempt's whole story, with the other attempts on the same record."""
    log = state.runtime().store.audit
    entry = log.get(entry_id)
    if entry is None:
        raise InvalidInput(f"there is no audit entry {entry_id}; "
                           "`ml-connector audit list` shows the ids")
    history = list(reversed(log.query(pipeline=entry.pipeline, source_ref=entry.source_ref,
                                      limit=HISTORY, newest_first=True)))
    story = {**entry_dict(entry), "request_ids_by_system": _request_ids(entry),
             "payload": _payload(entry, history),
             "history": [{"id": h.id, "at": h.at.isoformat() if h.at else None,
                          "run_id": h.run_id, "action": h.action, "outcome": h.outcome}
                         for h in history]}
    if state.json_output:
        state.emit_json(story)
        return
    for line in _story_lines(entry, story, history, state.console.width):
        click.echo(line)


def _request_ids(entry: AuditEntry) -> dict[str, list[str]]:
    """Request ids per system ("conn/entity" -> ids), as support desks ask for them."""
    summary = entry.request_summary or {}
    sides = [summary.get(side) for side in ("source", "target")]
    if not all(isinstance(s, dict) for s in sides):
        return {"unknown": list(entry.request_ids)} if entry.request_ids else {}
    return {f"{s['connection']}/{s['entity']}": list(s.get("request_ids") or []) for s in sides}


def _payload(entry: AuditEntry, history: list[AuditEntry]) -> dict[str, Any] | None:
    """Fields sent and, against the previous attempt that rendered one, what changed."""
    summary = entry.request_summary or {}
    if "payload_hash" not in summary:
        return None
    fields = list(summary.get("fields") or [])
    earlier = [h for h in history if h.id is not None and entry.id is not None
               and h.id < entry.id and "payload_hash" in (h.request_summary or {})]
    previous = None
    if earlier:
        before = earlier[-1].request_summary or {}
        old = set(before.get("fields") or [])
        previous = {"audit_id": earlier[-1].id,
                    "same_payload": before["payload_hash"] == summary["payload_hash"],
                    "fields_added": sorted(set(fields) - old),
                    "fields_removed": sorted(old - set(fields))}
    return {"fields": fields, "hash": summary["payload_hash"], "previous": previous}


def _story_lines(entry: AuditEntry, story: dict[str, Any], history: list[AuditEntry],
                 width: int = 80) -> list[str]:
    ids = "; ".join(f"{system}: {', '.join(found) or '-'}"
                    for system, found in story["request_ids_by_system"].items()) or "-"
    pairs = [("when", f"{when_text(entry.at)} UTC"), ("trigger", entry.trigger or "-"),
             ("run", entry.run_id), ("pipeline", entry.pipeline),
             ("source", entry.source_ref or "-"), ("target", entry.target_ref or "-"),
             ("action", entry.action), ("outcome", entry.outcome), ("request ids", ids),
             ("error", entry.error or "-")]
    if reason_of(entry):
        pairs.append(("reason", reason_of(entry)))
    pairs += answer_pairs(entry)
    pairs += _payload_pairs(story["payload"])
    lines = [f"audit entry {entry.id}"]
    for label, value in pairs:
        prefix = f"  {label} " if label.endswith(":") else f"  {label:<12} "
        lines += labelled(prefix, value, width)
    if len(history) > 1:
        lines.append("  attempts on this record:")
        lines += [f"    {'*' if h.id == entry.id else ' '} {h.id:>6}  {when_text(h.at)}  "
                  f"{h.action:<12} {h.outcome:<9} run {h.run_id}" for h in history]
    if entry.outcome == "failed" and source_id_of(entry.source_ref) is not None:
        lines.append(f"  to retry it: ml-connector replay --id {entry.id}")
    return lines


def answer_text(answer: dict[str, Any]) -> str:
    """What the target said of a record it wrote, in a line: `number 1042, open, sent`,
    then the pay link (a link is kept whole: a person copies it)."""
    parts = [f"number {answer['number']}" if answer.get("number") else None,
             answer.get("status"), "sent" if answer.get("sent") else None]
    text = ", ".join(p for p in parts if p)
    link = answer.get("hosted_invoice_url")
    return f"{text}; {link}" if link and text else str(link or text or "-")


def answer_pairs(entry: AuditEntry) -> list[tuple[str, str]]:
    summary = entry.request_summary or {}
    pairs = []
    if isinstance(summary.get("answer"), dict):
        pairs.append(("answer", answer_text(summary["answer"])))
    if summary.get("written_back"):
        pairs.append(("written back", f"pay link into {summary['written_back']} of "
                                      f"{entry.source_ref}"))
    return pairs


def _payload_pairs(payload: dict[str, Any] | None) -> list[tuple[str, str]]:
    if payload is None:
        return [("payload", "none rendered")]
    pairs = [("fields sent", ", ".join(payload["fields"]) or "-"),
             ("payload hash", payload["hash"][:16])]
    previous = payload["previous"]
    if previous is not None:
        change = "same payload" if previous["same_payload"] else "payload changed"
        pairs.append((f"vs entry {previous['audit_id']}:", change + "".join(
            f"; {label} {', '.join(names)}" for label, names in (
                ("added", previous["fields_added"]),
                ("removed", previous["fields_removed"])) if names)))
    return pairs
