"""Progress of long work: a bar on a terminal, a status line now and then when piped.

A run over thousands of records must not look hung. On a terminal each task (a pipeline)
gets a bar with records done, the total when the source knows it, and the rate; they vanish
when the work ends and the summary is printed. When stderr is a file or a pipe, a bar would
be noise, so every `STATUS_EVERY` seconds one line per task that moved on says how far it
got (`invoices-to-billing: 1,200 records, 85/s`). With `--json` nothing is shown at all.
Totals are often unknown (sources are read page by page), so done and rate come first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

STATUS_EVERY = 5.0          # seconds between status lines when piped
clock: Callable[[], float] = time.monotonic


class Tracker(Protocol):
    """What long work reports to: thread-safe, so concurrent pipelines can share one."""

    def advance(self, task: str, count: int = 1) -> None: ...

    def total(self, task: str, total: int) -> None: ...


def progress_display(console: Console, *, quiet: bool, unit: str = "records",
                     rate: bool = True) -> AbstractContextManager[Tracker]:
    """The display that suits where `console` writes: a bar, status lines, or nothing.

    `rate` adds "85/s": right for records, noise for a handful of slow steps.
    """
    if quiet:
        return _Silent()
    if console.is_terminal:
        return _Bars(console, unit, rate=rate)
    return _Lines(lambda line: console.out(line, highlight=False), unit, every=STATUS_EVERY,
                  now=clock, rate=rate)


def rate_text(per_second: float) -> str:
    return f"{per_second:,.0f}/s" if per_second >= 10 else f"{per_second:.1f}/s"


class _Silent(AbstractContextManager["_Silent"]):
    def advance(self, task: str, count: int = 1) -> None:
        pass

    def total(self, task: str, total: int) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        pass


class _Bars(AbstractContextManager["_Bars"]):
    """rich's live bars, one per task, added when a task first reports."""

    def __init__(self, console: Console, unit: str, *, rate: bool):
        columns = [TextColumn("{task.description}"), BarColumn(), _DoneColumn(unit),
                   *([_RateColumn()] if rate else []), TimeElapsedColumn()]
        self._progress = Progress(*columns, console=console, transient=True)
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> _Bars:
        self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.stop()

    def advance(self, task: str, count: int = 1) -> None:
        self._progress.advance(self._task(task), count)

    def total(self, task: str, total: int) -> None:
        self._progress.update(self._task(task), total=total)

    def _task(self, name: str) -> TaskID:
        with self._lock:
            if name not in self._tasks:
                self._tasks[name] = self._progress.add_task(name, total=None)
            return self._tasks[name]


class _DoneColumn(ProgressColumn):
    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        done = int(task.completed)
        if task.total is None:
            return Text(f"{done:,} {_unit(self.unit, done)}")
        return Text(f"{min(done, int(task.total)):,}/{int(task.total):,} {self.unit}")


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(rate_text(task.speed) if task.speed else "")


@dataclass
class _Count:
    started: float
    done: int = 0
    total: int | None = None
    reported: int = 0


class _Lines(AbstractContextManager["_Lines"]):
    """One line per task that moved on, at most every `every` seconds."""

    def __init__(self, write: Callable[[str], None], unit: str, *, every: float,
                 now: Callable[[], float], rate: bool = True):
        self._write, self._unit, self._every, self._now = write, unit, every, now
        self._rate = rate
        self._counts: dict[str, _Count] = {}
        self._lock = threading.Lock()
        self._last = now()

    def __exit__(self, *exc: Any) -> None:
        pass

    def advance(self, task: str, count: int = 1) -> None:
        with self._lock:
            self._count(task).done += count
            lines = self._due()
        for line in lines:
            self._write(line)

    def total(self, task: str, total: int) -> None:
        with self._lock:
            self._count(task).total = total

    def _count(self, task: str) -> _Count:
        if task not in self._counts:
            self._counts[task] = _Count(started=self._now())
        return self._counts[task]

    def _due(self) -> list[str]:
        now = self._now()
        if now - self._last < self._every:
            return []
        self._last = now
        lines = []
        for name, count in self._counts.items():
            if count.done != count.reported:
                count.reported = count.done
                lines.append(self._line(name, count, now - count.started))
        return lines

    def _line(self, name: str, count: _Count, elapsed: float) -> str:
        done = f"{count.done:,}"
        if count.total is not None:
            done = f"{min(count.done, count.total):,} of {count.total:,}"
        unit = _unit(self._unit, count.done) if count.total is None else self._unit
        # a rate over less than a second says more about the clock than about the work
        rate = f", {rate_text(count.done / elapsed)}" if self._rate and elapsed >= 1 else ""
        return f"{name}: {done} {unit}{rate}"


def _unit(unit: str, count: int) -> str:
    """The unit as a count of it reads: 1 record, 2 records."""
    return unit.removesuffix("s") if count == 1 else unit
