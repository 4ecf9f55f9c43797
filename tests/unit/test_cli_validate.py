"""`ml-connector pipeline validate` as a person runs it, on the shipped pipelines.

A file is validated in its project: what it depends on and links to is loaded with it,
whether the file is one of the project's or a draft kept elsewhere. With `--json` every
problem is a JSON object on stdout, for editors and CI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ml_connector.engine.cli.main import main
from ml_connector.engine.loading.project_loader import shipped_pipelines_dir

SHIPPED = shipped_pipelines_dir()
PROJECT = """\
version: 1
pipelines: [pipelines]
connections:
  quickbooks:
    connector: quickbooks
    settings: {client_id: checks, client_secret: "${secret:quickbooks.client_secret}"}
  stripe:
    connector: stripe
    settings: {secret_key: "${secret:stripe.secret_key}"}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project holding the shipped customers and invoices pipelines, and a drafts folder."""
    (tmp_path / "ml-connector.yaml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "drafts").mkdir()
    for name in ("customers-to-stripe.yaml", "invoices-to-stripe.yaml"):
        shutil.copy(SHIPPED / name, tmp_path / "pipelines" / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def draft(project: Path, old: str, new: str) -> Path:
    """A copy of the project's invoices pipeline outside its pipelines folder, edited."""
    text = (project / "pipelines" / "invoices-to-stripe.yaml").read_text(encoding="utf-8")
    assert old in text
    path = project / "drafts" / "invoices-to-stripe.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_shipped_file_that_depends_on_another_is_valid_in_its_project(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # no project file: the project is the shipped one
    code, out, err = run(capsys, "pipeline", "validate", str(SHIPPED / "invoices-to-stripe.yaml"))
    assert (code, err) == (0, "")
    assert out.startswith("1 pipeline(s) valid: invoices-to-stripe (with the project's ")
    assert "customers-to-stripe" in out


def test_a_project_file_is_checked_with_the_pipelines_it_depends_on(project, capsys) -> None:
    code, out, _ = run(capsys, "pipeline", "validate", "pipelines/invoices-to-stripe.yaml")
    assert code == 0
    assert out == ("1 pipeline(s) valid: invoices-to-stripe "
                   "(with the project's customers-to-stripe)\n")


def test_a_draft_outside_the_folders_stands_in_for_the_pipeline_of_its_name(
        project, capsys) -> None:
    path = draft(project, "record.CustomerRef.value) }}", "record.CustomrRef.value) }}")
    code, _, err = run(capsys, "pipeline", "validate", str(path.relative_to(project)))
    assert code == 2
    assert err.splitlines() == [
        "drafts/invoices-to-stripe.yaml:22:13: mapping.customer: record.CustomrRef is not a "
        "field of QuickBooks Invoice (did you mean 'CustomerRef'?)",
        "1 problem(s) found"]


def test_a_draft_linking_to_a_pipeline_the_project_lacks_is_reported(project, capsys) -> None:
    path = draft(project, "link('customers-to-stripe'", "link('customer-to-stripe'")
    code, _, err = run(capsys, "pipeline", "validate", str(path.relative_to(project)))
    assert code == 2
    assert "link to unknown pipeline 'customer-to-stripe' (did you mean " \
           "'customers-to-stripe'?)" in err


def test_json_validate_writes_every_problem_on_stdout_and_exits_two(project, capsys) -> None:
    path = draft(project, "line.amount | minor_units(record.CurrencyRef.value)",
                 "line.amount | minor_units")
    code, out, err = run(capsys, "--json", "pipeline", "validate", str(path.relative_to(project)))
    assert (code, err) == (2, "")
    assert json.loads(out) == {
        "valid": False,
        "diagnostics": [{"file": "drafts/invoices-to-stripe.yaml", "line": 39, "column": 17,
                         "message": "filter 'minor_units' is missing its argument "
                                    "'currency': write minor_units(currency)"}],
        "summary": {"problems": 1, "files": 1},
    }


def test_json_validate_of_valid_files_says_so(project, capsys) -> None:
    code, out, _ = run(capsys, "--json", "pipeline", "validate",
                       "pipelines/invoices-to-stripe.yaml")
    assert code == 0
    assert json.loads(out) == {"valid": True, "pipelines": ["invoices-to-stripe"],
                               "checked_with": ["customers-to-stripe"], "diagnostics": [],
                               "summary": {"problems": 0, "pipelines": 1}}
