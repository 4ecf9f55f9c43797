"""`pipeline validate` refuses delivery params that cannot work, at the param's line."""

from __future__ import annotations

import re
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


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "ml-connector.yaml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "pipelines").mkdir()
    for name in ("customers-to-stripe.yaml", "invoices-to-stripe.yaml"):
        shutil.copy(SHIPPED / name, tmp_path / "pipelines" / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate(project: Path, capsys: pytest.CaptureFixture[str], params: str) -> tuple[int, str]:
    path = project / "pipelines" / "invoices-to-stripe.yaml"
    path.write_text(re.sub(r"^  delivery: email.*\n", params, path.read_text(), count=1,
                           flags=re.MULTILINE))
    with pytest.raises(SystemExit) as exit_info:
        main(["pipeline", "validate", "pipelines/invoices-to-stripe.yaml"])
    _, err = capsys.readouterr()
    return int(exit_info.value.code or 0), err


def _line_of(project: Path, text: str) -> int:
    lines = (project / "pipelines" / "invoices-to-stripe.yaml").read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(text))


@pytest.mark.parametrize("field", ["CustomerMemo", "PrivateNote", "CustomField:Pay link"])
def test_each_pay_link_field_is_accepted(project: Path, capsys, field: str) -> None:
    code, err = validate(project, capsys, f"  delivery: payable\n  pay_link_field: {field}\n")
    assert (code, err) == (0, "")


def test_an_unknown_delivery_names_the_file_and_the_param(project: Path, capsys) -> None:
    code, err = validate(project, capsys, "  delivery: post\n")
    line = _line_of(project, "  delivery: post")
    assert code == 2
    assert err.splitlines()[0] == (
        f"pipelines/invoices-to-stripe.yaml:{line}:13: params.delivery: delivery 'post' is "
        "not one of email, payable, none")


def test_a_field_quickbooks_invoices_lack_is_refused(project: Path, capsys) -> None:
    code, err = validate(project, capsys, "  delivery: payable\n  pay_link_field: Memo\n")
    line = _line_of(project, "  pay_link_field: Memo")
    assert code == 2
    assert err.splitlines()[0].startswith(
        f"pipelines/invoices-to-stripe.yaml:{line}:19: params.pay_link_field: "
        "pay_link_field 'Memo' is not CustomerMemo, PrivateNote or CustomField:<name>")


def test_a_pay_link_field_without_payable_is_a_mistake(project: Path, capsys) -> None:
    code, err = validate(project, capsys,
                         "  delivery: email\n  pay_link_field: CustomerMemo\n")
    assert code == 2
    assert "params.pay_link_field: pay_link_field is used only with delivery: payable" in err
