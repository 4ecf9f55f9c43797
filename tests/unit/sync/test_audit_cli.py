"""`audit list` and `audit show` as a user reads them: filters, order, the story, no values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import PROJECT, make_plugins, write_project
from memory_system import MemoryPlugin, MemorySystem

from ml_connector.engine.cli.main import main
from ml_connector.engine.plugins.registry import PluginRegistry
from ml_connector.engine.store import AuditEntry, Store

PEOPLE = "contacts-to-people"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class CliWorld:
    """A project on disk whose state store is the test's backend, driven through `main`."""

    folder: Path
    store_url: str
    alpha: MemorySystem
    beta: MemorySystem
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str) -> Result:
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        out, err = self.capsys.readouterr()
        return Result(int(exit_info.value.code or 0), out, err)

    def rewrite(self, *, people: str | None = None, invoices: str | None = None) -> None:
        """Edit the pipeline files the way a user fixes a mapping."""
        kwargs = {name: text for name, text in (("people", people), ("invoices", invoices))
                  if text is not None}
        write_project(self.folder, **kwargs)
        self._point_at_store()

    def _point_at_store(self) -> None:
        (self.folder / "ml-connector.yaml").write_text(
            PROJECT + f"store: {{url: {json.dumps(self.store_url)}}}\n")

    def store(self) -> Store:
        return Store.open(self.store_url, root=self.folder)


def make_cli_world(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str],
                   plugins: Mapping[str, MemoryPlugin] | None = None) -> CliWorld:
    alpha, beta = make_plugins()
    chosen = dict(plugins) if plugins else {"alpha": alpha, "beta": beta}
    registry = PluginRegistry.from_plugins(chosen)
    monkeypatch.setattr(PluginRegistry, "from_entry_points", classmethod(lambda cls: registry))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")  # a wide terminal, so table rows are not wrapped
    world = CliWorld(tmp_path, store_url, chosen["alpha"].system, chosen["beta"].system,
                     monkeypatch, capsys)
    world.rewrite()
    return world


@pytest.fixture
def cli_world(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch,
              capsys: pytest.CaptureFixture[str]) -> CliWorld:
    return make_cli_world(tmp_path, store_url, monkeypatch, capsys)


def two_contacts_one_failing(world: CliWorld) -> Result:
    world.alpha.put("contact", "c1", {"name": "Ann Example", "email": "ann@x.example"})
    world.alpha.put("contact", "c2", {"nom": "no name field"})
    return world("pipeline", "run", PEOPLE)


# -- audit list -------------------------------------------------------------------------------

def test_list_shows_every_attempt_newest_first_in_a_table(cli_world: CliWorld) -> None:
    assert two_contacts_one_failing(cli_world).code == 1
    result = cli_world("audit", "list")
    assert result.code == 0
    rows = [line for line in result.out.splitlines() if "alpha/contact/" in line]
    assert len(rows) == 2
    ids = [int(row.split()[0]) for row in rows]
    assert ids == sorted(ids, reverse=True)
    failed = next(row for row in rows if "alpha/contact/c2" in row)
    assert "fail" in failed and "failed" in failed and "field 'name'" in failed
    created = next(row for row in rows if "alpha/contact/c1" in row)
    assert "create" in created and " ok " in created and "beta/person/" in created


def test_list_json_has_the_fields_scripts_need(cli_world: CliWorld) -> None:
    two_contacts_one_failing(cli_world)
    entries = cli_world("audit", "list", "--json").json()
    assert sorted(e["source_ref"] for e in entries) == ["alpha/contact/c1", "alpha/contact/c2"]
    assert entries[0]["id"] > entries[1]["id"]
    created = next(e for e in entries if e["source_ref"] == "alpha/contact/c1")
    failed = next(e for e in entries if e["source_ref"] == "alpha/contact/c2")
    assert created["outcome"] == "ok" and created["trigger"] == "manual"
    assert created["target_ref"].startswith("beta/person/")
    assert created["request_ids"] == [f"req_{created['target_ref'].split('/')[-1]}"]
    assert failed["outcome"] == "failed" and "no field 'name'" in failed["error"]
    assert failed["run_id"] == created["run_id"]


def test_list_filters_by_outcome_record_pipeline_and_limit(cli_world: CliWorld) -> None:
    two_contacts_one_failing(cli_world)
    failed = cli_world("--json", "audit", "list", "--outcome", "failed").json()
    assert [e["source_ref"] for e in failed] == ["alpha/contact/c2"]
    by_id = cli_world("--json", "audit", "list", "--record", "c1").json()
    assert [e["source_ref"] for e in by_id] == ["alpha/contact/c1"]
    target_id = by_id[0]["target_ref"].split("/")[-1]
    by_target = cli_world("--json", "audit", "list", "--record", target_id).json()
    assert [e["id"] for e in by_target] == [by_id[0]["id"]]
    by_ref = cli_world("--json", "audit", "list", "--record", "alpha/contact/c2").json()
    assert [e["source_ref"] for e in by_ref] == ["alpha/contact/c2"]
    assert cli_world("--json", "audit", "list", "--record", "c_").json() == []
    assert cli_world("--json", "audit", "list", "--pipeline", "orders-to-invoices").json() == []
    assert len(cli_world("--json", "audit", "list", "--limit", "1").json()) == 1


def test_list_filters_by_run(cli_world: CliWorld) -> None:
    two_contacts_one_failing(cli_world)
    cli_world.alpha.put("contact", "c2", {"name": "Bob"})
    cli_world("pipeline", "run", PEOPLE, "--full")
    runs = {e["run_id"] for e in cli_world("--json", "audit", "list").json()}
    assert len(runs) == 2
    second = cli_world("--json", "audit", "list", "--limit", "1").json()[0]["run_id"]
    in_second = cli_world("--json", "audit", "list", "--run", second).json()
    assert {e["action"] for e in in_second} == {"create", "unchanged"}
    assert {e["run_id"] for e in in_second} == {second}


def test_list_filters_by_time_range_in_utc_or_with_an_offset(cli_world: CliWorld) -> None:
    with cli_world.store() as store:
        for day in (1, 2, 3):
            store.audit.append(AuditEntry(
                id=None, run_id=f"run-{day}", pipeline=PEOPLE,
                source_ref=f"alpha/contact/c{day}", target_ref=None, action="create",
                outcome="ok", at=datetime(2024, 1, day, 12, tzinfo=UTC)))
    middle = cli_world("--json", "audit", "list", "--since", "2024-01-02",
                       "--until", "2024-01-03").json()
    assert [e["run_id"] for e in middle] == ["run-2"]
    offset = cli_world("--json", "audit", "list",
                       "--since", "2024-01-02T14:00:00+02:00").json()   # 12:00 UTC, inclusive
    assert [e["run_id"] for e in offset] == ["run-3", "run-2"]
    recent = cli_world("--json", "audit", "list", "--since", "1d").json()
    assert recent == []


def test_a_time_that_is_not_one_is_a_usage_error(cli_world: CliWorld) -> None:
    result = cli_world("audit", "list", "--since", "last tuesday")
    assert result.code == 2
    assert "'last tuesday' is not a time" in result.err


def test_an_empty_list_says_so_and_hints_at_a_wrong_pipeline_name(cli_world: CliWorld) -> None:
    result = cli_world("audit", "list", "--pipeline", "contacts-to-peple")
    assert result.code == 0
    assert "no audit entries match (the project has no pipeline 'contacts-to-peple')" in result.out


# -- audit show -------------------------------------------------------------------------------

def test_show_tells_the_whole_story_of_a_create(cli_world: CliWorld) -> None:
    two_contacts_one_failing(cli_world)
    entry = cli_world("--json", "audit", "list", "--record", "c1").json()[0]
    result = cli_world("audit", "show", str(entry["id"]))
    assert result.code == 0
    target_id = entry["target_ref"].split("/")[-1]
    for expected in (f"audit entry {entry['id']}", "trigger      manual",
                     f"run          {entry['run_id']}", "source       alpha/contact/c1",
                     f"target       beta/person/{target_id}", "action       create",
                     "outcome      ok", f"beta/person: req_{target_id}",
                     "fields sent  email, metadata.contact_id, name"):
        assert expected in result.out


def test_show_never_reveals_payload_values(cli_world: CliWorld) -> None:
    two_contacts_one_failing(cli_world)
    entry = cli_world("--json", "audit", "list", "--record", "c1").json()[0]
    text = cli_world("audit", "show", str(entry["id"])).out
    story = cli_world("--json", "audit", "show", str(entry["id"])).json()
    for shown in (text, json.dumps(story)):
        assert "Ann Example" not in shown and "ann@x.example" not in shown
    assert story["payload"]["fields"] == ["email", "metadata.contact_id", "name"]
    assert len(story["payload"]["hash"]) == 64


def test_show_of_a_failure_gives_the_error_and_how_to_replay_it(cli_world: CliWorld) -> None:
    two_contacts_one_failing(cli_world)
    entry = cli_world("--json", "audit", "list", "--outcome", "failed").json()[0]
    result = cli_world("audit", "show", str(entry["id"]))
    assert "outcome      failed" in result.out
    assert "field 'name': no field 'name'" in result.out
    assert "payload      none rendered" in result.out
    assert f"to retry it: ml-connector replay --id {entry['id']}" in result.out


def test_show_compares_with_the_previous_attempt_and_lists_them(cli_world: CliWorld) -> None:
    cli_world.alpha.put("contact", "c1", {"name": "Ann"})
    cli_world("pipeline", "run", PEOPLE)
    cli_world.alpha.put("contact", "c1", {"name": "Ann", "email": "ann@x.example"})
    cli_world("pipeline", "run", PEOPLE, "--full")
    first, second = reversed(cli_world("--json", "audit", "list").json())
    story = cli_world("--json", "audit", "show", str(second["id"])).json()
    assert story["action"] == "update"
    assert story["payload"]["previous"] == {"audit_id": first["id"], "same_payload": False,
                                            "fields_added": ["email"], "fields_removed": []}
    assert [h["id"] for h in story["history"]] == [first["id"], second["id"]]
    text = cli_world("audit", "show", str(second["id"])).out
    assert f"vs entry {first['id']}: payload changed; added email" in text
    assert "attempts on this record:" in text


def test_show_of_an_unknown_id_is_an_input_error(cli_world: CliWorld) -> None:
    result = cli_world("audit", "show", "999")
    assert result.code == 2
    assert "there is no audit entry 999" in result.err
