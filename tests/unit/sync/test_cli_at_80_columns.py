"""Every table and summary at 80 columns (what a pipe gets): ids whole, no line too long."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pytest
from conftest import PEOPLE as PEOPLE_YAML
from conftest import make_plugins
from memory_system import MemoryPlugin
from rich.cells import cell_len
from rich.console import Console
from test_audit_cli import CliWorld, make_cli_world

from ml_connector.engine.cli.tables import Col, fit_table, shorten
from ml_connector.engine.plugins.protocol import EntitySpec

PEOPLE, INVOICES = "contacts-to-people", "orders-to-invoices"
WIDTH = 80
LONG = "contact-with-an-identifier-as-long-as-some-systems-give-"   # 56 characters and a number
DESCRIPTION = ("Every contact of the address book becomes one person, so that orders can be "
               "invoiced to them; people who already exist are adopted by their e-mail "
               "address instead of being created a second time, and archived contacts are "
               "deleted from the people list.")


@pytest.fixture
def narrow(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> CliWorld:
    world = make_cli_world(tmp_path, store_url, monkeypatch, capsys)
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    return world


def seed(world: CliWorld) -> None:
    """Contacts with long ids (one that cannot render), orders for two of them, all run."""
    for n in range(1, 6):
        world.alpha.put("contact", f"{LONG}{n}", {"name": f"Person {n}",
                                                  "email": f"p{n}@x.example"})
    world.alpha.put("contact", f"{LONG}9", {"nom": "no name field"})
    world.alpha.put("order", "o1", {"contact": f"{LONG}1", "total": "5.00", "lines": []})
    world.alpha.put("order", "o2", {"contact": f"{LONG}2", "total": "7.50", "lines": []})
    world("pipeline", "run", "--all")


def too_long(text: str) -> list[str]:
    return [line for line in text.splitlines() if cell_len(line) > WIDTH]


def test_audit_list_keeps_every_id_that_audit_show_needs(narrow: CliWorld) -> None:
    seed(narrow)
    wanted = [e["id"] for e in narrow("--json", "audit", "list").json()]
    result = narrow("audit", "list")
    assert result.code == 0 and too_long(result.out) == []
    shown = [int(line.split()[0]) for line in result.out.splitlines()
             if re.match(r"^\s*\d+\s", line)]
    assert shown == wanted and len(wanted) >= 8
    failed = next(line for line in result.out.splitlines() if line.split()[0] == str(
        next(e["id"] for e in narrow("--json", "audit", "list", "--outcome", "failed").json())))
    assert "9  " in failed and " fail " in failed   # the end of the ref is the record's id
    assert "left out at this width" in result.out and "`audit show ID`" in result.out
    for audit_id in wanted:
        assert narrow("audit", "show", str(audit_id)).code == 0


def test_audit_show_wraps_long_values_under_themselves(narrow: CliWorld) -> None:
    seed(narrow)
    failed = narrow("--json", "audit", "list", "--outcome", "failed").json()[0]
    assert len(failed["error"]) > WIDTH         # the record that cannot render says why at length
    result = narrow("audit", "show", str(failed["id"]))
    # Only a ref too long for any line is left whole (an id is never broken in two).
    assert result.code == 0
    assert [len(line.split()) for line in too_long(result.out)] == [2]
    lines = result.out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  error        "))
    column = len("  error        ")
    rest = list(itertools.takewhile(lambda line: line[:column].strip() == "", lines[start + 1:]))
    assert rest and all(line[column] != " " for line in rest)  # under the value, not the margin
    assert " ".join(lines[start][column:].split() + [w for r in rest for w in r.split()]) == \
        " ".join(failed["error"].split())


def test_audit_list_on_a_wide_terminal_leaves_nothing_out(narrow: CliWorld) -> None:
    seed(narrow)
    narrow.monkeypatch.setenv("COLUMNS", "250")
    result = narrow("audit", "list")
    assert "left out" not in result.out
    assert f"alpha/contact/{LONG}9" in result.out and "beta/person/" in result.out


def test_pipeline_list_wraps_descriptions_beneath_each_name(narrow: CliWorld) -> None:
    narrow.rewrite(people=PEOPLE_YAML.replace("description: Contacts become people.",
                                              f"description: {DESCRIPTION}"))
    result = narrow("pipeline", "list")
    assert result.code == 0 and too_long(result.out) == []
    lines = result.out.splitlines()
    assert lines[0] == f"{PEOPLE}: alpha/contact -> beta/person"
    described = lines[1:lines.index("")]
    assert " ".join(line.strip() for line in described) == DESCRIPTION
    assert all(len(line) > WIDTH - 20 for line in described[:-1])   # full lines, not a word each
    assert f"{INVOICES}: alpha/order -> beta/invoice, after {PEOPLE}" in lines


def test_run_and_plan_summaries_fit(narrow: CliWorld) -> None:
    seed(narrow)
    narrow.alpha.put("contact", f"{LONG}7", {"name": "Seventh"})
    plan = narrow("pipeline", "plan", PEOPLE)
    assert f"create    {LONG}7" in plan.out
    assert plan.out.splitlines()[-1] == f"plan for {PEOPLE}: 1 create, 1 fail, 5 unchanged"
    run = narrow("pipeline", "run", PEOPLE, "--full")
    assert too_long(run.out) == []
    assert run.out.splitlines() == [f"{PEOPLE}: 1 created, 5 unchanged, 1 failed"]


def test_status_fits_and_shows_the_run_id_whole(narrow: CliWorld) -> None:
    seed(narrow)
    run_id = narrow("--json", "audit", "list").json()[0]["run_id"]
    result = narrow("status")
    assert result.code == 0 and too_long(result.out) == []
    assert f"  run        {run_id}: " in result.out


def test_reconcile_table_fits_with_every_count(narrow: CliWorld) -> None:
    seed(narrow)
    narrow.alpha.put("contact", f"{LONG}9", {"name": "Fixed now"})
    narrow("pipeline", "run", "--all")
    result = narrow("reconcile")
    assert result.code == 0 and too_long(result.out) == []
    rows = {line.split()[1]: line.split()[3:11:2] for line in result.out.splitlines()
            if line.startswith("│")}
    assert rows == {PEOPLE: ["6", "6", "0", "0"], INVOICES: ["2", "2", "0", "0"]}
    assert "everything reconciles" in result.out


def test_replay_summary_fits(narrow: CliWorld) -> None:
    seed(narrow)
    narrow.alpha.put("contact", f"{LONG}9", {"name": "Fixed now"})
    result = narrow("replay", "--failed")
    assert result.code == 0
    assert f"{PEOPLE} {LONG}9: create -> person_" in result.out
    summary = result.out.splitlines()[-1]
    assert summary.endswith("1 record(s) replayed (1 create), 0 still failing")
    assert cell_len(summary) <= WIDTH


def test_connectors_list_keeps_names_whole_and_wraps_the_rest(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    alpha, beta = make_plugins()
    many = {f"entity_number_{n}": EntitySpec(f"entity_number_{n}") for n in range(12)}
    wordy = MemoryPlugin("a-connector-with-a-long-name", {**alpha.entities(), **many})
    wordy.description = DESCRIPTION
    world = make_cli_world(tmp_path, store_url, monkeypatch, capsys,
                           {"alpha": alpha, "beta": beta, wordy.name: wordy})
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    result = world("connectors", "list")
    assert result.code == 0 and too_long(result.out) == []
    first_cells = [line.split("│")[1].strip() for line in result.out.splitlines()
                   if line.startswith("│") and line.split("│")[1].strip()]
    assert first_cells == ["a-connector-with-a-long-name", "alpha", "beta"]


def test_a_terminal_too_narrow_for_the_kept_columns_widens_the_table_not_cut_ids() -> None:
    columns = (Col("id", keep=True), Col("time (UTC)", keep=True), Col("ref", keep_end=True))
    rows = [["104217", "2026-12-01 23:12:31", "alpha/contact/c-000123"]]
    out = io.StringIO()
    fitted = fit_table(columns, rows, 30, box=None)
    fitted.print(Console(file=out, width=30))
    assert out.getvalue().splitlines()[1].split() == ["104217", "2026-12-01", "23:12:31",
                                                      "…/c-000123"]
    assert shorten("alpha/contact/c-000123", 12, from_start=True) == "…/c-000123"
    assert shorten("alpha/contact/c-000123", 8, from_start=True) == "…-000123"
