"""What a person reads about records that failed or were skipped: each once, and why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import INVOICES as INVOICES_YAML
from conftest import PEOPLE as PEOPLE_YAML
from conftest import make_plugins
from memory_system import MemoryConnector, MemoryPlugin
from test_audit_cli import CliWorld, cli_world, make_cli_world  # noqa: F401  (fixture)

from ml_connector.engine.plugins.protocol import ConnectorContext
from ml_connector.engine.records import ChangePage

PEOPLE = "contacts-to-people"
INVOICES = "orders-to-invoices"
FILTERED = PEOPLE_YAML.replace("  entity: contact\n", "  entity: contact\n"
                               "  filter: \"{{ record.active | default(true) }}\"\n")
BECAUSE = "filter: record.active | default(true)"


class RereadingConnector(MemoryConnector):
    """A source whose read hands every record over twice (it changed again meanwhile)."""

    def read_changes(self, entity: str, cursor: str | None) -> Iterator[ChangePage]:
        pages = list(super().read_changes(entity, cursor))
        yield from pages
        yield from pages


class RereadingPlugin(MemoryPlugin):
    def connect(self, context: ConnectorContext) -> MemoryConnector:
        return RereadingConnector(self.system)


def failing_contacts(world: CliWorld, count: int) -> list[str]:
    ids = [f"c{n:02}" for n in range(count)]
    for record_id in ids:
        world.alpha.put("contact", record_id, {"nom": "no name field"})
    return ids


# -- failures, each once ----------------------------------------------------------------------

def test_a_record_that_failed_twice_in_one_run_is_printed_and_counted_once(
        tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    alpha, beta = make_plugins()
    rereading = RereadingPlugin("alpha", alpha.entities())
    world = make_cli_world(tmp_path, store_url, monkeypatch, capsys,
                           {"alpha": rereading, "beta": beta})
    world.alpha.put("contact", "c1", {"nom": "no name field"})
    world.alpha.put("contact", "c2", {"name": "Bob"})
    result = world("pipeline", "run", PEOPLE)
    assert result.code == 1
    assert result.out == f"{PEOPLE}: 1 created, 1 unchanged, 1 failed\n"
    assert result.err.count("failed c1: ") == 1
    assert "1 record(s) failed" in result.err
    plan = world("pipeline", "plan", PEOPLE, "--full")
    assert plan.out.count("fail      c1  (") == 1


def test_past_the_limit_the_rest_are_counted_with_where_to_read_them(
        cli_world: CliWorld) -> None:  # noqa: F811
    ids = failing_contacts(cli_world, 14)
    result = cli_world("pipeline", "run", PEOPLE)
    assert result.code == 1
    listed = [line for line in result.err.splitlines() if line.startswith("  failed ")]
    assert [line.split()[1].rstrip(":") for line in listed] == ids[:10]
    run_id = cli_world("--json", "audit", "list", "--limit", "1").json()[0]["run_id"]
    hint = f"ml-connector audit list --run {run_id} --outcome failed"
    assert f"  and 4 more failed: {hint}" in result.err.splitlines()
    assert len(cli_world("--json", *hint.split()[1:]).json()) == 14
    assert "WARNING" not in result.err     # the runner's own line per failure is not repeated


def test_with_verbose_the_runner_warnings_come_back(cli_world: CliWorld) -> None:  # noqa: F811
    failing_contacts(cli_world, 1)
    result = cli_world("-v", "pipeline", "run", PEOPLE)
    assert "WARNING ml_connector.sync: pipeline contacts-to-people record c00 failed" in result.err


def test_reconcile_lists_mismatches_once_each_up_to_the_limit(
        cli_world: CliWorld) -> None:  # noqa: F811
    for n in range(12):
        cli_world.alpha.put("contact", f"c{n:02}", {"name": f"Person {n}"})
    result = cli_world("reconcile", PEOPLE)
    assert result.code == 1
    missing = [line for line in result.out.splitlines() if ": missing: " in line]
    assert len(missing) == 10
    assert "and 2 more: ml-connector reconcile --json lists them all" in result.out
    assert result.out.splitlines()[-1] == "12 checks ran, 12 failed"


def test_replay_lists_records_still_failing_first_up_to_the_limit(
        cli_world: CliWorld) -> None:  # noqa: F811
    ids = failing_contacts(cli_world, 13)
    cli_world("pipeline", "run", PEOPLE)
    cli_world.alpha.put("contact", ids[-1], {"name": "Fixed"})
    result = cli_world("replay", "--failed")
    lines = result.out.splitlines()
    assert all(": failed: " in line for line in lines[:10])
    assert lines[10].startswith("and 3 more: ml-connector audit list --run ")
    assert "13 record(s) replayed (1 create, 12 fail), 12 still failing" in lines[11]


# -- plan foresees failures -------------------------------------------------------------------

def test_plan_exits_one_when_a_record_would_fail(cli_world: CliWorld) -> None:  # noqa: F811
    cli_world.alpha.put("contact", "c1", {"name": "Ann"})
    assert cli_world("pipeline", "plan", PEOPLE).code == 0
    cli_world.alpha.put("contact", "c2", {"nom": "no name field"})
    result = cli_world("pipeline", "plan", PEOPLE)
    assert result.code == 1
    assert "fail      c2  (" in result.out and "field 'name'" in result.out
    assert "1 record(s) would fail" in result.err
    as_json = cli_world("--json", "pipeline", "plan", PEOPLE)
    assert as_json.code == 1 and as_json.json()["counts"] == {"create": 1, "fail": 1}


def test_plan_exits_one_and_lists_each_record_a_run_would_flag(
        cli_world: CliWorld) -> None:  # noqa: F811
    cli_world.rewrite(invoices=INVOICES_YAML.replace("void_and_recreate", "flag"))
    cli_world.alpha.put("contact", "c1", {"name": "Ann"})
    orders = [f"o{n:02}" for n in range(12)]
    for order in orders:
        cli_world.alpha.put("order", order, {"contact": "c1", "lines": [], "total": "10.00"})
    assert cli_world("pipeline", "run", "--all").code == 0
    for order in orders:
        cli_world.beta.frozen.add(next(rid for rid, row in cli_world.beta.rows["invoice"].items()
                                       if row["metadata"]["order_id"] == order))
        cli_world.alpha.put("order", order, {"contact": "c1", "lines": [], "total": "12.00"})

    plan = cli_world("pipeline", "plan", INVOICES)
    assert plan.code == 1
    flagged = [line for line in plan.out.splitlines() if line.startswith("flag ")]
    assert [line.split()[1] for line in flagged] == orders[:10]
    assert all("cannot take this change" in line for line in flagged)
    assert "and 2 more would fail or be flagged" in plan.out
    assert "12 record(s) would fail or be flagged" in plan.err

    run = cli_world("pipeline", "run", INVOICES)
    assert run.code == 1 and "12 record(s) failed" in run.err


# -- skips say why ----------------------------------------------------------------------------

def test_a_filtered_record_says_why_in_run_plan_and_audit(cli_world: CliWorld) -> None:  # noqa: F811
    cli_world.rewrite(people=FILTERED)
    cli_world.alpha.put("contact", "c1", {"name": "Ann"})
    cli_world.alpha.put("contact", "c2", {"name": "Old", "active": False})
    cli_world.alpha.put("contact", "c3", {"name": "Older", "active": False})

    plan = cli_world("pipeline", "plan", PEOPLE)
    assert f"skip      c2  ({BECAUSE})" in plan.out
    assert plan.out.splitlines()[-1] == f"  2 skipped ({BECAUSE})"
    assert cli_world("--json", "pipeline", "plan", PEOPLE).json()["changes"][1]["reason"] == BECAUSE

    run = cli_world("pipeline", "run", PEOPLE)
    assert run.out.splitlines() == [f"{PEOPLE}: 1 created, 2 skipped", f"  2 skipped ({BECAUSE})"]
    assert cli_world("--json", "pipeline", "run", PEOPLE, "--full").json()[0][
        "skip_reasons"] == {BECAUSE: 2}

    skipped = cli_world("--json", "audit", "list", "--record", "c2").json()[0]
    assert (skipped["action"], skipped["reason"]) == ("skip", BECAUSE)
    assert f"  reason       {BECAUSE}" in cli_world("audit", "show", str(skipped["id"])).out
    row = next(line for line in cli_world("audit", "list").out.splitlines()
               if line.split()[0] == str(skipped["id"]))
    assert row.rstrip().endswith(BECAUSE)


def test_a_record_deleted_before_it_was_synced_says_so(cli_world: CliWorld) -> None:  # noqa: F811
    cli_world.alpha.put("contact", "c1", {"name": "Ann", "archived": True})
    because = "deleted in the source before it was synced"
    assert f"skip      c1  ({because})" in cli_world("pipeline", "plan", PEOPLE).out
    run = cli_world("pipeline", "run", PEOPLE)
    assert run.out.splitlines() == [f"{PEOPLE}: 1 skipped", f"  1 skipped ({because})"]


def test_plan_and_run_say_which_fields_a_connector_cannot_clear(
        cli_world: CliWorld, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    original = MemoryConnector.update

    def update_without_clear(self, entity, record_id, payload):  # a plugin's older signature
        return original(self, entity, record_id, payload)

    monkeypatch.setattr(MemoryConnector, "update", update_without_clear)
    cli_world.alpha.put("contact", "c1", {"name": "Ann", "email": "ann@x.example"})
    assert cli_world("pipeline", "run", PEOPLE).code == 0
    cli_world.rewrite(people=PEOPLE_YAML.replace('  email?: "{{ record.email }}"\n', ""))
    because = "the mapping no longer sets it, but the connector cannot clear it"
    plan = cli_world("pipeline", "plan", PEOPLE)
    assert plan.code == 0 and f"    email: kept, {because}" in plan.out.splitlines()
    run = cli_world("pipeline", "run", PEOPLE)
    assert run.code == 0 and f"  1 record(s) keep email: {because}" in run.out.splitlines()
