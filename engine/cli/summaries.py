"""How a run, a plan or a reconciliation ends on screen: short lines, each problem once.

A summary line names only what happened (`customers-to-billing: 30 created, 2 failed`), so
it stays within 80 columns for any shipped pipeline. Skips say why, one line per reason.
Failed records are listed once each, up to `SHOWN`; beyond that a line says how many more
there are and where to read them, because a mapping error repeated a thousand times hides
the one line that matters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from ml_connector.engine.cli.tables import shorten
from ml_connector.engine.sync.outcome import RunSummary

SHOWN = 10


def run_summary_line(summary: RunSummary) -> str:
    """`name: 30 created, 2 updated (2 adopted), 12 skipped, 1 failed`; zeros left out."""
    d = summary.as_dict()
    updated = f"{d['updated']:,} updated" + (f" ({d['adopted']:,} adopted)" if d["adopted"]
                                              else "")
    parts = [(d["created"], f"{d['created']:,} created"), (d["updated"], updated),
             (d["unchanged"], f"{d['unchanged']:,} unchanged"),
             (d["removed"], f"{d['removed']:,} removed"),
             (d["skipped"], f"{d['skipped']:,} skipped"), (d["failed"], f"{d['failed']:,} failed")]
    counts = ", ".join(text for n, text in parts if n) or "nothing to sync"
    return f"{d['pipeline']}: {counts}"


def skip_lines(reasons: Mapping[str, int], width: int, *, verb: str = "skipped") -> list[str]:
    """`  12 skipped (filter: record.Active)`, most frequent reason first, within `width`."""
    lines = []
    for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
        head = f"  {count:,} {verb} ("
        lines.append(f"{head}{shorten(reason, max(width - len(head) - 1, 8))})")
    return lines


KEPT_BECAUSE = "the mapping no longer sets it, but the connector cannot clear it"


def kept_lines(kept: Mapping[str, int], width: int) -> list[str]:
    """`  2 record(s) keep email: ...`, for fields the target's connector left in place."""
    lines = []
    for name, count in sorted(kept.items(), key=lambda item: (-item[1], item[0])):
        lines.append("  " + shorten(f"{count:,} record(s) keep {name}: {KEPT_BECAUSE}",
                                    width - 2))
    return lines


def listed_once(items: Iterable[str], more: str, *, limit: int = SHOWN) -> list[str]:
    """Each distinct item once, the first `limit` of them, then `more` (with `{n}`, the rest)."""
    distinct = list(dict.fromkeys(items))
    if len(distinct) <= limit:
        return distinct
    return [*distinct[:limit], more.format(n=f"{len(distinct) - limit:,}")]


@contextmanager
def failures_reported_here() -> Iterator[None]:
    """While a command lists failed records itself, the runner's warning per failed record
    would print each of them twice; with -v both are shown."""
    sync_log = logging.getLogger("ml_connector.sync")
    if sync_log.getEffectiveLevel() < logging.WARNING:
        yield
        return
    previous = sync_log.level
    sync_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        sync_log.setLevel(previous)
