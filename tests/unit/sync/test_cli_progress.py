"""Long work shows how far it got: status lines when piped, a bar on a terminal, none in JSON.

Time is a fake clock that moves one second each time it is read, so a status line is due
every few records and no test waits.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_plugins
from memory_system import MemoryConnector, MemoryPlugin
from rich.console import Console
from test_audit_cli import CliWorld, make_cli_world

from ml_connector.engine.cli import progress
from ml_connector.engine.plugins.protocol import ConnectorContext
from ml_connector.engine.records import ChangePage

PEOPLE = "contacts-to-people"
STATUS = re.compile(r"^contacts-to-people: ([\d,]+)( of 12)? records?(, [\d.,]+/s)?$")


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = itertools.count()
    monkeypatch.setattr(progress, "clock", lambda: float(next(ticks)))


class CountingConnector(MemoryConnector):
    """A source that knows up front how many records a read yields."""

    def read_changes(self, entity: str, cursor: str | None) -> Iterator[ChangePage]:
        pages = list(super().read_changes(entity, cursor))
        total = sum(len(page.records) for page in pages)
        for page in pages:
            yield ChangePage(page.records, page.cursor, total)


class CountingPlugin(MemoryPlugin):
    def connect(self, context: ConnectorContext) -> MemoryConnector:
        return CountingConnector(self.system)


def with_contacts(world: CliWorld, count: int = 12) -> CliWorld:
    for n in range(count):
        world.alpha.put("contact", f"c{n:02}", {"name": f"Person {n}"})
    return world


@pytest.fixture
def piped(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> CliWorld:
    return with_contacts(make_cli_world(tmp_path, store_url, monkeypatch, capsys))


def statuses(err: str) -> list[int]:
    """The record counts of the status lines; fails on any other line."""
    counts = []
    for line in err.splitlines():
        match = STATUS.match(line)
        assert match, f"not a status line: {line!r}"
        counts.append(int(match.group(1).replace(",", "")))
    return counts


def test_a_piped_run_prints_a_status_line_now_and_then(piped: CliWorld) -> None:
    result = piped("pipeline", "run", PEOPLE)
    assert result.code == 0
    counts = statuses(result.err)
    assert 1 < len(counts) < 12                      # every few records, not every record
    assert counts == sorted(counts) and counts[-1] <= 12
    assert result.out == f"{PEOPLE}: 12 created\n"   # the summary stays alone on stdout


def test_a_status_line_gives_the_total_when_the_source_knows_it(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    alpha, beta = make_plugins()
    counting = CountingPlugin("alpha", alpha.entities())
    world = with_contacts(make_cli_world(tmp_path, store_url, monkeypatch, capsys,
                                         {"alpha": counting, "beta": beta}))
    err = world("pipeline", "run", PEOPLE).err
    assert statuses(err) and all(" of 12 records" in line for line in err.splitlines())


def test_plan_and_reconcile_report_progress_too(piped: CliWorld) -> None:
    assert statuses(piped("pipeline", "plan", PEOPLE).err)
    piped("pipeline", "run", PEOPLE)
    reconciled = piped("reconcile", PEOPLE)
    assert reconciled.code == 0 and statuses(reconciled.err)


def test_json_output_shows_no_progress(piped: CliWorld) -> None:
    for command in (("pipeline", "plan", PEOPLE), ("pipeline", "run", PEOPLE),
                    ("reconcile", PEOPLE)):
        assert piped("--json", *command).err == ""


def test_a_task_that_did_not_move_is_not_reported_again() -> None:
    out = io.StringIO()
    with progress.progress_display(Console(file=out), quiet=False) as tracker:
        tracker.advance("first")          # clock 2: too soon
        tracker.advance("second", 5)      # clock 4..: too soon
        for _ in range(6):
            tracker.advance("first")      # a line with both, then only "first"
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("first: ") and lines[1].startswith("second: 5 records")
    assert all(line.startswith("first: ") for line in lines[2:])


def test_a_terminal_gets_a_bar_with_done_of_total() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with progress.progress_display(console, quiet=False) as tracker:
        tracker.total("invoices", 40)
        tracker.advance("invoices", 30)
    assert "invoices" in out.getvalue() and "30/40 records" in out.getvalue()
