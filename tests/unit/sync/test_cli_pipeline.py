"""The pipeline commands as a user runs them: messages, exit codes, JSON, and no writes in plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_plugins, write_project

from ml_connector.engine.cli.main import cli, main
from ml_connector.engine.plugins.registry import PluginRegistry


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    alpha, beta = make_plugins()
    write_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    registry = PluginRegistry.from_plugins({"alpha": alpha, "beta": beta})
    return registry, alpha.system, beta.system


def invoke(registry: PluginRegistry, *args: str):
    return CliRunner().invoke(cli, list(args), obj=registry, catch_exceptions=False,
                              standalone_mode=False)


def run_main(registry: PluginRegistry, monkeypatch: pytest.MonkeyPatch, capsys, *args: str):
    """Through `main`, which turns product errors into messages and exit codes."""
    monkeypatch.setattr(PluginRegistry, "from_entry_points", classmethod(lambda cls: registry))
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_run_prints_a_summary_and_exits_zero(project, monkeypatch, capsys) -> None:
    registry, alpha, _ = project
    alpha.put("contact", "c1", {"name": "Ann"})
    code, out, _ = run_main(registry, monkeypatch, capsys, "pipeline", "run", "--all")
    assert code == 0
    assert "contacts-to-people: 1 created\n" in out


def test_run_exits_one_when_a_record_failed_and_names_it(project, monkeypatch, capsys) -> None:
    registry, alpha, _ = project
    alpha.put("contact", "c1", {"nom": "missing name"})
    code, _, err = run_main(registry, monkeypatch, capsys, "pipeline", "run",
                            "contacts-to-people")
    assert code == 1
    assert "failed c1:" in err and "1 record(s) failed" in err


def test_run_json_is_machine_readable(project, monkeypatch, capsys) -> None:
    registry, alpha, _ = project
    alpha.put("contact", "c1", {"name": "Ann"})
    code, out, _ = run_main(registry, monkeypatch, capsys, "--json", "pipeline", "run",
                            "contacts-to-people")
    assert code == 0
    assert json.loads(out)[0]["created"] == 1


def test_unknown_pipeline_name_suggests_the_close_one(project, monkeypatch, capsys) -> None:
    registry, _, _ = project
    code, _, err = run_main(registry, monkeypatch, capsys, "pipeline", "run", "contacts-to-peple")
    assert code == 2
    assert "did you mean 'contacts-to-people'" in err


def test_plan_shows_field_changes_and_writes_nothing(project) -> None:
    registry, alpha, beta = project
    alpha.put("contact", "c1", {"name": "Ann", "email": "ann@x.example"})
    alpha.put("order", "o1", {"contact": "c1", "total": "5.00", "lines": []})
    result = invoke(registry, "pipeline", "plan", "orders-to-invoices")
    assert "create" in result.output and "    amount: 500\n" in result.output
    assert "<new via contacts-to-people: c1>" in result.output
    assert beta.writes == 0


def test_plan_after_a_run_shows_an_update_diff(project) -> None:
    registry, alpha, beta = project
    alpha.put("contact", "c1", {"name": "Ann"})
    invoke(registry, "pipeline", "run", "contacts-to-people")
    alpha.put("contact", "c1", {"name": "Anne"})
    writes = beta.writes
    result = invoke(registry, "--json", "pipeline", "plan", "contacts-to-people", "--full")
    plan = json.loads(result.output)
    assert plan["counts"] == {"update": 1}
    assert {"field": "name", "before": "Ann", "after": "Anne"} in plan["changes"][0]["changes"]
    assert beta.writes == writes


def test_validate_reports_every_problem_located_and_exits_two(
        project, tmp_path, monkeypatch, capsys) -> None:
    registry, _, _ = project
    (tmp_path / "pipelines" / "broken.yaml").write_text(
        "name: broken\ndescription: x\nsource: {connection: alfa, entity: contact}\n"
        "target: {connection: beta, entity: person}\n"
        "mapping:\n  name: '{{ record.name | uper }}'\n")
    code, _, err = run_main(registry, monkeypatch, capsys, "pipeline", "validate")
    assert code == 2
    lines = err.splitlines()
    assert any(line.startswith("pipelines/broken.yaml:3:") and "'alfa'" in line
               and "did you mean 'alpha'" in line for line in lines)
    assert any(line.startswith("pipelines/broken.yaml:6:") and "uper" in line for line in lines)


def test_init_writes_a_project_that_loads(tmp_path, monkeypatch) -> None:
    alpha, beta = make_plugins()
    registry = PluginRegistry.from_plugins({"alpha": alpha, "beta": beta})
    target = tmp_path / "new"
    result = invoke(registry, "init", "--dir", str(target))
    assert "created" in result.output
    text = (target / "ml-connector.yaml").read_text()
    assert "${secret:alpha.token}" in text
    from ml_connector.engine.loading import load_project

    project = load_project(target / "ml-connector.yaml", registry=registry)
    assert set(project.connections) == {"alpha", "beta"}


def test_set_secret_reads_stdin_and_stores_it_encrypted(project, tmp_path, monkeypatch) -> None:
    registry, _, _ = project
    monkeypatch.delenv("ML_CONNECTOR_MASTER_KEY", raising=False)
    result = CliRunner().invoke(cli, ["connections", "set-secret", "alpha", "token"],
                                input="tok_very_secret_value\n", obj=registry)
    assert result.exit_code == 0, result.output
    assert "${secret:alpha.token}" in result.output
    assert (tmp_path / ".ml-connector" / "state.db").stat().st_size > 0
    raw = b"".join(p.read_bytes() for p in (tmp_path / ".ml-connector").rglob("*") if p.is_file())
    assert b"tok_very_secret_value" not in raw


def test_plan_after_a_mapping_edit_says_so_and_names_the_command(project, tmp_path) -> None:
    registry, alpha, _ = project
    alpha.put("contact", "c1", {"name": "Ann"})
    alpha.put("contact", "c2", {"name": "BOB"})
    invoke(registry, "pipeline", "run", "contacts-to-people")
    people = tmp_path / "pipelines" / "people.yaml"
    people.write_text(people.read_text().replace("{{ record.name }}", "{{ record.name | upper }}"))
    result = invoke(registry, "pipeline", "plan", "contacts-to-people")
    notice = ("the definition of contacts-to-people changed since its records were last "
              "synced: 1 of 2 record(s) would be written; `ml-connector pipeline run "
              "contacts-to-people` applies it")
    assert " ".join(result.output.split()).startswith(notice)   # wrapped at 80 columns
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert '    name: "Ann" -> "ANN"' in result.output.splitlines()
